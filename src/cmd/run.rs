//! `blockscope run`: logs + inventory (+ SNDS) -> report set.

use crate::aggregate::{self, Aggregates, ReportWindow, WindowKind};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::config::{Config, WindowSpec};
use crate::error::{Error, Result, EXIT_INPUT_PROBLEMS, EXIT_OK};
use crate::ingest::fingerprint::KnownFiles;
use crate::ingest::snds;
use crate::model::{day, FileCursor};
use crate::model::{Partial, Stats};
use crate::{ingest, report};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

/// Run the nightly job; returns the exit code (0, or 3 when some input could not be read).
pub fn run(config: &Config) -> Result<i32> {
    let started = Instant::now();
    let _lock = lock(&config.out)?;
    let inventory = Inventory::load(&config.inventory)?;
    let rules = load_rules(config)?;
    // Load the state first: a corrupt state stops the run before any work.
    let previous = match &config.state {
        Some(dir) => Some(crate::state::load(dir, config.rebuild_state)?),
        None => None,
    };
    // --full and --rebuild-state start the history afresh from the logs on disk.
    let fresh = config.full || config.rebuild_state;
    let known = previous
        .as_ref()
        .map(|p| KnownFiles::new(if fresh { Vec::new() } else { p.files.clone() }));
    // A progress bar only for a person watching a terminal; cron gets the summary lines.
    let show = !config.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut stages: Vec<(&'static str, std::time::Duration)> = Vec::new();
    let mut stage_start = Instant::now();
    let mut stage = |name: &'static str| {
        stages.push((name, stage_start.elapsed()));
        stage_start = Instant::now();
    };
    let mut batch = ingest_logs(config, &inventory, &rules, show, known.as_ref())?;
    resolve(&inventory, &mut batch)?;
    stage("ingest");
    let cursors = std::mem::take(&mut batch.cursors);
    let history = match (&config.state, &previous) {
        (Some(dir), Some(prev)) => Some(History::build(dir, prev, fresh, &batch, config, &rules)?),
        _ => None,
    };
    if let Some(h) = &history {
        for p in &h.problems {
            batch
                .stats
                .problem(&format!("{}", p.path.display()), None, p.reason.clone());
        }
        batch.stats.problems.sort();
    }
    let had_run = previous
        .as_ref()
        .is_some_and(|p| p.generation > 0 || !p.entries.is_empty());
    let (mut window_partial, window) = select_window(config, batch, history.as_ref(), had_run);
    let row_days = row_days(&window_partial, &rules);
    let quiet_night = window.kind == WindowKind::SinceLastRun && window_partial.times.is_empty();
    window_partial.collapse_days();
    let mut aggregates = aggregate_partial(config, window_partial, &inventory, &rules, window)?;
    stage("aggregate");
    // Only the nightly window speaks for tonight: an explicit window (a past week, a day
    // without data) once marked every entry it did not show resolved, erasing the state.
    let nightly = config.window.is_default();
    let absent = if nightly {
        crate::state::Absent::Resolve
    } else {
        crate::state::Absent::Keep
    };
    let next = previous.as_ref().map(|p| {
        if quiet_night {
            // No new log line at all (collection failed?): nothing is resolved by silence.
            p.clone()
        } else {
            let prefixes = (config.ipv4_prefix, config.ipv6_prefix);
            crate::state::apply(&mut aggregates, p, &row_days, prefixes, absent)
        }
    });
    write_reports(config, &aggregates)?;
    stage("reports");
    // An explicit window is a report only and saves nothing: tonight's new lines stay unread
    // for the nightly run, which reports them as new and resolves what stopped.
    let next = next.filter(|_| nightly);
    if let (Some(dir), false) = (&config.state, nightly) {
        report_only_note(config, dir);
    }
    // Only now: a run that failed to write reports must not advance the state.
    if let (Some(dir), Some(mut next), Some(history)) = (&config.state, next, history) {
        next.files = history.cursors(std::mem::take(&mut next.files), &cursors);
        history.commit(dir, &mut next, &rules)?;
        stage("state");
    }
    finish(config, &aggregates, started, &stages)
}

/// Say on stderr that an explicit window left the state alone: a `days = 1` left in a nightly
/// config file would otherwise stop the state from advancing without a word.
fn report_only_note(config: &Config, dir: &Path) {
    if config.quiet || config.json_log {
        return;
    }
    eprintln!(
        "blockscope: note: an explicit report window (--since/--until/--days) is a report only; the state in {} is unchanged (the nightly run without them saves it)",
        dir.display()
    );
}

/// The report set, swapped in atomically.
pub(crate) fn write_reports(config: &Config, aggregates: &Aggregates) -> Result<()> {
    let options = report::ReportOptions {
        delist_contact: config.delist_contact.clone(),
        keep: config.keep,
    };
    report::write_report_set(&config.out, aggregates, &options)
}

/// Metrics and the run summary; the exit code (3 when some input could not be read).
pub(crate) fn finish(
    config: &Config,
    aggregates: &Aggregates,
    started: Instant,
    stages: &report::run_summary::Stages,
) -> Result<i32> {
    if let Some(path) = &config.metrics {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        crate::fsio::write_atomically(path, |w| {
            report::metrics::write(w, aggregates, started.elapsed(), now)
        })
        .map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?;
    }
    if !config.quiet {
        let stderr = std::io::stderr();
        // The summary is informational: a closed stderr must not fail a successful run.
        let print = if config.json_log {
            report::run_summary::print_json
        } else {
            report::run_summary::print
        };
        let _ = print(
            &mut stderr.lock(),
            aggregates,
            started.elapsed(),
            config.threads,
            stages,
        );
    }
    Ok(if aggregates.stats.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_PROBLEMS
    })
}

