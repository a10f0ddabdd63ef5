//! `blockscope dnsbl` against a DNS server on loopback (`dns_server`) that the test starts and
//! scripts: listed codes of several lists, a UCEPROTECT level-2 range listing, Spamhaus's
//! refused-resolver codes, NXDOMAIN, SERVFAIL, an answer outside 127.0.0.0/8 and a zone that
//! never answers. No packet leaves the machine: the only resolver given is the test's.

use super::dns_server::{a, Answer, DnsServer};
use super::*;
use std::collections::BTreeSet;
use std::time::Instant;

const KEY: &str = "k3yabcdefghij0123456789xyz";

/// Two customers and a /30: who is listed where is in `script`.
const INVENTORY: &str = "customer_id,customer_name,vps_id,ip
alice,Alice GmbH,a1,198.51.100.7
bob,Bob Ltd,b1,198.51.100.8
carol,Carol AG,c1,203.0.113.0/30
dave,Dave,d1,2001:db8::25
erin,Erin,e1,10.20.0.0/16
";

const ZONES: &str = "zen.spamhaus.org,bl.spamcop.net,dnsbl-2.uceprotect.net,b.barracudacentral.org,psbl.surriel.com";

/// The lists' answers for the fleet above; everything else is not listed.
fn script(name: &str) -> Answer {
    match name {
        "7.100.51.198.zen.spamhaus.org" => a(&["127.0.0.10", "127.0.0.2"]),
        "7.100.51.198.bl.spamcop.net" => a(&["127.0.0.2"]),
        "8.100.51.198.dnsbl-2.uceprotect.net" => a(&["127.0.0.2"]),
        "8.100.51.198.b.barracudacentral.org" => a(&["127.0.0.2"]),
        "1.113.0.203.zen.spamhaus.org" => a(&["127.0.0.99"]),
        "2.113.0.203.psbl.surriel.com" => a(&["192.0.2.80"]), // a wildcard, not a listing
        "3.113.0.203.zen.spamhaus.org" => Answer::ServFail,
        n if n.starts_with("5.2.0.0.") && n.ends_with(".zen.spamhaus.org") => a(&["127.0.0.3"]),
        _ => Answer::NxDomain,
    }
}

struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new(inventory: &str) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("inventory.csv"), inventory).unwrap();
        Fleet { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// `blockscope dnsbl --inventory … --resolver <server>` plus `args`.
    fn dnsbl(&self, server: &DnsServer, args: &[&str]) -> Output {
        blockscope()
            .arg("dnsbl")
            .arg("--inventory")
            .arg(self.path("inventory.csv"))
            .args(["--resolver", &server.addr.to_string()])
            .args(args)
            .output()
            .unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The CSV rows as `ip customer vps zone list code scope`.
fn rows(out: &Output) -> BTreeSet<String> {
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "ip",
            "customer_id",
            "vps_id",
            "zone",
            "list",
            "code",
            "meaning",
            "scope"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            [0, 1, 2, 3, 4, 5, 7].map(|i| r[i].to_string()).join(" ")
        })
        .collect()
}

