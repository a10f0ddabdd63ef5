//! `blockscope ingest`: this host's logs -> one Parquet partial (parse, classify, per-day cells).

use crate::attribute::inventory::Inventory;
use crate::cli::IngestArgs;
use crate::config::Config;
use crate::error::{Error, Result, EXIT_INPUT_PROBLEMS, EXIT_OK};
use crate::persist::partials;
use std::time::Instant;

pub fn run(args: &IngestArgs) -> Result<i32> {
    let started = Instant::now();
    if !args.logs.is_dir() {
        return Err(Error::Config(format!(
            "--logs {}: not a directory; point it at the directory that holds one sub-directory per VPS",
            args.logs.display()
        )));
    }
    let threads = crate::config::threads(args.threads)?;
    let config = Config {
        logs: args.logs.clone(),
        inventory: args.inventory.clone().unwrap_or_default(),
        out: args.out.clone(),
        rules: args.rules.clone(),
        tz: crate::config::parse_tz(args.tz.as_deref())?,
        threads,
        quiet: args.quiet,
        ..Config::for_analysis()
    };
    // Without an inventory, cells name the directory they were read in; `report` resolves it.
    let inventory = match &args.inventory {
        Some(path) => Inventory::load(path)?,
        None => Inventory::absent(),
    };
    let rules = crate::cmd::run::load_rules(&config)?;
    let mut partial = crate::cmd::run::ingest_logs(&config, &inventory, &rules, false, None)?;
    partial.cursors.clear();
    let host_id = args.host_id.clone().unwrap_or_else(host_name);
    let bytes = partials::write(&args.out, &partial, &rules, &host_id)?;
    if !args.quiet {
        let s = &partial.stats;
        eprintln!(
            "blockscope ingest: {} files, {:.1} MB, {} lines in {:.2}s -> {} ({} event cells, {:.1} KB)",
            s.files,
            s.bytes as f64 / 1e6,
            s.lines,
            started.elapsed().as_secs_f64(),
            args.out.display(),
            partial.events.len(),
            bytes as f64 / 1e3
        );
    }
    Ok(if partial.stats.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT_PROBLEMS
    })
}

/// The kernel's host name (`/proc/sys/kernel/hostname`), or `unknown`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
