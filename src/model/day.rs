//! Calendar-day arithmetic shared by every stage: days are `i32` days since 1970-01-01 in the
//! provider's zone, times `i64` Unix microseconds.

use chrono::{NaiveDate, TimeZone, Utc};

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

/// Whole days from first to last event, counting both ends.
pub(crate) fn days(first: i64, last: i64) -> u64 {
    if first == i64::MIN || last < first {
        return 0;
    }
    ((last - first) / 86_400_000_000) as u64 + 1
}
