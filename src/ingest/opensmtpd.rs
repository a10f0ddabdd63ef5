//! OpenSMTPD `mta delivery` lines (program `smtpd`). `source` is the local sending address.
//!
//! `4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<a@b> to=<c@d> rcpt=<-> source="45.76.46.201" relay="62.211.72.32 (smtp.tin.it)" delay=0s result="TempFail" stat="421 ... too busy"`

use super::line::{Delivery, Event, Outcome, SkipReason};
use memchr::memmem;
use std::borrow::Cow;
use std::net::IpAddr;

/// `key="value"` (quoted) or `key=<value>` / `key=value`.
fn value<'a>(message: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!(" {key}=");
    let start = memmem::find(message.as_bytes(), needle.as_bytes())? + needle.len();
    let rest = &message[start..];
    if let Some(q) = rest.strip_prefix('"') {
        // `stat` is last and may itself contain quotes: take up to the final quote.
        return Some(if key == "stat" {
            q.rfind('"').map_or(q, |e| &q[..e])
        } else {
            q.split('"').next().unwrap_or(q)
        });
    }
    if let Some(a) = rest.strip_prefix('<') {
        return a.split('>').next();
    }
    rest.split(' ').next()
}

pub fn parse(message: &str) -> Event<'_> {
    // `relay: Expire for 0164457cfa7d80da: ... stat=Envelope expired`
    if message.starts_with("relay: Expire for ") {
        return Event::Expired;
    }
    let Some(pos) = find!(message.as_bytes(), b" mta delivery ") else {
        return if find!(message.as_bytes(), b" delivery evpid=").is_some() {
            Event::Local
        } else {
            Event::Noise
        };
    };
    let fields = &message[pos..];
    let outcome = match value(fields, "result") {
        Some("Ok") => Outcome::Sent,
        Some("TempFail") => Outcome::Deferred,
        Some("PermFail") | Some("Loop") => Outcome::Bounced,
        Some(_) => return Event::Skipped(SkipReason::UnknownStatus),
        None => return Event::Skipped(SkipReason::DeliveryWithoutStatus),
    };
    let mut d = Delivery::new(outcome);
    d.recipient = value(fields, "to");
    d.sending_ip = value(fields, "source").and_then(|s| s.parse().ok());
    if let Some(relay) = value(fields, "relay") {
        let (host, ip) = split_relay(relay);
        d.receiver_host = host;
        d.receiver_ip = ip;
    }
    let stat = value(fields, "stat").unwrap_or("");
    let b = stat.as_bytes();
    d.has_receiver_reply = b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit);
    d.reply = Cow::Borrowed(stat);
    Event::Delivery(d)
}

/// `62.211.72.32 (smtp.tin.it)` or `mx.example.org [203.0.113.5]`.
fn split_relay(relay: &str) -> (Option<&str>, Option<IpAddr>) {
    if let Some((ip, host)) = relay.split_once(" (") {
        return (Some(host.trim_end_matches(')')), ip.parse().ok());
    }
    if let Some((host, ip)) = relay.split_once(" [") {
        return (Some(host), ip.trim_end_matches(']').parse().ok());
    }
    match relay.parse::<IpAddr>() {
        Ok(ip) => (None, Some(ip)),
        Err(_) => (Some(relay), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mta_delivery() {
        let Event::Delivery(d) = parse(
            r#"4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<misc@opensmtpd.org> to=<x@tin.it> rcpt=<-> source="45.76.46.201" relay="62.211.72.32 (smtp.tin.it)" delay=0s result="TempFail" stat="421 <x@tin.it> Service not available - too busy""#,
        ) else {
            panic!()
        };
        assert_eq!(d.outcome, Outcome::Deferred);
        assert_eq!(d.sending_ip, Some("45.76.46.201".parse().unwrap()));
        assert_eq!(d.receiver_host, Some("smtp.tin.it"));
        assert_eq!(d.receiver_ip, Some("62.211.72.32".parse().unwrap()));
        assert_eq!(d.reply, "421 <x@tin.it> Service not available - too busy");
        assert!(d.has_receiver_reply);
        assert_eq!(
            parse("smtp-in: New session 08d856b172f69c5c from host ix.example.com [local]"),
            Event::Noise
        );
    }
}
