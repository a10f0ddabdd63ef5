//! Delisting cases: one request to a receiver to lift a block (the ranges as submitted, the
//! ticket), what the receiver answered, and how it ended. `case` records them, every run joins
//! the open ones with the night's evidence (`aggregate::cases`), `state::cases` keeps them.

use chrono::NaiveDate;
use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What a receiver said about a request, in the words of Microsoft's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum CaseResult {
    /// "Mitigated": the block is being removed (24-48 hours to take effect).
    Mitigated,
    /// "Conditionally mitigated": "These IP(s) have been unblocked, but may be subject to low
    /// daily email limits until they have established a good reputation".
    ConditionallyMitigated,
    /// "Not qualified for mitigation": refused; a reply on the ticket reaches a person.
    NotQualified,
    /// A person took the ticket ("we will look into this issue").
    Escalated,
    /// "We were unable to identify anything on our side that would prevent your mail": nothing
    /// Microsoft sees blocks the address; a reply with the bounces reaches a person.
    NothingFound,
    /// The receiver asks the hosting company to confirm it owns the range.
    OwnershipRequested,
    /// Support closed the case.
    Closed,
}

impl CaseResult {
    /// The name `case answer --result` takes and the reports write.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CaseResult::Mitigated => "mitigated",
            CaseResult::ConditionallyMitigated => "conditionally-mitigated",
            CaseResult::NotQualified => "not-qualified",
            CaseResult::Escalated => "escalated",
            CaseResult::NothingFound => "nothing-found",
            CaseResult::OwnershipRequested => "ownership-requested",
            CaseResult::Closed => "closed",
        }
    }

    /// How a person says it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CaseResult::Mitigated => "mitigated",
            CaseResult::ConditionallyMitigated => "conditionally mitigated",
            CaseResult::NotQualified => "not qualified for mitigation",
            CaseResult::Escalated => "escalated to a person",
            CaseResult::NothingFound => "found nothing blocking on its side",
            CaseResult::OwnershipRequested => "asked us to confirm we own the range",
            CaseResult::Closed => "closed",
        }
    }
}

/// One answer, as recorded (`case answer`) or read from the receiver's mail (`case import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Answer {
    pub(crate) result: CaseResult,
    pub(crate) date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// The imported mail's Message-ID (or file name), so importing it twice records it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mail: Option<String>,
}

/// Why a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ClosedBy {
    /// `case answer --result closed`.
    Support,
    /// The run saw no block on its ranges for the configured number of nights.
    Quiet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Closing {
    pub(crate) date: NaiveDate,
    pub(crate) by: ClosedBy,
}

/// One delisting request and its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Case {
    /// `C1`, `C2`, ... in the order opened.
    pub(crate) id: String,
    /// The outbound IPs or ranges as submitted.
    pub(crate) ranges: Vec<IpNetwork>,
    /// A receiver platform (`outlook.com`, `office365`, ...; `classify::platform::PLATFORMS`).
    pub(crate) receiver: String,
    /// The receiver's ticket number (`SRX...ID` for Outlook.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ticket: Option<String>,
    /// The day the request was submitted; for a recurrence not yet submitted, the day the block
    /// came back.
    pub(crate) opened: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
    /// False for a recurrence the run opened: nothing has been sent to the receiver yet.
    pub(crate) submitted: bool,
    #[serde(default)]
    pub(crate) answers: Vec<Answer>,
    /// The case this one recurs (the range was blocked again after it closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) previous: Option<String>,
    /// The case opened when this one's range was blocked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reopened_as: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) closed: Option<Closing>,
    /// The latest block seen on the ranges at this receiver (Unix micros), over every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_block_seen: Option<i64>,
    /// What the latest nightly run concluded, for `case list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checked: Option<Checked>,
}

/// One nightly run's verdict on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checked {
    pub(crate) night: NaiveDate,
    pub(crate) still_blocked: bool,
    /// cases.csv's `next_action`.
    pub(crate) next_action: String,
}

impl Case {
    /// A request just made (`submitted`) or a recurrence the run found (not yet submitted).
    pub(crate) fn new(
        id: String,
        ranges: Vec<IpNetwork>,
        receiver: String,
        opened: NaiveDate,
        submitted: bool,
    ) -> Case {
        Case {
            id,
            ranges,
            receiver,
            ticket: None,
            opened,
            note: None,
            submitted,
            answers: Vec::new(),
            previous: None,
            reopened_as: None,
            closed: None,
            last_block_seen: None,
            checked: None,
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    pub(crate) fn last_answer(&self) -> Option<&Answer> {
        self.answers.last()
    }

    pub(crate) fn covers(&self, ip: IpAddr) -> bool {
        self.ranges.iter().any(|n| n.contains(ip))
    }

    pub(crate) fn overlaps(&self, other: IpNetwork) -> bool {
        self.ranges
            .iter()
            .any(|n| super::networks_overlap(*n, other))
    }

    /// The ranges as the form takes them: `198.51.100.0/24; 203.0.113.7`.
    pub(crate) fn range_text(&self) -> String {
        self.ranges
            .iter()
            .map(|n| match n {
                IpNetwork::V4(v) if v.prefix() == 32 => v.ip().to_string(),
                IpNetwork::V6(v) if v.prefix() == 128 => v.ip().to_string(),
                n => n.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether `key` names this case: its id or its ticket (any case).
    pub(crate) fn is_named(&self, key: &str) -> bool {
        self.id.eq_ignore_ascii_case(key)
            || self
                .ticket
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(key))
    }
}

/// Every case the state holds, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cases {
    pub(crate) version: u32,
    pub(crate) cases: Vec<Case>,
}

impl Cases {
    /// The id the next case gets.
    pub(crate) fn next_id(&self) -> String {
        let n = self
            .cases
            .iter()
            .filter_map(|c| c.id.strip_prefix('C')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        format!("C{}", n + 1)
    }

    /// The case a `case answer` argument names (id or ticket); an open one before a closed one
    /// when a ticket was reused.
    pub(crate) fn named(&self, key: &str) -> Option<usize> {
        let all: Vec<usize> = (0..self.cases.len())
            .filter(|&i| self.cases[i].is_named(key))
            .collect();
        all.iter()
            .rev()
            .find(|&&i| self.cases[i].is_open())
            .or(all.last())
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: &str, ranges: &[&str], ticket: Option<&str>) -> Case {
        let mut c = Case::new(
            id.into(),
            ranges.iter().map(|r| r.parse().unwrap()).collect(),
            "outlook.com".into(),
            NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            true,
        );
        c.ticket = ticket.map(String::from);
        c
    }

    #[test]
    fn range_text_is_the_forms_list() {
        let c = case("C1", &["198.51.100.0/24", "203.0.113.7/32"], None);
        assert_eq!(c.range_text(), "198.51.100.0/24; 203.0.113.7");
    }

    #[test]
    fn ids_count_up_and_tickets_name_cases() {
        let mut cases = Cases::default();
        assert_eq!(cases.next_id(), "C1");
        cases
            .cases
            .push(case("C1", &["198.51.100.0/24"], Some("SRX1234567890ID")));
        cases.cases.push(case("C9", &["203.0.113.0/28"], None));
        assert_eq!(cases.next_id(), "C10");
        assert_eq!(cases.named("srx1234567890id"), Some(0));
        assert_eq!(cases.named("c9"), Some(1));
        assert_eq!(cases.named("C2"), None);
    }
}
