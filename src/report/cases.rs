//! The delisting cases in words and tables: `summary/cases.csv`, the "Delisting cases" lines of
//! summary.md and summary.html (`next_step`), the pack's "do not resubmit" note, `case list`.

use super::{csv_io, csv_writer, neutralise};
use crate::aggregate::cases::{mitigation_hours, CaseReport, CaseRow, NextAction};
use crate::model::case::{Case, CaseResult, ClosedBy};
use crate::model::day::format_utc;
use std::io::Write;

/// The columns cases.csv and `case list --format csv` start with (`leading_cells`).
const LEADING: [&str; 7] = [
    "case_id",
    "range",
    "receiver",
    "ticket",
    "opened",
    "last_result",
    "result_date",
];

/// cases.csv after `LEADING`: issue 22's columns, then what support also needs on the row.
const CASES_CSV_REST: [&str; 9] = [
    "still_blocked",
    "last_block_seen",
    "next_action",
    "status",
    "days_open",
    "quiet_nights",
    "blocked_ips",
    "previous_case",
    "next_step",
];

/// `case list --format csv` after `LEADING`.
const LIST_CSV_REST: [&str; 6] = [
    "status",
    "last_block_seen",
    "checked_night",
    "next_action",
    "previous_case",
    "note",
];

/// The columns of the "Delisting cases" table in summary.md and summary.html.
pub(crate) const SUMMARY_COLUMNS: [&str; 7] = [
    "Case",
    "Range",
    "Receiver",
    "Ticket",
    "Life",
    "Blocked now",
    "Next step",
];

/// The columns cases.csv and `case list --format csv` start with: case_id, range, receiver,
/// ticket, opened, last_result, result_date.
fn leading_cells(c: &Case) -> [String; 7] {
    let last = c.last_answer();
    [
        c.id.clone(),
        c.range_text(),
        c.receiver.clone(),
        neutralise(c.ticket.as_deref().unwrap_or("")).into_owned(),
        c.opened.to_string(),
        last.map_or("", |a| a.result.as_str()).to_string(),
        last.map(|a| a.date.to_string()).unwrap_or_default(),
    ]
}

/// `summary/cases.csv`: every case the night's reports show.
pub(crate) fn write_csv(w: &mut dyn Write, report: &CaseReport) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(LEADING.iter().chain(&CASES_CSV_REST))
        .map_err(csv_io)?;
    for row in &report.rows {
        let c = &row.case;
        let lead = leading_cells(c);
        csv.write_record(
            lead.iter().map(String::as_str).chain([
                if row.still_blocked { "true" } else { "false" },
                &c.last_block_seen.map(format_utc).unwrap_or_default(),
                row.action.code(),
                status(c),
                &row.days_open.to_string(),
                &row.quiet_nights.to_string(),
                &row.blocked_ips
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
                c.previous.as_deref().unwrap_or(""),
                &next_step(row, report.quiet_nights),
            ]),
        )
        .map_err(csv_io)?;
    }
    csv.flush()
}

fn status(c: &Case) -> &'static str {
    match (c.closed, c.submitted) {
        (Some(_), _) => "closed",
        (None, false) => "recurrence",
        (None, true) => "open",
    }
}

/// Whether support has something to do on the case tonight (not only wait).
pub(crate) fn needs_support(row: &CaseRow) -> bool {
    match row.action {
        NextAction::Submit | NextAction::ReplyOnTicket | NextAction::SendAttestation => true,
        NextAction::AwaitAnswer => row.days_open >= 2,
        _ => false,
    }
}

/// The sentence above the cases table: `**2** delisting case(s) wait for support: C2 (reply on
/// the ticket), C3 (submit).` (the morning mail's subject counts it), or that none does.
pub(crate) fn waiting_line(report: &CaseReport) -> String {
    let waiting: Vec<String> = report
        .rows
        .iter()
        .filter(|r| needs_support(r))
        .map(|r| format!("{} ({})", r.case.id, r.action.code()))
        .collect();
    if waiting.is_empty() {
        "No delisting case waits for support tonight.".into()
    } else {
        format!(
            "**{}** delisting case(s) wait for support: {}.",
            waiting.len(),
            waiting.join(", ")
        )
    }
}

/// `submitted 2026-11-17, last answer not qualified for mitigation on 2026-11-17`.
pub(crate) fn requested(c: &Case) -> String {
    match c.last_answer() {
        Some(a) => format!(
            "submitted {}, last answer: {} on {}",
            c.opened,
            a.result.label(),
            a.date
        ),
        None => format!("submitted {}, no answer yet", c.opened),
    }
}

/// `reply on ticket SRX...`, or where to reply without one.
pub(crate) fn on_ticket(c: &Case) -> String {
    match &c.ticket {
        Some(t) => format!("reply on ticket {t}"),
        None => "reply to the receiver's last mail (its subject holds the ticket)".into(),
    }
}