/// Calendar days with events per (ip, rule), for the state's `days_seen`.
fn row_days(partial: &Partial, rules: &RuleSet) -> crate::state::RowDays {
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
struct History {
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
    problems: Vec<crate::persist::days::LoadProblem>,
}

impl History {
    fn build(
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
                    Some((day::day_of_date(d), file.clone()))
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
                kept.insert(day::date_of_day(day).to_string(), file.clone());
            }
        }
        let mut new_lines = batch.clone();
        new_lines.stats = Default::default();
        let store = store.merge(new_lines);
        Ok(History {
            store,
            touched,
            kept,
            horizon,
            newest,
            fresh,
            problems,
        })
    }

    /// The cursors to save: this run's, plus earlier ones for files not seen this run (a VPS
    /// whose logs were not collected tonight must not be read twice tomorrow), until their data
    /// has left the history.
    fn cursors(&self, previous: Vec<FileCursor>, this_run: &[FileCursor]) -> Vec<FileCursor> {
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
    fn commit(self, dir: &Path, next: &mut crate::state::State, rules: &RuleSet) -> Result<()> {
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
            days.insert(day::date_of_day(day).to_string(), name);
        }
        next.generation = generation;
        next.days = days;
        crate::state::save(dir, next)?;
        crate::state::remove_unnamed_day_files(dir, next);
        Ok(())
    }
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
fn select_window(
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

/// The built-in catalogue, or it with the provider's `--rules` file applied.
pub fn load_rules(config: &Config) -> Result<RuleSet> {
    Ok(match &config.rules {
        Some(path) => RuleSet::with_file(path)?,
        None => RuleSet::builtin().clone(),
    })
}

/// Ingest, classify, attribute and aggregate: everything but writing reports (every log line
/// read, no window, no state: for commands that look at the logs as they are).
pub fn analyse(config: &Config, inventory: &Inventory, rules: &RuleSet) -> Result<Aggregates> {
    let mut partial = ingest_logs(config, inventory, rules, false, None)?;
    resolve(inventory, &mut partial)?;
    partial.collapse_days();
    let window = ReportWindow {
        kind: WindowKind::All,
        since: None,
        until: None,
        tz: config.tz_name(),
    };
    aggregate_partial(config, partial, inventory, rules, window)
}

/// What the logs alone cannot say, decided with the inventory (`attribute::resolve`): the one
/// pass `run` and `report` make, on cells as logged.
pub(crate) fn resolve(inventory: &Inventory, partial: &mut Partial) -> Result<()> {
    crate::attribute::resolve::resolve(inventory, partial)?;
    let unknown: Vec<String> = partial.stats.unknown_vps_dirs.keys().cloned().collect();
    for dir in unknown {
        partial.stats.problem(
            &format!("{dir}/"),
            None,
            "directory is not a vps_id in the inventory; its events are attributed by IP only",
        );
    }
    partial.stats.problems.sort();
    Ok(())
}

/// Find, read and parse the logs (only what is new, given earlier runs' cursors); cells as
/// logged (see `resolve`).
pub(crate) fn ingest_logs(
    config: &Config,
    inventory: &Inventory,
    rules: &RuleSet,
    show: bool,
    known: Option<&KnownFiles>,
) -> Result<Partial> {
    let mut discovery = Stats::default();
    let files = ingest::discover(&config.logs, &mut discovery);
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = show.then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = |bytes: u64| {
        if let Some(b) = &bar {
            b.inc(bytes);
        }
    };
    let mut partial = ingest::ingest(
        &files,
        inventory,
        rules,
        config.threads,
        Some(&tick),
        config.tz,
        known,
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    partial.stats.merge(discovery);
    partial.stats.problems.sort();
    Ok(partial)
}

/// SNDS joined in, polars group-bys: the report rows.
pub(crate) fn aggregate_partial(
    config: &Config,
    mut partial: Partial,
    inventory: &Inventory,
    rules: &RuleSet,
    window: ReportWindow,
) -> Result<Aggregates> {
    let snds = match &config.snds {
        Some(dir) => {
            let (mut data, problems) = snds::load_dir(dir, config.lenient)?;
            for p in problems {
                partial.stats.skip(p.skip_reason());
                partial
                    .stats
                    .problem(&format!("snds/{}", p.file()), p.line(), p.problem());
            }
            partial.stats.problems.sort();
            // SNDS rows count like log events: only the report window's days.
            let date = |d: Option<i32>| d.map(day::date_of_day);
            aggregate::snds::select_window(&mut data, date(window.since), date(window.until));
            Some(data)
        }
        None => None,
    };
    let mut agg = aggregate::aggregate(
        partial,
        inventory,
        rules,
        snds.as_ref(),
        config.ipv4_prefix,
        config.ipv6_prefix,
        config.recipients,
    )?;
    agg.window = window;
    Ok(agg)
}
/// Hold `<out>.lock` for the whole run: a second run for the same report directory stops at once.
pub(crate) fn lock(out: &std::path::Path) -> Result<std::fs::File> {
    let path = report::sibling(out, "lock");
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Output {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| Error::Output {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked {
            path: out.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Output { path, source }),
    }
}
