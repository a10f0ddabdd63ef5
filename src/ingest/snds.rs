//! Microsoft SNDS exports: daily IP data (`data.aspx`, 14 positional columns) and IP status
//! (`ipStatus.aspx`: first IP, last IP, Yes/No, reason). The kind is detected from the content;
//! header rows, CRLF and LF are all accepted.

use chrono::{NaiveDate, NaiveDateTime};
use ipnetwork::{IpNetwork, Ipv4Network};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// One IP on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SndsDay {
    pub ip: IpAddr,
    pub day: NaiveDate,
    /// GREEN, YELLOW or RED.
    pub filter: String,
    /// As SNDS writes it (`< 0.1%`, `2.3%`).
    pub complaint_rate: String,
    pub trap_hits: u64,
    pub file: String,
    pub line: u64,
}

/// One IP-status row: an inclusive range, converted to the minimal CIDR set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SndsStatus {
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
    pub networks: Vec<Ipv4Network>,
    pub blocked: bool,
    pub reason: String,
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Snds {
    pub days: Vec<SndsDay>,
    pub status: Vec<SndsStatus>,
    /// Files read, for the run summary.
    pub files: u64,
}

/// A malformed row or file: `file:line: problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct SndsError {
    pub file: String,
    pub line: u64,
    pub problem: String,
}

/// Complaint rates at or above this (percent) mark an IP as a suspect.
pub const SUSPECT_COMPLAINT_RATE: f64 = 0.3;

/// `2.3%` -> 2.3; `< 0.1%` -> 0.1 (an upper bound: below the threshold anyway).
pub fn complaint_percent(rate: &str) -> Option<f64> {
    rate.trim()
        .trim_start_matches('<')
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .ok()
}

pub use crate::attribute::cidr::range_to_cidrs;

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%m/%d/%Y %I:%M %p").ok()
}

