//! `blockscope case open|answer|import|list`: the delisting cases in the state directory. Each
//! change holds the state directory's lock (a nightly run holds it too) and replaces
//! `cases.json` atomically.

use crate::cli::case::{CaseAnswerArgs, CaseImportArgs, CaseListArgs, CaseOpenArgs};
use crate::cli::CaseListFormat;
use crate::config::CaseConfig;
use crate::error::{CaseError, Error, Result};
use crate::ingest::reply_mail::{self, ReplyMail};
use crate::model::case::{Answer, Case, CaseResult, Cases, ClosedBy, Closing};
use chrono::NaiveDate;
use ipnetwork::IpNetwork;
use std::io::Write;
use std::path::Path;

/// The most ranges one request may hold (the form takes a list; a /16 split in /24s is 256).
const MAX_RANGES: usize = 256;
const MAX_NOTE: usize = 500;
const MAX_TICKET: usize = 64;

/// Run `f` on the cases under the state directory's lock, then save them.
fn change<T>(c: &CaseConfig, f: impl FnOnce(&mut Cases) -> Result<T>) -> Result<T> {
    let _lock = crate::pipeline::lock(&c.state)?;
    let mut cases = crate::state::cases::load(&c.state)?;
    let out = f(&mut cases)?;
    crate::state::cases::save(&c.state, &cases)?;
    Ok(out)
}

pub(crate) fn open(c: &CaseConfig, a: &CaseOpenArgs, w: &mut dyn Write) -> Result<()> {
    let ranges = parse_ranges(&a.range)?;
    let receiver = receiver(&a.receiver)?;
    let ticket = a.ticket.as_deref().map(ticket).transpose()?;
    let note = a.note.as_deref().map(note).transpose()?;
    let date = day(a.date.as_deref(), "--date")?;
    let line = change(c, |cases| {
        let overlapping: Vec<usize> = (0..cases.cases.len())
            .filter(|&i| {
                let k = &cases.cases[i];
                k.is_open() && k.receiver == receiver && ranges.iter().any(|n| k.overlaps(*n))
            })
            .collect();
        // A recurrence the run opened becomes the submitted request.
        if let [i] = overlapping[..] {
            let k = &mut cases.cases[i];
            if !k.submitted {
                k.submitted = true;
                k.ranges = ranges.clone();
                k.opened = date;
                k.ticket = ticket.or(k.ticket.take());
                k.note = note;
                return Ok(format!(
                    "{} submitted: {} at {} on {} (recurrence of {})",
                    k.id,
                    k.range_text(),
                    k.receiver,
                    k.opened,
                    k.previous.as_deref().unwrap_or("-")
                ));
            }
        }
        if let Some(&i) = overlapping.first() {
            let k = &cases.cases[i];
            return Err(CaseError::AlreadyOpen {
                range: a.range.trim().to_string(),
                case: k.id.clone(),
                ticket: k.ticket.clone().unwrap_or_else(|| "none yet".into()),
            }
            .into());
        }
        let mut case = Case::new(cases.next_id(), ranges.clone(), receiver.into(), date, true);
        case.ticket = ticket;
        case.note = note;
        let line = format!(
            "{} opened: {} at {} on {}{}",
            case.id,
            case.range_text(),
            case.receiver,
            case.opened,
            case.ticket
                .as_ref()
                .map(|t| format!(", ticket {t}"))
                .unwrap_or_default()
        );
        cases.cases.push(case);
        Ok(line)
    })?;
    writeln!(w, "{line}").map_err(super::stdout_error)
}

pub(crate) fn answer(c: &CaseConfig, a: &CaseAnswerArgs, w: &mut dyn Write) -> Result<()> {
    let result: CaseResult = a.result.into();
    let note = a.note.as_deref().map(note).transpose()?;
    let new_ticket = a.ticket.as_deref().map(ticket).transpose()?;
    let date = day(a.date.as_deref(), "--date")?;
    let line = change(c, |cases| {
        let i = cases
            .named(a.case.trim())
            .ok_or_else(|| CaseError::Unknown {
                key: a.case.clone(),
                known: known(cases),
            })?;
        let answer = Answer {
            result,
            date,
            note,
            mail: None,
        };
        record(&mut cases.cases[i], answer, new_ticket)
    })?;
    writeln!(w, "{line}").map_err(super::stdout_error)
}

