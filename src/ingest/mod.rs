//! Ingest: find the fleet's log files, parse them in parallel, and fold every line into mergeable
//! partial aggregates. This is the only place rayon is used.

/// `memmem` search for a literal, the searcher built once per call site (building one per line
/// costs more than the search itself).
macro_rules! find {
    ($haystack:expr, $needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        FINDER.find($haystack)
    }};
}

/// `find!` from the end.
macro_rules! rfind {
    ($haystack:expr, $needle:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new($needle));
        FINDER.rfind($haystack)
    }};
}

pub mod bounce;
mod central;
mod chunks;
mod crossings;
mod duplicates;
pub mod exim;
pub mod fingerprint;
pub mod line;
pub mod opensmtpd;
pub mod postfix;
pub mod reader;
pub mod recipient;
pub mod sendmail;
pub mod snds;
pub mod syslog;
pub mod timestamp;

use crate::attribute::inventory::Inventory;
use crate::attribute::sending_ip::{ip_from_reply, ip_from_syslog_name};
use crate::attribute::{tenancy, Tenancy};
use crate::classify::{self, platform::platform_of_mx, RuleSet};
use crate::error::{Error, Result};
use crate::model::FileCursor;
use crate::model::IpSource;
use crate::model::{
    unclassified_text, Activity, ActivityKey, EventKey, Partial, Stats, UnclassifiedKey,
};
use fingerprint::KnownFiles;
use line::{Delivery, Event, Outcome, SkipReason};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read as _;
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
                stats.problem(&name, None, describe_walk_error(&e));
                continue;
            }
        };
        let name = relative_name(logs, entry.path());
        let file_type = entry.file_type();
        if file_type.is_dir() {
            if entry.depth() > 1 && looks_like_log_name(&entry.file_name().to_string_lossy()) {
                stats.problem(
                    &name,
                    None,
                    "a directory named like a log file; its contents are read as logs",
                );
            }
            continue;
        }
        if !file_type.is_file() {
            stats.problem(
                &name,
                None,
                "not a regular file (socket, fifo or device); skipped",
            );
            continue;
        }
        if entry.depth() == 1 {
            stats.problem(
                &name,
                None,
                "file directly in the logs directory; move it into logs/<vps_id>/ so it can be attributed",
            );
            continue;
        }
        let meta = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                stats.problem(&name, None, format!("cannot stat: {e}"));
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

fn looks_like_log_name(name: &str) -> bool {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let stem = stem.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    stem.ends_with(".log") || matches!(stem, "maillog" | "mainlog")
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

/// Called with each finished file's size (for a progress display).
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Parse every file on `threads` workers and merge the partial aggregates. With `known` (the
/// cursors of earlier runs), files are read only past where they were read before.
pub fn ingest(
    files: &[LogFile],
    inventory: &Inventory,
    rules: &RuleSet,
    threads: usize,
    progress: Option<Progress>,
    tz: Option<chrono_tz::Tz>,
    known: Option<&KnownFiles>,
) -> Result<Partial> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    // The same content under two names (a link, a copy, `.1` beside `.1.gz`) is read once.
    let mut duplicates = Partial::default();
    let files = &pool.install(|| duplicates::drop_duplicates(files, &mut duplicates.stats))[..];
    // Huge files are split into ranges read by several workers (see `chunks`).
    let chunk = chunks::chunk_bytes();
    let plans: Vec<(usize, chunks::Plan)> = if known.is_none() {
        files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| chunks::plan(f, chunk).map(|p| (i, p)))
            .collect()
    } else {
        Vec::new()
    };
    let split: std::collections::BTreeSet<usize> = plans.iter().map(|(i, _)| *i).collect();
    let ranges: Vec<(usize, usize, Format, (u64, u64))> = plans
        .iter()
        .flat_map(|(i, p)| {
            p.ranges
                .iter()
                .enumerate()
                .map(move |(k, r)| (*i, k, p.format, *r))
        })
        .collect();
    // Biggest files first keeps the workers evenly loaded; the result does not depend on order.
    let mut order: Vec<&LogFile> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| !split.contains(i))
        .map(|(_, f)| f)
        .collect();
    order.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    Ok(pool.install(|| {
        let mut pieces: Vec<(usize, usize, chunks::Piece)> = ranges
            .par_iter()
            .map(|&(i, k, format, range)| {
                let piece = chunks::read_range(&files[i], format, range, inventory, rules, tz);
                if let Some(report) = progress {
                    report(range.1 - range.0);
                }
                (i, k, piece)
            })
            .collect();
        pieces.sort_by_key(|(i, k, _)| (*i, *k));
        let mut by_file: BTreeMap<usize, Vec<chunks::Piece>> = BTreeMap::new();
        for (i, _, piece) in pieces {
            by_file.entry(i).or_default().push(piece);
        }
        let whole_files = order
            .par_iter()
            .map(|f| {
                let partial = ingest_file(f, inventory, rules, tz, known);
                if let Some(report) = progress {
                    report(f.size);
                }
                partial
            })
            .reduce(Partial::default, Partial::merge);
        let read = by_file
            .into_iter()
            .map(|(i, pieces)| chunks::assemble(&files[i], inventory, rules, tz, pieces))
            .fold(whole_files, Partial::merge);
        read.merge(duplicates)
    }))
}

