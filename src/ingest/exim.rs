//! Exim main log lines, from Exim's own file (`mainlog`) or via syslog (program `exim`/`exim4`).
//!
//! `2026-11-02 10:00:05.123 +0100 [1234] 1wrx8k-00000000Xy-ABCD ** rcpt R=.. T=remote_smtp H=mx [ip] I=[our ip] : SMTP error from remote mail server after RCPT TO:<rcpt>: 550 ...`
//! Both failure layouts are read: from 4.85 the host is an `H=` field; before, the message says
//! `...after RCPT TO:<x>: host NAME [IP]: 452 ...`. Multi-line replies arrive joined with `\n`.

use super::line::{Delivery, Event, Outcome, SkipReason};
use super::recipient::{self, Address, Context, Problem};
use super::timestamp::RawTime;
use std::net::IpAddr;

/// `YYYY-MM-DD HH:MM:SS[.mmm][ +hhmm][ [pid]] ` at the start of a line.
pub(crate) fn parse_timestamp(line: &str) -> Option<(RawTime, &str)> {
    let b = line.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let mut micros = super::timestamp::naive_date_time(b)?;
    let mut zoned = false;
    let mut rest = &line[19..];
    if let Some(ms) = rest.strip_prefix('.') {
        let digits = ms.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 3 {
            micros += ms[..3].parse::<i64>().ok()? * 1000;
            rest = &ms[3..];
        }
    }
    // Optional " +hhmm" (log_timezone).
    let zb = rest.as_bytes();
    if zb.len() >= 6
        && zb[0] == b' '
        && (zb[1] == b'+' || zb[1] == b'-')
        && zb[2..6].iter().all(u8::is_ascii_digit)
    {
        let h: i64 = rest[2..4].parse().ok()?;
        let m: i64 = rest[4..6].parse().ok()?;
        let offset = (h * 3600 + m * 60) * 1_000_000;
        micros += if zb[1] == b'+' { -offset } else { offset };
        rest = &rest[6..];
        zoned = true;
    }
    let rest = rest.strip_prefix(' ')?;
    // Optional "[pid] " (+pid).
    let rest = match rest.strip_prefix('[') {
        Some(r) => match r.split_once("] ") {
            Some((pid, after)) if pid.bytes().all(|b| b.is_ascii_digit()) => after,
            _ => rest,
        },
        None => rest,
    };
    Some((
        if zoned {
            RawTime::Absolute(micros)
        } else {
            RawTime::Local(micros)
        },
        rest,
    ))
}

/// A line of Exim's own log file.
pub(crate) fn parse_mainlog_line(line: &str) -> Option<(RawTime, Event<'_>)> {
    let (time, body) = parse_timestamp(line)?;
    Some((time, parse_body(body)))
}

/// The message of an `exim[pid]:` syslog line (Exim keeps its own timestamp unless told not to).
pub(crate) fn parse_syslog_message(message: &str) -> Event<'_> {
    let body = parse_timestamp(message).map_or(message, |(_, b)| b);
    parse_body(body)
}

/// 16-character (`1jmFYj-00039V-QX`) and 23-character (`1smkL5-00000000e65-24eQ`) message ids.
pub(crate) fn is_message_id(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let alnum = |p: &str| p.bytes().all(|x| x.is_ascii_alphanumeric());
    a.len() == 6
        && matches!(b.len(), 6 | 11)
        && matches!(c.len(), 2 | 4)
        && alnum(a)
        && alnum(b)
        && alnum(c)
}

fn parse_body(body: &str) -> Event<'_> {
    let Some((id, rest)) = body.split_once(' ') else {
        return Event::Noise;
    };
    if !is_message_id(id) {
        return Event::Noise;
    }
    let Some((flag, rest)) = rest.split_once(' ') else {
        return Event::Noise;
    };
    let read: for<'x> fn(Parts<'x>) -> Event<'x> = match flag {
        "=>" | "->" | ">>" => delivered,
        "==" => deferred,
        "**" => failed,
        _ => return Event::Noise,
    };
    match parts(rest) {
        Ok(parts) => read(parts),
        Err(_) => Event::Skipped(SkipReason::MalformedRecipient),
    }
}

