//! Ingest: find the fleet's log files, parse them in parallel, and fold every line into mergeable
//! partial aggregates. This is the only place rayon is used.

pub mod postfix;
pub mod timestamp;

use crate::aggregate::partial::{Activity, ActivityKey, EventKey, Partial, Stats};
use crate::attribute::inventory::Inventory;
use crate::attribute::sending_ip::{ip_from_reply, ip_from_syslog_name, IpSource};
use crate::classify::{self, platform::platform_of_mx};
use crate::error::{Error, Result};
use postfix::{Delivery, Line, Outcome, SkipReason};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use timestamp::{RawTime, YearTracker};

/// One log file of one VPS.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    /// Path relative to the logs directory, `/`-separated, for messages and reports.
    pub name: String,
    /// The VPS directory it sits in (the vps_id).
    pub vps_dir: String,
    pub size: u64,
    /// Latest possible time of its last line (Unix micros): mtime, capped by newer rotations.
    pub anchor: Option<i64>,
}

/// Walk `logs`: every regular file below a VPS directory is a log.
pub fn discover(logs: &Path, stats: &mut Stats) -> Vec<LogFile> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(logs)
        .min_depth(1)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let name = e
                    .path()
                    .map_or_else(|| logs.display().to_string(), |p| relative_name(logs, p));
                stats.file_problems.insert(name, describe_walk_error(&e));
                continue;
            }
        };
        let name = relative_name(logs, entry.path());
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            stats.file_problems.insert(
                name,
                "not a regular file (socket, fifo or device); skipped".into(),
            );
            continue;
        }
        if entry.depth() == 1 {
            stats.file_problems.insert(
                name,
                "file directly in the logs directory; move it into logs/<vps_id>/ so it can be attributed".into(),
            );
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                stats
                    .file_problems
                    .insert(name, format!("cannot stat: {e}"));
                continue;
            }
        };
        let anchor = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as i64);
        let vps_dir = name.split('/').next().unwrap_or_default().to_string();
        files.push(LogFile {
            path: entry.path().to_path_buf(),
            name,
            vps_dir,
            size: meta.len(),
            anchor,
        });
    }
    cap_anchors_by_rotation(&mut files);
    files
}

fn describe_walk_error(e: &walkdir::Error) -> String {
    if e.loop_ancestor().is_some() {
        return "symbolic link loop; skipped".into();
    }
    match e.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            "permission denied; skipped".into()
        }
        Some(io) => format!("{io}; skipped"),
        None => format!("{e}; skipped"),
    }
}

fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `mail.log` (0), `mail.log.1` (1), `mail.log.2.gz` (2), `mail.log-20261115.gz` (dated):
/// (series, position) with position ascending from newest to oldest.
fn rotation_key(name: &str) -> (String, i64) {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    if let Some((base, n)) = stem.rsplit_once('.') {
        if let Ok(n) = n.parse::<i64>() {
            if n < 1000 {
                return (base.to_string(), n);
            }
        }
    }
    if let Some((base, date)) = stem.rsplit_once('-') {
        if date.len() >= 8 && date.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(d) = date.parse::<i64>() {
                return (base.to_string(), -d);
            }
        }
    }
    (stem.to_string(), i64::MIN)
}

/// An older rotation ended before a newer one was last written: cap each anchor by the newer's.
fn cap_anchors_by_rotation(files: &mut [LogFile]) {
    let mut series: BTreeMap<String, Vec<(i64, usize)>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        let (base, pos) = rotation_key(&f.name);
        series.entry(base).or_default().push((pos, i));
    }
    for members in series.values_mut() {
        members.sort();
        let mut cap: Option<i64> = None;
        for &(_, i) in members.iter() {
            let anchor = match (files[i].anchor, cap) {
                (Some(a), Some(c)) => Some(a.min(c)),
                (a, c) => a.or(c),
            };
            files[i].anchor = anchor;
            cap = anchor;
        }
    }
}

/// Parse every file on `threads` workers and merge the partial aggregates.
pub fn ingest(files: &[LogFile], inventory: &Inventory, threads: usize) -> Result<Partial> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    // Biggest files first keeps the workers evenly loaded; the result does not depend on order.
    let mut order: Vec<&LogFile> = files.iter().collect();
    order.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    Ok(pool.install(|| {
        order
            .par_iter()
            .map(|f| ingest_file(f, inventory))
            .reduce(Partial::default, Partial::merge)
    }))
}

fn open_log(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut file = BufReader::with_capacity(1 << 18, File::open(path)?);
    let head = file.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // MultiGzDecoder: logrotate and `cat a.gz b.gz` produce several gzip members.
        let decoder = flate2::bufread::MultiGzDecoder::new(file);
        Ok(Box::new(BufReader::with_capacity(1 << 18, decoder)))
    } else {
        Ok(Box::new(file))
    }
}

/// Which timestamp family a file uses; decided by its first timestamped line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Absolute,
    YearLess,
}

struct FileClock {
    mode: Option<Mode>,
    years: YearTracker,
    newest: Option<i64>,
}

impl FileClock {
    fn stamp(&mut self, raw: RawTime) -> Option<i64> {
        let (mode, stamp) = match raw {
            RawTime::Absolute(t) => (Mode::Absolute, t),
            RawTime::YearLess {
                month,
                day,
                secs,
                micros,
            } => {
                if self.mode == Some(Mode::Absolute) {
                    return None;
                }
                (Mode::YearLess, self.years.stamp(month, day, secs, micros))
            }
        };
        if *self.mode.get_or_insert(mode) != mode {
            return None;
        }
        self.newest = Some(self.newest.map_or(stamp, |n| n.max(stamp)));
        Some(stamp)
    }
}