/// What kind of log a file is, decided by sniffing its first lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Syslog-style lines (any timestamp style); each line is dispatched by its program.
    Syslog,
    /// Exim's own log file (`mainlog`).
    EximMainlog,
}

/// Lines looked at to decide a file's format.
const SNIFF_LINES: usize = 64;
/// Line-level problems listed per file in input-problems.csv before the rest are only counted.
const PROBLEMS_PER_FILE: usize = 20;

/// The format most of the first lines agree on, or None when nothing looks like a mail log.
pub fn detect_format<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Format> {
    let (mut syslog_votes, mut exim_votes) = (0, 0);
    for line in lines {
        if exim::parse_timestamp(line).is_some() {
            exim_votes += 1;
        } else if syslog::parse(line).is_some() || syslog::is_journal_marker(line) {
            syslog_votes += 1;
        }
    }
    match (syslog_votes, exim_votes) {
        (0, 0) => None,
        (s, e) if e > s => Some(Format::EximMainlog),
        _ => Some(Format::Syslog),
    }
}

/// Parse one line of a file of the given format.
pub fn parse_line(format: Format, line: &str) -> (Option<RawTime>, Event<'_>) {
    let (time, _host, event) = parse_line_with_host(format, line);
    (time, event)
}

/// `parse_line`, with the syslog HOSTNAME of the line when it has one (central syslog routes
/// by it).
pub(crate) fn parse_line_with_host(
    format: Format,
    line: &str,
) -> (Option<RawTime>, Option<&str>, Event<'_>) {
    if line.is_empty() {
        return (None, None, Event::Noise);
    }
    match format {
        Format::EximMainlog => match exim::parse_mainlog_line(line) {
            Some((time, event)) => (Some(time), None, event),
            // Exim's rejectlog and paniclog continue an entry with header lines: not deliveries.
            None => (None, None, Event::Noise),
        },
        Format::Syslog => {
            if syslog::is_journal_marker(line) {
                return (None, None, Event::Noise);
            }
            let Some(env) = syslog::parse(line) else {
                return (None, None, Event::Skipped(SkipReason::NoTimestamp));
            };
            let event = match env.program {
                p if postfix::is_postfix_program(p) => postfix::parse(p, env.message),
                "exim" | "exim4" => exim::parse_syslog_message(env.message),
                "smtpd" => opensmtpd::parse(env.message),
                p if sendmail::is_sendmail_program(p) => sendmail::parse(env.message),
                _ => Event::Noise,
            };
            (Some(env.time), Some(env.host), event)
        }
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
    /// Where a year-less file's lines lie, for its year (`timestamp::infer_year`).
    spread: timestamp::Spread,
    /// The zone of zone-less timestamps (`--tz`); UTC when not given.
    tz: Option<chrono_tz::Tz>,
}

impl FileClock {
    fn new(tz: Option<chrono_tz::Tz>) -> FileClock {
        FileClock {
            mode: None,
            years: YearTracker::default(),
            spread: timestamp::Spread::default(),
            tz,
        }
    }

    /// A year-less file's year once the whole file is read (the bulk of its lines placed at or
    /// before the anchor); None when stamps are already UTC.
    fn year(&self, anchor: Option<i64>) -> Option<(timestamp::YearChoice, i64)> {
        if self.mode != Some(Mode::YearLess) {
            return None;
        }
        let anchor = anchor.unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        Some((timestamp::infer_year(&self.spread, anchor)?, anchor))
    }

    /// For a year-less file, the map from file-local stamps to UTC (see `year`).
    fn resolver(&self, anchor: Option<i64>) -> Option<impl Fn(i64) -> i64> {
        let base = self.year(anchor)?.0.base;
        let tz = self.tz;
        Some(move |s| timestamp::local_to_utc(timestamp::resolve(s, base), tz))
    }

    /// Resolve a year-less file's times and days (see `resolver`); lines dated after the file
    /// was last written are listed as clock skew.
    fn resolve_partial(&self, file: &str, anchor: Option<i64>, partial: &mut Partial) {
        if let Some((
            timestamp::YearChoice {
                skew: Some(skew), ..
            },
            anchor,
        )) = self.year(anchor)
        {
            let newest = timestamp::local_to_utc(skew.newest, self.tz);
            let reason = skew_reason(&skew, newest, anchor);
            partial.stats.problem(file, Some(skew.line), reason);
        }
        if let Some(resolve) = self.resolver(anchor) {
            partial.map_times(&resolve);
            let tz = self.tz;
            // Local noon of a file-local day lands on that calendar day whatever the zone.
            partial.map_days(|d| {
                let noon = i64::from(d) * timestamp::DAY_MICROS + timestamp::DAY_MICROS / 2;
                timestamp::day_of(resolve(noon), tz)
            });
        }
    }

    /// The calendar day of a stamp: final for absolute times, file-local for year-less ones
    /// (`calendar_day` maps those once the year is known).
    fn day(&self, stamp: i64) -> i32 {
        if self.mode == Some(Mode::YearLess) {
            stamp.div_euclid(timestamp::DAY_MICROS) as i32
        } else {
            timestamp::day_of(stamp, self.tz)
        }
    }

    /// The file-local stamp of line `line`'s time; None when the line's style is not the file's.
    fn stamp(&mut self, raw: RawTime, line: u64) -> Option<i64> {
        let (mode, stamp) = match raw {
            RawTime::Absolute(t) => (Mode::Absolute, t),
            RawTime::Local(t) => (Mode::Absolute, timestamp::local_to_utc(t, self.tz)),
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
        if mode == Mode::YearLess {
            self.spread.add(stamp, line);
        }
        Some(stamp)
    }
}

/// The input problem for a year-less file's lines dated after it was last written.
fn skew_reason(skew: &timestamp::Skew, newest: i64, anchor: i64) -> String {
    let hours = (newest - anchor) / 3_600_000_000;
    format!(
        "clock skew: {} line(s) dated after the file was last written ({}), up to {} ({hours} h after); the year follows the bulk of the file's lines, check the VPS's clock",
        skew.lines,
        crate::model::day::format_utc(anchor),
        crate::model::day::format_utc(newest),
    )
}

/// A line as text: `\r` dropped, NUL bytes removed, invalid UTF-8 replaced (each repair named).
fn clean_line(raw: &[u8]) -> (Cow<'_, str>, [Option<&'static str>; 2]) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let mut repairs = [None, None];
    let raw: Cow<[u8]> = if memchr::memchr(0, raw).is_some() {
        repairs[0] = Some("NUL bytes removed");
        Cow::Owned(raw.iter().copied().filter(|&b| b != 0).collect())
    } else {
        Cow::Borrowed(raw)
    };
    let text = match raw {
        Cow::Borrowed(b) => match std::str::from_utf8(b) {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => {
                repairs[1] = Some("invalid UTF-8 replaced");
                Cow::Owned(String::from_utf8_lossy(b).into_owned())
            }
        },
        Cow::Owned(b) => match String::from_utf8(b) {
            Ok(t) => Cow::Owned(t),
            Err(e) => {
                repairs[1] = Some("invalid UTF-8 replaced");
                Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        },
    };
    (text, repairs)
}

/// Per-file state while reading.
struct FileRun<'a> {
    file: &'a LogFile,
    inventory: &'a Inventory,
    rules: &'a RuleSet,
    observed_vps: Option<u32>,
    format: Format,
    clock: FileClock,
    partial: Partial,
    /// A central-syslog file: lines routed by HOSTNAME, a clock and partial per host.
    central: Option<central::Hosts>,
    line_problems: usize,
    /// Replies repeat (every retry of a blocked queue): classify each distinct one once.
    classified: foldhash::HashMap<(String, String), crate::model::RuleIdx>,
    /// Replies quoting another customer's address, for input-problems.csv.
    crossings: crossings::Crossings,
}

