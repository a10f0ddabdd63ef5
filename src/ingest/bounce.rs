//! Bounces as people paste them: a reply with its bounce-message wrapping (`Diagnostic-Code:
//! smtp; 550 ...`, Postfix's `<rcpt>: host mx[ip] said: ...`, Exim's `host mx [ip]: SMTP error
//! ...`, lines broken and indented), and a receiver's own Postfix `smtpd` reject line. Used by
//! `blockscope classify`; the nightly run reads MTA logs only.

use super::line::{Delivery, Outcome};
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Postfix smtpd's `reject: RCPT from name[ip]: REPLY; from=<..>`: the client and the reply.
pub(crate) fn smtpd_reject(message: &str) -> Option<(std::net::IpAddr, &str)> {
    let (_, rest) = message.split_once("reject: ")?;
    let (_, rest) = rest.split_once(" from ")?;
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    let client = rest[open + 1..close]
        .parse::<std::net::IpAddr>()
        .ok()?
        .to_canonical();
    let reply = rest[close + 1..].trim_start_matches(|c: char| c == ':' || c.is_ascii_digit());
    let reply = reply.trim_start_matches(": ").trim_start();
    let reply = reply.rsplit_once("; from=<").map_or(reply, |(r, _)| r);
    Some((client, reply))
}

/// A reply as pasted from a bounce message: its lines joined, `Diagnostic-Code: smtp;` dropped.
pub(crate) fn unwrap_bounce(text: &str) -> String {
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
pub(crate) fn bare_reply<'a>(text: &'a str, mx: Option<&'a str>) -> Delivery<'a> {
    let said = text
        .find("host ")
        .and_then(|at| super::postfix::split_host_reply(&text[at..]));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapping_is_dropped_and_the_mx_kept() {
        let text = unwrap_bounce(
            "Diagnostic-Code: smtp; 554 IP=192.0.2.1 - A problem occurred.\n    (BL)",
        );
        assert_eq!(text, "554 IP=192.0.2.1 - A problem occurred. (BL)");
        let d = bare_reply("<a@b.example>: host mx.b.example[192.0.2.9] said: 550 5.7.1 no (in reply to RCPT TO command)", None);
        assert_eq!(d.receiver_host, Some("mx.b.example"));
        assert_eq!(d.reply, "550 5.7.1 no");
        let d = bare_reply("a@b.example host mx.b.example [192.0.2.9] SMTP error from remote mail server after RCPT TO:<a@b.example>: 451-4.7.1 wait", None);
        assert_eq!(d.receiver_ip, Some("192.0.2.9".parse().unwrap()));
        assert_eq!(d.reply, "451-4.7.1 wait");
        assert_eq!(d.outcome, Outcome::Deferred);
    }

    #[test]
    fn the_reply_starts_at_a_code_with_an_enhanced_code() {
        let d = bare_reply(
            "Error: SMTP code:550 msg:550-5.7.1 [192.0.2.3] The IP",
            Some("mx"),
        );
        assert_eq!(d.reply, "550-5.7.1 [192.0.2.3] The IP");
        // Numbers in ids and addresses are not reply codes.
        let d = bare_reply(
            "Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.211",
            None,
        );
        assert_eq!(
            d.reply,
            "Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.211"
        );
    }

    #[test]
    fn a_receivers_smtpd_reject_names_the_client() {
        let (client, reply) = smtpd_reject("NOQUEUE: reject: RCPT from out.example[192.0.2.200]: 554 5.7.1 Service unavailable; Client host [192.0.2.200] blocked using bl.spamcop.net; from=<a@b> to=<c@d> proto=ESMTP").unwrap();
        assert_eq!(client, "192.0.2.200".parse::<std::net::IpAddr>().unwrap());
        assert!(reply.starts_with("554 5.7.1 Service unavailable"));
        assert!(reply.ends_with("bl.spamcop.net"));
    }
}
