//! Issue 18, customer notices: one wording per situation, true for the customer who reads it;
//! the wording is a template (built in, or the provider's own under `--templates`).

use super::*;

/// A real postgrey greylisting deferral (sample-data), re-addressed to vps-a's day.
const GREYLISTED: &str = "Nov  2 11:23:00 web1 postfix/smtp[345381]: D2F4E9958E: to=<david@redkite-cycles.example>, relay=mail.redkite-cycles.example[91.198.135.156]:25, delay=0.68, delays=0.02/0.03/0.45/0.16, dsn=4.2.0, status=deferred (host mail.redkite-cycles.example[91.198.135.156] said: 450 4.2.0 <david@redkite-cycles.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/redkite-cycles.example.html (in reply to RCPT TO command))";

fn notice(fleet: &Fleet, customer: &str) -> String {
    fs::read_to_string(fleet.path(&format!("out/customers/{customer}.md"))).unwrap()
}

fn says(notice: &str, wanted: &[&str], never: &[&str]) {
    for w in wanted {
        assert!(notice.contains(w), "{w:?} missing:\n{notice}");
    }
    for n in never {
        assert!(!notice.contains(n), "{n:?} in:\n{notice}");
    }
}

/// Office 365 bans one customer's address: it is that address's block, lifted once its cause is
/// fixed — never a neighbourhood, never "another sender".
#[test]
fn an_own_ip_block_tells_the_customer_what_to_fix() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-e/mail.log", &[O365_5_7_606], NOV_23_2026);
    ok(&fleet.run(1));
    says(
        &notice(&fleet, "c5"),
        &[
            "Microsoft 365 (business mailboxes): mail from this address is refused, and the block is on this address itself, not on the whole range: 1 rejection(s)",
            "The block concerns your address alone. It is lifted once its cause is fixed",
            "What you can do: Please check your server for anything sending mail you did not intend",
        ],
        &["neighbourhood", "Nothing shows that your server caused it"],
    );
}

/// Outlook.com says "part of their network": the customer is told it is the range, that nothing
/// shows it caused it, what we do, and that nothing is needed from it.
#[test]
fn a_neighbourhood_block_by_the_receivers_words_is_not_the_customers_fault() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    says(
        &notice(&fleet, "c1"),
        &[
            "mail from this address is refused because the address range your server is in is blocked: 1 rejection(s)",
            "This is a block of the whole address range your server is in (a \"neighbourhood\" block)",
            "Nothing shows that your server caused it. We are asking the receiver to lift the block for the range",
            "What you can do: Nothing is needed from you for the range to be lifted.",
        ],
        &["The block concerns your address alone", "Please check your server"],
    );
}

/// The same IP-level rule on two customers' addresses is range evidence (the subnet's blocker
/// says so), so each customer reads the neighbourhood wording; on one customer it is its own.
#[test]
fn an_ip_level_rule_on_two_customers_is_told_as_a_neighbourhood_block() {
    let fleet = two_customers_banned_by_office365();
    ok(&fleet.run(1));
    for customer in ["c1", "c2"] {
        says(
            &notice(&fleet, customer),
            &[
                "the address range your server is in is blocked",
                "Nothing shows that your server caused it",
            ],
            &["The block concerns your address alone"],
        );
    }
}

/// A DNSBL listing names the list, links the lookup, and says who lifts it.
#[test]
fn a_dnsbl_listing_names_the_list_and_its_lookup() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[SPAMHAUS], NOV_23_2026);
    ok(&fleet.run(1));
    says(
        &notice(&fleet, "c1"),
        &[
            "This address is listed on Spamhaus, and mail servers that consult the list refuse mail from it.",
            "Look the listing up: https://check.spamhaus.org/results/?query=198.51.100.7",
            "The listing is about your address. The list's operator lifts it, not the receivers",
        ],
        &["neighbourhood", "with the receiver"],
    );
}

/// Throttling is slow mail, not a block: never "the cause of the block".
#[test]
fn throttling_is_told_as_slow_not_blocked() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet.log("vps-a/mail.log", &[THROTTLE_4_7_650], NOV_23_2026);
    ok(&fleet.run(1));
    says(
        &notice(&fleet, "c1"),
        &[
            "mail from this address is slowed down: 1 deferral(s)",
            "this is not a block",
            "What you can do: Mail gets through, but slowly.",
        ],
        &["is refused", "cause of the block", "could not be delivered"],
    );
}

/// Greylisted mail is retried and delivered: delayed, never "could not be delivered"; a 5.1.1
/// is a message that did fail, and neither is about the address.
#[test]
fn deferred_then_delivered_mail_is_delayed_not_undelivered() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let delivered = SENT_GMAIL.replace("10:11:00", "11:40:00");
    fleet.log(
        "vps-a/mail.log",
        &[GREYLISTED, &delivered, USER_UNKNOWN],
        NOV_23_2026,
    );
    ok(&fleet.run(1));
    let text = notice(&fleet, "c1");
    says(
        &text,
        &[
            "Not a block: 1 message(s) could not be delivered",
            "Delayed, not lost: 1 delivery attempt(s) met a temporary refusal",
            "We found no blocks or throttling of your servers' addresses in this period.",
        ],
        &["2 message(s) could not be delivered"],
    );
    // Greylisting alone: nothing "could not be delivered".
    fleet.log("vps-a/mail.log", &[GREYLISTED, &delivered], NOV_23_2026);
    ok(&fleet.run(1));
    says(
        &notice(&fleet, "c1"),
        &["Delayed, not lost"],
        &["could not be delivered"],
    );
}

