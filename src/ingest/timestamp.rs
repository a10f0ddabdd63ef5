//! Syslog timestamps and year inference for the year-less RFC 3164 style.
//!
//! RFC 3164 (`Nov  2 10:00:01`) and Postfix `maillog_file` (`Nov 02 10:00:01`) carry no year. A file
//! is read front to back counting year wraps (December followed by January); when the file is done,
//! its last line is placed at or before the file's anchor time (its mtime, capped by the start of the
//! next-newer rotated file), which fixes the year of every line. Zone-less times are taken as UTC.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// A timestamp as written in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawTime {
    /// Unix microseconds, UTC.
    Absolute(i64),
    /// A wall-clock time with a year but no zone (Exim without `log_timezone`), as if it were UTC.
    Local(i64),
    YearLess {
        month: u8,
        day: u8,
        secs: u32,
        micros: u32,
    },
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parse the timestamp at the start of a line; returns it and the rest after the following space.
pub(crate) fn parse_prefix(line: &str) -> Option<(RawTime, &str)> {
    let b = line.as_bytes();
    if b.first()?.is_ascii_digit() {
        let end = line.find(' ')?;
        let t = parse_rfc3339(&line[..end])?;
        Some((RawTime::Absolute(t), &line[end + 1..]))
    } else {
        parse_rfc3164(line)
    }
}

/// `2026-11-02T11:00:03.185246+01:00`, `...Z`, journalctl's `+0100`: parsed by hand on the hot
/// path (every line of an RFC 3339 file); anything unusual goes to chrono.
fn parse_rfc3339(token: &str) -> Option<i64> {
    fast_rfc3339(token.as_bytes()).or_else(|| {
        let dt = DateTime::parse_from_rfc3339(token)
            .or_else(|_| DateTime::parse_from_str(token, "%Y-%m-%dT%H:%M:%S%.f%z"))
            .ok()?;
        Some(dt.timestamp_micros())
    })
}

/// `YYYY-MM-DD?HH:MM:SS` (the separator at byte 10 is the caller's business) as Unix micros,
/// read as UTC; None unless it is a real date and time.
pub(crate) fn naive_date_time(b: &[u8]) -> Option<i64> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = i32::try_from(two_digits(&b[0..2])? * 100 + two_digits(&b[2..4])?).ok()?;
    let (month, day) = (two_digits(&b[5..7])?, two_digits(&b[8..10])?);
    let (h, m, sec) = (
        two_digits(&b[11..13])?,
        two_digits(&b[14..16])?,
        two_digits(&b[17..19])?,
    );
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let days = i64::from(NaiveDate::from_ymd_opt(year, month, day)?.to_epoch_days());
    Some((days * 86_400 + i64::from(h * 3600 + m * 60 + sec)) * 1_000_000)
}

fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b[10] != b'T' {
        return None;
    }
    let naive = naive_date_time(b)?;
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..6 {
            micros *= 10;
        }
    }
    let offset_secs = match &b[i..] {
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let secs = i64::from(two_digits(&[*h1, *h2])? * 3600 + two_digits(&[*m1, *m2])? * 60);
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    Some(naive - offset_secs * 1_000_000 + micros)
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

fn parse_rfc3164(line: &str) -> Option<(RawTime, &str)> {
    let b = line.as_bytes();
    if b.len() < 15 {
        return None;
    }
    let month = MONTHS
        .iter()
        .position(|m| b[..3].eq_ignore_ascii_case(&m[..]))? as u8
        + 1;
    if b[3] != b' ' {
        return None;
    }
    // Day: "dd", " d" (space padded) or "d" (unpadded, seen in the wild).
    let mut i = 4;
    if b[i] == b' ' {
        i += 1;
    }
    let day_start = i;
    while i < b.len() && b[i].is_ascii_digit() && i - day_start < 2 {
        i += 1;
    }
    if i == day_start || b.get(i) != Some(&b' ') {
        return None;
    }
    let day: u32 = line[day_start..i].parse().ok()?;
    i += 1;
    let t = b.get(i..i + 8)?;
    if t[2] != b':' || t[5] != b':' {
        return None;
    }
    let (h, m, s) = (
        two_digits(&t[0..2])?,
        two_digits(&t[3..5])?,
        two_digits(&t[6..8])?,
    );
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    i += 8;
    let mut micros = 0u32;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let digits = &line[start..j.min(start + 6)];
        micros = digits.parse::<u32>().unwrap_or(0) * 10u32.pow(6 - digits.len() as u32);
        i = j;
    }
    if b.get(i) != Some(&b' ') {
        return None;
    }
    Some((
        RawTime::YearLess {
            month,
            day: day as u8,
            secs: h * 3600 + m * 60 + s.min(59),
            micros,
        },
        &line[i + 1..],
    ))
}

