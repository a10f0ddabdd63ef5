//! Issue 18, verdicts: a subnet's verdict comes from each receiver's or list's own evidence, and
//! each subnet says who blocks it as what, with the action that receiver or list accepts.

use super::*;

fn subnet_row(fleet: &Fleet, subnet: &str) -> BTreeMap<String, String> {
    fleet
        .csv("summary/subnets.csv")
        .into_iter()
        .find(|s| s["subnet"] == subnet)
        .unwrap_or_else(|| panic!("no subnets.csv row for {subnet}"))
}

#[test]
fn a_spamhaus_listing_of_two_customers_is_several_listed_not_a_neighbourhood() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&spamhaus("198.51.100.8")],
        NOV_23_2026,
    );
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 neighbourhood subnet(s), 1 with several separate listings"),
        "{stderr}"
    );
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["blocked_customers"], "2");
    assert_eq!(s["verdict"], "several_listed");
    assert_eq!(s["blocked_by"], "dnsbl-spamhaus:dnsbl(2 IPs, 2 customers)");
}

#[test]
fn outlook_s3140_on_one_customer_is_a_neighbourhood_because_the_receiver_says_so() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    ok(&fleet.run(1));
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["blocked_customers"], "1");
    assert_eq!(s["verdict"], "neighbourhood");
    assert_eq!(
        s["blocked_by"],
        "outlook.com:network_block(1 IP, 1 customer)"
    );
}

#[test]
fn one_receiver_ip_block_on_two_customers_is_a_neighbourhood() {
    let fleet = two_customers_banned_by_office365();
    ok(&fleet.run(1));
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["verdict"], "neighbourhood");
    assert_eq!(s["blocked_by"], "office365:ip_block(2 IPs, 2 customers)");
}

#[test]
fn different_receivers_blocking_different_customers_are_several_listed() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&o365_banned("198.51.100.8")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["verdict"], "several_listed");
    assert_eq!(
        s["blocked_by"],
        "office365:ip_block(1 IP, 1 customer);dnsbl-spamhaus:dnsbl(1 IP, 1 customer)"
    );
}

/// Real SNDS IP-status rows (first, last, blocked, reason), as the sample exports write them.
fn snds_run(fleet: &Fleet, status: &str) -> Output {
    fs::create_dir_all(fleet.path("snds")).unwrap();
    fs::write(fleet.path("snds").join("ipStatus.csv"), status).unwrap();
    let dir = fleet.path("snds");
    fleet.run_args(&["--threads", "1", "--snds", dir.to_str().unwrap()])
}

#[test]
fn an_snds_blocked_range_over_several_customers_is_a_neighbourhood() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SENT_GMAIL], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&SENT_GMAIL.replace("web1", "web2")],
        NOV_23_2026,
    );
    ok(&snds_run(
        &fleet,
        "198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\r\n",
    ));
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["blocked_ips"], "0", "nothing bounced yet");
    assert_eq!(s["verdict"], "neighbourhood");
    assert_eq!(
        s["blocked_by"],
        "snds[198.51.100.0-198.51.100.255]:snds_block(6 IPs, 5 customers)"
    );
}

#[test]
fn an_snds_blocked_address_of_one_customer_is_no_neighbourhood() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SENT_GMAIL], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&spamhaus("198.51.100.8")],
        NOV_23_2026,
    );
    ok(&snds_run(
        &fleet,
        "198.51.100.8,198.51.100.8,Yes,Blocked due to user complaints or other evidence of spamming\r\n",
    ));
    let s = subnet_row(&fleet, "198.51.100.0/24");
    assert_eq!(s["verdict"], "single_ip");
    assert_eq!(
        s["blocked_by"],
        "dnsbl-spamhaus:dnsbl(1 IP, 1 customer);snds[198.51.100.8]:snds_block(1 IP, 1 customer)"
    );
}

#[test]
fn each_blocker_gets_the_action_its_receiver_or_list_accepts() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026)
        .log("vps-b/mail.log", &[&spamhaus("198.51.100.8")], NOV_23_2026)
        .log(
            "vps-c/mail.log",
            &[&o365_banned("198.51.100.9")],
            NOV_23_2026,
        );
    ok(&fleet.run(1));
    let md = fleet.text("summary/summary.md");
    let html = fleet.text("summary/summary.html");
    let line = |start: &str| {
        md.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no summary.md line {start}:\n{md}"))
            .to_string()
    };
    // One subnet, three judges. Outlook.com's range block: one request for the range at its sender support form.
    let outlook = line("- 198.51.100.0/24 — outlook.com:network_block(1 IP, 1 customer)");
    assert!(outlook.contains("whole range"), "{outlook}");
    assert!(outlook.contains(
        "https://support.microsoft.com/supportrequestform/8ad563e3-288e-2a61-8122-3ba03d6b8d75"
    ));
    // Spamhaus in the same subnet: per address, at its lookup page.
    let listed = line("- 198.51.100.0/24 — dnsbl-spamhaus:dnsbl(1 IP, 1 customer)");
    assert!(listed.contains("one by one, not the range"), "{listed}");
    assert!(listed.contains("https://check.spamhaus.org/results/?query=198.51.100.8"));
    assert!(!listed.contains("supportrequestform"), "{listed}");
    // Office 365: one IP at a time at sender.office.com, never the Outlook.com form.
    let o365 = line("- 198.51.100.0/24 — office365:ip_block(1 IP, 1 customer)");
    assert!(o365.contains("sender.office.com"), "{o365}");
    assert!(o365.contains("one IP"), "{o365}");
    assert!(!o365.contains("supportrequestform"), "{o365}");
    // The HTML card names the same blockers with the same advice.
    for needle in [
        "<b>outlook.com:network_block(1 IP, 1 customer)</b>",
        "<b>dnsbl-spamhaus:dnsbl(1 IP, 1 customer)</b>",
        "https://check.spamhaus.org/results/?query=198.51.100.8",
        "<b>office365:ip_block(1 IP, 1 customer)</b>",
    ] {
        assert!(html.contains(needle), "summary.html lacks {needle}");
    }
}

/// A customer whose address a block list names is told it is a listing of its address, where
/// to look it up, and that the list (not the receiver) lifts it — never that another sender in
/// the range caused it, nor that we ask "the receiver".
#[test]
fn a_dnsbl_listing_notice_names_the_list_lookup_not_the_receiver() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026).log(
        "vps-b/mail.log",
        &[&spamhaus("198.51.100.8")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let notice = fleet.text("customers/c1.md");
    for says in [
        "This address is listed on Spamhaus",
        "Look the listing up: https://check.spamhaus.org/results/?query=198.51.100.7",
        "The listing is about your address. The list's operator lifts it, not the receivers",
    ] {
        assert!(notice.contains(says), "{says:?} missing:\n{notice}");
    }
    for never in ["with the receiver", "another sender in the range"] {
        assert!(!notice.contains(never), "{never:?} in:\n{notice}");
    }
}