/// What support does next, in one sentence.
pub(crate) fn next_step(row: &CaseRow, quiet_needed: u32) -> String {
    let c = &row.case;
    let last = c.last_answer();
    match row.action {
        NextAction::Submit => format!(
            "Blocked again since {} after {} closed: submit a new request (delist/outlook-com.txt), mention the earlier ticket, then record it with blockscope case open.",
            c.opened,
            c.previous.as_deref().unwrap_or("an earlier case")
        ),
        NextAction::AwaitAnswer if row.days_open >= 2 => format!(
            "No answer recorded after {} days: look for it in the mailbox of the account that submitted (Outlook.com answers automatically within hours) and record it with blockscope case import; if none came, submit again.",
            row.days_open
        ),
        NextAction::AwaitAnswer => "Wait for the receiver's answer (Outlook.com answers automatically within hours); save it as .eml and record it with blockscope case import.".into(),
        NextAction::ReplyOnTicket => match last.map(|a| a.result) {
            Some(CaseResult::NotQualified) => format!(
                "\"Not qualified for mitigation\": {} to reach a person; say what was fixed and paste the latest NDR.",
                on_ticket(c)
            ),
            Some(CaseResult::NothingFound) => format!(
                "Microsoft found nothing on its side, yet mail is refused: {} with the latest NDR.",
                on_ticket(c)
            ),
            Some(CaseResult::ConditionallyMitigated) => format!(
                "Still refused after \"conditionally mitigated\": {} with the latest NDR.",
                on_ticket(c)
            ),
            _ => format!(
                "Still blocked {} hours after \"mitigated\": {} with the latest NDR.",
                mitigation_hours(&c.receiver),
                on_ticket(c)
            ),
        },
        NextAction::AwaitPerson => format!(
            "A person at the receiver has the case: wait for their reply ({} if nothing comes in two days).",
            on_ticket(c)
        ),
        NextAction::SendAttestation => format!(
            "The receiver asks us to confirm we own the range: write the attestation (blockscope attest --range {} with the run's --config) and {} with it.",
            c.ranges.first().map(ToString::to_string).unwrap_or_default(),
            on_ticket(c)
        ),
        NextAction::AwaitMitigation { until } => format!(
            "{} on {}: the block lifts within {} hours; wait until {} UTC.",
            capitalised(last.map_or("mitigated", |a| a.result.label())),
            last.map(|a| a.date.to_string()).unwrap_or_default(),
            mitigation_hours(&c.receiver),
            format_utc(until).replace('T', " ").trim_end_matches(":00Z")
        ),
        NextAction::Watch => format!(
            "No block for {} night(s); the case closes after {quiet_needed} quiet nights.",
            row.quiet_nights
        ),
        NextAction::Closed => {
            let closed = match c.closed {
                Some(cl) if cl.by == ClosedBy::Quiet => {
                    format!("Closed on {}: no block for {quiet_needed} nights.", cl.date)
                }
                Some(cl) => format!("Closed by support on {}.", cl.date),
                None => "Closed.".into(),
            };
            match &c.reopened_as {
                Some(next) => format!("{closed} Blocked again: followed in {next}."),
                None => format!("{closed} A new block of the range opens a recurrence."),
            }
        }
    }
}

/// "yes (3 addresses, last 2026-11-21T22:10:00Z)" or "no".
pub(crate) fn blocked_now(row: &CaseRow) -> String {
    if !row.still_blocked {
        return match row.case.last_block_seen {
            Some(t) => format!("no (last block {})", format_utc(t)),
            None => "no".into(),
        };
    }
    format!(
        "yes ({} address(es), last block {})",
        row.blocked_ips.len(),
        row.case.last_block_seen.map(format_utc).unwrap_or_default()
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The case's life in one line: `opened 2026-11-20 (SRX...) → not qualified 2026-11-20 → ...`.
pub(crate) fn life(c: &Case) -> String {
    let mut steps = vec![if c.submitted {
        format!("submitted {}", c.opened)
    } else {
        format!("blocked again {}", c.opened)
    }];
    steps.extend(
        c.answers
            .iter()
            .filter(|a| a.result != CaseResult::Closed)
            .map(|a| format!("{} {}", a.result.label(), a.date)),
    );
    if let Some(cl) = c.closed {
        steps.push(match cl.by {
            ClosedBy::Quiet => format!("closed {} (quiet)", cl.date),
            ClosedBy::Support => format!("closed {} by support", cl.date),
        });
    }
    steps.join(" → ")
}

/// `case list` as text: one block per case.
pub(crate) fn write_list_text(w: &mut dyn Write, cases: &[&Case]) -> std::io::Result<()> {
    if cases.is_empty() {
        return writeln!(w, "No open case. `blockscope case open RANGE --receiver outlook.com` records a request; --all lists closed ones.");
    }
    for c in cases {
        writeln!(
            w,
            "{}  {}  {}  ticket {}  [{}]",
            c.id,
            c.receiver,
            c.range_text(),
            super::text::printable(c.ticket.as_deref().unwrap_or("none")),
            status(c)
        )?;
        writeln!(w, "    {}", life(c))?;
        if let Some(prev) = &c.previous {
            writeln!(w, "    recurrence of {prev}")?;
        }
        if let Some(k) = &c.checked {
            writeln!(
                w,
                "    run of {}: {}, next action {}",
                k.night,
                if k.still_blocked {
                    "still blocked"
                } else {
                    "no block"
                },
                k.next_action
            )?;
        }
        if let Some(note) = &c.note {
            writeln!(w, "    note: {}", super::text::printable(note))?;
        }
    }
    Ok(())
}

/// `case list --format csv`.
pub(crate) fn write_list_csv(w: &mut dyn Write, cases: &[&Case]) -> std::io::Result<()> {
    let mut csv = csv_writer(w);
    csv.write_record(LEADING.iter().chain(&LIST_CSV_REST))
        .map_err(csv_io)?;
    for c in cases {
        let lead = leading_cells(c);
        csv.write_record(
            lead.iter().map(String::as_str).chain([
                status(c),
                &c.last_block_seen.map(format_utc).unwrap_or_default(),
                &c.checked
                    .as_ref()
                    .map(|k| k.night.to_string())
                    .unwrap_or_default(),
                c.checked.as_ref().map_or("", |k| k.next_action.as_str()),
                c.previous.as_deref().unwrap_or(""),
                &neutralise(c.note.as_deref().unwrap_or("")),
            ]),
        )
        .map_err(csv_io)?;
    }
    csv.flush()
}
