use super::*;

// ---------------------------------------------------------------------------------------------
// Formats

#[test]
fn every_timestamp_style_is_read_and_dated() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log("vps-a/mail.log", &[NOISE, S3140_RFC3164], NOV_23_2026)
        .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
        .log("vps-c/mail.log", &[S3140_RFC3339], NOV_23_2026)
        .log("vps-d/mail.log", &[S3140_UNPADDED_DAY], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let rule = "ms-outlook-network-blocklist";
    assert_eq!(
        row(&ips, "198.51.100.7", rule)["first_seen"],
        "2026-11-02T10:00:01Z"
    );
    assert_eq!(
        row(&ips, "198.51.100.8", rule)["first_seen"],
        "2026-11-02T10:00:02Z"
    );
    assert_eq!(
        row(&ips, "198.51.100.9", rule)["first_seen"],
        "2026-11-02T10:00:03Z",
        "RFC 3339 offset applied"
    );
    assert_eq!(
        row(&ips, "198.51.100.10", rule)["first_seen"],
        "2026-11-02T10:00:04Z"
    );
    assert_eq!(
        row(&ips, "198.51.100.9", rule)["receiver_rule_id"],
        "AS3140"
    );
    assert_eq!(row(&ips, "198.51.100.8", rule)["receiver_rule_id"], "S3150");
}

#[test]
fn every_syslog_name_style_is_a_delivery() {
    let inv = format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc1,A,vps-a,192.0.2.11\n");
    let fleet = Fleet::new(&inv);
    let base = NO_IP_DEFERRAL;
    let lines: Vec<String> = [
        "postfix/smtp",
        "postfix-out/smtp",
        "postfix/out2/smtp",
        "postfix-192.0.2.11/smtp",
        "postfix/lmtp",
    ]
    .iter()
    .map(|name| base.replace("postfix/smtp", name))
    .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &refs, NOV_23_2026);
    ok(&fleet.run(1));
    let summary = fleet.text("summary/summary.md");
    assert!(
        summary.contains("| 0 | 5 | 0 |"),
        "five deferrals counted:\n{summary}"
    );
    let ips = fleet.csv("summary/ips.csv");
    // Two IPs on the VPS: only the IP-named instance tells which one sent.
    let named = row(&ips, "192.0.2.11", "unclassified");
    assert_eq!(named["ip_source"], "syslog_name");
    assert_eq!(named["events"], "1");
    let unknown = row(&ips, "", "unclassified");
    assert_eq!(unknown["ip_source"], "unknown");
    assert_eq!(unknown["events"], "4");
    assert_eq!(
        unknown["customer_id"], "c1",
        "attributed through the VPS directory"
    );
}

#[test]
fn year_is_inferred_across_new_year_from_mtime_and_rotation() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let dec = S3140_RFC3164.replace("Nov  2 10:00:01", "Dec 31 23:59:58");
    let jan = S3140_RFC3164.replace("Nov  2 10:00:01", "Jan  1 00:00:03");
    let dec30 = THROTTLE_4_7_650.replace("Nov  2 10:07:00", "Dec 30 08:00:00");
    // 2027-01-02T06:00:00Z: one file spanning New Year.
    fleet.log("vps-a/mail.log", &[&dec, &jan], 1_798_869_600);
    // A rotated pair copied later (both mtimes 2027-03-01): the older one is all December.
    fleet.log(
        "vps-b/mail.log.1",
        &[&dec30.replace("198.51.100.7", "198.51.100.8")],
        1_803_945_600,
    );
    fleet.log(
        "vps-b/mail.log",
        &[NOISE.replace("Nov  2", "Jan  5").as_str()],
        1_803_945_600,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["first_seen"], "2026-12-31T23:59:58Z");
    assert_eq!(r["last_seen"], "2027-01-01T00:00:03Z");
    assert_eq!(
        row(&ips, "198.51.100.8", "ms-outlook-rate-limited")["first_seen"],
        "2026-12-30T08:00:00Z"
    );
}

