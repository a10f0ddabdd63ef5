//! Classification of receiver replies through the `RULES` table.

pub(crate) mod platform;
pub mod rules;

use regex::Regex;
pub use rules::RuleSet;
use rules::{Permanence, Rule};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Receivers' own rule ids, each family in its usual dress: Microsoft's `(S3140)`, `(AS3150)`,
/// `AS(1430)`, `(AS16012609)`, `SC-001`, `DY-001`, `OU-002`, `RP-001`; Yahoo/AOL's `[TSS04]`,
/// `[IPTS04]`, `[BL21]`, `[PH01]`; Orange's `OFR004_104`; La Poste's `LPN007_510`; Comcast's
/// `BL000000`/`RL000001`; Apple's `[CS01]`; T-Online's trailing `(BL)`, `(DIAL)`; Rackspace's `(G2)`;
/// GoDaddy's `IB007`; FireEye's `ETP205`; Trend's `ERS-DUL`.
static RECEIVER_RULE_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\((A?S[0-9]{3,9})\)|\bAS\(([0-9]{2,9})\)",
        r"|\b((?:SC|DY|OU|RP)-00[0-9])\b",
        r"|\[((?:TSS|TS|IPTS|BL|PH|GL|RL|HM|CS|DYN)[0-9]{2})\]",
        r"|\b((?i:OFR)[0-9]{0,3}_[0-9]{3})\b",
        r"|\b(LPN[0-9]{3}(?:_[0-9]{3})?)\b",
        r"|\b((?:BL|RL|PL|FL|SL|HL|IL|DM)0000[0-9]{2})\b",
        r"|\(((?:CS|HM)[0-9]{2})\)",
        r#"|\((BL|DIAL|RBL|NOWL)\)[)"']?\s*$"#,
        r"|\bAUP#([A-Za-z0-9-]+)",
        r"|\b(ERS-[A-Z]{3})\b|\b(MXIN[0-9]{3})\b",
        r"|\b(sc[0-9]{3}): |rejected by policy \[(7\.[0-9])\]",
        r"|(?:gmx|web\.de|1und1|ionos)\S*[?&]c=([a-z0-9]+)",
        r"|\((G[0-9][0-9A-Z]?)\)|\b(IB[0-9]{3})\b|\b(ETP[0-9]{3})\b",
    ))
    .expect("valid regex")
});

/// `550 5.7.606 ...`, `550-5.7.1 ...`, `451 4.7.650 ...`, or a bare `554 ...`.
static REPLY_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([2-5][0-9][0-9])(?:[ -]([2-5]\.[0-9]{1,3}\.[0-9]{1,3})\b)?")
        .expect("valid regex")
});

/// The receiver's internal rule ID quoted in the reply (`S3140`, `AS(1430)`), if any.
pub(crate) fn receiver_rule_id(text: &str) -> Option<String> {
    let caps = RECEIVER_RULE_ID.captures(text)?;
    if let Some(m) = caps.get(2) {
        return Some(format!("AS({})", m.as_str()));
    }
    caps.iter()
        .skip(1)
        .flatten()
        .next()
        .map(|m| m.as_str().to_string())
}

/// The reply's enhanced status code (`5.7.606`), else its basic code (`554`).
pub(crate) fn reply_code(reply: &str) -> Option<&str> {
    let caps = REPLY_CODE.captures(reply.trim_start())?;
    caps.get(2).or_else(|| caps.get(1)).map(|m| m.as_str())
}

/// A continuation marker inside a joined multi-line reply: Postfix joins lines with a space
/// (`... domain's 550-5.7.26 DMARC policy`), Exim with a literal `\n` (`...\n550-5.7.1 ...`).
static CONTINUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:\\n|\s)+([245][0-9][0-9])(?:",
        r"-(?:([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:\s|\\n|$))?",
        r"|[ ]([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:\s|\\n|$)",
        r"|(?:\s|\\n|$))"
    ))
    .expect("valid regex")
});