#[test]
fn listings_are_decoded_per_list_and_errors_are_not_listings() {
    let server = DnsServer::start(script);
    let fleet = Fleet::new(INVENTORY);
    let out = fleet.dnsbl(&server, &["--zones", ZONES, "--format", "csv"]);
    ok(&out);
    let want: BTreeSet<String> = [
        "198.51.100.7 alice a1 bl.spamcop.net SpamCop SCBL 127.0.0.2 address",
        "198.51.100.7 alice a1 zen.spamhaus.org Spamhaus SBL 127.0.0.2 address",
        "198.51.100.7 alice a1 zen.spamhaus.org Spamhaus PBL 127.0.0.10 policy",
        "198.51.100.8 bob b1 b.barracudacentral.org Barracuda BRBL 127.0.0.2 address",
        "198.51.100.8 bob b1 dnsbl-2.uceprotect.net UCEPROTECT level 2 127.0.0.2 range",
        "203.0.113.1 carol c1 zen.spamhaus.org Spamhaus ZEN 127.0.0.99 address",
        "2001:db8::25 dave d1 zen.spamhaus.org Spamhaus SBL CSS 127.0.0.3 address",
    ]
    .map(String::from)
    .into();
    assert_eq!(rows(&out), want);
    let text = stdout(&out);
    assert!(
        text.contains("unknown code 127.0.0.99 (see https://docs.spamhaus.com/"),
        "{text}"
    );
    assert!(
        text.contains("whoever sent"),
        "UCEPROTECT-2's meaning: {text}"
    );
    let err = stderr(&out);
    // 7 addresses (the /16 is too large), IPv6 only for zen: 6 * 5 + 1 queries.
    assert!(
        err.contains("dnsbl: 7 addresses asked of 5 zone(s) through 127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("(31 queries, no DQS key): 7 listing(s)"),
        "{err}"
    );
    assert!(
        err.contains("dnsbl: zen.spamhaus.org: 1 queries failed (SERVFAIL"),
        "{err}"
    );
    assert!(
        err.contains("dnsbl: psbl.surriel.com: 1 queries failed"),
        "{err}"
    );
    assert!(
        err.contains("10.20.0.0/16 (customer erin, VPS e1): not looked up, larger than /24"),
        "{err}"
    );
    assert!(
        err.contains("bl.spamcop.net: 1 IPv6 address(es) not asked"),
        "{err}"
    );
    // Every query the binary made reached the given resolver, and nothing else was asked.
    let names = server.names();
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 31, "{names:?}");
    // SERVFAIL is tried again (--dnsbl-attempts 2 by default); a listing or NXDOMAIN is not.
    assert_eq!(names.len(), 32, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| ZONES.split(',').any(|z| n.ends_with(z))),
        "{names:?}"
    );
    assert!(names.contains(
        &"5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org"
            .to_string()
    ));
}

#[test]
fn text_lists_each_customer_and_what_was_not_learned() {
    let server = DnsServer::start(script);
    let fleet = Fleet::new(INVENTORY);
    let out = fleet.dnsbl(&server, &["--zones", ZONES]);
    ok(&out);
    let text = stdout(&out);
    let alice = text.find("Customer alice (Alice GmbH)").expect(&text);
    let bob = text.find("Customer bob (Bob Ltd)").expect(&text);
    let notes = text.find("Not learned:").expect(&text);
    assert!(alice < bob && bob < notes, "{text}");
    assert!(text.contains("198.51.100.8    b1           dnsbl-2.uceprotect.net: UCEPROTECT level 2 127.0.0.2 [range]"), "{text}");
    assert!(
        text.contains("  zen.spamhaus.org: 1 queries failed (SERVFAIL"),
        "{text}"
    );
    assert!(
        stderr(&out).is_empty(),
        "text mode says everything on stdout"
    );
}

#[test]
fn spamhaus_refusals_are_never_listings_and_say_what_to_do() {
    let server = DnsServer::start(|name: &str| match name {
        "7.100.51.198.zen.spamhaus.org" => a(&["127.255.255.254"]),
        "8.100.51.198.zen.spamhaus.org" => a(&["127.255.255.255"]),
        "0.113.0.203.zen.spamhaus.org" => a(&["127.255.255.252"]),
        "1.113.0.203.zen.spamhaus.org" => a(&["127.0.0.2", "127.255.255.254"]),
        "7.100.51.198.bl.spamcop.net" => a(&["127.0.0.2"]),
        _ => Answer::NxDomain,
    });
    let fleet = Fleet::new(INVENTORY);
    let out = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.spamhaus.org,bl.spamcop.net",
            "--format",
            "csv",
        ],
    );
    ok(&out);
    let rows = rows(&out);
    assert_eq!(rows.len(), 1, "only SpamCop's listing: {rows:?}");
    assert!(
        rows.iter().all(|r| r.contains("bl.spamcop.net")),
        "{rows:?}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("dnsbl: zen.spamhaus.org refused our resolver for 4 queries (127.255.255.252 typing error in the DNSBL name: 1, 127.255.255.254 query via a public/open resolver or one with generic, unattributable reverse DNS: 2, 127.255.255.255 excessive number of queries: 1): use a DQS key (--dqs-key-file) or your own resolver"),
        "{err}"
    );
}

