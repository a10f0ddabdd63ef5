//! Sendmail delivery lines (`sm-mta`, `sendmail`): `QID: to=<..>, ..., relay=host. [ip], dsn=X.Y.Z, stat=...`.

use super::line::{Delivery, Event, Outcome, SkipReason};
use super::recipient::{self, Address, Context, Problem};
use memchr::memmem;
use std::net::IpAddr;

pub(crate) fn is_sendmail_program(program: &str) -> bool {
    matches!(program, "sm-mta" | "sendmail" | "sm-msp-queue")
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(", {name}=");
    let start = memmem::find(text.as_bytes(), needle.as_bytes())? + needle.len();
    let value = &text[start..];
    Some(value.split_once(", ").map_or(value, |(v, _)| v))
}

/// `to=a@b,<c@d>, ctladdr=<e@f> (33/33), …`: the first recipient and the fields after the list
/// and the controlling address, any of which may be quoted and hold `, stat=`.
fn recipients(after_to: &str) -> Result<(Address<'_>, &str), Problem> {
    let (first, mut rest) = list_item(after_to)?;
    while let Some(next) = rest.strip_prefix(',').filter(|r| !r.starts_with(' ')) {
        rest = list_item(next)?.1;
    }
    if let Some(ctladdr) = rest.strip_prefix(", ctladdr=<") {
        rest = recipient::bracketed(ctladdr)?.1;
    }
    Ok((first, rest))
}

/// `<a@b>` or `a@b` at the start of a `to=` list.
fn list_item(text: &str) -> Result<(Address<'_>, &str), Problem> {
    match text.strip_prefix('<') {
        Some(inner) => recipient::bracketed(inner),
        None => recipient::address(text, Context::ListItem),
    }
}

pub(crate) fn parse(message: &str) -> Event<'_> {
    let Some(after_to) = message
        .split_once(": ")
        .and_then(|(_qid, rest)| rest.strip_prefix("to="))
    else {
        // `QID: DSNQID: DSN: Cannot send message for 5 days`: Sendmail gave up on the message.
        if find!(message.as_bytes(), b": DSN: Cannot send message").is_some() {
            return Event::Expired;
        }
        return Event::Noise;
    };
    let Ok((to, rest)) = recipients(after_to) else {
        return Event::Skipped(SkipReason::MalformedRecipient);
    };
    // Receivers echo the recipient in `reply=` and `stat=`: a `, stat=` inside an echoed quoted
    // local part is not the field.
    let find_stat = |h: &[u8]| find!(h, b", stat=");
    let Some(stat_at) = recipient::find_outside_quoted(rest, find_stat) else {
        return Event::Noise;
    };
    let mut fields = &rest[..stat_at];
    let mut stat = &rest[stat_at + ", stat=".len()..];
    // Sendmail 8.16.1+ logs the receiver's own reply in `reply=` (before `stat=`, which then holds
    // Sendmail's summary such as "Service unavailable"). The reply may contain ", ".
    let find_reply = |h: &[u8]| find!(h, b", reply=");
    let mut reply_field = None;
    if let Some(at) = find!(fields.as_bytes(), b", reply=") {
        reply_field = Some(&fields[at + ", reply=".len()..]);
        fields = &fields[..at];
    } else if let Some(at) = recipient::find_outside_quoted(stat, find_reply) {
        reply_field = Some(&stat[at + ", reply=".len()..]);
        stat = &stat[..at];
    }
    let mailer = field(fields, "mailer");
    if matches!(
        mailer,
        Some("local" | "prog" | "procmail" | "cyrus" | "lmtp")
    ) {
        return Event::Local;
    }
    let (receiver_host, receiver_ip) = field(fields, "relay").map_or((None, None), split_relay);
    // The submission program handing mail to the local MTA: `relay=[127.0.0.1] [127.0.0.1]`.
    let unnamed = receiver_host.is_none_or(|h| h.eq_ignore_ascii_case("localhost"));
    if receiver_ip.is_some_and(|ip| ip.is_loopback()) && unnamed {
        return Event::Local;
    }
    let dsn = field(fields, "dsn");
    let outcome = if stat.starts_with("Sent") {
        Outcome::Sent
    } else if stat.starts_with("Deferred") || dsn.is_some_and(|d| d.starts_with('4')) {
        Outcome::Deferred
    } else if dsn.is_some_and(|d| d.starts_with('2')) {
        Outcome::Sent
    } else {
        Outcome::Bounced
    };
    let text = reply_field.unwrap_or_else(|| stat.strip_prefix("Deferred: ").unwrap_or(stat));
    let mut d = Delivery::new(outcome);
    d.recipient = Some(to.text);
    d.receiver_host = receiver_host;
    d.receiver_ip = receiver_ip;
    d.dsn = dsn;
    d.has_receiver_reply =
        outcome != Outcome::Sent && receiver_ip.is_some() && !is_local_error(text);
    d.reply = recipient::mask_quoted_addresses(text, recipient::quoted_local_as_logged(&to));
    Event::Delivery(d)
}

