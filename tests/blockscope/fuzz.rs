use blockscope::ingest::{detect_format, parse_line, Format};
use proptest::prelude::*;
use proptest::sample::Index;

fn seeds(texts: &[&'static str]) -> Vec<&'static str> {
    texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A real line (or file) with up to 8 random edits, or arbitrary text.
fn mutated(seeds: Vec<&'static str>) -> impl Strategy<Value = String> {
    let n = seeds.len();
    let edit = (any::<Index>(), 0u8..4, any::<char>());
    prop_oneof![
        1 => ".{0,300}",
        4 => (0..n, prop::collection::vec(edit, 0..8)).prop_map(move |(i, edits)| {
            let mut chars: Vec<char> = seeds[i].chars().collect();
            for (at, op, c) in edits {
                let len = chars.len();
                let i = if len == 0 { 0 } else { at.index(len) };
                match op {
                    0 => chars.insert(i, c),
                    1 if len > 0 => {
                        chars.remove(i);
                    }
                    2 if len > 0 => chars[i] = c,
                    _ => chars.truncate(i),
                }
            }
            chars.into_iter().collect()
        }),
    ]
}

fn lines_of(seeds: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop::collection::vec(mutated(seeds), 1..6).prop_map(|l| l.join("\n"))
}

const POSTFIX: &[&str] = &[
    include_str!("../fixtures/postfix/rsyslog-traditional.log"),
    include_str!("../fixtures/postfix/rsyslog-rfc3339.log"),
    include_str!("../fixtures/postfix/maillog-file.log"),
    include_str!("../fixtures/postfix/multi-instance.log"),
];
const JOURNALD: &str = "2026-11-02T10:00:01+0100 web1 postfix/smtp[1]: 6BAB0300C9CD: to=<a@b.example>, relay=mx.b.example[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=4.7.0, status=deferred (host mx.b.example[192.0.2.9] said: 421 4.7.0 [198.51.100.7] try later (in reply to MAIL FROM command))\n2026-11-02T10:00:01.123456+0100 web1 postfix/qmgr[2]: 6BAB0300C9CD: removed\n-- Boot 3f2a9b --\n<22>1 2026-11-02T10:00:01Z web1 postfix/smtp 19793 - - 6BAB0300C9CD: to=<a@b.example>, relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.9]:25: Connection refused)";
const SNDS: &str = "192.0.2.47,11/21/2026 9:00 AM,11/21/2026 5:00 PM,1931,1894,1908,YELLOW,< 0.1%,11/21/2026 9:00 AM,11/21/2026 10:00 AM,3,mail.example,,\nIP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End\n192.0.2.88,11/18/2026 6:00 AM,11/18/2026 9:00 PM,317,312,305,GREEN,< 0.1%,,,,,,\n198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\n192.0.2.40,192.0.2.47,No,\"Not blocked, \"\"ok\"\"\"";
const INVENTORY: &str = "customer_id,customer_name,vps_id,ip\nc1,Alpha Shop,vps-a,198.51.100.7\nc2,\"Beta, Ltd\",vps-b,2001:db8::/64\nc3,Gamma,vps-c,203.0.113.0/28\n";
const RULES: &str = "[[rule]]\nid = \"my-rule\"\nreceiver = \"example\"\nclass = \"ip_block\"\npermanence = \"permanent\"\npattern = '(?i)blocked by example'\ndelist_route = \"mail postmaster@example.net\"\nexample = \"550 5.7.1 blocked by example\"\n";

/// Mutating a seed that is already rejected only ever explores the error path: every seed
/// must be valid input, so the fuzzing starts inside the parser's accepting states.
#[test]
fn every_fuzz_seed_is_valid_input() {
    let rules = blockscope::classify::rules::parse_rules("rules.toml", RULES);
    assert_eq!(rules.expect("the rule-file seed parses").len(), 1);
    blockscope::config::check_config_text("blockscope.toml", CONFIG)
        .expect("the config seed is a valid config file");
    let inventory = blockscope::attribute::inventory::Inventory::from_reader(
        std::path::Path::new("inventory.csv"),
        INVENTORY.as_bytes(),
    );
    assert!(inventory.is_ok(), "the inventory seed loads");
    // The SNDS seed is a pool of lines of both exports: each loads on its own.
    for line in SNDS.lines() {
        let mut snds = blockscope::model::snds::Snds::default();
        let mut problems = Vec::new();
        blockscope::ingest::snds::load_file("snds.csv", line, &mut snds, &mut problems);
        assert!(problems.is_empty(), "{line}: {problems:?}");
    }
}
const CONFIG: &str = "logs = \"/srv/logs\"\ninventory = \"inv.csv\"\nout = \"out\"\nkeep = 7\ntz = \"Europe/Berlin\"\nthreads = 2\nipv4_prefix = 24\ndays = 3\nrecipient_detail = \"full\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn postfix_and_syslog_lines(line in mutated(seeds(POSTFIX))) {
        let _ = parse_line(Format::Syslog, &line);
        let _ = detect_format(std::iter::once(line.as_str()));
    }

    #[test]
    fn exim_mainlog_and_syslog_lines(line in mutated(seeds(&[
        include_str!("../fixtures/exim/mainlog-default.log"),
        include_str!("../fixtures/exim/mainlog-selectors.log"),
        include_str!("../fixtures/exim/syslog.log"),
    ]))) {
        let _ = parse_line(Format::EximMainlog, &line);
        let _ = parse_line(Format::Syslog, &line);
    }

    #[test]
    fn opensmtpd_lines(line in mutated(seeds(&[include_str!("../fixtures/opensmtpd/maillog.log")]))) {
        let _ = parse_line(Format::Syslog, &line);
    }

    #[test]
    fn sendmail_lines(line in mutated(seeds(&[include_str!("../fixtures/sendmail/maillog.log")]))) {
        let _ = parse_line(Format::Syslog, &line);
    }

    #[test]
    fn journald_and_rfc5424_lines(line in mutated(seeds(&[JOURNALD]))) {
        let _ = parse_line(Format::Syslog, &line);
    }

    #[test]
    fn snds_exports(text in lines_of(seeds(&[SNDS]))) {
        let mut snds = blockscope::model::snds::Snds::default();
        let mut problems = Vec::new();
        blockscope::ingest::snds::load_file("snds.csv", &text, &mut snds, &mut problems);
    }

    #[test]
    fn inventories(text in lines_of(seeds(&[INVENTORY]))) {
        let text = format!("customer_id,customer_name,vps_id,ip\n{text}");
        let _ = blockscope::attribute::inventory::Inventory::from_reader(
            std::path::Path::new("inventory.csv"),
            text.as_bytes(),
        );
    }

    #[test]
    fn rule_files(text in mutated(vec![RULES])) {
        let _ = blockscope::classify::rules::parse_rules("rules.toml", &text);
    }

    #[test]
    fn config_files(text in mutated(vec![CONFIG])) {
        let _ = blockscope::config::check_config_text("blockscope.toml", &text);
    }
}
