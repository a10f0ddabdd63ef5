//! Postfix delivery records (`smtp`/`lmtp` status lines), from any syslog envelope.
//!
//! The parser never fails: a line is a delivery, a non-delivery event we count, noise, or skipped
//! with a reason.

use super::line::{Delivery, Event, Outcome, SkipReason};
use super::recipient::{self, Address};
use std::net::IpAddr;

/// Is this syslog program a Postfix daemon whose lines we read? (`postfix/smtp`, `postfix-out/qmgr`.)
pub(crate) fn is_postfix_program(program: &str) -> bool {
    let process = program.rsplit_once('/').map_or(program, |(_, p)| p);
    matches!(process, "smtp" | "lmtp" | "qmgr" | "error" | "retry")
}

/// Parse the message of a Postfix line, given its syslog program (`postfix-198.51.100.7/smtp`).
pub(crate) fn parse<'a>(program: &'a str, message: &'a str) -> Event<'a> {
    let (syslog_name, process) = program.rsplit_once('/').unwrap_or(("", program));
    match process {
        "smtp" | "lmtp" => parse_delivery(syslog_name, message),
        "qmgr" if is_expiry(message) => Event::Expired,
        "error" | "retry" if find!(message.as_bytes(), b" to=<").is_some() => Event::Suspended,
        _ => Event::Noise,
    }
}

/// `ABC: from=<sender>, status=expired, returned to sender`: the status after the sender, whose
/// quoted local part may hold any text.
fn is_expiry(message: &str) -> bool {
    let fields = match queue_id_and_rest(message).and_then(|(_, r)| r.strip_prefix("from=<")) {
        Some(after_from) => match recipient::bracketed(after_from) {
            Ok((_, rest)) => rest,
            Err(_) => return false,
        },
        None => message,
    };
    find!(fields.as_bytes(), b"status=expired").is_some()
        || find!(fields.as_bytes(), b"status=force-expired").is_some()
}

fn queue_id_and_rest(message: &str) -> Option<(&str, &str)> {
    let i = find!(message.as_bytes(), b": ")?;
    let (id, rest) = (&message[..i], &message[i + 2..]);
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some((id, rest))
}

fn parse_delivery<'a>(syslog_name: &'a str, message: &'a str) -> Event<'a> {
    let Some((_queue_id, rest)) = queue_id_and_rest(message) else {
        return Event::Noise;
    };
    if let Some(after_to) = rest.strip_prefix("to=<") {
        return parse_final(syslog_name, after_to);
    }
    // Non-final record: "host X[ip] said: ..." when another MX will be tried.
    if rest.starts_with("host ") {
        if let Some((host, ip, reply)) = split_host_reply(rest) {
            let mut d = Delivery::new(if reply.starts_with('5') {
                Outcome::Bounced
            } else {
                Outcome::Deferred
            });
            d.instance = syslog_name;
            d.receiver_host = Some(host);
            d.receiver_ip = ip;
            d.reply = recipient::mask_quoted_addresses(reply, None);
            d.has_receiver_reply = true;
            return Event::Delivery(d);
        }
    }
    Event::Noise
}

/// The value after `name` (whose position `find!` gave), up to the next `, `.
fn field<'a>(text: &'a str, at: Option<usize>, name: &str) -> Option<&'a str> {
    let value = &text[at? + name.len()..];
    Some(value.split_once(", ").map_or(value, |(v, _)| v))
}

/// `addr>[, orig_to=<addr>]` -> the recipient and the fields after both addresses.
fn recipients(after_to: &str) -> Result<(Address<'_>, &str), recipient::Problem> {
    let (to, rest) = recipient::bracketed(after_to)?;
    match rest.strip_prefix(", orig_to=<") {
        Some(after_orig) => Ok((to, recipient::bracketed(after_orig)?.1)),
        None => Ok((to, rest)),
    }
}

