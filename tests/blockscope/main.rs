//! End-to-end tests: the real binary on fleets built from real log lines.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

mod central_syslog;
mod closed_stdout;
mod config_validation;
mod hostile_fields;
mod real_replies;
mod run_safety;
mod smaller_findings;
mod tenant_isolation;
mod unclassified_cap;

// ---------------------------------------------------------------------------------------------
// Real log lines (see tests/fixtures/postfix/README.md and the public corpus they mirror).
// Receiver replies quote the sender's address; `host X[ip]` is always the receiver.

const S3140_RFC3164: &str = "Nov  2 10:00:01 web1 postfix/smtp[19793]: 6BAB0300C9CD: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [MW2NAM12FT005.eop-nam12.prod.protection.outlook.com] (in reply to MAIL FROM command))";
const S3140_MAILLOG_FILE: &str = "Nov 02 10:00:02 web2 postfix/smtp[2211]: 4F1C2A0B3D: to=<a@outlook.com>, relay=outlook-com.olc.protection.outlook.com[52.101.68.17]:25, delay=0.5, delays=0.01/0/0.3/0.19, dsn=5.7.1, status=bounced (host outlook-com.olc.protection.outlook.com[52.101.68.17] said: 550 5.7.1 Unfortunately, messages from [198.51.100.8] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [Name=Protocol Filter Agent][AGT=PFA][MxId=11BC54339C3FD8FF] [BN3PEPF0000B077.namprd04.prod.outlook.com 2025-11-25T08:06:40.951Z 08DE2A19D02BF789] (in reply to MAIL FROM command))";
const S3140_RFC3339: &str = "2026-11-02T11:00:03.185246+01:00 web3 postfix/smtp[3163107]: 9AC31E2F01: to=<b@live.com>, relay=eur.olc.protection.outlook.com[52.101.73.1]:25, delay=0.4, delays=0.01/0/0.2/0.19, dsn=5.7.1, status=bounced (host eur.olc.protection.outlook.com[52.101.73.1] said: 550 5.7.1 Unfortunately, messages from [198.51.100.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. (in reply to MAIL FROM command))";
const S3140_UNPADDED_DAY: &str = "Nov 2 10:00:04 web4 postfix/smtp[18733]: 77A1B2C3D4: to=<c@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). (in reply to MAIL FROM command))";
const O365_5_7_606: &str = "Nov  2 10:05:00 shop postfix/smtp[4411]: 1A2B3C4D5E: to=<buyer@contoso.com>, relay=contoso-com.mail.protection.outlook.com[52.101.40.2]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.7.606, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.40.2] said: 550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) (in reply to RCPT TO command))";
const O365_5_7_511: &str = "Nov  2 10:06:00 shop postfix/smtp[4412]: 2B3C4D5E6F: to=<buyer@fabrikam.com>, relay=fabrikam-com.mail.protection.outlook.com[52.101.41.9]:25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.7.511, status=bounced (host fabrikam-com.mail.protection.outlook.com[52.101.41.9] said: 550 5.7.511 Access denied, banned sender[203.0.113.40]. To request removal from this list please forward this message to delist@messaging.microsoft.com. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. AS(508) [SN1NAM04FT013.eop-NAM04.prod.protection.outlook.com] (in reply to RCPT TO command))";
const THROTTLE_4_7_650: &str = "Nov  2 10:07:00 web1 postfix/smtp[5511]: 3C4D5E6F70: to=<d@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.650, status=deferred (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BCD825A78A8D0B] [AMS0EPF000001A7.eurprd05.prod.outlook.com 2026-02-25T11:12:39.245Z 08DE6C12E206EF5D] (in reply to MAIL FROM command))";
const SPAMHAUS: &str = "Nov  2 10:08:00 web1 postfix/smtp[5512]: 4D5E6F7081: to=<e@example.cz>, relay=mx.example.cz[192.0.2.77]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.example.cz[192.0.2.77] said: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7 (in reply to RCPT TO command))";
const USER_UNKNOWN: &str = "Nov  2 10:09:00 web1 postfix/smtp[5513]: 5E6F708192: to=<nobody@example.net>, relay=mx.example.net[192.0.2.99]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.99] said: 550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))";
const O365_5_4_1: &str = "Nov  2 10:10:00 web1 postfix/smtp[5514]: 6F708192A3: to=<gone@contoso.com>, relay=contoso-com.mail.protection.outlook.com[52.101.40.2]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.4.1, status=bounced (host contoso-com.mail.protection.outlook.com[52.101.40.2] said: 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-11-02T10:00:01.000Z 08DE1A2B3C4D5E6F] (in reply to RCPT TO command))";
const SENT_GMAIL: &str = "Nov  2 10:11:00 web1 postfix/smtp[5515]: 708192A3B4: to=<f@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.102.27]:25, delay=0.55, delays=0.02/0.06/0.16/0.31, dsn=2.0.0, status=sent (250 2.0.0 OK  1607509104 z6si1138927wrp.1 - gsmtp)";
/// A reply that quotes no address: the sender must come from elsewhere, never from `host X[ip]`.
const NO_IP_DEFERRAL: &str = "Nov  2 10:12:00 web1 postfix/smtp[5516]: 8192A3B4C5: to=<g@example.org>, relay=mx.example.org[192.0.2.250]:25, delay=3, delays=0/0/1.5/1.5, dsn=4.3.5, status=deferred (host mx.example.org[192.0.2.250] said: 451 4.3.5 Server configuration problem (in reply to RCPT TO command))";
const NOISE: &str = "Nov  2 10:00:00 web1 postfix/qmgr[1207]: 6BAB0300C9CD: from=<shop@customer.example>, size=1842, nrcpt=1 (queue active)";

// ---------------------------------------------------------------------------------------------
// Helpers

fn blockscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_blockscope"))
}

struct Fleet {
    dir: tempfile::TempDir,
}

const INVENTORY_HEADER: &str = "customer_id,customer_name,vps_id,ip\n";

impl Fleet {
    fn new(inventory: &str) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("logs")).unwrap();
        fs::write(dir.path().join("inventory.csv"), inventory).unwrap();
        Fleet { dir }
    }

    /// The neighbourhood inventory and one real Outlook.com S3140 bounce in vps-a's log: the
    /// smallest fleet that produces a full report set.
    fn one_s3140() -> Fleet {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
        fleet
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a log file with the given lines and mtime (Unix seconds).
    fn log(&self, rel: &str, lines: &[&str], mtime: i64) -> &Fleet {
        let path = self.path("logs").join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        set_mtime(&path, mtime);
        self
    }

    fn run(&self, threads: usize) -> Output {
        self.run_args(&["--threads", &threads.to_string()])
    }

    fn run_args(&self, extra: &[&str]) -> Output {
        blockscope()
            .arg("run")
            .arg("--logs")
            .arg(self.path("logs"))
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .arg("--out")
            .arg(self.path("out"))
            .args(extra)
            .output()
            .unwrap()
    }

    /// `run --threads 2` into `out/../split` with huge-file chunks of `chunk_bytes`.
    fn run_split(&self, chunk_bytes: &str) -> Output {
        blockscope()
            .env("BLOCKSCOPE_CHUNK_BYTES", chunk_bytes)
            .args(["run", "--threads", "2", "--logs"])
            .arg(self.path("logs"))
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .arg("--out")
            .arg(self.path("split"))
            .output()
            .unwrap()
    }

    fn csv(&self, rel: &str) -> Vec<BTreeMap<String, String>> {
        read_csv(&self.path("out").join(rel))
    }
}

fn set_mtime(path: &Path, unix_secs: i64) {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(unix_secs as u64);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Append lines to a log (created if missing) and set its mtime (Unix seconds).
fn append(path: &Path, lines: &[String], mtime: i64) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    set_mtime(path, mtime);
}

/// 2026-11-23T00:00:00Z
const NOV_23_2026: i64 = 1_795_392_000;

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn row<'a>(
    rows: &'a [BTreeMap<String, String>],
    ip: &str,
    rule: &str,
) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["ip"] == ip && r["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no row for {ip} {rule} in {rows:#?}"))
}

fn neighbourhood_inventory() -> String {
    format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.7\nc2,Beta Blog,vps-b,198.51.100.8\nc3,Gamma Ltd,vps-c,198.51.100.9\nc4,Delta,vps-d,198.51.100.10\nc5,Epsilon,vps-e,203.0.113.25\nc5,Epsilon,vps-f,203.0.113.40\nc6,Zeta,vps-g,198.51.100.20\nc6,Zeta,vps-g,198.51.100.21\n"
    )
}

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
    let summary = fs::read_to_string(fleet.path("out/summary/summary.md")).unwrap();
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
const FIXTURE_ROWS: &[(&str, &str, &str, &str)] = &[
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

#[test]
fn rules_platforms_routes_and_verdicts() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log(
            "vps-a/mail.log",
            &[S3140_RFC3164, THROTTLE_4_7_650, SPAMHAUS, SENT_GMAIL],
            NOV_23_2026,
        )
        .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
        .log("vps-e/mail.log", &[O365_5_7_606], NOV_23_2026)
        .log("vps-f/mail.log", &[O365_5_7_511], NOV_23_2026)
        .log(
            "vps-g/mail.log",
            &[&SENT_GMAIL.replace("postfix/smtp", "postfix-198.51.100.20/smtp")],
            NOV_23_2026,
        );
    ok(&fleet.run(2));
    let ips = fleet.csv("summary/ips.csv");
    let s3140 = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (s3140["platform"].as_str(), s3140["class"].as_str()),
        ("outlook.com", "network_block")
    );
    assert!(s3140["delist_route"].contains("support.microsoft.com/supportrequestform"));
    assert!(
        s3140["sample_reply"].ends_with("08DE2A19D02BF789]")
            || s3140["sample_reply"].contains("(S3140)")
    );
    let banned = row(&ips, "203.0.113.25", "ms-o365-banned-ip");
    assert_eq!(
        (
            banned["platform"].as_str(),
            banned["class"].as_str(),
            banned["code"].as_str()
        ),
        ("office365", "ip_block", "5.7.606")
    );
    assert!(banned["delist_route"].contains("sender.office.com"));
    assert_eq!(banned["receiver_rule_id"], "AS(1430)");
    let sender = row(&ips, "203.0.113.40", "ms-o365-banned-sender-5.7.511");
    assert!(sender["delist_route"].contains("delist@microsoft.com"));
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-rate-limited")["class"],
        "throttle"
    );
    let sh = row(&ips, "198.51.100.7", "dnsbl-spamhaus");
    assert_eq!(
        (sh["class"].as_str(), sh["platform"].as_str()),
        ("dnsbl", "other")
    );
    assert!(sh["delist_route"].contains("spamhaus"));

    let subnets = fleet.csv("summary/subnets.csv");
    let n = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(n["verdict"], "neighbourhood");
    assert_eq!(n["blocked_ips"], "2");
    assert_eq!(n["blocked_customers"], "2");
    assert_eq!(n["inventory_ips"], "6");
    assert_eq!(n["active_ips"], "3");
    let single = subnets
        .iter()
        .find(|s| s["subnet"] == "203.0.113.0/24")
        .unwrap();
    assert_eq!(
        single["verdict"], "single_customer",
        "two IPs of one customer"
    );
    // Customer files: own rows plus the verdict on their subnet, nobody else's data.
    let c1 = fleet.csv("customers/c1.csv");
    assert!(c1
        .iter()
        .all(|r| r["customer_id"] == "c1" && r["subnet_verdict"] == "neighbourhood"));
    let c6 = fleet.csv("customers/c6.csv");
    assert!(c6.is_empty(), "clean customer gets a header-only file");
    assert!(
        fleet.path("out/customers/c4.csv").is_file(),
        "every inventory customer gets a file"
    );
}