/// Add an answer to a case; `closed` closes it. A closed case takes no other answer.
fn record(case: &mut Case, answer: Answer, ticket: Option<String>) -> Result<String> {
    if let Some(closing) = case.closed {
        return Err(CaseError::Closed {
            case: case.id.clone(),
            date: closing.date,
            next: case
                .reopened_as
                .as_ref()
                .map(|n| format!("its recurrence is {n}"))
                .unwrap_or_else(|| "open a new case for the range".into()),
        }
        .into());
    }
    if case.ticket.is_none() {
        case.ticket = ticket;
    }
    case.submitted = true;
    if answer.result == CaseResult::Closed {
        case.closed = Some(Closing {
            date: answer.date,
            by: ClosedBy::Support,
        });
    }
    let line = format!(
        "{} ({} at {}{}): {} on {}",
        case.id,
        case.range_text(),
        case.receiver,
        case.ticket
            .as_ref()
            .map(|t| format!(", ticket {t}"))
            .unwrap_or_default(),
        answer.result.label(),
        answer.date
    );
    case.answers.push(answer);
    Ok(line)
}

pub(crate) fn import(c: &CaseConfig, a: &CaseImportArgs, w: &mut dyn Write) -> Result<()> {
    // Read every mail first: one that cannot be read stops the import before anything changes.
    let mut mails = Vec::new();
    for path in &a.files {
        mails.push((path.as_path(), read_mail(path)?));
    }
    let lines = change(c, |cases| {
        let mut lines = Vec::new();
        for (path, mail) in &mails {
            lines.push(import_one(cases, path, mail, a.case.as_deref())?);
        }
        Ok(lines)
    })?;
    for line in lines {
        writeln!(w, "{line}").map_err(super::stdout_error)?;
    }
    Ok(())
}

fn read_mail(path: &Path) -> Result<ReplyMail> {
    let bytes = std::fs::read(path).map_err(|source| CaseError::ReadMail {
        path: path.to_path_buf(),
        source,
    })?;
    reply_mail::read(&bytes).ok_or_else(|| {
        CaseError::NotAMail {
            path: path.to_path_buf(),
        }
        .into()
    })
}

/// Attach one mail to the case it answers; the line that says what was recorded.
fn import_one(
    cases: &mut Cases,
    path: &Path,
    mail: &ReplyMail,
    forced: Option<&str>,
) -> Result<String> {
    let i = match forced {
        Some(key) => cases.named(key).ok_or_else(|| CaseError::Unknown {
            key: key.to_string(),
            known: known(cases),
        })?,
        None => matching_case(cases, path, mail)?,
    };
    let case = &mut cases.cases[i];
    let id = mail
        .message_id
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    if case.answers.iter().any(|x| x.mail.as_deref() == Some(&id)) {
        return Ok(format!(
            "{}: {} is already recorded on {}",
            path.display(),
            id,
            case.id
        ));
    }
    let date = mail.date.unwrap_or_else(today);
    let Some(result) = mail.result else {
        if mail.acknowledgement {
            if case.ticket.is_none() {
                case.ticket = mail.ticket.clone();
            }
            return Ok(format!(
                "{}: the receiver's acknowledgement of {} (ticket {}); no result yet",
                path.display(),
                case.id,
                case.ticket.as_deref().unwrap_or("none")
            ));
        }
        return Err(CaseError::NoResult {
            path: path.to_path_buf(),
            case: case.id.clone(),
        }
        .into());
    };
    let answer = Answer {
        result,
        date,
        note: None,
        mail: Some(id),
    };
    let line = record(case, answer, mail.ticket.clone())?;
    Ok(format!("{}: {line}", path.display()))
}

