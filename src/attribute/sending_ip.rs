//! Where the sending IP of a delivery comes from, best source first.
//!
//! Postfix never logs the local address of an outbound connection. The receiver often quotes it
//! in its reply; multi-instance setups name the instance after it; otherwise a VPS with a single
//! address of the connection's family must have used that one. The `host X[ip]` in a Postfix
//! line is the *receiver's* address and is never used.

use regex::Regex;
use std::net::IpAddr;
use std::sync::LazyLock;

/// Something shaped like an address (IPv4, IPv6, IPv4-mapped IPv6); parsed and checked after.
const ADDR: &str = r"([0-9A-Fa-f:.]{2,45})";

/// Phrases receivers put before the connecting (our) address.
static BEFORE_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        concat!(
            r"(?i)(?:",
            r"messages from [\[(]?|",
            r"banned sending IP \[?|",
            r"banned sender ?\[|",
            r"\bclient host \[?|",
            r"\bclient \[|",
            r"the mail server \[|",
            r"try again later from \[|",
            r"\bmail from (?:IP )?[\[<]?|",
            r"\bconnections? from \[?|",
            r"\baccepted from \[?|",
            r"\bsending IPv6 address \[|",
            r"\bIP(?:v[46])?(?: address)?(?:\s*[:=]\s*|\s+)\[?|",
            r"\bSPF:\s*\[?|",
            r"\bfrom \[|",
            r"cannot find your (?:reverse )?hostname, \[|",
            r"\blocation \[|possibly forged \[|\bRCPT from [^\s\[]*\[|",
            r"\bcomcast |\bfor host |reverse DNS for |PTR record for |\([a-z0-9.-]+\.[a-z]{{2,}} - |",
            r"<[^\s<>\[\]]*\[|",
            r"\bDNSBL:\S+ [0-9]{{3}}<\s*|",
            r"^[45][0-9][0-9][ -](?:[245]\.[0-9]{{1,3}}\.[0-9]{{1,3}} )?\[",
            r")(?:IPv6:)?{ADDR}"
        ),
        ADDR = ADDR
    ))
    .expect("valid regex")
});

/// Phrases receivers put after it: `1.2.3.4 is listed`, `[1.2.3.4] blocked`, `< 1.2.3.4 >_is_blocked`.
static AFTER_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        concat!(
            r"(?i)(?:^|[\s\[(<])(?:IPv6:)?{ADDR}\]?(?::[0-9]{{1,5}})?\)?\s*>?_?(?:",
            r"is in (?:a|an|the) (?:black ?list|block ?list|RBL)|has a poor reputation|is not (?:yet )?authorized|",
            r"(?:is|was|has been|appears to be|is currently|currently)[\s_]+(?:listed|blocked|black ?listed|block ?listed|not allowed|banned|rejected|on )|",
            r"(?:listed|blocked|blacklisted|blocklisted|found on|rejected)\b",
            r")"
        ),
        ADDR = ADDR
    ))
    .expect("valid regex")
});

/// A reply that ends with the client in brackets: `... IP name possibly forged [192.0.2.1]`.
static TRAILING_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"\[(?:IPv6:)?{ADDR}\]\.?\s*$", ADDR = ADDR)).expect("valid regex")
});

/// A receiver's lookup link names the client: `query/ip/1.2.3.4`, `?ip=1.2.3.4`, `bl.shtml?1.2.3.4`.
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)https?://[^\s<>()\]]+").expect("valid regex"));
static ADDRESS_IN_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"[/?&=]{ADDR}(?:[/&#;,]|$)", ADDR = ADDR)).expect("valid regex")
});

fn parse_candidate(text: &str) -> Option<IpAddr> {
    let ip: IpAddr = text.trim_end_matches(['.', ':']).parse().ok()?;
    let ip = ip.to_canonical();
    (!ip.is_unspecified()).then_some(ip)
}

/// `[Your DNS IP: 192.0.2.1]`: the receiver's resolver (a DNSBL refusing its queries), not us.
fn names_a_resolver(text: &str, at: usize) -> bool {
    let before = text.get(at.saturating_sub(16)..at).unwrap_or("");
    let before = before.to_ascii_lowercase();
    before.contains("dns ip") || before.contains("resolver")
}