fn date_in_name(name: &str) -> Option<NaiveDate> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        let ok = s.as_bytes().iter().enumerate().all(|(j, c)| {
            if j == 4 || j == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        ok.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// Read every file in `dir`. With `lenient`, malformed rows are returned as problems instead of
/// failing the run.
pub fn load_dir(dir: &Path, lenient: bool) -> Result<(Snds, Vec<SndsError>), SndsError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SndsError {
        file: dir.display().to_string(),
        line: 0,
        problem: format!("cannot read the SNDS directory: {e}"),
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
        let bytes = std::fs::read(&path).map_err(|e| SndsError {
            file: name.clone(),
            line: 0,
            problem: format!("cannot read: {e}"),
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

/// Parse one export into `snds`, reporting malformed rows.
pub fn load_file(name: &str, text: &str, snds: &mut Snds, problems: &mut Vec<SndsError>) {
    let err = |line: u64, problem: String| SndsError {
        file: name.to_string(),
        line,
        problem,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut kind: Option<bool> = None; // Some(true) = IP data, Some(false) = IP status
    let name_day = date_in_name(name);
    // SNDS rows are single lines; parsing each line alone keeps line numbers exact.
    for (i, text_line) in text.lines().enumerate() {
        let line = i as u64 + 1;
        // Most rows have no quotes: split them directly (building a CSV reader per line costs
        // more than the row); quoted rows go through the csv crate.
        let record;
        let cells: Vec<&str> = if text_line.contains('"') {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text_line.as_bytes());
            let mut r = csv::StringRecord::new();
            match rdr.read_record(&mut r) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    problems.push(err(line, format!("not valid CSV: {e}")));
                    continue;
                }
            }
            record = r;
            record.iter().map(str::trim).collect()
        } else if text_line.is_empty() {
            continue;
        } else {
            text_line.split(',').map(str::trim).collect()
        };
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if cells[0].parse::<IpAddr>().is_err() {
            if kind.is_none() && line <= 1 {
                continue; // a header row (web-UI export)
            }
            problems.push(err(
                line,
                format!("first column {:?} is not an IP address", cells[0]),
            ));
            continue;
        }
        let is_data = *kind.get_or_insert(cells.len() >= 11);
        if is_data {
            match data_row(&cells, name_day) {
                Ok(mut day) => {
                    day.file = name.to_string();
                    day.line = line;
                    snds.days.push(day);
                }
                Err(problem) => problems.push(err(line, problem)),
            }
        } else {
            match status_row(&cells) {
                Ok(mut status) => {
                    status.file = name.to_string();
                    status.line = line;
                    snds.status.push(status);
                }
                Err(problem) => problems.push(err(line, problem)),
            }
        }
    }
    if kind.is_none() && problems.is_empty() {
        problems.push(err(
            1,
            "no SNDS rows found (expected IP data or IP status export)".into(),
        ));
    }
}

fn data_row(cells: &[&str], name_day: Option<NaiveDate>) -> Result<SndsDay, String> {
    if cells.len() < 11 {
        return Err(format!("IP data row has {} columns, expected 14 (IP, activity start, activity end, RCPT, DATA, recipients, filter, complaint rate, trap start, trap end, trap hits, HELO, JMR sender, comments)", cells.len()));
    }
    let ip: IpAddr = cells[0]
        .parse()
        .map_err(|_| format!("{:?} is not an IP address", cells[0]))?;
    let end = parse_time(cells[2])
        .ok_or_else(|| format!("activity end {:?} is not M/D/YYYY h:mm AM/PM", cells[2]))?;
    let filter = cells[6].to_ascii_uppercase();
    if !matches!(filter.as_str(), "GREEN" | "YELLOW" | "RED") {
        return Err(format!(
            "filter result {:?} is not GREEN, YELLOW or RED",
            cells[6]
        ));
    }
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
        complaint_rate: cells[7].to_string(),
        trap_hits,
        file: String::new(),
        line: 0,
    })
}

fn status_row(cells: &[&str]) -> Result<SndsStatus, String> {
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
    Ok(SndsStatus {
        first,
        last,
        networks: range_to_cidrs(first, last),
        blocked,
        reason: cells.get(3..).map(|r| r.join(",")).unwrap_or_default(),
        file: String::new(),
        line: 0,
    })
}

impl Snds {
    /// The blocking status row covering `ip`, if any (a blocked row wins over a "No" row).
    pub fn status_of(&self, ip: IpAddr) -> Option<&SndsStatus> {
        let IpAddr::V4(v4) = ip else { return None };
        let mut found: Option<&SndsStatus> = None;
        for s in &self.status {
            if s.first <= v4 && v4 <= s.last && (found.is_none() || s.blocked) {
                found = Some(s);
            }
        }
        found
    }

    /// All CIDRs of blocked ranges.
    pub fn blocked_networks(&self) -> impl Iterator<Item = IpNetwork> + '_ {
        self.status
            .iter()
            .filter(|s| s.blocked)
            .flat_map(|s| s.networks.iter().map(|n| IpNetwork::V4(*n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_with_and_without_headers() {
        let mut snds = Snds::default();
        let mut problems = Vec::new();
        load_file("snds-data-2026-11-20.csv", "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,14129,14129,13025,GREEN,< 0.1%,11/20/2026 8:07 AM,11/20/2026 12:03 PM,41,,,\r\n198.51.100.9,11/20/2026 9:00 PM,11/21/2026 7:00 AM,47386,47386,47384,RED,2.5%,,,,mail.vps9.example,bounce@vps9.example,\r\n", &mut snds, &mut problems);
        load_file("export (3).csv", "IP Address,Activity Start,Activity End,RCPT Commands,DATA Commands,Message Recipients,Filter Result,Complaint Rate,Trap Message Start,Trap Message End,Trap Hits,Sample HELO,JMR P1 Sender,Comments\n198.51.100.7,11/18/2026 8:00 AM,11/19/2026 7:00 AM,100,100,100,YELLOW,1.0%,,,,,,\n", &mut snds, &mut problems);
        load_file("ipStatus.csv", "198.51.100.0,198.51.100.255,Yes,Blocked due to user complaints or other evidence of spamming\r\n", &mut snds, &mut problems);
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
        assert!(snds
            .status_of("198.51.100.9".parse().unwrap())
            .is_some_and(|s| s.blocked));
        assert_eq!(complaint_percent("< 0.1%"), Some(0.1));
        assert_eq!(complaint_percent("2.5%"), Some(2.5));
    }

    #[test]
    fn bad_rows_name_the_line() {
        let mut snds = Snds::default();
        let mut problems = Vec::new();
        load_file("d.csv", "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,< 0.1%,,,,,,\r\n198.51.100.8,yesterday,today,1,1,1,PURPLE,1%,,,,,,\r\nnot-an-ip,1,2\r\n", &mut snds, &mut problems);
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2, 3]);
        assert!(problems[0].problem.contains("activity end"));
        assert_eq!(snds.days.len(), 1);
    }
}
