//! summary.html's trend charts: blocked IPs and rejections per day, per affected subnet and for
//! the provider, over the history the state keeps (else the days in the logs). The numbers are
//! read from each day's data attributes, never from pixels.

use super::*;

/// (date, blocked IPs, rejections) per day of one chart.
type Days = Vec<(String, u64, u64)>;

/// The chart whose figure carries `scope` (`data-scope="provider"`, `data-subnet="…"`).
fn chart(html: &str, scope: &str) -> Days {
    let open = format!("<figure class=\"trend\" {scope}>");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no chart {scope} in summary.html"));
    let figure = &html[start..start + html[start..].find("</figure>").unwrap()];
    let attr = |g: &str, name: &str| -> String {
        let from = g.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        g[from..from + g[from..].find('"').unwrap()].to_string()
    };
    figure
        .split("<g class=\"day\" ")
        .skip(1)
        .map(|g| {
            (
                attr(g, "data-date"),
                attr(g, "data-blocked-ips").parse().unwrap(),
                attr(g, "data-rejections").parse().unwrap(),
            )
        })
        .collect()
}

fn provider(html: &str) -> Days {
    chart(html, "data-scope=\"provider\"")
}

fn subnet(html: &str, net: &str) -> Days {
    chart(html, &format!("data-subnet=\"{net}\""))
}

fn days(expected: &[(&str, u64, u64)]) -> Days {
    expected
        .iter()
        .map(|(d, b, r)| (d.to_string(), *b, *r))
        .collect()
}

fn summary(dir: &Path) -> String {
    fs::read_to_string(dir.join("summary/summary.html")).unwrap()
}

/// `line` (a real line stamped `Nov  2 HH:MM:SS` or `Nov 02 …`) moved to 2026-11-`day` at `time`,
/// with queue id `id` (so no two lines are one delivery).
fn on(line: &str, day: u32, time: &str, id: &str) -> String {
    let (stamp, rest) = line.split_at(15);
    assert!(stamp.starts_with("Nov "), "{line}");
    let queue = rest.split_whitespace().nth(2).unwrap();
    format!(
        "Nov {day:>2} {time}{}",
        rest.replacen(queue, &format!("{id}:"), 1)
    )
}

/// Unix seconds of 2026-11-`day` 23:59 UTC (log mtimes: the year of their lines).
fn nov(day: i64) -> i64 {
    NOV_23_2026 + (day - 23) * 86_400 + 86_340
}

/// Three customers' logs over 2026-11-15..18: .7 blocked on the 15th (twice) and 17th (three
/// times), .8 on the 17th, 203.0.113.25 on the 16th; a throttle (not a block) on the 16th and
/// an unknown user (not about the IP) on the 18th, the last day with data.
fn four_days() -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let a = [
        on(S3140_RFC3164, 15, "10:00:01", "A1501"),
        on(S3140_RFC3164, 15, "11:00:01", "A1502"),
        on(THROTTLE_4_7_650, 16, "09:00:00", "A1601"),
        on(S3140_RFC3164, 17, "10:00:01", "A1701"),
        on(S3140_RFC3164, 17, "10:30:01", "A1702"),
        on(S3140_RFC3164, 17, "11:00:01", "A1703"),
        on(USER_UNKNOWN, 18, "08:00:00", "A1801"),
    ];
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &a, nov(18));
    let b = S3140_MAILLOG_FILE.replace("Nov 02 ", "Nov 17 ");
    fleet.log("vps-b/maillog", &[&b], nov(18));
    let e = on(O365_5_7_606, 16, "10:05:00", "E1601");
    fleet.log("vps-e/mail.log", &[&e], nov(18));
    fleet
}

#[test]
fn charts_count_blocked_ips_and_rejections_per_day_and_subnet() {
    let fleet = four_days();
    ok(&fleet.run(2));
    let html = summary(&fleet.path("out"));
    // Days without a block (the 16th in the /24, the 18th everywhere) are drawn as zero.
    assert_eq!(
        subnet(&html, "198.51.100.0/24"),
        days(&[
            ("2026-11-15", 1, 2),
            ("2026-11-16", 0, 0),
            ("2026-11-17", 2, 4),
            ("2026-11-18", 0, 0),
        ])
    );
    assert_eq!(
        subnet(&html, "203.0.113.0/24"),
        days(&[
            ("2026-11-15", 0, 0),
            ("2026-11-16", 1, 1),
            ("2026-11-17", 0, 0),
            ("2026-11-18", 0, 0),
        ])
    );
    // The provider's line is the sum over the subnets.
    assert_eq!(
        provider(&html),
        days(&[
            ("2026-11-15", 1, 2),
            ("2026-11-16", 1, 1),
            ("2026-11-17", 2, 4),
            ("2026-11-18", 0, 0),
        ])
    );
    // It reads without the picture: the caption says the range and the first and last day.
    assert!(
        html.contains(
            "Blocked IPs per day, 2026-11-15 to 2026-11-18: 1 → 0 (peak 2 on 2026-11-17)"
        ),
        "{html}"
    );
    assert!(html.contains("fading: none on the last day"));
    // Self-contained: no script and no external reference inside the charts.
    for figure in html.split("<figure class=\"trend\"").skip(1) {
        let figure = &figure[..figure.find("</figure>").unwrap()];
        assert!(!figure.contains("<script") && !figure.contains("href"));
        assert!(figure.contains("role=\"img\" aria-label=\""));
    }
}

