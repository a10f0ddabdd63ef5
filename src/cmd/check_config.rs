//! `blockscope check-config`: validate everything `run` would use, without running.

use crate::attribute::inventory::Inventory;
use crate::config::Config;
use crate::error::{ConfigError, Result};
use std::io::Write;
use std::path::Path;

pub(crate) fn run(config: &Config, w: &mut dyn Write) -> Result<()> {
    let given = |p: &Path| !p.as_os_str().is_empty();
    if !given(&config.logs)
        && !given(&config.inventory)
        && !given(&config.out)
        && config.rules.is_none()
        && config.snds.is_none()
        && config.state.is_none()
        && config.templates.is_none()
    {
        return Err(ConfigError::NothingToCheck.into());
    }
    let inventory = if given(&config.inventory) {
        Some(Inventory::load(&config.inventory)?)
    } else {
        None
    };
    let rules = crate::pipeline::load_rules(config)?;
    crate::pipeline::templates(config)?;
    // --lenient is honoured as run honours it: malformed rows are listed, not fatal.
    let snds = crate::pipeline::load_snds(config)?;
    let layout = if given(&config.logs) {
        Some(logs_layout(&config.logs, inventory.as_ref())?)
    } else {
        None
    };
    if let (Some(dir), Some((data, problems))) = (&config.snds, &snds) {
        if data.files == 0 && data.exports.is_empty() && problems.is_empty() {
            return Err(ConfigError::EmptySnds { snds: dir.clone() }.into());
        }
    }
    let out = super::stdout_error;
    writeln!(w, "configuration OK").map_err(out)?;
    if let Some(layout) = &layout {
        writeln!(
            w,
            "  logs       {} ({})",
            config.logs.display(),
            layout.describe()
        )
        .map_err(out)?;
    }
    if let Some(inventory) = &inventory {
        writeln!(
            w,
            "  inventory  {} ({} customers, {} VPSes, {} addresses or ranges)",
            config.inventory.display(),
            inventory.customers.len(),
            inventory.vpses.len(),
            inventory.entries.len()
        )
        .map_err(out)?;
    }
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
        writeln!(w, "    {}", describe_cases(dir)?).map_err(out)?;
    }
    if given(&config.out) {
        writeln!(w, "  out        {}", config.out.display()).map_err(out)?;
    }
    if !config.mail_to.is_empty() {
        writeln!(w, "  mail_to    {}", config.mail_to.join(", ")).map_err(out)?;
    }
    Ok(())
}

/// What `--logs` holds, as a run would see it.
struct LogsLayout {
    vps_dirs: usize,
    /// VPS directories the inventory does not name (with an inventory).
    unknown: Vec<String>,
}

impl LogsLayout {
    fn describe(&self) -> String {
        let mut text = format!("{} VPS directories", self.vps_dirs);
        if !self.unknown.is_empty() {
            text.push_str(&format!(
                "; {} not an inventory vps_id (read by syslog hostname if the inventory has a hostname column, else attributed by IP only): {}",
                self.unknown.len(),
                first_few(&self.unknown)
            ));
        }
        text
    }
}

/// `--logs` must hold one directory per VPS: none at all, or log files lying in `--logs`
/// itself, is a run that reports nothing (or misattributes everything).
fn logs_layout(logs: &Path, inventory: Option<&Inventory>) -> Result<LogsLayout> {
    let entries = std::fs::read_dir(logs).map_err(|e| ConfigError::UnreadableLogs {
        logs: logs.to_path_buf(),
        error: e,
    })?;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.path().is_dir() {
            dirs.push(name);
        } else {
            files.push(name);
        }
    }
    dirs.sort();
    files.sort();
    if !files.is_empty() {
        return Err(ConfigError::FlatLogs {
            logs: logs.to_path_buf(),
            files: first_few(&files),
        }
        .into());
    }
    if dirs.is_empty() {
        return Err(ConfigError::EmptyLogs {
            logs: logs.to_path_buf(),
        }
        .into());
    }
    let unknown = inventory.map_or_else(Vec::new, |inv| {
        dirs.iter()
            .filter(|d| inv.vps_index(d).is_none())
            .cloned()
            .collect()
    });
    Ok(LogsLayout {
        vps_dirs: dirs.len(),
        unknown,
    })
}

/// `a, b, c and 4 more`.
fn first_few(names: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
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

/// The delisting cases as `run` reads them (a corrupt cases.json stops here, exit 2).
fn describe_cases(dir: &std::path::Path) -> Result<String> {
    let cases = crate::state::cases::load(dir)?;
    let open = cases.cases.iter().filter(|c| c.is_open()).count();
    Ok(format!(
        "delisting cases: {open} open, {} closed (blockscope case list)",
        cases.cases.len() - open
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
