//! Delisting cases (issue 22): requests recorded with `case open|answer|import`, followed by
//! every nightly run (still blocked, next action), closed after quiet nights, reopened when the
//! range is blocked again; the pack does not ask again for what an open case holds.

use super::*;

/// Unix seconds of 2026-11-`day` 00:00 UTC.
fn nov(day: i64) -> i64 {
    NOV_23_2026 + (day - 23) * 86_400
}

/// An S3140 bounce for 198.51.100.7 (vps-a) on 2026-11-`day` at 10:00.
fn blocked(day: u32) -> String {
    S3140_RFC3164
        .replace("Nov  2 10:00:01", &format!("Nov {day:>2} 10:00:01"))
        .replace("6BAB0300C9CD", &format!("6BAB{day:02}00"))
}

/// A message from 198.51.100.7 delivered to Outlook.com on 2026-11-`day` at 11:00.
fn delivered(day: u32) -> String {
    format!("Nov {day:>2} 11:00:00 web1 postfix/smtp[19793]: 7C0{day:02}: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=2.0.0, status=sent (250 2.6.0 <x@web1> Queued mail for delivery)")
}

/// `blockscope case ARGS --state <fleet>/state`.
fn case(fleet: &Fleet, args: &[&str]) -> Output {
    blockscope()
        .arg("case")
        .args(args)
        .arg("--state")
        .arg(fleet.path("state"))
        .output()
        .unwrap()
}

/// One night: `lines` appended to vps-a's log, then the nightly run with the state.
fn night(fleet: &Fleet, day: u32, lines: &[String]) -> BTreeMap<String, String> {
    append(
        &fleet.path("logs/vps-a/mail.log"),
        lines,
        nov(i64::from(day)) + 12 * 3600,
    );
    let state = fleet.path("state");
    ok(&fleet.run_args(&[
        "-q",
        "--threads",
        "1",
        "--state",
        state.to_str().unwrap(),
        "--case-quiet-nights",
        "3",
    ]));
    let rows = fleet.csv("summary/cases.csv");
    assert_eq!(rows.len(), 1, "one case on night {day}: {rows:?}");
    rows[0].clone()
}

/// `case open RANGE --receiver outlook.com --ticket TICKET --date DATE`, which must succeed.
fn open_outlook(fleet: &Fleet, range: &str, ticket: &str, date: &str) {
    ok(&case(
        fleet,
        &[
            "open",
            range,
            "--receiver",
            "outlook.com",
            "--ticket",
            ticket,
            "--date",
            date,
        ],
    ));
}

fn fleet() -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fs::create_dir_all(fleet.path("logs/vps-a")).unwrap();
    fleet
}

#[test]
fn a_week_of_nights_follows_a_mitigated_case_until_it_closes() {
    let fleet = fleet();
    open_outlook(&fleet, "198.51.100.0/24", "SRX1234567890ID", "2026-11-02");
    let mut seen = Vec::new();
    for day in 2..=8u32 {
        if day == 3 {
            ok(&case(
                &fleet,
                &[
                    "answer",
                    "SRX1234567890ID",
                    "--result",
                    "mitigated",
                    "--date",
                    "2026-11-03",
                ],
            ));
        }
        // Blocked until two days after "mitigated", then delivered.
        let line = if day <= 5 {
            blocked(day)
        } else {
            delivered(day)
        };
        let row = night(&fleet, day, &[line]);
        if day == 2 {
            let pack = fleet.text("delist/outlook-com.txt");
            assert!(
                pack.contains("Already requested in case C1: 198.51.100.0/24 at Outlook.com, submitted 2026-11-02, no answer yet.")
                    && pack.contains("Do not resubmit these 1 address(es)")
                    && !pack.contains("Outbound IP(s) or range(s):"),
                "{pack}"
            );
        }
        if day == 4 {
            // The customer hears of the request: dates and Microsoft's answer, no ticket.
            let notice = fleet.text("customers/c1.md");
            assert!(
                notice.contains("We asked the receiver to lift the block on 2026-11-02. On 2026-11-03 it answered that the block is being removed: that takes up to 48 hours, so it should be lifted by the end of 2026-11-05.")
                    && !notice.contains("SRX"),
                "{notice}"
            );
        }
        seen.push((
            row["next_action"].clone(),
            row["still_blocked"].clone(),
            row["quiet_nights"].clone(),
        ));
    }
    let expected = [
        ("await-answer", "true", "0"),
        ("await-mitigation", "true", "0"),
        ("await-mitigation", "true", "0"),
        ("await-mitigation", "true", "0"),
        ("watch", "false", "1"),
        ("watch", "false", "2"),
        ("closed", "false", "3"),
    ];
    let seen: Vec<(&str, &str, &str)> = seen
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(seen, expected);
    let row = &fleet.csv("summary/cases.csv")[0];
    assert_eq!(row["last_result"], "mitigated");
    assert_eq!(row["result_date"], "2026-11-03");
    assert_eq!(row["last_block_seen"], "2026-11-05T10:00:01Z");
    assert_eq!(row["status"], "closed");
    let list = String::from_utf8(case(&fleet, &["list", "--all"]).stdout).unwrap();
    assert!(
        list.contains("submitted 2026-11-02 → mitigated 2026-11-03 → closed 2026-11-08 (quiet)"),
        "{list}"
    );
    let md = fleet.text("summary/summary.md");
    assert!(md.contains("## Delisting cases"), "{md}");
    // The trend chart marks the day of the submission and of the answer.
    let html = fleet.text("summary/summary.html");
    for (date, what) in [
        ("2026-11-02", "C1 submitted to outlook.com"),
        ("2026-11-03", "C1 mitigated"),
    ] {
        assert!(
            html.contains(&format!(
                "<g class=\"case-mark\" data-date=\"{date}\"><title>{date}: {what}</title>"
            )),
            "{date}"
        );
    }
}

