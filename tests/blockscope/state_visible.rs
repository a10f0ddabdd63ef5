//! Issue 18, state: `new` / `ongoing for N days (since DATE)` / `resolved on DATE` are visible
//! in summary.md and summary.html (the notices' wording is in `notices.rs`), and a resolved row
//! is history: never counted as blocked tonight.

use super::*;

/// An Office 365 ban of 203.0.113.25 (vps-e, customer c5) on 2026-11-`day`.
fn banned(day: u32) -> String {
    O365_5_7_606
        .replace("Nov  2 10:05:00", &format!("Nov {day:>2} 10:05:00"))
        .replace("1A2B3C4D5E", &format!("1A2B{day:02}"))
}

struct Nights {
    fleet: Fleet,
    log: PathBuf,
}

impl Nights {
    fn new() -> Nights {
        let fleet = Fleet::new(&neighbourhood_inventory());
        let log = fleet.path("logs/vps-e/mail.log");
        fs::create_dir_all(log.parent().unwrap()).unwrap();
        Nights { fleet, log }
    }

    /// Append `lines` (dated `day`) and run with the state; summary.md and summary.html.
    /// summary.md, summary.html and the run summary on stderr.
    fn night(&self, day: u32, lines: &[String]) -> (String, String, String) {
        append(
            &self.log,
            lines,
            NOV_23_2026 + (i64::from(day) - 23) * 86_400,
        );
        let state = self.fleet.path("state");
        let out = self
            .fleet
            .run_args(&["--threads", "1", "--state", state.to_str().unwrap()]);
        ok(&out);
        let read = |f: &str| fs::read_to_string(self.fleet.path("out/summary").join(f)).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (read("summary.md"), read("summary.html"), stderr)
    }
}

fn line<'a>(md: &'a str, start: &str) -> &'a str {
    md.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start:?} in:\n{md}"))
}

#[test]
fn summaries_say_new_then_ongoing_since_then_resolved_on() {
    let nights = Nights::new();
    let (md, html, _) = nights.night(20, &[banned(20)]);
    assert!(line(&md, "| IP | Customer | VPS |").ends_with("| Subnet verdict | Status |"));
    assert!(
        line(&md, "| 203.0.113.25 |").ends_with("| single_ip | new |"),
        "{md}"
    );
    assert!(md.contains("- Since the last run: **1** new, **0** ongoing, **0** resolved"));
    assert!(html.contains(">Status<"), "no Status column");
    assert!(html.contains(">new<"), "{html}");
    let office365 = || fs::read_to_string(nights.fleet.path("out/delist/office365.csv")).unwrap();
    assert!(
        office365().contains("203.0.113.25"),
        "asked for while blocked"
    );

    let (md, html, _) = nights.night(22, &[banned(22)]);
    let row = line(&md, "| 203.0.113.25 |");
    assert!(
        row.ends_with("| ongoing for 3 days (since 2026-11-20) |"),
        "{row}"
    );
    assert!(html.contains("ongoing for 3 days (since 2026-11-20)"));

    let sent = SENT_GMAIL
        .replace("Nov  2 10:11:00", "Nov 23 10:11:00")
        .replace("web1", "shop");
    let (md, html, stderr) = nights.night(23, &[sent]);
    assert!(stderr.contains("verdicts: 0 blocked IPs"), "{stderr}");
    // Gone tonight: listed as resolved, counted nowhere as blocked.
    assert!(
        md.contains("- **0** blocked IP(s) of **0** customer(s)"),
        "{md}"
    );
    assert!(md.contains("- Since the last run: **0** new, **0** ongoing, **1** resolved"));
    let resolved = md.split("## Resolved since the last run").nth(1).unwrap();
    let row = line(resolved, "| 203.0.113.25 |");
    assert!(
        row.contains("| ms-o365-banned-ip | 2026-11-22T10:05:00Z | resolved on 2026-11-23 |"),
        "{row}"
    );
    let blocked = md
        .split("## Blocked IPs by platform")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(blocked.contains("None."), "{blocked}");
    assert!(
        html.contains("id=\"resolved\""),
        "no resolved section in the HTML"
    );
    assert!(html.contains("resolved on 2026-11-23"));
    // Nothing to delist any more: the pack no longer asks for it.
    assert!(!office365().contains("203.0.113.25"), "{}", office365());
}

/// Without `--state` nothing is new, ongoing or resolved: no Status column, no resolved section.
#[test]
fn without_state_the_summaries_claim_no_history() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-e/mail.log", &[O365_5_7_606], NOV_23_2026);
    ok(&fleet.run(1));
    let md = fleet.text("summary/summary.md");
    let html = fleet.text("summary/summary.html");
    assert!(line(&md, "| IP | Customer | VPS |").ends_with("| Subnet verdict |"));
    for text in ["Since the last run", "Resolved since the last run"] {
        assert!(!md.contains(text), "{text}");
    }
    assert!(!html.contains("id=\"resolved\""));
}
