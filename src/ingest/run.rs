//! The per-file run: one log file (or one byte range of a huge one, see `chunks`) read line by
//! line into its own `Partial`: lines cleaned, parsed, timed by the file's clock, deliveries
//! recorded; where the file was read to is kept as its cursor.

use super::clock::FileClock;
use super::delivery::{
    close_unclassified, record_delivery, At, Observed, MAX_KEYS_PER_FILE, TOO_MANY_KEYS,
};
use super::fingerprint::{self, KnownFiles};
use super::line::{Event, SkipReason};
use super::timestamp::RawTime;
use super::{central, crossings, detect_format, parse_line_with_host, reader, Format, LogFile};
use super::{PROBLEMS_PER_FILE, SNIFF_LINES};
use crate::attribute::inventory::Inventory;
use crate::classify::RuleSet;
use crate::model::{FileCursor, Partial, Stats};
use std::borrow::Cow;

/// A line as text: `\r` dropped, NUL bytes removed, invalid UTF-8 replaced (each repair named).
pub(crate) fn clean_line(raw: &[u8]) -> (Cow<'_, str>, [Option<&'static str>; 2]) {
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
pub(crate) struct FileRun<'a> {
    pub(crate) file: &'a LogFile,
    pub(crate) inventory: &'a Inventory,
    pub(crate) rules: &'a RuleSet,
    pub(crate) observed: Observed,
    pub(crate) format: Format,
    pub(crate) clock: FileClock,
    pub(crate) partial: Partial,
    /// A central-syslog file: lines routed by HOSTNAME, a clock and partial per host.
    pub(crate) central: Option<central::Hosts>,
    pub(crate) line_problems: usize,
    /// Addresses replies quote, for the crossings listed in input-problems.csv.
    pub(crate) crossings: crossings::Crossings,
}