impl<'a> FileRun<'a> {
    fn new(
        file: &'a LogFile,
        inventory: &'a Inventory,
        rules: &'a RuleSet,
        format: Format,
        tz: Option<chrono_tz::Tz>,
        partial: Partial,
    ) -> FileRun<'a> {
        let route = central::route_of(inventory, file);
        FileRun {
            file,
            inventory,
            rules,
            observed_vps: match route {
                central::Route::Vps(v) => Some(v),
                _ => None,
            },
            format,
            clock: FileClock::new(tz),
            partial,
            central: (route == central::Route::Central).then(central::Hosts::new),
            line_problems: 0,
            classified: Default::default(),
            crossings: Default::default(),
        }
    }

    fn line_problem(&mut self, line: u64, reason: &str) {
        self.line_problems += 1;
        if self.line_problems <= PROBLEMS_PER_FILE {
            self.partial
                .stats
                .problem(&self.file.name, Some(line), reason);
        }
    }

    fn handle(&mut self, raw: &[u8], kind: &reader::Read, line_no: u64) {
        self.partial.stats.lines += 1;
        if *kind == reader::Read::TooLong {
            self.skip(SkipReason::TooLong, line_no);
            return;
        }
        let (text, repairs) = clean_line(raw);
        for repair in repairs.into_iter().flatten() {
            self.repaired(repair, line_no);
        }
        let (raw_time, host, event) = parse_line_with_host(self.format, &text);
        if let Event::Skipped(reason) = event {
            self.skip(reason, line_no);
            return;
        }
        let Some(raw_time) = raw_time else {
            self.partial.stats.noise_lines += 1;
            return;
        };
        // A central file's line goes to its host's clock and partial; others to the file's.
        let (clock, p, observed_vps) = match self.central.as_mut() {
            None => (&mut self.clock, &mut self.partial, self.observed_vps),
            Some(hosts) => {
                let stats = &mut self.partial.stats;
                match hosts.target(self.inventory, host, &event, line_no, &self.clock, stats) {
                    central::Target::Host(slot) => {
                        (&mut slot.clock, &mut slot.partial, Some(slot.vps))
                    }
                    central::Target::Skipped => return,
                }
            }
        };
        let Some(time) = clock.stamp(raw_time, line_no) else {
            if let Some(hosts) = self.central.as_mut().filter(|h| h.ranged) {
                // A year-less host in a range of a split file: read the file whole instead.
                hosts.needs_whole_file |= matches!(raw_time, RawTime::YearLess { .. });
            }
            self.skip(SkipReason::TimestampStyleChanged, line_no);
            return;
        };
        match event {
            Event::Delivery(d) => {
                // Only deliveries are kept per day; noise lines skip the zone conversion.
                let at = At {
                    time,
                    day: clock.day(time),
                };
                let rules = Rules {
                    set: self.rules,
                    cache: &mut self.classified,
                };
                if let Some(c) = record_delivery(&d, at, observed_vps, self.inventory, rules, p) {
                    self.crossings.add(c, line_no);
                }
            }
            Event::Expired => p.stats.expired += 1,
            Event::Suspended => p.stats.suspended += 1,
            Event::Local => p.stats.local_handoffs += 1,
            Event::Noise | Event::Skipped(_) => p.stats.noise_lines += 1,
        }
    }

    /// The file's partial, every clock's year-less times resolved (a central file's hosts each
    /// with its own, then merged in); a central file's unknown hosts; whether a range of a split
    /// file met a year-less host and the file must be read whole.
    fn finish(self) -> (Partial, central::UnknownHosts, bool) {
        let mut partial = self.partial;
        self.clock
            .resolve_partial(&self.file.name, self.file.anchor, &mut partial);
        match self.central {
            None => (partial, Default::default(), false),
            Some(mut hosts) => {
                let unknown = std::mem::take(&mut hosts.unknown);
                let whole = hosts.needs_whole_file;
                (hosts.merge_into(self.file, partial), unknown, whole)
            }
        }
    }

    fn skip(&mut self, reason: SkipReason, line_no: u64) {
        self.partial.stats.skip(reason.as_str());
        self.line_problem(line_no, reason.as_str());
    }

    fn repaired(&mut self, reason: &'static str, line_no: u64) {
        *self.partial.stats.repaired.entry(reason).or_default() += 1;
        self.line_problem(line_no, reason);
    }
}

