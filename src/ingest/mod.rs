//! Ingest: find the fleet's log files (`files`), parse them in parallel, and fold every line into
//! mergeable partial aggregates (`model::Partial`). `ingest` below is the one rayon entry point;
//! each file is read by `run` (its clock in `clock`, each delivery recorded by `delivery`),
//! huge files in ranges by `chunks`, central-syslog files routed per host by `central`.

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

pub(crate) mod bounce;
mod central;
mod chunks;
mod clock;
mod crossings;
mod delivery;
mod duplicates;
mod evidence;
pub(crate) mod exim;
mod files;
pub(crate) mod fingerprint;
pub mod line;
pub(crate) mod opensmtpd;
pub(crate) mod postfix;
pub(crate) mod reader;
pub mod recipient;
mod replies;
pub(crate) mod reply_mail;
mod run;
pub(crate) mod sendmail;
pub mod snds;
pub(crate) mod syslog;
pub mod timestamp;

pub(crate) use delivery::delivery_facts;
pub(crate) use evidence::{evidence, Evidence};
pub(crate) use files::{discover, LogFile};
pub(crate) use run::ingest_file;

use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::error::{Error, Result};
use crate::model::Partial;
use clock::{FileClock, Mode};
use delivery::close_unclassified;
use fingerprint::KnownFiles;
use line::{Event, SkipReason};
use rayon::prelude::*;
use run::{clean_line, FileRun};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use timestamp::RawTime;

/// Called with each finished file's size (for a progress display).
pub(crate) type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Parse every file on `threads` workers and merge the partial aggregates. With `known` (the
/// cursors of earlier runs), files are read only past where they were read before.
pub(crate) fn ingest(
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
        .map(|(_, f)| *f)
        .collect();
    order.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    Ok(pool.install(|| {
        let mut pieces: Vec<(usize, usize, chunks::Piece)> = ranges
            .par_iter()
            .map(|&(i, k, format, range)| {
                let piece = chunks::read_range(files[i], format, range, inventory, rules, tz);
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
            .map(|(i, pieces)| chunks::assemble(files[i], inventory, rules, tz, pieces))
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

/// Read a whole (small) log as text, for tests and tools.
pub fn read_to_string_lossy(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader::open_log(path)?.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
