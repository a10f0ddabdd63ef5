//! What an SNDS export's file name says: the day it covers and which export it is.
//!
//! Real clients save the automated-access pulls under names built from the URL or from the day
//! they asked for:
//! - `https://sendersupport.olc.protection.outlook.com/snds/data.aspx?key=KEY&date=MMDDYY` and
//!   `.../snds/ipStatus.aspx?key=KEY` (undersfx/sndslib, `sndslib/sndslib.py`: `get_data(key,
//!   date)` appends `&date={}`; AbuseIO/AbuseIO, `lib/collectors/snds_data.php`: `date('mdy')` of
//!   two days ago). `wget URL` without `-O` keeps the query in the name:
//!   `data.aspx?key=…&date=112226`.
//! - Scripts name the saved file after that tag (`data_112226.csv`) or an ISO date
//!   (`ipStatus-2026-11-22.csv`, `snds-data-2026-11-17.csv`, `snds_20261122.csv`).
//!
//! The key is a GUID whose digit runs must never be read as a date, so it is cut out first.

use crate::model::snds::ExportKind;
use chrono::NaiveDate;

impl ExportKind {
    pub(crate) fn from_name(name: &str) -> ExportKind {
        let lower = name.to_ascii_lowercase();
        if ["ipstatus", "ip-status", "ip_status", "status"]
            .iter()
            .any(|k| lower.contains(k))
        {
            ExportKind::IpStatus
        } else if lower.contains("data") {
            ExportKind::IpData
        } else {
            ExportKind::Unknown
        }
    }
}

/// The day in a file name: the `date=` parameter, else `YYYY-MM-DD` (or `YYYY_MM_DD`), else an
/// eight-digit `YYYYMMDD`, else a six-digit `MMDDYY` (SNDS's own `date` format).
pub(crate) fn date_in_name(name: &str) -> Option<NaiveDate> {
    let name = without_key(name);
    if let Some(at) = find_ci(&name, "date=") {
        let digits: String = name[at + 5..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        if let Some(d) = iso(&digits).or_else(|| compact(&digits)) {
            return Some(d);
        }
    }
    let b = name.as_bytes();
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        if let Some(d) = name.get(i..i + 10).and_then(iso) {
            if !b.get(i + 10).is_some_and(u8::is_ascii_digit) {
                return Some(d);
            }
        }
    }
    let runs = digit_runs(&name);
    runs.iter()
        .filter(|r| r.len() == 8)
        .chain(runs.iter().filter(|r| r.len() == 6))
        .find_map(|r| compact(r))
}

/// `YYYY-MM-DD` or `YYYY_MM_DD`, exactly ten characters.
fn iso(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || !matches!(b[4], b'-' | b'_') || b[7] != b[4] {
        return None;
    }
    let (y, m, d) = (s.get(0..4)?, s.get(5..7)?, s.get(8..10)?);
    if ![y, m, d]
        .iter()
        .all(|p| p.bytes().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    plausible(NaiveDate::from_ymd_opt(
        y.parse().ok()?,
        m.parse().ok()?,
        d.parse().ok()?,
    )?)
}

/// `YYYYMMDD` (8 digits) or SNDS's `MMDDYY` (6 digits).
fn compact(s: &str) -> Option<NaiveDate> {
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let date = match s.len() {
        8 => NaiveDate::from_ymd_opt(n(0..4)? as i32, n(4..6)?, n(6..8)?)?,
        6 => NaiveDate::from_ymd_opt(2000 + n(4..6)? as i32, n(0..2)?, n(2..4)?)?,
        _ => return None,
    };
    plausible(date)
}

/// SNDS started in 2005; a "date" outside this century is a serial number, not a day.
fn plausible(d: NaiveDate) -> Option<NaiveDate> {
    (2000..2100)
        .contains(&chrono::Datelike::year(&d))
        .then_some(d)
}

/// The name with the value of `key=` cut out (up to the next `&`).
fn without_key(name: &str) -> String {
    match find_ci(name, "key=") {
        Some(at) => {
            let rest = &name[at + 4..];
            let end = rest.find('&').unwrap_or(rest.len());
            format!("{}{}", &name[..at], &rest[end..])
        }
        None => name.to_string(),
    }
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

fn digit_runs(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn days_from_the_names_real_clients_use() {
        let key = "12345678-1234-1234-1234-123456789012";
        for (name, want) in [
            (format!("data.aspx?key={key}&date=112226"), d(2026, 11, 22)),
            (format!("data.aspx?date=112226&key={key}"), d(2026, 11, 22)),
            (format!("ipStatus.aspx?key={key}"), None),
            ("data_112226.csv".into(), d(2026, 11, 22)),
            ("ipStatus-2026-11-22.csv".into(), d(2026, 11, 22)),
            ("snds-data-2026-11-17.csv".into(), d(2026, 11, 17)),
            ("snds_20261122.csv".into(), d(2026, 11, 22)),
            ("snds_2026_11_22.csv".into(), d(2026, 11, 22)),
            ("export (3).csv".into(), None),
            ("data_999999.csv".into(), None),
            ("data_2026-13-40.csv".into(), None),
        ] {
            assert_eq!(date_in_name(&name), want, "{name}");
        }
    }

    #[test]
    fn kinds_from_names() {
        assert_eq!(
            ExportKind::from_name("ipStatus.aspx?key=k"),
            ExportKind::IpStatus
        );
        assert_eq!(ExportKind::from_name("data_112226.csv"), ExportKind::IpData);
        assert_eq!(
            ExportKind::from_name("snds-data-2026-11-17.csv"),
            ExportKind::IpData
        );
        assert_eq!(ExportKind::from_name("export (3).csv"), ExportKind::Unknown);
    }
}