pub fn ingest_file(
    file: &LogFile,
    inventory: &Inventory,
    rules: &RuleSet,
    tz: Option<chrono_tz::Tz>,
    known: Option<&KnownFiles>,
) -> Partial {
    let mut partial = Partial::default();
    partial.stats.files = 1;
    if central::route_of(inventory, file) == central::Route::UnknownDir {
        partial
            .stats
            .unknown_vps_dirs
            .insert(file.vps_dir.clone(), 1);
    }
    let head = match reader::open_head(&file.path, fingerprint::HEAD_BYTES) {
        Ok(h) => h,
        Err(e) => {
            partial
                .stats
                .problem(&file.name, None, format!("cannot open: {e}; skipped"));
            return partial;
        }
    };
    let (compressed, disk_len) = (head.compressed, head.disk_len);
    let head_bytes = head.bytes.clone();
    let previous = known.and_then(|k| k.lookup(&head_bytes)).cloned();
    // Nothing new in this file: keep its cursor under its current name and size.
    let unchanged = |mut partial: Partial, c: FileCursor| {
        partial.stats.files_unchanged += 1;
        partial.cursors.push(FileCursor {
            name: file.name.clone(),
            compressed_len: compressed.then_some(disk_len),
            ..c
        });
        partial
    };
    if let Some(c) = &previous {
        let read_before = if compressed {
            c.compressed_len == Some(disk_len)
        } else {
            c.consumed >= disk_len
        };
        if read_before {
            return unchanged(partial, c.clone());
        }
    }
    let wanted_start = previous.as_ref().map_or(0, |c| c.consumed);
    let (mut input, start) = match head.resume(wanted_start) {
        Ok(r) => r,
        Err(e) => {
            partial.stats.problem(
                &file.name,
                None,
                format!("compressed data corrupt or truncated before where the last run stopped: {e}; skipped"),
            );
            return partial;
        }
    };
    // With a state, an unterminated last line of a plain file may still be being written:
    // leave it for the run after it is complete (a compressed file is final).
    let hold_back_tail = known.is_some() && !compressed;
    let mut line_no = previous.as_ref().map_or(0, |c| c.lines);
    let mut consumed = start;
    // Sniff the first lines to decide the format, then parse them and the rest.
    let mut sniffed: Vec<(Vec<u8>, reader::Read)> = Vec::new();
    let mut read_error = None;
    let mut at_end = false;
    while sniffed.len() < SNIFF_LINES {
        let mut buf = Vec::new();
        match reader::read_line(&mut *input, &mut buf, reader::MAX_LINE) {
            Ok((reader::Read::Eof, _)) => {
                at_end = true;
                break;
            }
            Ok((kind, n)) => {
                if hold_back_tail && n == buf.len() {
                    partial.stats.held_back_lines += 1;
                    at_end = true;
                    break;
                }
                partial.stats.bytes += n as u64;
                consumed += n as u64;
                sniffed.push((buf, kind));
            }
            Err(e) => {
                read_error = Some(e);
                break;
            }
        }
    }
    if sniffed.is_empty() && read_error.is_none() {
        return match previous {
            // A rotated copy of what was read before, perhaps newly compressed: nothing new.
            Some(c) => unchanged(partial, c),
            None => {
                if partial.stats.held_back_lines == 0 {
                    partial.stats.problem(&file.name, None, "empty file");
                }
                partial
            }
        };
    }
    if previous.is_some() {
        partial.stats.files_resumed += 1;
    }
    let cleaned: Vec<Cow<str>> = sniffed
        .iter()
        .filter(|(_, k)| *k == reader::Read::Line)
        .map(|(b, _)| clean_line(b).0)
        .collect();
    let format = detect_format(cleaned.iter().map(|c| c.as_ref()));
    drop(cleaned);
    let Some(format) = format else {
        let why = match &read_error {
            Some(e) => format!("unreadable: {e}; skipped"),
            None => "not a recognised mail log (Postfix, Exim, OpenSMTPD or Sendmail, via syslog, journalctl or Exim's mainlog); skipped".into(),
        };
        partial.stats.problem(&file.name, None, why);
        return partial;
    };
    let mut run = FileRun::new(file, inventory, rules, format, tz, partial);
    for (buf, kind) in &sniffed {
        line_no += 1;
        run.handle(buf, kind, line_no);
    }
    drop(sniffed);
    let mut buf = Vec::with_capacity(4096);
    while read_error.is_none() && !at_end {
        match reader::read_line(&mut *input, &mut buf, reader::MAX_LINE) {
            Ok((reader::Read::Eof, _)) => at_end = true,
            Ok((kind, n)) => {
                if hold_back_tail && n == buf.len() {
                    run.partial.stats.held_back_lines += 1;
                    at_end = true;
                    break;
                }
                run.partial.stats.bytes += n as u64;
                consumed += n as u64;
                line_no += 1;
                run.handle(&buf, &kind, line_no);
            }
            Err(e) => read_error = Some(e),
        }
    }
    if let Some(e) = &read_error {
        let what = if e.to_string().contains("gzip bomb") {
            "too much decompressed data"
        } else if compressed || e.kind() == std::io::ErrorKind::InvalidInput {
            "compressed data corrupt or truncated"
        } else {
            "read error"
        };
        run.partial.stats.problem(
            &file.name,
            Some(line_no + 1),
            format!("{what} after {line_no} lines: {e}; the lines before it were read"),
        );
    }
    let line_problems = run.line_problems;
    let crossings = std::mem::take(&mut run.crossings);
    let (mut partial, unknown_hosts, _) = run.finish();
    unknown_hosts.report(&file.name, &mut partial.stats);
    crossings.report(&file.name, inventory, &mut partial.stats);
    close_unclassified(&file.name, &mut partial);
    if let Some(n) = partial.stats.skipped.get(TOO_MANY_KEYS).copied() {
        partial.stats.problem(
            &file.name,
            None,
            format!("{n} delivery line(s) skipped: the file names more than {MAX_KEYS_PER_FILE} distinct sending IP/rule combinations"),
        );
    }
    if line_problems > PROBLEMS_PER_FILE {
        let more = line_problems - PROBLEMS_PER_FILE;
        partial.stats.problem(
            &file.name,
            None,
            format!("{more} more problem lines not listed"),
        );
    }
    if known.is_some() && consumed > 0 {
        let head_len = (head_bytes.len() as u64).min(consumed) as usize;
        let last_day = partial
            .times
            .keys()
            .next_back()
            .copied()
            .max(previous.as_ref().and_then(|c| c.last_day));
        partial.cursors.push(FileCursor {
            head_hash: fingerprint::head_hash(&head_bytes[..head_len]),
            head_len: head_len as u32,
            consumed,
            lines: line_no,
            compressed_len: (compressed && at_end && read_error.is_none()).then_some(disk_len),
            name: file.name.clone(),
            last_day,
            replaces: previous.as_ref().map(|c| (c.head_len, c.head_hash.clone())),
        });
    }
    partial
}

