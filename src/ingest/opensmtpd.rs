//! OpenSMTPD `mta delivery` lines (program `smtpd`). `source` is the local sending address.
//!
//! `4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea from=<a@b> to=<c@d> rcpt=<-> source="45.76.46.201" relay="62.211.72.32 (smtp.tin.it)" delay=0s result="TempFail" stat="421 ... too busy"`

use super::line::{Delivery, Event, Outcome, SkipReason};
use super::recipient::{self, Address, Problem};
use std::net::IpAddr;

/// The fields of an `mta delivery` line that we read.
#[derive(Default)]
struct Fields<'a> {
    to: Option<Address<'a>>,
    source: Option<&'a str>,
    relay: Option<&'a str>,
    result: Option<&'a str>,
    stat: Option<&'a str>,
}

/// Read `key=value` pairs left to right (`from=<…> to=<…> rcpt=<…> source="…" … stat="…"`), so a
/// value is never searched for a key: the recipient's quoted local part may hold ` result="Ok"`.
fn fields(mut rest: &str) -> Result<Fields<'_>, Problem> {
    let mut f = Fields::default();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return Ok(f);
        }
        let key_end = rest
            .bytes()
            .position(|b| b == b'=' || b == b' ')
            .unwrap_or(rest.len());
        let Some(value) = rest[key_end..].strip_prefix('=') else {
            // A word without `=` (`delivery`): step over it.
            rest = &rest[key_end..];
            continue;
        };
        let key = &rest[..key_end];
        let (text, next) = match value.as_bytes().first() {
            Some(b'<') => {
                let (address, next) = recipient::bracketed(&value[1..])?;
                if key == "to" {
                    f.to = Some(address);
                }
                (address.text, next)
            }
            Some(b'"') => quoted(key, &value[1..]),
            _ => value.split_at(value.find(' ').unwrap_or(value.len())),
        };
        match key {
            "source" => f.source = Some(text),
            "relay" => f.relay = Some(text),
            "result" => f.result = Some(text),
            "stat" => f.stat = Some(text),
            _ => {}
        }
        rest = next;
    }
}

/// A `"…"` value (after its opening quote) and the text after it. OpenSMTPD does not escape
/// quotes: `stat` is the last field and may hold some, so it runs to the final quote.
fn quoted<'a>(key: &str, after_open: &'a str) -> (&'a str, &'a str) {
    let end = if key == "stat" {
        after_open.rfind('"')
    } else {
        after_open.find('"')
    };
    match end {
        Some(e) => (&after_open[..e], &after_open[e + 1..]),
        None => (after_open, ""),
    }
}

pub(crate) fn parse(message: &str) -> Event<'_> {
    // `relay: Expire for 0164457cfa7d80da: ... stat=Envelope expired`
    if message.starts_with("relay: Expire for ") {
        return Event::Expired;
    }
    // `<session id> mta delivery …`: the words are looked for where OpenSMTPD writes them, never
    // inside an `smtp envelope … to=<"… mta delivery …"@x>` recipient.
    let Some((_session, kind)) = message
        .split_once(' ')
        .filter(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Event::Noise;
    };
    let Some(pairs) = kind.strip_prefix("mta delivery ") else {
        // `mda delivery evpid=…`: delivered on this host.
        return match kind.split_once(' ') {
            Some((_, rest)) if rest.starts_with("delivery evpid=") => Event::Local,
            _ => Event::Noise,
        };
    };
    let Ok(f) = fields(pairs) else {
        return Event::Skipped(SkipReason::MalformedRecipient);
    };
    let outcome = match f.result {
        Some("Ok") => Outcome::Sent,
        Some("TempFail") => Outcome::Deferred,
        Some("PermFail") | Some("Loop") => Outcome::Bounced,
        Some(_) => return Event::Skipped(SkipReason::UnknownStatus),
        None => return Event::Skipped(SkipReason::DeliveryWithoutStatus),
    };
    let mut d = Delivery::new(outcome);
    d.recipient = f.to.map(|a| a.text);
    d.sending_ip = f.source.and_then(|s| s.parse().ok());
    if let Some(relay) = f.relay {
        let (host, ip) = split_relay(relay);
        d.receiver_host = host;
        d.receiver_ip = ip;
    }
    let stat = f.stat.unwrap_or("");
    let b = stat.as_bytes();
    d.has_receiver_reply = b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit);
    let known = f.to.as_ref().and_then(recipient::quoted_local_as_logged);
    d.reply = recipient::mask_quoted_addresses(stat, known);
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

    #[test]
    fn keys_inside_a_quoted_recipient_are_not_fields() {
        let Event::Delivery(d) = parse(
            r#"41bab6b2d08bc7ae mta delivery evpid=06747101aebb8e5a from=<www-data@vps1.example.org> to=<"x> source=\"198.51.100.8\" result=\"PermFail\" stat=\"550 x\""@contoso.com> rcpt=<-> source="127.0.0.10" relay="127.0.0.3 (contoso-com.mail.protection.outlook.com)" delay=0s result="Ok" stat="250 2.6.0 Queued""#,
        ) else {
            panic!()
        };
        assert_eq!(d.outcome, Outcome::Sent);
        assert_eq!(d.sending_ip, Some("127.0.0.10".parse().unwrap()));
        assert_eq!(d.reply, "250 2.6.0 Queued");
        // An `smtp envelope` line is never a delivery, whatever its recipient says.
        assert_eq!(
            parse(
                r#"41bab6afa1d984f7 smtp envelope evpid=0674710126dc31d7 from=<a@b> to=<"x mta delivery result=\"PermFail\" stat=\"550\""@c>"#
            ),
            Event::Noise
        );
        assert_eq!(
            parse(r#"41bab6b2d08bc7ae mta delivery evpid=1 from=<a@b> to=<"x@c> result="Ok""#),
            Event::Skipped(SkipReason::MalformedRecipient)
        );
    }
}
