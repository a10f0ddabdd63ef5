//! Calendar-day arithmetic shared by every stage: days are `i32` days since 1970-01-01 in the
//! provider's zone, times `i64` Unix microseconds.

use chrono::{NaiveDate, TimeZone, Utc};

/// Microseconds in a day: times are Unix microseconds.
pub(crate) const DAY_MICROS: i64 = 86_400_000_000;

/// The date of a calendar day number.
pub(crate) fn date_of_day(day: i32) -> NaiveDate {
    NaiveDate::from_epoch_days(day).unwrap_or(NaiveDate::MIN)
}

/// The calendar day number of a date.
pub(crate) fn day_of_date(date: NaiveDate) -> i32 {
    date.to_epoch_days()
}

/// ISO 8601 UTC with seconds, as written in every report.
pub(crate) fn format_utc(micros: i64) -> String {
    Utc.timestamp_micros(micros)
        .single()
        .map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The UTC date (YYYY-MM-DD) of a time, as the reports' "since" and "resolved on" write it.
pub(crate) fn format_utc_date(micros: i64) -> String {
    Utc.timestamp_micros(micros)
        .single()
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

/// The UTC date of a time.
pub(crate) fn utc_date(micros: i64) -> NaiveDate {
    Utc.timestamp_micros(micros)
        .single()
        .map_or(NaiveDate::MIN, |d| d.date_naive())
}

/// The first microsecond of a UTC date.
pub(crate) fn start_of_utc_date(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(i64::MIN, |t| t.and_utc().timestamp_micros())
}

/// Whole days from first to last event, counting both ends.
pub(crate) fn days(first: i64, last: i64) -> u64 {
    if first == i64::MIN || last < first {
        return 0;
    }
    ((last - first) / DAY_MICROS) as u64 + 1
}
