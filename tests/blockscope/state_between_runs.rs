use super::*;

fn run_with_state(fleet: &Fleet, extra: &[&str]) -> Output {
    let state = fleet.path("state");
    let mut args = vec!["--threads", "1", "--state", state.to_str().unwrap()];
    args.extend_from_slice(extra);
    fleet.run_args(&args)
}

fn statuses(fleet: &Fleet) -> Vec<(String, String, String)> {
    fleet
        .csv("summary/ips.csv")
        .iter()
        .map(|r| {
            (
                r["ip"].clone(),
                r["status"].clone(),
                r["days_blocked"].clone(),
            )
        })
        .collect()
}

/// Unix seconds of 2026-11-`day` 00:00 UTC.
fn nov(day: i64) -> i64 {
    NOV_23_2026 + (day - 23) * 86_400
}

/// `count` S3140 bounces for 198.51.100.7 (vps-a, RFC 3164) on 2026-11-`day`.
fn blocked_a(day: u32, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            S3140_RFC3164
                .replace("Nov  2 10:00:01", &format!("Nov {day:>2} 10:00:{i:02}"))
                .replace("6BAB0300C9CD", &format!("6BAB{day:02}{i:02}"))
        })
        .collect()
}

/// One delivered message from 198.51.100.7 on 2026-11-`day`.
fn sent_a(day: u32) -> String {
    format!("Nov {day:>2} 11:00:00 web1 postfix/smtp[19793]: 7C0{day:02}: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=2.0.0, status=sent (250 2.6.0 <x@web1> Queued mail for delivery)")
}

/// One S3150 bounce for 198.51.100.8 (vps-b, maillog_file style) on 2026-11-`day`.
fn blocked_b(day: u32) -> String {
    S3140_MAILLOG_FILE.replace("Nov 02", &format!("Nov {day:02}"))
}

/// What logrotate does nightly with `compress` + `delaycompress`: .N.gz -> .N+1.gz,
/// .1 -> .2.gz, mail.log -> .1, a new empty mail.log.
fn logrotate(dir: &Path, mtime: i64) {
    let mut n = (2..)
        .take_while(|n| dir.join(format!("mail.log.{n}.gz")).exists())
        .count()
        + 1;
    while n >= 2 {
        fs::rename(
            dir.join(format!("mail.log.{n}.gz")),
            dir.join(format!("mail.log.{}.gz", n + 1)),
        )
        .unwrap();
        n -= 1;
    }
    if dir.join("mail.log.1").exists() {
        use flate2::{write::GzEncoder, Compression};
        let plain = fs::read(dir.join("mail.log.1")).unwrap();
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(&plain).unwrap();
        fs::write(dir.join("mail.log.2.gz"), e.finish().unwrap()).unwrap();
        set_mtime(&dir.join("mail.log.2.gz"), mtime);
        fs::remove_file(dir.join("mail.log.1")).unwrap();
    }
    fs::rename(dir.join("mail.log"), dir.join("mail.log.1")).unwrap();
    fs::write(dir.join("mail.log"), "").unwrap();
    set_mtime(&dir.join("mail.log"), mtime);
}

/// (ip, status, events, days_blocked) per ips.csv row.
fn rows(fleet: &Fleet) -> Vec<(String, String, String, String)> {
    fleet
        .csv("summary/ips.csv")
        .iter()
        .map(|r| {
            (
                r["ip"].clone(),
                r["status"].clone(),
                r["events"].clone(),
                r["days_blocked"].clone(),
            )
        })
        .collect()
}

fn row(ip: &str, status: &str, events: u64, days: u64) -> (String, String, String, String) {
    (
        ip.into(),
        status.into(),
        events.to_string(),
        days.to_string(),
    )
}

const A: &str = "198.51.100.7";
const B: &str = "198.51.100.8";

