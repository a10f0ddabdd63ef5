//! `run`'s history: the state's stored days plus tonight's new lines, the report window chosen
//! from them, and the next generation of stored days and cursors.

use crate::aggregate::{DayCounts, ReportWindow, Trend, WindowKind};
use crate::classify::RuleSet;
use crate::config::{Config, WindowSpec};
use crate::error::{Error, Result};
use crate::model::FileCursor;
use crate::model::Partial;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Calendar days with events per (ip, rule), for the state's `days_seen`.
pub(crate) fn row_days(partial: &Partial, rules: &RuleSet) -> crate::state::RowDays {
    let mut out = crate::state::RowDays::new();
    // Quotes of another customer's address are no row's evidence (docs/security.md).
    let attributed =
        |k: &&crate::model::EventKey| k.ip_source != crate::model::IpSource::ReplyOtherCustomer;
    for k in partial.events.keys().filter(attributed) {
        let ip = k.ip.map_or_else(String::new, |i| i.to_string());
        out.entry((ip, rules.rule(k.rule).id.clone()))
            .or_default()
            .insert(k.day);
    }
    out
}

/// The stored history plus this run's new lines, for windows and for the next run.
pub(crate) struct History {
    /// Stored days needed (touched by this run, or in the window) merged with the new lines.
    store: Partial,
    /// Days this run added lines to: rewritten in the next generation.
    touched: BTreeSet<i32>,
    /// Stored days carried over unchanged (date -> file).
    kept: BTreeMap<String, String>,
    /// Oldest day kept.
    horizon: i32,
    /// Newest day in the data (stored or new).
    newest: Option<i32>,
    fresh: bool,
    /// Blocks per day over the stored history (kept days and this run's, within the horizon).
    pub(crate) trend: Trend,
    pub(crate) problems: Vec<crate::persist::days::LoadProblem>,
}

impl History {
    pub(crate) fn build(
        dir: &Path,
        prev: &crate::state::State,
        fresh: bool,
        batch: &Partial,
        config: &Config,
        rules: &RuleSet,
    ) -> Result<History> {
        let stored: BTreeMap<i32, String> = if fresh {
            BTreeMap::new()
        } else {
            prev.days
                .iter()
                .filter_map(|(date, file)| {
                    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
                    Some((crate::model::day::day_of_date(d), file.clone()))
                })
                .collect()
        };
        let touched = batch.days();
        let newest = stored
            .keys()
            .next_back()
            .copied()
            .max(touched.last().copied());
        let horizon = newest.map_or(i32::MIN, |n| n - config.history_days as i32 + 1);
        let range = window_range(config.window, newest);
        let mut store = Partial::default();
        let mut problems = Vec::new();
        let mut kept = BTreeMap::new();
        for (&day, file) in &stored {
            if day < horizon {
                continue;
            }
            let needed =
                touched.contains(&day) || range.is_some_and(|(a, b)| (a..=b).contains(&day));
            if needed {
                crate::persist::days::read_day(dir, file, day, rules, &mut store, &mut problems)?;
            }
            if !touched.contains(&day) {
                kept.insert(
                    crate::model::day::date_of_day(day).to_string(),
                    file.clone(),
                );
            }
        }
        let mut new_lines = batch.clone();
        new_lines.stats = Default::default();
        let store = store.merge(new_lines);
        let trend = history_trend(dir, prev, &stored, &store, horizon, config, rules)?;
        problems.extend(trend.1);
        let trend = trend.0;
        Ok(History {
            store,
            touched,
            kept,
            horizon,
            newest,
            fresh,
            trend,
            problems,
        })
    }

    /// The cursors to save: this run's, plus earlier ones for files not seen this run (a VPS
    /// whose logs were not collected tonight must not be read twice tomorrow), until their data
    /// has left the history.
    pub(crate) fn cursors(
        &self,
        previous: Vec<FileCursor>,
        this_run: &[FileCursor],
    ) -> Vec<FileCursor> {
        let key = |c: &FileCursor| (c.head_len, c.head_hash.clone());
        let mut out: BTreeMap<(u32, String), FileCursor> = BTreeMap::new();
        if !self.fresh {
            for c in previous {
                if c.last_day.is_some_and(|d| d >= self.horizon) {
                    out.insert(key(&c), c);
                }
            }
        }
        for c in this_run {
            if let Some(old) = &c.replaces {
                out.remove(old);
            }
            out.insert(key(c), c.clone());
        }
        out.into_values().collect()
    }