fn parse_final<'a>(syslog_name: &'a str, after_to: &'a str) -> Event<'a> {
    // Fields are read only after the addresses: a quoted local part may hold `, status=`.
    let Ok((to, after_recipients)) = recipients(after_to) else {
        return Event::Skipped(SkipReason::MalformedRecipient);
    };
    let Some(status_at) = find!(after_recipients.as_bytes(), b", status=") else {
        return Event::Skipped(SkipReason::DeliveryWithoutStatus);
    };
    let fields = &after_recipients[..status_at];
    let status_text = &after_recipients[status_at + ", status=".len()..];
    let (word, reason) = status_text.split_once(' ').unwrap_or((status_text, ""));
    let outcome = match word {
        "sent" | "deliverable" => Outcome::Sent,
        "deferred" | "SOFTBOUNCE" => Outcome::Deferred,
        "bounced" | "undeliverable" | "undeliverable-but-not-cached" => Outcome::Bounced,
        _ => return Event::Skipped(SkipReason::UnknownStatus),
    };
    // "(reason)"; the closing parenthesis is missing when syslog cut a long line.
    let reason = reason.strip_prefix('(').unwrap_or(reason);
    let reason = reason.strip_suffix(')').unwrap_or(reason);

    let relay = field(fields, find!(fields.as_bytes(), b"relay="), "relay=");
    if relay.is_some_and(is_local_relay) {
        return Event::Local;
    }
    let (mut receiver_host, mut receiver_ip) = relay.map_or((None, None), split_relay);
    let dsn = field(fields, find!(fields.as_bytes(), b"dsn="), "dsn=");

    let (reply, has_receiver_reply) = match split_host_reply(reason) {
        Some((host, ip, reply)) => {
            receiver_host = receiver_host.or(Some(host));
            receiver_ip = receiver_ip.or(ip);
            (reply, true)
        }
        None => {
            if receiver_host.is_none() {
                // "connect to mx.example.org[192.0.2.250]:25: Connection timed out"
                if let Some(target) = reason.strip_prefix("connect to ") {
                    let (h, ip) = split_relay(target.split_once(": ").map_or(target, |(t, _)| t));
                    receiver_host = h;
                    receiver_ip = ip;
                }
            }
            (reason, false)
        }
    };
    let mut d = Delivery::new(outcome);
    d.instance = syslog_name;
    d.receiver_host = receiver_host;
    d.receiver_ip = receiver_ip;
    d.dsn = dsn;
    d.reply = recipient::mask_quoted_addresses(reply, recipient::quoted_local_as_logged(&to));
    d.has_receiver_reply = has_receiver_reply;
    d.recipient = Some(to.text);
    Event::Delivery(d)
}

/// `127.0.0.1[127.0.0.1]:10024`, `localhost[::1]:10025`, `host[/var/run/dovecot/lmtp]`, `local`.
fn is_local_relay(relay: &str) -> bool {
    let Some((name, rest)) = relay.split_once('[') else {
        return matches!(relay, "local" | "virtual");
    };
    let inside = rest.split_once(']').map_or(rest, |(a, _)| a);
    match inside.parse::<IpAddr>() {
        Ok(ip) => {
            ip.is_loopback()
                && (name.parse::<IpAddr>().is_ok() || name.eq_ignore_ascii_case("localhost"))
        }
        // A unix socket path (`private/dovecot-lmtp`); an address anonymised as `xxx.xxx.xxx.xxx`
        // in a pasted line is still a remote MX.
        Err(_) => inside.contains('/'),
    }
}

/// `name[addr]:port` -> (name, addr). `relay=none`, `local`, socket paths give no address.
fn split_relay(relay: &str) -> (Option<&str>, Option<IpAddr>) {
    // The address is in the last brackets: a name never holds one (a pasted `[redacted]-x` does).
    let relay = relay.strip_suffix(']').map_or(relay, |r| r);
    let relay = match relay.rsplit_once("]:") {
        Some((head, port)) if port.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => relay,
    };
    match relay.rsplit_once('[') {
        Some((name, rest)) => {
            let addr = rest.split_once(']').map_or(rest, |(a, _)| a);
            (Some(name).filter(|n| !n.is_empty()), addr.parse().ok())
        }
        None if relay == "none" || relay.is_empty() => (None, None),
        None => (Some(relay), None),
    }
}