/// The text rules and address finders look at: continuation markers of a multi-line reply
/// dropped (only markers repeating the reply's own code), Exim's `\n` joins and runs of
/// whitespace collapsed to one space. The original stays in `sample_reply`.
pub(crate) fn matching_text(reply: &str) -> Cow<'_, str> {
    let trimmed = reply.trim();
    let first = REPLY_CODE.captures(trimmed);
    let basic = first.as_ref().and_then(|c| c.get(1)).map(|m| m.as_str());
    let enhanced = first.as_ref().and_then(|c| c.get(2)).map(|m| m.as_str());
    let needs_work = trimmed.contains("\\n")
        || trimmed.contains(['\n', '\t', '\r'])
        || trimmed.contains("  ")
        || basic.is_some_and(|b| trimmed.len() > 4 && trimmed[4..].contains(b))
        || trimmed.len() != reply.len()
        || trimmed.matches(" 5.").count() + trimmed.matches(" 4.").count() > 1;
    if !needs_work {
        return Cow::Borrowed(reply);
    }
    // `550-5.7.26 text` opens like `550 5.7.26 text`.
    let mut text = match basic {
        Some(b) if trimmed.as_bytes().get(3) == Some(&b'-') => format!("{b} {}", &trimmed[4..]),
        _ => trimmed.to_string(),
    };
    if let Some(basic) = basic {
        // Twice: a marker's match takes the space the next one starts with.
        for _ in 0..2 {
            text = CONTINUATION
                .replace_all(&text, |c: &regex::Captures| {
                    let whole = &c[0];
                    let is_marker = &c[1] == basic && {
                        let at = whole.trim_start_matches(|ch: char| {
                            ch.is_whitespace() || ch == '\\' || ch == 'n'
                        });
                        // With a dash the marker is unambiguous; with a space only when the
                        // enhanced code repeats the first one, or right after Exim's `\n`.
                        at.as_bytes().get(3) == Some(&b'-')
                            || c.get(3).is_some_and(|e| Some(e.as_str()) == enhanced)
                            || whole.starts_with("\\n")
                    };
                    if is_marker {
                        " ".to_string()
                    } else {
                        whole.to_string()
                    }
                })
                .into_owned();
        }
    }
    let text = text.replace("\\n", " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Cow::Owned(drop_repeated_enhanced_code(&text))
}

/// Some receivers (Gmail's bounces) prefix continuation lines with the enhanced code alone
/// (`... potential 5.7.0 security issue`): drop its repeats after the opening one.
fn drop_repeated_enhanced_code(text: &str) -> String {
    let opening = REPLY_CODE
        .captures(text)
        .and_then(|c| c.get(2))
        .map(|m| (m.as_str(), m.end()))
        .or_else(|| {
            let first = text.split(' ').next()?;
            let is_enhanced = first.split('.').count() == 3
                && first
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                && first.starts_with(['2', '4', '5']);
            is_enhanced.then_some((first, first.len()))
        });
    let Some((code, end)) = opening else {
        return text.to_string();
    };
    let marker = format!(" {code} ");
    let (head, tail) = text.split_at(end);
    format!(
        "{head}{}",
        format!("{tail} ").replace(&marker, " ").trim_end()
    )
}

/// (pattern, replacement) applied in order by `normalise_reply`.
static MASKS: LazyLock<[(Regex, &'static str); 3]> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).expect("valid regex");
    [
        (re(r"[^\s<>\[\]()]+@[A-Za-z0-9.-]+"), "<address>"),
        (re(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+Z?"), "<time>"),
        (
            re(r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b|\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b"),
            "<ip>",
        ),
    ]
});

/// Words with a digit in them: ids, serials, host names with numbers.
static ID_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z0-9][A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*\b").expect("valid regex")
});

/// A reply with addresses, IPs, timestamps and ids masked, so equal replies group together
/// (`summary/unclassified.csv`). Status codes (`550`, `5.7.1`) are kept.
pub(crate) fn normalise_reply(reply: &str) -> String {
    let mut text = reply.to_string();
    for (re, with) in MASKS.iter() {
        text = re.replace_all(&text, *with).into_owned();
    }
    let text = ID_TOKEN.replace_all(&text, |c: &regex::Captures| {
        let t = &c[0];
        let is_code = t.len() <= 9
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
        if is_code || t.len() < 6 {
            t.to_string()
        } else {
            "<id>".to_string()
        }
    });
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Permanence of one event: the rule's, or the reply code's first digit when the rule defers to it.
pub(crate) fn permanence_of(rule: &Rule, code: &str) -> &'static str {
    match rule.permanence {
        Permanence::FromReplyCode => {
            if code.starts_with('4') {
                "temporary"
            } else if code.starts_with('5') {
                "permanent"
            } else {
                "unknown"
            }
        }
        p => p.as_str(),
    }
}

static ADDRESS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i)[a-z0-9._%+=!#$&'*/?^`{|}~-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})")
        .expect("the address pattern compiles")
});

