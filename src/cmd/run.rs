//! `blockscope run`: logs + inventory (+ SNDS, + state) -> report set. The stages are
//! `pipeline`'s; this is their order for the nightly job.

use crate::aggregate::WindowKind;
use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::Result;
use crate::ingest::fingerprint::KnownFiles;
use crate::pipeline::history::{row_days, select_window, History};
use crate::pipeline::{
    aggregate_partial, finish, ingest_logs, load_rules, lock, resolve, write_reports,
};
use std::path::Path;
use std::time::Instant;

/// Run the nightly job; returns the exit code (0, or 3 when some input could not be read).
pub fn run(config: &Config) -> Result<i32> {
    let started = Instant::now();
    crate::pipeline::bound_polars_threads(config.threads);
    let _lock = lock(&config.out)?;
    // Two runs with one state (different --out) would each save their own next state, and the
    // later would silently drop the other's nights.
    let _state_lock = config.state.as_deref().map(lock).transpose()?;
    let inventory = Inventory::load(&config.inventory)?;
    let rules = load_rules(config)?;
    let templates = crate::pipeline::templates(config)?;
    // Load the state first: a corrupt state stops the run before any work.
    let previous = match &config.state {
        Some(dir) => Some(crate::state::load(dir, config.rebuild_state)?),
        None => None,
    };
    let cases = crate::pipeline::cases::load(config)?;
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
    crate::pipeline::release_free_memory();
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
    let (window_partial, window) = select_window(config, batch, history.as_ref(), had_run);
    let row_days = row_days(&window_partial, &rules);
    let quiet_night = window.kind == WindowKind::SinceLastRun && window_partial.times.is_empty();
    // With a state, the trend charts span its stored history, not only tonight's lines.
    let trend = history.as_ref().map(|h| h.trend.clone());
    let mut aggregates =
        aggregate_partial(config, window_partial, &inventory, &rules, window, trend)?;
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
    let cases =
        crate::pipeline::cases::follow(config, cases, &mut aggregates, nightly && !quiet_night);
    write_reports(config, &aggregates, templates)?;
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
        if let Some(cases) = &cases {
            crate::state::cases::save(dir, cases)?;
        }
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
