//! Central syslog: one log host receiving every VPS's syslog (tests/fixtures/central-syslog/,
//! written by a real rsyslogd; see its README), lines routed to their VPS by syslog HOSTNAME.

use super::*;
use crate::real_logs::FIXTURE_ROWS;
use crate::run_basics::inventory_error;

const CENTRAL: &str = "../fixtures/central-syslog";

/// vps1 logs its bare name, vps2 an FQDN whose first label is the inventory's bare `vps2`, VPS3
/// a bare upper-case name for the inventory's `vps3.example.com`. vps9 is not in it.
const CENTRAL_INVENTORY: &str = "customer_id,customer_name,vps_id,ip,hostname
c1,Alpha Shop,vm-1001,198.51.100.7,vps1
c1,Alpha Shop,vm-1001,198.51.100.9,
c1,Alpha Shop,vm-1001,203.0.113.25,vps1
c1,Alpha Shop,vm-1001,203.0.113.40,
c1,Alpha Shop,vm-1001,192.0.2.14,
c1,Alpha Shop,vm-1001,192.0.2.33,
c2,Beta Blog,vm-1002,198.51.100.107,vps2
c2,Beta Blog,vm-1002,198.51.100.109,vps2
c2,Beta Blog,vm-1002,203.0.113.125,
c2,Beta Blog,vm-1002,203.0.113.140,
c2,Beta Blog,vm-1002,192.0.2.114,
c2,Beta Blog,vm-1002,192.0.2.133,
c3,Gamma Ltd,vm-1003,198.51.100.207,vps3.example.com
c3,Gamma Ltd,vm-1003,198.51.100.209,
c3,Gamma Ltd,vm-1003,203.0.113.225,
c3,Gamma Ltd,vm-1003,203.0.113.240,
c3,Gamma Ltd,vm-1003,192.0.2.214,
c3,Gamma Ltd,vm-1003,192.0.2.233,
";

/// 2027-01-01T00:01:00Z: just after the capture (which ran across New Year).
const JAN_1_2027: i64 = 1_798_761_660;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/blockscope")
        .join(CENTRAL)
        .join(rel)
}

/// A fleet whose logs directory holds the fixture tree `from` as `to`.
fn central_fleet(from: &str, to: &str) -> Fleet {
    let fleet = Fleet::new(CENTRAL_INVENTORY);
    let (src, dst) = (fixture(from), fleet.path("logs").join(to));
    if src.is_dir() {
        copy_tree(&src, &dst);
    } else {
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        fs::copy(&src, &dst).unwrap();
    }
    for f in walk(&fleet.path("logs")) {
        set_mtime(&f, JAN_1_2027);
    }
    fleet
}

/// Each sender's rows: the rows of its Postfix capture (`FIXTURE_ROWS`), its quoted addresses
/// renumbered (+100 for vps2, +200 for VPS3) — the rows one VPS directory gives.
fn expected_rows(vps: &str, shift: u32) -> Vec<(String, String, String, String)> {
    let renumber = |ip: &str| -> String {
        if ip.is_empty() {
            return String::new();
        }
        let (head, last) = ip.rsplit_once('.').unwrap();
        format!("{head}.{}", last.parse::<u32>().unwrap() + shift)
    };
    let mut rows: Vec<(String, String, String, String)> = FIXTURE_ROWS
        .iter()
        .map(|(ip, rule, events, _)| {
            (
                renumber(ip),
                rule.to_string(),
                events.to_string(),
                vps.into(),
            )
        })
        .collect();
    // The 5.4.1 reply quotes no address: the multi-instance capture (vps2) names it in the
    // syslog name, the others cannot tell.
    let ip_541 = if shift == 100 {
        renumber("198.51.100.7")
    } else {
        String::new()
    };
    rows.push((
        ip_541,
        "recipient-rejected-5.4.1".into(),
        "1".into(),
        vps.into(),
    ));
    rows.sort();
    rows
}

/// (ip, rule_id, events, vps_id) of a report CSV, sorted.
fn rows_of(rows: &[BTreeMap<String, String>]) -> Vec<(String, String, String, String)> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["ip"].clone(),
                r["rule_id"].clone(),
                r["events"].clone(),
                r["vps_id"].clone(),
            )
        })
        .collect();
    out.sort();
    out
}

