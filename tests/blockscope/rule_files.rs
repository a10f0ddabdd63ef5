use super::*;

const CUSTOM: &str = r#"
# Acme's MX refuses our range: a rule added without rebuilding.
[[rule]]
id = "acme-try-later"
receiver = "acme"
pattern = 'Server configuration problem'
class = "throttle"
permanence = "temporary"
delist_route = "Ask Acme's postmaster (postmaster@acme.example) to lift the limit"
example = '451 4.3.5 Server configuration problem'

# Override a built-in rule's route in place.
[[rule]]
id = "recipient-unknown"
receiver = "any"
pattern = 'user unknown'
class = "not_ip"
permanence = "permanent"
delist_route = ""
example = '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table'
"#;

#[test]
fn unclassified_replies_are_grouped_for_rule_writing() {
    let fleet = Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\nc2,B,vps-b,192.0.2.11\n"
    ));
    fleet.log(
        "vps-a/mail.log",
        &[NO_IP_DEFERRAL, NO_IP_DEFERRAL],
        NOV_23_2026,
    );
    fleet.log(
        "vps-b/mail.log",
        &[&NO_IP_DEFERRAL.replace("<g@example.org>", "<h@example.net>")],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let rows = fleet.csv("summary/unclassified.csv");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(
        (
            rows[0]["events"].as_str(),
            rows[0]["ips"].as_str(),
            rows[0]["code"].as_str()
        ),
        ("3", "2", "4.3.5")
    );
    assert_eq!(rows[0]["reply"], "451 4.3.5 Server configuration problem");
}

#[test]
fn a_rule_file_adds_and_overrides_rules_without_rebuilding() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
    fleet.log(
        "vps-a/mail.log",
        &[NO_IP_DEFERRAL, USER_UNKNOWN],
        NOV_23_2026,
    );
    fs::write(fleet.path("acme.toml"), CUSTOM).unwrap();
    let rules = fleet.path("acme.toml");
    ok(&fleet.run_args(&["--rules", rules.to_str().unwrap()]));
    let ips = fleet.csv("summary/ips.csv");
    let acme = row(&ips, "192.0.2.10", "acme-try-later");
    assert_eq!(acme["class"], "throttle");
    assert!(acme["delist_route"].contains("postmaster@acme.example"));
    assert_eq!(
        row(&ips, "192.0.2.10", "recipient-unknown")["class"],
        "not_ip"
    );
    assert!(fleet.csv("summary/unclassified.csv").is_empty());
    // `blockscope rules --rules FILE` previews the merged catalogue: new rules first.
    let out = blockscope()
        .args(["rules", "--format", "csv", "--rules"])
        .arg(&rules)
        .output()
        .unwrap();
    ok(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().nth(1).unwrap().starts_with("acme-try-later,"),
        "{text}"
    );
    assert_eq!(
        text.matches("\nrecipient-unknown,").count(),
        1,
        "replaced in place, not duplicated"
    );
}

#[test]
fn a_bad_rule_file_names_file_line_and_problem() {
    let fleet = Fleet::new(&format!("{INVENTORY_HEADER}c1,A,vps-a,192.0.2.10\n"));
    fleet.log("vps-a/mail.log", &[NO_IP_DEFERRAL], NOV_23_2026);
    for (text, want) in [
        (
            CUSTOM.replace("class = \"throttle\"", "class = \"slow\""),
            ("acme.toml:7:", "class \"slow\""),
        ),
        (
            CUSTOM.replace("'Server configuration problem'", "'Server (configuration'"),
            ("acme.toml:6:", "not a valid regex"),
        ),
        (
            CUSTOM.replace("permanence = \"temporary\"", "permanence = \"sometimes\""),
            ("acme.toml:8:", "permanence"),
        ),
        (
            CUSTOM.replace(
                "[[rule]]\nid = \"recipient-unknown\"",
                "[[rule]]\nid = \"acme-try-later\"",
            ),
            ("acme.toml:", "already used"),
        ),
        (
            "[[rule]]\nid = \"x\"\nreceiver = \"any\"\n".to_string(),
            ("acme.toml:1:", "missing field"),
        ),
        ("[[rule]\n".to_string(), ("acme.toml:1:", "")),
    ] {
        fs::write(fleet.path("acme.toml"), &text).unwrap();
        let out = fleet.run_args(&["--rules", fleet.path("acme.toml").to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(want.0) && err.contains(want.1),
            "want {want:?} in {err}"
        );
        assert!(!fleet.path("out").exists());
    }
}
