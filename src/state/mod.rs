//! State between nightly runs: when each (IP, rule) was first and last seen, so reports can say
//! what is new, what is ongoing and what has been resolved since the last run.
//!
//! `STATE_DIR/state.json`, versioned, written atomically after the reports are in place. It also
//! holds where each log file was read to (`files`) and which per-day files (`days/`, see `persist::days`)
//! make up the stored history; day files are written under a new generation's names first, so
//! the switch to a new history is the single rename of state.json.

pub(crate) mod cases;
pub(crate) mod dnsbl_cache;

use crate::aggregate::{sort_ip_rows, Aggregates, IpRow, Status};
use crate::classify::rules::Class;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub(crate) const VERSION: u32 = 2;
const FILE: &str = "state.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) ip: String,
    pub(crate) rule_id: String,
    pub(crate) customer_id: String,
    pub(crate) vps_id: String,
    /// Unix micros of the first event ever seen.
    pub(crate) first_seen: i64,
    /// Unix micros of the latest event.
    pub(crate) last_seen: i64,
    pub(crate) class: String,
    pub(crate) platform: String,
    /// Calendar days with at least one event.
    #[serde(default)]
    pub(crate) days_seen: u64,
    /// The latest of those days (YYYY-MM-DD), so a day split over two runs counts once.
    #[serde(default)]
    pub(crate) last_day: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) version: u32,
    /// Keyed by `ip|rule_id` so the file diffs well and merges are deterministic.
    pub(crate) entries: BTreeMap<String, Entry>,
    /// Bumped by every run that saves; names that run's day files.
    #[serde(default)]
    pub(crate) generation: u64,
    /// Where each log file (known by its head) was read to.
    #[serde(default)]
    pub(crate) files: Vec<crate::model::FileCursor>,
    /// Stored history: date (YYYY-MM-DD) -> day file, relative to the state directory.
    #[serde(default)]
    pub(crate) days: BTreeMap<String, String>,
    /// Blocks per stored day for summary.html's trend charts: date (YYYY-MM-DD) -> subnet ->
    /// [blocked IPs, rejections]. Every stored day has an entry (empty: nothing blocked), so a
    /// missing one is a day stored before trends were kept, read once from its day file.
    #[serde(default)]
    pub(crate) trend: BTreeMap<String, BTreeMap<String, [u64; 2]>>,
}

fn key(ip: &str, rule_id: &str) -> String {
    format!("{ip}|{rule_id}")
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Load the state; a missing file is an empty state, a corrupt one an error naming the fix.
pub(crate) fn load(dir: &Path, rebuild: bool) -> Result<State> {
    let file = path(dir);
    if rebuild || !file.exists() {
        return Ok(State {
            version: VERSION,
            ..State::default()
        });
    }
    let text = std::fs::read_to_string(&file).map_err(|source| Error::Output {
        path: file.clone(),
        source,
    })?;
    let state: State = serde_json::from_str(&text).map_err(|e| {
        Error::Config(format!(
            "{}:{}: the state file is corrupt ({e}); run once with --rebuild-state to start it afresh",
            file.display(),
            e.line()
        ))
    })?;
    // Version 1 had no file cursors or stored days: read as a state whose history starts now.
    if !(1..=VERSION).contains(&state.version) {
        return Err(Error::Config(format!(
            "{}: state version {} is not one this blockscope reads (1 to {VERSION}); run once with --rebuild-state",
            file.display(),
            state.version
        )));
    }
    Ok(state)
}

/// Calendar days with events, per (ip, rule_id), in the report window.
pub(crate) type RowDays =
    std::collections::HashMap<(String, String), std::collections::BTreeSet<i32>>;

/// What becomes of entries the report window does not show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Absent {
    /// The nightly window (everything new since the last run): absent means it stopped, so the
    /// entry is reported `resolved` once and forgotten.
    Resolve,
    /// An explicit window (`--since`/`--until`/`--days`): it says nothing about tonight, so an
    /// absent entry is neither reported nor touched.
    Keep,
}

