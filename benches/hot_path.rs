//! Micro-benchmarks of the per-line hot path: `cargo bench --bench hot_path`.
//! The whole-run benchmark against pflogsumm, rg and zcat is `scripts/bench.sh`.

use blockscope::attribute::sending_ip::quoted_candidates;
use blockscope::classify::RuleSet;
use blockscope::ingest::{parse_line, Format};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const NOISE: &str =
    "Nov 20 09:12:44 web7 postfix/smtpd[18211]: connect from unknown[203.0.113.250]";
const SENT: &str = "Nov 20 09:12:45 web7 postfix/smtp[18215]: 4F1C2A0B3D: to=<a@example.net>, relay=mx.example.net[192.0.2.25]:25, delay=0.5, delays=0.01/0/0.3/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A8B7C)";
const BOUNCE: &str = "Nov 20 09:12:46 web7 postfix/smtp[18216]: 6BAB0300C9CD: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [MW2NAM12FT005.eop-nam12.prod.protection.outlook.com] (in reply to MAIL FROM command))";
/// BOUNCE to a stranger's quoted recipient (the slow path of `ingest::recipient`, issue 16).
const BOUNCE_QUOTED_RECIPIENT: &str = "Nov 20 09:12:46 web7 postfix/smtp[18216]: 6BAB0300C9CD: to=<\"x>, status=sent, relay=127.0.0.1[127.0.0.1]:10024 \\\"y\\\"\"@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [MW2NAM12FT005.eop-nam12.prod.protection.outlook.com] (in reply to MAIL FROM command))";
const RFC3339_NOISE: &str = "2026-11-20T09:12:44.185246+01:00 web7 postfix/smtpd[18211]: disconnect from unknown[203.0.113.250] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5";
const EXIM: &str = "2026-11-20 09:12:47 1vAbCd-000123-4E ** someone@outlook.com R=dnslookup T=remote_smtp H=outlook-com.olc.protection.outlook.com [52.101.68.17] I=[198.51.100.9]:40122 X=TLS1.3:ECDHE_X25519__RSA_PSS_RSAE_SHA256__AES_256_GCM:256 CV=yes: SMTP error from remote mail server after MAIL FROM:<shop@example.org> SIZE=1873: 550 5.7.1 Unfortunately, messages from [198.51.100.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140).";

fn parsing(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse_line");
    for (name, format, line) in [
        ("postfix_noise", Format::Syslog, NOISE),
        ("postfix_sent", Format::Syslog, SENT),
        ("postfix_bounce", Format::Syslog, BOUNCE),
        (
            "postfix_bounce_quoted_recipient",
            Format::Syslog,
            BOUNCE_QUOTED_RECIPIENT,
        ),
        ("rfc3339_noise", Format::Syslog, RFC3339_NOISE),
        ("exim_mainlog_bounce", Format::EximMainlog, EXIM),
    ] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(parse_line(format, black_box(line))))
        });
    }
    g.finish();
}

fn classifying(c: &mut Criterion) {
    let rules = RuleSet::builtin();
    let mut g = c.benchmark_group("classify");
    for (name, reply, code) in [
        ("outlook_s3140", &BOUNCE[BOUNCE.find("550 5.7.1").unwrap()..], "5.7.1"),
        ("gmail_rate_limit", "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.", "4.7.28"),
        ("outlook_trailer", OUTLOOK_TRAILER, "5.7.1"),
        ("unclassified", "550 5.0.0 Something no rule knows about happened here", "5.0.0"),
    ] {
        g.bench_function(name, |b| b.iter(|| black_box(rules.classify(black_box(reply), code))));
    }
    g.finish();
}

/// Microsoft's S3140 with the per-message trailer real replies carry (every one distinct).
const OUTLOOK_TRAILER: &str = "550 5.7.1 Unfortunately, messages from [44.0.1.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [Name=Protocol Filter Agent][AGT=PFA][MxId=11BE54628F646C07] [DS3PEPF00032191.namprd11.prod.outlook.com 2026-11-21T14:50:24.321Z 08DF2801A7E01B67]";

/// What a distinct reply costs beyond its rule: the addresses it quotes as the client.
fn quoting(c: &mut Criterion) {
    let mut g = c.benchmark_group("quoted_candidates");
    for (name, reply) in [
        ("outlook_trailer", OUTLOOK_TRAILER),
        ("gmail_no_address", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d9443c01a7336-248a24847a3si27650167c9f.13 - gsmtp"),
    ] {
        g.bench_function(name, |b| b.iter(|| black_box(quoted_candidates(black_box(reply)))));
    }
    g.finish();
}

criterion_group!(benches, parsing, classifying, quoting);
criterion_main!(benches);
