//! Which SNDS days to ask for, and the names the exports are saved under: names that `run
//! --snds` reads the kind and the day from (`ExportKind::from_name`, `date_in_name`).

use super::answer::{shape, Shape};
use crate::ingest::snds::date_in_name;
use crate::model::snds::ExportKind;
use chrono::{DateTime, Days, NaiveDate, Utc};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

/// Overrides today's date (YYYY-MM-DD), for tests: which days are asked for depends on it.
const TODAY_VAR: &str = "BLOCKSCOPE_SNDS_TODAY";

/// Today's date in Pacific time. SNDS days are Pacific-time calendar days (its data for a day
/// is complete only after midnight in Redmond): from Europe, at 03:15 local time, Pacific time
/// is still on the day before, so "yesterday" counted in UTC or the local zone would ask for a
/// day SNDS has not finished, and name the IP-status snapshot after a day that has not begun
/// where SNDS is.
pub(crate) fn pacific_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::America::Los_Angeles)
        .date_naive()
}

/// `pacific_today` of now, or the date in `BLOCKSCOPE_SNDS_TODAY`.
pub(crate) fn today() -> NaiveDate {
    std::env::var(TODAY_VAR)
        .ok()
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| pacific_today(Utc::now()))
}

/// The last `n` complete days before `today`, oldest first. Today itself is never asked for:
/// its data does not exist yet.
pub(crate) fn wanted(today: NaiveDate, n: u32) -> Vec<NaiveDate> {
    (1..=u64::from(n))
        .rev()
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .collect()
}

/// SNDS's `date=` parameter: `MMDDYY` (2026-11-22 is `112226`).
pub(crate) fn mmddyy(day: NaiveDate) -> String {
    day.format("%m%d%y").to_string()
}

/// The IP data of `day`: `snds-data-2026-11-22.csv`.
pub(crate) fn data_file(day: NaiveDate) -> String {
    format!("snds-data-{}.csv", day.format("%Y-%m-%d"))
}

/// The IP-status snapshot taken on `day`: `ipStatus-2026-11-25.csv` (`run` counts the newest).
pub(crate) fn status_file(day: NaiveDate) -> String {
    format!("ipStatus-{}.csv", day.format("%Y-%m-%d"))
}

/// The days whose IP data is already in `dir` with rows, under any name `run` dates (ours,
/// `data_112226.csv`, `data.aspx?key=…&date=112226` from an earlier script). An empty file does
/// not count: SNDS publishes a day one to two days late and answers "nothing" until then, so
/// an empty day is asked again while it is among the days fetched. A page saved in place of
/// the CSV does not count either: it is fetched again (and replaced, under our name).
pub(crate) fn present(dir: &Path) -> BTreeSet<NaiveDate> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if ExportKind::from_name(&name) != ExportKind::IpData {
                return None;
            }
            let day = date_in_name(&name)?;
            (shape(&head(&e.path())) == Shape::Csv).then_some(day)
        })
        .collect()
}

/// The first 64 KiB of a file (empty when it cannot be read).
fn head(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(64 << 10).read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn today_is_counted_in_pacific_time() {
        // 03:15 in Berlin on 23 November is 18:15 on the 22nd in Redmond.
        let berlin_night = "2026-11-23T02:15:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(pacific_today(berlin_night), d(2026, 11, 22));
        let pacific_morning = "2026-11-23T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(pacific_today(pacific_morning), d(2026, 11, 23));
        // Summer time: UTC-7.
        let july = "2026-07-01T06:59:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(pacific_today(july), d(2026, 6, 30));
    }

    #[test]
    fn the_last_n_complete_days_oldest_first() {
        assert_eq!(
            wanted(d(2026, 3, 2), 3),
            [d(2026, 2, 27), d(2026, 2, 28), d(2026, 3, 1)]
        );
        assert_eq!(wanted(d(2026, 3, 2), 1), [d(2026, 3, 1)]);
    }

    #[test]
    fn names_run_recognises() {
        let day = d(2026, 11, 22);
        assert_eq!(mmddyy(day), "112226");
        assert_eq!(mmddyy(d(2027, 1, 5)), "010527");
        let data = data_file(day);
        assert_eq!(data, "snds-data-2026-11-22.csv");
        assert_eq!(ExportKind::from_name(&data), ExportKind::IpData);
        assert_eq!(date_in_name(&data), Some(day));
        let status = status_file(day);
        assert_eq!(status, "ipStatus-2026-11-22.csv");
        assert_eq!(ExportKind::from_name(&status), ExportKind::IpStatus);
        assert_eq!(date_in_name(&status), Some(day));
    }

    #[test]
    fn only_ip_data_with_rows_is_present() {
        let dir = tempfile::tempdir().unwrap();
        let row = "198.51.100.7,11/20/2026 8:00 AM,11/21/2026 7:00 AM,1,1,1,GREEN,< 0.1%,,,,,,\r\n";
        for (name, text) in [
            ("snds-data-2026-11-20.csv", row),
            ("data_112126.csv", row),
            (
                "data.aspx?key=abc&date=112226",
                "<!DOCTYPE html><html></html>",
            ),
            ("snds-data-2026-11-23.csv", ""),
            (
                "ipStatus-2026-11-24.csv",
                "198.51.100.0,198.51.100.255,Yes,x\r\n",
            ),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        std::fs::create_dir(dir.path().join("snds-data-2026-11-25.csv")).unwrap();
        assert_eq!(
            present(dir.path()),
            [d(2026, 11, 20), d(2026, 11, 21)].into_iter().collect()
        );
    }
}
