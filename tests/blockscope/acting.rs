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
    let outlook = fleet.text("delist/outlook-com.txt");
    let paste = outlook
        .lines()
        .skip_while(|l| !l.starts_with("Outbound IP"))
        .nth(1)
        .unwrap();
    assert!(
        paste.starts_with("198.51.100.10/31; 198.51.100.23; "),
        "merged and '; '-separated: {paste}"
    );
    assert!(
        outlook.contains("== Range 198.51.100.0/24: Outlook.com blocks 12 of our address(es) here")
    );
    assert!(outlook.contains("rule IDs quoted by Outlook.com: AS3140, S3140, S3150"));
    assert!(outlook.contains("hosting provider"));
    let o365 = fleet.csv("delist/office365.csv");
    assert_eq!(o365.len(), 1);
    assert_eq!(
        (o365[0]["ip"].as_str(), o365[0]["contact"].as_str()),
        ("203.0.113.17", "abuse@hoster.example")
    );
    assert!(o365[0]["ndr"].starts_with("550 5.7.606"));
    let mail = fleet.text("delist/delist-microsoft-5.7.511.txt");
    assert!(
        mail.contains("To: delist@microsoft.com")
            && mail.contains("192.0.2.14")
            && mail.contains("550 5.7.511 Access denied")
    );
    let dnsbl = fleet.csv("delist/dnsbl-lookups.csv");
    assert!(dnsbl.iter().any(|r| r["ip"] == "203.0.113.52"
        && r["lookup_url"] == "https://check.spamhaus.org/results/?query=203.0.113.52"));
    // Notices: neighbourhood victims are told it is the range; the SNDS culprit is told it is them.
    let victim = fleet.text("customers/c1001.md");
    assert!(victim.contains("neighbourhood") && victim.contains("198.51.100.10"));
    let culprit = fleet.text("customers/c1006.md");
    assert!(culprit.contains("spam complaints or spam-trap hits from this address"));
    let single = fleet.text("customers/c1007.md");
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
        Some("network,customer_id,customer_name,vps_id,blocked_ips,block_events,throttle_events")
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

/// `explain` as a support engineer uses it on a ticket: the config file's inventory and logs,
/// evidence in time order across rotated files, refusals and deferrals by default (`--all` adds
/// delivered mail), recipients cut to their domain as in the reports unless asked for.
#[test]
fn explain_takes_the_config_lists_failures_in_time_order_and_masks_recipients() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("blockscope.toml");
    fs::write(
        &config,
        format!(
            "logs = \"{}\"\ninventory = \"{}\"\n",
            root.join("sample-data/logs").display(),
            root.join("sample-data/inventory.csv").display()
        ),
    )
    .unwrap();
    let explain = |extra: &[&str]| {
        let out = blockscope()
            .args(["explain", "198.51.100.10", "--config"])
            .arg(&config)
            .args(extra)
            .output()
            .unwrap();
        ok(&out);
        String::from_utf8(out.stdout).unwrap()
    };
    let text = explain(&[]);
    let evidence: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("vps-c1001-01/"))
        .collect();
    assert!(evidence.len() > 5, "{text}");
    assert!(evidence.iter().all(|l| !l.contains("  sent  ")), "{text}");
    let times: Vec<&str> = evidence
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert!(times.windows(2).all(|t| t[0] <= t[1]), "{times:?}");
    // The rotated files come first: they hold the older lines.
    assert!(
        evidence[0].starts_with("vps-c1001-01/mail.log.2.gz:"),
        "{}",
        evidence[0]
    );
    assert!(
        text.contains("reply: 450 4.2.0 <*@corrie-plumbing.example>"),
        "{text}"
    );
    assert!(text.contains("--all adds delivered mail"));
    let all = explain(&["--all", "--recipient-detail", "full"]);
    assert!(all
        .lines()
        .any(|l| l.contains("  sent  from 198.51.100.10")));
    assert!(
        !all.contains("<*@corrie-plumbing.example>"),
        "full detail keeps addresses"
    );
    // attest reads the same config file.
    let attest = blockscope()
        .args(["attest", "--range", "198.51.100.0/24", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    ok(&attest);
    assert!(String::from_utf8_lossy(&attest.stdout).contains("198.51.100.10"));
}
