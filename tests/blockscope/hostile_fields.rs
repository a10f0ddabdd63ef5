//! Recipient addresses are typed by strangers: text inside a quoted local part is never a field.
//!
//! Every hostile line below is a real line (the constants in `main.rs`, or a line of
//! `tests/fixtures/<mta>/`, all real MTA output) with only its recipient replaced by an address
//! RFC 5321 allows: a quoted local part may hold `>`, `,`, spaces, `status=`, `relay=`, `I=[`.
//! Postfix, Exim, Sendmail and OpenSMTPD log such an address as they sent it.

use super::*;
use blockscope::ingest::recipient::quote_local;

/// c1 (vps-a) sends; c2 owns 198.51.100.8, which the strangers' recipients name.
fn two_customers() -> Fleet {
    Fleet::new(&format!(
        "{INVENTORY_HEADER}c1,Alpha Shop,vps-a,198.51.100.7\nc1,Alpha Shop,vps-a,203.0.113.25\nc2,Beta Blog,vps-b,198.51.100.8\n"
    ))
}

const OTHER_CUSTOMERS_IP: &str = "198.51.100.8";

/// `line` with its first `plain` recipient replaced by `hostile` (an address quoted as RFC 5321
/// requires; `"` and `\` escaped).
fn with_recipient(line: &str, plain: &str, hostile: &str) -> String {
    assert!(line.contains(plain), "{plain} not in {line}");
    line.replacen(plain, hostile, 1)
}

fn quoted(local: &str, domain: &str) -> String {
    format!("{}@{domain}", quote_local(local))
}

/// The fixture line of `file` that contains `needle` (real MTA output).
fn fixture_line(file: &'static str, needle: &str) -> &'static str {
    file.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no fixture line with {needle}"))
}

const EXIM_SELECTORS: &str = include_str!("../fixtures/exim/mainlog-selectors.log");
const SENDMAIL: &str = include_str!("../fixtures/sendmail/maillog.log");
const OPENSMTPD: &str = include_str!("../fixtures/opensmtpd/maillog.log");

/// Nothing about `ip` in the reports a customer or a delisting portal sees: no `ips.csv` row, and
/// not a mention in its owner's CSV and notice or in the delisting pack.
fn never_reported(fleet: &Fleet, ip: &str, owner: &str) {
    let ips = fleet.csv("summary/ips.csv");
    assert!(ips.iter().all(|r| r["ip"] != ip), "{ip} reported: {ips:#?}");
    for (name, bytes) in tree_contents(&fleet.path("out")) {
        let private =
            name.starts_with(&format!("customers/{owner}.")) || name.starts_with("delist/");
        if private {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(ip), "{name} mentions {ip}:\n{text}");
        }
    }
}

#[test]
fn a_sent_line_whose_recipient_quotes_an_s3140_bounce_is_only_sent() {
    // SENT_GMAIL (real Postfix) to a recipient whose local part is a whole S3140 bounce naming
    // another customer's address.
    let local = format!(
        "x>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [{OTHER_CUSTOMERS_IP}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). (in reply to MAIL FROM command)) <y"
    );
    let line = with_recipient(SENT_GMAIL, "f@gmail.com", &quoted(&local, "gmail.com"));
    let fleet = two_customers();
    fleet.log("vps-a/mail.log", &[&line], NOV_23_2026);
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 sent, 0 deferred, 0 bounced"), "{stderr}");
    assert!(fleet.csv("summary/ips.csv").is_empty());
    never_reported(&fleet, OTHER_CUSTOMERS_IP, "c2");
}