fn sending_ip(
    d: &Delivery,
    observed_vps: Option<u32>,
    inv: &Inventory,
) -> (Option<IpAddr>, IpSource) {
    // A NATed VPS logs its private interface; receivers see (and quote) the public address.
    // A dual-stack socket logs IPv4 as `::ffff:a.b.c.d`: that is the IPv4 address.
    let interface = d.sending_ip.map(|ip| ip.to_canonical());
    if let Some(ip) = interface.filter(|ip| !is_internal(*ip)) {
        return (Some(ip), IpSource::MtaInterface);
    }
    if d.has_receiver_reply && d.outcome != Outcome::Sent {
        if let Some(ip) = ip_from_reply(&d.reply, d.receiver_ip) {
            return (Some(ip), reply_source(inv, ip, observed_vps));
        }
    }
    if let Some(ip) = ip_from_syslog_name(d.instance) {
        return (Some(ip), IpSource::SyslogName);
    }
    if let Some(vps) = observed_vps {
        let only = match d.receiver_ip {
            Some(receiver) => inv.only_address(vps as usize, receiver.to_canonical().is_ipv6()),
            None => inv.only_address_any(vps as usize),
        };
        if let Some(ip) = only {
            return (Some(ip), IpSource::InventorySingle);
        }
    }
    (None, IpSource::Unknown)
}