const CUSTOMERS: [(&str, &str, u32); 3] = [
    ("c1", "vm-1001", 0),
    ("c2", "vm-1002", 100),
    ("c3", "vm-1003", 200),
];

/// Every customer's CSV holds exactly its own VPS's rows, and ips.csv is their union.
fn assert_attributed(fleet: &Fleet) {
    let mut all = Vec::new();
    for (customer, vps, shift) in CUSTOMERS {
        let want = expected_rows(vps, shift);
        let got = rows_of(&fleet.csv(&format!("customers/{customer}.csv")));
        assert_eq!(got, want, "customers/{customer}.csv");
        all.extend(want);
    }
    all.sort();
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(rows_of(&ips), all);
    for r in &ips {
        let owner = CUSTOMERS.iter().find(|c| c.1 == r["vps_id"]).unwrap();
        assert_eq!(r["customer_id"], owner.0, "{r:?}");
    }
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn central_file_attributes_every_host_to_its_customer() {
    // central/mail.log: four hosts interleaved, each in its own timestamp style (RFC 3164,
    // RFC 5424, RFC 3339), across New Year.
    let fleet = central_fleet("central/mail.log", "central/mail.log");
    let out = fleet.run(2);
    assert_eq!(
        out.status.code(),
        Some(3),
        "vps9 is unknown: {}",
        stderr_of(&out)
    );
    let err = stderr_of(&out);
    // Three captures' worth of deliveries (each: 3 sent, 28 deferred, 8 bounced, 5 expired).
    assert!(
        err.contains("9 sent, 84 deferred, 24 bounced (6 non-final replies); 15 expired"),
        "{err}"
    );
    assert!(!err.contains("timestamp style differs"), "{err}");
    assert_attributed(&fleet);
    // Year inference per host across New Year (vps1 and VPS3's traditional twins), and
    // RFC 5424's own year (vps2): all in the same two days.
    let ips = fleet.csv("summary/ips.csv");
    for r in &ips {
        assert!(r["first_seen"].starts_with("2026-12-31T23:59:5"), "{r:?}");
        assert!(
            r["last_seen"].starts_with("2026-12-31T23:59:5")
                || r["last_seen"].starts_with("2027-01-01T00:00:0"),
            "{r:?}"
        );
    }
    let wrapped = ips
        .iter()
        .filter(|r| r["last_seen"].starts_with("2027-"))
        .map(|r| r["customer_id"].as_str())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(wrapped.into_iter().collect::<Vec<_>>(), ["c1", "c2", "c3"]);
}

#[test]
fn per_host_tree_and_rfc3339_central_file_give_the_same_rows() {
    // rsyslog's /var/log/remote/%HOSTNAME%/ tree, copied as logs/remote/<host>/mail.log
    // (directories vps1, vps2.example.net, VPS3, vps9), then the RSYSLOG_FileFormat file.
    let tree = central_fleet("remote", "remote");
    let out = tree.run(2);
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert_attributed(&tree);
    let flat = central_fleet("central-rfc3339/mail.log", "central/mail.log");
    let out = flat.run(1);
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert_attributed(&flat);
    // A directory named after a hostname needs no HOSTNAME per line: vps9's directory is not
    // one, so it is read as central syslog and its host counted.
    let problems = tree.csv("summary/input-problems.csv");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["file"], "remote/vps9/mail.log");
}