/// A delivery line after its flag, split once (the parse of every line searches each part once).
struct Parts<'a> {
    to: Address<'a>,
    /// Exim's own fields and words (`R=`, `T=`, `H=`, `I=`, `retry timeout exceeded`), before the
    /// receiver's: the `C="…"` of a delivery and the reply of a failure echo the recipient.
    fields: &'a str,
    /// What follows `SMTP error from remote mail server after `, when the receiver answered.
    smtp_error: Option<&'a str>,
    /// Everything after the address (Exim's own failure text when the receiver did not answer).
    after: &'a str,
}

const SMTP_ERROR: &str = "SMTP error from remote mail server after ";

/// Everything after the flag is read only after the address: its quoted local part may hold
/// ` I=[ip]`, ` H=`, `SMTP error from remote mail server after `.
fn parts(rest: &str) -> Result<Parts<'_>, Problem> {
    let (to, after) = addresses(rest)?;
    let error_at = find!(
        after.as_bytes(),
        b"SMTP error from remote mail server after "
    );
    let head = error_at.map_or(after, |at| &after[..at]);
    let fields = find!(head.as_bytes(), b" C=\"").map_or(head, |c| &head[..c]);
    Ok(Parts {
        to,
        fields,
        smtp_error: error_at.map(|at| &after[at + SMTP_ERROR.len()..]),
        after,
    })
}

/// `addr[ <original>]`: the address Exim delivered to, and the text after it and its original.
fn addresses(rest: &str) -> Result<(Address<'_>, &str), Problem> {
    let (to, after) = recipient::address(rest, Context::Bare)?;
    match after.strip_prefix(" <") {
        Some(original) => Ok((to, recipient::bracketed(original)?.1)),
        None => Ok((to, after)),
    }
}

/// Where a field starts in Exim's own fields: not inside a quoted address among them (a
/// `F=<"x H=…"@…>` sender with `log_selector = +sender_on_delivery`).
fn own_field(fields: &str, find: impl Fn(&[u8]) -> Option<usize>) -> Option<usize> {
    recipient::find_outside_quoted(fields, find)
}

fn transport(rest: &str) -> Option<&str> {
    let start = own_field(rest, |h| find!(h, b" T="))? + 3;
    rest[start..].split(' ').next()
}

/// ` H=name [ip]` / ` H=(helo) [ip]:port`.
fn host_field(rest: &str) -> Option<(&str, Option<IpAddr>)> {
    let start = own_field(rest, |h| find!(h, b" H="))? + 3;
    let field = &rest[start..];
    let (name, after) = field.split_once(" [")?;
    let ip_text = after.split([']', ' ']).next().unwrap_or("");
    let ip = ip_text
        .parse()
        .ok()
        .or_else(|| ip_text.rsplit_once(':').and_then(|(a, _)| a.parse().ok()));
    Some((name.trim_start_matches('(').trim_end_matches(')'), ip))
}

/// ` I=[ip]` or ` I=[ip]:port`: the local interface the message left from.
fn interface_field(rest: &str) -> Option<IpAddr> {
    let start = own_field(rest, |h| find!(h, b" I=["))? + 4;
    rest[start..].split(']').next()?.parse().ok()
}

