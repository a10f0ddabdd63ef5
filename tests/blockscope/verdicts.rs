use super::*;

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
    // Different receivers blocking two customers for their own reasons: separate listings.
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&O365_5_7_606.replace("203.0.113.25", "198.51.100.8")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    assert_eq!(
        fleet.csv("summary/subnets.csv")[0]["verdict"],
        "several_listed"
    );
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
