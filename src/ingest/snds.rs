//! Microsoft SNDS exports: daily IP data (`data.aspx`, 14 positional columns) and IP status
//! (`ipStatus.aspx`: first IP, last IP, Yes/No, reason). The kind is detected from the content;
//! header rows, CRLF and LF, quoted fields (commas and line breaks inside JMRP comments or a
//! sample HELO) are all read by the csv crate.
//!
//! An export as it really arrives may be empty (0 bytes, or a header only): SNDS had no row that
//! day, or lists no blocked range. That is recorded, never an error. A page saved in place of the
//! CSV (an HTML page, an HTTP error body: a bad or expired automated-access key) is an error that
//! names the file and the fix.

mod name;
mod rate;
mod reason;

/// The day a file name gives (`snds fetch` asks it of the files already there).
pub(crate) use name::date_in_name;

use crate::error::SndsError;
use crate::model::snds::{
    ComplaintRate, ExportFile, ExportKind, Filter, Reason, Snds, SndsDay, SndsStatus,
};

use chrono::{NaiveDate, NaiveDateTime};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

impl Filter {
    fn parse(text: &str) -> Option<Filter> {
        match text.to_ascii_uppercase().as_str() {
            "GREEN" => Some(Filter::Green),
            "YELLOW" => Some(Filter::Yellow),
            "RED" => Some(Filter::Red),
            _ => None,
        }
    }
}

pub(crate) use crate::attribute::cidr::range_to_cidrs;

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%m/%d/%Y %I:%M %p").ok()
}

/// Read every file in `dir`. With `lenient`, malformed rows and files that are not exports are
/// returned as problems instead of failing the run.
pub(crate) fn load_dir(dir: &Path, lenient: bool) -> Result<(Snds, Vec<SndsError>), SndsError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SndsError::Unreadable {
        file: dir.display().to_string(),
        reason: format!("{e} (the SNDS directory)"),
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut snds = Snds::default();
    let mut problems = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let bytes = std::fs::read(&path).map_err(|e| SndsError::Unreadable {
            file: name.clone(),
            reason: e.to_string(),
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let mut file_problems = Vec::new();
        load_file(&name, &text, &mut snds, &mut file_problems);
        snds.files += 1;
        if let Some(first) = file_problems.first() {
            if !lenient {
                return Err(first.clone());
            }
        }
        problems.extend(file_problems);
    }
    Ok((snds, problems))
}

/// Parse one export into `snds`, reporting malformed rows (and a file that is not an export).
pub fn load_file(name: &str, text: &str, snds: &mut Snds, problems: &mut Vec<SndsError>) {
    let row_err = |line: u64, problem: String| SndsError::Row {
        file: name.to_string(),
        line,
        problem,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let name_day = name::date_in_name(name);
    let mut export = ExportFile {
        file: name.to_string(),
        kind: ExportKind::from_name(name),
        day: name_day,
        rows: 0,
    };
    if let Some(problem) = not_an_export(name, text) {
        problems.push(problem);
        return;
    }
    // One reader for the whole file: a quoted field may span lines; the record's position
    // gives the line it starts on.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut kind: Option<ExportKind> = None;
    let mut record = csv::StringRecord::new();
    let mut first = true;
    // The csv crate counts records, not the line breaks inside quoted fields: the line number
    // is counted from the record's byte offset instead.
    let (mut counted_to, mut line) = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // A record's position may sit on the line break that ended the one before it.
        while bytes.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            byte += 1;
        }
        if byte > counted_to {
            line += memchr::memchr_iter(b'\n', &bytes[counted_to..byte]).count() as u64;
            counted_to = byte;
        }
        line
    };
    loop {
        let at = rdr.position().byte();
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                problems.push(row_err(line_at(at), format!("not valid CSV: {e}")));
                break;
            }
        }
        let line = line_at(record.position().map_or(at, csv::Position::byte));
        let cells: Vec<&str> = record.iter().collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let is_first = std::mem::take(&mut first);
        if cells[0].parse::<IpAddr>().is_err() {
            if is_first && kind.is_none() && is_header(&cells) {
                // A web-UI export's header: it also tells the kind of a file with no rows.
                kind = Some(if cells.len() >= 11 {
                    ExportKind::IpData
                } else {
                    ExportKind::IpStatus
                });
                continue;
            }
            problems.push(row_err(
                line,
                format!(
                    "first column {:?} is not an IP address (an SNDS row starts with the IP, or the first IP of a range)",
                    cells[0]
                ),
            ));
            continue;
        }
        let row_kind = *kind.get_or_insert(if cells.len() >= 11 {
            ExportKind::IpData
        } else {
            ExportKind::IpStatus
        });
        let parsed = if row_kind == ExportKind::IpData {
            data_row(&cells, name_day).map(|mut day| {
                day.file = name.to_string();
                day.line = line;
                snds.days.push(day);
            })
        } else {
            status_row(&cells, name_day).map(|mut status| {
                status.file = name.to_string();
                status.line = line;
                snds.status.push(status);
            })
        };
        match parsed {
            Ok(()) => export.rows += 1,
            Err(problem) => problems.push(row_err(line, problem)),
        }
    }
    if let Some(k) = kind {
        export.kind = k;
    }
    snds.exports.push(export);
}

