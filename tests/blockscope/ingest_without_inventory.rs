//! The partials contract on a realistic multi-customer fleet: log hosts `ingest` their share of
//! the logs, most without the inventory, `report` merges the partials with the inventory, and
//! the report set equals one `run` over the whole fleet, byte for byte, on every file.
//!
//! The fleet has every case where attribution needs the inventory: a reply quoting another
//! customer's address (a crossing, listed in input-problems.csv with its first line), one
//! quoting a sibling VPS's address, replies without an address from a VPS with one address
//! (`inventory_single`), a central-syslog file of several hosts (the real rsyslogd capture in
//! tests/fixtures/central-syslog, with a host the inventory does not name), a hostname directory
//! and, without a hostname column, a directory that is not a vps_id.
//!
//! Without `--inventory`, `ingest` reads files by their directories (a vps_id or a hostname
//! directory, as `report` finds out); a central-syslog file, whose lines are routed by their
//! syslog host while reading, still needs `--inventory` on its log host, and `report` says so.

use super::*;
use std::collections::BTreeSet;

/// One log host's directories, and the inventory copy it ingests with (None: without one).
type Share<'a> = (&'a [&'a str], Option<&'a Path>);

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
    // A rotation kept in a sub-directory of web1's own.
    fleet.log(
        "web1/archive/mail.log.1",
        &[SPAMHAUS, NO_IP_DEFERRAL],
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

/// `blockscope ingest` of share `i` (its directories copied to `host-<i>/`) into
/// `partials/host-<i>.parquet`.
fn ingest_share(fleet: &Fleet, i: usize, (dirs, inventory): Share) -> Output {
    let host = format!("host-{i}");
    for dir in dirs {
        copy_keeping_mtimes(&fleet.path("logs").join(dir), &fleet.path(&host).join(dir));
    }
    let mut cmd = blockscope();
    cmd.args(["ingest", "--threads", "2", "--host-id", &host, "--logs"])
        .arg(fleet.path(&host))
        .arg("--out")
        .arg(fleet.path(&format!("partials/{host}.parquet")));
    if let Some(inventory) = inventory {
        cmd.arg("--inventory").arg(inventory);
    }
    cmd.output().unwrap()
}

/// `blockscope report` of every partial, with the fleet's inventory, into `merged/`.
fn report(fleet: &Fleet) -> Output {
    blockscope()
        .args(["report", "--partials"])
        .arg(fleet.path("partials"))
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .arg("--out")
        .arg(fleet.path("merged"))
        .output()
        .unwrap()
}

/// `ingest` each share on its own "log host", then `report` the partials; the report tree
/// must equal `run`'s.
fn assert_split_equals_run(fleet: &Fleet, shares: &[Share]) {
    finished("run", &fleet.run(2));
    let whole = tree_contents(&fleet.path("out"));
    for (i, share) in shares.iter().enumerate() {
        finished(&format!("ingest {i}"), &ingest_share(fleet, i, *share));
    }
    finished("report", &report(fleet));
    let merged = tree_contents(&fleet.path("merged"));
    assert_same_tree(&whole, &merged, "run", "ingest + report");
}

#[test]
fn split_ingest_of_a_mixed_fleet_then_report_equals_run() {
    let fleet = mixed_fleet(INVENTORY);
    // web1's directory is its vps_id and shop's is its hostname: no inventory needed; the
    // central file is routed by it, line by line.
    let inventory = fleet.path("inventory.csv");
    assert_split_equals_run(
        &fleet,
        &[
            (&["web1", "remote"], None),
            (&["central"], Some(&inventory)),
        ],
    );
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
    let problems = fleet.text("summary/input-problems.csv");
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
    assert_split_equals_run(
        &fleet,
        &[
            (&["web1", "legacy-42"], None),
            (&["remote", "central"], None),
        ],
    );
    let problems = fleet.text("summary/input-problems.csv");
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
    let stale = fleet.path("stale.csv");
    assert_split_equals_run(
        &fleet,
        &[(&["web1", "remote"], None), (&["central"], Some(&stale))],
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

/// Read without the inventory, a directory that is neither a vps_id nor a hostname holds
/// central-syslog files when the inventory has a hostname column: `report` cannot route their
/// lines (each host has its own clock) after the fact, and says which directory to ingest with
/// `--inventory`.
#[test]
fn a_central_file_ingested_without_inventory_is_refused_with_what_to_do() {
    let fleet = mixed_fleet(INVENTORY);
    finished(
        "ingest",
        &ingest_share(&fleet, 0, (&["web1", "central"], None)),
    );
    let out = report(&fleet);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("central/: read by `blockscope ingest` without --inventory, but neither a vps_id nor a hostname of the inventory, which has a hostname column")
            && err.contains("run `blockscope ingest --inventory FILE` on that log host"),
        "{err}"
    );
    assert!(!fleet.path("merged").exists());
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