#[test]
fn a_quoted_ip_missing_from_the_inventory_is_still_reported() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["in_inventory"], "false");
    assert_eq!(r["customer_id"], "c1");
    assert_eq!(r["vps_id"], "vps-a");
}

#[test]
fn single_blocked_ip_among_clean_neighbours() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&SENT_GMAIL.replace("web1", "web2")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let subnets = fleet.csv("summary/subnets.csv");
    assert_eq!(subnets[0]["verdict"], "single_ip");
    assert_eq!(subnets[0]["active_ips"], "2");
}

#[test]
fn neighbourhood_needs_one_receiver_blocking_several_customers() {
    // Different receivers blocking two customers for their own reasons: isolated blocks.
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&O365_5_7_606.replace("203.0.113.25", "198.51.100.8")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    assert_eq!(fleet.csv("summary/subnets.csv")[0]["verdict"], "single_ip");
    // The same receiver banning IPs of two customers in one /24: a neighbourhood.
    fs::write(
        fleet.path("logs/vps-a/mail.log"),
        format!("{}\n", O365_5_7_606.replace("203.0.113.25", "198.51.100.7")),
    )
    .unwrap();
    set_mtime(&fleet.path("logs/vps-a/mail.log"), NOV_23_2026);
    ok(&fleet.run(1));
    let subnets = fleet.csv("summary/subnets.csv");
    assert_eq!(subnets[0]["verdict"], "neighbourhood");
    assert_eq!(subnets[0]["blocked_customers"], "2");
}

// ---------------------------------------------------------------------------------------------
// Inventory errors, exit codes, atomic output

fn inventory_error(inventory: &str) -> String {
    let fleet = Fleet::new(inventory);
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2), "bad inventory must exit 2");
    assert!(
        !fleet.path("out").exists(),
        "nothing written on a bad inventory"
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn inventory_errors_name_file_line_and_fix() {
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc1,A,vps-a,192.0.2.300\n"
    ));
    assert!(
        err.contains("inventory.csv:3:") && err.contains("192.0.2.300") && err.contains("CIDR"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-b,192.0.2.10\n"
    ));
    assert!(
        err.contains("inventory.csv:3:") && err.contains("line 2") && err.contains("vps-a"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-a,192.0.2.11\n"
    ));
    assert!(
        err.contains("inventory.csv:3:")
            && err.contains("VPS vps-a")
            && err.contains("exactly one customer"),
        "{err}"
    );
    let err = inventory_error(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10/24\n"));
    assert!(
        err.contains("192.0.2.0/24"),
        "suggests the network address: {err}"
    );
    let err = inventory_error("customer,vps,ip\nc1,vps-a,192.0.2.10\n");
    assert!(
        err.contains("inventory.csv:1:") && err.contains("customer_id"),
        "{err}"
    );
    let err = inventory_error(&format!("{INVENTORY_HEADER}../etc,A,vps-a,192.0.2.10\n"));
    assert!(
        err.contains("inventory.csv:2:") && err.contains("customer_id"),
        "{err}"
    );
}

#[test]
fn a_failed_run_leaves_the_previous_reports_in_place() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    let before = fs::read(fleet.path("out/summary/ips.csv")).unwrap();
    fs::write(
        fleet.path("inventory.csv"),
        format!("{INVENTORY_HEADER}c1,A,vps-a,not-an-ip\n"),
    )
    .unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(fleet.path("out/summary/ips.csv")).unwrap(), before);
    let leftovers: Vec<_> = fs::read_dir(fleet.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope"))
        .collect();
    assert!(leftovers.is_empty(), "no staging debris: {leftovers:?}");
}

#[test]
fn refuses_to_replace_a_directory_that_is_not_a_report_set() {
    let fleet = Fleet::one_s3140();
    fs::create_dir_all(fleet.path("out")).unwrap();
    fs::write(fleet.path("out/precious.txt"), "keep me").unwrap();
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(fleet.path("out/precious.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_rerun_replaces_the_report_set_whole() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    fs::remove_file(fleet.path("logs/vps-a/mail.log")).unwrap();
    fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0]["ip"], "198.51.100.8");
}

#[test]
fn unreadable_lines_are_counted_by_reason() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[
            S3140_RFC3164,
            "garbage without a timestamp",
            "Nov  2 10:00:01 web1 postfix/smtp[1]: ABC: to=<a@b.c>, relay=none, delay=1",
            "Nov  2 10:00:01 web1 postfix/smtp[1]: ABC: to=<a@b.c>, relay=none, delay=1, dsn=4.0.0, status=weird (x)",
        ],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "completed with input problems");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped lines: 3"), "{stderr}");
    assert!(stderr.contains("no recognisable timestamp"));
    let summary = fs::read_to_string(fleet.path("out/summary/summary.md")).unwrap();
    assert!(
        summary.contains("delivery line without status=: 1"),
        "{summary}"
    );
    assert!(summary.contains("unknown status= word: 1"));
    let problems = fleet.csv("summary/input-problems.csv");
    let lines: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| (p["file"].as_str(), p["line"].as_str(), p["reason"].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("vps-a/mail.log", "2", "no recognisable timestamp"),
            ("vps-a/mail.log", "3", "delivery line without status="),
            (
                "vps-a/mail.log",
                "4",
                "delivery line with an unknown status= word"
            ),
        ]
    );
    assert_eq!(
        fleet.csv("summary/ips.csv").len(),
        1,
        "the good line still counts"
    );
}

#[test]
fn files_outside_vps_directories_are_input_problems() {
    let fleet = Fleet::one_s3140();
    fleet.log("stray.log", &[S3140_RFC3164], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "completed with input problems");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stray.log"));
    assert_eq!(fleet.csv("summary/ips.csv").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Rules, docs, CLI manners

#[test]
fn docs_rules_md_is_generated_from_the_table() {
    let out = blockscope()
        .args(["rules", "--format", "md"])
        .output()
        .unwrap();
    ok(&out);
    let committed =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md")).unwrap();
    // The coverage table after the marker comes from the real-reply corpus (its own test).
    let generated = committed
        .split_once(real_replies::COVERAGE_MARKER)
        .map_or(committed.as_str(), |(head, _)| head);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        generated,
        "docs/rules.md is stale: run `blockscope rules --format md > docs/rules.md`"
    );
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    let mut child = blockscope()
        .args(["rules", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Sample data: golden reports and thread-count independence

fn sample_fleet() -> Fleet {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let fleet = Fleet::new(&fs::read_to_string(root.join("inventory.csv")).unwrap());
    copy_tree(&root.join("logs"), &fleet.path("logs"));
    copy_tree(&root.join("snds"), &fleet.path("snds"));
    fleet
}

/// Run the sample fleet as the README does (with its SNDS exports).
fn run_sample(fleet: &Fleet, threads: usize) -> Output {
    let snds = fleet.path("snds");
    fleet.run_args(&[
        "--threads",
        &threads.to_string(),
        "--snds",
        snds.to_str().unwrap(),
    ])
}

/// Copy a directory tree, pinning every mtime (git does not keep them; year inference reads them).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            set_mtime(&target, NOV_23_2026);
        }
    }
}

fn tree_contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in walk(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        files.insert(rel, fs::read(&entry).unwrap());
    }
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn sample_data_matches_the_golden_reports() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 2));
    let got = tree_contents(&fleet.path("out"));
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/sample-data");
    if std::env::var_os("BLOCKSCOPE_UPDATE_GOLDEN").is_some() {
        let _ = fs::remove_dir_all(&golden_dir);
        for (rel, bytes) in &got {
            let path = golden_dir.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, bytes).unwrap();
        }
    }
    let want = tree_contents(&golden_dir);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "report file set"
    );
    for (rel, bytes) in &want {
        assert!(
            &got[rel] == bytes,
            "{rel} differs from tests/golden/sample-data (BLOCKSCOPE_UPDATE_GOLDEN=1 regenerates after review):\n{}",
            String::from_utf8_lossy(&got[rel])
        );
    }
}

#[test]
fn sample_data_has_a_neighbourhood_block_and_the_required_events() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 2));
    let subnets = fleet.csv("summary/subnets.csv");
    assert!(
        subnets.iter().any(|s| s["verdict"] == "neighbourhood"),
        "{subnets:#?}"
    );
    let ips = fleet.csv("summary/ips.csv");
    for rule in [
        "ms-outlook-network-blocklist",
        "ms-o365-banned-ip",
        "ms-o365-banned-sender-5.7.511",
        "ms-outlook-rate-limited",
        "dnsbl-spamhaus",
        "recipient-unknown",
    ] {
        assert!(
            ips.iter().any(|r| r["rule_id"] == rule),
            "sample-data lacks {rule}"
        );
    }
}