#[test]
fn a_zone_that_keeps_refusing_is_left_alone() {
    let server = DnsServer::start(|name: &str| {
        if name.ends_with(".zen.spamhaus.org") {
            a(&["127.255.255.254"])
        } else {
            Answer::NxDomain
        }
    });
    let fleet = Fleet::new("customer_id,customer_name,vps_id,ip\nc1,One,v1,203.0.113.0/25\n");
    let out = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.spamhaus.org,bl.spamcop.net",
            "--dnsbl-concurrency",
            "1",
        ],
    );
    ok(&out);
    let zen = server
        .names()
        .iter()
        .filter(|n| n.ends_with("zen.spamhaus.org"))
        .count();
    assert_eq!(
        zen, 64,
        "zen is asked until 64 refusals in a row, then left alone"
    );
    let text = stdout(&out);
    assert!(
        text.contains("zen.spamhaus.org: 64 addresses not asked: after 64 refused"),
        "{text}"
    );
    assert!(
        text.contains("No address is listed in any zone asked (some queries failed"),
        "{text}"
    );
    assert_eq!(
        server.names().len(),
        64 + 128,
        "bl.spamcop.net is asked about all 128"
    );
}

#[test]
fn a_slow_zone_times_out_without_holding_up_the_others() {
    let server = DnsServer::start(|name: &str| {
        if name.ends_with(".slow.example.net") {
            Answer::Silent
        } else {
            script(name)
        }
    });
    let fleet = Fleet::new(INVENTORY);
    let started = Instant::now();
    let out = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "slow.example.net,zen.spamhaus.org",
            "--dnsbl-timeout",
            "1",
            "--dnsbl-attempts",
            "1",
            "--format",
            "csv",
        ],
    );
    ok(&out);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let rows = rows(&out);
    assert!(
        rows.contains("198.51.100.7 alice a1 zen.spamhaus.org Spamhaus SBL 127.0.0.2 address"),
        "{rows:?}"
    );
    assert!(
        !rows.iter().any(|r| r.contains("slow.example.net")),
        "{rows:?}"
    );
    let err = stderr(&out);
    assert!(err.contains("dnsbl: slow.example.net did not answer 6 queries in time: those addresses are unknown, not clean"), "{err}");
    assert!(
        err.contains("slow.example.net is not in blockscope's zone table"),
        "{err}"
    );
}

#[test]
fn the_dqs_key_goes_into_query_names_and_is_never_printed() {
    let server = DnsServer::start(|name: &str| {
        match name.strip_suffix(&format!(".{KEY}.zen.dq.spamhaus.net")) {
            Some("7.100.51.198") => a(&["127.0.0.4"]),
            Some("8.100.51.198") => a(&["127.255.255.250"]),
            Some(_) => Answer::NxDomain,
            None => a(&["127.255.255.254"]), // the public zone refuses this resolver
        }
    });
    let fleet = Fleet::new(INVENTORY);
    std::fs::write(fleet.path("dqs.key"), format!("{KEY}\n")).unwrap();
    let key = fleet.path("dqs.key");
    let out = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.spamhaus.org",
            "--dqs-key-file",
            key.to_str().unwrap(),
            "--format",
            "csv",
        ],
    );
    ok(&out);
    assert_eq!(
        rows(&out),
        ["198.51.100.7 alice a1 zen.spamhaus.org Spamhaus XBL 127.0.0.4 address".to_string()]
            .into()
    );
    let names = server.names();
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(&format!(".{KEY}.zen.dq.spamhaus.net"))),
        "{names:?}"
    );
    let err = stderr(&out);
    assert!(err.contains("(7 queries, Spamhaus through DQS)"), "{err}");
    assert!(
        err.contains("refused our resolver for 1 queries (127.255.255.250: 1): check the DQS key"),
        "{err}"
    );
    assert!(
        err.contains("readable by other users"),
        "a 0644 key file is warned about: {err}"
    );
    // Text mode too, and error messages: the key appears nowhere.
    let text = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.dq.spamhaus.net",
            "--dqs-key-file",
            key.to_str().unwrap(),
        ],
    );
    ok(&text);
    for o in [&out, &text] {
        assert!(!stdout(o).contains(KEY) && !stderr(o).contains(KEY));
    }
    std::fs::write(&key, format!("{KEY}.evil\n")).unwrap();
    let bad = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.spamhaus.org",
            "--dqs-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("the key holds '.'") && !stderr(&bad).contains(KEY),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn an_unreachable_resolver_is_exit_1_not_a_clean_bill() {
    // A port nothing listens on: every query fails at the transport (refused or timed out).
    let closed = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let fleet = Fleet::new("customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\n");
    let out = blockscope()
        .args([
            "dnsbl",
            "--zones",
            "zen.spamhaus.org",
            "--dnsbl-timeout",
            "1",
            "--dnsbl-attempts",
            "1",
        ])
        .arg("--inventory")
        .arg(fleet.path("inventory.csv"))
        .args(["--resolver", &closed.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("the resolver {closed} answered none of 1 queries")),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "no report of 'nothing listed'");
}