/// `host NAME[IP] said: REPLY (in reply to X command)` or `host NAME[IP] refused to talk to me: REPLY`.
pub(crate) fn split_host_reply(reason: &str) -> Option<(&str, Option<IpAddr>, &str)> {
    let rest = reason.strip_prefix("host ")?;
    let bracket = rest.find('[')?;
    let host = &rest[..bracket];
    let close = rest[bracket..].find(']')? + bracket;
    let ip = rest[bracket + 1..close].parse().ok();
    let after = &rest[close + 1..];
    let reply = after
        .strip_prefix(" said: ")
        .or_else(|| after.strip_prefix(" refused to talk to me: "))?;
    let reply = match rfind!(reply.as_bytes(), b" (in reply to ") {
        Some(i) => &reply[..i],
        None => reply,
    };
    Some((host, ip, reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::syslog;

    fn parse_line(line: &str) -> Event<'_> {
        let e = syslog::parse(line).expect("envelope");
        parse(e.program, e.message)
    }

    #[test]
    fn final_bounce_keeps_receiver_and_full_reply() {
        let line = "Feb 18 11:55:37 mail postfix/smtp[19793]: 6BAB0300C9CD: to=<someone@hotmail.com>, relay=hotmail-com.olc.protection.outlook.com[104.47.66.33]:25, delay=0.7, delays=0.04/0.02/0.47/0.16, dsn=5.7.1, status=bounced (host hotmail-com.olc.protection.outlook.com[104.47.66.33] said: 550 5.7.1 Unfortunately, messages from [1.2.3.4] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). [MW2NAM12FT005.eop-nam12.prod.protection.outlook.com] (in reply to MAIL FROM command))";
        let Event::Delivery(d) = parse_line(line) else {
            panic!("not a delivery")
        };
        assert_eq!(d.outcome, Outcome::Bounced);
        assert_eq!(
            d.receiver_host,
            Some("hotmail-com.olc.protection.outlook.com")
        );
        assert_eq!(d.receiver_ip, Some("104.47.66.33".parse().unwrap()));
        assert_eq!(d.dsn, Some("5.7.1"));
        assert_eq!(d.recipient, Some("someone@hotmail.com"));
        assert!(d.reply.starts_with("550 5.7.1 Unfortunately"));
        assert!(d.reply.ends_with("prod.protection.outlook.com]"));
        assert!(d.has_receiver_reply);
    }

    #[test]
    fn truncated_line_still_parses() {
        let line = "Nov 02 10:00:01 mail postfix/smtp[1]: ABC123: to=<a@b.c>, relay=mx.b.c[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=4.7.1, status=deferred (host mx.b.c[192.0.2.9] said: 451 4.7.1 try lat";
        let Event::Delivery(d) = parse_line(line) else {
            panic!()
        };
        assert_eq!(d.reply, "451 4.7.1 try lat");
        assert_eq!(d.outcome, Outcome::Deferred);
    }

    #[test]
    fn content_filter_and_lmtp_socket_are_local() {
        let filter = "Dec  9 10:18:24 mail postfix/smtp[20049]: BA8F630001DA: to=<r@dst3.example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.38, delays=0.23/0.02/0/0.13, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as X)";
        let lmtp = "Dec  9 10:18:26 mail postfix/lmtp[20071]: C7B4530001DA: to=<sender@mydomain.com>, relay=mail.mydomain.com[/var/run/dovecot/lmtp], delay=0.04, delays=0/0.01/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <sender@mydomain.com> Saved)";
        let remote = "Dec  9 10:18:26 mail postfix/smtp[20058]: 1310930001DB: to=<r@dst2.example.com>, relay=mx.zoho.com[136.143.191.44]:25, delay=2.7, delays=0.02/0.11/1.3/1.3, dsn=2.0.0, status=sent (250 Message received)";
        assert_eq!(parse_line(filter), Event::Local);
        assert_eq!(parse_line(lmtp), Event::Local);
        assert!(matches!(parse_line(remote), Event::Delivery(_)));
    }

    #[test]
    fn fields_are_read_after_both_addresses() {
        let line = r#"Nov  2 10:11:00 web1 postfix/smtp[5515]: 708192A3B4: to=<"x>, relay=127.0.0.1[127.0.0.1]:10024, status=bounced (host mx[192.0.2.1] said: 550 5.7.1 (S3140))"@gmail.com>, orig_to=<"y>, dsn=5.7.1, status=deferred"@example.org>, relay=gmail-smtp-in.l.google.com[142.250.102.27]:25, delay=0.55, delays=0.02/0.06/0.16/0.31, dsn=2.0.0, status=sent (250 2.0.0 OK <"z, status=bounced"@gmail.com>)"#;
        let Event::Delivery(d) = parse_line(line) else {
            panic!("not a delivery")
        };
        assert_eq!(d.outcome, Outcome::Sent);
        assert_eq!(d.receiver_host, Some("gmail-smtp-in.l.google.com"));
        assert_eq!(d.dsn, Some("2.0.0"));
        assert_eq!(d.reply, "250 2.0.0 OK <*@gmail.com>");
        assert!(d.recipient.is_some_and(|r| r.ends_with("\"@gmail.com")));
        let cut =
            "Nov  2 10:11:00 web1 postfix/smtp[5515]: 708192A3B4: to=<\"x>, status=sent (250 ok)";
        assert_eq!(
            parse_line(cut),
            Event::Skipped(SkipReason::MalformedRecipient)
        );
        let qmgr = r#"Nov  2 10:00:01 mail postfix/qmgr[9]: ABC: from=<"status=expired"@b>, size=1, nrcpt=1 (queue active)"#;
        assert_eq!(parse_line(qmgr), Event::Noise);
    }

    #[test]
    fn other_lines() {
        assert_eq!(parse_line("Nov  2 10:00:01 mail postfix/qmgr[9]: ABC: from=<a@b>, status=expired, returned to sender"), Event::Expired);
        assert_eq!(
            parse_line("Nov  2 10:00:01 mail postfix/smtpd[9]: connect from x[192.0.2.1]"),
            Event::Noise
        );
        assert_eq!(
            parse_line("Nov  2 10:00:01 mail postfix/smtp[9]: ABC: to=<a@b>, relay=none, delay=1"),
            Event::Skipped(SkipReason::DeliveryWithoutStatus)
        );
        assert_eq!(
            parse_line("Dec 21 07:41:10 localhost postfix/error[29539]: 773A9CBBC: to=<foobar@optusnet.com.au>, relay=none, delay=334, delays=304/31/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to extmail.optusnet.com.au[211.29.133.14]:25: Connection timed out)"),
            Event::Suspended
        );
    }
}
