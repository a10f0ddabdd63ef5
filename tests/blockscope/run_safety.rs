//! Issue 16: concurrent runs, report windows that must never destroy the state, bounded number
//! flags, `--out` placement and `--delist-contact`. Each test failed before its fix.

use super::*;

const A: &str = "198.51.100.7";

/// `run` with a state directory `state/` beside the fleet.
fn run_with_state(fleet: &Fleet, extra: &[&str]) -> Output {
    let state = fleet.path("state");
    let mut args = vec!["--threads", "1", "--state", state.to_str().unwrap()];
    args.extend_from_slice(extra);
    fleet.run_args(&args)
}

/// `count` S3140 bounces for 198.51.100.7 (vps-a) on 2026-11-`day`.
fn blocked_a(day: u32, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            S3140_RFC3164
                .replace("Nov  2 10:00:01", &format!("Nov {day:>2} 10:00:{i:02}"))
                .replace("6BAB0300C9CD", &format!("6BAB{day:02}{i:02}"))
        })
        .collect()
}

/// (ip, status, events) per ips.csv row.
fn statuses(fleet: &Fleet) -> Vec<(String, String, String)> {
    fleet
        .csv("summary/ips.csv")
        .iter()
        .map(|r| (r["ip"].clone(), r["status"].clone(), r["events"].clone()))
        .collect()
}

fn status(ip: &str, status: &str, events: u64) -> (String, String, String) {
    (ip.into(), status.into(), events.to_string())
}

fn state_json(fleet: &Fleet) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fleet whose state holds one entry (A blocked on 2026-11-02), after one nightly run.
fn fleet_with_state() -> Fleet {
    let fleet = Fleet::one_s3140();
    ok(&run_with_state(&fleet, &[]));
    assert_eq!(statuses(&fleet), vec![status(A, "new", 1)]);
    fleet
}

/// The next nightly run with one more bounce for A: the entry must still be known (`ongoing`).
fn next_night_is_ongoing(fleet: &Fleet) {
    append(
        &fleet.path("logs/vps-a/mail.log"),
        &blocked_a(3, 1),
        NOV_23_2026,
    );
    ok(&run_with_state(fleet, &[]));
    assert_eq!(
        statuses(fleet),
        vec![status(A, "ongoing", 1)],
        "the state entry survived"
    );
}

/// Run `cmd`, killing it when it takes longer than `secs` (a hang is a failure, not a stuck suite).
fn output_within(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{cmd:?} still running after {secs} s; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Concurrent runs

/// `n` customers with one VPS and one address each (10.x.y.z), one of them vps-a.
fn big_inventory(n: u32) -> String {
    let mut inv = neighbourhood_inventory();
    for i in 0..n {
        inv.push_str(&format!(
            "k{i},Customer {i},vm-{i},10.{}.{}.{}\n",
            i >> 16,
            (i >> 8) & 0xff,
            i & 0xff
        ));
    }
    inv
}

fn is_complete_set(dir: &Path, customers: usize) {
    for file in [".blockscope", "summary/ips.csv", "summary/summary.md"] {
        assert!(dir.join(file).is_file(), "{} lacks {file}", dir.display());
    }
    let written = fs::read_dir(dir.join("customers")).unwrap().count();
    assert_eq!(written, 2 * customers, "{}", dir.display());
}

/// Two runs writing different report directories in one parent directory: neither removes the
/// other's live staging directory, both sets are complete. Run A is big (10,000 customers: its
/// staging takes a while to write); run B is started the moment A's staging appears, so B's
/// start-up cleanup overlaps A's writing every time.
#[test]
fn two_runs_in_one_parent_directory_both_write_complete_sets() {
    let fleet = Fleet::new(&big_inventory(10_000));
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    fs::write(fleet.path("small.csv"), neighbourhood_inventory()).unwrap();
    let run = |inventory: &str, out: &str| {
        let mut cmd = blockscope();
        cmd.args(["run", "--threads", "1", "-q", "--logs"])
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path(inventory))
            .arg("--out")
            .arg(fleet.path(out))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let big = run("inventory.csv", "big");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let staging_of_big = || {
        fs::read_dir(fleet.dir.path()).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".blockscope-staging")
        })
    };
    while !staging_of_big() {
        assert!(std::time::Instant::now() < deadline, "no staging appeared");
        std::thread::sleep(Duration::from_millis(1));
    }
    let small = run("small.csv", "small");
    let small = small.wait_with_output().unwrap();
    let big = big.wait_with_output().unwrap();
    ok(&small);
    ok(&big);
    is_complete_set(&fleet.path("small"), 6);
    is_complete_set(&fleet.path("big"), 10_006);
    let leftovers: Vec<String> = fs::read_dir(fleet.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope-staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A run killed while writing leaves its staging directory; the next run for the same `--out`
/// removes it, a run for another `--out` in the same directory leaves it alone.
#[test]
fn only_the_own_stale_staging_directory_is_removed() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let own = fleet.path(".blockscope-staging.out.Ab12Cd");
    let other = fleet.path(".blockscope-staging.other.Xy34Zw");
    let legacy = fleet.path(".blockscope-staging-Qr56St");
    for dir in [&own, &other, &legacy] {
        fs::create_dir_all(dir.join("summary")).unwrap();
    }
    ok(&fleet.run(1));
    assert!(!own.exists(), "the own stale staging is removed");
    assert!(other.exists(), "another --out's staging is left alone");
    assert!(
        legacy.exists(),
        "an older version's staging (owner unknown) is left alone"
    );
}

