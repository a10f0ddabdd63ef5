//! The partials contract on a realistic multi-customer fleet: log hosts `ingest` their share of
//! the logs, `report` merges the partials with the inventory, and the report set equals one
//! `run` over the whole fleet, byte for byte, on every file.
//!
//! The fleet has every case where attribution needs the inventory: a reply quoting another
//! customer's address (a crossing, listed in input-problems.csv with its first line), one
//! quoting a sibling VPS's address, replies without an address from a VPS with one address
//! (`inventory_single`), a central-syslog file of several hosts (the real rsyslogd capture in
//! tests/fixtures/central-syslog, with a host the inventory does not name), a hostname directory
//! and, without a hostname column, a directory that is not a vps_id.
//!
//! `ingest` still takes `--inventory` here: it routes files and syslog hosts to VPSes while
//! reading (issue 17: the per-delivery decisions already wait for `attribute::resolve`; the
//! routing is next). `ingest_args` is the one place that changes when it no longer does.

use super::*;
use std::collections::BTreeSet;

/// What `ingest` is given besides its logs and output: the log hosts' copy of the inventory.
fn ingest_args(inventory: &Path) -> Vec<std::ffi::OsString> {
    vec!["--inventory".into(), inventory.into()]
}

/// 2027-01-01T00:01:00Z: just after the central capture (which ran across New Year).
const JAN_1_2027: i64 = 1_798_761_660;

/// Customer c1 holds web1 (one address: replies without one are its) and web2; c2 holds shop;
/// the central capture's hosts vps1..VPS3 are c3..c5 (vps9 is not in the inventory).
const INVENTORY: &str = "customer_id,customer_name,vps_id,ip,hostname
c1,Alpha Shop,web1,198.51.100.7,web1.example.net
c1,Alpha Shop,web2,198.51.100.8,web2.example.net
c2,Beta Blog,shop,203.0.113.25,shop.example.org
c2,Beta Blog,shop,203.0.113.40,
c3,Gamma Ltd,vm-1001,198.51.100.9,vps1
c3,Gamma Ltd,vm-1001,192.0.2.14,
c4,Delta Inc,vm-1002,198.51.100.107,vps2
c4,Delta Inc,vm-1002,198.51.100.109,vps2
c5,Epsilon AG,vm-1003,198.51.100.207,vps3.example.com
c5,Epsilon AG,vm-1003,203.0.113.225,
";

fn central(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/central-syslog")
        .join(rel)
}

/// The mixed fleet: web1's own directory (its own, a sibling's and another customer's address
/// quoted, replies without an address), shop's hostname directory, the central file.
fn mixed_fleet(inventory: &str) -> Fleet {
    let fleet = Fleet::new(inventory);
    let crossing = O365_5_7_606.replace("10:05:00 shop", "10:05:00 web1");
    let sibling = S3140_MAILLOG_FILE.replace(" web2 ", " web1 ");
    fleet.log(
        "web1/mail.log",
        &[
            NOISE,
            S3140_RFC3164,
            THROTTLE_4_7_650,
            &crossing,
            &crossing,
            &sibling,
            NO_IP_DEFERRAL,
            USER_UNKNOWN,
            SENT_GMAIL,
        ],
        NOV_23_2026,
    );
    fleet.log(
        "remote/shop.example.org/mail.log",
        &[O365_5_7_511, SPAMHAUS, NO_IP_DEFERRAL],
        NOV_23_2026,
    );
    let to = fleet.path("logs/central/mail.log");
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(central("central/mail.log"), &to).unwrap();
    set_mtime(&to, JAN_1_2027);
    fleet
}

/// `copy_tree`, each copy keeping its original's mtime (the year of year-less lines).
fn copy_keeping_mtimes(from: &Path, to: &Path) {
    copy_tree(from, to);
    for copy in walk(to) {
        let original = from.join(copy.strip_prefix(to).unwrap());
        let mtime = fs::metadata(&original).unwrap().modified().unwrap();
        let secs = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        set_mtime(&copy, secs as i64);
    }
}

