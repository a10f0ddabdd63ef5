//! SNDS joined with the logs, and SNDS exports as they really arrive.

use super::*;

const DATA: &str = "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,14129,14129,13025,GREEN,< 0.1%,,,,,,\r\n\
198.51.100.20,11/20/2026 8:00 AM,11/21/2026 7:00 AM,47386,47386,47384,RED,4.7%,11/20/2026 8:07 AM,11/20/2026 12:03 PM,41,mail.vps20.example,bounce@vps20.example,\r\n\
192.0.2.250,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,YELLOW,1.0%,,,,,,\r\n";
const DATA_WITH_HEADER: &str = "IP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End,Trap Hits,Sample HELO,JMR P1 Sender,Comments\n\
198.51.100.20,11/18/2026 8:00 AM,11/19/2026 7:00 AM,40000,40000,40000,YELLOW,0.8%,,,,,,\n";
const STATUS: &str = "198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\r\n\
203.0.113.24,203.0.113.27,Yes,Blocked due to user complaints or other evidence of spamming\r\n\
203.0.113.40,203.0.113.40,No,\r\n";

fn fleet_with_snds(files: &[(&str, &str)]) -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log("vps-a/mail.log", &[S3140_RFC3164, SENT_GMAIL], NOV_23_2026)
        .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
        .log(
            "vps-g/mail.log",
            &[&SENT_GMAIL.replace("postfix/smtp", "postfix-198.51.100.20/smtp")],
            NOV_23_2026,
        );
    fs::create_dir_all(fleet.path("snds")).unwrap();
    for (name, text) in files {
        fs::write(fleet.path("snds").join(name), text).unwrap();
    }
    fleet
}

fn run_snds(fleet: &Fleet, extra: &[&str]) -> Output {
    let mut args = vec!["--threads", "1", "--snds"];
    let dir = fleet.path("snds");
    args.push(dir.to_str().unwrap());
    args.extend_from_slice(extra);
    fleet.run_args(&args)
}

#[test]
fn every_join_outcome() {
    let fleet = fleet_with_snds(&[
        ("snds-data-2026-11-20.csv", DATA),
        ("export (3).csv", DATA_WITH_HEADER),
        ("ipStatus.csv", STATUS),
    ]);
    ok(&run_snds(&fleet, &[]));
    let ips = fleet.csv("summary/ips.csv");
    // Blocked in SNDS and bouncing in the logs: confirmed, with SNDS's view alongside.
    let confirmed = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            confirmed["snds_blocked"].as_str(),
            confirmed["snds_filter"].as_str(),
            confirmed["status"].as_str()
        ),
        ("yes", "GREEN", "seen")
    );
    assert_eq!(confirmed["snds_days"], "1");
    // Blocked in SNDS, silent in the logs: one row per inventory address, not yet felt.
    let quiet = row(&ips, "198.51.100.9", "snds-blocked");
    assert_eq!(
        (
            quiet["class"].as_str(),
            quiet["status"].as_str(),
            quiet["customer_id"].as_str()
        ),
        ("snds_block", "blocked_not_seen", "c3")
    );
    assert_eq!(quiet["ip_source"], "snds");
    assert_eq!(quiet["first_seen"], "");
    let culprit = row(&ips, "198.51.100.20", "snds-blocked");
    assert_eq!(
        (
            culprit["snds_filter"].as_str(),
            culprit["snds_trap_hits"].as_str(),
            culprit["snds_days"].as_str()
        ),
        ("RED", "41", "2")
    );
    // A non-aligned range: 203.0.113.24-27 is one /30; .25 (vps-e) is in it, .40 is marked No.
    assert_eq!(
        row(&ips, "203.0.113.25", "snds-blocked")["status"],
        "blocked_not_seen"
    );
    assert!(!ips.iter().any(|r| r["ip"] == "203.0.113.40"));
    // Subnet view: the RED culprit is named as the suspect of the blocked /24.
    let subnets = fleet.csv("summary/subnets.csv");
    let n = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(
        (
            n["snds_blocked_ips"].as_str(),
            n["snds_red_ips"].as_str(),
            n["suspect_ips"].as_str()
        ),
        ("256", "1", "198.51.100.20")
    );
    // SNDS knows an address the inventory does not.
    let unknown = fleet.csv("summary/snds-unknown-ips.csv");
    assert_eq!(unknown.len(), 1);
    assert_eq!(
        (
            unknown[0]["ip"].as_str(),
            unknown[0]["snds_filter"].as_str()
        ),
        ("192.0.2.250", "YELLOW")
    );
    let summary = fleet.text("summary/summary.md");
    assert!(summary.contains("## SNDS: Outlook.com's view"));
    assert!(
        summary.contains("| 198.51.100.0 – 198.51.100.255 | 198.51.100.0/24 |"),
        "{summary}"
    );
    assert!(summary.contains("- 198.51.100.0/24: 198.51.100.20"));
    // A customer file carries its own SNDS columns but never the neighbours' suspects.
    let c1 = fleet.text("customers/c1.csv");
    assert!(c1.contains("snds_filter") && !c1.contains("198.51.100.20"));
}