/// A header row: several cells, the first naming the IP column (`IP Address`, `First IP`).
fn is_header(cells: &[&str]) -> bool {
    cells.len() >= 3 && cells[0].to_ascii_lowercase().contains("ip")
}

/// An HTML page or an HTTP error body saved where the CSV should be. Only the first lines are
/// looked at, and only when they are neither an SNDS row nor a header: free text in real rows
/// (a HELO `login.example`, a JMRP comment) never makes a file an error page.
fn not_an_export(name: &str, text: &str) -> Option<SndsError> {
    let head = text.trim_start();
    let first_line = head.lines().next().unwrap_or("").trim();
    let first_cells: Vec<&str> = first_line
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if head.is_empty() || first_cells[0].parse::<IpAddr>().is_ok() || is_header(&first_cells) {
        return None;
    }
    let start: String = first_line.chars().take(60).collect();
    let opening: String = head
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let what = if head.starts_with('<') {
        "an HTML page"
    } else if [
        "unauthori",
        "forbidden",
        "invalid",
        "denied",
        "error",
        "not found",
        "bad request",
        "http/1",
        "key",
        "sign in",
        "login",
    ]
    .iter()
    .any(|m| opening.contains(m))
    {
        "an HTTP error body"
    } else {
        return None; // a malformed first row: the row parser names its line
    };
    Some(SndsError::NotAnExport {
        file: name.to_string(),
        what,
        start,
    })
}

fn data_row(cells: &[&str], name_day: Option<NaiveDate>) -> Result<SndsDay, String> {
    if cells.len() < 11 {
        return Err(format!("IP data row has {} columns, expected 14 (IP, activity start, activity end, RCPT, DATA, recipients, filter, complaint rate, trap start, trap end, trap hits, HELO, JMR sender, comments)", cells.len()));
    }
    let ip: IpAddr = cells[0]
        .parse()
        .map_err(|_| format!("{:?} is not an IP address", cells[0]))?;
    // Logs and the inventory unmap `::ffff:a.b.c.d`; SNDS rows must meet them as IPv4.
    let ip = ip.to_canonical();
    let end = parse_time(cells[2])
        .ok_or_else(|| format!("activity end {:?} is not M/D/YYYY h:mm AM/PM", cells[2]))?;
    let filter = Filter::parse(cells[6])
        .ok_or_else(|| format!("filter result {:?} is not GREEN, YELLOW or RED", cells[6]))?;
    let complaint_rate = match cells[7] {
        "" => None,
        t => Some(ComplaintRate::parse(t)?),
    };
    let trap_hits = match cells[10] {
        "" => 0,
        t => t
            .parse()
            .map_err(|_| format!("trap hits {t:?} is not a number"))?,
    };
    Ok(SndsDay {
        ip,
        day: name_day.unwrap_or_else(|| end.date()),
        filter,
        complaint_rate,
        trap_hits,
        file: String::new(),
        line: 0,
    })
}

