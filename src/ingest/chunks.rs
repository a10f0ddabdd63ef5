//! One huge log file read by several workers: byte ranges cut at line starts, parsed alone, put
//! back together in order (line numbers, problem caps) so the result is the one a single reader
//! gets.
//!
//! Only plain files whose timestamps carry their year are split: the year of a year-less line
//! (RFC 3164) depends on every line before it. Only without `--state`: a cursor describes a
//! whole file. Both are how huge files arrive in practice (`blockscope ingest` on a log host,
//! RFC 3339 rsyslog), and the rest is read whole, as before.
//!
//! A central-syslog file (`central`) keeps a clock per host: it is split only when its first
//! lines are all absolute, and when a range still meets a year-less host the file is read whole
//! after all (the result is the one reader's either way).

use super::{detect_format, parse_line, reader, FileRun, Format, LogFile, Mode, PROBLEMS_PER_FILE};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::model::Partial;
use std::io::Seek as _;

/// Files larger than this are split (`BLOCKSCOPE_CHUNK_BYTES` overrides it, for tests and tuning).
pub(crate) const DEFAULT_CHUNK_BYTES: u64 = 64 << 20;

pub(crate) fn chunk_bytes() -> u64 {
    std::env::var("BLOCKSCOPE_CHUNK_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &u64| n > 0)
        .unwrap_or(DEFAULT_CHUNK_BYTES)
}

/// How a splittable file is read: its format, and byte ranges `[start, end)`.
pub(crate) struct Plan {
    pub(crate) format: Format,
    pub(crate) ranges: Vec<(u64, u64)>,
}

/// A plan when `file` is big, plain, recognised and stamped with absolute times.
pub(crate) fn plan(file: &LogFile, chunk: u64) -> Option<Plan> {
    if file.size <= chunk {
        return None;
    }
    let head = reader::peek_head(&file.path, 64 << 10).ok()?;
    if head.compressed {
        return None;
    }
    let text = String::from_utf8_lossy(&head.bytes);
    let lines: Vec<&str> = text.lines().take(super::SNIFF_LINES).collect();
    let format = detect_format(lines.iter().copied())?;
    // The first timestamped line decides the file's clock: it must be absolute (and, for a
    // central file of many hosts, every host's in the first lines).
    let mut times = lines
        .iter()
        .filter_map(|l| parse_line(format, super::clean_line(l.as_bytes()).0.as_ref()).0)
        .peekable();
    times.peek()?;
    if times.any(|t| matches!(t, super::timestamp::RawTime::YearLess { .. })) {
        return None;
    }
    let ranges = (0..file.size.div_ceil(chunk))
        .map(|i| (i * chunk, ((i + 1) * chunk).min(file.size)))
        .collect();
    Some(Plan { format, ranges })
}

/// What one range gave: its partial (line numbers local to the range), lines read, and how
/// many line problems it had (listed or not).
pub(crate) struct Piece {
    pub(crate) partial: Partial,
    pub(crate) lines: u64,
    pub(crate) line_problems: usize,
    /// A central file's mail lines from hosts the inventory does not name (line numbers local).
    unknown_hosts: super::central::UnknownHosts,
    /// A central file's range met a year-less host: the file is read whole instead.
    needs_whole_file: bool,
    /// Replies quoting another customer's address (line numbers local).
    crossings: super::crossings::Crossings,
}

/// Parse the lines that start inside `[start, end)`.
pub(crate) fn read_range(
    file: &LogFile,
    format: Format,
    (start, end): (u64, u64),
    inventory: &Inventory,
    rules: &RuleSet,
    tz: Option<chrono_tz::Tz>,
) -> Piece {
    let mut run = FileRun::new(file, inventory, rules, format, tz, Partial::default());
    run.clock.mode = Some(Mode::Absolute);
    if let Some(hosts) = run.central.as_mut() {
        hosts.ranged = true;
    }
    let mut line_no = 0u64;
    let opened = std::fs::File::open(&file.path).and_then(|mut f| {
        // Start at the first line that begins at or after `start`: the line running across the
        // boundary belongs to the range before.
        f.seek(std::io::SeekFrom::Start(start.saturating_sub(1)))?;
        Ok(std::io::BufReader::with_capacity(1 << 18, f))
    });
    let mut input = match opened {
        Ok(i) => i,
        Err(e) => {
            run.partial.stats.problem(
                &file.name,
                None,
                format!("cannot read part of the file: {e}"),
            );
            return Piece {
                partial: run.partial,
                lines: 0,
                line_problems: 0,
                unknown_hosts: Default::default(),
                needs_whole_file: false,
                crossings: Default::default(),
            };
        }
    };
    let mut buf = Vec::with_capacity(4096);
    let mut pos = start;
    if start > 0 {
        match reader::read_line(&mut input, &mut buf, reader::MAX_LINE) {
            Ok((_, n)) => pos = start - 1 + n as u64,
            Err(e) => {
                run.partial
                    .stats
                    .problem(&file.name, None, format!("read error: {e}"));
            }
        }
    }
    while pos < end {
        match reader::read_line(&mut input, &mut buf, reader::MAX_LINE) {
            Ok((reader::Read::Eof, _)) => break,
            Ok((kind, n)) => {
                run.partial.stats.bytes += n as u64;
                pos += n as u64;
                line_no += 1;
                run.handle(&buf, &kind, line_no);
            }
            Err(e) => {
                run.partial.stats.problem(
                    &file.name,
                    Some(line_no + 1),
                    format!("read error after {line_no} lines: {e}; the lines before it were read"),
                );
                break;
            }
        }
    }
    let line_problems = run.line_problems;
    let crossings = std::mem::take(&mut run.crossings);
    let (partial, unknown_hosts, needs_whole_file) = run.finish();
    Piece {
        partial,
        lines: line_no,
        line_problems,
        unknown_hosts,
        needs_whole_file,
        crossings,
    }
}

/// Put a file's pieces (in range order) back together as one file's partial.
pub(crate) fn assemble(
    file: &LogFile,
    inventory: &Inventory,
    rules: &RuleSet,
    tz: Option<chrono_tz::Tz>,
    pieces: Vec<Piece>,
) -> Partial {
    if pieces.iter().any(|p| p.needs_whole_file) {
        return super::ingest_file(file, inventory, rules, tz, None);
    }
    let mut whole = Partial::default();
    whole.stats.files = 1;
    whole.stats.split_files = 1;
    whole.stats.split_ranges = pieces.len() as u64;
    super::central::count_dir(inventory, file, &mut whole.stats);
    let mut offset = 0u64;
    let mut line_problems = 0usize;
    let mut unknown_hosts = super::central::UnknownHosts::default();
    let mut crossings = super::crossings::Crossings::default();
    for mut piece in pieces {
        for p in &mut piece.partial.stats.problems {
            p.line = p.line.map(|l| l + offset);
        }
        unknown_hosts.merge_shifted(piece.unknown_hosts, offset);
        crossings.merge_shifted(piece.crossings, offset);
        offset += piece.lines;
        line_problems += piece.line_problems;
        whole = whole.merge(piece.partial);
    }
    // The first PROBLEMS_PER_FILE line problems of the file, as a single reader lists them.
    let (mut lines, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut whole.stats.problems)
        .into_iter()
        .partition(|p| p.line.is_some() && p.file == file.name);
    lines.sort();
    lines.truncate(PROBLEMS_PER_FILE);
    whole.stats.problems = rest;
    whole.stats.problems.extend(lines);
    unknown_hosts.report(&file.name, &mut whole.stats);
    crossings.into_partial(&file.name, &mut whole);
    super::close_unclassified(&file.name, &mut whole);
    if line_problems > PROBLEMS_PER_FILE {
        let more = line_problems - PROBLEMS_PER_FILE;
        whole.stats.problem(
            &file.name,
            None,
            format!("{more} more problem lines not listed"),
        );
    }
    whole
}