/// `reply`, or the tenant boundary a quoted address crosses: reply text is written into the
/// observing VPS's log, which its customer controls (see `attribute::tenancy`).
fn reply_source(inv: &Inventory, ip: IpAddr, observed_vps: Option<u32>) -> IpSource {
    match tenancy(inv, ip, observed_vps.map(|v| v as usize)) {
        Tenancy::Own => IpSource::Reply,
        Tenancy::Sibling { .. } => IpSource::ReplySiblingVps,
        Tenancy::OtherCustomer { .. } => IpSource::ReplyOtherCustomer,
    }
}

/// The reply's status code (`5.7.606`, `554`) when the receiver answered, else the MTA's dsn.
fn status_code<'a>(d: &'a Delivery) -> &'a str {
    d.has_receiver_reply
        .then(|| classify::reply_code(&d.reply))
        .flatten()
        .or(d.dsn)
        .unwrap_or("")
}

/// What the pipeline makes of one delivery: everything a report row is built from.
#[derive(Debug, Clone)]
pub struct DeliveryFacts {
    pub ip: Option<IpAddr>,
    pub ip_source: IpSource,
    pub platform: &'static str,
    pub code: String,
    pub rule: crate::model::RuleIdx,
    pub receiver_rule_id: Option<Box<str>>,
}