#[test]
fn thread_count_does_not_change_a_single_byte() {
    let fleet = sample_fleet();
    ok(&run_sample(&fleet, 1));
    let one = tree_contents(&fleet.path("out"));
    for threads in [2, 7] {
        ok(&run_sample(&fleet, threads));
        assert_eq!(
            tree_contents(&fleet.path("out")),
            one,
            "--threads {threads} differs from --threads 1"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over random fleets: thread-count independence and tenant isolation.

mod properties {
    use super::*;
    use blockscope::config::{Config, Options, Purpose};
    use proptest::prelude::*;

    /// Reply templates; `{ip}` is the address the receiver quotes.
    const TEMPLATES: &[&str] = &[
        S3140_RFC3164,
        O365_5_7_606,
        O365_5_7_511,
        THROTTLE_4_7_650,
        SPAMHAUS,
        USER_UNKNOWN,
        SENT_GMAIL,
        NO_IP_DEFERRAL,
    ];
    const QUOTED: &[&str] = &[
        "198.51.100.7",
        "203.0.113.25",
        "203.0.113.40",
        "198.51.100.7",
        "198.51.100.7",
        "",
        "",
        "",
    ];

    #[derive(Debug, Clone)]
    struct RandomFleet {
        /// customer -> vps -> ip host parts
        customers: Vec<Vec<Vec<u8>>>,
        /// (customer, vps, template, quote own ip?, day, second)
        lines: Vec<(usize, usize, usize, bool, u8, u32)>,
    }

    fn fleet_strategy() -> impl Strategy<Value = RandomFleet> {
        let vps = prop::collection::vec(1u8..=250, 1..=2);
        let customer = prop::collection::vec(vps, 1..=3);
        (
            prop::collection::vec(customer, 2..=5),
            prop::collection::vec(
                (
                    0usize..8,
                    0usize..8,
                    0usize..TEMPLATES.len(),
                    any::<bool>(),
                    1u8..=28,
                    0u32..86_400,
                ),
                1..60,
            ),
        )
            .prop_map(|(customers, lines)| RandomFleet { customers, lines })
    }

    fn materialise(f: &RandomFleet) -> (Fleet, Vec<(String, String, Vec<String>)>) {
        let mut inventory = String::from(INVENTORY_HEADER);
        let mut owners = Vec::new(); // (customer id, name, ips)
        let mut used = std::collections::BTreeSet::new();
        let mut vps_ips: Vec<Vec<(String, Vec<String>)>> = Vec::new();
        for (c, vpses) in f.customers.iter().enumerate() {
            let mut all = Vec::new();
            let mut per_vps = Vec::new();
            for (v, hosts) in vpses.iter().enumerate() {
                let vps_id = format!("vps-{c}-{v}");
                let mut ips = Vec::new();
                for h in hosts {
                    let subnet = if (c + v) % 2 == 0 {
                        "198.51.100"
                    } else {
                        "203.0.113"
                    };
                    let ip = format!("{subnet}.{h}");
                    if used.insert(ip.clone()) {
                        inventory.push_str(&format!("c{c},Customer {c} GmbH,{vps_id},{ip}\n"));
                        ips.push(ip);
                    }
                }
                all.extend(ips.clone());
                per_vps.push((vps_id, ips));
            }
            owners.push((format!("c{c}"), format!("Customer {c} GmbH"), all));
            vps_ips.push(per_vps);
        }
        let fleet = Fleet::new(&inventory);
        let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &(c, v, t, own, day, sec) in &f.lines {
            let per_vps = &vps_ips[c % vps_ips.len()];
            let (vps_id, ips) = &per_vps[v % per_vps.len()];
            let template = TEMPLATES[t];
            let stamp = format!(
                "Nov {day:>2} {:02}:{:02}:{:02}",
                sec / 3600,
                sec / 60 % 60,
                sec % 60
            );
            let mut line = template.replacen(&template[..15], &stamp, 1);
            if !QUOTED[t].is_empty() {
                let quoted = match ips.first() {
                    Some(ip) if own => ip.clone(),
                    _ => "192.0.2.200".to_string(), // not in the inventory
                };
                line = line.replace(QUOTED[t], &quoted);
            }
            files.entry(vps_id.clone()).or_default().push(line);
        }
        for (vps, lines) in &files {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            fleet.log(&format!("{vps}/mail.log"), &refs, NOV_23_2026);
        }
        (fleet, owners)
    }

    /// `ip` as a whole address in `text` (not as the start of a longer one).
    fn mentions(text: &str, ip: &str) -> bool {
        let is_part = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
        text.match_indices(ip).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let mut after = text[at + ip.len()..].chars();
            let longer = match after.next() {
                Some(c) if c.is_ascii_hexdigit() => true,
                Some('.' | ':') => after.next().is_some_and(|c| c.is_ascii_hexdigit()),
                _ => false,
            };
            !before.is_some_and(is_part) && !longer
        })
    }

    fn run_lib(fleet: &Fleet, threads: usize, out: &str) -> BTreeMap<String, Vec<u8>> {
        let options = Options {
            logs: Some(fleet.path("logs")),
            inventory: Some(fleet.path("inventory.csv")),
            out: Some(fleet.path(out)),
            threads: Some(threads as u64),
            quiet: true,
            ..Options::default()
        };
        let config = Config::build(options, Purpose::Run).expect("valid options");
        blockscope::cmd::run::run(&config).expect("run succeeds");
        tree_contents(&fleet.path(out))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn reports_do_not_depend_on_thread_count(f in fleet_strategy()) {
            let (fleet, _) = materialise(&f);
            let one = run_lib(&fleet, 1, "out1");
            let four = run_lib(&fleet, 4, "out4");
            prop_assert_eq!(one.keys().collect::<Vec<_>>(), four.keys().collect::<Vec<_>>());
            for (file, bytes) in &one {
                prop_assert!(
                    bytes == &four[file],
                    "{} differs:\n--- 1 thread\n{}\n--- 4 threads\n{}",
                    file,
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&four[file])
                );
            }
        }

        #[test]
        fn customer_reports_hold_only_their_own_data(f in fleet_strategy()) {
            let (fleet, owners) = materialise(&f);
            let tree = run_lib(&fleet, 2, "out");
            for (id, _, ips) in &owners {
                if ips.is_empty() {
                    continue; // every address it drew was taken: not in the inventory at all
                }
                let csv_text = String::from_utf8(tree[&format!("customers/{id}.csv")].clone()).unwrap();
                let notice = String::from_utf8(tree[&format!("customers/{id}.md")].clone()).unwrap();
                let text = format!("{csv_text}\n{notice}");
                let rows = read_csv(&fleet.path("out").join(format!("customers/{id}.csv")));
                prop_assert!(rows.iter().all(|r| &r["customer_id"] == id));
                // Recipients appear as domains only.
                prop_assert!(!text.contains("nobody@"), "{} shows a recipient address", id);
                for (other, other_name, other_ips) in &owners {
                    if other == id {
                        continue;
                    }
                    prop_assert!(!text.contains(other_name.as_str()), "{} names {}", id, other_name);
                    prop_assert!(!text.contains(&format!("vps-{}-", &other[1..])), "{} names a VPS of {}", id, other);
                    for ip in other_ips {
                        prop_assert!(!text.lines().any(|l| l.starts_with(&format!("{ip},"))), "{} lists {}'s IP {}", id, other, ip);
                        prop_assert!(!text.contains(&format!("[{ip}]")), "{} quotes {}'s IP {}", id, other, ip);
                        prop_assert!(!mentions(&notice, ip), "{}'s notice names {}'s IP {}", id, other, ip);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input: the run completes, the damage is counted and listed, exit code 3.

mod hostile {
    use super::*;

    /// A fleet with one good VPS (vps-b) and whatever damage the test adds under vps-a.
    fn damaged_fleet() -> Fleet {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
        fleet
    }

    fn write_bytes(fleet: &Fleet, rel: &str, bytes: &[u8]) {
        let path = fleet.path("logs").join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        set_mtime(&path, NOV_23_2026);
    }

    /// Run; expect exit 3, the good VPS reported, and these (file, line, reason-fragment) problems.
    fn expect_problems(
        fleet: &Fleet,
        out: Output,
        want: &[(&str, &str, &str)],
    ) -> Vec<BTreeMap<String, String>> {
        assert_eq!(
            out.status.code(),
            Some(3),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ips = fleet.csv("summary/ips.csv");
        assert!(
            ips.iter().any(|r| r["ip"] == "198.51.100.8"),
            "the good VPS is still reported"
        );
        let problems = fleet.csv("summary/input-problems.csv");
        for (file, line, reason) in want {
            assert!(
                problems.iter().any(|p| p["file"] == *file
                    && p["line"] == *line
                    && p["reason"].contains(reason)),
                "no problem {file}:{line} {reason:?} in {problems:#?}"
            );
        }
        ips
    }

    #[test]
    fn invalid_utf8_is_repaired_and_counted() {
        let fleet = damaged_fleet();
        let mut bytes = S3140_RFC3164.replace("someone@", "s\u{FFFD}@").into_bytes();
        let at = bytes
            .windows(3)
            .position(|w| w == "\u{FFFD}".as_bytes())
            .unwrap();
        bytes.splice(at..at + 3, [0xA2]);
        bytes.push(b'\n');
        write_bytes(&fleet, "vps-a/mail.log", &bytes);
        let ips = expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log", "1", "invalid UTF-8")],
        );
        assert!(
            ips.iter().any(|r| r["ip"] == "198.51.100.7"),
            "the repaired line still counts"
        );
    }

    #[test]
    fn nul_bytes_are_removed_and_counted() {
        let fleet = damaged_fleet();
        let bytes = [b"\0\0\0\0".as_slice(), S3140_RFC3164.as_bytes(), b"\n"].concat();
        write_bytes(&fleet, "vps-a/mail.log", &bytes);
        let ips = expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log", "1", "NUL bytes")],
        );
        assert!(ips.iter().any(|r| r["ip"] == "198.51.100.7"));
    }

    #[test]
    fn crlf_line_endings_read_like_lf() {
        let fleet = damaged_fleet();
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{NOISE}\r\n{S3140_RFC3164}\r\n").as_bytes(),
        );
        ok(&fleet.run(1));
        let ips = fleet.csv("summary/ips.csv");
        let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
        assert!(!r["sample_reply"].ends_with('\r'));
        assert!(fleet.csv("summary/input-problems.csv").is_empty());
    }

    #[test]
    fn a_five_megabyte_line_is_skipped_not_swallowed() {
        let fleet = damaged_fleet();
        let huge = format!(
            "Nov  2 10:00:00 web1 postfix/smtp[1]: ABC: to=<{}@x>",
            "a".repeat(5 << 20)
        );
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{huge}\n{S3140_RFC3164}\n").as_bytes(),
        );
        let ips = expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log", "1", "longer than 1 MiB")],
        );
        assert!(
            ips.iter().any(|r| r["ip"] == "198.51.100.7"),
            "the line after it is read"
        );
    }

    #[test]
    fn an_empty_file_is_listed() {
        let fleet = damaged_fleet();
        write_bytes(&fleet, "vps-a/mail.log", b"");
        expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log", "", "empty file")],
        );
    }

    fn gzip(text: &str) -> Vec<u8> {
        use flate2::{write::GzEncoder, Compression};
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_truncated_gzip_keeps_what_was_read() {
        let fleet = damaged_fleet();
        let mut text = format!("{S3140_RFC3164}\n");
        for i in 0..20_000 {
            text.push_str(&format!("{} {i}\n", NOISE));
        }
        let bytes = gzip(&text);
        write_bytes(&fleet, "vps-a/mail.log.2.gz", &bytes[..bytes.len() / 2]);
        let ips = expect_problems(&fleet, fleet.run(1), &[]);
        let problems = fleet.csv("summary/input-problems.csv");
        assert!(
            problems.iter().any(|p| p["file"] == "vps-a/mail.log.2.gz"
                && p["reason"].contains("corrupt or truncated")),
            "{problems:#?}"
        );
        assert!(
            ips.iter().any(|r| r["ip"] == "198.51.100.7"),
            "lines before the cut are read"
        );
    }

    #[test]
    fn a_corrupt_gzip_is_listed() {
        let fleet = damaged_fleet();
        let mut bytes = gzip(&format!("{S3140_RFC3164}\n").repeat(200));
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 16] {
            *b ^= 0x5a;
        }
        write_bytes(&fleet, "vps-a/mail.log.3.gz", &bytes);
        fleet.run(1);
        let problems = fleet.csv("summary/input-problems.csv");
        assert!(
            problems.iter().any(|p| p["file"] == "vps-a/mail.log.3.gz"),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_binary_file_is_reported_once_by_name() {
        let fleet = damaged_fleet();
        let bytes: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        write_bytes(&fleet, "vps-a/core.dump", &bytes);
        expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/core.dump", "", "not a recognised mail log")],
        );
        let problems = fleet.csv("summary/input-problems.csv");
        assert_eq!(
            problems
                .iter()
                .filter(|p| p["file"] == "vps-a/core.dump")
                .count(),
            1,
            "once, not per line"
        );
    }

    #[test]
    fn an_unreadable_file_is_listed() {
        use std::os::unix::fs::PermissionsExt;
        let fleet = damaged_fleet();
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{S3140_RFC3164}\n").as_bytes(),
        );
        let path = fleet.path("logs/vps-a/mail.log");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads anything: run as nobody then, with a tree nobody may walk and write.
        let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        let out = if is_root {
            for dir in [
                fleet.dir.path().to_path_buf(),
                fleet.path("logs"),
                fleet.path("logs/vps-a"),
                fleet.path("logs/vps-b"),
            ] {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
            }
            for f in [
                fleet.path("inventory.csv"),
                fleet.path("logs/vps-b/mail.log"),
            ] {
                fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
            }
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(env!("CARGO_BIN_EXE_blockscope"))
                .args(["run", "--threads", "1", "--logs"])
                .arg(fleet.path("logs"))
                .arg("--inventory")
                .arg(fleet.path("inventory.csv"))
                .arg("--out")
                .arg(fleet.path("out"))
                .output()
                .unwrap()
        } else {
            fleet.run(1)
        };
        expect_problems(&fleet, out, &[("vps-a/mail.log", "", "ermission denied")]);
    }

    #[test]
    fn a_symlink_loop_is_listed() {
        let fleet = damaged_fleet();
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{S3140_RFC3164}\n").as_bytes(),
        );
        std::os::unix::fs::symlink("..", fleet.path("logs/vps-a/loop")).unwrap();
        let ips = expect_problems(&fleet, fleet.run(1), &[("vps-a/loop", "", "link loop")]);
        assert_eq!(
            row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["events"],
            "1",
            "read once"
        );
    }

    #[test]
    fn a_directory_named_like_a_file_is_listed() {
        let fleet = damaged_fleet();
        fs::create_dir_all(fleet.path("logs/vps-a/mail.log.1")).unwrap();
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{S3140_RFC3164}\n").as_bytes(),
        );
        expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log.1", "", "directory named like a log file")],
        );
    }

    #[test]
    fn line_problems_are_capped_per_file_with_a_count() {
        let fleet = damaged_fleet();
        let garbage = vec!["garbage"; 100].join("\n");
        write_bytes(
            &fleet,
            "vps-a/mail.log",
            format!("{S3140_RFC3164}\n{garbage}\n").as_bytes(),
        );
        expect_problems(
            &fleet,
            fleet.run(1),
            &[("vps-a/mail.log", "", "80 more problem lines not listed")],
        );
        let problems = fleet.csv("summary/input-problems.csv");
        assert_eq!(
            problems
                .iter()
                .filter(|p| p["file"] == "vps-a/mail.log")
                .count(),
            21
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Other MTAs and envelopes (line shapes from the MTAs' sources and public logs; the real-MTA
// captures are in tests/fixtures/).

mod formats {
    use super::*;

    const EXIM_NEW: &[&str] = &[
        "2026-11-02 11:00:05.123 +0100 [4242] 1wrx8k-00000000Xy0-ABCD <= shop@customer.example H=localhost (web1) [127.0.0.1] P=esmtp S=1842",
        "2026-11-02 11:00:06.200 +0100 [4243] 1wrx8k-00000000Xy0-ABCD ** someone@hotmail.com R=dnslookup T=remote_smtp H=hotmail-com.olc.protection.outlook.com [104.47.66.33] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after MAIL FROM:<shop@customer.example> SIZE=1842: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "2026-11-02 11:00:07.000 +0100 [4244] 1wrx8k-00000000Xz0-ABCD == d@hotmail.com R=dnslookup T=remote_smtp defer (-45) H=hotmail-com.olc.protection.outlook.com [104.47.66.33] I=[198.51.100.7]: SMTP error from remote mail server after MAIL FROM:<shop@customer.example> SIZE=1842: 451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://aka.ms/postmaster (S775)",
        r"2026-11-02 11:00:08.000 +0100 [4245] 1wrx8k-00000000Y00-ABCD ** f@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.102.27] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after end of data: 550-5.7.1 [198.51.100.7      1] Our system has detected an unusual rate of\n550-5.7.1 unsolicited mail originating from your IP address. To protect our\n550-5.7.1 users from spam, mail sent from your IP address has been blocked.\n550 5.7.1 Bulk Email Senders Guidelines. s25si6573124wmj.54 - gsmtp",
        "2026-11-02 11:00:09.000 +0100 [4246] 1wrx8k-00000000Y10-ABCD => g@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [142.250.102.27] I=[198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK  1700000000 x-gsmtp\"",
        "2026-11-02 11:00:10.000 +0100 [4247] 1wrx8k-00000000Y20-ABCD == h@example.org R=dnslookup T=remote_smtp defer (-54): retry time not reached for any host for 'example.org'",
        "2026-11-02 11:00:11.000 +0100 [4248] 1wrx8k-00000000Y30-ABCD ** i@example.org: retry timeout exceeded",
        "2026-11-02 11:00:12.000 +0100 [4249] 1wrx8k-00000000Y40-ABCD => web <web@web1> R=local_user T=mail_spool",
    ];

    #[test]
    fn exim_mainlog_with_interface_ms_zone_pid_and_long_ids() {
        let fleet = Fleet::new(&format!(
            "{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\nc1,A,vps-a,198.51.100.70\n"
        ));
        fleet.log("vps-a/exim4/mainlog", EXIM_NEW, NOV_23_2026);
        let out = fleet.run(1);
        ok(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("1 sent, 1 deferred, 2 bounced (0 non-final replies); 1 expired; 1 suspended retries; 1 local"), "{stderr}");
        let ips = fleet.csv("summary/ips.csv");
        let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
        assert_eq!(r["ip_source"], "mta_interface");
        assert_eq!(r["first_seen"], "2026-11-02T10:00:06Z", "+0100 applied");
        assert_eq!(r["platform"], "outlook.com");
        assert_eq!(
            row(&ips, "198.51.100.7", "ms-outlook-rate-limited")["code"],
            "4.7.650"
        );
        let gmail = row(&ips, "198.51.100.7", "gmail-unsolicited-blocked");
        assert!(
            gmail["sample_reply"].contains("rate of\\n550-5.7.1 unsolicited"),
            "kept as Exim logged it (literal \\n): {}",
            gmail["sample_reply"]
        );
        let subnets = fleet.csv("summary/subnets.csv");
        assert_eq!(subnets[0]["active_ips"], "1");
    }

    #[test]
    fn exim_before_4_85_and_via_syslog() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
        fleet.log(
            "vps-a/exim4/mainlog",
            &[
                "2026-11-02 10:00:00 1jmFYj-00039V-QX == a@contoso.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<a@contoso.com>: host contoso-com.mail.protection.outlook.com [52.101.40.2]: 451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS843)",
                "2026-11-02 10:00:01 1jmFYj-00039V-QX == b@null.example R=dnslookup T=remote_smtp defer (110): Connection timed out",
            ],
            NOV_23_2026,
        );
        fleet.log(
            "vps-a/syslog/mail.log",
            &["Nov  2 10:00:05 web1 exim[3751]: 2026-11-02 10:00:05 1jmFYk-00039V-QY ** x@contoso.com R=dnslookup T=remote_smtp H=contoso-com.mail.protection.outlook.com [52.101.40.2] : SMTP error from remote mail server after RCPT TO:<x@contoso.com>: 550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)"],
            NOV_23_2026,
        );
        ok(&fleet.run(1));
        let ips = fleet.csv("summary/ips.csv");
        let busy = row(&ips, "198.51.100.7", "ms-server-busy");
        assert_eq!(
            (busy["platform"].as_str(), busy["ip_source"].as_str()),
            ("office365", "reply")
        );
        assert_eq!(
            row(&ips, "198.51.100.7", "network-failure")["ip_source"],
            "inventory_single"
        );
        assert_eq!(
            row(&ips, "198.51.100.7", "ms-o365-banned-ip")["first_seen"],
            "2026-11-02T10:00:05Z"
        );
    }

    #[test]
    fn opensmtpd_and_sendmail() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\nc1,A,vps-a,198.51.100.70\nc2,B,vps-b,198.51.100.8\n"));
        fleet.log(
            "vps-a/mail.log",
            &[
                "Nov  2 10:00:00 web1 smtpd[2211]: smtp-in: New session 08d856b172f69c5c from host localhost [local]",
                r#"Nov  2 10:00:01 web1 smtpd[2211]: 4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<shop@customer.example> to=<buyer@contoso.com> rcpt=<-> source="198.51.100.7" relay="52.101.40.2 (contoso-com.mail.protection.outlook.com)" delay=0s result="PermFail" stat="550 5.7.606 Access denied, banned sending IP [198.51.100.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)""#,
                r#"Nov  2 10:00:02 web1 smtpd[2211]: 4b3a6c195c1f6011 mta delivery evpid=8f26ea98359eccef from=<shop@customer.example> to=<f@gmail.com> rcpt=<-> source="198.51.100.70" relay="142.250.102.27 (gmail-smtp-in.l.google.com)" delay=1s result="Ok" stat="250 2.0.0 OK 1700000000 x-gsmtp""#,
            ],
            NOV_23_2026,
        );
        fleet.log(
            "vps-b/maillog",
            &[
                "Nov  2 10:00:03 web2 sm-mta[6555]: n3KFZnc6006553: to=<e@example.cz>, ctladdr=<www-data@web2> (33/33), delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120314, relay=mx.example.cz. [192.0.2.77], dsn=5.7.1, stat=Service unavailable; Client host [198.51.100.8] blocked using zen.spamhaus.org",
                "Nov  2 10:00:04 web2 sm-mta[6556]: n3KFZnc6006554: to=<d@hotmail.com>, delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120314, relay=hotmail-com.olc.protection.outlook.com. [104.47.66.33], dsn=4.7.650, stat=Deferred: 451 4.7.650 The mail server [198.51.100.8] has been temporarily rate limited due to IP reputation. (S775)",
                "Nov  2 10:00:05 web2 sm-mta[6557]: n3KFZnc6006555: to=root, delay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent",
            ],
            NOV_23_2026,
        );
        ok(&fleet.run(1));
        let ips = fleet.csv("summary/ips.csv");
        let banned = row(&ips, "198.51.100.7", "ms-o365-banned-ip");
        assert_eq!(
            (banned["ip_source"].as_str(), banned["platform"].as_str()),
            ("mta_interface", "office365")
        );
        let sh = row(&ips, "198.51.100.8", "dnsbl-spamhaus");
        assert_eq!(
            (sh["customer_id"].as_str(), sh["code"].as_str()),
            ("c2", "5.7.1")
        );
        assert_eq!(
            row(&ips, "198.51.100.8", "ms-outlook-rate-limited")["code"],
            "4.7.650"
        );
        let subnets = fleet.csv("summary/subnets.csv");
        assert_eq!(
            subnets[0]["active_ips"], "3",
            ".70 sent clean via OpenSMTPD"
        );
    }

    #[test]
    fn postfix_from_journalctl_and_rfc5424() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        let body = S3140_RFC3164.split_once("web1 ").unwrap().1;
        fleet.log(
            "vps-a/journal.txt",
            &[
                "-- Journal begins at Mon 2026-11-02 00:00:01 CET, ends at Mon 2026-11-02 12:00:00 CET. --",
                &format!("2026-11-02T11:00:01+0100 web1 {body}"),
                "-- Boot 3f2a9c0d1e --",
            ],
            NOV_23_2026,
        );
        fleet.log(
            "vps-b/journal-precise.txt",
            &[&format!(
                "Nov 02 10:00:02.655028 web2 {}",
                body.replace("198.51.100.7", "198.51.100.8")
            )],
            NOV_23_2026,
        );
        let (prog, msg) = body.split_once("[19793]: ").unwrap();
        fleet.log(
            "vps-c/syslog-5424.log",
            &[&format!(
                "<22>1 2026-11-02T10:00:03.000001Z web3 {prog} 19793 - - {}",
                msg.replace("198.51.100.7", "198.51.100.9")
            )],
            NOV_23_2026,
        );
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
            "2026-11-02T10:00:03Z"
        );
        assert!(fleet.csv("summary/input-problems.csv").is_empty());
    }

    #[test]
    fn exim_rejectlog_continuation_lines_are_noise() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
        fleet.log(
            "vps-a/exim4/rejectlog",
            &[
                "1999-03-02 09:44:33 10HmaY-000000005vi-0000 F=<userx@test1> rejected by non-SMTP ACL: don't like sender userx@test1",
                "Envelope-from: <userx@test1>",
                "P Received: from CALLER by myhost.test.ex with local (Exim x.yz)",
                "\t(envelope-from <userx@test1>)",
            ],
            NOV_23_2026,
        );
        let out = fleet.run(1);
        ok(&out);
        assert!(String::from_utf8_lossy(&out.stderr).contains("4 noise lines"));
    }

    #[test]
    fn a_mixed_directory_is_sniffed_per_file() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,198.51.100.7\n"));
        fleet
            .log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026)
            .log("vps-a/exim4/mainlog", &EXIM_NEW[1..2], NOV_23_2026)
            .log(
                "vps-a/notes.txt",
                &["remember to renew the certificate", "call the customer"],
                NOV_23_2026,
            );
        let out = fleet.run(1);
        assert_eq!(out.status.code(), Some(3));
        let ips = fleet.csv("summary/ips.csv");
        assert_eq!(
            row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["events"],
            "2"
        );
        let problems = fleet.csv("summary/input-problems.csv");
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0]["file"], "vps-a/notes.txt");
    }
}