/// Packs year-less times with a year-wrap counter into ordered integers, then resolves them.
#[derive(Debug, Default)]
pub(crate) struct YearTracker {
    wraps: i64,
    prev_month: Option<u8>,
}

impl YearTracker {
    /// A file-local, order-preserving stamp for a year-less time.
    pub(crate) fn stamp(&mut self, month: u8, day: u8, secs: u32, micros: u32) -> i64 {
        let mut wraps = self.wraps;
        match self.prev_month {
            // December -> January (or any jump back of half a year or more): a new year.
            Some(prev) if prev >= month + 6 => {
                self.wraps += 1;
                wraps = self.wraps;
                self.prev_month = Some(month);
            }
            // A late straggler from before the wrap (January -> December): the previous year.
            Some(prev) if month >= prev + 6 && wraps > 0 => wraps -= 1,
            _ => self.prev_month = Some(month),
        }
        pack(wraps, month, day, secs, micros)
    }
}

fn pack(wraps: i64, month: u8, day: u8, secs: u32, micros: u32) -> i64 {
    (((wraps * 12 + i64::from(month) - 1) * 31 + i64::from(day) - 1) * 86_400 + i64::from(secs))
        * 1_000_000
        + i64::from(micros)
}

fn unpack(stamp: i64) -> (i64, u32, u32, u32, u32) {
    let micros = stamp.rem_euclid(1_000_000) as u32;
    let rest = stamp.div_euclid(1_000_000);
    let secs = rest.rem_euclid(86_400) as u32;
    let rest = rest.div_euclid(86_400);
    let day = rest.rem_euclid(31) as u32 + 1;
    let rest = rest.div_euclid(31);
    let month = rest.rem_euclid(12) as u32 + 1;
    (rest.div_euclid(12), month, day, secs, micros)
}

fn to_micros(year: i32, month: u32, day: u32, secs: u32, micros: u32) -> i64 {
    // Feb 29 of a non-leap year cannot occur in a real log; clamp rather than drop the line.
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(year, month, day.min(28)))
        .expect("day clamped to 28 exists in every month");
    let dt = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    Utc.from_utc_datetime(&dt).timestamp_micros() + i64::from(secs) * 1_000_000 + i64::from(micros)
}

/// How far after the anchor a last line may be (zone differences between log and mtime).
const ANCHOR_SLACK_MICROS: i64 = 36 * 3600 * 1_000_000;

/// The year of the first line (wrap 0), given the file's newest stamp and its anchor time.
pub(crate) fn base_year(newest_stamp: i64, anchor_micros: i64) -> i32 {
    let (wraps, month, day, secs, micros) = unpack(newest_stamp);
    let anchor_year = Utc
        .timestamp_micros(anchor_micros)
        .single()
        .map_or(1970, |d| d.year());
    let in_anchor_year = to_micros(anchor_year, month, day, secs, micros);
    let newest_year = if in_anchor_year <= anchor_micros + ANCHOR_SLACK_MICROS {
        anchor_year
    } else {
        anchor_year - 1
    };
    newest_year - wraps as i32
}

const HOUR_MICROS: i64 = 3_600_000_000;

/// Where a year-less file's lines lie: a line count per file-local hour and the newest line, so
/// the year can follow the bulk of the lines instead of the newest one alone. A line dated after
/// the file was last written is impossible; one such line (a skewed clock, or a line the
/// customer wrote) must not move every other line of the file a year back.
#[derive(Debug, Default, Clone)]
pub(crate) struct Spread {
    hours: std::collections::BTreeMap<i64, u64>,
    lines: u64,
    /// The newest stamp and the line it is on.
    newest: Option<(i64, u64)>,
}

impl Spread {
    pub(crate) fn add(&mut self, stamp: i64, line: u64) {
        *self.hours.entry(stamp.div_euclid(HOUR_MICROS)).or_default() += 1;
        self.lines += 1;
        if self.newest.is_none_or(|(n, _)| stamp > n) {
            self.newest = Some((stamp, line));
        }
    }