pub fn ingest_file(file: &LogFile, inventory: &Inventory) -> Partial {
    let mut partial = Partial::default();
    partial.stats.files = 1;
    let observed_vps = inventory.vps_index(&file.vps_dir).map(|v| v as u32);
    if observed_vps.is_none() {
        partial
            .stats
            .unknown_vps_dirs
            .insert(file.vps_dir.clone(), 1);
    }
    let mut reader = match open_log(&file.path) {
        Ok(r) => r,
        Err(e) => {
            partial
                .stats
                .file_problems
                .insert(file.name.clone(), format!("cannot open: {e}"));
            return partial;
        }
    };
    let mut clock = FileClock {
        mode: None,
        years: YearTracker::default(),
        newest: None,
    };
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(n) => partial.stats.bytes += n as u64,
            Err(e) => {
                partial.stats.file_problems.insert(
                    file.name.clone(),
                    format!("read error after {} lines: {e}", partial.stats.lines),
                );
                break;
            }
        }
        let mut line = buf.as_slice();
        if let Some(l) = line.strip_suffix(b"\n") {
            line = l;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        partial.stats.lines += 1;
        let text = String::from_utf8_lossy(line);
        handle_line(&text, &mut clock, observed_vps, inventory, &mut partial);
    }
    if clock.mode == Some(Mode::YearLess) {
        let anchor = file
            .anchor
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        if let Some(newest) = clock.newest {
            let base = timestamp::base_year(newest, anchor);
            partial.map_times(|s| timestamp::resolve(s, base));
        }
    }
    partial
}

fn handle_line(
    text: &str,
    clock: &mut FileClock,
    observed_vps: Option<u32>,
    inv: &Inventory,
    p: &mut Partial,
) {
    let line = postfix::parse_line(text);
    let raw = match &line {
        Line::Skipped(reason) => {
            p.stats.skip(reason.as_str());
            return;
        }
        Line::Delivery(d) => d.time,
        Line::Expired(t) | Line::Suspended(t) | Line::Noise(t) => *t,
    };
    let Some(time) = clock.stamp(raw) else {
        p.stats.skip(SkipReason::TimestampStyleChanged.as_str());
        return;
    };
    match line {
        Line::Delivery(d) => record_delivery(&d, time, observed_vps, inv, p),
        Line::Expired(_) => p.stats.expired += 1,
        Line::Suspended(_) => p.stats.suspended += 1,
        Line::Noise(_) | Line::Skipped(_) => p.stats.noise_lines += 1,
    }
}

fn sending_ip(
    d: &Delivery,
    observed_vps: Option<u32>,
    inv: &Inventory,
) -> (Option<IpAddr>, IpSource) {
    if d.has_receiver_reply && d.outcome != Outcome::Sent {
        if let Some(ip) = ip_from_reply(d.reply) {
            return (Some(ip), IpSource::Reply);
        }
    }
    if let Some(ip) = ip_from_syslog_name(d.syslog_name) {
        return (Some(ip), IpSource::SyslogName);
    }
    if let Some(vps) = observed_vps {
        let only = match d.receiver_ip {
            Some(receiver) => inv.only_address(vps as usize, receiver.is_ipv6()),
            None => inv.only_address_any(vps as usize),
        };
        if let Some(ip) = only {
            return (Some(ip), IpSource::InventorySingle);
        }
    }
    (None, IpSource::Unknown)
}

fn record_delivery(
    d: &Delivery,
    time: i64,
    observed_vps: Option<u32>,
    inv: &Inventory,
    p: &mut Partial,
) {
    p.record_time(time);
    let (ip, ip_source) = sending_ip(d, observed_vps, inv);
    let activity: &mut Activity = p
        .activity
        .entry(ActivityKey { observed_vps, ip })
        .or_default();
    match d.outcome {
        Outcome::Sent => {
            activity.sent += 1;
            p.stats.sent += 1;
            return;
        }
        Outcome::Deferred => {
            activity.deferred += 1;
            p.stats.deferred += 1;
        }
        Outcome::Bounced => {
            activity.bounced += 1;
            p.stats.bounced += 1;
        }
    }
    if d.recipient.is_none() {
        p.stats.non_final_replies += 1;
    }
    let rule = classify::classify(d.reply);
    let platform = d.receiver_host.map_or("unknown", platform_of_mx);
    let code = d
        .has_receiver_reply
        .then(|| classify::reply_code(d.reply))
        .flatten()
        .or(d.dsn)
        .unwrap_or("");
    let receiver_rule_id = if d.has_receiver_reply {
        classify::receiver_rule_id(d.reply).map(String::into_boxed_str)
    } else {
        None
    };
    let key = EventKey {
        observed_vps,
        ip,
        ip_source,
        rule,
        platform,
        code: code.into(),
        receiver_rule_id,
    };
    p.record_event(key, time, d.reply);
}

/// Read a whole (small) file as text, for tests and tools.
pub fn read_to_string_lossy(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    open_log(path)?.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_order() {
        assert_eq!(rotation_key("v/mail.log"), ("v/mail.log".into(), i64::MIN));
        assert_eq!(rotation_key("v/mail.log.1"), ("v/mail.log".into(), 1));
        assert_eq!(rotation_key("v/mail.log.2.gz"), ("v/mail.log".into(), 2));
        assert_eq!(
            rotation_key("v/mail.log-20261115.gz"),
            ("v/mail.log".into(), -20261115)
        );
    }
}