// ---------------------------------------------------------------------------------------------
// Provider rule files and unclassified replies

mod rule_files {
    use super::*;

    const CUSTOM: &str = r#"
# Acme's MX refuses our range: a rule added without rebuilding.
[[rule]]
id = "acme-try-later"
receiver = "acme"
pattern = 'Server configuration problem'
class = "throttle"
permanence = "temporary"
delist_route = "Ask Acme's postmaster (postmaster@acme.example) to lift the limit"
example = '451 4.3.5 Server configuration problem'

# Override a built-in rule's route in place.
[[rule]]
id = "recipient-unknown"
receiver = "any"
pattern = 'user unknown'
class = "not_ip"
permanence = "permanent"
delist_route = ""
example = '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table'
"#;

    #[test]
    fn unclassified_replies_are_grouped_for_rule_writing() {
        let fleet = Fleet::new(&format!(
            "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-b,192.0.2.11\n"
        ));
        fleet.log(
            "vps-a/mail.log",
            &[NO_IP_DEFERRAL, NO_IP_DEFERRAL],
            NOV_23_2026,
        );
        fleet.log(
            "vps-b/mail.log",
            &[&NO_IP_DEFERRAL.replace("<g@example.org>", "<h@example.net>")],
            NOV_23_2026,
        );
        ok(&fleet.run(1));
        let rows = fleet.csv("summary/unclassified.csv");
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!(
            (
                rows[0]["events"].as_str(),
                rows[0]["ips"].as_str(),
                rows[0]["code"].as_str()
            ),
            ("3", "2", "4.3.5")
        );
        assert_eq!(rows[0]["reply"], "451 4.3.5 Server configuration problem");
    }

