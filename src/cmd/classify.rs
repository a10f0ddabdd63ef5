//! `blockscope classify`: what the nightly run makes of one bounce, for a support ticket.
//!
//! Each input line is a whole MTA log line (Postfix, Exim, OpenSMTPD or Sendmail, via syslog, or
//! Exim's mainlog) or a bare receiver reply (`550 5.7.1 ...`, as pasted from a bounce). It goes
//! through the same parser, sending-IP provenance, rule table and platform map as `run`.

use crate::attribute::inventory::Inventory;
use crate::classify::{permanence_of, RuleSet};
use crate::error::{Error, Result};
use crate::ingest::bounce::{bare_reply, smtpd_reject, unwrap_bounce};
use crate::ingest::line::{Delivery, Event, Outcome};
use crate::ingest::{self, Format};
use std::io::{BufRead, Write};

/// What to classify and how.
pub(crate) struct ClassifyInput<'a> {
    /// Texts given on the command line; stdin is read (one item a line) when empty.
    pub(crate) texts: &'a [String],
    /// The receiving MX a bare reply came from (decides its platform).
    pub(crate) mx: Option<&'a str>,
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

pub(crate) fn run(input: &ClassifyInput, rules: &RuleSet, w: &mut dyn Write) -> Result<()> {
    let out_err = super::stdout_error;
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
        facts.ip_source = crate::model::IpSource::Reply;
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