#[test]
fn a_case_change_is_refused_while_the_nightly_run_holds_the_state() {
    let fleet = fleet();
    fs::create_dir_all(fleet.path("state")).unwrap();
    // What a running `run --state` holds: `<state>.lock`.
    let lock = fs::File::create(fleet.path("state.lock")).unwrap();
    lock.lock().unwrap();
    let out = case(
        &fleet,
        &["open", "198.51.100.0/24", "--receiver", "outlook.com"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lock"));
    assert!(!fleet.path("state/cases.json").exists());
    drop(lock);
    ok(&case(
        &fleet,
        &["open", "198.51.100.0/24", "--receiver", "outlook.com"],
    ));
}

/// The published "Not qualified for mitigation" answer (tests/fixtures/cases/SOURCES.md), its
/// filled-in Date header moved to the night of the test.
#[test]
fn a_not_qualified_reply_mail_gives_the_escalation_action() {
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,203.0.113.245\n"
    ));
    fs::create_dir_all(fleet.path("logs/vps-a")).unwrap();
    let mail = fs::read_to_string("tests/fixtures/cases/outlook-not-qualified.eml")
        .unwrap()
        .replace(
            "Date: Mon, 11 Oct 2021 08:00:00 +0000",
            "Date: Tue, 03 Nov 2026 08:00:00 +0000",
        );
    fs::write(fleet.path("answer.eml"), mail).unwrap();
    ok(&case(
        &fleet,
        &[
            "open",
            "203.0.113.240/28",
            "--receiver",
            "outlook.com",
            "--date",
            "2026-11-02",
        ],
    ));
    let out = case(
        &fleet,
        &["import", fleet.path("answer.eml").to_str().unwrap()],
    );
    ok(&out);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("C1 (203.0.113.240/28 at outlook.com, ticket SRX0000000003ID): not qualified for mitigation on 2026-11-03"),
        "{said}"
    );
    // Imported twice: recorded once.
    let again = case(
        &fleet,
        &["import", fleet.path("answer.eml").to_str().unwrap()],
    );
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stdout).contains("is already recorded on C1"));
    let line = blocked(3).replace("198.51.100.7", "203.0.113.245");
    let row = night(&fleet, 3, &[line]);
    assert_eq!(row["last_result"], "not-qualified");
    assert_eq!(row["ticket"], "SRX0000000003ID");
    assert_eq!(row["next_action"], "reply-on-ticket");
    assert!(
        row["next_step"].contains("reply on ticket SRX0000000003ID to reach a person"),
        "{row:?}"
    );
}

#[test]
fn a_range_blocked_again_after_its_case_closed_reopens_as_a_linked_recurrence() {
    let fleet = fleet();
    open_outlook(&fleet, "198.51.100.0/24", "SRX1111111111ID", "2026-11-01");
    ok(&case(
        &fleet,
        &["answer", "C1", "--result", "closed", "--date", "2026-11-02"],
    ));
    // Closed: no answer is taken any more.
    let out = case(&fleet, &["answer", "C1", "--result", "mitigated"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("C1 was closed on 2026-11-02"));
    append(
        &fleet.path("logs/vps-a/mail.log"),
        &[blocked(4)],
        nov(4) + 12 * 3600,
    );
    let state = fleet.path("state");
    let metrics = fleet.path("blockscope.prom");
    ok(&fleet.run_args(&[
        "-q",
        "--state",
        state.to_str().unwrap(),
        "--metrics",
        metrics.to_str().unwrap(),
    ]));
    let prom = fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.contains("blockscope_delisting_cases{next_action=\"submit\"} 1")
            && prom.contains("blockscope_delisting_cases{next_action=\"closed\"} 1"),
        "{prom}"
    );
    let rows = fleet.csv("summary/cases.csv");
    let pairs: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["case_id"].as_str(),
                r["status"].as_str(),
                r["next_action"].as_str(),
                r["previous_case"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("C1", "closed", "closed", ""),
            ("C2", "recurrence", "submit", "C1")
        ]
    );
    assert_eq!(rows[1]["opened"], "2026-11-04");
    assert!(rows[1]["next_step"].contains("Blocked again since 2026-11-04 after C1 closed"));
    // Nothing is open at Microsoft for the recurrence yet: the pack asks again.
    let pack = fleet.text("delist/outlook-com.txt");
    assert!(
        pack.contains("Outbound IP(s) or range(s):\n198.51.100.7\n"),
        "{pack}"
    );
    assert!(!pack.contains("Already requested"), "{pack}");
    // Submitting it marks the recurrence submitted instead of opening a third case.
    let out = case(
        &fleet,
        &[
            "open",
            "198.51.100.7",
            "--receiver",
            "outlook.com",
            "--ticket",
            "SRX2222222222ID",
            "--date",
            "2026-11-05",
        ],
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("C2 submitted: 198.51.100.7 at outlook.com on 2026-11-05 (recurrence of C1)"));
    let list = String::from_utf8(case(&fleet, &["list", "--format", "csv"]).stdout).unwrap();
    assert!(
        list.contains("C2,198.51.100.7,outlook.com,SRX2222222222ID,2026-11-05,,,open,"),
        "{list}"
    );
}