    #[test]
    fn a_rule_file_adds_and_overrides_rules_without_rebuilding() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
        fleet.log(
            "vps-a/mail.log",
            &[NO_IP_DEFERRAL, USER_UNKNOWN],
            NOV_23_2026,
        );
        fs::write(fleet.path("acme.toml"), CUSTOM).unwrap();
        let rules = fleet.path("acme.toml");
        ok(&fleet.run_args(&["--rules", rules.to_str().unwrap()]));
        let ips = fleet.csv("summary/ips.csv");
        let acme = row(&ips, "192.0.2.10", "acme-try-later");
        assert_eq!(acme["class"], "throttle");
        assert!(acme["delist_route"].contains("postmaster@acme.example"));
        assert_eq!(
            row(&ips, "192.0.2.10", "recipient-unknown")["class"],
            "not_ip"
        );
        assert!(fleet.csv("summary/unclassified.csv").is_empty());
        // `blockscope rules --rules FILE` previews the merged catalogue: new rules first.
        let out = blockscope()
            .args(["rules", "--format", "csv", "--rules"])
            .arg(&rules)
            .output()
            .unwrap();
        ok(&out);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.lines().nth(1).unwrap().starts_with("acme-try-later,"),
            "{text}"
        );
        assert_eq!(
            text.matches("\nrecipient-unknown,").count(),
            1,
            "replaced in place, not duplicated"
        );
    }

    #[test]
    fn a_bad_rule_file_names_file_line_and_problem() {
        let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
        fleet.log("vps-a/mail.log", &[NO_IP_DEFERRAL], NOV_23_2026);
        for (text, want) in [
            (
                CUSTOM.replace("class = \"throttle\"", "class = \"slow\""),
                ("acme.toml:7:", "class \"slow\""),
            ),
            (
                CUSTOM.replace("'Server configuration problem'", "'Server (configuration'"),
                ("acme.toml:6:", "not a valid regex"),
            ),
            (
                CUSTOM.replace("permanence = \"temporary\"", "permanence = \"sometimes\""),
                ("acme.toml:8:", "permanence"),
            ),
            (
                CUSTOM.replace(
                    "[[rule]]\nid = \"recipient-unknown\"",
                    "[[rule]]\nid = \"acme-try-later\"",
                ),
                ("acme.toml:", "already used"),
            ),
            (
                "[[rule]]\nid = \"x\"\nreceiver = \"any\"\n".to_string(),
                ("acme.toml:1:", "missing field"),
            ),
            ("[[rule]\n".to_string(), ("acme.toml:1:", "")),
        ] {
            fs::write(fleet.path("acme.toml"), &text).unwrap();
            let out = fleet.run_args(&["--rules", fleet.path("acme.toml").to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(want.0) && err.contains(want.1),
                "want {want:?} in {err}"
            );
            assert!(!fleet.path("out").exists());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SNDS joined with the logs

mod snds;

// ---------------------------------------------------------------------------------------------
// Reports people act on: delisting pack, notices, attest, explain (on the sample fleet)

mod acting {
    use super::*;

    fn sample_args() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
        vec![
            "--inventory".into(),
            root.join("inventory.csv").display().to_string(),
            "--logs".into(),
            root.join("logs").display().to_string(),
            "--snds".into(),
            root.join("snds").display().to_string(),
            "--threads".into(),
            "2".into(),
        ]
    }

    #[test]
    fn delisting_pack_and_notices() {
        let fleet = sample_fleet();
        let snds = fleet.path("snds");
        ok(&fleet.run_args(&[
            "--threads",
            "2",
            "--snds",
            snds.to_str().unwrap(),
            "--delist-contact",
            "abuse@hoster.example",
        ]));
        let outlook = fs::read_to_string(fleet.path("out/delist/outlook-com.txt")).unwrap();
        let paste = outlook
            .lines()
            .skip_while(|l| !l.starts_with("Outbound IP"))
            .nth(1)
            .unwrap();
        assert!(
            paste.starts_with("198.51.100.10/31; 198.51.100.23; "),
            "merged and '; '-separated: {paste}"
        );
        assert!(outlook.contains("== Range 198.51.100.0/24 (neighbourhood)"));
        assert!(outlook.contains("Rule IDs quoted by Outlook.com: AS3140, S3140, S3150"));
        assert!(outlook.contains("hosting provider"));
        let o365 = fleet.csv("delist/office365.csv");
        assert_eq!(o365.len(), 1);
        assert_eq!(
            (o365[0]["ip"].as_str(), o365[0]["contact"].as_str()),
            ("203.0.113.17", "abuse@hoster.example")
        );
        assert!(o365[0]["ndr"].starts_with("550 5.7.606"));
        let mail =
            fs::read_to_string(fleet.path("out/delist/delist-microsoft-5.7.511.txt")).unwrap();
        assert!(
            mail.contains("To: delist@microsoft.com")
                && mail.contains("192.0.2.14")
                && mail.contains("550 5.7.511 Access denied")
        );
        let dnsbl = fleet.csv("delist/dnsbl-lookups.csv");
        assert!(dnsbl.iter().any(|r| r["ip"] == "203.0.113.52"
            && r["lookup_url"] == "https://check.spamhaus.org/results/?query=203.0.113.52"));
        // Notices: neighbourhood victims are told it is the range; the SNDS culprit is told it is them.
        let victim = fs::read_to_string(fleet.path("out/customers/c1001.md")).unwrap();
        assert!(victim.contains("neighbourhood") && victim.contains("198.51.100.10"));
        let culprit = fs::read_to_string(fleet.path("out/customers/c1006.md")).unwrap();
        assert!(culprit.contains("spam complaints or spam-trap hits from this address"));
        let single = fs::read_to_string(fleet.path("out/customers/c1007.md")).unwrap();
        assert!(single.contains("concerns your address alone") && single.contains("Microsoft 365"));
        // A notice never names another customer's address.
        let inventory =
            read_csv(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/inventory.csv"));
        for other in inventory.iter().filter(|r| r["customer_id"] != "c1001") {
            assert!(
                !victim.contains(&format!("{} ", other["ip"]))
                    && !victim.contains(&other["customer_name"]),
                "{}",
                other["ip"]
            );
        }
    }

    #[test]
    fn attest_text_and_csv() {
        let mut args = vec![
            "attest".to_string(),
            "--range".into(),
            "198.51.100.0/24".into(),
            "--provider".into(),
            "Example Hosting GmbH".into(),
        ];
        args.extend(sample_args());
        let out = blockscope().args(&args).output().unwrap();
        ok(&out);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Example Hosting GmbH is the hosting provider"));
        assert!(
            text.contains("198.51.100.10/31; 198.51.100.23; 198.51.100.37; 198.51.100.38/31"),
            "{text}"
        );
        assert!(text.contains("used by 8 customer(s)"));
        assert!(text.contains("Evidence window (our mail logs): 2026-11-"));
        assert!(
            !text.contains("Harbourside Bakery"),
            "ids only unless --names"
        );
        let mut args = vec![
            "attest".to_string(),
            "--customer".into(),
            "c1001".into(),
            "--names".into(),
            "--format".into(),
            "csv".into(),
        ];
        args.extend(sample_args());
        let out = blockscope().args(&args).output().unwrap();
        ok(&out);
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "network,customer_id,customer_name,vps_id,blocked_ips,block_events,throttle_events"
            )
        );
        assert_eq!(
            lines.next(),
            Some("198.51.100.10/32,c1001,Harbourside Bakery Ltd,vps-c1001-01,198.51.100.10,16,0")
        );
        let out = blockscope()
            .args(["attest", "--customer", "nobody", "--inventory"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/inventory.csv"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }

    #[test]
    fn explain_shows_owner_verdicts_and_evidence_lines() {
        let mut args = vec!["explain".to_string(), "198.51.100.10".into()];
        args.extend(sample_args());
        let out = blockscope().args(&args).output().unwrap();
        ok(&out);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(
                "198.51.100.10/32  customer c1001 (Harbourside Bakery Ltd)  VPS vps-c1001-01"
            ),
            "{text}"
        );
        assert!(text.contains("ms-outlook-network-blocklist (network_block)  16 event(s)"));
        assert!(text.contains("subnet 198.51.100.0/24 neighbourhood"));
        assert!(text.contains("SNDS: filter"));
        let evidence: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("vps-c1001-01/mail.log"))
            .collect();
        assert!(!evidence.is_empty());
        assert!(text.contains("rule ms-outlook-network-blocklist (network_block) matched /"));
        // Every cited file:line really is the line about that IP.
        let line = text
            .lines()
            .find(|l| l.contains("bounced  from 198.51.100.10"))
            .unwrap();
        let (file, rest) = line.split_once(':').unwrap();
        let n: usize = rest.split_whitespace().next().unwrap().parse().unwrap();
        let log = blockscope::ingest::read_to_string_lossy(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("sample-data/logs")
                .join(file),
        )
        .unwrap();
        assert!(log.lines().nth(n - 1).unwrap().contains("198.51.100.10"));
    }
}

// ---------------------------------------------------------------------------------------------
// Nightly operation: config file, check-config, lock, metrics

mod nightly {
    use super::*;

    #[test]
    fn a_config_file_with_relative_paths_and_flags_overriding_it() {
        let fleet = Fleet::one_s3140();
        fs::write(fleet.path("blockscope.toml"), "logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"from-config\"\nipv4_prefix = 24\nmetrics = \"blockscope.prom\"\n").unwrap();
        let config = fleet.path("blockscope.toml");
        let out = blockscope()
            .args(["run", "-q", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(fleet.path("from-flag"))
            .output()
            .unwrap();
        ok(&out);
        assert!(
            fleet.path("from-flag/summary/ips.csv").is_file(),
            "the flag wins"
        );
        assert!(!fleet.path("from-config").exists());
        let metrics = fs::read_to_string(fleet.path("blockscope.prom")).unwrap();
        assert!(metrics.contains("# TYPE blockscope_last_success_timestamp_seconds gauge"));
        assert!(
            metrics.contains("blockscope_blocked_ips{platform=\"outlook.com\"} 1"),
            "{metrics}"
        );
        assert!(metrics.contains("blockscope_subnets{verdict=\"neighbourhood\"} 1"));
        assert!(metrics.contains("blockscope_input_lines 1"));
    }

    #[test]
    fn check_config_validates_everything_and_names_the_problem() {
        let fleet = Fleet::one_s3140();
        let config = fleet.path("blockscope.toml");
        fs::write(
            &config,
            "logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\n",
        )
        .unwrap();
        let out = blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        ok(&out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("6 customers, 7 VPSes"));
        assert!(!fleet.path("out").exists(), "check-config writes nothing");
        fs::write(
            &config,
            "logs = \"logs\"\ninventory = \"inventory.csv\"\nout = \"out\"\nthreds = 2\n",
        )
        .unwrap();
        let out = blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("blockscope.toml:4: unknown field `threds`"));
        fs::write(&config, "logs = \"logs\"\nout = \"out\"\n").unwrap();
        let out = blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--inventory FILE is required"));
        fs::write(
            fleet.path("inventory.csv"),
            format!("{INVENTORY_HEADER}c1,A,vps-a,300.1.1.1\n"),
        )
        .unwrap();
        let out = blockscope()
            .args(["check-config", "--config"])
            .arg(&config)
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("inventory.csv:2:"));
    }

    #[test]
    fn previous_report_sets_are_archived_up_to_keep() {
        let fleet = Fleet::one_s3140();
        for night in 1..=4 {
            fleet.log(
                "vps-b/mail.log",
                &[&S3140_MAILLOG_FILE.replace("10:00:02", &format!("10:00:0{night}"))],
                NOV_23_2026,
            );
            ok(&fleet.run_args(&["--threads", "1", "--keep", "2"]));
        }
        let mut sets: Vec<String> = fs::read_dir(fleet.path("out.archive"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        sets.sort();
        assert_eq!(sets, ["000002", "000003"], "the two newest previous sets");
        let newest_archived = read_csv(&fleet.path("out.archive/000003/summary/ips.csv"));
        assert_eq!(
            row(
                &newest_archived,
                "198.51.100.8",
                "ms-outlook-network-blocklist"
            )["first_seen"],
            "2026-11-02T10:00:03Z"
        );
        let current = fleet.csv("summary/ips.csv");
        assert_eq!(
            row(&current, "198.51.100.8", "ms-outlook-network-blocklist")["first_seen"],
            "2026-11-02T10:00:04Z"
        );
        let leftovers: Vec<_> = fs::read_dir(fleet.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".blockscope"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_second_run_on_the_same_reports_stops_with_its_own_exit_code() {
        let fleet = Fleet::one_s3140();
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(fleet.path("out.lock"))
            .unwrap();
        lock.lock().unwrap();
        let out = fleet.run(1);
        assert_eq!(out.status.code(), Some(4));
        assert!(String::from_utf8_lossy(&out.stderr).contains("another blockscope run"));
        assert!(!fleet.path("out").exists());
        lock.unlock().unwrap();
        ok(&fleet.run(1));
    }
}

mod state_between_runs {
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
            let md = fs::read_to_string(fleet.path("out/summary/summary.md")).unwrap();
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
            serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap())
                .unwrap();
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
            serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap())
                .unwrap();
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
        let problems = fs::read_to_string(fleet.path("out/summary/input-problems.csv")).unwrap();
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
            serde_json::from_str(&fs::read_to_string(fleet.path("state/state.json")).unwrap())
                .unwrap();
        assert_eq!(saved["version"], 2);
    }
}

// ---------------------------------------------------------------------------------------------
// summary.html: escaping, heatmaps, self-containment.

mod html {
    use super::*;

    fn summary_html(fleet: &Fleet) -> String {
        fs::read_to_string(fleet.path("out/summary/summary.html")).unwrap()
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let inv = format!(
            "{INVENTORY_HEADER}c1,<svg onload=alert(3)>,vps-a,198.51.100.7\nc2,Beta Blog,vps-b,198.51.100.8\n"
        );
        let fleet = Fleet::new(&inv);
        let hostile = NO_IP_DEFERRAL.replace(
            "Server configuration problem",
            "<script>alert(1)</script> \"><img src=x onerror=alert(1)> it's \u{1b}[31m",
        );
        fleet
            .log("vps-a/mail.log", &[S3140_RFC3164, &hostile], NOV_23_2026)
            .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
            // An empty file is an input problem, listed with its (hostile) name.
            .log("vps-b/<img src=x onerror=alert(2)>.log", &[], NOV_23_2026);
        let out = fleet.run(1);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let html = summary_html(&fleet);
        for raw in [
            "<script>alert",
            "<img src=x",
            "<svg onload",
            "\"><img",
            "\u{1b}",
        ] {
            assert!(!html.contains(raw), "unescaped {raw:?} in summary.html");
        }
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; it&#39;s \u{FFFD}[31m",
            "&lt;svg onload=alert(3)&gt;",
            "vps-b/&lt;img src=x onerror=alert(2)&gt;.log",
        ] {
            assert!(html.contains(escaped), "no {escaped:?} in summary.html");
        }
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
    }

    #[test]
    fn neighbourhood_gets_a_heatmap_and_the_page_is_self_contained() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet
            .log("vps-a/mail.log", &[S3140_RFC3164, SENT_GMAIL], NOV_23_2026)
            .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
            .log("vps-c/mail.log", &[S3140_RFC3339], NOV_23_2026)
            .log("vps-d/mail.log", &[S3140_UNPADDED_DAY], NOV_23_2026);
        ok(&fleet.run(1));
        let html = summary_html(&fleet);
        assert_eq!(
            html.matches("<article class=\"hm ").count(),
            1,
            "one affected subnet"
        );
        let start = html
            .find("<article class=\"hm v-neighbourhood\" data-subnet=\"198.51.100.0/24\">")
            .expect("a heatmap for the neighbourhood /24");
        let card = &html[start..start + html[start..].find("</article>").unwrap()];
        assert!(card.contains("badge b-neighbourhood"), "verdict badge");
        assert_eq!(card.matches("<rect class=\"cell ").count(), 256);
        for last in 7..=10 {
            let cell = format!("<rect class=\"cell blocked\" data-ip=\"198.51.100.{last}\"");
            assert!(card.contains(&cell), "{cell}");
        }
        // c6's addresses are ours but silent; .1 is nobody's.
        assert!(card.contains("<rect class=\"cell silent\" data-ip=\"198.51.100.20\""));
        assert!(card.contains("<rect class=\"cell notours\" data-ip=\"198.51.100.1\""));
        // Self-contained: no external script, stylesheet, image or frame; nothing fetched by CSS.
        assert!(html.contains("default-src 'none'"), "CSP forbids loads");
        for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed"] {
            for (at, _) in html.match_indices(tag) {
                let open = &html[at..at + html[at..].find('>').unwrap()];
                assert!(
                    !open.contains("src=") && !open.contains("href=") && !open.contains("http"),
                    "external resource: {open}"
                );
            }
        }
        assert!(!html.contains("url(") && !html.contains("@import"));
    }
}

