//! `blockscope classify`: what the nightly run makes of one bounce, for a support ticket.
//!
//! Each input line is a whole MTA log line (Postfix, Exim, OpenSMTPD or Sendmail, via syslog, or
//! Exim's mainlog) or a bare receiver reply (`550 5.7.1 ...`, as pasted from a bounce). It goes
//! through the same parser, sending-IP provenance, rule table and platform map as `run`.

use crate::attribute::inventory::Inventory;
use crate::classify::{permanence_of, RuleSet};
use crate::error::{Error, Result};
use crate::ingest::line::{Delivery, Event, Outcome};
use crate::ingest::{self, Format};
use regex::Regex;
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::sync::LazyLock;

/// What to classify and how.
pub struct ClassifyInput<'a> {
    /// Texts given on the command line; stdin is read (one item a line) when empty.
    pub texts: &'a [String],
    /// The receiving MX a bare reply came from (decides its platform).
    pub mx: Option<&'a str>,
}

const HEADER: [&str; 14] = [
    "input",
    "kind",
    "outcome",
    "class",
    "rule_id",
    "permanence",
    "platform",
    "receiver",
    "sending_ip",
    "ip_source",
    "receiver_rule_id",
    "code",
    "delist_route",
    "reply",
];

pub fn run(input: &ClassifyInput, rules: &RuleSet, w: &mut dyn Write) -> Result<()> {
    let out_err = |source| Error::Output {
        path: "stdout".into(),
        source,
    };
    let mut out = crate::report::csv_writer(w);
    let io = crate::report::csv_io;
    out.write_record(HEADER).map_err(io).map_err(out_err)?;
    let inventory = Inventory::default();
    let mut item = |n: usize, text: &str| -> std::io::Result<()> {
        let row = describe(text, input.mx, &inventory, rules);
        out.write_record(std::iter::once(n.to_string()).chain(row))
            .map_err(io)
    };
    if input.texts.is_empty() {
        let stdin = std::io::stdin();
        for (i, line) in stdin.lock().lines().enumerate() {
            let line = line.map_err(|e| Error::Config(format!("cannot read stdin: {e}")))?;
            item(i + 1, line.trim_end_matches('\r')).map_err(out_err)?;
        }
    } else {
        for (i, text) in input.texts.iter().enumerate() {
            item(i + 1, text).map_err(out_err)?;
        }
    }
    out.flush().map_err(out_err)
}

/// One item's row (without its number).
fn describe(text: &str, mx: Option<&str>, inv: &Inventory, rules: &RuleSet) -> Vec<String> {
    let parsed = [Format::Syslog, Format::EximMainlog]
        .into_iter()
        .map(|format| ingest::parse_line(format, text))
        .find(|(time, event)| time.is_some() && !matches!(event, Event::Skipped(_)));
    match parsed {
        Some((_, Event::Delivery(d))) => row("log line", &d, None, inv, rules),
        Some((_, other)) => not_a_delivery(text, other, mx, inv, rules),
        None => {
            let unwrapped = unwrap_bounce(text);
            if let Some((client, reply)) = smtpd_reject(&unwrapped) {
                return row(
                    "receiver's log line",
                    &bare_reply(reply, mx),
                    Some(client),
                    inv,
                    rules,
                );
            }
            row("reply", &bare_reply(&unwrapped, mx), None, inv, rules)
        }
    }
}

/// The row for a delivery; `client` is the sending IP a receiver's own log names.
fn row(
    kind: &str,
    d: &Delivery,
    client: Option<std::net::IpAddr>,
    inv: &Inventory,
    rules: &RuleSet,
) -> Vec<String> {
    let mut facts = ingest::delivery_facts(d, None, inv, rules);
    if let Some(ip) = client {
        facts.ip = Some(ip);
        facts.ip_source = crate::attribute::sending_ip::IpSource::Reply;
    }
    let rule = rules.rule(facts.rule);
    let outcome = match d.outcome {
        Outcome::Sent => "sent",
        Outcome::Deferred => "deferred",
        Outcome::Bounced => "bounced",
    };
    vec![
        kind.into(),
        outcome.into(),
        rule.class.as_str().into(),
        rule.id.clone(),
        permanence_of(rule, &facts.code).into(),
        facts.platform.into(),
        d.receiver_host.unwrap_or("").into(),
        facts.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        facts.ip_source.as_str().into(),
        facts.receiver_rule_id.as_deref().unwrap_or("").into(),
        facts.code,
        rule.delist_route.clone(),
        d.reply.to_string(),
    ]
}