/// Finished, with or without input problems (exit 3: the fleet has some on purpose).
fn finished(what: &str, out: &Output) {
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ingest` each share of the fleet's VPS directories on its own "log host", then `report`
/// the partials; the report tree must equal `run`'s.
fn assert_split_equals_run(fleet: &Fleet, shares: &[&[&str]]) {
    assert_split_equals_run_with(fleet, shares, &fleet.path("inventory.csv"));
}

/// `assert_split_equals_run`, the log hosts ingesting with the inventory at `ingest_inventory`.
fn assert_split_equals_run_with(fleet: &Fleet, shares: &[&[&str]], ingest_inventory: &Path) {
    finished("run", &fleet.run(2));
    let whole = tree_contents(&fleet.path("out"));
    for (i, share) in shares.iter().enumerate() {
        let host = format!("host-{i}");
        for dir in *share {
            copy_keeping_mtimes(&fleet.path("logs").join(dir), &fleet.path(&host).join(dir));
        }
        let out = blockscope()
            .args(["ingest", "--threads", "2", "--host-id", &host, "--logs"])
            .arg(fleet.path(&host))
            .args(ingest_args(ingest_inventory))
            .arg("--out")
            .arg(fleet.path(&format!("partials/{host}.parquet")))
            .output()
            .unwrap();
        finished(&format!("ingest {host}"), &out);
    }
    let out = blockscope()
        .args(["report", "--partials"])
        .arg(fleet.path("partials"))
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--out")
        .arg(fleet.path("merged"))
        .output()
        .unwrap();
    finished("report", &out);
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
}

#[test]
fn split_ingest_of_a_mixed_fleet_then_report_equals_run() {
    let fleet = mixed_fleet(INVENTORY);
    assert_split_equals_run(&fleet, &[&["web1", "central"], &["remote"]]);
    // The fleet exercises what it is meant to: each case is in the report.
    let ips = fleet.csv("summary/ips.csv");
    let sources = |ip: &str| -> BTreeSet<&str> {
        ips.iter()
            .filter(|r| r["ip"] == ip)
            .map(|r| r["ip_source"].as_str())
            .collect()
    };
    // web1's own address: quoted in its own log, standing in for replies without one, and
    // quoted in vm-1001's (another customer's) lines of the central file.
    assert_eq!(
        sources("198.51.100.7"),
        BTreeSet::from(["inventory_single", "reply", "reply_other_customer"])
    );
    assert!(sources("198.51.100.8").contains("reply_sibling_vps"));
    assert!(sources("203.0.113.25").contains("reply_other_customer"));
    let problems = fs::read_to_string(fleet.path("out/summary/input-problems.csv")).unwrap();
    assert!(
        problems.contains("2 repl(ies) in the log of VPS web1 (customer c1) quote 203.0.113.25")
            && problems.contains("(first on line 4)"),
        "{problems}"
    );
    assert!(
        problems.contains("from syslog host \"\"vps9\"\" skipped (first on line 24)"),
        "{problems}"
    );
}

#[test]
fn split_ingest_with_an_unknown_directory_then_report_equals_run() {
    // Without a hostname column, a directory that is not a vps_id is attributed by IP only.
    let inventory: String = INVENTORY
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let fleet = mixed_fleet(&inventory);
    fleet.log(
        "legacy-42/mail.log",
        &[S3140_RFC3339, NO_IP_DEFERRAL],
        NOV_23_2026,
    );
    assert_split_equals_run(&fleet, &[&["web1", "legacy-42"], &["remote", "central"]]);
    let problems = fs::read_to_string(fleet.path("out/summary/input-problems.csv")).unwrap();
    assert!(
        problems.contains("legacy-42/,,directory is not a vps_id"),
        "{problems}"
    );
}

/// The log hosts' copy of the inventory is stale (shop has since moved to customer c1): the
/// partials hold what the logs said, and `report` decides with its inventory as `run` does —
/// web1 quoting shop's address is now a sibling's, no crossing.
#[test]
fn report_decides_with_its_inventory_not_the_log_hosts_copy() {
    let moved = INVENTORY.replace("c2,Beta Blog,shop", "c1,Alpha Shop,shop");
    let fleet = mixed_fleet(&moved);
    fs::write(fleet.path("stale.csv"), INVENTORY).unwrap();
    assert_split_equals_run_with(
        &fleet,
        &[&["web1", "central"], &["remote"]],
        &fleet.path("stale.csv"),
    );
    let ips = fleet.csv("summary/ips.csv");
    assert!(ips
        .iter()
        .any(|r| r["ip"] == "203.0.113.25" && r["ip_source"] == "reply_sibling_vps"));
    let problems = fs::read_to_string(fleet.path("merged/summary/input-problems.csv")).unwrap();
    assert!(
        !problems.contains("VPS web1 (customer c1) quote 203.0.113.25"),
        "{problems}"
    );
}

/// A partial of schema version 1 (written by the previous blockscope, in
/// tests/fixtures/partials) was decided with the log host's inventory: `report` refuses it and
/// says what to do, before writing anything.
#[test]
fn a_partial_of_the_previous_schema_is_refused_with_what_to_do() {
    let fleet = Fleet::new(INVENTORY);
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/partials");
    let out = blockscope()
        .args(["report", "--partials"])
        .arg(&old)
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--out")
        .arg(fleet.path("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema-v1.parquet: partial of schema version 1, this blockscope reads version 2; re-run blockscope ingest on the log host with this version"),
        "{err}"
    );
    assert!(!fleet.path("out").exists());
}
