//! Classification of receiver replies through the `RULES` table.

pub mod platform;
pub mod rules;

use regex::{Regex, RegexSet, RegexSetBuilder};
use rules::{Class, Permanence, Rule, RULES, UNCLASSIFIED};
use std::sync::LazyLock;

/// Index into `RULES`; `RULES.len()` stands for "unclassified".
pub type RuleIdx = u16;

pub const UNCLASSIFIED_IDX: RuleIdx = RULES.len() as RuleIdx;

static RULE_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSetBuilder::new(RULES.iter().map(|r| r.pattern))
        .case_insensitive(true)
        .dot_matches_new_line(true)
        .size_limit(64 << 20)
        .build()
        .expect("RULES patterns are valid regexes (checked by tests)")
});

/// Microsoft's internal anti-spam rule IDs: `(S3140)`, `(AS3150)`, `AS(1430)`, `(AS16012609)`.
static RECEIVER_RULE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((A?S[0-9]{3,9})\)|\bAS\(([0-9]{2,9})\)").expect("valid regex"));

/// `550 5.7.606 ...`, `550-5.7.1 ...`, `451 4.7.650 ...`, or a bare `554 ...`.
static REPLY_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([2-5][0-9][0-9])(?:[ -]([2-5]\.[0-9]{1,3}\.[0-9]{1,3})\b)?")
        .expect("valid regex")
});

pub fn rule(idx: RuleIdx) -> &'static Rule {
    RULES.get(idx as usize).unwrap_or(&UNCLASSIFIED)
}

/// The first rule (in table order) whose pattern matches `text`.
pub fn classify(text: &str) -> RuleIdx {
    RULE_SET
        .matches(text)
        .iter()
        .next()
        .map_or(UNCLASSIFIED_IDX, |i| i as RuleIdx)
}

/// The receiver's internal rule ID quoted in the reply (`S3140`, `AS(1430)`), if any.
pub fn receiver_rule_id(text: &str) -> Option<String> {
    let caps = RECEIVER_RULE_ID.captures(text)?;
    if let Some(m) = caps.get(1) {
        Some(m.as_str().to_string())
    } else {
        caps.get(2).map(|m| format!("AS({})", m.as_str()))
    }
}

/// The reply's enhanced status code (`5.7.606`), else its basic code (`554`).
pub fn reply_code(reply: &str) -> Option<&str> {
    let caps = REPLY_CODE.captures(reply.trim_start())?;
    caps.get(2).or_else(|| caps.get(1)).map(|m| m.as_str())
}

/// Permanence of one event: the rule's, or the reply code's first digit when the rule defers to it.
pub fn permanence_of(rule: &Rule, code: &str) -> &'static str {
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

/// Class used when a line has no rule (kept here so reports need not know the table layout).
pub fn class_of(idx: RuleIdx) -> Class {
    rule(idx).class
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_example_classifies_as_that_rule() {
        for (i, r) in RULES.iter().enumerate() {
            let got = classify(r.example);
            assert_eq!(
                rule(got).id,
                r.id,
                "example of rule #{i} {} classified as {}",
                r.id,
                rule(got).id
            );
        }
    }

    #[test]
    fn rule_ids_are_unique_and_routes_exist_for_blocks() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
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
    fn reply_codes() {
        assert_eq!(reply_code("550 5.7.606 Access denied"), Some("5.7.606"));
        assert_eq!(reply_code("550-5.7.1 [1.2.3.4 1] Our"), Some("5.7.1"));
        assert_eq!(reply_code("554 IP=98.130.1.230 - A problem"), Some("554"));
        assert_eq!(reply_code("Connection timed out"), None);
    }
}