#[test]
fn man_page_and_completions_come_from_the_cli_definition() {
    let man = blockscope().arg("man").output().unwrap();
    ok(&man);
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(
        man.contains(".TH blockscope 1") && man.contains("check\\-config"),
        "{}",
        &man[..200.min(man.len())]
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = blockscope().args(["completions", shell]).output().unwrap();
        ok(&out);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("attest"),
            "{shell}"
        );
    }
}

#[test]
fn the_run_summary_can_be_a_json_line() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[S3140_RFC3164, "garbage"], NOV_23_2026);
    let out = fleet.run_args(&["--threads", "1", "--log-format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
    assert_eq!(line["event"], "run_finished");
    assert_eq!(line["bounced"], 1);
    assert_eq!(line["blocked_ips"], 1);
    assert_eq!(line["skipped"]["no recognisable timestamp"], 1);
}

#[test]
fn zone_less_timestamps_follow_tz() {
    let fleet = Fleet::one_s3140();
    fleet.log("vps-c/mail.log", &[S3140_RFC3339], NOV_23_2026);
    fleet.log(
        "vps-b/exim4/mainlog",
        &["2026-11-02 10:00:02 1jmFYk-00039V-QY ** a@hotmail.com R=dnslookup T=remote_smtp H=hotmail-com.olc.protection.outlook.com [104.47.66.33] : SMTP error from remote mail server after MAIL FROM:<x@y>: 550 5.7.1 Unfortunately, messages from [198.51.100.8] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140)."],
        NOV_23_2026,
    );
    ok(&fleet.run_args(&["--threads", "1", "--tz", "Europe/Berlin"]));
    let ips = fleet.csv("summary/ips.csv");
    let rule = "ms-outlook-network-blocklist";
    assert_eq!(
        row(&ips, "198.51.100.7", rule)["first_seen"],
        "2026-11-02T09:00:01Z",
        "RFC 3164 in Berlin time"
    );
    assert_eq!(
        row(&ips, "198.51.100.8", rule)["first_seen"],
        "2026-11-02T09:00:02Z",
        "Exim without log_timezone"
    );
    assert_eq!(
        row(&ips, "198.51.100.9", rule)["first_seen"],
        "2026-11-02T10:00:03Z",
        "RFC 3339 carries its own offset"
    );
    let out = fleet.run_args(&["--tz", "Mars/Olympus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA name"));
}

/// Four VPSes of `neighbourhood_inventory` and their addresses.
const VPS_IPS: [(&str, &str); 4] = [
    ("vps-a", "198.51.100.7"),
    ("vps-b", "198.51.100.8"),
    ("vps-c", "198.51.100.9"),
    ("vps-d", "198.51.100.10"),
];

#[test]
fn kill_9_at_any_point_leaves_the_previous_reports_and_a_rerun_matches() {
    use std::os::unix::process::ExitStatusExt;
    let fleet = Fleet::new(&neighbourhood_inventory());
    // Enough input that the run takes a while: many VPS files of noise around the blocks, each
    // its own (the same content twice is read once) and quoting its own address.
    for (vps, ip) in VPS_IPS {
        let noise: Vec<String> = (0..60_000).map(|i| format!("{NOISE} {vps} {i}")).collect();
        let block = S3140_RFC3164.replace("198.51.100.7", ip);
        let mut lines: Vec<&str> = noise.iter().map(String::as_str).collect();
        lines.push(&block);
        fleet.log(&format!("{vps}/mail.log"), &lines, NOV_23_2026);
    }
    ok(&fleet.run(2));
    let before = tree_contents(&fleet.path("out"));
    // The next night has one more block; kill the run at several moments.
    fleet.log("vps-e/mail.log", &[O365_5_7_606], NOV_23_2026);
    let mut killed = 0;
    for delay_ms in [1u64, 5, 15, 30, 60, 120] {
        let mut child = blockscope()
            .args(["run", "--threads", "2", "-q", "--logs"])
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path("out"))
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let now = tree_contents(&fleet.path("out"));
        if status.signal() == Some(9) {
            killed += 1;
            assert!(
                now == before || !now.is_empty(),
                "a complete report set is always in place"
            );
        }
        // Either the old set (killed before the swap) or the new one (finished or swapped): never a mix.
        let ips = String::from_utf8(now["summary/ips.csv"].clone()).unwrap();
        let new_row = ips.contains("203.0.113.25");
        assert_eq!(
            now.len(),
            before.len(),
            "no half-written set after kill at {delay_ms} ms"
        );
        if !new_row {
            assert!(
                now == before,
                "killed at {delay_ms} ms: the previous set must be untouched"
            );
        }
    }
    assert!(killed > 0, "at least one run was really killed");
    // A clean rerun gives exactly what an uninterrupted run gives, and no debris is left.
    ok(&fleet.run(2));
    let after = tree_contents(&fleet.path("out"));
    let reference = Fleet::new(&neighbourhood_inventory());
    copy_tree(&fleet.path("logs"), &reference.path("logs"));
    ok(&reference.run(2));
    assert_eq!(after, tree_contents(&reference.path("out")));
    let debris: Vec<_> = fs::read_dir(fleet.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope"))
        .collect();
    assert!(debris.is_empty(), "{debris:?}");
}

/// With `--state` a run commits reports, day files and state.json; killed anywhere, the state is
/// the old or the new one, and the next run gives what an uninterrupted night gives.
#[test]
fn kill_9_with_a_state_never_double_counts() {
    // Each VPS's file its own (the same content twice is read once), quoting its own address.
    let noise = |vps: &str, ip: &str| -> Vec<String> {
        (0..60_000)
            .map(|i| format!("{NOISE} {vps} {i}"))
            .chain([S3140_RFC3164.replace("198.51.100.7", ip)])
            .collect()
    };
    let night = |fleet: &Fleet, out: &Path, state: &Path| {
        let mut cmd = blockscope();
        cmd.args(["run", "--threads", "2", "-q", "--logs"])
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(out)
            .arg("--state")
            .arg(state);
        cmd
    };
    let fleet = Fleet::new(&neighbourhood_inventory());
    for (vps, ip) in VPS_IPS {
        let lines = noise(vps, ip);
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        fleet.log(&format!("{vps}/mail.log"), &lines, NOV_23_2026);
    }
    ok(&night(&fleet, &fleet.path("out"), &fleet.path("state"))
        .output()
        .unwrap());
    // Night 2: one more block and more lines in an appended file.
    fleet.log("vps-e/mail.log", &[O365_5_7_606], NOV_23_2026);
    let grown = noise("vps-a", "198.51.100.7");
    let mut grown: Vec<&str> = grown.iter().map(String::as_str).collect();
    let later = S3140_RFC3164.replace("Nov  2", "Nov  3");
    grown.push(&later);
    fleet.log("vps-a/mail.log", &grown, NOV_23_2026);
    let reference = fleet.path("reference");
    copy_tree(&fleet.path("out"), &reference.join("out"));
    copy_tree(&fleet.path("state"), &reference.join("state"));
    ok(
        &night(&fleet, &reference.join("out"), &reference.join("state"))
            .output()
            .unwrap(),
    );
    let expected = tree_contents(&reference.join("out"));
    let mut killed = 0;
    for (attempt, delay_ms) in [1u64, 5, 15, 30, 60, 90, 120].into_iter().enumerate() {
        let dir = fleet.path(&format!("attempt-{attempt}"));
        copy_tree(&fleet.path("out"), &dir.join("out"));
        copy_tree(&fleet.path("state"), &dir.join("state"));
        let old_state = fs::read(dir.join("state/state.json")).unwrap();
        let mut child = night(&fleet, &dir.join("out"), &dir.join("state"))
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let finished = child.wait().unwrap().success();
        let state = fs::read(dir.join("state/state.json")).unwrap();
        serde_json::from_slice::<serde_json::Value>(&state).expect("state.json is always whole");
        if state == old_state {
            killed += 1;
            // Not committed: the rerun is the uninterrupted night.
            ok(&night(&fleet, &dir.join("out"), &dir.join("state"))
                .output()
                .unwrap());
        } else {
            assert!(finished || !state.is_empty());
        }
        assert_eq!(
            tree_contents(&dir.join("out")),
            expected,
            "killed after {delay_ms} ms"
        );
    }
    assert!(
        killed > 0,
        "at least one run was killed before it committed"
    );
}

#[test]
fn a_full_disk_fails_the_run_and_keeps_the_previous_reports() {
    let is_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if !is_root {
        eprintln!("skipped: mounting a small tmpfs needs root (CI runs as root)");
        return;
    }
    let fleet = Fleet::one_s3140();
    let small = fleet.path("small");
    fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount a 512 KiB tmpfs");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(small.clone());
    let out_dir = small.join("out");
    let run = || {
        blockscope()
            .args(["run", "--threads", "1", "--logs"])
            .arg(fleet.path("logs"))
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap()
    };
    ok(&run());
    let before = tree_contents(&out_dir);
    // Thousands of distinct quoted IPs: the new report set no longer fits.
    let many: Vec<String> = (0..4000)
        .map(|i| {
            S3140_RFC3164.replace(
                "198.51.100.7",
                &format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
            )
        })
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    fleet.log("vps-b/mail.log", &refs, NOV_23_2026);
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("No space left on device"));
    assert_eq!(
        tree_contents(&out_dir),
        before,
        "the previous reports are untouched"
    );
    let debris: Vec<_> = fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".blockscope"))
        .collect();
    assert!(debris.is_empty(), "{debris:?}");
}