fn delivered(p: Parts<'_>) -> Event<'_> {
    let Some((host, ip)) = host_field(p.fields) else {
        return Event::Local;
    };
    let mut d = Delivery::new(Outcome::Sent);
    d.recipient = Some(p.to.text);
    d.receiver_host = Some(host);
    d.receiver_ip = ip;
    d.sending_ip = interface_field(p.fields);
    Event::Delivery(d)
}

fn deferred(p: Parts<'_>) -> Event<'_> {
    if find!(p.fields.as_bytes(), b"retry time not reached").is_some() {
        return Event::Suspended;
    }
    failure(Outcome::Deferred, p)
}

fn failed(p: Parts<'_>) -> Event<'_> {
    if find!(p.fields.as_bytes(), b"retry timeout exceeded").is_some() {
        return Event::Expired;
    }
    failure(Outcome::Bounced, p)
}

/// A deferral or bounce: remote (a receiver's reply or Exim's own words), or a local delivery.
fn failure(outcome: Outcome, p: Parts<'_>) -> Event<'_> {
    let host = host_field(p.fields);
    if host.is_none() && !transport(p.fields).is_some_and(|t| t.contains("smtp")) {
        return Event::Local;
    }
    let mut d = Delivery::new(outcome);
    d.recipient = Some(p.to.text);
    if let Some((host, ip)) = host {
        d.receiver_host = Some(host);
        d.receiver_ip = ip;
    }
    d.sending_ip = interface_field(p.fields);
    let reply = match p.smtp_error {
        Some(error) => {
            let Ok((old_host, reply)) = split_command_reply(error) else {
                return Event::Skipped(SkipReason::MalformedRecipient);
            };
            if let Some((host, ip)) = old_host {
                d.receiver_host = d.receiver_host.or(Some(host));
                d.receiver_ip = d.receiver_ip.or(ip);
            }
            d.has_receiver_reply = true;
            // Kept as Exim wrote it (`\n` between lines): classify normalises before matching.
            reply
        }
        // "defer (110): Connection timed out", "SMTP timeout after ...": Exim's own words.
        None => match find!(p.after.as_bytes(), b"defer (") {
            Some(at) => p.after[at..]
                .split_once(')')
                .map_or(&p.after[at..], |(_, t)| t),
            None => p.after.rsplit_once(" : ").map_or(p.after, |(_, t)| t),
        }
        .trim_start_matches([':', ' ']),
    };
    d.reply = recipient::mask_quoted_addresses(reply, recipient::quoted_local_as_logged(&p.to));
    Event::Delivery(d)
}

/// `RCPT TO:<x>` / `pipelined MAIL FROM:<x> SIZE=1445`: the index after the echoed address (whose
/// quoted local part may hold `: 550 …`), or 0 when the command echoes none (`end of data`).
fn command_address_end(after: &str) -> Result<usize, Problem> {
    let Some(colon) = memchr::memchr(b':', after.as_bytes()) else {
        return Ok(0);
    };
    let is_command = after[..colon]
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b' ');
    match after[colon + 1..].strip_prefix('<') {
        Some(address) if is_command => Ok(after.len() - recipient::bracketed(address)?.1.len()),
        _ => Ok(0),
    }
}

/// `RCPT TO:<x>: 550 ...` -> reply; `RCPT TO:<x>: host NAME [IP]: 452 ...` (Exim <= 4.84) -> host too.
type CommandReply<'a> = (Option<(&'a str, Option<IpAddr>)>, &'a str);

fn split_command_reply(after: &str) -> Result<CommandReply<'_>, Problem> {
    let mut search = command_address_end(after)?;
    while let Some(pos) = after[search..].find(": ").map(|p| p + search) {
        let tail = &after[pos + 2..];
        if let Some(h) = tail.strip_prefix("host ") {
            if let Some((name, rest)) = h.split_once(" [") {
                if let Some((ip, reply)) = rest.split_once("]: ") {
                    return Ok((Some((name, ip.parse().ok())), reply));
                }
            }
        }
        let b = tail.as_bytes();
        if b.len() >= 3
            && b[..3].iter().all(u8::is_ascii_digit)
            && matches!(b.get(3), None | Some(b' ') | Some(b'-'))
        {
            return Ok((None, tail));
        }
        search = pos + 2;
    }
    Ok((None, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(line: &str) -> Delivery<'_> {
        match parse_mainlog_line(line).expect("timestamp").1 {
            Event::Delivery(d) => d,
            other => panic!("not a delivery: {other:?}"),
        }
    }

    #[test]
    fn timestamps() {
        let (t, rest) =
            parse_timestamp("2020-06-20 01:32:57 +0200 [789] 1jmKso-0009d4-Uf ** x").unwrap();
        assert_eq!(t, RawTime::Absolute(1_592_609_577_000_000));
        assert_eq!(rest, "1jmKso-0009d4-Uf ** x");
        let (t, _) = parse_timestamp("2020-06-19 23:32:57.250 1jmKso-0009d4-Uf ** x").unwrap();
        assert_eq!(t, RawTime::Local(1_592_609_577_250_000));
        assert!(parse_timestamp("2026-11-02T10:00:01Z host x").is_none());
    }

    #[test]
    fn message_ids() {
        assert!(is_message_id("1jmFYj-00039V-QX"));
        assert!(is_message_id("1smkL5-00000000e65-24eQ"));
        assert!(!is_message_id("Start"));
    }

    #[test]
    fn bounce_with_interface_and_both_layouts() {
        let d = delivery("1999-03-02 09:44:33 10HmaZ-000000005vi-0000 ** userz@domain.com R=all T=smtp H=mx.example.com [192.0.2.9]:25 I=[198.51.100.7]:10001 : SMTP error from remote mail server after RCPT TO:<userz@domain.com>: 550 Recipient refused");
        assert_eq!(d.outcome, Outcome::Bounced);
        assert_eq!(d.receiver_ip, Some("192.0.2.9".parse().unwrap()));
        assert_eq!(d.sending_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(d.reply, "550 Recipient refused");
        let old = delivery("1999-03-02 09:44:33 10HmaX-0005vi-00 == userx@domain.com R=all T=smtp defer (-44): SMTP error from remote mail server after RCPT TO:<userx@domain.com>: host mx.example.com [192.0.2.9]: 452 Temporary error");
        assert_eq!(old.outcome, Outcome::Deferred);
        assert_eq!(old.receiver_host, Some("mx.example.com"));
        assert_eq!(old.receiver_ip, Some("192.0.2.9".parse().unwrap()));
        assert_eq!(old.reply, "452 Temporary error");
    }

    #[test]
    fn multi_line_replies_are_kept_and_joined_for_matching() {
        let d = delivery(
            r"2026-08-06 15:24:02 1wrx8k-0004Xy-AB ** a@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [66.102.1.26] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes : SMTP error from remote mail server after RCPT TO:<a@gmail.com>: 550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 Please try",
        );
        // Kept as logged; what the rules see has the markers dropped and the lines joined.
        assert_eq!(
            d.reply,
            r"550-5.1.1 The email account that you tried to reach does not exist.\n550 5.1.1 Please try"
        );
        assert_eq!(
            crate::classify::matching_text(&d.reply),
            "550 5.1.1 The email account that you tried to reach does not exist. Please try"
        );
        assert!(d.has_receiver_reply);
    }

    #[test]
    fn fields_come_from_exim_never_from_addresses_or_replies() {
        // Quoted recipient, a quoted sender (+sender_on_delivery) and a C="…" echoing the
        // recipient all hold I= and H=; only Exim's own H= counts, and there is no I=.
        let d = delivery(
            r#"2026-11-02 10:00:02 1xNope-00081a-06 => "x H=evil [192.0.2.66] I=[198.51.100.8]"@example.com F=<"y I=[198.51.100.9] H=z [192.0.2.67]"@shop.example> R=outbound T=remote_smtp H=mx.example.com [192.0.2.9] C="250 2.1.5 <"a I=[198.51.100.10]"@example.com> ok""#,
        );
        assert_eq!(d.receiver_host, Some("mx.example.com"));
        assert_eq!(d.receiver_ip, Some("192.0.2.9".parse().unwrap()));
        assert_eq!(d.sending_ip, None);
        assert_eq!(
            d.recipient,
            Some(r#""x H=evil [192.0.2.66] I=[198.51.100.8]"@example.com"#)
        );
        // The echoed RCPT TO:<…> holds a reply of its own before the real one.
        let d = delivery(
            r#"2026-11-02 10:00:03 1xNpli-0000An-38 ** "x>: 550 5.7.1 (S3140)"@contoso.com R=r T=remote_smtp H=mx.contoso.com [192.0.2.3]: SMTP error from remote mail server after RCPT TO:<"x>: 550 5.7.1 (S3140)"@contoso.com>: 550 5.1.1 User unknown"#,
        );
        assert_eq!(d.reply, "550 5.1.1 User unknown");
        assert_eq!(
            parse_mainlog_line(r#"2026-11-02 10:00:03 1xNpli-0000An-38 ** "x@contoso.com R=r"#)
                .unwrap()
                .1,
            Event::Skipped(SkipReason::MalformedRecipient)
        );
    }

    #[test]
    fn non_attempts_and_local() {
        let ev = |l| parse_mainlog_line(l).unwrap().1;
        assert_eq!(ev("1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx@simple R=all T=smtp defer (-54): retry time not reached for any host for 'simple'"), Event::Suspended);
        assert_eq!(
            ev("2020-06-19 04:54:02 1jmFYj-00039V-QX ** bob@null.corp: retry timeout exceeded"),
            Event::Expired
        );
        assert_eq!(
            ev("2020-06-19 04:54:02 1jmFYj-00039V-QX => bob <bob@local> R=local_user T=mail_spool"),
            Event::Local
        );
        assert_eq!(
            ev("2020-06-19 04:54:02 Start queue run: pid=12762"),
            Event::Noise
        );
        let d = delivery("2020-06-19 04:54:02 1jmFYj-00039V-QX == bob@null.corp R=dnslookup T=remote_smtp defer (110): Connection timed out");
        assert_eq!(d.reply, "Connection timed out");
        assert!(!d.has_receiver_reply);
    }
}