/// A log line `run` does not count as an outbound delivery. Its reply is still classified, so
/// support can read a receiver's own log (Postfix `smtpd` rejects) or a suspended delivery.
fn not_a_delivery(
    text: &str,
    event: Event,
    mx: Option<&str>,
    inv: &Inventory,
    rules: &RuleSet,
) -> Vec<String> {
    let kind = match event {
        Event::Expired => "log line: expired (run counts it, does not classify it)",
        Event::Suspended => "log line: suspended (run counts it, does not classify it)",
        Event::Local => "log line: local hand-off (not outbound)",
        _ => "log line: not an outbound delivery (run ignores it)",
    };
    let message = crate::ingest::syslog::parse(text).map_or(text, |e| e.message);
    // `NOQUEUE: reject: RCPT from host[ip]: 554 ...; from=<...> to=<...>`: the receiver's log.
    if let Some((client, reply)) = smtpd_reject(message) {
        let mut d = bare_reply(reply, mx);
        d.receiver_host = mx;
        return row(kind, &d, Some(client), inv, rules);
    }
    let reason = message
        .split_once("status=")
        .map_or(message, |(_, r)| r.split_once('(').map_or(r, |(_, r)| r))
        .trim_end_matches(')');
    let reason = reason
        .strip_prefix("delivery temporarily suspended: ")
        .unwrap_or(reason);
    let unwrapped = unwrap_bounce(reason);
    row(kind, &bare_reply(&unwrapped, mx), None, inv, rules)
}

/// Postfix smtpd's `reject: RCPT from name[ip]: REPLY; from=<..>`: the client and the reply.
fn smtpd_reject(message: &str) -> Option<(std::net::IpAddr, &str)> {
    let (_, rest) = message.split_once("reject: ")?;
    let (_, rest) = rest.split_once(" from ")?;
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    let client = rest[open + 1..close].parse().ok()?;
    let reply = rest[close + 1..].trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
    let reply = reply.trim_start_matches(": ").trim_start();
    let reply = reply.rsplit_once("; from=<").map_or(reply, |(r, _)| r);
    Some((client, reply))
}

/// A reply as pasted from a bounce message: its lines joined, `Diagnostic-Code: smtp;` dropped.
fn unwrap_bounce(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = joined.as_str();
    for prefix in ["Diagnostic-Code:", "X-Postfix;", "smtp;"] {
        if rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix) {
            rest = rest[prefix.len()..].trim_start();
        }
    }
    rest.to_string()
}

/// A reply pasted on its own: the receiver said it, so it is classified like one in a log.
/// A bounce's wrapping names the MX and its address: Postfix's `<rcpt>: host mx[ip] said: ...`,
/// Exim's `host mx [ip]: SMTP error ...`; any text before the reply code is dropped.
fn bare_reply<'a>(text: &'a str, mx: Option<&'a str>) -> Delivery<'a> {
    let said = text
        .find("host ")
        .and_then(|at| crate::ingest::postfix::split_host_reply(&text[at..]));
    let (host, ip, reply) = match said {
        Some((host, ip, reply)) => (Some(host), ip, reply),
        None => match EXIM_HOST.captures(text) {
            Some(c) => {
                let end = c.get(0).map_or(0, |m| m.end());
                let (host, ip) = (c.get(1).map(|m| m.as_str()), c.get(2));
                (host, ip.and_then(|m| m.as_str().parse().ok()), &text[end..])
            }
            None => (None, None, text),
        },
    };
    // A code with an enhanced code (`550-5.7.1`) marks the reply better than a bare one
    // (`code:550 msg:550-5.7.1 ...`).
    let starts: Vec<regex::Captures> = REPLY_START.captures_iter(reply).collect();
    let start = starts
        .iter()
        .find(|c| c.get(2).is_some())
        .or(starts.first())
        .and_then(|c| c.get(1));
    let reply = start.map_or(reply, |m| &reply[m.start()..]).trim();
    let outcome = if reply.starts_with('4') {
        Outcome::Deferred
    } else {
        Outcome::Bounced
    };
    let mut d = Delivery::new(outcome);
    d.receiver_host = mx.or(host);
    d.receiver_ip = ip;
    d.reply = Cow::Borrowed(reply);
    d.has_receiver_reply = true;
    d
}

/// Exim's bounce wording: `host mx.example.net [192.0.2.1]`.
static EXIM_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bhost ([A-Za-z0-9.-]+) \[([0-9A-Fa-f:.]+)\]:?").expect("valid regex")
});

/// Where the SMTP reply starts inside a wrapped bounce (`smtp;550 5.7.1 ...`, `said: 421-4.7.0`):
/// a reply code after a separator, followed by an enhanced code or words (not `#550`, `.223`).
static REPLY_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r##"(?:^|[\s;:("'=])([245][0-9]{2})(?:[ -]([245]\.[0-9]{1,3}\.[0-9]{1,3})\b|[ -]+[A-Za-z\["<]|-)"##,
    )
    .expect("valid regex")
});