#[test]
fn a_reply_mail_that_matches_no_case_is_named_and_nothing_is_recorded() {
    let fleet = fleet();
    ok(&case(
        &fleet,
        &["open", "198.51.100.0/24", "--receiver", "outlook.com"],
    ));
    let before = fs::read(fleet.path("state/cases.json")).unwrap();
    let eml = "tests/fixtures/cases/outlook-escalated.eml";
    let out = case(&fleet, &["import", eml]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outlook-escalated.eml: matches no open case (ticket SRX0000000008ID; addresses 203.0.113.10/32)"),
        "{err}"
    );
    assert_eq!(fs::read(fleet.path("state/cases.json")).unwrap(), before);
    // Named explicitly, it is taken.
    let out = case(&fleet, &["import", eml, "--case", "C1"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("escalated to a person on 2021-10-20"));
    // Not a mail at all.
    fs::write(fleet.path("empty.eml"), "").unwrap();
    let out = case(
        &fleet,
        &["import", fleet.path("empty.eml").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.eml: not a mail"));
}

#[test]
fn case_flags_are_checked_before_anything_is_written() {
    let fleet = fleet();
    let refused = |args: &[&str], says: &str| {
        let out = case(&fleet, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["open", "198.51.100.0/24", "--receiver", "hotmail"],
        "--receiver \"hotmail\": not a receiver blockscope knows",
    );
    refused(
        &["open", "198.51.100.300", "--receiver", "outlook.com"],
        "is not an IP address or CIDR",
    );
    refused(
        &[
            "open",
            "198.51.100.0/24; 198.51.100.7",
            "--receiver",
            "outlook.com",
        ],
        "overlaps another range of the list",
    );
    refused(
        &[
            "open",
            "198.51.100.0/24",
            "--receiver",
            "outlook.com",
            "--date",
            "2099-01-01",
        ],
        "is in the future",
    );
    refused(
        &[
            "open",
            "198.51.100.0/24",
            "--receiver",
            "outlook.com",
            "--ticket",
            "SRX 1",
        ],
        "a ticket number is 1 to 64",
    );
    refused(&["answer", "C9", "--result", "mitigated"], "no case \"C9\"");
    assert!(!fleet.path("state/cases.json").exists());
    // The form's own list, as pasted into "Outbound IP(s) or range(s)".
    let out = case(
        &fleet,
        &[
            "open",
            "203.0.113.10; 198.51.100.0/28",
            "--receiver",
            "outlook.com",
        ],
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("C1 opened: 198.51.100.0/28; 203.0.113.10 at outlook.com on "));
    refused(
        &["open", "198.51.100.7", "--receiver", "outlook.com"],
        "198.51.100.7 already has open case C1 (ticket none yet)",
    );
    let out = blockscope().args(["case", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state DIR is required"));
}

#[test]
fn a_corrupt_cases_file_stops_the_run_and_check_config_before_any_work() {
    let fleet = Fleet::one_s3140();
    fs::create_dir_all(fleet.path("state")).unwrap();
    fs::write(
        fleet.path("state/cases.json"),
        "{\n  \"version\": 1,\n  \"cases\": [{\"id\": \"C1\",}]\n}\n",
    )
    .unwrap();
    let state = fleet.path("state");
    for out in [
        fleet.run_args(&["-q", "--state", state.to_str().unwrap()]),
        fleet.check_config(&["--state", state.to_str().unwrap()]),
    ] {
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cases.json:3: the delisting cases cannot be read"),
            "{err}"
        );
    }
    assert!(!fleet.path("out").exists(), "no report written");
}
