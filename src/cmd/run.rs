//! `blockscope run`: logs + inventory (+ SNDS) -> report set.

use crate::aggregate::{self, partial::Stats, Aggregates};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::config::Config;
use crate::error::{Error, Result, EXIT_INPUT_PROBLEMS, EXIT_OK};
use crate::ingest::snds;
use crate::{ingest, report};
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
    // A progress bar only for a person watching a terminal; cron gets the summary lines.
    let show = !config.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut aggregates = analyse_with_progress(config, &inventory, &rules, show)?;
    let next = previous
        .as_ref()
        .map(|p| crate::state::apply(&mut aggregates, p, config.ipv4_prefix, config.ipv6_prefix));
    let options = report::ReportOptions {
        delist_contact: config.delist_contact.clone(),
        keep: config.keep,
    };
    report::write_report_set(&config.out, &aggregates, &options)?;
    // Only now: a run that failed to write reports must not advance the state.
    if let (Some(dir), Some(next)) = (&config.state, &next) {
        crate::state::save(dir, next)?;
    }
    if let Some(path) = &config.metrics {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        report::write_atomically(path, |w| {
            report::metrics::write(w, &aggregates, started.elapsed(), now)
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
            &aggregates,
            started.elapsed(),
            config.threads,
        );
    }
    Ok(if aggregates.stats.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_PROBLEMS
    })
}

/// Hold `<out>.lock` for the whole run: a second run for the same report directory stops at once.
fn lock(out: &std::path::Path) -> Result<std::fs::File> {
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

/// The built-in catalogue, or it with the provider's `--rules` file applied.
pub fn load_rules(config: &Config) -> Result<RuleSet> {
    Ok(match &config.rules {
        Some(path) => RuleSet::with_file(path)?,
        None => RuleSet::builtin().clone(),
    })
}

/// Ingest, classify, attribute and aggregate: everything but writing reports.
pub fn analyse(config: &Config, inventory: &Inventory, rules: &RuleSet) -> Result<Aggregates> {
    analyse_with_progress(config, inventory, rules, false)
}

/// `analyse`, with a progress bar on stderr when asked (only ever for a terminal).
pub fn analyse_with_progress(
    config: &Config,
    inventory: &Inventory,
    rules: &RuleSet,
    show: bool,
) -> Result<Aggregates> {
    let mut discovery = Stats::default();
    let snds = match &config.snds {
        Some(dir) => {
            let (data, problems) = snds::load_dir(dir, config.lenient)?;
            for p in problems {
                discovery.skip("SNDS row malformed (skipped with --lenient)");
                discovery.problem(&format!("snds/{}", p.file), Some(p.line), p.problem);
            }
            Some(data)
        }
        None => None,
    };
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
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    partial.stats.merge(discovery);
    let unknown: Vec<String> = partial.stats.unknown_vps_dirs.keys().cloned().collect();
    for dir in unknown {
        partial.stats.problem(
            &format!("{dir}/"),
            None,
            "directory is not a vps_id in the inventory; its events are attributed by IP only",
        );
    }
    partial.stats.problems.sort();
    aggregate::aggregate(
        partial,
        inventory,
        rules,
        snds.as_ref(),
        config.ipv4_prefix,
        config.ipv6_prefix,
    )
}
