//! The nightly join of the delisting cases with the evidence: is each range still blocked at its
//! receiver (bounces, SNDS), how long it has been quiet, what support does next. The join also
//! moves cases on: a case quiet for the configured nights closes, and a closed case whose range
//! is blocked again opens a recurrence linked to it.

use super::{Aggregates, IpRow};
use crate::classify::rules::DelistForm;
use crate::model::case::{Case, CaseResult, Cases, Checked, ClosedBy, Closing};
use crate::model::day::{start_of_utc_date, utc_date, DAY_MICROS};
use chrono::NaiveDate;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Hours a receiver gives a lifted block to take effect. Outlook.com: "Mitigation may take
/// 24 - 48 hours to replicate completely throughout our system"; Office 365: "there may be a 1-2
/// hour delay before this change propagates" (tests/fixtures/cases/SOURCES.md). Others: as
/// Outlook.com, the longer.
pub(crate) fn mitigation_hours(receiver: &str) -> i64 {
    match receiver {
        "office365" => 2,
        _ => 48,
    }
}

/// The end of the time a lifted block takes: the answer's day is all we know of its time, so
/// the hours count from that day's end.
pub(crate) fn lifted_by(receiver: &str, answered: NaiveDate) -> i64 {
    start_of_utc_date(answered) + DAY_MICROS + mitigation_hours(receiver) * 3_600_000_000
}
/// Closed cases stay in the reports this many days after they close.
const SHOW_CLOSED_DAYS: i64 = 14;

/// The night the join speaks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Night {
    /// The end of the evidence (the window's last log time), Unix micros.
    pub(crate) end: i64,
    /// Whether the night may move cases on (close, reopen): a nightly run with log lines. An
    /// explicit window or a night without any log line only reports.
    pub(crate) conclude: bool,
    /// Nights without a block after which a case closes.
    pub(crate) quiet_nights: u32,
}

/// What support does next on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextAction {
    /// A recurrence: nothing sent yet; submit the form again, quoting the earlier ticket.
    Submit,
    /// Submitted, no answer recorded yet.
    AwaitAnswer,
    /// "Not qualified" or "conditionally mitigated" (or still blocked 48 h after "mitigated"):
    /// reply on the ticket to reach a person.
    ReplyOnTicket,
    /// A person has the ticket: wait for their reply.
    AwaitPerson,
    /// The receiver asked us to confirm we own the range: send the attestation.
    SendAttestation,
    /// "Mitigated" within the receiver's `mitigation_hours`: the block lifts within that time.
    AwaitMitigation { until: i64 },
    /// Quiet since the last block, not yet for long enough to close.
    Watch,
    /// Closed (tonight or before).
    Closed,
}

impl NextAction {
    /// The `next_action` value of cases.csv.
    pub(crate) fn code(self) -> &'static str {
        match self {
            NextAction::Submit => "submit",
            NextAction::AwaitAnswer => "await-answer",
            NextAction::ReplyOnTicket => "reply-on-ticket",
            NextAction::AwaitPerson => "await-person",
            NextAction::SendAttestation => "send-attestation",
            NextAction::AwaitMitigation { .. } => "await-mitigation",
            NextAction::Watch => "watch",
            NextAction::Closed => "closed",
        }
    }
}

/// One case as the night's reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaseRow {
    pub(crate) case: Case,
    /// A block on the ranges at the receiver within the last 24 hours of the evidence.
    pub(crate) still_blocked: bool,
    /// Our addresses in the ranges the receiver blocks tonight.
    pub(crate) blocked_ips: BTreeSet<IpAddr>,
    /// Whole days from submission to the night.
    pub(crate) days_open: i64,
    /// Whole days since the last block (since submission when none was seen).
    pub(crate) quiet_nights: i64,
    pub(crate) action: NextAction,
    /// The night's date (UTC).
    pub(crate) night: NaiveDate,
}

/// The cases the reports show, and the cases to save when the night concludes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CaseReport {
    pub(crate) rows: Vec<CaseRow>,
    pub(crate) quiet_nights: u32,
}