#[test]
fn an_echoed_recipient_naming_spamhaus_stays_recipient_unknown() {
    // USER_UNKNOWN (real Postfix); the receiver echoes the recipient in its 5.1.1 reply.
    let hostile = quoted(
        &format!("client host [{OTHER_CUSTOMERS_IP}] blocked using zen.spamhaus.org"),
        "example.net",
    );
    let line = USER_UNKNOWN.replace("nobody@example.net", &hostile);
    let fleet = two_customers();
    fleet.log("vps-a/mail.log", &[&line], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(ips.len(), 1, "{ips:#?}");
    assert_eq!(ips[0]["rule_id"], "recipient-unknown");
    assert_eq!(ips[0]["class"], "not_ip");
    assert!(!ips[0]["sample_reply"].contains("spamhaus"), "{ips:#?}");
    assert!(ips.iter().all(|r| !r["rule_id"].contains("spamhaus")));
    never_reported(&fleet, OTHER_CUSTOMERS_IP, "c2");
}

#[test]
fn a_recipient_naming_a_content_filter_relay_keeps_a_real_bounce_remote() {
    // S3140_RFC3164 (real Postfix), recipient holding the relay= of an amavis hand-off.
    let hostile = quoted(
        "x, relay=127.0.0.1[127.0.0.1]:10024, delay=0.1, y",
        "hotmail.com",
    );
    let line = with_recipient(S3140_RFC3164, "someone@hotmail.com", &hostile);
    let fleet = two_customers();
    fleet.log("vps-a/mail.log", &[&line], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let r = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(r["platform"], "outlook.com");
    assert_eq!(r["ip_source"], "reply");
}

#[test]
fn exim_interface_and_host_never_come_from_the_recipient() {
    // The real Exim line (log_selector +outgoing_interface) of tests/fixtures/exim; its recipient
    // names another customer's interface and a made-up MX before Exim's own I=[127.0.0.1] and H=.
    let real = fixture_line(EXIM_SELECTORS, "** user1@hotmail.com");
    let hostile = quoted(
        &format!("x I=[{OTHER_CUSTOMERS_IP}] H=evil.example [192.0.2.66] y"),
        "hotmail.com",
    );
    let line = with_recipient(real, "user1@hotmail.com", &hostile);
    // The 5.7.606 bounce, whose echoed RCPT TO:<…> holds a whole S3140 reply before the real one.
    let real_606 = fixture_line(EXIM_SELECTORS, "** banned@contoso.com");
    let echo = quoted(
        &format!("x>: 550 5.7.1 Unfortunately, messages from [{OTHER_CUSTOMERS_IP}] weren't sent (S3140). <y"),
        "contoso.com",
    );
    let line_606 = real_606.replace("banned@contoso.com", &echo);
    let fleet = two_customers();
    fleet.log("vps-a/exim4/mainlog", &[&line, &line_606], NOV_23_2026);
    ok(&fleet.run(1));
    let ips = fleet.csv("summary/ips.csv");
    let s3140 = row(&ips, "198.51.100.7", "ms-outlook-network-blocklist");
    assert_eq!(
        (s3140["ip_source"].as_str(), s3140["platform"].as_str()),
        ("reply", "outlook.com")
    );
    let banned = row(&ips, "203.0.113.25", "ms-o365-banned-ip");
    assert_eq!(banned["platform"], "office365");
    assert_eq!(ips.len(), 2, "{ips:#?}");
    never_reported(&fleet, OTHER_CUSTOMERS_IP, "c2");
}

#[test]
fn sendmail_fields_never_come_from_the_recipient() {
    // Real Sendmail 8.18 lines: a sent one whose recipient holds dsn=, reply= and stat= of an
    // S3140 bounce, and an S3140 bounce whose recipient says mailer=local.
    let sent = fixture_line(SENDMAIL, "to=<ok@contoso.com>");
    let fake_bounce = quoted(
        &format!("x>, dsn=5.7.1, reply=550 5.7.1 Unfortunately, messages from [{OTHER_CUSTOMERS_IP}] weren't sent (S3140), stat=Service unavailable, y"),
        "contoso.com",
    );
    let sent = with_recipient(sent, "ok@contoso.com", &fake_bounce);
    let bounce = fixture_line(SENDMAIL, "to=<user1@hotmail.com>");
    let local = quoted(
        "x, mailer=local, relay=[127.0.0.1] [127.0.0.1], y",
        "hotmail.com",
    );
    let bounce = with_recipient(bounce, "user1@hotmail.com", &local);
    let fleet = two_customers();
    fleet.log("vps-a/maillog", &[&sent, &bounce], NOV_23_2026);
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 sent, 0 deferred, 1 bounced"), "{stderr}");
    let ips = fleet.csv("summary/ips.csv");
    assert_eq!(
        row(&ips, "198.51.100.7", "ms-outlook-network-blocklist")["platform"],
        "outlook.com"
    );
    never_reported(&fleet, OTHER_CUSTOMERS_IP, "c2");
}

#[test]
fn opensmtpd_fields_never_come_from_the_recipient() {
    // Real OpenSMTPD 6.8 lines: a sent one whose recipient holds source=, result= and stat=, and
    // an `smtp envelope` line (not a delivery) whose recipient holds a whole mta delivery.
    let sent = fixture_line(OPENSMTPD, "to=<ok@contoso.com> rcpt=<->");
    let fake = quoted(
        &format!("x> source={OTHER_CUSTOMERS_IP} result=PermFail stat=550 y"),
        "contoso.com",
    );
    let sent = with_recipient(sent, "ok@contoso.com", &fake);
    let envelope = fixture_line(OPENSMTPD, "smtp envelope evpid=06747101faead01f");
    let fake_delivery = quoted(
        &format!(" mta delivery to=<a@b> source={OTHER_CUSTOMERS_IP} result=PermFail stat=550 x"),
        "contoso.com",
    );
    let envelope = with_recipient(envelope, "banned@contoso.com", &fake_delivery);
    let fleet = two_customers();
    fleet.log("vps-a/mail.log", &[&sent, &envelope], NOV_23_2026);
    let out = fleet.run(1);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 sent, 0 deferred, 0 bounced"), "{stderr}");
    assert!(fleet.csv("summary/ips.csv").is_empty());
    never_reported(&fleet, OTHER_CUSTOMERS_IP, "c2");
}

#[test]
fn an_unterminated_quoted_recipient_is_skipped_and_counted() {
    // S3140_RFC3164 (real Postfix) cut inside a quoted recipient: no field can be trusted.
    let line = with_recipient(
        S3140_RFC3164,
        "someone@hotmail.com>",
        "\"x>, status=sent (250 ok)",
    );
    let fleet = two_customers();
    fleet.log("vps-a/mail.log", &[&line, S3140_RFC3164], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(out.status.code(), Some(3), "completed with input problems");
    let summary = fleet.text("summary/summary.md");
    assert!(
        summary.contains(
            "delivery line with a malformed recipient address (unterminated quote or bracket): 1"
        ),
        "{summary}"
    );
    let problems = fleet.csv("summary/input-problems.csv");
    assert!(
        problems.iter().any(|p| p["line"] == "1"
            && p["reason"].starts_with("delivery line with a malformed recipient")),
        "{problems:#?}"
    );
    assert_eq!(
        row(
            &fleet.csv("summary/ips.csv"),
            "198.51.100.7",
            "ms-outlook-network-blocklist"
        )["events"],
        "1",
        "the good line still counts"
    );
}

/// Property: whatever a stranger puts in a quoted local part, a real line parses to the same
/// outcome, MX, interface, dsn and reply as with a plain recipient.
mod property {
    use blockscope::ingest::line::Event;
    use blockscope::ingest::recipient::quote_local;
    use blockscope::ingest::{parse_line, Format};
    use proptest::prelude::*;

    /// Real lines of every MTA (tests/fixtures), with the recipient each names.
    fn seeds() -> Vec<(Format, &'static str, &'static str)> {
        let files: [(Format, &'static str); 8] = [
            (
                Format::Syslog,
                include_str!("../fixtures/postfix/rsyslog-traditional.log"),
            ),
            (
                Format::Syslog,
                include_str!("../fixtures/postfix/multi-instance.log"),
            ),
            (
                Format::Syslog,
                include_str!("../fixtures/postfix/maillog-file.log"),
            ),
            (
                Format::EximMainlog,
                include_str!("../fixtures/exim/mainlog-default.log"),
            ),
            (
                Format::EximMainlog,
                include_str!("../fixtures/exim/mainlog-selectors.log"),
            ),
            (Format::Syslog, include_str!("../fixtures/exim/syslog.log")),
            (
                Format::Syslog,
                include_str!("../fixtures/sendmail/maillog.log"),
            ),
            (
                Format::Syslog,
                include_str!("../fixtures/opensmtpd/maillog.log"),
            ),
        ];
        files
            .into_iter()
            .flat_map(|(format, text)| text.lines().map(move |l| (format, l)))
            .filter_map(|(format, line)| Some((format, line, recipient_of(line)?)))
            .collect()
    }

    /// The logged recipient of a delivery line (`to=<r>`, `to=r,`, Exim's `** r `), if any.
    fn recipient_of(line: &str) -> Option<&str> {
        if let Some((_, after)) = line.split_once(" to=<") {
            return after.split_once('>').map(|(r, _)| r);
        }
        if let Some((_, after)) = line.split_once(": to=") {
            return after.split_once(',').map(|(r, _)| r);
        }
        ["** ", "=> ", "-> ", "== "].iter().find_map(|flag| {
            let (_, after) = line.split_once(flag)?;
            let r = after.split([' ', ':']).next()?;
            Some(r)
        })
    }

    /// What a parse yields, without the recipient itself.
    fn parsed(format: Format, line: &str) -> String {
        let (time, mut event) = parse_line(format, line);
        if let Event::Delivery(d) = &mut event {
            d.recipient = None;
        }
        format!("{time:?} {event:?}")
    }

    /// Printable text, and the words the parsers look for.
    fn local_part() -> impl Strategy<Value = String> {
        const FIELDS: &[&str] = &[
            ">", ", ", "\"", "\\", "@", " ", ": ", "<", "[", "]", "(", ")",
            ", status=bounced (host mx.example[192.0.2.1] said: 550 5.7.1 blocked (S3140) (in reply to MAIL FROM command))",
            ", status=sent", ", relay=127.0.0.1[127.0.0.1]:10024", ", orig_to=<", ", dsn=5.7.1",
            " I=[198.51.100.8]", " H=evil.example [192.0.2.66]", " T=remote_smtp", " R=x",
            "SMTP error from remote mail server after RCPT TO:<x>: 550 5.7.1 blocked",
            "retry timeout exceeded", "retry time not reached", "defer (-1): x",
            ", mailer=local", ", reply=550 5.7.1 messages from [198.51.100.8] (S3140)", ", stat=Sent",
            " source=\"198.51.100.8\"", " result=\"PermFail\"", " stat=\"550 x\"", " mta delivery ",
            " C=\"250 ok\"", "client host [198.51.100.8] blocked using zen.spamhaus.org",
        ];
        prop_oneof![
            "[ -~]{0,120}",
            "\\PC{0,60}",
            prop::collection::vec(
                prop_oneof![
                    prop::sample::select(FIELDS).prop_map(str::to_string),
                    "[ -~]{0,8}"
                ],
                0..8
            )
            .prop_map(|parts| parts.concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4_096, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn a_quoted_recipient_never_changes_what_a_real_line_says(
            which in any::<prop::sample::Index>(),
            local in local_part(),
        ) {
            let seeds = seeds();
            let (format, line, plain) = seeds[which.index(seeds.len())];
            let domain = plain.rsplit_once('@').map_or("example.com", |(_, d)| d);
            let hostile = format!("{}@{domain}", quote_local(&local));
            let mut hostile_line = line.replacen(plain, &hostile, 1);
            // Exim echoes the recipient in the command before the reply: replace it there too.
            let echo = format!("TO:<{plain}>");
            if format == Format::EximMainlog || line.contains(" exim") {
                hostile_line = hostile_line.replacen(&echo, &format!("TO:<{hostile}>"), 1);
            }
            prop_assert_eq!(parsed(format, &hostile_line), parsed(format, line), "{}", hostile_line);
        }
    }
}