    /// The start of the hour holding the middle line.
    fn median_hour(&self) -> Option<i64> {
        let mut seen = 0;
        self.hours.iter().find_map(|(&hour, &n)| {
            seen += n;
            (seen * 2 >= self.lines).then_some(hour * HOUR_MICROS)
        })
    }
}

/// Lines a year-less file dates after its anchor once the year follows the bulk of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skew {
    /// Lines dated after the anchor and its slack (counted by the hour).
    pub(crate) lines: u64,
    /// The newest of them (UTC micros as written, zone-less) and its line number.
    pub(crate) newest: i64,
    pub(crate) line: u64,
}

/// A year-less file's base year (that of its first line) and the lines that year dates after
/// the anchor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YearChoice {
    pub(crate) base: i32,
    pub(crate) skew: Option<Skew>,
}

/// The year is the latest that puts the middle line of the file at or before the anchor (with
/// the zone slack); lines it puts after are clock skew. When no line is after the anchor this is
/// the year the newest line gives.
pub(crate) fn infer_year(spread: &Spread, anchor_micros: i64) -> Option<YearChoice> {
    let (newest, line) = spread.newest?;
    let base = base_year(spread.median_hour()?, anchor_micros);
    let limit = anchor_micros + ANCHOR_SLACK_MICROS;
    if resolve(newest, base) <= limit {
        return Some(YearChoice { base, skew: None });
    }
    let lines = spread
        .hours
        .iter()
        .filter(|(&hour, _)| resolve((hour + 1) * HOUR_MICROS - 1, base) > limit)
        .map(|(_, &n)| n)
        .sum();
    let newest = resolve(newest, base);
    Some(YearChoice {
        base,
        skew: Some(Skew {
            lines,
            newest,
            line,
        }),
    })
}

/// Turn a file-local stamp into Unix microseconds, given the file's base year.
pub(crate) fn resolve(stamp: i64, base_year: i32) -> i64 {
    let (wraps, month, day, secs, micros) = unpack(stamp);
    to_micros(base_year + wraps as i32, month, day, secs, micros)
}

/// Interpret a zone-less wall-clock time (micros as if UTC) in `tz`; without a zone it stays UTC.
/// In a DST gap the later instant is taken, in a fold the earlier.
pub(crate) fn local_to_utc(micros: i64, tz: Option<chrono_tz::Tz>) -> i64 {
    let Some(tz) = tz else { return micros };
    let Some(naive) = Utc.timestamp_micros(micros).single().map(|d| d.naive_utc()) else {
        return micros;
    };
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.timestamp_micros()
        }
        chrono::LocalResult::None => tz
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map_or(micros, |t| t.timestamp_micros()),
    }
}

pub(crate) use crate::model::day::DAY_MICROS;

