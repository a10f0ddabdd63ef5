//! Issue 16, "smaller, each a test": IPv4-mapped sending IPs, clock skew in year-less files, the
//! same content read twice, overlapping inventory CIDRs, attest's CSV, terminal control sequences
//! and bidi overrides in log text.

use super::*;

/// An Exim mainlog bounce whose `I=` interface is written IPv4-mapped (a dual-stack socket); the
/// reply quotes no address, so the interface is the only source.
const EXIM_MAPPED_INTERFACE: &str = "2026-11-02 11:00:06.200 +0100 [4243] 1wrx8k-00000000Xy0-ABCD ** someone@hotmail.com R=dnslookup T=remote_smtp H=hotmail-com.olc.protection.outlook.com [104.47.66.33] I=[::ffff:198.51.100.7] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after MAIL FROM:<shop@customer.example> SIZE=1842: 550 5.7.1 Unfortunately, part of your network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.";
/// The same from OpenSMTPD's `source=`.
const OPENSMTPD_MAPPED_SOURCE: &str = r#"Nov  2 10:00:01 web1 smtpd[2211]: 4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<shop@customer.example> to=<buyer@contoso.com> rcpt=<-> source="::ffff:198.51.100.8" relay="52.101.40.2 (contoso-com.mail.protection.outlook.com)" delay=0s result="PermFail" stat="550 5.7.606 Access denied, banned sending IP. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)""#;

fn two_customers_in_one_24() -> String {
    format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.7\nc1,Alpha Shop,vps-a,2001:db8:a::7\nc2,Beta Blog,vps-b,198.51.100.8\nc2,Beta Blog,vps-b,2001:db8:b::8\n"
    )
}

#[test]
fn an_ipv4_mapped_sending_ip_is_looked_up_as_its_ipv4_address() {
    let fleet = Fleet::new(&two_customers_in_one_24());
    fleet.log("vps-a/mainlog", &[EXIM_MAPPED_INTERFACE], NOV_23_2026);
    fleet.log("vps-b/mail.log", &[OPENSMTPD_MAPPED_SOURCE], NOV_23_2026);
    ok(&fleet.run(2));
    let ips = fleet.csv("summary/ips.csv");
    for (ip, customer, source) in [
        ("198.51.100.7", "c1", "mta_interface"),
        ("198.51.100.8", "c2", "mta_interface"),
    ] {
        let r = ips
            .iter()
            .find(|r| r["ip"] == ip && r["events"] != "0")
            .unwrap_or_else(|| panic!("no row for {ip}: {ips:#?}"));
        assert_eq!(r["in_inventory"], "true", "{r:?}");
        assert_eq!(r["customer_id"], customer, "{r:?}");
        assert_eq!(r["subnet"], "198.51.100.0/24", "{r:?}");
        assert_eq!(r["ip_source"], source, "{r:?}");
    }
    assert!(ips.iter().all(|r| !r["ip"].contains("::ffff")), "{ips:#?}");
    let subnets = fleet.csv("summary/subnets.csv");
    assert!(
        subnets.iter().all(|s| s["subnet"] != "::/64"),
        "{subnets:#?}"
    );
}

/// 37 hours after NOV_23_2026 (the file's mtime): past the 36 h zone slack.
const SKEWED: &str = "Nov 24 13:00:00 web1 postfix/qmgr[1207]: 6BAB0300C9CD: from=<shop@customer.example>, size=1842, nrcpt=1 (queue active)";

#[test]
fn one_line_dated_after_the_mtime_does_not_move_the_file_a_year_back() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[NOISE, S3140_RFC3164, THROTTLE_4_7_650, SKEWED, SPAMHAUS],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "the skew is an input problem");
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["first_seen"], "2026-11-02T10:00:01Z");
    let problems = fleet.csv("summary/input-problems.csv");
    let skew = problems
        .iter()
        .find(|p| p["file"] == "vps-a/mail.log")
        .unwrap_or_else(|| panic!("no clock-skew row: {problems:#?}"));
    assert_eq!(skew["line"], "4", "{skew:?}");
    assert!(
        skew["reason"].contains("clock skew")
            && skew["reason"].contains("2026-11-24T13:00:00Z")
            && skew["reason"].contains("1 line(s)"),
        "{skew:?}"
    );
}

#[test]
fn the_same_content_read_twice_in_one_run_is_read_once_and_listed() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let lines = [S3140_RFC3164, THROTTLE_4_7_650, SPAMHAUS];
    fleet.log("vps-a/mail.log.1", &lines, NOV_23_2026);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let gz = fleet.path("logs/vps-a/mail.log.1.gz");
    fs::write(&gz, gzip(&text)).unwrap();
    set_mtime(&gz, NOV_23_2026);
    let a = |name: &str| fleet.path("logs/vps-a").join(name);
    fs::copy(a("mail.log.1"), a("mail.log.1.copy")).unwrap();
    fs::hard_link(a("mail.log.1"), a("mail.log.1.hardlink")).unwrap();
    std::os::unix::fs::symlink("vps-a", fleet.path("logs/vps-a-again")).unwrap();
    // A stale copy that stops early (past the 4 KiB head) is the same file, read less far.
    let c = S3140_RFC3164.replace("198.51.100.7", "198.51.100.9");
    let many = vec![c.as_str(); 20];
    fleet.log("vps-c/mail.log", &many, NOV_23_2026);
    fleet.log("vps-c/mail.log.old", &many[..12], NOV_23_2026);
    let first = fleet.run(1);
    assert_eq!(first.status.code(), Some(3), "duplicates are listed");
    let ips = fleet.csv("summary/ips.csv");
    let events = |ip: &str| row(&ips, ip, "ms-outlook-network-blocklist")["events"].clone();
    assert_eq!(events("198.51.100.7"), "1");
    assert_eq!(events("198.51.100.9"), "20");
    let problems = fleet.csv("summary/input-problems.csv");
    let duplicates: Vec<(&str, &str)> = problems
        .iter()
        .filter(|p| p["reason"].contains("same content as"))
        .map(|p| (p["file"].as_str(), p["reason"].as_str()))
        .collect();
    let skipped: Vec<&str> = duplicates.iter().map(|d| d.0).collect();
    assert_eq!(
        skipped,
        [
            "vps-a-again/mail.log.1",
            "vps-a-again/mail.log.1.copy",
            "vps-a-again/mail.log.1.gz",
            "vps-a-again/mail.log.1.hardlink",
            "vps-a/mail.log.1.copy",
            "vps-a/mail.log.1.gz",
            "vps-a/mail.log.1.hardlink",
            "vps-c/mail.log.old",
        ],
        "{problems:#?}"
    );
    assert!(
        duplicates
            .iter()
            .all(|d| d.1.contains("vps-a/mail.log.1;") || d.1.contains("vps-c/mail.log;")),
        "each names the file that was read: {duplicates:#?}"
    );
    // The choice does not depend on the thread count.
    let before = tree_contents(&fleet.path("out"));
    assert_eq!(fleet.run(4).status.code(), Some(3));
    assert_eq!(tree_contents(&fleet.path("out")), before);
}