/// The address the receiver quotes as the connecting client: the earliest one a phrase or
/// lookup link marks as such. Never `receiver` (the MX's own address: a forwarder quoting its own
/// listing), nor the resolver Spamhaus names in an error return (`/returnc/`).
pub(crate) fn ip_from_reply(reply: &str, receiver: Option<IpAddr>) -> Option<IpAddr> {
    first_not_receiver(&quoted_candidates(reply), receiver)
}

/// Every address the reply quotes as the client (resolvers left out), earliest first (equal
/// positions in the order the finders found them): `ip_from_reply` without the receiver, which
/// differs per line while this depends on the reply alone (and is cached per reply).
pub fn quoted_candidates(reply: &str) -> Vec<IpAddr> {
    quoted_candidates_in(&crate::classify::matching_text(reply))
}

/// `quoted_candidates` of a reply already made `matching_text`.
pub(crate) fn quoted_candidates_in(text: &str) -> Vec<IpAddr> {
    let mut candidates: Vec<(usize, IpAddr)> = Vec::new();
    for re in [&*BEFORE_ADDRESS, &*AFTER_ADDRESS, &*TRAILING_ADDRESS] {
        candidates.extend(re.captures_iter(text).filter_map(|c| {
            let m = c.get(1)?;
            Some((m.start(), parse_candidate(m.as_str())?))
        }));
    }
    for url in URL.find_iter(text) {
        if url.as_str().contains("/returnc/") {
            continue;
        }
        candidates.extend(ADDRESS_IN_URL.captures_iter(url.as_str()).filter_map(|c| {
            let m = c.get(1)?;
            Some((url.start() + m.start(), parse_candidate(m.as_str())?))
        }));
    }
    candidates.retain(|(at, _)| !names_a_resolver(text, *at));
    // Stable: of equal positions the first found stays first, as `min_by_key` picked it.
    candidates.sort_by_key(|(at, _)| *at);
    candidates.into_iter().map(|(_, ip)| ip).collect()
}

/// The earliest quoted candidate that is not the MX's own address.
pub(crate) fn first_not_receiver(
    candidates: &[IpAddr],
    receiver: Option<IpAddr>,
) -> Option<IpAddr> {
    // Candidates are unmapped (`parse_candidate`): compare the MX's address unmapped too.
    let receiver = receiver.map(|ip| ip.to_canonical());
    candidates.iter().copied().find(|ip| Some(*ip) != receiver)
}