fn status_row(cells: &[&str], name_day: Option<NaiveDate>) -> Result<SndsStatus, String> {
    if cells.len() < 3 {
        return Err(format!(
            "IP status row has {} columns, expected 4 (first IP, last IP, blocked, reason)",
            cells.len()
        ));
    }
    let parse4 = |s: &str| -> Result<Ipv4Addr, String> {
        s.parse()
            .map_err(|_| format!("{s:?} is not an IPv4 address"))
    };
    let (first, last) = (parse4(cells[0])?, parse4(cells[1])?);
    if first > last {
        return Err(format!("range {first} - {last} ends before it starts"));
    }
    let blocked = match cells[2].to_ascii_lowercase().as_str() {
        "yes" => true,
        "no" => false,
        other => return Err(format!("blocked column {other:?} is not Yes or No")),
    };
    // An unquoted reason with commas arrives as several cells: it is one text.
    let reason = cells.get(3..).map(|r| r.join(",")).unwrap_or_default();
    Ok(SndsStatus {
        first,
        last,
        networks: range_to_cidrs(first, last),
        blocked,
        reason: Reason::new(&reason),
        day: name_day,
        file: String::new(),
        line: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::snds::ReasonKind;

    fn load(files: &[(&str, &str)]) -> (Snds, Vec<SndsError>) {
        let mut snds = Snds::default();
        let mut problems = Vec::new();
        for (name, text) in files {
            load_file(name, text, &mut snds, &mut problems);
        }
        (snds, problems)
    }

    #[test]
    fn both_kinds_with_and_without_headers() {
        let (snds, problems) = load(&[
            ("snds-data-2026-11-20.csv", "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,14129,14129,13025,GREEN,< 0.1%,11/20/2026 8:07 AM,11/20/2026 12:03 PM,41,,,\r\n198.51.100.9,11/20/2026 9:00 PM,11/21/2026 7:00 AM,47386,47386,47384,RED,2.5%,,,,mail.vps9.example,bounce@vps9.example,\r\n"),
            ("export (3).csv", "IP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End,Trap Hits,Sample HELO,JMR P1 Sender,Comments\n198.51.100.7,11/18/2026 8:00 AM,11/19/2026 7:00 AM,100,100,100,YELLOW,1.0%,,,,,,\n"),
            ("ipStatus.csv", "198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\r\n"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(snds.days.len(), 3);
        assert_eq!(
            snds.days[0].day,
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            "from the name"
        );
        assert_eq!(
            snds.days[2].day,
            NaiveDate::from_ymd_opt(2026, 11, 19).unwrap(),
            "from activity end"
        );
        assert_eq!(snds.days[1].trap_hits, 0);
        assert_eq!(snds.days[0].trap_hits, 41);
        assert_eq!(snds.days[1].filter, Filter::Red);
        let blocked = snds.status_of("198.51.100.9".parse().unwrap()).unwrap();
        assert!(blocked.blocked);
        assert_eq!(blocked.reason.kind, ReasonKind::UserComplaints);
        let rate = snds.days[1].complaint_rate.as_ref().unwrap();
        assert_eq!(
            (rate.low, rate.high, rate.text.as_str()),
            (2500, 2500, "2.5%")
        );
        assert_eq!(snds.exports.len(), 3);
        assert_eq!(snds.exports[0].kind, ExportKind::IpData);
        assert_eq!(snds.exports[2].kind, ExportKind::IpStatus);
    }

    #[test]
    fn bad_rows_name_the_line() {
        let (snds, problems) = load(&[("d.csv", "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,< 0.1%,,,,,,\r\n198.51.100.8,yesterday,today,1,1,1,PURPLE,1%,,,,,,\r\nnot-an-ip,1,2\r\n198.51.100.9,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,lots,,,,,,\r\n")]);
        assert_eq!(
            problems.iter().map(SndsError::line).collect::<Vec<_>>(),
            [Some(2), Some(3), Some(4)]
        );
        assert!(problems[0].problem().contains("activity end"));
        assert!(problems[2].problem().contains("complaint rate \"lots\""));
        assert_eq!(snds.days.len(), 1);
    }

    #[test]
    fn quoted_fields_span_commas_and_lines() {
        let (snds, problems) = load(&[
            ("data_112226.csv", "198.51.100.7,11/22/2026 8:00 AM,11/23/2026 7:00 AM,5,5,5,GREEN,< 0.1%,,,,\"mail.example, inc\",bounce@example.net,\"a JMRP comment,\r\nover two lines\"\r\n198.51.100.8,11/22/2026 8:00 AM,11/23/2026 7:00 AM,5,5,5,RED,> 4%,,,3\r\n"),
            ("ipStatus.aspx?key=k", "203.0.113.1,203.0.113.1,Yes,\"Blocked, for a reason\"\r\n"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(snds.days.len(), 2);
        assert_eq!(snds.days[1].line, 3, "the second record starts on line 3");
        assert_eq!(snds.days[1].trap_hits, 3, "a short (11-column) row is read");
        assert_eq!(
            snds.days[0].day,
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
        assert_eq!(snds.status[0].reason.text, "Blocked, for a reason");
    }

    #[test]
    fn empty_exports_are_recorded_not_errors() {
        let (snds, problems) = load(&[
            ("ipStatus-2026-11-22.csv", ""),
            ("data_112226.csv", "\r\n"),
            ("export.csv", "First IP,Last IP,Blocked,Reason\r\n"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let empty: Vec<_> = snds
            .exports
            .iter()
            .filter(|e| e.rows == 0)
            .map(ExportFile::empty_note)
            .collect();
        assert_eq!(empty.len(), 3);
        assert!(empty[0].starts_with("SNDS: no blocked ranges on 2026-11-22"));
        assert!(empty[1].starts_with("SNDS: no SNDS data on 2026-11-22"));
        assert!(empty[2].starts_with("SNDS: no blocked ranges (export.csv"));
    }

    #[test]
    fn pages_saved_in_place_of_the_csv_are_named() {
        for (text, what) in [
            (
                "<!DOCTYPE html>\r\n<html><head><title>Error</title></head></html>",
                "an HTML page",
            ),
            ("  <html><body>Sign in</body></html>", "an HTML page"),
            ("401 Unauthorized\r\n", "an HTTP error body"),
            ("The key is invalid.", "an HTTP error body"),
        ] {
            let (snds, problems) = load(&[("data.aspx?key=abc&date=112226", text)]);
            assert_eq!(problems.len(), 1, "{text}");
            let msg = problems[0].to_string();
            assert!(
                msg.starts_with("data.aspx?key=abc&date=112226: ")
                    && msg.contains(what)
                    && msg.contains("automated-access key"),
                "{msg}"
            );
            assert_eq!(problems[0].line(), None);
            assert!(snds.exports.is_empty() && snds.days.is_empty());
        }
    }
}
