//! Distinct unclassified reply texts are capped per file and per run (issue 16, "Memory"): the
//! replies past the caps are counted, not stored, and said so in input-problems.csv, summary.md
//! and the run summary. docs/performance.md has the memory measured on the inputs.

use super::*;

/// A real Postfix bounce line with a letters-only reply no rule matches (consonants only, like
/// scripts/gen-unclassified-flood.py), distinct for every `n`.
fn unclassified_bounce(n: usize) -> String {
    const LETTERS: &[u8] = b"bcdfghjklmnpqrstvwxz";
    let word = |mut v: usize| {
        let mut w = String::new();
        for _ in 0..4 {
            w.push(LETTERS[v % LETTERS.len()] as char);
            v /= LETTERS.len();
        }
        w
    };
    let text = format!("{} {} {}", word(n), word(n * 7 + 3), word(n / 3 + 11));
    NO_IP_DEFERRAL
        .replace("8192A3B4C5", &format!("{:010X}", 0x10_0000_0000_usize + n))
        .replace("Server configuration problem", &format!("qwrt {text}"))
}

fn bounces(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(unclassified_bounce).collect()
}

fn log(fleet: &Fleet, rel: &str, lines: &[String]) {
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log(rel, &refs, NOV_23_2026);
}

#[test]
fn distinct_unclassified_texts_are_capped_per_file_and_per_run_and_counted() {
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-b,192.0.2.11\n"
    ));
    // 1,500 distinct texts in one file (cap 1,000), then 5 files of 1,000: 6,000 kept by the
    // files, 5,000 by the run.
    log(&fleet, "vps-a/mail.log", &bounces(0..1_500));
    for k in 1..=5 {
        let start = 1_000 * (k + 1);
        log(
            &fleet,
            &format!("vps-b/mail.log.{k}"),
            &bounces(start..start + 1_000),
        );
    }
    let mut reports = Vec::new();
    for threads in [1, 2] {
        let out = fleet.run(threads);
        assert_eq!(out.status.code(), Some(3), "the caps are input problems");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains("unclassified replies not kept for unclassified.csv: 1500 (500 past 1000 distinct texts in a file, 1000 past 5000 in the run)"),
            "{stderr}"
        );
        let tree = tree_contents(&fleet.path("out"));
        reports.push(tree);
    }
    assert_eq!(reports[0], reports[1], "the caps do not depend on threads");

    let problems = fleet.csv("summary/input-problems.csv");
    let reasons: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p["file"].as_str(), p["reason"].as_str()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:#?}");
    assert!(reasons.contains(&(
        "vps-a/mail.log",
        "500 unclassified repl(ies) counted but not kept for unclassified.csv: the file has more than 1000 distinct unclassified reply texts (per receiver, code and day)"
    )), "{reasons:#?}");
    assert!(reasons.contains(&(
        "(all log files)",
        "1000 unclassified repl(ies) counted but not kept for unclassified.csv: the logs have more than 5000 distinct unclassified reply texts (per receiver, code and day)"
    )), "{reasons:#?}");

    // Every reply still counts; the report shows the 500 most frequent of those kept.
    let summary = fleet.text("summary/summary.md");
    assert!(summary.contains("| 6 | "), "six files");
    assert!(
        summary.contains("| 6500 | 0 | 0 |"),
        "6,500 deferrals counted: {summary}"
    );
    assert!(
        summary.contains(
            "Unclassified: unclassified replies not kept for unclassified.csv: 1500 (500 past 1000"
        ),
        "{summary}"
    );
    let unclassified = fleet.csv("summary/unclassified.csv");
    assert_eq!(unclassified.len(), 500);
    assert!(unclassified.iter().all(|r| r["events"] == "1"));
}

#[test]
fn a_file_under_the_cap_keeps_every_text() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
    let mut lines = bounces(0..1_000);
    lines.extend(bounces(0..10)); // repeats are not new texts
    log(&fleet, "vps-a/mail.log", &lines);
    ok(&fleet.run(1));
    let summary = fleet.text("summary/summary.md");
    assert!(
        !summary.contains("not kept for unclassified.csv"),
        "{summary}"
    );
    let unclassified = fleet.csv("summary/unclassified.csv");
    assert_eq!(
        unclassified.iter().filter(|r| r["events"] == "2").count(),
        10
    );
}