#[test]
fn unknown_hosts_are_skipped_and_counted_by_name() {
    let fleet = central_fleet("central/mail.log", "central/mail.log");
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr_of(&out);
    assert!(
        err.contains("8  mail line from a syslog host not in the inventory"),
        "{err}"
    );
    let problems = fleet.csv("summary/input-problems.csv");
    let reasons: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| (p["file"].as_str(), p["line"].as_str(), p["reason"].as_str()))
        .collect();
    assert_eq!(
        reasons,
        [(
            "central/mail.log",
            "",
            "8 mail line(s) from syslog host \"vps9\" skipped (first on line 24): not in the inventory's hostname column; add the VPS's hostname there (a host that is not a customer VPS can be ignored)"
        )]
    );
    assert!(
        err.contains("syslog host \"vps9\""),
        "named in the run summary: {err}"
    );
    // No row of anyone names vps9's quoted addresses twice: its lines are not counted anywhere.
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["events"],
        "1"
    );

    // A name that matches two inventory hostnames by its first label is never guessed.
    let fleet = Fleet::new(
        "customer_id,customer_name,vps_id,ip,hostname\nc1,A,vm-1,198.51.100.7,web1.a.example\nc2,B,vm-2,198.51.100.8,web1.b.example\n",
    );
    fleet.log(
        "central/mail.log",
        &[S3140_RFC3164, S3140_MAILLOG_FILE],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems[0]["reason"].starts_with("1 mail line(s) from syslog host \"web1\" skipped (first on line 1): its first label matches several inventory hostnames"),
        "{problems:?}"
    );
    assert!(problems[1]["reason"].contains("\"web2\""), "{problems:?}");
    assert!(fleet.csv("summary/ips.csv").is_empty());
}

#[test]
fn mixed_timestamp_styles_keep_one_clock_per_host() {
    let inventory = "customer_id,customer_name,vps_id,ip,hostname\nc1,A,vm-1,198.51.100.7,web1\nc3,C,vm-3,198.51.100.9,web3\n";
    // web1 logs RFC 3164 across New Year; web3 logs RFC 3339 in between.
    let dec = S3140_RFC3164.replace("Nov  2 10:00:01", "Dec 31 23:59:58");
    let jan = S3140_RFC3164.replace("Nov  2 10:00:01", "Jan  1 00:00:02");
    let web3 = S3140_RFC3339.replace(
        "2026-11-02T11:00:03.185246+01:00",
        "2027-01-01T00:00:00.250000+00:00",
    );
    let lines = [dec.as_str(), web3.as_str(), jan.as_str()];
    let fleet = Fleet::new(inventory);
    fleet.log("central/mail.log", &lines, JAN_1_2027);
    let out = fleet.run(1);
    ok(&out);
    let ips = fleet.csv("summary/ips.csv");
    let web1 = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            web1["events"].as_str(),
            web1["first_seen"].as_str(),
            web1["last_seen"].as_str()
        ),
        ("2", "2026-12-31T23:59:58Z", "2027-01-01T00:00:02Z")
    );
    assert_eq!(web1["customer_id"], "c1");
    let web3 = row(&ips, "198.51.100.9", "ms-outlook-network-blocklist");
    assert_eq!(web3["first_seen"], "2027-01-01T00:00:00Z");
    assert_eq!(web3["customer_id"], "c3");

    // A VPS's own directory keeps one clock for the file, exactly as before.
    let fleet = Fleet::new(inventory);
    fleet.log("vm-1/mail.log", &lines, JAN_1_2027);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr_of(&out).contains("timestamp style differs from the rest of the file"));
}