/// The facts of one delivery, as `run` records them (`blockscope classify` prints them).
pub fn delivery_facts(
    d: &Delivery,
    observed_vps: Option<u32>,
    inv: &Inventory,
    rules: &RuleSet,
) -> DeliveryFacts {
    let (ip, ip_source) = sending_ip(d, observed_vps, inv);
    let code = status_code(d);
    let rule = if d.outcome == Outcome::Sent {
        rules.unclassified_idx()
    } else {
        rules.classify(&d.reply, code)
    };
    DeliveryFacts {
        ip,
        ip_source,
        platform: d.receiver_host.map_or("unknown", platform_of_mx),
        code: code.to_string(),
        rule,
        receiver_rule_id: receiver_rule_id(d),
    }
}

/// The receiver's own rule id, from its reply only (never from the MTA's own words).
fn receiver_rule_id(d: &Delivery) -> Option<Box<str>> {
    if d.has_receiver_reply {
        classify::receiver_rule_id(&d.reply).map(String::into_boxed_str)
    } else {
        None
    }
}

/// Addresses no receiver ever sees as the client: loopback, private, link-local, CGNAT, ULA
/// (IPv4-mapped ones too).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// When a line was logged: its time and calendar day.
#[derive(Clone, Copy)]
struct At {
    time: i64,
    day: i32,
}

/// The rule set with a per-file cache of classified replies.
struct Rules<'a> {
    set: &'a RuleSet,
    cache: &'a mut foldhash::HashMap<(String, String), crate::model::RuleIdx>,
}

impl Rules<'_> {
    fn classify(&mut self, reply: &str, code: &str) -> crate::model::RuleIdx {
        // Bounded: a file of all-distinct replies must not grow the cache without limit.
        const MAX: usize = 4096;
        const MAX_CACHED_REPLY: usize = 4096;
        let key = (reply.to_string(), code.to_string());
        if let Some(&rule) = self.cache.get(&key) {
            return rule;
        }
        let rule = self.set.classify(reply, code);
        // Long replies neither repeat nor fit: 4096 cached 1 MiB replies would be 4 GiB.
        if self.cache.len() < MAX && reply.len() <= MAX_CACHED_REPLY {
            self.cache.insert(key, rule);
        }
        rule
    }
}