    /// Write the touched days under the next generation's names, then state.json (the switch),
    /// then remove day files no longer named.
    pub(crate) fn commit(
        self,
        dir: &Path,
        next: &mut crate::state::State,
        rules: &RuleSet,
    ) -> Result<()> {
        let generation = next.generation + 1;
        let mut days = self.kept;
        for &day in self.touched.iter().filter(|&&d| d >= self.horizon) {
            let name = crate::persist::days::file_name(day, generation);
            crate::persist::days::write_day(dir, &name, day, &self.store, rules).map_err(
                |source| Error::Output {
                    path: dir.join(&name),
                    source,
                },
            )?;
            days.insert(crate::model::day::date_of_day(day).to_string(), name);
        }
        next.generation = generation;
        next.days = days;
        next.trend = stored_trend(&self.trend);
        crate::state::save(dir, next)?;
        crate::state::remove_unnamed_day_files(dir, next);
        Ok(())
    }
}

/// Blocks per day over the history: days with data loaded this run (touched, or in the window)
/// counted from it, the other stored days as state.json keeps them, or, for a day stored before
/// trends were kept (or under other subnet prefixes), counted from its day file once.
fn history_trend(
    dir: &Path,
    prev: &crate::state::State,
    stored: &BTreeMap<i32, String>,
    store: &Partial,
    horizon: i32,
    config: &Config,
    rules: &RuleSet,
) -> Result<(Trend, Vec<crate::persist::days::LoadProblem>)> {
    let (v4, v6) = (config.ipv4_prefix, config.ipv6_prefix);
    let mut trend = Trend::of(store, rules, v4, v6);
    trend.days.retain(|&d, _| d >= horizon);
    let mut unknown = Partial::default();
    let mut problems = Vec::new();
    for (&day, file) in stored.range(horizon..) {
        if trend.days.contains_key(&day) {
            continue;
        }
        let date = crate::model::day::date_of_day(day).to_string();
        match prev.trend.get(&date).and_then(|t| parse_day(t, v4, v6)) {
            Some(nets) => {
                trend.days.insert(day, nets);
            }
            None => {
                crate::persist::days::read_day(dir, file, day, rules, &mut unknown, &mut problems)?
            }
        }
    }
    trend.days.extend(Trend::of(&unknown, rules, v4, v6).days);
    Ok((trend, problems))
}

/// One stored day of state.json's trend; None when it does not read as subnets of the run's
/// prefixes (then the day is counted again from its day file).
fn parse_day(
    stored: &BTreeMap<String, [u64; 2]>,
    v4: u8,
    v6: u8,
) -> Option<BTreeMap<ipnetwork::IpNetwork, DayCounts>> {
    stored
        .iter()
        .map(|(net, [blocked_ips, rejections])| {
            let net: ipnetwork::IpNetwork = net.parse().ok()?;
            let prefix = if net.is_ipv4() { v4 } else { v6 };
            (net.prefix() == prefix).then_some((
                net,
                DayCounts {
                    blocked_ips: *blocked_ips,
                    rejections: *rejections,
                },
            ))
        })
        .collect()
}

/// The trend as state.json keeps it.
fn stored_trend(trend: &Trend) -> BTreeMap<String, BTreeMap<String, [u64; 2]>> {
    trend
        .days
        .iter()
        .map(|(&day, nets)| {
            let nets = nets
                .iter()
                .map(|(net, c)| (net.to_string(), [c.blocked_ips, c.rejections]))
                .collect();
            (crate::model::day::date_of_day(day).to_string(), nets)
        })
        .collect()
}

/// The inclusive day range of an explicit window (None: the default window).
fn window_range(spec: WindowSpec, newest: Option<i32>) -> Option<(i32, i32)> {
    if spec.is_default() {
        return None;
    }
    let until = spec.until.or(newest).unwrap_or(i32::MAX);
    let since = match (spec.since, spec.days) {
        (Some(s), _) => s,
        (None, Some(n)) => until.saturating_sub(n as i32 - 1),
        (None, None) => i32::MIN,
    };
    Some((since, until))
}

/// The lines the reports cover: the window's days (from the history when there is a state),
/// else this run's new lines.
pub(crate) fn select_window(
    config: &Config,
    batch: Partial,
    history: Option<&History>,
    had_run: bool,
) -> (Partial, ReportWindow) {
    let newest = match history {
        Some(h) => h.newest,
        None => batch.days().last().copied(),
    };
    let tz = config.tz_name();
    match window_range(config.window, newest) {
        Some((since, until)) => {
            let mut partial = match history {
                Some(h) => {
                    let mut p = h.store.clone();
                    p.stats = batch.stats;
                    p
                }
                None => batch,
            };
            partial.retain_days(|d| (since..=until).contains(&d));
            let window = ReportWindow {
                kind: WindowKind::Dates,
                since: (since != i32::MIN).then_some(since),
                until: (until != i32::MAX).then_some(until),
                tz,
            };
            (partial, window)
        }
        None => {
            let kind = if history.is_some() && had_run {
                WindowKind::SinceLastRun
            } else {
                WindowKind::All
            };
            let window = ReportWindow {
                kind,
                since: None,
                until: None,
                tz,
            };
            (batch, window)
        }
    }
}
