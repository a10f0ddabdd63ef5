//! `run --dnsbl` (issue 21): the night's lookups joined with the logs, against the scripted DNS
//! server on loopback. A listed address whose mail has not bounced is a `blocked_not_seen` row
//! of class `dnsbl`; a range listing over several customers makes the subnet a neighbourhood;
//! `summary/dnsbl.csv` lists every listing; a second run the same night asks nothing again.

use super::dns_server::{a, Answer, DnsServer};
use super::*;

/// vps-a (198.51.100.7) bounces at Outlook.com in the logs; UCEPROTECT level 2 lists the range
/// for .8 and .9 (two other customers, silent); Spamhaus lists 203.0.113.25 (c5) for itself.
fn script(name: &str) -> Answer {
    match name {
        "8.100.51.198.dnsbl-2.uceprotect.net" | "9.100.51.198.dnsbl-2.uceprotect.net" => {
            a(&["127.0.0.2"])
        }
        "25.113.0.203.zen.spamhaus.org" => a(&["127.0.0.2"]),
        _ => Answer::NxDomain,
    }
}

fn run_with_lookups(fleet: &Fleet, server: &DnsServer, extra: &[&str]) -> Output {
    let resolver = server.addr.to_string();
    let mut args = vec![
        "--threads",
        "1",
        "--dnsbl",
        "zen.spamhaus.org,dnsbl-2.uceprotect.net",
        "--resolver",
        resolver.as_str(),
    ];
    args.extend(extra);
    fleet.run_args(&args)
}

#[test]
fn run_dnsbl_joins_the_listings_with_the_logs() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SENT_GMAIL], NOV_23_2026);
    let server = DnsServer::start(script);
    let out = run_with_lookups(&fleet, &server, &[]);
    ok(&out);
    // Every listing, with its owner.
    let listings = fleet.csv("summary/dnsbl.csv");
    let found: Vec<(String, String, String, String)> = listings
        .iter()
        .map(|r| {
            (
                r["ip"].clone(),
                r["zone"].clone(),
                r["customer_id"].clone(),
                r["scope"].clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "198.51.100.8".into(),
                "dnsbl-2.uceprotect.net".into(),
                "c2".into(),
                "range".into()
            ),
            (
                "198.51.100.9".into(),
                "dnsbl-2.uceprotect.net".into(),
                "c3".into(),
                "range".into()
            ),
            (
                "203.0.113.25".into(),
                "zen.spamhaus.org".into(),
                "c5".into(),
                "address".into()
            ),
        ]
    );
    // Listed, not bouncing yet: a dnsbl row of its owner, in the owner's own file only.
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "203.0.113.25", "dnsbl-lookup:zen.spamhaus.org");
    assert_eq!(
        (
            r["class"].as_str(),
            r["status"].as_str(),
            r["ip_source"].as_str()
        ),
        ("dnsbl", "blocked_not_seen", "dnsbl_lookup")
    );
    assert!(fleet
        .text("customers/c5.csv")
        .contains("dnsbl-lookup:zen.spamhaus.org"));
    assert!(!fleet.text("customers/c2.csv").contains("zen.spamhaus.org"));
    // A range listing over two customers' addresses is the range's: a neighbourhood.
    let subnets = fleet.csv("summary/subnets.csv");
    let s = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(s["verdict"], "neighbourhood", "{s:?}");
    assert!(
        s["blocked_by"].contains("dnsbl-lookup:dnsbl-2.uceprotect.net:dnsbl(2 IPs, 2 customers)"),
        "{s:?}"
    );
    // The customer hears it as a range listing, not as its own doing; c5 as its own listing.
    let notice = fleet.text("customers/c2.md");
    assert!(
        notice.contains("lists the address range your server is in, not this address"),
        "{notice}"
    );
    assert!(
        notice.contains("Nothing is needed from you: the list names the range"),
        "{notice}"
    );
    let notice = fleet.text("customers/c5.md");
    assert!(notice.contains("This address is listed on"), "{notice}");
    assert!(
        !notice.contains("rejection(s) from"),
        "no bounce is claimed: {notice}"
    );
    // The summary says what was looked up; the heatmap marks the listed squares.
    let md = fleet.text("summary/summary.md");
    assert!(
        md.contains("## DNS block lists (looked up)") && md.contains("dnsbl-2.uceprotect.net: "),
        "{md}"
    );
    let html = fleet.text("summary/summary.html");
    assert!(html.contains("class=\"cell listed\" data-ip=\"198.51.100.8\""));
}

#[test]
fn a_second_run_the_same_night_asks_the_lists_nothing() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[NOISE], NOV_23_2026);
    let server = DnsServer::start(script);
    let state = fleet.path("state");
    let state = state.to_str().unwrap();
    ok(&run_with_lookups(&fleet, &server, &["--state", state]));
    let asked = server.names().len();
    assert!(asked >= 16, "8 addresses x 2 zones: {asked}");
    ok(&run_with_lookups(
        &fleet,
        &server,
        &["--state", state, "--full"],
    ));
    assert_eq!(
        server.names().len(),
        asked,
        "answered from the state's cache"
    );
    assert_eq!(fleet.csv("summary/dnsbl.csv").len(), 3);
    // --dnsbl-ttl 0 asks again.
    ok(&run_with_lookups(
        &fleet,
        &server,
        &["--state", state, "--full", "--dnsbl-ttl", "0"],
    ));
    assert!(server.names().len() > asked);
}

#[test]
fn a_silent_resolver_is_an_input_problem_not_a_clean_bill() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[NOISE], NOV_23_2026);
    let server = DnsServer::start(|_| Answer::Silent);
    let out = run_with_lookups(&fleet, &server, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let problems = fleet.text("summary/input-problems.csv");
    assert!(
        problems.contains("DNS block lists not checked"),
        "{problems}"
    );
    assert!(
        !fleet.path("out/summary/dnsbl.csv").exists(),
        "no lookups, no listing file"
    );
}

#[test]
fn a_range_too_large_to_ask_is_said_not_taken_for_clean() {
    let fleet = Fleet::new(&format!(
        "{}c9,Nine,vps-z,10.20.0.0/16\n",
        neighbourhood_inventory()
    ));
    fleet.log("vps-a/mail.log", &[NOISE], NOV_23_2026);
    let server = DnsServer::start(script);
    ok(&run_with_lookups(&fleet, &server, &[]));
    let md = fleet.text("summary/summary.md");
    assert!(
        md.contains("not looked up, larger than dnsbl_max_range: 10.20.0.0/16 (VPS vps-z)"),
        "{md}"
    );
    assert!(
        !server.names().iter().any(|n| n.contains(".20.10.")),
        "no address of the /16 asked"
    );
}