/// With `--state`, each finding says whether it is new, how long it has gone on (since the first
/// day the state saw it), or when it was resolved.
#[test]
fn the_notice_says_new_ongoing_since_and_resolved_on() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    let state = fleet.path("state");
    let run = || fleet.run_args(&["--threads", "1", "--state", state.to_str().unwrap()]);
    let log = fleet.path("logs/vps-e/mail.log");
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let banned = |day: u32| {
        O365_5_7_606
            .replace("Nov  2 10:05:00", &format!("Nov {day:>2} 10:05:00"))
            .replace("1A2B3C4D5E", &format!("1A2B{day:02}"))
    };
    append(&log, &[banned(20)], NOV_23_2026 - 3 * 86_400);
    ok(&run());
    says(
        &notice(&fleet, "c5"),
        &["Status: new in this report."],
        &["ongoing"],
    );
    append(&log, &[banned(22)], NOV_23_2026 - 86_400);
    ok(&run());
    says(
        &notice(&fleet, "c5"),
        &["Status: ongoing for 3 day(s) (since 2026-11-20)."],
        &["new in this report"],
    );
    let sent = SENT_GMAIL
        .replace("Nov  2 10:11:00", "Nov 23 10:11:00")
        .replace("web1", "shop");
    append(&log, &[sent], NOV_23_2026);
    ok(&run());
    says(
        &notice(&fleet, "c5"),
        &["- Microsoft 365 (business mailboxes): resolved, mail from this address is no longer refused there (last refusal 2026-11-22T10:05:00Z; resolved on 2026-11-23)."],
        &["What you can do", "Status:"],
    );
}

/// Without `--state` nothing is claimed to be new or ongoing.
#[test]
fn without_state_the_notice_claims_no_history() {
    let fleet = Fleet::one_s3140();
    ok(&fleet.run(1));
    says(&notice(&fleet, "c1"), &[], &["Status:", "resolved"]);
}

/// `--templates DIR` replaces the built-in wording (here German); values stay escaped, so a
/// customer name cannot add Markdown; the other reports are unchanged.
#[test]
fn a_providers_template_replaces_the_wording_and_values_stay_escaped() {
    let inventory =
        neighbourhood_inventory().replace("Alpha Shop", "Alpha [Shop](http://evil.example)");
    let fleet = Fleet::new(&inventory);
    fleet.log("vps-a/mail.log", &[S3140_RFC3164], NOV_23_2026);
    ok(&fleet.run(1));
    let built_in = tree_contents(&fleet.path("out"));
    let dir = fleet.path("templates");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("notice.md"),
        "# Zustellbericht für {{ customer.name }}\n{% for a in addresses %}{% for f in a.findings %}\n- {{ a.ip }}: {% if f.situation == \"neighbourhood\" %}Sperre des ganzen Adressbereichs{% else %}{{ f.situation }}{% endif %} ({{ f.events }})\n{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    ok(&fleet.run_args(&["--threads", "1", "--templates", dir.to_str().unwrap()]));
    assert_eq!(
        notice(&fleet, "c1"),
        "# Zustellbericht für Alpha \\[Shop\\](http://evil.example)\n- 198.51.100.7: Sperre des ganzen Adressbereichs (1)\n"
    );
    let custom = tree_contents(&fleet.path("out"));
    for (path, bytes) in &built_in {
        if !path.ends_with(".md") || path.starts_with("summary/") {
            assert_eq!(custom.get(path), Some(bytes), "{path} changed");
        }
    }
}

/// A broken template, one naming an unknown variable, or a misspelt file name stops the run
/// before any work (exit 2), naming the file and line; check-config says the same.
#[test]
fn a_broken_or_misspelt_template_stops_the_run_naming_file_and_line() {
    let fleet = Fleet::one_s3140();
    let dir = fleet.path("templates");
    fs::create_dir_all(&dir).unwrap();
    let templates = dir.to_str().unwrap();
    for (file, text, expected) in [
        (
            "notice.md",
            "line one\n{% if customer %}\nno endif\n",
            "notice.md:",
        ),
        ("notice.md", "Hello\n{{ customer.nmae }}\n", "notice.md:2"),
        (
            "notices.md",
            "x",
            "notices.md: not a template blockscope renders",
        ),
    ] {
        for f in ["notice.md", "notices.md"] {
            let _ = fs::remove_file(dir.join(f));
        }
        fs::write(dir.join(file), text).unwrap();
        let out = fleet.run_args(&["--threads", "1", "--templates", templates]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{expected:?} not in {stderr}");
        assert!(!fleet.path("out").exists(), "nothing written");
        let check = fleet.check_config(&["--templates", templates]);
        assert_eq!(check.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&check.stderr).contains(expected));
    }
}