#[test]
fn gzip_logs_with_several_members_are_read_whole() {
    use flate2::{write::GzEncoder, Compression};
    let fleet = Fleet::new(&neighbourhood_inventory());
    let member = |text: &str| {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let mut bytes = member(&format!("{S3140_RFC3164}\n"));
    bytes.extend(member(&format!(
        "{}\n",
        S3140_RFC3164.replace("10:00:01", "11:00:01")
    )));
    let path = fleet.path("logs/vps-a/mail.log.2.gz");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    set_mtime(&path, NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["events"], "2", "second gzip member read too");
    assert_eq!(r["last_seen"], "2026-11-02T11:00:01Z");
}

// ---------------------------------------------------------------------------------------------
// Logs written by a real Postfix 3.7 talking to a fake MX on loopback
// (scripts/capture-postfix-fixtures.sh; tests/fixtures/postfix/README.md). The receivers quote
// the sender addresses below; the connections themselves came from 127.0.0.1.

const FIXTURE_INVENTORY: &str = "customer_id,customer_name,vps_id,ip\nc1,Fixture,vps1,198.51.100.7\nc1,Fixture,vps1,198.51.100.9\nc1,Fixture,vps1,203.0.113.25\nc1,Fixture,vps1,203.0.113.40\nc1,Fixture,vps1,192.0.2.14\nc1,Fixture,vps1,192.0.2.33\n";

/// (ip, rule, events, ip_source) every capture yields, whatever its timestamp style.
pub(crate) const FIXTURE_ROWS: &[(&str, &str, &str, &str)] = &[
    ("192.0.2.14", "ms-server-busy", "8", "reply"),
    ("192.0.2.33", "dnsbl-spamhaus", "1", "reply"),
    (
        "198.51.100.7",
        "gmail-unsolicited-rate-limited",
        "6",
        "reply",
    ),
    ("198.51.100.7", "ms-outlook-network-blocklist", "1", "reply"),
    (
        "198.51.100.7",
        "gmail-likely-unsolicited-content",
        "1",
        "reply",
    ),
    ("198.51.100.7", "t-online-blocked", "6", "reply"),
    ("198.51.100.9", "ms-outlook-rate-limited", "8", "reply"),
    ("203.0.113.25", "ms-o365-banned-ip", "1", "reply"),
    (
        "203.0.113.40",
        "ms-o365-banned-sender-5.7.511",
        "1",
        "reply",
    ),
    ("", "mailbox-full", "1", "unknown"),
    ("", "recipient-unknown", "1", "unknown"),
];

fn check_fixture(log: &str, first_seen_hour: &str, extra: &[(&str, &str, &str, &str)]) {
    check_capture(
        "vps1/mail.log",
        log,
        first_seen_hour,
        FIXTURE_ROWS,
        extra,
        "3 sent, 28 deferred, 8 bounced (2 non-final replies); 5 expired",
    );
}

/// Run one captured log as a VPS's only file and compare every (ip, rule, events, ip_source) row.
fn check_capture(
    rel: &str,
    log: &str,
    first_seen_hour: &str,
    rows: &[(&str, &str, &str, &str)],
    extra: &[(&str, &str, &str, &str)],
    counts: &str,
) {
    let fleet = Fleet::new(FIXTURE_INVENTORY);
    fleet.log(rel, &[log.trim_end_matches('\n')], NOV_23_2026);
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(counts), "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    let ips = fleet.csv("summary/ips.csv");
    let key = |r: &(String, String, String, String)| (r.0.is_empty(), r.clone());
    let mut got: Vec<(String, String, String, String)> = ips
        .iter()
        .map(|r| {
            (
                r["ip"].clone(),
                r["rule_id"].clone(),
                r["events"].clone(),
                r["ip_source"].clone(),
            )
        })
        .collect();
    let mut want: Vec<(String, String, String, String)> = rows
        .iter()
        .chain(extra)
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(got, want);
    assert!(ips
        .iter()
        .all(|r| r["customer_id"] == "c1" && r["vps_id"] == "vps1"));
    assert!(
        ips.iter()
            .all(|r| r["first_seen"].starts_with(&format!("2026-11-02T{first_seen_hour}:"))),
        "{ips:#?}"
    );
    let platform = |ip: &str, rule: &str| row(&ips, ip, rule)["platform"].clone();
    assert_eq!(
        platform("198.51.100.7", "ms-outlook-network-blocklist"),
        "outlook.com"
    );
    assert_eq!(platform("203.0.113.25", "ms-o365-banned-ip"), "office365");
    // The receiver (127.0.0.x, ::1) and the loopback interface the MTA logged are never taken
    // for the address receivers saw.
    assert!(ips
        .iter()
        .all(|r| !r["ip"].starts_with("127.") && r["ip"] != "::1"));
}

#[test]
fn real_postfix_rsyslog_traditional() {
    check_fixture(
        include_str!("../fixtures/postfix/rsyslog-traditional.log"),
        "10",
        &[("", "recipient-rejected-5.4.1", "1", "unknown")],
    );
}

#[test]
fn real_postfix_rsyslog_rfc3339() {
    check_fixture(
        include_str!("../fixtures/postfix/rsyslog-rfc3339.log"),
        "10",
        &[("", "recipient-rejected-5.4.1", "1", "unknown")],
    );
}

#[test]
fn real_postfix_maillog_file() {
    check_fixture(
        include_str!("../fixtures/postfix/maillog-file.log"),
        "11",
        &[("", "recipient-rejected-5.4.1", "1", "unknown")],
    );
}

#[test]
fn real_postfix_multi_instance_names_the_sending_ip() {
    // postfix-198.51.100.7/smtp: a reply without an address is still attributed to .7.
    check_fixture(
        include_str!("../fixtures/postfix/multi-instance.log"),
        "12",
        &[(
            "198.51.100.7",
            "recipient-rejected-5.4.1",
            "1",
            "syslog_name",
        )],
    );
}

/// Exim 4.96 against the same fake MX: every capture style yields these rows. Exim logged its
/// loopback interface (`I=[127.0.0.1]`), as a NATed VPS would log a private one: the address the
/// receivers quote wins.
const EXIM_ROWS: &[(&str, &str, &str, &str)] = &[
    ("192.0.2.14", "ms-server-busy", "7", "reply"),
    ("192.0.2.33", "dnsbl-spamhaus", "1", "reply"),
    (
        "198.51.100.7",
        "gmail-likely-unsolicited-content",
        "1",
        "reply",
    ),
    (
        "198.51.100.7",
        "gmail-unsolicited-rate-limited",
        "5",
        "reply",
    ),
    ("198.51.100.7", "ms-outlook-network-blocklist", "1", "reply"),
    ("198.51.100.7", "t-online-blocked", "1", "reply"),
    ("198.51.100.9", "ms-outlook-rate-limited", "5", "reply"),
    ("203.0.113.25", "ms-o365-banned-ip", "1", "reply"),
    (
        "203.0.113.40",
        "ms-o365-banned-sender-5.7.511",
        "1",
        "reply",
    ),
    ("", "mailbox-full", "1", "unknown"),
    ("", "recipient-rejected-5.4.1", "1", "unknown"),
    ("", "recipient-unknown", "1", "unknown"),
];
const EXIM_COUNTS: &str = "3 sent, 17 deferred, 9 bounced (0 non-final replies); 3 expired; 10 suspended retries; 10 local";

#[test]
fn real_exim_mainlog_default_selectors() {
    check_capture(
        "vps1/exim4/mainlog",
        include_str!("../fixtures/exim/mainlog-default.log"),
        "11",
        EXIM_ROWS,
        &[],
        EXIM_COUNTS,
    );
}

#[test]
fn real_exim_mainlog_with_interface_millisec_pid_and_zone() {
    check_capture(
        "vps1/exim4/mainlog",
        include_str!("../fixtures/exim/mainlog-selectors.log"),
        "10",
        EXIM_ROWS,
        &[],
        EXIM_COUNTS,
    );
}

#[test]
fn real_exim_via_syslog() {
    check_capture(
        "vps1/mail.log",
        include_str!("../fixtures/exim/syslog.log"),
        "12",
        EXIM_ROWS,
        &[],
        EXIM_COUNTS,
    );
}

#[test]
fn real_opensmtpd() {
    check_capture(
        "vps1/mail.log",
        include_str!("../fixtures/opensmtpd/maillog.log"),
        "10",
        &[
            ("192.0.2.14", "ms-server-busy", "3", "reply"),
            ("192.0.2.33", "dnsbl-spamhaus", "1", "reply"),
            ("198.51.100.7", "gmail-likely-unsolicited-content", "1", "reply"),
            ("198.51.100.7", "gmail-unsolicited-rate-limited", "3", "reply"),
            ("198.51.100.7", "ms-outlook-network-blocklist", "1", "reply"),
            ("198.51.100.9", "ms-outlook-rate-limited", "6", "reply"),
            ("203.0.113.25", "ms-o365-banned-ip", "1", "reply"),
            ("203.0.113.40", "ms-o365-banned-sender-5.7.511", "1", "reply"),
            ("", "mailbox-full", "1", "unknown"),
            ("", "network-failure", "6", "unknown"),
            ("", "recipient-rejected-5.4.1", "1", "unknown"),
            ("", "recipient-unknown", "1", "unknown"),
        ],
        &[],
        "3 sent, 18 deferred, 8 bounced (0 non-final replies); 6 expired; 0 suspended retries; 11 local",
    );
}

#[test]
fn real_sendmail() {
    // Sendmail 8.17 shortens long values in the middle ("provi...C54339", "mail.p...ction"); the
    // S3140 and Office 365 verdicts survive that, Gmail's first-line-only replies stay unclassified.
    check_capture(
        "vps1/maillog",
        include_str!("../fixtures/sendmail/maillog.log"),
        "10",
        &[
            ("192.0.2.14", "ms-server-busy", "16", "reply"),
            ("192.0.2.33", "dnsbl-spamhaus", "1", "reply"),
            ("198.51.100.7", "ms-outlook-network-blocklist", "1", "reply"),
            ("198.51.100.7", "t-online-blocked", "1", "reply"),
            ("198.51.100.7", "unclassified", "9", "reply"),
            ("198.51.100.9", "ms-outlook-rate-limited", "8", "reply"),
            ("203.0.113.25", "ms-o365-banned-ip", "1", "reply"),
            ("203.0.113.40", "ms-o365-banned-sender-5.7.511", "1", "reply"),
            ("", "mailbox-full", "1", "unknown"),
            ("", "recipient-rejected-5.4.1", "1", "unknown"),
            ("", "recipient-unknown", "1", "unknown"),
        ],
        &[],
        "3 sent, 32 deferred, 9 bounced (0 non-final replies); 4 expired; 0 suspended retries; 17 local",
    );
}

// ---------------------------------------------------------------------------------------------
// Attribution and classification

#[test]
fn the_receivers_address_is_never_taken_for_the_sender() {
    // One IPv4 on the VPS: the inventory fallback names it; the relay address never appears.
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
    fleet.log(
        "vps-a/mail.log",
        &[NO_IP_DEFERRAL, USER_UNKNOWN],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    assert!(ips.iter().all(|r| r["ip"] == "192.0.2.10"), "{ips:#?}");
    assert!(ips.iter().all(|r| r["ip_source"] == "inventory_single"));
    for file in ["summary/ips.csv", "summary/subnets.csv", "customers/c1.csv"] {
        let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
        for receiver in ["192.0.2.250", "192.0.2.99"] {
            assert!(
                !text.lines().any(|l| l.starts_with(receiver)),
                "{file} lists receiver {receiver} as a sender"
            );
        }
    }
}

#[test]
fn recipient_problems_never_count_as_blocks() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[USER_UNKNOWN, O365_5_4_1, SENT_GMAIL],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "recipient-unknown")["class"],
        "not_ip"
    );
    assert_eq!(
        row(&ips, "198.51.100.7", "recipient-rejected-5.4.1")["class"],
        "not_ip"
    );
    let subnets = fleet.csv("summary/subnets.csv");
    assert_eq!(subnets.len(), 1);
    assert_eq!(subnets[0]["blocked_ips"], "0");
    assert_eq!(subnets[0]["verdict"], "clear");
}