/// A week of nightly runs over rotating and appended logs: every night reports exactly the
/// lines new since the night before, with the right status; nothing is counted twice, and
/// a 7-day window from the stored history equals a full re-read of the logs.
#[test]
fn a_week_of_nightly_runs() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let a = fleet.path("logs/vps-a");
    let b = fleet.path("logs/vps-b");
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    fs::write(a.join("mail.log"), "").unwrap();
    // (day, lines for vps-a, lines for vps-b, expected rows after that night's run)
    type Night = (
        u32,
        Vec<String>,
        Vec<String>,
        Vec<(String, String, String, String)>,
    );
    let week: Vec<Night> = vec![
        (16, blocked_a(16, 2), vec![], vec![row(A, "new", 2, 1)]),
        (17, blocked_a(17, 2), vec![], vec![row(A, "ongoing", 2, 2)]),
        (
            18,
            blocked_a(18, 2),
            vec![blocked_b(18)],
            vec![row(A, "ongoing", 2, 3), row(B, "new", 1, 1)],
        ),
        (
            19,
            vec![sent_a(19)],
            vec![blocked_b(19)],
            vec![row(A, "resolved", 0, 3), row(B, "ongoing", 1, 2)],
        ),
        (
            20,
            vec![sent_a(20)],
            vec![blocked_b(20)],
            vec![row(B, "ongoing", 1, 3)],
        ),
        (
            21,
            blocked_a(21, 3),
            vec![blocked_b(21)],
            vec![row(A, "new", 3, 1), row(B, "ongoing", 1, 4)],
        ),
        (
            22,
            blocked_a(22, 2),
            vec![blocked_b(22)],
            vec![row(A, "ongoing", 2, 2), row(B, "ongoing", 1, 5)],
        ),
    ];
    for (day, lines_a, lines_b, expected) in &week {
        let night = nov(i64::from(*day) + 1) + 2 * 3600;
        // vps-a rotates nightly (compressing the day before yesterday); vps-b only appends.
        if *day > 16 {
            logrotate(&a, night);
        }
        append(&a.join("mail.log"), lines_a, night);
        if !lines_b.is_empty() {
            append(&b.join("mail.log"), lines_b, night);
        }
        let out = run_with_state(&fleet, &[]);
        ok(&out);
        assert_eq!(&rows(&fleet), expected, "night after 2026-11-{day}");
        let md = fleet.text("summary/summary.md");
        let want = if *day == 16 {
            "every log line read"
        } else {
            "new since the last run"
        };
        assert!(md.contains(want), "night after 2026-11-{day}:\n{md}");
    }
    // Rotation kept every day on disk, compressed twice over: nothing was read twice.
    assert!(a.join("mail.log.6.gz").exists());
    let err =
        String::from_utf8_lossy(&run_with_state(&fleet, &["--days", "7"]).stderr).into_owned();
    assert!(
        err.contains("2026-11-16 to 2026-11-22 (7 days, UTC)"),
        "{err}"
    );
    let from_history = rows(&fleet);
    assert_eq!(
        from_history,
        vec![row(A, "ongoing", 11, 7), row(B, "ongoing", 5, 5)]
    );
    // The same window from a full re-read of the logs on disk.
    ok(&run_with_state(&fleet, &["--full", "--days", "7"]));
    assert_eq!(rows(&fleet), from_history);
    // Two-day window ending on the 21st.
    ok(&run_with_state(
        &fleet,
        &["--since", "2026-11-20", "--until", "2026-11-21"],
    ));
    // Explicit windows never rewrite the state: A's block counts from the 21st, when it came
    // back after being resolved on the 19th (the --days 7 runs above no longer reset it).
    assert_eq!(
        rows(&fleet),
        vec![row(A, "ongoing", 3, 1), row(B, "ongoing", 2, 4)]
    );
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap()).unwrap();
    let entry = &state["entries"]["198.51.100.7|ms-outlook-network-blocklist"];
    assert_eq!(
        (entry["days_seen"].as_u64(), entry["last_day"].as_str()),
        (Some(2), Some("2026-11-22")),
        "{entry}"
    );
    assert_eq!(
        state["days"].as_object().unwrap().len(),
        7,
        "{}",
        state["days"]
    );
    let day_files = fs::read_dir(fleet.path("state/days")).unwrap().count();
    assert_eq!(day_files, 7, "older generations' day files are removed");
}