// ---------------------------------------------------------------------------------------------
// Fuzzing: every parser takes real lines with random edits, and random text, without panicking.

mod fuzz {
    use blockscope::ingest::{detect_format, parse_line, Format};
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn seeds(texts: &[&'static str]) -> Vec<&'static str> {
        texts
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// A real line (or file) with up to 8 random edits, or arbitrary text.
    fn mutated(seeds: Vec<&'static str>) -> impl Strategy<Value = String> {
        let n = seeds.len();
        let edit = (any::<Index>(), 0u8..4, any::<char>());
        prop_oneof![
            1 => ".{0,300}",
            4 => (0..n, prop::collection::vec(edit, 0..8)).prop_map(move |(i, edits)| {
                let mut chars: Vec<char> = seeds[i].chars().collect();
                for (at, op, c) in edits {
                    let len = chars.len();
                    let i = if len == 0 { 0 } else { at.index(len) };
                    match op {
                        0 => chars.insert(i, c),
                        1 if len > 0 => {
                            chars.remove(i);
                        }
                        2 if len > 0 => chars[i] = c,
                        _ => chars.truncate(i),
                    }
                }
                chars.into_iter().collect()
            }),
        ]
    }

    fn lines_of(seeds: Vec<&'static str>) -> impl Strategy<Value = String> {
        prop::collection::vec(mutated(seeds), 1..6).prop_map(|l| l.join("\n"))
    }

    const POSTFIX: &[&str] = &[
        include_str!("../fixtures/postfix/rsyslog-traditional.log"),
        include_str!("../fixtures/postfix/rsyslog-rfc3339.log"),
        include_str!("../fixtures/postfix/maillog-file.log"),
        include_str!("../fixtures/postfix/multi-instance.log"),
    ];
    const JOURNALD: &str = "2026-11-02T10:00:01+0100 web1 postfix/smtp[1]: 6BAB0300C9CD: to=<a@b.example>, relay=mx.b.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=4.7.0, status=deferred (host mx.b.example[192.0.2.9] said: 421 4.7.0 [198.51.100.7] try later (in reply to MAIL FROM command))\n2026-11-02T10:00:01.123456+0100 web1 postfix/qmgr[2]: 6BAB0300C9CD: removed\n-- Boot 3f2a9b --\n<22>1 2026-11-02T10:00:01Z web1 postfix/smtp 19793 - - 6BAB0300C9CD: to=<a@b.example>, relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.9]:25: Connection refused)";
    const SNDS: &str = "192.0.2.47,11/21/2026 9:00 AM,11/21/2026 5:00 PM,1931,1894,1908,YELLOW,< 0.1%,11/21/2026 9:00 AM,11/21/2026 10:00 AM,3,mail.example,,\nIP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End\n192.0.2.88,11/18/2026 6:00 AM,11/18/2026 9:00 PM,317,312,305,GREEN,< 0.1%,,,,,,\n198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\n192.0.2.40,192.0.2.47,No,\"Not blocked, \"\"ok\"\"\"";
    const INVENTORY: &str = "customer_id,customer_name,vps_id,ip\nc1,Alpha Shop,vps-a,198.51.100.7\nc2,\"Beta, Ltd\",vps-b,2001:db8::/64\nc3,Gamma,vps-c,203.0.113.0/28\n";
    const RULES: &str = "[[rule]]\nid = \"my-rule\"\nreceiver = \"example\"\nplatform = \"other\"\nclass = \"ip_block\"\npermanence = \"permanent\"\npattern = '(?i)blocked by example'\ndelist_route = \"mail postmaster@example.net\"\nexample = \"550 5.7.1 blocked by example\"\n";
    const CONFIG: &str = "logs = \"/srv/logs\"\ninventory = \"inv.csv\"\nout = \"out\"\nkeep = 7\ntz = \"Europe/Berlin\"\nthreads = 2\nipv4_prefix = 24\ndays = 3\nrecipient_detail = \"full\"\n";

    proptest! {
        #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn postfix_and_syslog_lines(line in mutated(seeds(POSTFIX))) {
            let _ = parse_line(Format::Syslog, &line);
            let _ = detect_format(std::iter::once(line.as_str()));
        }

        #[test]
        fn exim_mainlog_and_syslog_lines(line in mutated(seeds(&[
            include_str!("../fixtures/exim/mainlog-default.log"),
            include_str!("../fixtures/exim/mainlog-selectors.log"),
            include_str!("../fixtures/exim/syslog.log"),
        ]))) {
            let _ = parse_line(Format::EximMainlog, &line);
            let _ = parse_line(Format::Syslog, &line);
        }

        #[test]
        fn opensmtpd_lines(line in mutated(seeds(&[include_str!("../fixtures/opensmtpd/maillog.log")]))) {
            let _ = parse_line(Format::Syslog, &line);
        }

        #[test]
        fn sendmail_lines(line in mutated(seeds(&[include_str!("../fixtures/sendmail/maillog.log")]))) {
            let _ = parse_line(Format::Syslog, &line);
        }

        #[test]
        fn journald_and_rfc5424_lines(line in mutated(seeds(&[JOURNALD]))) {
            let _ = parse_line(Format::Syslog, &line);
        }

        #[test]
        fn snds_exports(text in lines_of(seeds(&[SNDS]))) {
            let mut snds = blockscope::ingest::snds::Snds::default();
            let mut problems = Vec::new();
            blockscope::ingest::snds::load_file("snds.csv", &text, &mut snds, &mut problems);
        }

        #[test]
        fn inventories(text in lines_of(seeds(&[INVENTORY]))) {
            let text = format!("customer_id,customer_name,vps_id,ip\n{text}");
            let _ = blockscope::attribute::inventory::Inventory::from_reader(
                std::path::Path::new("inventory.csv"),
                text.as_bytes(),
            );
        }

        #[test]
        fn rule_files(text in mutated(vec![RULES])) {
            let _ = blockscope::classify::rules::parse_rules("rules.toml", &text);
        }

        #[test]
        fn config_files(text in mutated(vec![CONFIG])) {
            let _ = blockscope::config::check_config_text("blockscope.toml", &text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Untrusted text and hostile files: safe outputs, limits.

mod security {
    use super::*;

    fn bounce_with_reply(reply: &str) -> String {
        S3140_RFC3164.replacen(
            &S3140_RFC3164[S3140_RFC3164.find("said: ").unwrap() + 6
                ..S3140_RFC3164.rfind(" (in reply").unwrap()],
            reply,
            1,
        )
    }

    #[test]
    fn csv_cells_cannot_become_formulas_or_carry_control_characters() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        let reply = "=HYPERLINK(\"http://evil.example\",\"click\") 550 5.7.1 [198.51.100.7] \u{1b}[31mblocked";
        fleet.log("vps-a/mail.log", &[&bounce_with_reply(reply)], NOV_23_2026);
        fleet.log("=1+2/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
        let out = fleet.run(1);
        assert_eq!(out.status.code(), Some(3));
        let ips = fs::read_to_string(fleet.path("out/summary/ips.csv")).unwrap();
        assert!(ips.contains(",\"'=HYPERLINK("), "{ips}");
        assert!(
            !ips.contains(",=HYPERLINK(") && !ips.contains(",\"=HYPERLINK("),
            "{ips}"
        );
        assert!(
            ips.contains("\\x1b[31mblocked") && !ips.contains('\u{1b}'),
            "{ips}"
        );
        let customer = fs::read_to_string(fleet.path("out/customers/c1.csv")).unwrap();
        assert!(customer.contains(",\"'=HYPERLINK("), "{customer}");
        let problems = fs::read_to_string(fleet.path("out/summary/input-problems.csv")).unwrap();
        assert!(problems.contains("'=1+2/"), "{problems}");
        for file in [
            "summary/summary.md",
            "summary/summary.html",
            "customers/c1.md",
        ] {
            let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
            assert!(
                !text.contains('\u{1b}'),
                "{file} carries a raw escape character"
            );
        }
    }

    #[test]
    fn reports_show_recipient_domains_not_addresses_unless_asked() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet.log("vps-a/mail.log", &[USER_UNKNOWN], NOV_23_2026);
        ok(&fleet.run(1));
        let ips = fs::read_to_string(fleet.path("out/summary/ips.csv")).unwrap();
        assert!(
            ips.contains("<*@example.net>") && !ips.contains("nobody@"),
            "{ips}"
        );
        for file in [
            "summary/summary.md",
            "summary/summary.html",
            "customers/c1.csv",
            "customers/c1.md",
            "summary/unclassified.csv",
        ] {
            let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
            assert!(!text.contains("nobody@"), "{file}");
        }
        ok(&fleet.run_args(&["--recipient-detail", "full"]));
        let ips = fs::read_to_string(fleet.path("out/summary/ips.csv")).unwrap();
        assert!(ips.contains("<nobody@example.net>"), "{ips}");
    }

    #[test]
    fn a_symlink_planted_in_out_is_never_written_through() {
        let fleet = Fleet::one_s3140();
        ok(&fleet.run(1));
        let victim = fleet.path("victim.txt");
        fs::write(&victim, "precious").unwrap();
        for planted in ["out/summary/ips.csv", "out/customers/c9.csv"] {
            let _ = fs::remove_file(fleet.path(planted));
            std::os::unix::fs::symlink(&victim, fleet.path(planted)).unwrap();
        }
        ok(&fleet.run(1));
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!fs::symlink_metadata(fleet.path("out/summary/ips.csv"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn a_gzip_bomb_stops_with_a_counted_problem() {
        use flate2::{write::GzEncoder, Compression};
        let fleet = Fleet::new(&neighbourhood_inventory());
        fleet.log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026);
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(format!("{S3140_RFC3164}\n").as_bytes())
            .unwrap();
        let block = vec![b'\n'; 1 << 20];
        for _ in 0..80 {
            e.write_all(&block).unwrap();
        }
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 200_000, "80 MiB in {} bytes", bomb.len());
        fs::create_dir_all(fleet.path("logs/vps-a")).unwrap();
        fs::write(fleet.path("logs/vps-a/mail.log.2.gz"), &bomb).unwrap();
        let out = fleet.run(1);
        assert_eq!(out.status.code(), Some(3));
        let problems = fleet.csv("summary/input-problems.csv");
        assert!(
            problems
                .iter()
                .any(|p| p["file"] == "vps-a/mail.log.2.gz" && p["reason"].contains("gzip bomb")),
            "{problems:?}"
        );
        // The lines before the limit were read.
        assert!(fleet
            .csv("summary/ips.csv")
            .iter()
            .any(|r| r["ip"] == "198.51.100.7"));
    }

    #[test]
    fn a_file_naming_too_many_sending_ips_is_capped_and_counted() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        let path = fleet.path("logs/vps-a/mail.log");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = String::new();
        for i in 0..100_010u32 {
            text.push_str(&format!(
                "Nov  2 10:00:00 web1 postfix-2001:db8:{:x}::{:x}/smtp[1]: A{i}: to=<a@b.example>, relay=mx.b.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n",
                i >> 16,
                i & 0xffff
            ));
        }
        fs::write(&path, text).unwrap();
        set_mtime(&path, NOV_23_2026);
        let out = fleet.run(1);
        assert_eq!(out.status.code(), Some(3));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("too many distinct sending IPs in one file"),
            "{err}"
        );
        let problems = fleet.csv("summary/input-problems.csv");
        assert!(
            problems
                .iter()
                .any(|p| p["reason"].contains("10 delivery line(s) skipped")),
            "{problems:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Beyond one machine: ingest on each log host, merge the Parquet partials anywhere.

mod partials {
    use super::*;

    /// `blockscope report` over `partials` (a directory or glob) into `out`, with the fleet's
    /// inventory and, when it has them, its SNDS exports.
    fn report(fleet: &Fleet, partials: &Path, out: &str) -> Output {
        let mut cmd = blockscope();
        cmd.args(["report", "--partials"])
            .arg(partials)
            .arg("--inventory")
            .arg(fleet.path("inventory.csv"))
            .arg("--out")
            .arg(fleet.path(out));
        if fleet.path("snds").is_dir() {
            cmd.arg("--snds").arg(fleet.path("snds"));
        }
        cmd.output().unwrap()
    }

    /// `ingest` on two halves of the fleet + `report` = one `run` over the whole fleet, byte for byte.
    #[test]
    fn ingest_on_two_halves_then_report_equals_one_run() {
        let fleet = sample_fleet();
        ok(&run_sample(&fleet, 2));
        let whole = tree_contents(&fleet.path("out"));
        let mut vpses: Vec<String> = fs::read_dir(fleet.path("logs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        vpses.sort();
        for (i, vps) in vpses.iter().enumerate() {
            let half = if i % 2 == 0 { "host-a" } else { "host-b" };
            copy_tree(&fleet.path("logs").join(vps), &fleet.path(half).join(vps));
        }
        for host in ["host-a", "host-b"] {
            let out = blockscope()
                .args(["ingest", "--threads", "2", "--host-id", host, "--logs"])
                .arg(fleet.path(host))
                .arg("--inventory")
                .arg(fleet.path("inventory.csv"))
                .arg("--out")
                .arg(fleet.path(&format!("partials/{host}.parquet")))
                .output()
                .unwrap();
            ok(&out);
        }
        ok(&report(&fleet, &fleet.path("partials"), "merged"));
        let merged = tree_contents(&fleet.path("merged"));
        assert_eq!(
            merged.keys().collect::<Vec<_>>(),
            whole.keys().collect::<Vec<_>>()
        );
        for (rel, bytes) in &whole {
            assert!(
                &merged[rel] == bytes,
                "{rel} differs:\n--- run\n{}\n--- ingest + report\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&merged[rel])
            );
        }
        // A glob names the same partials.
        let glob = fleet.path("partials").join("host-*.parquet");
        let out = blockscope()
            .args([
                "report",
                "--partials",
                glob.to_str().unwrap(),
                "--inventory",
            ])
            .arg(fleet.path("inventory.csv"))
            .arg("--snds")
            .arg(fleet.path("snds"))
            .arg("--out")
            .arg(fleet.path("globbed"))
            .output()
            .unwrap();
        ok(&out);
        assert_eq!(tree_contents(&fleet.path("globbed")), whole);
    }

    #[test]
    fn a_file_that_is_not_a_partial_is_a_clear_error() {
        let fleet = Fleet::new(&neighbourhood_inventory());
        fs::create_dir_all(fleet.path("partials")).unwrap();
        fs::write(fleet.path("partials/bad.parquet"), "not parquet").unwrap();
        let out = report(&fleet, &fleet.path("partials"), "out");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bad.parquet: not a blockscope partial"),
            "{err}"
        );
        assert!(!fleet.path("out").exists());
        let empty = report(&fleet, &fleet.path("nowhere/*.parquet"), "out");
        assert_eq!(empty.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&empty.stderr).contains("no partials found"));
    }
}

/// A file bigger than the chunk size is read by several workers; the reports (line numbers of
/// problems included) are those of one reader.
#[test]
fn a_huge_file_split_into_ranges_reports_like_one_reader() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let mut lines = Vec::new();
    for i in 0..3_000u32 {
        let t = format!(
            "2026-11-{:02}T{:02}:{:02}:{:02}.000001+01:00",
            1 + i % 20,
            i % 24,
            i % 60,
            (i * 7) % 60
        );
        lines.push(match i % 7 {
            0 => S3140_RFC3339.replacen("2026-11-02T11:00:03.185246+01:00", &t, 1),
            1 => format!("garbage line {i} without a timestamp"),
            2 => S3140_RFC3339
                .replacen("2026-11-02T11:00:03.185246+01:00", &t, 1)
                .replace("198.51.100.9", &format!("198.51.100.{}", 1 + i % 200)),
            _ => format!("{t} web3 postfix/qmgr[1207]: 6BAB0300C9CD: removed {i}"),
        });
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-c/mail.log", &refs, NOV_23_2026);
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    let size = fs::metadata(fleet.path("logs/vps-c/mail.log"))
        .unwrap()
        .len();
    assert!(size > 300_000);
    let one = fleet.run(2);
    assert_eq!(one.status.code(), Some(3));
    let whole = tree_contents(&fleet.path("out"));
    let split = fleet.run_split("4096");
    assert_eq!(split.status.code(), Some(3));
    let err = String::from_utf8_lossy(&split.stderr);
    assert!(err.contains("split: 1 huge file(s) read in"), "{err}");
    assert!(!String::from_utf8_lossy(&one.stderr).contains("split:"));
    let parts = tree_contents(&fleet.path("split"));
    for (rel, bytes) in &whole {
        assert!(
            &parts[rel] == bytes,
            "{rel} differs:\n--- one reader\n{}\n--- ranges\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&parts[rel])
        );
    }
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == "2" && p["file"] == "vps-c/mail.log"),
        "{problems:?}"
    );
}