/// Join `cases` with the night's rows: updates the cases (last block seen; with
/// `night.conclude` closings and recurrences) and returns the rows the reports show.
pub(crate) fn join(cases: &mut Cases, agg: &Aggregates, night: Night) -> CaseReport {
    let date = utc_date(night.end);
    if night.conclude {
        reopen_recurrences(cases, agg, night.end);
    }
    let mut rows = Vec::new();
    for case in cases.cases.iter_mut() {
        // A closed case's story has ended: a new block belongs to its recurrence.
        let blocks = if case.is_open() {
            blocks_on(agg, case, night.end)
        } else {
            Vec::new()
        };
        if let Some(last) = blocks.iter().map(|(_, t)| *t).max() {
            case.last_block_seen = Some(case.last_block_seen.map_or(last, |l| l.max(last)));
        }
        let (still_blocked, quiet_nights) = blocked_and_quiet(case, night.end);
        let mut action = next_action(case, still_blocked, quiet_nights, night);
        if action == NextAction::Watch
            && night.conclude
            && quiet_nights >= i64::from(night.quiet_nights)
        {
            case.closed = Some(Closing {
                date,
                by: ClosedBy::Quiet,
            });
            action = NextAction::Closed;
        }
        if night.conclude {
            case.checked = Some(Checked {
                night: date,
                still_blocked,
                next_action: action.code().to_string(),
            });
        }
        if !shown(case, date) {
            continue;
        }
        rows.push(CaseRow {
            case: case.clone(),
            still_blocked,
            blocked_ips: blocks.iter().map(|(ip, _)| *ip).collect(),
            days_open: (date - case.opened).num_days().max(0),
            quiet_nights,
            action,
            night: date,
        });
    }
    CaseReport {
        rows,
        quiet_nights: night.quiet_nights,
    }
}

/// Whether an open case was blocked within the last 24 hours before `end`, and the whole days
/// since its last block (since its submission when none was seen; 0 while blocked).
fn blocked_and_quiet(case: &Case, end: i64) -> (bool, i64) {
    let still_blocked =
        case.is_open() && case.last_block_seen.is_some_and(|t| t > end - DAY_MICROS);
    if still_blocked {
        return (true, 0);
    }
    let since = case
        .last_block_seen
        .unwrap_or(i64::MIN)
        .max(start_of_utc_date(case.opened));
    (false, ((end - since) / DAY_MICROS).max(0))
}

/// Open cases, and closed ones for two weeks after they closed.
fn shown(case: &Case, night: NaiveDate) -> bool {
    case.closed
        .is_none_or(|c| (night - c.date).num_days() <= SHOW_CLOSED_DAYS)
}

/// What support does next, before closing for quiet is considered.
fn next_action(case: &Case, still_blocked: bool, quiet: i64, night: Night) -> NextAction {
    if !case.is_open() {
        return NextAction::Closed;
    }
    if !case.submitted {
        return NextAction::Submit;
    }
    let quiet_long = !still_blocked && quiet >= i64::from(night.quiet_nights);
    let Some(answer) = case.last_answer() else {
        return if quiet_long {
            NextAction::Watch
        } else {
            NextAction::AwaitAnswer
        };
    };
    match answer.result {
        CaseResult::Closed => NextAction::Closed,
        _ if quiet_long => NextAction::Watch,
        CaseResult::NotQualified | CaseResult::NothingFound => NextAction::ReplyOnTicket,
        CaseResult::OwnershipRequested => NextAction::SendAttestation,
        CaseResult::Escalated => NextAction::AwaitPerson,
        CaseResult::Mitigated | CaseResult::ConditionallyMitigated => {
            let until = lifted_by(&case.receiver, answer.date);
            let blocked_after = case.last_block_seen.is_some_and(|t| t >= until);
            if night.end < until {
                NextAction::AwaitMitigation { until }
            } else if still_blocked && blocked_after {
                // "Conditionally mitigated" unblocks too ("These IP(s) have been unblocked, but
                // may be subject to low daily email limits"): a block after that time is asked about.
                NextAction::ReplyOnTicket
            } else {
                NextAction::Watch
            }
        }
    }
}

/// A closed case whose ranges are blocked again after the day it closed opens a new case
/// (not yet submitted) that names it.
fn reopen_recurrences(cases: &mut Cases, agg: &Aggregates, end: i64) {
    // The range is the cases before tonight's recurrences, which are appended as found.
    for i in 0..cases.cases.len() {
        let case = &cases.cases[i];
        let Some(closing) = case.closed.filter(|_| case.reopened_as.is_none()) else {
            continue;
        };
        let after = start_of_utc_date(closing.date) + DAY_MICROS;
        let Some(first) = blocks_on(agg, case, end)
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| *t >= after)
            .min()
        else {
            continue;
        };
        let mut recurrence = Case::new(
            cases.next_id(),
            case.ranges.clone(),
            case.receiver.clone(),
            utc_date(first),
            false,
        );
        recurrence.previous = Some(case.id.clone());
        cases.cases[i].reopened_as = Some(recurrence.id.clone());
        cases.cases.push(recurrence);
    }
}