/// Domains where only receivers' own mailboxes live (their delisting and abuse desks, quoted in
/// their replies' instructions): no customer's recipient is ever there.
const RECEIVER_DOMAINS: &[&str] = &[
    "messaging.microsoft.com",
    "rx.t-online.de",
    "abuse.earthlink.net",
    "abuse-att.net",
];

/// Receivers' instruction mailboxes at domains that also hold people (Microsoft's 5.7.511 desk,
/// Apple's and Proofpoint's delisting desks), matched whole.
const RECEIVER_MAILBOXES: &[&str] = &[
    "delist@microsoft.com",
    "icloudadmin@apple.com",
    "delist-request@proofpoint.com",
];

/// An address the receiver wrote as an instruction ("forward this message to
/// delist@messaging.microsoft.com"): part of the receiver's text, never a recipient.
fn is_receiver_mailbox(address: &str, domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    RECEIVER_MAILBOXES
        .iter()
        .any(|m| m.eq_ignore_ascii_case(address))
        || RECEIVER_DOMAINS
            .iter()
            .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
}

/// A reply with recipient addresses cut to their domain (`<*@example.com>`): reports carry the
/// receiving domain, not who the mail was for, unless `--recipient-detail full`. The receiver's
/// own mailboxes stay whole: support pastes the reply into the receiver's form or mails that
/// very address (`is_receiver_mailbox`).
pub(crate) fn redact_addresses(reply: &str) -> std::borrow::Cow<'_, str> {
    if !reply.contains('@') {
        return std::borrow::Cow::Borrowed(reply);
    }
    ADDRESS.replace_all(reply, |c: &regex::Captures<'_>| {
        if is_receiver_mailbox(&c[0], &c[1]) {
            c[0].to_string()
        } else {
            format!("*@{}", &c[1])
        }
    })
}