/// An address embedded in a syslog name: `postfix-198.51.100.7`, `postfix-2001:db8::7/out`
/// (IPv4-mapped `postfix-::ffff:198.51.100.7` is the IPv4 address).
pub(crate) fn ip_from_syslog_name(name: &str) -> Option<IpAddr> {
    name.split('/')
        .find_map(|part| {
            part.parse::<IpAddr>()
                .ok()
                .or_else(|| part.split_once('-').and_then(|(_, rest)| rest.parse().ok()))
        })
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(reply: &str) -> Option<IpAddr> {
        ip_from_reply(reply, None)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn quoted_ips() {
        assert_eq!(
            quoted("550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent."),
            ip("198.51.100.7")
        );
        assert_eq!(
            quoted(
                "550 SC-001 (BAY004-MC4F25) Unfortunately, messages from 46.4.35.141 weren't sent."
            ),
            ip("46.4.35.141")
        );
        assert_eq!(
            quoted("550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To"),
            ip("203.0.113.25")
        );
        assert_eq!(
            quoted("550 5.7.511 Access denied, banned sender[203.0.113.40]. To"),
            ip("203.0.113.40")
        );
        assert_eq!(
            quoted("554 5.7.1 Service unavailable; Client host [192.0.2.33] blocked using zen"),
            ip("192.0.2.33")
        );
        assert_eq!(
            quoted("451 4.7.650 The mail server [198.51.100.9] has been temporarily"),
            ip("198.51.100.9")
        );
        assert_eq!(
            quoted("421 4.7.0 [TSS04] Messages from 10.20.30.40 temporarily deferred"),
            ip("10.20.30.40")
        );
        assert_eq!(
            quoted("451 4.7.500 Server busy. Please try again later from [2.56.250.16]. (S77714)"),
            ip("2.56.250.16")
        );
        assert_eq!(
            quoted("550-5.7.1 [2001:db8:10::25      12] Our system has detected"),
            ip("2001:db8:10::25")
        );
        assert_eq!(
            quoted("550-5.7.1 [31.14.138.158 1] Our system"),
            ip("31.14.138.158")
        );
        assert_eq!(
            quoted("554-Service unavailable; Client host [bl11-253-215.dsl.telepac.pt] blocked"),
            None
        );
        assert_eq!(
            quoted("550 5.1.1 <x@example.com>: Recipient address rejected: User unknown"),
            None
        );
    }

    #[test]
    fn every_published_form_of_the_client_address() {
        for (reply, want) in [
            ("NOQUEUE: client [192.0.2.5] blocked using zen.spamhaus.org", "192.0.2.5"),
            ("554 5.7.1 Client host 192.0.2.6 blocked using bl.spamcop.net", "192.0.2.6"),
            ("554 IP address 192.0.2.7 rejected [IP reputation fail]", "192.0.2.7"),
            ("550 Mail from 192.0.2.8 not allowed", "192.0.2.8"),
            ("421 Messages not accepted from 192.0.2.9, try later", "192.0.2.9"),
            (
                "550-5.7.26 did not 550-5.7.26 pass with ip: [192.0.2.10]. The sender",
                "192.0.2.10",
            ),
            ("550 5.5.0 SPF: 192.0.2.11 is not allowed to send mail. LPN004_401", "192.0.2.11"),
            (
                "554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=192.0.2.12&r=1",
                "192.0.2.12",
            ),
            ("see http://csi.cloudmark.com/reset-request/?ip=192.0.2.13", "192.0.2.13"),
            ("550 5.7.1 Access denied [IPv6:2001:db8::14] is listed", "2001:db8::14"),
            ("554 client [::ffff:192.0.2.15] blocked using zen", "192.0.2.15"),
            ("5.7.1 Relaying denied. IP name possibly forged [192.0.2.16]", "192.0.2.16"),
            ("553 5.3.0 flpd594 DNSBL:RBL 521< 192.0.2.17 >_is_blocked.For", "192.0.2.17"),
            ("Rejected because 192.0.2.18 is in a black list at b.barracudacentral.org", "192.0.2.18"),
        ] {
            assert_eq!(quoted(reply), ip(want), "{reply}");
        }
    }

    #[test]
    fn the_receivers_own_address_and_spamhaus_resolvers_are_never_the_sender() {
        let mx: IpAddr = "203.0.113.50".parse().unwrap();
        assert_eq!(
            ip_from_reply(
                "554 Client host [203.0.113.50] blocked using zen.spamhaus.org",
                Some(mx)
            ),
            None
        );
        assert_eq!(
            ip_from_reply(
                "554 Client host [203.0.113.50] blocked using zen.spamhaus.org",
                Some("::ffff:203.0.113.50".parse().unwrap())
            ),
            None,
            "an MX logged IPv4-mapped is still the MX"
        );
        assert_eq!(
            quoted("554 5.7.1 Sender address [a@example.org] blocked using dbl.spamhaus.org; Error: open resolver; https://check.spamhaus.org/returnc/pub/13.66.150.136/"),
            None
        );
        assert_eq!(
            quoted("421 4.7.0 [TSS04] Messages from 0.0.0.0 temporarily deferred"),
            None
        );
    }

    #[test]
    fn syslog_name_ips() {
        assert_eq!(
            ip_from_syslog_name("postfix-198.51.100.7"),
            ip("198.51.100.7")
        );
        assert_eq!(
            ip_from_syslog_name("postfix-::ffff:198.51.100.7/smtp"),
            ip("198.51.100.7"),
            "IPv4-mapped names the IPv4 address"
        );
        assert_eq!(ip_from_syslog_name("postfix-out"), None);
        assert_eq!(ip_from_syslog_name("postfix/out2"), None);
        assert_eq!(ip_from_syslog_name("postfix"), None);
    }
}
