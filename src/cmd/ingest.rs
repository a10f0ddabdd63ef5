//! `blockscope ingest`: this host's logs -> one Parquet partial (parse, classify, per-day cells).

use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::{Result, EXIT_INPUT_PROBLEMS, EXIT_OK};
use crate::persist::partials;
use std::time::Instant;

/// `config.out` is the partial to write; `host_id` is recorded in every row.
pub(crate) fn run(config: &Config, host_id: Option<&str>) -> Result<i32> {
    let started = Instant::now();
    crate::pipeline::bound_polars_threads(config.threads);
    // Without an inventory, cells name the directory they were read in; `report` resolves it.
    let inventory = if config.inventory.as_os_str().is_empty() {
        Inventory::absent()
    } else {
        Inventory::load(&config.inventory)?
    };
    let rules = crate::pipeline::load_rules(config)?;
    let mut partial = crate::pipeline::ingest_logs(config, &inventory, &rules, false, None)?;
    partial.cursors.clear();
    let host_id = host_id.map_or_else(host_name, str::to_string);
    let bytes = partials::write(&config.out, &partial, &rules, &host_id)?;
    if !config.quiet {
        let s = &partial.stats;
        eprintln!(
            "blockscope ingest: {} files, {:.1} MB, {} lines in {:.2}s -> {} ({} event cells, {:.1} KB)",
            s.files,
            s.bytes as f64 / 1e6,
            s.lines,
            started.elapsed().as_secs_f64(),
            config.out.display(),
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