fn gzip(text: &str) -> Vec<u8> {
    use flate2::{write::GzEncoder, Compression};
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn attest(fleet: &Fleet, extra: &[&str]) -> String {
    let out = blockscope()
        .arg("attest")
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--logs")
        .arg(fleet.path("logs"))
        .args(extra)
        .output()
        .unwrap();
    ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn overlapping_inventory_cidrs_count_each_address_once() {
    // c1 holds the /24 except the one address the inventory gives c2.
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.0/24\nc2,Beta Blog,vps-b,198.51.100.7\n"
    ));
    fleet.log("vps-b/mail.log", &[S3140_RFC3164], NOV_23_2026);
    ok(&fleet.run(1));
    let subnets = fleet.csv("summary/subnets.csv");
    let s = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(s["inventory_ips"], "256", "{s:?}");
    let c1 = fleet.text("customers/c1.csv");
    assert!(!c1.contains("198.51.100.7,"), "{c1}");
    let all = attest(&fleet, &["--format", "csv"]);
    let events: u64 = read_csv_text(&all)
        .iter()
        .map(|r| r["block_events"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(events, 1, "{all}");
    let c1 = attest(&fleet, &["--customer", "c1"]);
    assert!(!c1.contains("198.51.100.0/24"), "{c1}");
    assert!(
        c1.contains("198.51.100.0/30; 198.51.100.4/31; 198.51.100.6; 198.51.100.8/29"),
        "{c1}"
    );
    let c1 = attest(&fleet, &["--customer", "c1", "--format", "csv"]);
    assert!(
        read_csv_text(&c1)
            .iter()
            .all(|r| r["customer_id"] == "c1" && r["network"] != "198.51.100.7/32"),
        "{c1}"
    );
    assert!(!c1.contains("198.51.100.0/24,"), "{c1}");
}

fn read_csv_text(text: &str) -> Vec<BTreeMap<String, String>> {
    let file = tempfile::NamedTempFile::new().unwrap();
    fs::write(file.path(), text).unwrap();
    read_csv(file.path())
}

#[test]
fn attest_csv_with_names_goes_through_the_safe_csv_writer() {
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")\",vps-a,198.51.100.7\n"
    ));
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    let text = attest(&fleet, &["--names", "--format", "csv"]);
    let rows = read_csv_text(&text);
    assert_eq!(
        rows[0]["customer_name"],
        "'=HYPERLINK(\"http://evil.example/\",\"x\")"
    );
}

/// A reply carrying an OSC 8 hyperlink, a screen clear, colour (7-bit and 8-bit CSI) and a bell.
const TERMINAL_ATTACK: &str =
    "\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{1b}\\ \u{1b}[2J\u{1b}[31mred\u{9b}0m\u{7}";

fn has_terminal_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
}

#[test]
fn explain_and_stderr_strip_terminal_control_sequences() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let hostile =
        S3140_RFC3164.replace("weren't sent.", &format!("weren't {TERMINAL_ATTACK}sent."));
    fleet.log("vps-a/mail.log", &[&hostile], NOV_23_2026);
    // A file name is printed on stderr with its problem (an empty file).
    fleet.log("vps-a/\u{1b}[31mmail.log.2", &[], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("mail.log.2: empty file"), "{stderr}");
    assert!(!has_terminal_controls(&stderr), "{stderr:?}");
    let out = fleet.explain("198.51.100.7");
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("weren't click redsent."), "{text:?}");
    assert!(!has_terminal_controls(&text), "{text:?}");
}

#[test]
fn bidi_overrides_in_csv_cells_are_neutralised() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let hostile = S3140_RFC3164.replace(
        "weren't sent.",
        "weren't \u{202E}tnes\u{202C} \u{2066}x\u{2069}\u{200F}.",
    );
    fleet.log("vps-a/mail.log", &[&hostile], NOV_23_2026);
    ok(&fleet.run(1));
    for file in ["summary/ips.csv", "customers/c1.csv"] {
        let text = fs::read_to_string(fleet.path("out").join(file)).unwrap();
        assert!(
            text.contains("weren't \u{FFFD}tnes\u{FFFD}"),
            "{file}: {text}"
        );
        assert!(
            !text.chars().any(|c| matches!(c,
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')),
            "{file}: {text}"
        );
    }
}
