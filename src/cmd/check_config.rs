//! `blockscope check-config`: validate everything `run` would use, without running.

use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::Result;
use std::io::Write;

pub(crate) fn run(config: &Config, w: &mut dyn Write) -> Result<()> {
    let inventory = Inventory::load(&config.inventory)?;
    let rules = crate::pipeline::load_rules(config)?;
    crate::pipeline::templates(config)?;
    // --lenient is honoured as run honours it: malformed rows are listed, not fatal.
    let snds = crate::pipeline::load_snds(config)?;
    let vps_dirs = std::fs::read_dir(&config.logs)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .count()
        })
        .unwrap_or(0);
    let out = |source| crate::error::Error::Output {
        path: "stdout".into(),
        source,
    };
    writeln!(w, "configuration OK").map_err(out)?;
    writeln!(
        w,
        "  logs       {} ({vps_dirs} VPS directories)",
        config.logs.display()
    )
    .map_err(out)?;
    writeln!(
        w,
        "  inventory  {} ({} customers, {} VPSes, {} addresses or ranges)",
        config.inventory.display(),
        inventory.customers.len(),
        inventory.vpses.len(),
        inventory.entries.len()
    )
    .map_err(out)?;
    writeln!(
        w,
        "  rules      {} rules{}",
        rules.rules().len(),
        config
            .rules
            .as_ref()
            .map_or(String::new(), |p| format!(" (with {})", p.display()))
    )
    .map_err(out)?;
    writeln!(w, "  provider   {}", describe_provider(&config.provider)).map_err(out)?;
    if let Some(dir) = &config.templates {
        writeln!(
            w,
            "  templates  {} (tried on every notice situation)",
            dir.display()
        )
        .map_err(out)?;
    }
    if let (Some(dir), Some((data, problems))) = (&config.snds, &snds) {
        let notes = crate::aggregate::snds::Notes::new(data);
        writeln!(w, "  snds       {} ({})", dir.display(), notes.files()).map_err(out)?;
        for note in notes.empty() {
            writeln!(w, "    {note}").map_err(out)?;
        }
        if !problems.is_empty() {
            writeln!(
                w,
                "    {} malformed SNDS row(s) or file(s) would be skipped (--lenient):",
                problems.len()
            )
            .map_err(out)?;
            for p in problems {
                writeln!(w, "      {p}").map_err(out)?;
            }
        }
    }
    if let Some(dir) = &config.state {
        writeln!(
            w,
            "  state      {}",
            describe_state(dir, config.rebuild_state)?
        )
        .map_err(out)?;
        if !config.window.is_default() {
            writeln!(
                w,
                "    a report window (since/until/days) is set: runs report only and never save the state"
            )
            .map_err(out)?;
        }
    }
    writeln!(w, "  out        {}", config.out.display()).map_err(out)?;
    Ok(())
}

/// Load the state as `run` would (a truncated or corrupt state.json stops here, exit 2) and
/// read every stored day it names, so a damaged state is found before the night's run.
fn describe_state(dir: &std::path::Path, rebuild: bool) -> Result<String> {
    if rebuild {
        return Ok(format!(
            "{} (--rebuild-state: started afresh)",
            dir.display()
        ));
    }
    if !crate::state::path(dir).exists() {
        return Ok(format!(
            "{} (none yet: the first run starts it)",
            dir.display()
        ));
    }
    let state = crate::state::load(dir, false)?;
    crate::persist::days::check_days(dir, &state.days)?;
    Ok(format!(
        "{} (generation {}: {} tracked (IP, rule) entries, {} stored days, {} known log files)",
        dir.display(),
        state.generation,
        state.entries.len(),
        state.days.len(),
        state.files.len()
    ))
}

/// The provider's identity as the delisting pack will write it, or what is missing.
fn describe_provider(p: &crate::model::Provider) -> String {
    let given: Vec<&str> = [&p.name, &p.contact, &p.email]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(p.sender_domains.iter().map(String::as_str))
        .collect();
    match p.missing().as_slice() {
        [] => given.join(", "),
        missing => format!(
            "{}not configured: {} (the delisting pack will say it is incomplete)",
            if given.is_empty() {
                String::new()
            } else {
                format!("{}; ", given.join(", "))
            },
            missing.join(", ")
        ),
    }
}