#[test]
fn logs_blocked_but_snds_clear_is_called_out() {
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", DATA)]);
    ok(&run_snds(&fleet, &[]));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["snds_blocked"],
        "no"
    );
    let summary = fleet.text("summary/summary.md");
    assert!(
        summary.contains("not blocked in SNDS") && summary.contains("198.51.100.7, 198.51.100.8"),
        "{summary}"
    );
}

#[test]
fn malformed_rows_stop_the_run_or_are_skipped_with_lenient() {
    let bad = format!("{DATA}198.51.100.8,yesterday,today,1,1,1,PURPLE,1%,,,,,,\r\n");
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", &bad)]);
    let out = run_snds(&fleet, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("snds-data-2026-11-20.csv:4:")
            && err.contains("activity end")
            && err.contains("--lenient"),
        "{err}"
    );
    assert!(!fleet.path("out").exists());
    let out = run_snds(&fleet, &["--lenient"]);
    assert_eq!(out.status.code(), Some(3));
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["file"] == "snds/snds-data-2026-11-20.csv" && p["line"] == "4"),
        "{problems:#?}"
    );
    assert_eq!(
        fleet.csv("summary/snds-unknown-ips.csv").len(),
        1,
        "the good rows still count"
    );
}

// ---------------------------------------------------------------------------------------------
// SNDS as it really arrives (issue 15, part 2)

/// A GUID-shaped automated-access key: its digit runs must never be read as a date.
const KEY: &str = "20261031-1201-4a5b-9c8d-112233445566";

/// An S3140 bounce for 198.51.100.7 on `day` ("Oct 28", "Nov  1"): the IP has a row in every
/// window that holds that day.
fn s3140_on(day: &str) -> String {
    S3140_RFC3164.replacen("Nov  2", day, 1)
}

fn fleet_with_logs_on(days: &[&str], files: &[(&str, &str)]) -> Fleet {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let lines: Vec<String> = days.iter().map(|d| s3140_on(d)).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &refs, NOV_23_2026);
    fs::create_dir_all(fleet.path("snds")).unwrap();
    for (name, text) in files {
        fs::write(fleet.path("snds").join(name), text).unwrap();
    }
    fleet
}

/// One IP-data row for 198.51.100.7 with the given activity end day and trap hits.
fn data_row(end: &str, traps: u32, rate: &str) -> String {
    format!("198.51.100.7,{end} 8:00 AM,{end} 7:00 PM,500,500,500,GREEN,{rate},{end} 9:00 AM,{end} 10:00 AM,{traps},,,\r\n")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn summary_md(fleet: &Fleet) -> String {
    fleet.text("summary/summary.md")
}

#[test]
fn empty_exports_are_the_normal_nothing_listed_and_are_stated() {
    // 0 bytes, a header only, a blank CRLF line: SNDS's healthy night.
    let fleet = fleet_with_snds(&[
        ("ipStatus-2026-11-22.csv", ""),
        (
            "data_112226.csv",
            "IP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End,Trap Hits,Sample HELO,JMR P1 Sender,Comments\r\n",
        ),
        (&format!("ipStatus.aspx?key={KEY}"), "\r\n"),
    ]);
    let out = run_snds(&fleet, &[]);
    ok(&out);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    for want in [
        "snds: 3 file(s): 0 IP data, 0 IP status, 3 empty",
        "SNDS: no blocked ranges on 2026-11-22 (ipStatus-2026-11-22.csv is empty)",
        "SNDS: no SNDS data on 2026-11-22 (data_112226.csv is empty",
        &format!("SNDS: no blocked ranges (ipStatus.aspx?key={KEY} is empty)"),
    ] {
        assert!(err.contains(want), "want {want:?} in\n{err}");
    }
    let summary = summary_md(&fleet);
    assert!(
        summary.contains("- SNDS: no blocked ranges on 2026-11-22")
            && summary.contains("- SNDS: no SNDS data on 2026-11-22")
            && summary.contains("SNDS lists none of our ranges as blocked."),
        "{summary}"
    );
    assert!(fleet.csv("summary/input-problems.csv").is_empty());
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (r["snds_blocked"].as_str(), r["snds_days"].as_str()),
        ("no", "0")
    );
}