impl<'a> FileRun<'a> {
    pub(crate) fn new(
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
            observed: match route {
                central::Route::Vps(v) => Observed::of(inventory, Some(v)),
                central::Route::AsLogged => Observed::as_logged(&central::dir_key(file)),
                _ => Observed::of(inventory, None),
            },
            format,
            clock: FileClock::new(tz),
            partial,
            central: (route == central::Route::Central).then(central::Hosts::new),
            line_problems: 0,
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

    pub(crate) fn handle(&mut self, raw: &[u8], kind: &reader::Read, line_no: u64) {
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
        let (clock, p, observed) = match self.central.as_mut() {
            None => (&mut self.clock, &mut self.partial, self.observed),
            Some(hosts) => {
                let stats = &mut self.partial.stats;
                match hosts.target(self.inventory, host, &event, line_no, &self.clock, stats) {
                    central::Target::Host(slot) => {
                        (&mut slot.clock, &mut slot.partial, slot.observed)
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
                // Replies repeat (every retry of a blocked queue, in every file): each distinct
                // one is classified once per worker (`replies`).
                if let Some(q) = record_delivery(&d, at, observed, self.rules, p) {
                    self.crossings.add(q, line_no);
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
    pub(crate) fn finish(self) -> (Partial, central::UnknownHosts, bool) {
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

/// Read one whole file (past where an earlier run stopped, with `known`) into its partial.
pub(crate) fn ingest_file(
    file: &LogFile,
    inventory: &Inventory,
    rules: &RuleSet,
    tz: Option<chrono_tz::Tz>,
    known: Option<&KnownFiles>,
) -> Partial {
    let mut partial = Partial::default();
    partial.stats.files = 1;
    central::count_dir(inventory, file, &mut partial.stats);
    let head = match reader::open_head(&file.path, fingerprint::HEAD_BYTES) {
        Ok(h) => h,
        Err(e) => {
            partial
                .stats
                .problem(&file.name, None, format!("cannot open: {e}; skipped"));
            return partial;
        }
    };
    let opened = Opened {
        head_bytes: head.bytes.clone(),
        compressed: head.compressed,
        disk_len: head.disk_len,
        previous: known.and_then(|k| k.lookup(&head.bytes)).cloned(),
    };
    if let Some(c) = opened.previous.as_ref().filter(|c| opened.read_before(c)) {
        return opened.unchanged(file, partial, c.clone());
    }
    let wanted_start = opened.previous.as_ref().map_or(0, |c| c.consumed);
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
    let mut pos = Position {
        line_no: opened.previous.as_ref().map_or(0, |c| c.lines),
        consumed: start,
        read_error: None,
        at_end: false,
        hold_back_tail: known.is_some() && !opened.compressed,
    };
    // Sniff the first lines to decide the format, then parse them and the rest.
    let mut sniffed: Vec<(Vec<u8>, reader::Read)> = Vec::new();
    while sniffed.len() < SNIFF_LINES {
        let mut buf = Vec::new();
        let Some(kind) = pos.next_line(&mut *input, &mut buf, &mut partial.stats) else {
            break;
        };
        sniffed.push((buf, kind));
    }
    if sniffed.is_empty() && pos.read_error.is_none() {
        return opened.nothing_new(file, partial);
    }
    if opened.previous.is_some() {
        partial.stats.files_resumed += 1;
    }
    let Some(format) = sniffed_format(&sniffed) else {
        let why = match &pos.read_error {
            Some(e) => format!("unreadable: {e}; skipped"),
            None => "not a recognised mail log (Postfix, Exim, OpenSMTPD or Sendmail, via syslog, journalctl or Exim's mainlog); skipped".into(),
        };
        partial.stats.problem(&file.name, None, why);
        return partial;
    };
    let mut run = FileRun::new(file, inventory, rules, format, tz, partial);
    for (buf, kind) in &sniffed {
        pos.line_no += 1;
        run.handle(buf, kind, pos.line_no);
    }
    drop(sniffed);
    let mut buf = Vec::with_capacity(4096);
    while let Some(kind) = pos.next_line(&mut *input, &mut buf, &mut run.partial.stats) {
        pos.line_no += 1;
        run.handle(&buf, &kind, pos.line_no);
    }
    finish_file(run, &opened, &pos, known.is_some())
}

/// What is known of a file once its head is read.
struct Opened {
    head_bytes: Vec<u8>,
    compressed: bool,
    disk_len: u64,
    /// The cursor of the earlier run that read this file (found by its head).
    previous: Option<FileCursor>,
}

impl Opened {
    /// Whether the earlier run read all there is (a `.gz` is known by its size on disk).
    fn read_before(&self, c: &FileCursor) -> bool {
        if self.compressed {
            c.compressed_len == Some(self.disk_len)
        } else {
            c.consumed >= self.disk_len
        }
    }

    /// Nothing new in this file: keep its cursor under its current name and size.
    fn unchanged(&self, file: &LogFile, mut partial: Partial, c: FileCursor) -> Partial {
        partial.stats.files_unchanged += 1;
        partial.cursors.push(FileCursor {
            name: file.name.clone(),
            compressed_len: self.compressed.then_some(self.disk_len),
            ..c
        });
        partial
    }

    /// No line past the cursor: a rotated copy of what was read before (perhaps newly
    /// compressed), or an empty file.
    fn nothing_new(self, file: &LogFile, mut partial: Partial) -> Partial {
        match &self.previous {
            Some(c) => self.unchanged(file, partial, c.clone()),
            None => {
                if partial.stats.held_back_lines == 0 {
                    partial.stats.problem(&file.name, None, "empty file");
                }
                partial
            }
        }
    }

    /// The cursor for the next run: where this one stopped, known by the file's head.
    fn cursor(&self, file: &LogFile, pos: &Position, last_day: Option<i32>) -> FileCursor {
        let head_len = (self.head_bytes.len() as u64).min(pos.consumed) as usize;
        let previous = self.previous.as_ref();
        let read_whole = self.compressed && pos.at_end && pos.read_error.is_none();
        FileCursor {
            head_hash: fingerprint::head_hash(&self.head_bytes[..head_len]),
            head_len: head_len as u32,
            consumed: pos.consumed,
            lines: pos.line_no,
            compressed_len: read_whole.then_some(self.disk_len),
            name: file.name.clone(),
            last_day: last_day.max(previous.and_then(|c| c.last_day)),
            replaces: previous.map(|c| (c.head_len, c.head_hash.clone())),
        }
    }
}

/// How far a file has been read, and why reading stopped.
struct Position {
    line_no: u64,
    /// Decompressed bytes, from the start of the file.
    consumed: u64,
    read_error: Option<std::io::Error>,
    at_end: bool,
    /// With a state, an unterminated last line of a plain file may still be being written:
    /// leave it for the run after it is complete (a compressed file is final).
    hold_back_tail: bool,
}

impl Position {
    /// The next line into `buf`; None at the end, after a read error or at a held-back tail.
    fn next_line(
        &mut self,
        input: &mut dyn std::io::BufRead,
        buf: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Option<reader::Read> {
        if self.read_error.is_some() || self.at_end {
            return None;
        }
        match reader::read_line(input, buf, reader::MAX_LINE) {
            Ok((reader::Read::Eof, _)) => {
                self.at_end = true;
                None
            }
            Ok((kind, n)) => {
                if self.hold_back_tail && n == buf.len() {
                    stats.held_back_lines += 1;
                    self.at_end = true;
                    return None;
                }
                stats.bytes += n as u64;
                self.consumed += n as u64;
                Some(kind)
            }
            Err(e) => {
                self.read_error = Some(e);
                None
            }
        }
    }
}

/// The format the sniffed lines agree on.
fn sniffed_format(sniffed: &[(Vec<u8>, reader::Read)]) -> Option<Format> {
    let cleaned: Vec<Cow<str>> = sniffed
        .iter()
        .filter(|(_, k)| *k == reader::Read::Line)
        .map(|(b, _)| clean_line(b).0)
        .collect();
    detect_format(cleaned.iter().map(|c| c.as_ref()))
}

/// The file's partial once read: the read error, crossings, unknown hosts and capped groups
/// listed as input problems, and (with a state) its cursor.
fn finish_file(mut run: FileRun, opened: &Opened, pos: &Position, with_state: bool) -> Partial {
    let file = run.file;
    if let Some(e) = &pos.read_error {
        let reason = read_error_reason(e, opened.compressed, pos.line_no);
        run.partial
            .stats
            .problem(&file.name, Some(pos.line_no + 1), reason);
    }
    let line_problems = run.line_problems;
    let crossings = std::mem::take(&mut run.crossings);
    let (mut partial, unknown_hosts, _) = run.finish();
    unknown_hosts.report(&file.name, &mut partial.stats);
    crossings.into_partial(&file.name, &mut partial);
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
    if with_state && pos.consumed > 0 {
        let last_day = partial.times.keys().next_back().copied();
        partial.cursors.push(opened.cursor(file, pos, last_day));
    }
    partial
}

/// The input problem for a read that failed after `line_no` lines.
fn read_error_reason(e: &std::io::Error, compressed: bool, line_no: u64) -> String {
    let what = if e.to_string().contains("gzip bomb") {
        "too much decompressed data"
    } else if compressed || e.kind() == std::io::ErrorKind::InvalidInput {
        "compressed data corrupt or truncated"
    } else {
        "read error"
    };
    format!("{what} after {line_no} lines: {e}; the lines before it were read")
}