#[test]
fn a_single_day_is_still_a_chart() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let html = summary(&fleet.path("out"));
    assert_eq!(provider(&html), days(&[("2026-11-02", 1, 1)]));
    assert_eq!(
        subnet(&html, "198.51.100.0/24"),
        days(&[("2026-11-02", 1, 1)])
    );
    assert!(html.contains("Blocked IPs on 2026-11-02, the only day with data: 1. Rejections: 1"));
}

#[test]
fn report_from_partials_draws_the_charts_run_draws() {
    let fleet = four_days();
    ok(&fleet.run(1));
    ok(&fleet.ingest("partials/all.parquet"));
    let out = blockscope()
        .args(["report", "-q", "--partials"])
        .arg(fleet.path("partials"))
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--out")
        .arg(fleet.path("split"))
        .output()
        .unwrap();
    ok(&out);
    let (run, report) = (summary(&fleet.path("out")), summary(&fleet.path("split")));
    assert_eq!(provider(&report), provider(&run));
    assert_eq!(provider(&run).len(), 4);
    assert_eq!(
        subnet(&report, "198.51.100.0/24"),
        subnet(&run, "198.51.100.0/24")
    );
    assert_eq!(run, report);
}

fn run_with_state(fleet: &Fleet) -> Output {
    let state = fleet.path("state");
    fleet.run_args(&["--threads", "1", "--state", state.to_str().unwrap()])
}

/// Night 1 reads the 15th and the morning of the 16th; night 2 only what came after (the rest
/// of the 16th, the 17th), yet its chart spans both nights' days, the 16th counted whole.
#[test]
fn with_a_state_the_chart_spans_the_history_not_only_tonight() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let log = fleet.path("logs/vps-a/mail.log");
    let night1 = [
        on(S3140_RFC3164, 15, "10:00:01", "A1501"),
        on(S3140_RFC3164, 15, "11:00:01", "A1502"),
        on(S3140_RFC3164, 16, "09:00:01", "A1601"),
    ];
    let a: Vec<&str> = night1.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &a, nov(16) - 43_000);
    ok(&run_with_state(&fleet));
    let first = provider(&summary(&fleet.path("out")));
    assert_eq!(first, days(&[("2026-11-15", 1, 2), ("2026-11-16", 1, 1)]));

    // The 16th's evening: the same address again and a second customer's; nothing on the 17th
    // but a delivery that was not blocked (a day with data, drawn as zero).
    let b = S3140_MAILLOG_FILE.replace("Nov 02 10:00:02", "Nov 16 20:00:02");
    fleet.log("vps-b/maillog", &[&b], nov(17));
    append(
        &log,
        &[
            on(S3140_RFC3164, 16, "19:00:01", "A1602"),
            on(USER_UNKNOWN, 17, "08:00:00", "A1701"),
        ],
        nov(17),
    );
    ok(&run_with_state(&fleet));
    let html = summary(&fleet.path("out"));
    let second = days(&[
        ("2026-11-15", 1, 2),
        ("2026-11-16", 2, 3),
        ("2026-11-17", 0, 0),
    ]);
    assert_eq!(provider(&html), second);
    assert_eq!(subnet(&html, "198.51.100.0/24"), second);
    let state = fs::read_to_string(fleet.path("state/state.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(
        json["trend"]["2026-11-16"]["198.51.100.0/24"],
        serde_json::json!([2, 3])
    );
    assert_eq!(json["trend"]["2026-11-17"], serde_json::json!({}));

    // A night with no new line keeps the history on the chart.
    ok(&run_with_state(&fleet));
    assert_eq!(provider(&summary(&fleet.path("out"))), second);

    // A state written before trends were kept: its stored days are counted from their day files.
    let mut json = json;
    json.as_object_mut().unwrap().remove("trend");
    fs::write(fleet.path("state/state.json"), json.to_string()).unwrap();
    append(&log, &[on(S3140_RFC3164, 18, "10:00:01", "A1801")], nov(18));
    ok(&run_with_state(&fleet));
    let mut upgraded = second.clone();
    upgraded.push(("2026-11-18".into(), 1, 1));
    assert_eq!(provider(&summary(&fleet.path("out"))), upgraded);
}

/// The chart keeps the history the state keeps: days past `--history-days` leave it.
#[test]
fn the_chart_ends_at_the_history_horizon() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let lines: Vec<String> = (10..=14)
        .map(|d| on(S3140_RFC3164, d, "10:00:01", &format!("A{d}01")))
        .collect();
    let a: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &a, nov(14));
    let state = fleet.path("state");
    let run = |extra: &[&str]| {
        let mut args = vec!["--threads", "1", "--state", state.to_str().unwrap()];
        args.extend_from_slice(extra);
        fleet.run_args(&args)
    };
    ok(&run(&["--history-days", "3"]));
    let html = summary(&fleet.path("out"));
    assert_eq!(
        provider(&html),
        days(&[
            ("2026-11-12", 1, 1),
            ("2026-11-13", 1, 1),
            ("2026-11-14", 1, 1),
        ])
    );
}