/// Record one delivery; returns the crossing when its reply quotes another customer's address
/// (the caller lists it as an input problem).
fn record_delivery(
    d: &Delivery,
    at: At,
    observed_vps: Option<u32>,
    inv: &Inventory,
    mut rules: Rules,
    p: &mut Partial,
) -> Option<crossings::Crossing> {
    p.record_time(at.day, at.time);
    let (ip, ip_source) = sending_ip(d, observed_vps, inv);
    let crossing = crossings::Crossing::of(inv, observed_vps, ip, ip_source);
    let activity_key = ActivityKey {
        day: at.day,
        observed_vps,
        // Activity makes an address "active" in its subnet and on the heatmap: an unconfirmed
        // address of another customer must not (the observing VPS's own sender is unknown).
        ip: ip.filter(|_| crossing.is_none()),
    };
    // A file naming millions of sending IPs is hostile: count, do not grow without bound.
    if p.activity.len() >= MAX_KEYS_PER_FILE && !p.activity.contains_key(&activity_key) {
        p.stats.skip(TOO_MANY_KEYS);
        return None;
    }
    let activity: &mut Activity = p.activity.entry(activity_key).or_default();
    match d.outcome {
        Outcome::Sent => {
            activity.sent += 1;
            p.stats.sent += 1;
            return None;
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
    let reply: &str = &d.reply;
    let platform = d.receiver_host.map_or("unknown", platform_of_mx);
    let code = status_code(d);
    let rule = rules.classify(reply, code);
    if rule == rules.set.unclassified_idx() {
        let key = UnclassifiedKey {
            day: at.day,
            reply: unclassified_text(classify::normalise_reply(reply)),
            platform,
            code: code.into(),
        };
        p.record_unclassified(key, ip);
    }
    let receiver_rule_id = receiver_rule_id(d);
    let key = EventKey {
        day: at.day,
        observed_vps,
        ip,
        ip_source,
        rule,
        platform,
        code: code.into(),
        receiver_rule_id,
    };
    if p.events.len() >= MAX_KEYS_PER_FILE && !p.events.contains_key(&key) {
        p.stats.skip(TOO_MANY_KEYS);
        return None;
    }
    p.record_event(key, at.time, reply);
    crossing
}

/// Cap a finished file's unclassified groups at the per-file limit (merging a central file's
/// hosts or a split file's ranges may have used the run's) and list what was dropped.
fn close_unclassified(file: &str, partial: &mut Partial) {
    use crate::model::UNCLASSIFIED_PER_FILE;
    let dropped = partial.cap_unclassified(UNCLASSIFIED_PER_FILE)
        + std::mem::take(&mut partial.stats.unclassified_dropped_in_run);
    partial.stats.unclassified_dropped_in_files += dropped;
    let n = partial.stats.unclassified_dropped_in_files;
    if n > 0 {
        partial.stats.problem(
            file,
            None,
            format!("{n} unclassified repl(ies) counted but not kept for unclassified.csv: the file has more than {UNCLASSIFIED_PER_FILE} distinct unclassified reply texts (per receiver, code and day)"),
        );
    }
}

/// Distinct (sending IP, rule, receiver, day) cells one file may add; a VPS has a handful of IPs.
pub const MAX_KEYS_PER_FILE: usize = 100_000;
const TOO_MANY_KEYS: &str = "too many distinct sending IPs in one file";

/// One log line about an IP, for `blockscope explain`.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub file: String,
    pub line: u64,
    /// Unix micros (year-less styles resolved like the run does).
    pub time: i64,
    pub outcome: Outcome,
    pub ip: Option<IpAddr>,
    pub ip_source: IpSource,
    pub receiver: String,
    pub rule: crate::model::RuleIdx,
    pub code: String,
    pub reply: String,
}

/// Every delivery line whose sending IP `wanted` accepts, file by file (sequential: this is for
/// one IP or range, not the nightly run).
pub fn evidence(
    files: &[LogFile],
    inv: &Inventory,
    rules: &RuleSet,
    wanted: &dyn Fn(IpAddr) -> bool,

    tz: Option<chrono_tz::Tz>,
) -> Vec<Evidence> {
    let mut out = Vec::new();
    // As in the nightly run: content read twice would be cited twice.
    let files = duplicates::drop_duplicates(files, &mut Default::default());
    let mut sorted: Vec<&LogFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for file in sorted {
        let Ok(mut input) = reader::open_log(&file.path) else {
            continue;
        };
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        while let Ok((kind, _)) = reader::read_line(&mut *input, &mut buf, reader::MAX_LINE) {
            match kind {
                reader::Read::Eof => break,
                reader::Read::TooLong => lines.push(None),
                reader::Read::Line => lines.push(Some(clean_line(&buf).0.into_owned())),
            }
        }
        let Some(format) =
            detect_format(lines.iter().take(SNIFF_LINES).flatten().map(String::as_str))
        else {
            continue;
        };
        // A central file's lines go by their HOSTNAME, each host with its own clock.
        let mut clocks = central::Clocks::new(inv, file, tz);
        let mut found = Vec::new();
        let mut clock_of = Vec::new();
        for (i, text) in lines.iter().enumerate() {
            let Some(text) = text else { continue };
            let (Some(raw), host, Event::Delivery(d)) = parse_line_with_host(format, text) else {
                continue;
            };
            let Some((observed_vps, k)) = clocks.locate(inv, host) else {
                continue;
            };
            let Some(time) = clocks.clocks[k].stamp(raw, i as u64 + 1) else {
                continue;
            };
            let (ip, ip_source) = sending_ip(&d, observed_vps, inv);
            if !ip.is_some_and(wanted) {
                continue;
            }
            let reply: &str = &d.reply;
            let code = status_code(&d);
            let rule = if d.outcome == Outcome::Sent {
                rules.unclassified_idx()
            } else {
                rules.classify(reply, code)
            };
            found.push(Evidence {
                file: file.name.clone(),
                line: i as u64 + 1,
                time,
                outcome: d.outcome,
                ip,
                ip_source,
                receiver: d.receiver_host.unwrap_or("").to_string(),
                rule,
                code: code.to_string(),
                reply: reply.to_string(),
            });
            clock_of.push(k);
        }
        let times = found.iter_mut().map(|e| &mut e.time).zip(clock_of);
        clocks.resolve(file.anchor, times);
        out.extend(found);
    }
    out
}

/// Read a whole (small) log as text, for tests and tools.
pub fn read_to_string_lossy(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader::open_log(path)?.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_interfaces_are_not_what_receivers_see() {
        for ip in [
            "127.0.0.1",
            "10.0.0.5",
            "172.16.3.4",
            "192.168.1.2",
            "100.64.0.9",
            "169.254.1.1",
            "::1",
            "fd00::5",
            "fe80::1",
            "::ffff:10.0.0.5",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "198.51.100.7",
            "203.0.113.9",
            "192.0.2.1",
            "2001:db8::7",
            "8.8.8.8",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

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
