//! A file's clock: which timestamp style it uses, the year of year-less stamps (inferred once the
//! whole file is read) and the zone of zone-less ones. Each file, and each host of a central
//! file, has its own.

use super::timestamp::{self, RawTime, YearTracker};
use crate::model::Partial;

/// Which timestamp family a file uses; decided by its first timestamped line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Absolute,
    YearLess,
}

pub(crate) struct FileClock {
    pub(crate) mode: Option<Mode>,
    years: YearTracker,
    /// Where a year-less file's lines lie, for its year (`timestamp::infer_year`).
    spread: timestamp::Spread,
    /// The zone of zone-less timestamps (`--tz`); UTC when not given.
    pub(crate) tz: Option<chrono_tz::Tz>,
}

impl FileClock {
    pub(crate) fn new(tz: Option<chrono_tz::Tz>) -> FileClock {
        FileClock {
            mode: None,
            years: YearTracker::default(),
            spread: timestamp::Spread::default(),
            tz,
        }
    }

    /// A year-less file's year once the whole file is read (the bulk of its lines placed at or
    /// before the anchor); None when stamps are already UTC.
    pub(crate) fn year(&self, anchor: Option<i64>) -> Option<(timestamp::YearChoice, i64)> {
        if self.mode != Some(Mode::YearLess) {
            return None;
        }
        let anchor = anchor.unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        Some((timestamp::infer_year(&self.spread, anchor)?, anchor))
    }

    /// For a year-less file, the map from file-local stamps to UTC (see `year`).
    pub(crate) fn resolver(&self, anchor: Option<i64>) -> Option<impl Fn(i64) -> i64> {
        let base = self.year(anchor)?.0.base;
        let tz = self.tz;
        Some(move |s| timestamp::local_to_utc(timestamp::resolve(s, base), tz))
    }

    /// Resolve a year-less file's times and days (see `resolver`); lines dated after the file
    /// was last written are listed as clock skew.
    pub(crate) fn resolve_partial(&self, file: &str, anchor: Option<i64>, partial: &mut Partial) {
        if let Some((
            timestamp::YearChoice {
                skew: Some(skew), ..
            },
            anchor,
        )) = self.year(anchor)
        {
            let newest = timestamp::local_to_utc(skew.newest, self.tz);
            let reason = skew_reason(&skew, newest, anchor);
            partial.stats.problem(file, Some(skew.line), reason);
        }
        if let Some(resolve) = self.resolver(anchor) {
            partial.map_times(&resolve);
            let tz = self.tz;
            // Local noon of a file-local day lands on that calendar day whatever the zone.
            partial.map_days(|d| {
                let noon = i64::from(d) * timestamp::DAY_MICROS + timestamp::DAY_MICROS / 2;
                timestamp::day_of(resolve(noon), tz)
            });
        }
    }

    /// The calendar day of a stamp: final for absolute times, file-local for year-less ones
    /// (`calendar_day` maps those once the year is known).
    pub(crate) fn day(&self, stamp: i64) -> i32 {
        if self.mode == Some(Mode::YearLess) {
            stamp.div_euclid(timestamp::DAY_MICROS) as i32
        } else {
            timestamp::day_of(stamp, self.tz)
        }
    }

    /// The file-local stamp of line `line`'s time; None when the line's style is not the file's.
    pub(crate) fn stamp(&mut self, raw: RawTime, line: u64) -> Option<i64> {
        let (mode, stamp) = match raw {
            RawTime::Absolute(t) => (Mode::Absolute, t),
            RawTime::Local(t) => (Mode::Absolute, timestamp::local_to_utc(t, self.tz)),
            RawTime::YearLess {
                month,
                day,
                secs,
                micros,
            } => {
                if self.mode == Some(Mode::Absolute) {
                    return None;
                }
                (Mode::YearLess, self.years.stamp(month, day, secs, micros))
            }
        };
        if *self.mode.get_or_insert(mode) != mode {
            return None;
        }
        if mode == Mode::YearLess {
            self.spread.add(stamp, line);
        }
        Some(stamp)
    }
}

/// The input problem for a year-less file's lines dated after it was last written.
fn skew_reason(skew: &timestamp::Skew, newest: i64, anchor: i64) -> String {
    let hours = (newest - anchor) / 3_600_000_000;
    format!(
        "clock skew: {} line(s) dated after the file was last written ({}), up to {} ({hours} h after); the year follows the bulk of the file's lines, check the VPS's clock",
        skew.lines,
        crate::model::day::format_utc(anchor),
        crate::model::day::format_utc(newest),
    )
}