/// Give every row its status against the previous state, add `resolved` rows for what is gone
/// (only with `Absent::Resolve`), and return the state to save.
pub(crate) fn apply(
    agg: &mut Aggregates,
    previous: &State,
    row_days: &RowDays,
    (v4, v6): (u8, u8),
    absent: Absent,
) -> State {
    let mut next = previous.clone();
    for row in agg.ips.iter_mut() {
        let Some(ip) = row.ip.filter(|_| row.events > 0) else {
            continue; // SNDS-only rows keep blocked_not_seen; no evidence to remember
        };
        let ip = ip.to_string();
        let k = key(&ip, &row.rule_id);
        let prev = previous.entries.get(&k);
        row.status = if prev.is_some() {
            Status::Ongoing
        } else {
            Status::New
        };
        let first = prev.map_or(row.first_seen, |e| e.first_seen.min(row.first_seen));
        let last = prev.map_or(row.last_seen, |e| e.last_seen.max(row.last_seen));
        row.days_blocked = crate::model::day::days(first, row.last_seen);
        row.since = first;
        let last_counted = prev.and_then(|e| e.last_day.clone());
        let mut days_seen = prev.map_or(0, |e| e.days_seen);
        let mut last_day = last_counted.clone();
        if let Some(set) = row_days.get(&(ip.clone(), row.rule_id.clone())) {
            for d in set {
                let date = crate::model::day::date_of_day(*d).to_string();
                if last_counted.as_ref().is_none_or(|l| date > *l) {
                    days_seen += 1;
                }
                if last_day.as_ref().is_none_or(|l| date > *l) {
                    last_day = Some(date);
                }
            }
        }
        next.entries.insert(
            k,
            Entry {
                ip,
                rule_id: row.rule_id.clone(),
                customer_id: row.customer_id.clone(),
                vps_id: row.vps_id.clone(),
                first_seen: first,
                last_seen: last,
                class: row.class.as_str().to_string(),
                platform: joined(&row.platforms),
                days_seen,
                last_day,
            },
        );
    }
    next.version = VERSION;
    if absent == Absent::Keep {
        return next;
    }
    // Seen before, not in this window: resolved (reported once, then forgotten).
    let present: std::collections::BTreeSet<String> = agg
        .ips
        .iter()
        .filter(|r| r.events > 0)
        .map(|r| {
            key(
                &r.ip.map_or_else(String::new, |ip| ip.to_string()),
                &r.rule_id,
            )
        })
        .collect();
    let mut resolved = Vec::new();
    for (k, e) in &previous.entries {
        if present.contains(k) {
            continue;
        }
        resolved.push(resolved_row(e, v4, v6));
        next.entries.remove(k);
    }
    agg.ips.extend(resolved);
    sort_ip_rows(&mut agg.ips);
    next
}

/// Platforms as state.json keeps them: `;`-joined, like ips.csv.
fn joined(platforms: &crate::model::set::SortedSet<String>) -> String {
    platforms
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(";")
}

fn resolved_row(e: &Entry, v4: u8, v6: u8) -> IpRow {
    let class = Class::parse(&e.class).unwrap_or(Class::Unclassified);
    let ip: Option<IpAddr> = e.ip.parse().ok();
    IpRow {
        ip,
        subnet: ip.map(|ip| crate::attribute::subnet(ip, v4, v6)),
        customer_id: e.customer_id.clone(),
        vps_id: e.vps_id.clone(),
        in_inventory: true,
        // state.json keeps the platforms as ips.csv writes them, `;`-joined.
        platforms: e
            .platform
            .split(';')
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
        rule_id: e.rule_id.clone(),
        class,
        codes: Default::default(),
        events: 0,
        first_seen: e.first_seen,
        last_seen: e.last_seen,
        delist_route: String::new(),
        ip_source: crate::model::IpSource::Unknown,
        sample_reply: String::new(),
        permanence: Default::default(),
        receiver_rule_ids: Default::default(),
        snds: Default::default(),
        status: Status::Resolved,
        days_blocked: crate::model::day::days(e.first_seen, e.last_seen),
        since: e.first_seen,
        temporary_events: 0,
    }
}

/// Write the state atomically (only after the reports are in place).
pub(crate) fn save(dir: &Path, state: &State) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Output {
        path: dir.to_path_buf(),
        source,
    })?;
    let file = path(dir);
    crate::fsio::write_atomically(&file, |w| {
        serde_json::to_writer_pretty(&mut *w, state).map_err(std::io::Error::other)?;
        writeln!(w)
    })
    .map_err(|source| Error::Output { path: file, source })
}

/// Remove day files no state names any more (an older generation, or a run killed after writing
/// them); best effort, a leftover file is harmless.
pub(crate) fn remove_unnamed_day_files(dir: &Path, state: &State) {
    let named: std::collections::BTreeSet<&str> = state.days.values().map(String::as_str).collect();
    let Ok(entries) = std::fs::read_dir(dir.join(crate::persist::days::DIR)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!(
            "{}/{}",
            crate::persist::days::DIR,
            entry.file_name().to_string_lossy()
        );
        if !named.contains(name.as_str()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