/// The open case a mail answers: by its ticket, else by the addresses it names.
fn matching_case(cases: &Cases, path: &Path, mail: &ReplyMail) -> Result<usize> {
    if let Some(t) = &mail.ticket {
        if let Some(i) = cases.named(t) {
            return Ok(i);
        }
    }
    let hits: Vec<usize> = (0..cases.cases.len())
        .filter(|&i| {
            let k = &cases.cases[i];
            k.is_open()
                && microsoft(&k.receiver) == microsoft(mail.receiver)
                && mail.networks.iter().any(|n| k.overlaps(*n))
        })
        .collect();
    match hits[..] {
        [i] => Ok(i),
        [] => Err(CaseError::NoMatch {
            path: path.to_path_buf(),
            ticket: mail.ticket.clone().unwrap_or_else(|| "none".into()),
            addresses: if mail.networks.is_empty() {
                "none".into()
            } else {
                mail.networks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }
        .into()),
        _ => Err(CaseError::Ambiguous {
            path: path.to_path_buf(),
            cases: hits
                .iter()
                .map(|&i| cases.cases[i].id.clone())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

/// Outlook.com's and Office 365's answers come from the same support organisation and ticket
/// system: either may answer a case at the other.
fn microsoft(receiver: &str) -> &str {
    match receiver {
        "outlook.com" | "office365" | "microsoft" => "microsoft",
        other => other,
    }
}

pub(crate) fn list(c: &CaseConfig, a: &CaseListArgs, w: &mut dyn Write) -> Result<()> {
    let cases = crate::state::cases::load(&c.state)?;
    let shown: Vec<&Case> = cases
        .cases
        .iter()
        .filter(|k| a.all || k.is_open())
        .collect();
    match a.format {
        CaseListFormat::Csv => crate::report::cases::write_list_csv(w, &shown),
        CaseListFormat::Text => crate::report::cases::write_list_text(w, &shown),
    }
    .map_err(super::stdout_error)
}

/// The case ids and tickets there are, for a message.
fn known(cases: &Cases) -> String {
    let open: Vec<String> = cases
        .cases
        .iter()
        .filter(|k| k.is_open())
        .map(|k| match &k.ticket {
            Some(t) => format!("{} ({t})", k.id),
            None => k.id.clone(),
        })
        .collect();
    if open.is_empty() {
        "no open case".into()
    } else {
        format!("open: {}", open.join(", "))
    }
}

/// `198.51.100.0/24`, or the form's `;`-separated list (commas and spaces taken too).
fn parse_ranges(text: &str) -> Result<Vec<IpNetwork>> {
    let mut out: Vec<IpNetwork> = Vec::new();
    for part in text
        .split([';', ',', ' ', '\t', '\n'])
        .filter(|p| !p.is_empty())
    {
        let net = crate::attribute::cidr::parse_target(part)?;
        if out.iter().any(|n| crate::model::networks_overlap(*n, net)) {
            return Err(Error::Config(format!(
                "RANGE {text:?}: {part} overlaps another range of the list; give each address once"
            )));
        }
        out.push(net);
    }
    if out.is_empty() {
        return Err(Error::Config(
            "RANGE is empty: give the outbound IPs or ranges as submitted, e.g. 198.51.100.0/24 or '198.51.100.0/28; 203.0.113.10'".into(),
        ));
    }
    if out.len() > MAX_RANGES {
        return Err(Error::Config(format!(
            "RANGE has {} entries; at most {MAX_RANGES} per case (merge them into CIDR ranges)",
            out.len()
        )));
    }
    out.sort();
    Ok(out)
}

/// A receiver platform a delisting goes to.
fn receiver(text: &str) -> Result<&'static str> {
    // A platform name (`other` for none), less those no delisting goes to.
    let name = crate::classify::platform::intern(&text.trim().to_ascii_lowercase());
    if matches!(name, "other" | "unknown") || name.ends_with("-submission") {
        return Err(Error::Config(format!(
            "--receiver {text:?}: not a receiver blockscope knows; give outlook.com (the Outlook.com sender support form), office365 (sender.office.com, delist@microsoft.com) or a platform `blockscope rules` names (gmail, yahoo, ...)"
        )));
    }
    Ok(name)
}

fn ticket(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty()
        || t.len() > MAX_TICKET
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_#.:/".contains(c))
    {
        return Err(Error::Config(format!(
            "--ticket {text:?}: a ticket number is 1 to {MAX_TICKET} letters, digits and -_#.:/ (e.g. SRX1234567890ID)"
        )));
    }
    Ok(t.to_string())
}

fn note(text: &str) -> Result<String> {
    if text.chars().count() > MAX_NOTE || text.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "--note: at most {MAX_NOTE} characters on one line"
        )));
    }
    Ok(text.trim().to_string())
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// `--date`, not after tomorrow (a clock a day ahead of UTC is still today somewhere).
fn day(text: Option<&str>, flag: &'static str) -> Result<NaiveDate> {
    let Some(text) = text else {
        return Ok(today());
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Error::Config(format!(
            "{flag} {text:?}: not a date; give YYYY-MM-DD, e.g. 2026-11-30"
        ))
    })?;
    if date > today() + chrono::Days::new(1) {
        return Err(Error::Config(format!(
            "{flag} {date} is in the future; give the day it happened"
        )));
    }
    Ok(date)
}