/// A reply as the reports and `explain` show it: recipients cut to their domain
/// (`redact_addresses`) unless `--recipient-detail full`.
pub(crate) fn shown_reply(
    reply: &str,
    detail: crate::model::RecipientDetail,
) -> std::borrow::Cow<'_, str> {
    match detail {
        crate::model::RecipientDetail::Domain => redact_addresses(reply),
        crate::model::RecipientDetail::Full => std::borrow::Cow::Borrowed(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(example: &str) -> &str {
        reply_code(example).unwrap_or("")
    }

    #[test]
    fn masking_keeps_the_receivers_own_mailboxes_whole() {
        let ndr = "550 5.7.511 Access denied, banned sender[192.0.2.14]. To request removal from this list please forward this message to delist@messaging.microsoft.com. <buyer@fabrikam.com>";
        assert_eq!(
            redact_addresses(ndr),
            ndr.replace("buyer@fabrikam.com", "*@fabrikam.com")
        );
        assert_eq!(
            redact_addresses("mail Delist@Microsoft.com, not bob@microsoft.com"),
            "mail Delist@Microsoft.com, not *@microsoft.com"
        );
        // A look-alike domain is a recipient's.
        assert_eq!(
            redact_addresses("x@notmessaging.microsoft.com.evil.example"),
            "*@notmessaging.microsoft.com.evil.example"
        );
    }

    #[test]
    fn every_rule_example_classifies_as_that_rule() {
        let set = RuleSet::builtin();
        for r in set.rules() {
            let hits: Vec<&str> = set
                .matching(&r.example, code_of(&r.example))
                .iter()
                .map(|&i| set.rule(i).id.as_str())
                .collect();
            assert_eq!(
                hits.first().copied(),
                Some(r.id.as_str()),
                "example of {} is classified by {hits:?}",
                r.id
            );
        }
    }

    #[test]
    fn rule_ids_are_unique_and_blocks_have_routes() {
        let set = RuleSet::builtin();
        let mut ids: Vec<_> = set.rules().iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), set.rules().len());
        for r in set.rules() {
            if r.class.is_block() {
                assert!(!r.delist_route.is_empty(), "{} needs a delist route", r.id);
            }
        }
    }

    #[test]
    fn receiver_rule_ids_are_captured() {
        assert_eq!(
            receiver_rule_id("... block list (S3140). You").as_deref(),
            Some("S3140")
        );
        assert_eq!(
            receiver_rule_id("... block list (AS3150). You").as_deref(),
            Some("AS3150")
        );
        assert_eq!(
            receiver_rule_id("LinkID=526655 AS(1430)").as_deref(),
            Some("AS(1430)")
        );
        assert_eq!(
            receiver_rule_id("(AS16012609)").as_deref(),
            Some("AS16012609")
        );
        assert_eq!(receiver_rule_id("no id here"), None);
    }

    #[test]
    fn normalised_replies_group_equal_replies() {
        let a = normalise_reply("451 4.7.1 Service unavailable for <bob@example.org> from [192.0.2.30] at 2026-11-02T10:00:01Z ref 08DE2A19D02BF789");
        let b = normalise_reply("451 4.7.1 Service unavailable for <eve@example.net>  from [2001:db8::7] at 2026-11-03T11:00:00Z ref 08DE6C12E206EF5D");
        assert_eq!(a, b);
        assert_eq!(
            a,
            "451 4.7.1 Service unavailable for <<address>> from [<ip>] at <time> ref <id>"
        );
    }

    #[test]
    fn multi_line_markers_are_dropped_before_matching() {
        assert_eq!(
            matching_text("550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's 550-5.7.26 DMARC policy. Please contact 550 5.7.26 the administrator"),
            "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator"
        );
        assert_eq!(
            matching_text(
                r"550-Verification failed for <a@b.example>\n550-Unrouteable address\n550 Sender verify failed"
            ),
            "550 Verification failed for <a@b.example> Unrouteable address Sender verify failed"
        );
        // A number that merely equals the code is text, not a marker.
        assert_eq!(
            matching_text("552 5.3.4 Message size exceeds 552 bytes"),
            "552 5.3.4 Message size exceeds 552 bytes"
        );
        assert_eq!(matching_text("550 5.7.1 one line"), "550 5.7.1 one line");
        // Gmail's bounce prefixes continuation lines with the enhanced code alone.
        assert_eq!(
            matching_text("552 5.7.0 This message was blocked because its content presents a potential 5.7.0 security issue."),
            "552 5.7.0 This message was blocked because its content presents a potential security issue."
        );
    }

    #[test]
    fn receiver_rule_ids_of_every_family() {
        for (reply, id) in [
            (
                "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred",
                "TSS04",
            ),
            (
                "421 [IPTS04] Messages from a.b.c.d temporarily deferred",
                "IPTS04",
            ),
            (
                "554 5.7.1 [CS01] Message rejected due to local policy.",
                "CS01",
            ),
            (
                "421 ... Too many connections, slow down. OFR004_104 [104]",
                "OFR004_104",
            ),
            ("550 5.5.0 Service refuse. LPN007_510", "LPN007_510"),
            (
                "see http://postmaster.comcast.net/smtp-error-codes.php#BL000000",
                "BL000000",
            ),
            (
                "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster) (BL)",
                "BL",
            ),
            ("550 sender rejected. AUP#CDRBL", "CDRBL"),
            (
                "554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip",
                "r0201",
            ),
            (
                "550 SC-001 (BAY004-MC4F25) Unfortunately, messages from",
                "SC-001",
            ),
        ] {
            assert_eq!(receiver_rule_id(reply).as_deref(), Some(id), "{reply}");
        }
    }

    #[test]
    fn reply_codes() {
        assert_eq!(reply_code("550 5.7.606 Access denied"), Some("5.7.606"));
        assert_eq!(reply_code("550-5.7.1 [1.2.3.4 1] Our"), Some("5.7.1"));
        assert_eq!(reply_code("554 IP=98.130.1.230 - A problem"), Some("554"));
        assert_eq!(reply_code("Connection timed out"), None);
    }
}