#[test]
fn a_page_saved_in_place_of_the_csv_names_the_file_and_the_key() {
    // What a fetch with a bad or expired key leaves behind when it saves any response body.
    let name = format!("data.aspx?key={KEY}&date=112226");
    for (body, what) in [
        (
            "<!DOCTYPE html>\r\n<html><head><title>Smart Network Data Services</title></head><body>Sign in</body></html>\r\n",
            "an HTML page",
        ),
        ("<html><body><h1>401 Unauthorized</h1></body></html>", "an HTML page"),
        ("401 Unauthorized\r\n", "an HTTP error body"),
        ("The key is invalid.\r\n", "an HTTP error body"),
    ] {
        let fleet = fleet_with_snds(&[(&name, body), ("ipStatus-2026-11-22.csv", STATUS)]);
        let out = run_snds(&fleet, &[]);
        assert_eq!(out.status.code(), Some(2), "{body}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("SNDS export {name}: {what} saved in place of the SNDS CSV export"))
                && err.contains("check the SNDS automated-access key"),
            "{err}"
        );
        assert_eq!(
            err.matches("saved in place of").count(),
            1,
            "said once, not again as its own cause: {err}"
        );
        assert!(!fleet.path("out").exists(), "nothing is written");
        // --lenient lists it as an input problem of the whole file (no line) and goes on.
        let out = run_snds(&fleet, &["--lenient"]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let problems = fleet.csv("summary/input-problems.csv");
        let p = problems
            .iter()
            .find(|p| p["file"] == format!("snds/{name}"))
            .unwrap_or_else(|| panic!("{problems:#?}"));
        assert_eq!(p["line"], "");
        assert!(p["reason"].contains(what), "{p:?}");
        assert!(stderr(&out).contains("SNDS file not an export (skipped with --lenient)"));
        let ips = fleet.csv("summary/ips.csv");
        assert_eq!(
            row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["snds_blocked"],
            "yes",
            "the good ipStatus file still counts"
        );
    }
}

#[test]
fn automated_access_file_names_give_the_day() {
    // Names real clients save: `data.aspx?key=KEY&date=MMDDYY` (undersfx/sndslib
    // sndslib/sndslib.py `get_data(key, date)`; AbuseIO/AbuseIO lib/collectors/snds_data.php
    // asks for `date('mdy')`), that tag in a file name, ISO and compact dates. Every row's
    // activity period says another day, so only the name can put it on its day; a file without
    // a date in its name is dated by the activity end.
    let files = [
        (
            format!("data.aspx?key={KEY}&date=110126"),
            data_row("11/02/2026", 1, "< 0.1%"),
        ),
        (
            "data_103126.csv".to_string(),
            data_row("11/02/2026", 2, "< 0.1%"),
        ),
        (
            "snds-data-2026-10-30.csv".to_string(),
            data_row("11/02/2026", 4, "< 0.1%"),
        ),
        (
            "snds_20261029.csv".to_string(),
            data_row("11/02/2026", 8, "< 0.1%"),
        ),
        (
            "export (3).csv".to_string(),
            data_row("10/28/2026", 16, "< 0.1%"),
        ),
    ];
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let fleet = fleet_with_logs_on(&["Oct 28", "Oct 29", "Oct 30", "Oct 31", "Nov  1"], &refs);
    for (day, traps) in [
        ("2026-11-01", "1"),
        ("2026-10-31", "2"),
        ("2026-10-30", "4"),
        ("2026-10-29", "8"),
        ("2026-10-28", "16"),
    ] {
        let out = run_snds(&fleet, &["--since", day, "--until", day]);
        ok(&out);
        let ips = fleet.csv("summary/ips.csv");
        let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
        assert_eq!(
            (r["snds_trap_hits"].as_str(), r["snds_days"].as_str()),
            (traps, "1"),
            "{day}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn quoted_fields_crlf_and_short_rows_are_read_by_the_csv_rules() {
    // A sample HELO with a comma and a JMRP comment with a line break are one quoted field; the
    // second row stops after the trap hits (11 columns); the reason is quoted with a comma.
    let data = "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,14129,14129,13025,YELLOW,0.3-0.5%,,,,\"mail.vps7.example, relay\",bounce@vps7.example,\"JMRP: \"\"unsubscribe\"\" ignored,\r\nsee ticket 4711\"\r\n\
198.51.100.20,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,< 0.1%,11/20/2026 9:00 AM,11/20/2026 9:05 AM,6\r\n";
    let status = "198.51.100.0,198.51.100.255,Yes,\"Blocked due to user complaints, or other evidence of spamming\"\r\n";
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", data), ("ipStatus.csv", status)]);
    ok(&run_snds(&fleet, &[]));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            r["snds_filter"].as_str(),
            r["snds_complaint_rate"].as_str(),
            r["snds_reason"].as_str()
        ),
        (
            "YELLOW",
            "0.3-0.5%",
            "Blocked due to user complaints, or other evidence of spamming"
        )
    );
    let quiet = row(&ips, "198.51.100.20", "snds-blocked");
    assert_eq!(quiet["snds_trap_hits"], "6");
    // A bad row after the two-line record is named by its own line (4), not its record number.
    let bad =
        format!("{data}198.51.100.21,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,BLUE,,,,\r\n");
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", &bad)]);
    let out = run_snds(&fleet, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("snds-data-2026-11-20.csv:4: filter result \"BLUE\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn each_snds_block_reason_gets_its_own_delisting_route() {
    // The reason strings SNDS's IP-status export carries (AbuseIO/collector-snds
    // config/Snds.php maps exactly these), and a wording not seen before.
    let status = "198.51.100.9,198.51.100.9,Yes,SpamHaus SBL/XBL\r\n\
203.0.113.24,203.0.113.27,Yes,Symantec Brightmail\r\n\
198.51.100.10,198.51.100.10,Yes,E-mail address harvesting\r\n\
198.51.100.20,198.51.100.21,Yes,Blocked due to user complaints or other evidence of spamming\r\n\
198.51.100.7,198.51.100.7,Yes,Blocked due to Spamhaus listing\r\n";
    let fleet = fleet_with_snds(&[("ipStatus-2026-11-22.csv", status)]);
    ok(&run_snds(&fleet, &[]));
    let ips = fleet.csv("summary/ips.csv");
    for (ip, reason, route) in [
        (
            "198.51.100.9",
            "SpamHaus SBL/XBL",
            "https://check.spamhaus.org/",
        ),
        (
            "203.0.113.25",
            "Symantec Brightmail",
            "https://ipremoval.sms.symantec.com/lookup",
        ),
        (
            "198.51.100.10",
            "E-mail address harvesting",
            "address harvesting",
        ),
        (
            "198.51.100.21",
            "Blocked due to user complaints or other evidence of spamming",
            "SNDS lists this IP as blocked",
        ),
    ] {
        let r = row(&ips, ip, "snds-blocked");
        assert_eq!(r["snds_reason"], reason);
        assert_eq!(r["sample_reply"], reason);
        assert!(
            r["delist_route"].contains(route),
            "{ip}: {}",
            r["delist_route"]
        );
        let microsoft = r["delist_route"].contains("support.microsoft.com");
        assert_eq!(
            microsoft,
            !route.contains("spamhaus") && !route.contains("symantec"),
            "{ip}"
        );
    }
    // A logged Outlook.com bounce keeps its rule's route; SNDS's reason is alongside.
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["snds_reason"],
        "Blocked due to Spamhaus listing"
    );
    // The Outlook.com request leaves out what Spamhaus and Symantec must lift ...
    let outlook = fleet.text("delist/outlook-com.txt");
    let requested = outlook
        .lines()
        .skip_while(|l| !l.starts_with("Outbound IP(s)"))
        .nth(1)
        .unwrap();
    let requested: Vec<&str> = requested.split("; ").collect();
    assert_eq!(
        requested,
        [
            "198.51.100.7",
            "198.51.100.8",
            "198.51.100.10",
            "198.51.100.20/31"
        ],
        "Spamhaus's 198.51.100.9 and Symantec's 203.0.113.25 are not asked for:\n{outlook}"
    );
    assert!(
        outlook
            .contains("SNDS gives another list as the reason for 198.51.100.7 (Spamhaus SBL/XBL)"),
        "{outlook}"
    );
    // ... and lists it with that list's page.
    let lookups = fleet.csv("delist/dnsbl-lookups.csv");
    let spamhaus = lookups
        .iter()
        .find(|r| r["ip"] == "198.51.100.9")
        .unwrap_or_else(|| panic!("{lookups:#?}"));
    assert_eq!(
        (
            spamhaus["rule_id"].as_str(),
            spamhaus["lookup_url"].as_str()
        ),
        (
            "snds-blocked",
            "https://check.spamhaus.org/results/?query=198.51.100.9"
        )
    );
    assert!(lookups.iter().any(|r| r["ip"] == "203.0.113.25"
        && r["lookup_url"] == "https://ipremoval.sms.symantec.com/lookup"));
    assert!(!lookups.iter().any(|r| r["ip"] == "198.51.100.10"));
    // The customer's notice says which list, not only "SNDS".
    let notice = fleet.text("customers/c3.md");
    assert!(
        notice.contains("because Spamhaus lists it (SBL/XBL)"),
        "{notice}"
    );
    let notice = fleet.text("customers/c5.md");
    assert!(notice.contains("because Symantec rates it"), "{notice}");
    let summary = summary_md(&fleet);
    for want in [
        "- Spamhaus SBL/XBL (\"Blocked due to Spamhaus listing\", \"SpamHaus SBL/XBL\"): Spamhaus lookup and removal request (https://check.spamhaus.org/)",
        "- Symantec Brightmail (\"Symantec Brightmail\"): Symantec (Broadcom) IP Reputation Investigation (https://ipremoval.sms.symantec.com/lookup)",
        "- e-mail address harvesting (\"E-mail address harvesting\"): Outlook.com sender support form",
        "- user complaints (\"Blocked due to user complaints or other evidence of spamming\"): Outlook.com sender support form",
    ] {
        assert!(summary.contains(want), "want {want:?} in\n{summary}");
    }
}

#[test]
fn complaint_bands_are_ranges_and_the_text_is_kept() {
    // Bands as SNDS writes them: the lower bound decides the 0.3 % suspect threshold; a band is
    // never read as 0.
    let data =
        "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,1% - < 2%,,,,,,\r\n\
198.51.100.20,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,> 4%,,,,,,\r\n\
198.51.100.21,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,0.3-0.5%,,,,,,\r\n\
198.51.100.9,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,< 0.1%,,,,,,\r\n\
198.51.100.10,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,0.2%,,,,,,\r\n\
198.51.100.11,11/20/2026 8:00 AM,11/21/2026 7:00 AM,500,500,500,GREEN,2.3%,,,,,,\r\n";
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", data)]);
    ok(&run_snds(&fleet, &[]));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["snds_complaint_rate"],
        "1% - < 2%"
    );
    let subnets = fleet.csv("summary/subnets.csv");
    let n = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(
        n["suspect_ips"],
        "198.51.100.7;198.51.100.11;198.51.100.20;198.51.100.21"
    );
    // A rate SNDS never writes stops the run at its line (it is not taken as 0).
    let bad = format!(
        "{data}198.51.100.12,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,high,,,,,,\r\n"
    );
    let fleet = fleet_with_snds(&[("snds-data-2026-11-20.csv", &bad)]);
    let out = run_snds(&fleet, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("snds-data-2026-11-20.csv:7: complaint rate \"high\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn snds_rows_follow_the_report_window() {
    // Log lines on 26 Oct .. 1 Nov; SNDS days inside and outside the last 7 and 2 days.
    let files = [
        (
            "snds-data-2026-10-20.csv",
            data_row("10/20/2026", 100, "< 0.1%"),
        ),
        (
            "snds-data-2026-10-26.csv",
            data_row("10/26/2026", 10, "< 0.1%"),
        ),
        (
            "snds-data-2026-10-31.csv",
            data_row("10/31/2026", 2, "< 0.1%"),
        ),
        (
            "snds-data-2026-11-01.csv",
            data_row("11/01/2026", 1, "< 0.1%"),
        ),
        // IP status is a snapshot: the newest in the window counts; an empty one means none.
        ("ipStatus-2026-10-20.csv", STATUS.to_string()),
        ("ipStatus-2026-10-31.csv", STATUS.to_string()),
        ("ipStatus-2026-11-01.csv", String::new()),
    ];
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let fleet = fleet_with_logs_on(&["Oct 26", "Oct 31", "Nov  1"], &refs);
    let traps = |extra: &[&str]| {
        let out = run_snds(&fleet, extra);
        ok(&out);
        let ips = fleet.csv("summary/ips.csv");
        let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist").clone();
        (
            r["snds_trap_hits"].clone(),
            r["snds_days"].clone(),
            r["snds_blocked"].clone(),
            stderr(&out),
        )
    };
    let (hits, days, blocked, err) = traps(&["--days", "7"]);
    assert_eq!(
        (hits.as_str(), days.as_str(), blocked.as_str()),
        ("13", "3", "no")
    );
    assert!(
        err.contains("4 SNDS row(s) outside the report window, not counted")
            && err.contains("SNDS: no blocked ranges on 2026-11-01"),
        "{err}"
    );
    assert!(
        summary_md(&fleet).contains("- 4 SNDS row(s) outside the report window were not counted.")
    );
    let (hits, days, blocked, _) = traps(&["--days", "2"]);
    assert_eq!(
        (hits.as_str(), days.as_str(), blocked.as_str()),
        ("3", "2", "no")
    );
    // Up to 31 Oct: the 31 Oct snapshot blocks the /24.
    let (hits, days, blocked, _) = traps(&["--since", "2026-10-26", "--until", "2026-10-31"]);
    assert_eq!(
        (hits.as_str(), days.as_str(), blocked.as_str()),
        ("12", "2", "yes")
    );
    // No window: every row counts, and the newest snapshot (empty) still decides.
    let (hits, days, blocked, err) = traps(&[]);
    assert_eq!(
        (hits.as_str(), days.as_str(), blocked.as_str()),
        ("113", "4", "no")
    );
    assert!(
        err.contains("IP-status row(s) replaced by a newer dated snapshot"),
        "{err}"
    );
}

#[test]
fn check_config_honours_lenient_for_snds() {
    let bad = format!("{DATA}198.51.100.8,yesterday,today,1,1,1,PURPLE,1%,,,,,,\r\n");
    let fleet = fleet_with_snds(&[
        ("snds-data-2026-11-20.csv", &bad),
        ("ipStatus-2026-11-22.csv", ""),
    ]);
    let check = |extra: &[&str]| {
        blockscope()
            .arg("check-config")
            .arg("--logs")
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path("out"))
            .arg("--snds")
            .arg(fleet.path("snds"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("snds-data-2026-11-20.csv:4:"),
        "{}",
        stderr(&out)
    );
    let out = check(&["--lenient"]);
    ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("configuration OK")
            && stdout.contains("2 file(s): 1 IP data, 0 IP status, 1 empty")
            && stdout.contains("SNDS: no blocked ranges on 2026-11-22")
            && stdout.contains("1 malformed SNDS row(s) or file(s) would be skipped (--lenient)")
            && stdout.contains("snds-data-2026-11-20.csv:4: activity end"),
        "{stdout}"
    );
}
