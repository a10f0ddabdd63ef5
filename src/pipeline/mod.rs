//! What the subcommands share, from inputs to a report set: rules, logs -> partial (`ingest_logs`),
//! partial + SNDS -> report rows (`aggregate_partial`), the report set and the run summary
//! (`write_reports`, `finish`), the `<out>.lock`. `history` keeps the state's per-day history
//! for `run`'s report windows. Commands in `cmd/` call these; none calls another command.

pub(crate) mod cases;
mod dnsbl;
pub(crate) mod history;

use crate::aggregate::{self, Aggregates, ReportWindow, WindowKind};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::config::Config;
use crate::error::{Error, Result, EXIT_INPUT_PROBLEMS, EXIT_OK};
use crate::ingest::fingerprint::KnownFiles;
use crate::ingest::snds;
use crate::model::{Partial, Stats};
use crate::{ingest, report};
use std::path::Path;
use std::time::Instant;

/// The built-in catalogue, or it with a provider's rule file applied.
pub(crate) fn rules(file: Option<&Path>) -> Result<RuleSet> {
    Ok(match file {
        Some(path) => RuleSet::with_file(path)?,
        None => RuleSet::builtin().clone(),
    })
}

/// The rule catalogue `config` asks for (`--rules`).
pub(crate) fn load_rules(config: &Config) -> Result<RuleSet> {
    rules(config.rules.as_deref())
}

/// The SNDS exports of `--snds` (None without it), with the rows `--lenient` skipped.
pub(crate) fn load_snds(
    config: &Config,
) -> Result<Option<(crate::model::snds::Snds, Vec<crate::error::SndsError>)>> {
    config
        .snds
        .as_deref()
        .map(|dir| snds::load_dir(dir, config.lenient))
        .transpose()
        .map_err(Error::from)
}

/// The report texts (built in, or `--templates`), each tried on a notice with every situation:
/// called before any work, so a broken or misspelt template stops the run with its file and line.
pub(crate) fn templates(config: &Config) -> Result<report::templates::Templates> {
    let templates = report::templates::Templates::load(config.templates.as_deref())
        .map_err(|e| Error::Config(e.to_string()))?;
    report::notice::try_render(&templates).map_err(|e| Error::Config(e.to_string()))?;
    Ok(templates)
}

/// The report set, swapped in atomically.
pub(crate) fn write_reports(
    config: &Config,
    aggregates: &Aggregates,
    templates: report::templates::Templates,
) -> Result<()> {
    let options = report::ReportOptions {
        provider: config.provider.clone(),
        keep: config.keep,
        templates,
        threads: config.threads,
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
        crate::fsio::write_atomically_public(path, |w| {
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
        let pack = report::delist::incomplete_note(aggregates, &config.provider);
        let _ = print(
            &mut stderr.lock(),
            aggregates,
            started.elapsed(),
            config.threads,
            stages,
            pack.as_deref(),
        );
    }
    // After the summary: a mail that cannot be sent fails the command (exit 1), and its message
    // says the reports themselves are written.
    crate::mail::send_summary(config)?;
    if !config.quiet && !config.mail_to.is_empty() {
        eprintln!("  mailed to {}", config.mail_to.join(", "));
    }
    Ok(if aggregates.stats.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_PROBLEMS
    })
}

/// Ingest, classify, attribute and aggregate: everything but writing reports (every log line
/// read, no window, no state: for commands that look at the logs as they are).
pub(crate) fn analyse(
    config: &Config,
    inventory: &Inventory,
    rules: &RuleSet,
) -> Result<Aggregates> {
    let mut partial = ingest_logs(config, inventory, rules, false, None)?;
    resolve(inventory, &mut partial)?;
    let window = ReportWindow {
        kind: WindowKind::All,
        since: None,
        until: None,
        tz: config.tz_name(),
    };
    aggregate_partial(config, partial, inventory, rules, window, None)
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

/// SNDS joined in, polars group-bys: the report rows, from a per-day partial (its days are
/// folded into one here, after the trend charts' per-day counts are taken from it). `trend`: the
/// state's history of those counts (`history::History::trend`); None: the partial's own days.
pub(crate) fn aggregate_partial(
    config: &Config,
    mut partial: Partial,
    inventory: &Inventory,
    rules: &RuleSet,
    window: ReportWindow,
    trend: Option<aggregate::Trend>,
) -> Result<Aggregates> {
    let trend = trend.unwrap_or_else(|| {
        aggregate::Trend::of(&partial, rules, config.ipv4_prefix, config.ipv6_prefix)
    });
    partial.collapse_days();
    let lookups = match &config.dnsbl {
        Some(l) => dnsbl::lookups(config, l, &mut partial, inventory),
        None => None,
    };
    let snds = match load_snds(config)? {
        Some((mut data, problems)) => {
            for p in problems {
                partial.stats.skip(p.skip_reason());
                partial
                    .stats
                    .problem(&format!("snds/{}", p.file()), p.line(), p.problem());
            }
            partial.stats.problems.sort();
            // SNDS rows count like log events: only the report window's days.
            let date = |d: Option<i32>| d.map(crate::model::day::date_of_day);
            aggregate::snds::select_window(&mut data, date(window.since), date(window.until));
            Some(data)
        }
        None => None,
    };
    let mut agg = aggregate::aggregate(
        partial,
        inventory,
        rules,
        aggregate::ListData {
            snds: snds.as_ref(),
            dnsbl: lookups.as_ref(),
        },
        config.ipv4_prefix,
        config.ipv6_prefix,
        config.recipients,
    )?;
    agg.window = window;
    agg.trend = trend;
    Ok(agg)
}
/// Hold `<dir>.lock` for the whole run: a second run for the same report (or state) directory
/// stops at once.
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

/// Give memory the ingest workers freed back to the system before the single-threaded stages
/// allocate theirs. glibc keeps each worker thread's freed memory in that thread's arena, where
/// the main thread cannot reuse it: on the 1 GB bench the run's peak was ~12 MB higher without
/// this. Elsewhere (musl, other systems) there is nothing to do.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The environment variable polars sizes its worker pool by (the core count when unset).
const POLARS_THREADS: &str = "POLARS_MAX_THREADS";

/// `--threads` bounds polars' pool too: a cron job given one core keeps to one core in the
/// aggregation as well. A `POLARS_MAX_THREADS` the operator set stays as set. Called first by
/// every command that aggregates, while no thread but the main one exists (polars reads the
/// variable once, when its pool starts).
pub(crate) fn bound_polars_threads(threads: usize) {
    if let Some(value) = polars_threads_setting(std::env::var_os(POLARS_THREADS), threads) {
        std::env::set_var(POLARS_THREADS, value);
    }
}

/// The value to give `POLARS_MAX_THREADS`, if any.
fn polars_threads_setting(existing: Option<std::ffi::OsString>, threads: usize) -> Option<String> {
    existing.is_none().then(|| threads.max(1).to_string())
}

#[cfg(test)]
mod polars_threads_tests {
    use super::*;

    #[test]
    fn threads_bound_polars_unless_the_operator_set_it() {
        assert_eq!(polars_threads_setting(None, 1).as_deref(), Some("1"));
        assert_eq!(polars_threads_setting(None, 8).as_deref(), Some("8"));
        assert_eq!(polars_threads_setting(Some("4".into()), 1), None);
    }
}