#[test]
fn options_and_config_file() {
    let server = DnsServer::start(script);
    let fleet = Fleet::new(INVENTORY);
    let run = |args: &[&str]| blockscope().arg("dnsbl").args(args).output().unwrap();
    let inv = fleet.path("inventory.csv");
    let inv = inv.to_str().unwrap();
    // No resolver: refused, not resolv.conf.
    let out = run(&["--inventory", inv, "--zones", "zen.spamhaus.org"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--resolver IP[:PORT] is required"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "--inventory",
        inv,
        "--zones",
        "zen spamhaus.org",
        "--resolver",
        "127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "--inventory",
        inv,
        "--zones",
        "zen.spamhaus.org",
        "--resolver",
        "127.0.0.1",
        "--dnsbl-rate",
        "0",
    ]);
    assert!(
        stderr(&out).contains("--dnsbl-rate 0: must be between 1 and 10000"),
        "{}",
        stderr(&out)
    );
    // The config file: zones, resolver, bounds.
    std::fs::write(
        fleet.path("blockscope.toml"),
        format!("inventory = \"inventory.csv\"\ndnsbl = [\"dnsbl-2.uceprotect.net\"]\nresolver = \"{}\"\ndnsbl_concurrency = 4\n", server.addr),
    )
    .unwrap();
    let config = fleet.path("blockscope.toml");
    let out = run(&[
        "--config",
        config.to_str().unwrap(),
        "--format",
        "csv",
        "--quiet",
    ]);
    ok(&out);
    assert_eq!(rows(&out).len(), 1);
    assert!(stderr(&out).is_empty(), "--quiet: {}", stderr(&out));
    let out = run(&["--list-zones"]);
    ok(&out);
    let table = stdout(&out);
    assert!(
        table.contains(
            "zen.spamhaus.org (Spamhaus ZEN; IPv4 and IPv6, DQS: KEY.zen.dq.spamhaus.net)"
        ),
        "{table}"
    );
    assert!(table.contains("127.255.255.254 refused"), "{table}");
}

/// The benchmark of issue 21 (not a timed test): 10,000 addresses, three zones, against the
/// loopback server. `scripts/bench-dnsbl.sh` runs it; docs/performance.md has the result.
#[test]
#[ignore]
fn bench_10000_addresses() {
    let server = DnsServer::start(|name: &str| {
        if name.starts_with("7.") {
            a(&["127.0.0.2"])
        } else {
            Answer::NxDomain
        }
    });
    // 39 /24s and 16 single addresses: 10,000 addresses.
    let mut inventory = String::from("customer_id,customer_name,vps_id,ip\n");
    for i in 0..39 {
        inventory.push_str(&format!("c{i},C{i},v{i},10.1.{i}.0/24\n"));
    }
    for i in 0..16 {
        inventory.push_str(&format!("s{i},S{i},w{i},10.2.0.{i}\n"));
    }
    let fleet = Fleet::new(&inventory);
    let concurrency = std::env::var("DNSBL_CONCURRENCY").unwrap_or_else(|_| "32".into());
    let rate = std::env::var("DNSBL_RATE").unwrap_or_else(|_| "10000".into());
    let started = Instant::now();
    let out = fleet.dnsbl(
        &server,
        &[
            "--zones",
            "zen.spamhaus.org,bl.spamcop.net,dnsbl-1.uceprotect.net",
            "--format",
            "csv",
            "--dnsbl-concurrency",
            &concurrency,
            "--dnsbl-rate",
            &rate,
        ],
    );
    let took = started.elapsed();
    ok(&out);
    assert_eq!(server.names().len(), 30_000);
    println!(
        "bench dnsbl: 10000 addresses x 3 zones (30000 queries), concurrency {concurrency}, rate {rate}/s per zone: {:.2} s; {} listing rows\n{}",
        took.as_secs_f64(),
        rows(&out).len(),
        stderr(&out).trim()
    );
}