// ---------------------------------------------------------------------------------------------
// Windows that destroy state

#[test]
fn a_huge_days_window_is_refused_and_erases_nothing() {
    let fleet = fleet_with_state();
    let before = state_json(&fleet);
    let out = run_with_state(&fleet, &["--days", "4294967295"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("--days 4294967295") && err.contains("between 1 and 3660"),
        "{err}"
    );
    assert_eq!(state_json(&fleet), before);
    next_night_is_ongoing(&fleet);
}

#[test]
fn an_explicit_window_without_data_resolves_nothing() {
    let fleet = fleet_with_state();
    let before = state_json(&fleet);
    ok(&run_with_state(
        &fleet,
        &["--since", "2026-11-10", "--until", "2026-11-11"],
    ));
    assert_eq!(statuses(&fleet), vec![], "no row, and no `resolved` row");
    assert_eq!(state_json(&fleet)["entries"], before["entries"]);
    ok(&run_with_state(
        &fleet,
        &["--days", "1", "--until", "2026-11-20"],
    ));
    assert_eq!(statuses(&fleet), vec![]);
    next_night_is_ongoing(&fleet);
}

/// An explicit window is a report only: tonight's new lines still reach the nightly run, which
/// reports them (and resolves) as if the window run had not happened.
#[test]
fn an_explicit_window_leaves_new_lines_to_the_nightly_run() {
    let fleet = fleet_with_state();
    let b = fleet.path("logs/vps-b/mail.log");
    fs::create_dir_all(b.parent().unwrap()).unwrap();
    append(
        &b,
        &[S3140_MAILLOG_FILE.replace("Nov 02", "Nov 03")],
        NOV_23_2026,
    );
    let out = run_with_state(&fleet, &["--days", "2"]);
    ok(&out);
    assert!(
        stderr(&out).contains("is a report only; the state in"),
        "{}",
        stderr(&out)
    );
    let rows = statuses(&fleet);
    assert_eq!(
        rows,
        vec![status(A, "ongoing", 1), status("198.51.100.8", "new", 1)]
    );
    ok(&run_with_state(&fleet, &[]));
    assert_eq!(
        statuses(&fleet),
        vec![status(A, "resolved", 0), status("198.51.100.8", "new", 1)],
        "the nightly run reads the new line itself"
    );
}

#[test]
fn a_huge_history_days_is_refused_and_keeps_every_day_file() {
    let fleet = fleet_with_state();
    let days_before = fs::read_dir(fleet.path("state/days")).unwrap().count();
    assert_eq!(days_before, 1);
    let out = run_with_state(&fleet, &["--history-days", "4294967295"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--history-days 4294967295: must be between 1 and 3660"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(fleet.path("state/days")).unwrap().count(), 1);
    next_night_is_ongoing(&fleet);
    ok(&run_with_state(&fleet, &["--days", "2"]));
    assert_eq!(statuses(&fleet), vec![status(A, "ongoing", 2)]);
}

/// The one day file of the state, as named in state.json.
fn day_file(fleet: &Fleet) -> PathBuf {
    let state = state_json(fleet);
    let name = state["days"]["2026-11-02"].as_str().unwrap().to_string();
    fleet.path("state").join(name)
}

#[test]
fn a_corrupt_day_file_stops_the_run_and_rebuild_state_goes_on() {
    let fleet = fleet_with_state();
    let day = day_file(&fleet);
    fs::write(&day, b"\x1f\x8b\x08\x00garbage").unwrap();
    let reports_before = tree_contents(&fleet.path("out"));
    let state_before = state_json(&fleet);
    // A new line of the same day: the stored day must be read to be rewritten.
    append(
        &fleet.path("logs/vps-a/mail.log"),
        &blocked_a(2, 1),
        NOV_23_2026,
    );
    let out = run_with_state(&fleet, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&day.display().to_string()) && err.contains("--rebuild-state"),
        "{err}"
    );
    assert_eq!(tree_contents(&fleet.path("out")), reports_before);
    assert_eq!(state_json(&fleet), state_before);
    assert_eq!(fs::read(&day).unwrap(), b"\x1f\x8b\x08\x00garbage");
    // A window over that day stops too: it would report a day with its events missing.
    let out = run_with_state(&fleet, &["--days", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    ok(&run_with_state(&fleet, &["--rebuild-state"]));
    ok(&run_with_state(&fleet, &["--days", "1"]));
    assert_eq!(statuses(&fleet), vec![status(A, "ongoing", 2)]);
}

#[test]
fn a_missing_day_file_stops_the_run() {
    let fleet = fleet_with_state();
    fs::remove_file(day_file(&fleet)).unwrap();
    let out = run_with_state(&fleet, &["--days", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--rebuild-state"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Number flags

/// Every number flag out of its range stops the run with exit 2, naming the flag and the range.
#[test]
fn number_flags_out_of_range_name_the_flag_and_the_range() {
    let fleet = Fleet::one_s3140();
    for (flag, value, range) in [
        ("--threads", "0", "between 1 and 1024"),
        ("--threads", "100000", "between 1 and 1024"),
        ("--days", "0", "between 1 and 3660"),
        ("--days", "4294967295", "between 1 and 3660"),
        ("--history-days", "0", "between 1 and 3660"),
        ("--history-days", "3661", "between 1 and 3660"),
        ("--keep", "1001", "between 0 and 1000"),
        ("--keep", "18446744073709551615", "between 0 and 1000"),
        ("--ipv4-prefix", "7", "between 8 and 32"),
        ("--ipv4-prefix", "300", "between 8 and 32"),
        ("--ipv6-prefix", "129", "between 16 and 128"),
        ("--ipv6-prefix", "256", "between 16 and 128"),
    ] {
        let out = output_within(
            {
                let mut cmd = blockscope();
                cmd.args(["run", "--logs"])
                    .arg(fleet.path("logs"))
                    .arg("--inventory")
                    .arg(fleet.path("inventory.csv"))
                    .arg("--out")
                    .arg(fleet.path("out"))
                    .args([flag, value]);
                cmd
            },
            20,
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{flag} {value}: must be {range}")),
            "{flag} {value}: {err}"
        );
        assert!(!fleet.path("out").exists(), "{flag} {value}");
    }
    // The same bounds in the config file, named as written there.
    let config = fleet.path("blockscope.toml");
    for (line, says) in [
        ("threads = 100000", "threads = 100000 in"),
        ("days = -1", "days = -1 in"),
        ("history_days = 4294967295", "history_days = 4294967295 in"),
        ("keep = 5000", "keep = 5000 in"),
        ("ipv4_prefix = 300", "ipv4_prefix = 300 in"),
    ] {
        fs::write(
            &config,
            format!("logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\n{line}\n"),
        )
        .unwrap();
        let out = output_within(
            {
                let mut cmd = blockscope();
                cmd.args(["check-config", "--config"]).arg(&config);
                cmd
            },
            20,
        );
        assert_eq!(out.status.code(), Some(2), "{line}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(says) && err.contains("must be between"),
            "{line}: {err}"
        );
    }
}

/// `--threads 100000` used to spawn threads for minutes (`run`) or panic (`explain`): every
/// command with `--threads` now stops at once.
#[test]
fn too_many_threads_stop_every_command_at_once() {
    let fleet = Fleet::one_s3140();
    let logs = fleet.path("logs");
    let inventory = fleet.path("inventory.csv");
    let commands: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["run".into(), "--out".into(), fleet.path("out").into()],
        vec!["explain".into(), A.into()],
        vec!["attest".into()],
        vec![
            "ingest".into(),
            "--out".into(),
            fleet.path("p.parquet").into(),
        ],
    ];
    for args in commands {
        let mut cmd = blockscope();
        cmd.args(&args)
            .arg("--logs")
            .arg(&logs)
            .arg("--inventory")
            .arg(&inventory)
            .args(["--threads", "100000"]);
        let started = std::time::Instant::now();
        let out = output_within(cmd, 20);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--threads 100000: must be between 1 and 1024"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{args:?}");
    }
    // The bound itself works.
    ok(&fleet.run(1024));
}

/// `report` (merging partials) checks the same flags as `run`.
#[test]
fn report_checks_its_flags_like_run() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.ingest("p.parquet"));
    for (args, says) in [
        (
            vec!["--ipv4-prefix", "0"],
            "--ipv4-prefix 0: must be between 8 and 32",
        ),
        (
            vec!["--keep", "1001"],
            "--keep 1001: must be between 0 and 1000",
        ),
        (vec!["--delist-contact", "@"], "--delist-contact \"@\""),
    ] {
        let out = blockscope()
            .args(["report", "--partials"])
            .arg(fleet.path("p.parquet"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path("out"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!fleet.path("out").exists());
    }
}

// ---------------------------------------------------------------------------------------------
// --out placement

/// `--out` a symlink: the lock, the staging directory and the archive belong to the directory it
/// points to, and the symlink stays a symlink.
#[test]
fn an_out_symlink_is_resolved_once() {
    let fleet = Fleet::one_s3140();
    fs::create_dir_all(fleet.path("data/reports")).unwrap();
    std::os::unix::fs::symlink(fleet.path("data/reports"), fleet.path("out")).unwrap();
    for _ in 0..2 {
        ok(&fleet.run_args(&["--threads", "1", "--keep", "1"]));
    }
    assert!(fs::symlink_metadata(fleet.path("out"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fleet.path("data/reports/summary/ips.csv").is_file());
    assert!(fleet.path("data/reports.lock").is_file());
    // --keep 1: the newest previous set (the first run archived the empty directory).
    let archived: Vec<PathBuf> = fs::read_dir(fleet.path("data/reports.archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert!(archived[0].join("summary/ips.csv").is_file());
    assert!(!fleet.path("out.lock").exists() && !fleet.path("out.archive").exists());
    // One lock: a run through the real path excludes a run through the symlink.
    let lock = fs::File::open(fleet.path("data/reports.lock")).unwrap();
    lock.lock().unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    lock.unlock().unwrap();
}

#[test]
fn out_inside_logs_is_refused() {
    let fleet = Fleet::one_s3140();
    for out_dir in ["logs/reports", "logs/vps-a/reports", "logs"] {
        let out = fleet.run_into(out_dir, &["--threads", "1"]);
        assert_eq!(out.status.code(), Some(2), "{out_dir}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("inside --logs"),
            "{out_dir}: {}",
            stderr(&out)
        );
        assert!(!fleet.path(out_dir).join("summary").exists());
        assert!(
            !fleet.path(&format!("{out_dir}.lock")).exists(),
            "{out_dir}"
        );
    }
    // Through a symlink too.
    std::os::unix::fs::symlink(fleet.path("logs/vps-a"), fleet.path("alias")).unwrap();
    let out = fleet.run_into("alias/reports", &["--threads", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// check-config and --delist-contact

#[test]
fn check_config_reports_a_truncated_state() {
    let fleet = fleet_with_state();
    let state = fleet.path("state");
    let check = || fleet.check_config(&["--state", state.to_str().unwrap()]);
    let out = check();
    ok(&out);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.contains("state") && said.contains("1 tracked (IP, rule) entries"),
        "{said}"
    );
    let json = fs::read_to_string(fleet.path("state/state.json")).unwrap();
    fs::write(fleet.path("state/state.json"), &json[..json.len() / 2]).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("state.json") && err.contains("--rebuild-state"),
        "{err}"
    );
    // A corrupt day file is found too.
    fs::write(fleet.path("state/state.json"), &json).unwrap();
    fs::write(day_file(&fleet), b"not gzip").unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--rebuild-state"), "{}", stderr(&out));
}

#[test]
fn delist_contact_must_be_a_mail_address() {
    let fleet = Fleet::one_s3140();
    for bad in [
        "@",
        "abuse@",
        "@provider.example",
        "a@b@provider.example",
        "abuse@provider",
        "abuse@provider..example",
        "<abuse@provider.example>",
        "abuse@provider.example\n",
        "\"x\"@provider.example",
    ] {
        let out = fleet.run_args(&["--threads", "1", "--delist-contact", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("--delist-contact"), "{bad:?}");
    }
    ok(&fleet.run_args(&[
        "--threads",
        "1",
        "--delist-contact",
        "abuse+delist@mail.provider.example",
    ]));
}

/// Two runs sharing one `--state` (each with its own `--out`) would each save a next state from
/// the same previous one; the second stops at once instead (exit 4), naming the state.
#[test]
fn a_second_run_on_the_same_state_stops_at_once() {
    let fleet = Fleet::one_s3140();
    let state = fleet.path("state");
    ok(&fleet.run_args(&["--threads", "1", "--state", state.to_str().unwrap()]));
    let lock = fs::File::open(fleet.path("state.lock")).unwrap();
    lock.lock().unwrap();
    let other = fleet.path("other-out");
    let out = fleet.run_into(
        "other-out",
        &["--threads", "1", "--state", state.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("state.lock is held"),
        "{}",
        stderr(&out)
    );
    assert!(!other.exists(), "nothing written");
    lock.unlock().unwrap();
}