fn is_local_error(text: &str) -> bool {
    [
        "Connection refused",
        "Connection timed out",
        "No route to host",
        "Network is unreachable",
        "Host unknown",
    ]
    .iter()
    .any(|e| text.contains(e))
}

/// `mx00.1and1.co.uk. [212.227.15.169]`, `[192.0.2.1]`, `host [IPv6:2001:db8::1]`.
fn split_relay(relay: &str) -> (Option<&str>, Option<IpAddr>) {
    let (host, rest) = match relay.split_once('[') {
        Some((h, r)) => (h.trim().trim_end_matches('.'), r),
        None => return (Some(relay.trim_end_matches('.')), None),
    };
    let ip_text = rest.split(']').next().unwrap_or("");
    let ip = ip_text
        .strip_prefix("IPv6:")
        .unwrap_or(ip_text)
        .parse()
        .ok();
    (Some(host).filter(|h| !h.is_empty()), ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_sendmail_8_18_line() {
        let Event::Delivery(d) = parse(
            r#"6A2A01dR000281: to=<user1@hotmail.com>, ctladdr=<www-data@vps1.example.org> (33/33), delay=00:00:00, xdelay=00:00:00, mailer=esmtp, pri=30353, relay=hotmail-com.olc.protection.outlook.com. [127.0.0.2], dsn=5.7.1, reply=550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provi...C54339C3FD8FF] [BN3PEPF0000B077.namprd04.prod.outlook.com 2025-11-25T08:06:40.951Z 08DE2A19D02BF789], stat=Service unavailable"#,
        ) else {
            panic!("not a delivery")
        };
        assert_eq!(d.outcome, Outcome::Bounced);
        assert_eq!(
            d.receiver_host,
            Some("hotmail-com.olc.protection.outlook.com")
        );
        assert!(d.reply.starts_with("550 5.7.1 Unfortunately"));
    }

    #[test]
    fn deferred_and_bounced() {
        let Event::Delivery(d) = parse("n3KFZnc6006553: to=<xxx@yyy.com>, ctladdr=<www-data@mkalimu> (33/33), delay=00:00:02, xdelay=00:00:01, mailer=esmtp, pri=120314, relay=mx00.1and1.co.uk. [212.227.15.169], dsn=4.0.0, stat=Deferred: 421 unable to verify sender domain") else { panic!() };
        assert_eq!(d.outcome, Outcome::Deferred);
        assert_eq!(d.receiver_host, Some("mx00.1and1.co.uk"));
        assert_eq!(d.reply, "421 unable to verify sender domain");
        assert!(d.has_receiver_reply);
        let Event::Delivery(d) = parse("s1P819mk027713: to=<a@example.cz>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=30000, relay=mx.example.cz. [192.0.2.77], dsn=5.7.1, stat=Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org") else { panic!() };
        assert_eq!(d.outcome, Outcome::Bounced);
        assert_eq!(d.dsn, Some("5.7.1"));
        let Event::Delivery(d) = parse("6AK76Q2l026828: to=<hello@larkspur-florists.example>, ctladdr=<www@shop.example> (80/80), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=186428, relay=mail.larkspur-florists.example. [116.202.133.152], dsn=5.7.1, reply=554 5.7.1 Service unavailable; Client host [203.0.113.140] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.140, stat=Service unavailable") else { panic!() };
        assert_eq!(d.reply, "554 5.7.1 Service unavailable; Client host [203.0.113.140] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.140");
        assert_eq!(d.dsn, Some("5.7.1"));
        assert_eq!(d.receiver_ip, Some("116.202.133.152".parse().unwrap()));
        let e = parse("s1P819mk027713: to=root, delay=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent");
        assert_eq!(e, Event::Local);
    }
}
