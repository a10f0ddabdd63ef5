//! `blockscope report`: Parquet partials (from `ingest` on each log host) -> the report set `run`
//! writes. Everything after parsing is `pipeline`'s, shared with `run`.

use crate::aggregate::ReportWindow;
use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::Partial;
use crate::persist::partials;
use std::path::PathBuf;
use std::time::Instant;

pub(crate) fn run(config: &Config) -> Result<i32> {
    let started = Instant::now();
    crate::pipeline::bound_polars_threads(config.threads);
    let _lock = crate::pipeline::lock(&config.out)?;
    let files = partial_files(config.partials.as_deref().unwrap_or_default())?;
    let inventory = Inventory::load(&config.inventory)?;
    let rules = crate::pipeline::load_rules(config)?;
    let templates = crate::pipeline::templates(config)?;
    let mut merged = Partial::default();
    for file in &files {
        merged = merged.merge(partials::read(file, &rules)?);
    }
    crate::pipeline::resolve(&inventory, &mut merged)?;
    let read = started.elapsed();
    let window = ReportWindow {
        tz: config.tz_name(),
        ..ReportWindow::default()
    };
    let aggregates =
        crate::pipeline::aggregate_partial(config, merged, &inventory, &rules, window, None)?;
    let aggregated = started.elapsed();
    crate::pipeline::write_reports(config, &aggregates, templates)?;
    let stages = [
        ("read partials", read),
        ("aggregate", aggregated - read),
        ("reports", started.elapsed() - aggregated),
    ];
    crate::pipeline::finish(config, &aggregates, started, &stages)
}

/// The partials named by a directory (its `*.parquet`), a file, or a glob; sorted.
fn partial_files(spec: &str) -> Result<Vec<PathBuf>> {
    let path = PathBuf::from(spec);
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(&path)
            .map_err(|source| Error::Output {
                path: path.clone(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet") && p.is_file())
            .collect()
    } else if path.is_file() {
        vec![path]
    } else {
        glob::glob(spec)
            .map_err(|e| Error::Config(format!("--partials {spec:?}: not a valid glob: {e}")))?
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file())
            .collect()
    };
    files.sort();
    if files.is_empty() {
        return Err(Error::Config(format!(
            "--partials {spec:?}: no partials found; give a directory of .parquet files written by `blockscope ingest`, one file, or a glob"
        )));
    }
    Ok(files)
}