#[test]
fn two_customers_interleaved_in_one_file_get_only_their_own_rows() {
    // Replies that quote no address: the sending IP is the VPS's only one, taken from the VPS
    // the HOSTNAME names — never from the file or a neighbour line.
    let inventory = "customer_id,customer_name,vps_id,ip,hostname\nc1,Alpha,vm-1,198.51.100.7,shop\nc2,Beta,vm-2,203.0.113.9,blog.example.net\n";
    let shop = NO_IP_DEFERRAL.replace(" web1 ", " shop ");
    let blog = NO_IP_DEFERRAL
        .replace(" web1 ", " BLOG.example.net ")
        .replace("8192A3B4C5", "9292A3B4C6");
    let blog_blocked = SPAMHAUS
        .replace(" web1 ", " blog.example.net ")
        .replace("198.51.100.7", "203.0.113.9");
    let shop_sent = SENT_GMAIL.replace(" web1 ", " shop ");
    let lines = [
        shop.as_str(),
        blog.as_str(),
        shop_sent.as_str(),
        blog_blocked.as_str(),
        shop.as_str(),
        blog.as_str(),
    ];
    let fleet = Fleet::new(inventory);
    fleet.log("loghost/mail.log", &lines, NOV_23_2026);
    ok(&fleet.run(2));
    let c1 = fleet.csv("customers/c1.csv");
    let c2 = fleet.csv("customers/c2.csv");
    assert!(
        c1.iter()
            .all(|r| r["ip"] == "198.51.100.7" && r["vps_id"] == "vm-1"),
        "{c1:?}"
    );
    assert!(
        c2.iter()
            .all(|r| r["ip"] == "203.0.113.9" && r["vps_id"] == "vm-2"),
        "{c2:?}"
    );
    assert_eq!(c1.len(), 1);
    assert_eq!(c1[0]["events"], "2");
    assert_eq!(c1[0]["ip_source"], "inventory_single");
    let rules: Vec<&str> = c2.iter().map(|r| r["rule_id"].as_str()).collect();
    assert_eq!(rules.len(), 2, "{c2:?}");
    assert!(rules.contains(&"dnsbl-spamhaus"));
    for (customer, other) in [
        ("c1", ["203.0.113.9", "vm-2", "Beta"]),
        ("c2", ["198.51.100.7", "vm-1", "Alpha"]),
    ] {
        for ext in ["csv", "md"] {
            let path = fleet.path(&format!("out/customers/{customer}.{ext}"));
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for name in other {
                assert!(
                    !text.contains(name),
                    "customers/{customer}.{ext} names {name}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn a_split_central_file_reads_like_one_reader() {
    // Huge central files are cut into ranges when every host in their head logs absolute
    // times (central-rfc3339), and read whole otherwise (central/mail.log has year-less hosts):
    // the reports are the same bytes either way and for any thread count.
    for (fixture_file, split) in [
        ("central-rfc3339/mail.log", true),
        ("central/mail.log", false),
    ] {
        let fleet = central_fleet(fixture_file, "central/mail.log");
        let one = fleet.run(1);
        assert_eq!(one.status.code(), Some(3));
        let whole = tree_contents(&fleet.path("out"));
        let parts = fleet.run_split("16384");
        assert_eq!(parts.status.code(), Some(3));
        assert_eq!(
            stderr_of(&parts).contains("split: 1 huge file(s)"),
            split,
            "{fixture_file}: {}",
            stderr_of(&parts)
        );
        let got = tree_contents(&fleet.path("split"));
        for (rel, bytes) in &whole {
            assert!(&got[rel] == bytes, "{fixture_file}: {rel} differs");
        }
    }
}

#[test]
fn a_central_file_is_read_incrementally_with_state() {
    let fleet = central_fleet("central/mail.log", "central/mail.log");
    let path = fleet.path("logs/central/mail.log");
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (first, rest) = lines.split_at(300);
    fleet.log("central/mail.log", first, JAN_1_2027 - 30);
    let state = fleet.path("state");
    let state = state.to_str().unwrap();
    let out = fleet.run_args(&["--state", state]);
    assert_eq!(out.status.code(), Some(3));
    fleet.log("central/mail.log", &lines, JAN_1_2027);
    let out = fleet.run_args(&["--state", state]);
    // vps9's lines were all in the first part: nothing new to complain about.
    ok(&out);
    assert!(
        stderr_of(&out).contains("1 read from where it stopped"),
        "{}",
        stderr_of(&out)
    );
    // The second night reports exactly the lines appended since the first.
    let fresh = Fleet::new(CENTRAL_INVENTORY);
    fresh.log("central/mail.log", rest, JAN_1_2027);
    ok(&fresh.run(1));
    let current = |rows: Vec<BTreeMap<String, String>>| {
        let seen: Vec<_> = rows
            .into_iter()
            .filter(|r| r["status"] != "resolved")
            .collect();
        rows_of(&seen)
    };
    let appended = current(fresh.csv("summary/ips.csv"));
    assert!(!appended.is_empty());
    assert_eq!(current(fleet.csv("summary/ips.csv")), appended);
}

#[test]
fn hostname_column_errors_name_file_line_and_fix() {
    let header = "customer_id,customer_name,vps_id,ip,hostname\n";
    let err = inventory_error(&format!(
        "{header}c1,A,vps-a,192.0.2.10,web1\nc1,A,vps-a,192.0.2.11,web2\n"
    ));
    assert!(
        err.contains("inventory.csv:3:")
            && err.contains("VPS vps-a has hostname \"web2\" here but \"web1\" on line 2")
            && err.contains("write the same on all its rows"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{header}c1,A,vps-a,192.0.2.10,web1\nc2,B,vps-b,192.0.2.11,WEB1.\n"
    ));
    assert!(
        err.contains("inventory.csv:3:")
            && err.contains(
                "hostname \"web1\" is given to VPS vps-b here but to VPS vps-a on line 2"
            )
            && err.contains("cannot share"),
        "{err}"
    );
    let err = inventory_error(&format!("{header}c1,A,vps-a,192.0.2.10,web 1\n"));
    assert!(
        err.contains("inventory.csv:2:")
            && err.contains("hostname \"web 1\"")
            && err.contains("leave the cell empty"),
        "{err}"
    );
    let err = inventory_error(&format!(
        "{header}c1,A,vps-a,192.0.2.10,vps-b\nc2,B,vps-b,192.0.2.11,\n"
    ));
    assert!(
        err.contains("inventory.csv:2:") && err.contains("is the vps_id of VPS vps-b"),
        "{err}"
    );
}

#[test]
fn a_year_less_host_after_the_head_makes_a_split_file_read_whole() {
    // The head is all RFC 3339 (web3), so the file is cut into ranges; a later range meets
    // web1's year-less lines, which need every earlier line of web1: the file is read whole.
    let inventory = "customer_id,customer_name,vps_id,ip,hostname\nc1,A,vm-1,198.51.100.7,web1\nc3,C,vm-3,198.51.100.9,web3\n";
    let mut lines = vec![S3140_RFC3339.to_string(); 80];
    lines.extend((0..40).map(|i| {
        let month = if i < 20 {
            "Dec 31 23:59:58"
        } else {
            "Jan  1 00:00:02"
        };
        S3140_RFC3164.replace("Nov  2 10:00:01", month)
    }));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let fleet = Fleet::new(inventory);
    fleet.log("central/mail.log", &lines, JAN_1_2027);
    ok(&fleet.run(1));
    let whole = tree_contents(&fleet.path("out"));
    let parts = fleet.run_split("16384");
    ok(&parts);
    // Planned as ranges, then read whole: no split is reported.
    assert!(
        !stderr_of(&parts).contains("split:"),
        "{}",
        stderr_of(&parts)
    );
    assert_eq!(tree_contents(&fleet.path("split")), whole);
    let ips = fleet.csv("summary/ips.csv");
    let web1 = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            web1["events"].as_str(),
            web1["first_seen"].as_str(),
            web1["last_seen"].as_str()
        ),
        ("40", "2026-12-31T23:59:58Z", "2027-01-01T00:00:02Z")
    );
    assert_eq!(
        row(&ips, "198.51.100.9", "ms-outlook-network-blocklist")["events"],
        "80"
    );
}

#[test]
fn explain_routes_central_lines_like_the_run() {
    let fleet = central_fleet("central/mail.log", "central/mail.log");
    let out = fleet.explain("198.51.100.7");
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    let log = fs::read_to_string(fixture("central/mail.log")).unwrap();
    let log: Vec<&str> = log.lines().collect();
    let evidence: Vec<(usize, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("central/mail.log:"))
        .map(|l| {
            let (n, rest) = l.split_once("  ").unwrap();
            (n.parse().unwrap(), rest)
        })
        .collect();
    assert!(evidence.len() > 10, "{text}");
    // Only vps1's lines (vps9 quotes the same address but is not in the inventory), dated by
    // vps1's own clock across New Year although the file's first style is not the only one.
    for (n, rest) in evidence {
        assert!(
            log[n - 1].contains(" vps1 postfix/"),
            "line {n}: {}",
            log[n - 1]
        );
        assert!(
            rest.starts_with("2026-12-31T23:59:5") || rest.starts_with("2027-01-01T00:00:0"),
            "{rest}"
        );
    }
}