/// The calendar day (days since 1970-01-01) of an instant in `tz` (UTC without one).
pub(crate) fn day_of(micros: i64, tz: Option<chrono_tz::Tz>) -> i32 {
    let local = match (tz, Utc.timestamp_micros(micros).single()) {
        (Some(tz), Some(t)) => t
            .with_timezone(&tz)
            .naive_local()
            .and_utc()
            .timestamp_micros(),
        _ => micros,
    };
    local.div_euclid(DAY_MICROS) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::day::format_utc;

    #[test]
    fn the_fast_rfc3339_path_agrees_with_chrono() {
        for t in [
            "2026-11-02T11:00:03.185246+01:00",
            "2026-11-02T11:00:03+0100",
            "2026-11-02T10:00:03Z",
            "2026-11-02T10:00:03.5Z",
            "2026-12-31T23:59:59.999999-05:30",
            "2024-02-29T00:00:00.123+00:00",
        ] {
            let chrono = DateTime::parse_from_rfc3339(t)
                .or_else(|_| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .unwrap()
                .timestamp_micros();
            assert_eq!(fast_rfc3339(t.as_bytes()), Some(chrono), "{t}");
        }
        for bad in [
            "2026-13-02T11:00:03Z",
            "2026-11-02T11:00:03",
            "2026-11-02 11:00:03Z",
            "2026-11-02T11:00:03.Z",
        ] {
            assert_eq!(fast_rfc3339(bad.as_bytes()), None, "{bad}");
        }
    }

    fn micros(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    #[test]
    fn styles() {
        let (t, rest) = parse_prefix("Nov  2 10:00:01 mail postfix/smtp[1]: x").unwrap();
        assert_eq!(
            t,
            RawTime::YearLess {
                month: 11,
                day: 2,
                secs: 36001,
                micros: 0
            }
        );
        assert_eq!(rest, "mail postfix/smtp[1]: x");
        let (t, _) = parse_prefix("Nov 02 10:00:01 mail postfix/smtp[1]: x").unwrap();
        assert_eq!(
            t,
            RawTime::YearLess {
                month: 11,
                day: 2,
                secs: 36001,
                micros: 0
            }
        );
        let (t, _) = parse_prefix("Mar 7 02:09:33 server postfix/smtpd[27246]: x").unwrap();
        assert_eq!(
            t,
            RawTime::YearLess {
                month: 3,
                day: 7,
                secs: 7773,
                micros: 0
            }
        );
        let (t, rest) =
            parse_prefix("2026-11-02T10:00:01.123456+01:00 mail postfix/smtp[1]: x").unwrap();
        assert_eq!(t, RawTime::Absolute(micros("2026-11-02T09:00:01.123456Z")));
        assert_eq!(rest, "mail postfix/smtp[1]: x");
        assert!(parse_prefix("Jan: 1 00:00:00 hostname postfix/postscreen[12345]: foo").is_none());
        assert!(parse_prefix("garbage").is_none());
    }

    #[test]
    fn the_bulk_of_the_lines_decides_the_year_not_a_skewed_newest_line() {
        let anchor = micros("2026-11-23T00:00:00Z");
        let mut y = YearTracker::default();
        let mut spread = Spread::default();
        for (line, day) in [(1, 2), (2, 10), (3, 22)] {
            spread.add(y.stamp(11, day, 10 * 3600, 0), line);
        }
        let normal = infer_year(&spread, anchor).unwrap();
        assert_eq!(
            normal,
            YearChoice {
                base: 2026,
                skew: None
            }
        );
        // 37 h after the mtime: past the 36 h zone slack.
        let skewed = y.stamp(11, 24, 13 * 3600, 0);
        spread.add(skewed, 4);
        assert_eq!(
            base_year(skewed, anchor),
            2025,
            "the newest line alone says 2025"
        );
        let choice = infer_year(&spread, anchor).unwrap();
        assert_eq!(choice.base, 2026);
        let skew = choice.skew.unwrap();
        assert_eq!((skew.lines, skew.line), (1, 4));
        assert_eq!(format_utc(skew.newest), "2026-11-24T13:00:00Z");
        // A file of last December read in January is last year's, skew or not.
        let mut y = YearTracker::default();
        let mut spread = Spread::default();
        spread.add(y.stamp(12, 30, 0, 0), 1);
        let choice = infer_year(&spread, micros("2027-01-03T00:00:00Z")).unwrap();
        assert_eq!(
            choice,
            YearChoice {
                base: 2026,
                skew: None
            }
        );
    }

    #[test]
    fn year_wrap_is_resolved_from_the_anchor() {
        let mut y = YearTracker::default();
        let dec = y.stamp(12, 31, 23 * 3600, 0);
        let late = y.stamp(1, 1, 10, 0);
        let straggler = y.stamp(12, 31, 23 * 3600 + 59 * 60, 0);
        let jan = y.stamp(1, 2, 0, 0);
        assert!(dec < straggler && straggler < late && late < jan);
        let anchor = micros("2027-01-02T06:00:00Z");
        let base = base_year(jan, anchor);
        assert_eq!(base, 2026);
        assert_eq!(format_utc(resolve(dec, base)), "2026-12-31T23:00:00Z");
        assert_eq!(format_utc(resolve(late, base)), "2027-01-01T00:00:10Z");
        // Same file copied later (mtime in March): still the same years.
        assert_eq!(base_year(jan, micros("2027-03-15T00:00:00Z")), 2026);
        // A file of December lines whose mtime is in the following January.
        let mut y = YearTracker::default();
        let d = y.stamp(12, 30, 0, 0);
        assert_eq!(base_year(d, micros("2027-01-03T00:00:00Z")), 2026);
    }
}