/// Our addresses in the case's ranges that its receiver blocks in the night's rows, with the
/// time of the latest block (SNDS, which has no time, counts as the night's end).
fn blocks_on(agg: &Aggregates, case: &Case, end: i64) -> Vec<(IpAddr, i64)> {
    agg.ips
        .iter()
        .filter(|r| r.is_current() && blocks_at(agg, r, &case.receiver))
        .filter_map(|r| {
            let ip = r.ip.filter(|ip| case.covers(*ip))?;
            Some((ip, if r.events > 0 { r.last_seen } else { end }))
        })
        .collect()
}

/// The open, submitted case whose ranges hold this row's address and whose receiver lifts this
/// row's block: the request the pack must not repeat and the customer's notice speaks of.
pub(crate) fn open_request_for<'a>(agg: &'a Aggregates, r: &IpRow) -> Option<&'a CaseRow> {
    let ip = r.ip?;
    agg.cases.as_ref()?.rows.iter().find(|c| {
        c.case.is_open()
            && c.case.submitted
            && c.case.covers(ip)
            && blocks_at(agg, r, &c.case.receiver)
    })
}

/// Whether this row is a block the receiver's delisting lifts.
pub(crate) fn blocks_at(agg: &Aggregates, r: &IpRow, receiver: &str) -> bool {
    match receiver {
        "outlook.com" => r.is_outlook_com_request(),
        "office365" => matches!(
            agg.delist_form(&r.rule_id),
            Some(DelistForm::SenderOfficeCom | DelistForm::DelistMailbox)
        ),
        other => r.has_platform(other) && r.class.is_block(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::case::Answer;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    /// A case submitted on Nov 2 with `answers`, its last block at `last_block` (Nov day, noon).
    fn case_with(answers: &[(CaseResult, u32)], last_block: Option<u32>) -> Case {
        let mut c = Case::new(
            "C1".into(),
            vec!["198.51.100.0/24".parse().unwrap()],
            "outlook.com".into(),
            day(2),
            true,
        );
        c.answers = answers
            .iter()
            .map(|(result, d)| Answer {
                result: *result,
                date: day(*d),
                note: None,
                mail: None,
            })
            .collect();
        c.last_block_seen = last_block.map(|d| start_of_utc_date(day(d)) + DAY_MICROS / 2);
        c
    }

    fn action(c: &Case, night_day: u32) -> NextAction {
        let end = start_of_utc_date(day(night_day)) + DAY_MICROS - 1;
        let (still, quiet) = blocked_and_quiet(c, end);
        let night = Night {
            end,
            conclude: true,
            quiet_nights: 5,
        };
        next_action(c, still, quiet, night)
    }

    #[test]
    fn each_answer_leads_to_its_next_action() {
        use CaseResult::*;
        assert_eq!(action(&case_with(&[], Some(3)), 3), NextAction::AwaitAnswer);
        let escalated = case_with(&[(NotQualified, 3), (Escalated, 4)], Some(5));
        assert_eq!(action(&escalated, 5), NextAction::AwaitPerson);
        let ownership = case_with(&[(Escalated, 4), (OwnershipRequested, 5)], Some(5));
        assert_eq!(action(&ownership, 5), NextAction::SendAttestation);
        let nothing = case_with(&[(NothingFound, 4)], Some(5));
        assert_eq!(action(&nothing, 5), NextAction::ReplyOnTicket);
        // "Conditionally mitigated" on Nov 4: wait until Nov 7 00:00, then a block is asked about.
        let conditional = case_with(&[(ConditionallyMitigated, 4)], Some(6));
        assert!(matches!(
            action(&conditional, 6),
            NextAction::AwaitMitigation { .. }
        ));
        let conditional = case_with(&[(ConditionallyMitigated, 4)], Some(7));
        assert_eq!(action(&conditional, 7), NextAction::ReplyOnTicket);
        // Quiet long enough after any answer: watched (and closed by the join).
        let quiet = case_with(&[(NotQualified, 3)], Some(3));
        assert_eq!(action(&quiet, 9), NextAction::Watch);
        // Office 365 gives 1-2 hours: the day after its answer, a block is asked about.
        let mut o365 = case_with(&[(Mitigated, 4)], Some(5));
        o365.receiver = "office365".into();
        assert_eq!(action(&o365, 5), NextAction::ReplyOnTicket);
        let mut o365 = case_with(&[(Mitigated, 4)], Some(4));
        o365.receiver = "office365".into();
        assert!(matches!(
            action(&o365, 4),
            NextAction::AwaitMitigation { .. }
        ));
        let recurrence = Case::new(
            "C2".into(),
            vec!["198.51.100.0/24".parse().unwrap()],
            "outlook.com".into(),
            day(9),
            false,
        );
        assert_eq!(action(&recurrence, 9), NextAction::Submit);
    }
}
