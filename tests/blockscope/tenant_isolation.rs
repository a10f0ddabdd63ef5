//! A reply in one VPS's log quoting an address of another customer's VPS is never attributed
//! across tenants (docs/security.md, "Tenant isolation"); a sibling VPS's address is attributed
//! to the sibling, with the observing VPS noted by `ip_source`.

use super::*;

/// c1 has vps-a (and vps-a2), c2 has vps-b; c3 shares the /24 so a neighbourhood is possible.
fn two_customer_inventory() -> String {
    format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.7\nc1,Alpha Shop,vps-a2,198.51.100.8\nc2,Beta Blog,vps-b,198.51.100.20\nc3,Gamma Ltd,vps-c,198.51.100.9\n"
    )
}

/// The real S3140 bounce ("part of their network"), quoting `ip` instead of 198.51.100.7.
fn s3140_quoting(ip: &str) -> String {
    S3140_RFC3164.replace("[198.51.100.7]", &format!("[{ip}]"))
}

fn text(fleet: &Fleet, rel: &str) -> String {
    fs::read_to_string(fleet.path("out").join(rel)).unwrap()
}

/// `ip` as a whole address in `text` (198.51.100.2 is not in 198.51.100.20).
fn names_address(text: &str, ip: &str) -> bool {
    text.match_indices(ip).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + ip.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn another_customers_address_quoted_in_a_log_reaches_neither_customer() {
    let fleet = Fleet::new(&two_customer_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[&s3140_quoting("198.51.100.20"), SENT_GMAIL],
        NOV_23_2026,
    );
    fleet.log(
        "vps-b/mail.log",
        &[&SENT_GMAIL.replace("web1", "blog")],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "an input problem: exit 3");

    // Provider-wide: one flagged row, attributed to no one.
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.20", "ms-outlook-network-blocklist");
    assert_eq!(r["ip_source"], "reply_other_customer");
    assert_eq!((r["customer_id"].as_str(), r["vps_id"].as_str()), ("", ""));
    assert_eq!(r["in_inventory"], "true");
    assert_eq!(r["events"], "1");

    // Neither customer's files: no row, no address of the other.
    for id in ["c1", "c2"] {
        let rows = fleet.csv(&format!("customers/{id}.csv"));
        assert!(
            rows.iter().all(|r| r["ip"] != "198.51.100.20"),
            "{id}: {rows:#?}"
        );
        let both = text(&fleet, &format!("customers/{id}.csv"))
            + &text(&fleet, &format!("customers/{id}.md"));
        let other = if id == "c1" {
            "198.51.100.20"
        } else {
            "198.51.100.7"
        };
        assert!(!names_address(&both, other), "{id} names {other}:\n{both}");
        assert!(!both.contains("S3140"), "{id} shows the bounce:\n{both}");
    }
    // Not in the delisting pack.
    for file in [
        "delist/outlook-com.txt",
        "delist/office365.csv",
        "delist/dnsbl-lookups.csv",
    ] {
        assert!(
            !names_address(&text(&fleet, file), "198.51.100.20"),
            "{file}"
        );
    }
    // No neighbourhood verdict (nor any block) from it.
    let subnets = fleet.csv("summary/subnets.csv");
    let s = subnets
        .iter()
        .find(|s| s["subnet"] == "198.51.100.0/24")
        .expect("the /24 is active");
    assert_eq!(
        (s["verdict"].as_str(), s["blocked_ips"].as_str()),
        ("clear", "0")
    );
    assert_eq!(s["active_ips"], "2", "vps-a's and vps-b's own sends only");

    // One input problem naming both VPSes (input-problems.csv is provider-only).
    let problems = fleet.csv("summary/input-problems.csv");
    let crossing: Vec<_> = problems
        .iter()
        .filter(|p| p["reason"].contains("reply_other_customer"))
        .collect();
    assert_eq!(crossing.len(), 1, "{problems:#?}");
    let p = crossing[0];
    assert_eq!(p["file"], "vps-a/mail.log");
    for needle in [
        "VPS vps-a ",
        "VPS vps-b ",
        "198.51.100.20",
        "first on line 1",
        "1 repl",
    ] {
        assert!(p["reason"].contains(needle), "{needle}: {}", p["reason"]);
    }
    let summary = text(&fleet, "summary/summary.md");
    assert!(
        summary.contains("reply_other_customer"),
        "summary.md says so"
    );
    assert!(
        summary.contains("**0** neighbourhood block(s)"),
        "{summary}"
    );
}

#[test]
fn a_crossing_quote_does_not_hide_the_owners_own_evidence() {
    // vps-b's own log shows the same block: that row stays c2's, the quote stays apart.
    let fleet = Fleet::new(&two_customer_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[&s3140_quoting("198.51.100.20")],
        NOV_23_2026,
    );
    fleet.log(
        "vps-b/mail.log",
        &[&s3140_quoting("198.51.100.20").replace("web1", "blog")],
        NOV_23_2026,
    );
    assert_eq!(fleet.run(2).status.code(), Some(3));
    let ips = fleet.csv("summary/ips.csv");
    let rows: Vec<_> = ips.iter().filter(|r| r["ip"] == "198.51.100.20").collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let own = rows.iter().find(|r| r["customer_id"] == "c2").unwrap();
    assert_eq!(
        (
            own["vps_id"].as_str(),
            own["ip_source"].as_str(),
            own["events"].as_str()
        ),
        ("vps-b", "reply", "1")
    );
    let quoted = rows.iter().find(|r| r["customer_id"].is_empty()).unwrap();
    assert_eq!(quoted["ip_source"], "reply_other_customer");
    let c2 = fleet.csv("customers/c2.csv");
    assert_eq!(c2.len(), 1, "{c2:#?}");
    assert_eq!(c2[0]["ip_source"], "reply");
    assert!(fleet.csv("customers/c1.csv").is_empty());
    // The owner's own evidence counts as usual: one customer blocked, never a neighbourhood
    // made of the quote (S3140's wording alone makes this /24 a neighbourhood).
    let s = &fleet.csv("summary/subnets.csv")[0];
    assert_eq!(
        (s["blocked_ips"].as_str(), s["blocked_customers"].as_str()),
        ("1", "1")
    );
}

#[test]
fn a_sibling_vps_address_is_attributed_to_the_sibling_and_noted() {
    let fleet = Fleet::new(&two_customer_inventory());
    fleet.log(
        "vps-a/mail.log",
        &[&s3140_quoting("198.51.100.8")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.8", "ms-outlook-network-blocklist");
    assert_eq!(
        (
            r["customer_id"].as_str(),
            r["vps_id"].as_str(),
            r["ip_source"].as_str()
        ),
        ("c1", "vps-a2", "reply_sibling_vps")
    );
    let c1 = fleet.csv("customers/c1.csv");
    assert_eq!(c1.len(), 1);
    assert_eq!(c1[0]["ip_source"], "reply_sibling_vps");
    assert_eq!(
        c1[0]["subnet_verdict"], "neighbourhood",
        "S3140 counts as usual"
    );
    assert!(fleet.csv("summary/input-problems.csv").is_empty());
    assert!(text(&fleet, "delist/outlook-com.txt").contains("198.51.100.8"));

    // The sibling's own log confirming it: the best provenance wins.
    fleet.log(
        "vps-a2/mail.log",
        &[&s3140_quoting("198.51.100.8").replace("web1", "web2")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.8", "ms-outlook-network-blocklist");
    assert_eq!(
        (r["ip_source"].as_str(), r["events"].as_str()),
        ("reply", "2")
    );
}

#[test]
fn crossings_are_listed_alike_whether_a_file_is_read_whole_or_split() {
    let fleet = Fleet::new(&two_customer_inventory());
    let quoted = S3140_RFC3339.replace("[198.51.100.9]", "[198.51.100.20]");
    let sibling = S3140_RFC3339.replace("[198.51.100.9]", "[198.51.100.8]");
    let lines: Vec<String> = (0..400)
        .map(|i| match i % 3 {
            0 => quoted.replace("11:00:03", &format!("11:{:02}:{:02}", i / 60, i % 60)),
            1 => sibling.clone(),
            _ => S3140_RFC3339.replace("[198.51.100.9]", "[198.51.100.7]"),
        })
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    fleet.log("vps-a/mail.log", &refs, NOV_23_2026);
    assert_eq!(fleet.run(1).status.code(), Some(3));
    assert_eq!(fleet.run_split("4096").status.code(), Some(3));
    let whole = tree_contents(&fleet.path("out"));
    let split = tree_contents(&fleet.path("split"));
    assert_eq!(
        whole["summary/input-problems.csv"],
        split["summary/input-problems.csv"]
    );
    assert_eq!(whole["summary/ips.csv"], split["summary/ips.csv"]);
    let problems = fleet.csv("summary/input-problems.csv");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]["reason"].starts_with("134 repl"),
        "{problems:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Property: random fleets whose logs quote addresses of other customers (and siblings).

mod quoting {
    use super::*;
    use proptest::prelude::*;

    /// Templates whose reply quotes the sending IP, and the address each quotes.
    const TEMPLATES: &[(&str, &str)] = &[
        (S3140_RFC3164, "198.51.100.7"),
        (O365_5_7_606, "203.0.113.25"),
        (O365_5_7_511, "203.0.113.40"),
        (THROTTLE_4_7_650, "198.51.100.7"),
        (SPAMHAUS, "198.51.100.7"),
    ];

    #[derive(Debug, Clone)]
    struct QuotingFleet {
        /// customer -> number of VPSes (one address each)
        customers: Vec<usize>,
        /// (customer, vps, template, quoted address as an index into all addresses, second)
        lines: Vec<(usize, usize, usize, usize, u32)>,
    }

    fn strategy() -> impl Strategy<Value = QuotingFleet> {
        (
            prop::collection::vec(1usize..=2, 2..=4),
            prop::collection::vec(
                (
                    0usize..4,
                    0usize..2,
                    0..TEMPLATES.len(),
                    0usize..8,
                    0u32..86_400,
                ),
                1..40,
            ),
        )
            .prop_map(|(customers, lines)| QuotingFleet { customers, lines })
    }

    /// (customer id, vps id, address) for every VPS; the /24 is shared by everyone.
    fn vpses(f: &QuotingFleet) -> Vec<(String, String, String)> {
        let mut all = Vec::new();
        for (c, &n) in f.customers.iter().enumerate() {
            for v in 0..n {
                let ip = format!("198.51.100.{}", 10 + all.len());
                all.push((format!("c{c}"), format!("vps-{c}-{v}"), ip));
            }
        }
        all
    }

    /// The fleet, and per customer the lines of its own logs that quote one of its addresses
    /// (the only evidence its files may count).
    fn materialise(f: &QuotingFleet) -> (Fleet, BTreeMap<String, u64>) {
        let all = vpses(f);
        let mut own_evidence: BTreeMap<String, u64> = BTreeMap::new();
        let mut inventory = String::from(INVENTORY_HEADER);
        for (c, v, ip) in &all {
            inventory.push_str(&format!("{c},Customer {c} GmbH,{v},{ip}\n"));
        }
        let fleet = Fleet::new(&inventory);
        let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for &(c, v, t, quoted, sec) in &f.lines {
            let c = c % f.customers.len();
            let vps = format!("vps-{c}-{}", v % f.customers[c]);
            let (template, own) = TEMPLATES[t];
            let stamp = format!(
                "Nov  2 {:02}:{:02}:{:02}",
                sec / 3600,
                sec / 60 % 60,
                sec % 60
            );
            let (owner, _, address) = &all[quoted % all.len()];
            // The syslog host names the VPS, so no two VPSes' logs are ever the same content.
            let host = &template[16..template[16..].find(' ').unwrap() + 16];
            let line = template
                .replacen(&template[..15], &stamp, 1)
                .replacen(&format!(" {host} "), &format!(" {vps} "), 1)
                .replace(own, address);
            if *owner == format!("c{c}") {
                *own_evidence.entry(owner.clone()).or_default() += 1;
            }
            files.entry(vps).or_default().push(line);
        }
        for (vps, lines) in &files {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            fleet.log(&format!("{vps}/mail.log"), &refs, NOV_23_2026);
        }
        (fleet, own_evidence)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn no_customer_file_ever_holds_another_customers_address(f in strategy()) {
            let (fleet, own_evidence) = materialise(&f);
            let out = fleet.run(2);
            prop_assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
            let all = vpses(&f);
            let customers: std::collections::BTreeSet<&str> =
                all.iter().map(|(c, _, _)| c.as_str()).collect();
            for id in customers {
                let csv_text = text(&fleet, &format!("customers/{id}.csv"));
                let notice = text(&fleet, &format!("customers/{id}.md"));
                let rows = fleet.csv(&format!("customers/{id}.csv"));
                for r in &rows {
                    prop_assert_eq!(&r["customer_id"], id);
                    prop_assert!(r["ip_source"] != "reply_other_customer");
                }
                // Its files count exactly the lines of its own logs about its own addresses:
                // nothing another customer's log says about them.
                let events: u64 = rows.iter().map(|r| r["events"].parse::<u64>().unwrap()).sum();
                prop_assert_eq!(events, own_evidence.get(id).copied().unwrap_or(0), "{}: {:#?}", id, rows);
                for (other, vps, ip) in all.iter().filter(|(c, _, _)| c != id) {
                    for (name, body) in [("csv", &csv_text), ("md", &notice)] {
                        prop_assert!(!names_address(body, ip), "{}.{} names {}'s {}", id, name, other, ip);
                        prop_assert!(!body.contains(vps.as_str()), "{}.{} names {}", id, name, vps);
                    }
                }
            }
            // Every quote across customers is flagged provider-wide and counts for no verdict.
            for r in fleet.csv("summary/ips.csv") {
                let owner = all.iter().find(|(_, _, ip)| *ip == r["ip"]);
                prop_assert!(owner.is_some(), "{:?}", r);
                if r["ip_source"] == "reply_other_customer" {
                    prop_assert_eq!(&r["customer_id"], "");
                } else {
                    prop_assert_eq!(&r["customer_id"], &owner.unwrap().0);
                }
            }
        }
    }
}