/// A night with no new log line (collection failed) resolves nothing; the state stays.
#[test]
fn a_night_without_new_lines_resolves_nothing() {
    let fleet = Fleet::one_s3140();
    ok(&run_with_state(&fleet, &[]));
    let before = fs::read_to_string(fleet.path("state/state.json")).unwrap();
    let out = run_with_state(&fleet, &[]);
    ok(&out);
    assert_eq!(rows(&fleet), vec![]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 file(s) unchanged since the last run"),
        "{err}"
    );
    let after: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap()).unwrap();
    let before: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_eq!(after["entries"], before["entries"]);
    // The next night's line for the same IP is ongoing, not new.
    append(
        &fleet.path("logs/vps-a/mail.log"),
        &blocked_a(4, 1),
        NOV_23_2026,
    );
    ok(&run_with_state(&fleet, &[]));
    assert_eq!(rows(&fleet), vec![row(A, "ongoing", 1, 2)]);
}

/// A line still being written (no newline yet) is left for the next run, then read whole.
#[test]
fn an_unterminated_last_line_waits_for_the_next_run() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let path = fleet.path("logs/vps-a/mail.log");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let lines = blocked_a(2, 2);
    let half = lines[1].len() / 2;
    fs::write(&path, format!("{}\n{}", lines[0], &lines[1][..half])).unwrap();
    set_mtime(&path, NOV_23_2026);
    let out = run_with_state(&fleet, &[]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 unterminated last line(s)"));
    assert_eq!(rows(&fleet), vec![row(A, "new", 1, 1)]);
    append(&path, &[lines[1][half..].to_string()], NOV_23_2026);
    ok(&run_with_state(&fleet, &[]));
    assert_eq!(rows(&fleet), vec![row(A, "ongoing", 1, 1)]);
    let problems = fleet.text("summary/input-problems.csv");
    assert_eq!(problems.lines().count(), 1, "{problems}");
}

#[test]
fn window_flags_are_checked() {
    let fleet = Fleet::one_s3140();
    for (args, says) in [
        (
            vec!["--since", "2026-11-31"],
            "--since \"2026-11-31\": not a date",
        ),
        (
            vec!["--since", "2026-11-20", "--until", "2026-11-19"],
            "is after --until",
        ),
        (vec!["--days", "0"], "--days 0"),
        (vec!["--history-days", "0"], "--history-days 0"),
    ] {
        let out = fleet.run_args(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // Without a state a window filters what is read.
    ok(&fleet.run_args(&["--since", "2026-11-03"]));
    assert_eq!(rows(&fleet), vec![]);
    ok(&fleet.run_args(&["--days", "1"]));
    assert_eq!(rows(&fleet), vec![row(A, "seen", 1, 1)]);
}

#[test]
fn a_corrupt_state_is_reported_and_can_be_rebuilt() {
    let fleet = Fleet::one_s3140();
    fs::create_dir_all(fleet.path("state")).unwrap();
    fs::write(
        fleet.path("state/state.json"),
        "{\"version\": 1, \"entries\": {oops",
    )
    .unwrap();
    let out = run_with_state(&fleet, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("state.json:1:") && err.contains("--rebuild-state"),
        "{err}"
    );
    assert!(!fleet.path("out").exists());
    ok(&run_with_state(&fleet, &["--rebuild-state"]));
    assert_eq!(
        statuses(&fleet),
        [("198.51.100.7".into(), "new".into(), "1".into())]
    );
    let saved: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap()).unwrap();
    assert_eq!(saved["version"], 2);
}
