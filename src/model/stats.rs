//! Input statistics: every line read lands in exactly one bucket, every problem is kept. Part
//! of each per-file partial, merged with it; written to the run summary and input-problems.csv.

use std::collections::BTreeMap;

/// Input statistics for the run summary and summary.md. Every line lands in exactly one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub(crate) files: u64,
    pub(crate) bytes: u64,
    pub(crate) lines: u64,
    pub(crate) noise_lines: u64,
    pub(crate) sent: u64,
    pub(crate) deferred: u64,
    pub(crate) bounced: u64,
    /// Non-final receiver replies (`host X said:` without `to=`), counted within deferred/bounced.
    pub(crate) non_final_replies: u64,
    pub(crate) expired: u64,
    pub(crate) suspended: u64,
    /// Local deliveries and hand-offs (content filter, LMTP socket, mailbox): not outbound.
    pub(crate) local_handoffs: u64,
    /// Log files already fully read by an earlier run (`--state`): not opened past their head.
    pub(crate) files_unchanged: u64,
    /// Files read from where an earlier run stopped (appended since).
    pub(crate) files_resumed: u64,
    /// Unterminated last lines of plain files, left for the run after the file grows or rotates.
    pub(crate) held_back_lines: u64,
    /// Huge files read by several workers, and the byte ranges they were cut into.
    pub(crate) split_files: u64,
    pub(crate) split_ranges: u64,
    /// Skipped lines by reason.
    pub(crate) skipped: BTreeMap<&'static str, u64>,
    /// Lines read after a repair (invalid UTF-8 replaced, NUL bytes removed), by reason.
    pub(crate) repaired: BTreeMap<&'static str, u64>,
    /// Files and lines that could not be read as they are (`input-problems.csv`), capped per file.
    pub(crate) problems: Vec<Problem>,
    /// VPS directories with no inventory rows.
    pub(crate) unknown_vps_dirs: BTreeMap<String, u64>,
    /// Files per top directory read without an inventory: their cells name the directory as the
    /// observed VPS until `attribute::resolve` looks it up.
    pub(crate) dirs_as_logged: BTreeMap<String, u64>,
    /// Unclassified replies counted but not kept for unclassified.csv: their file had more than
    /// `UNCLASSIFIED_PER_FILE` distinct groups (text, receiver, code, day).
    pub(crate) unclassified_dropped_in_files: u64,
    /// The same, dropped when files were merged past `UNCLASSIFIED_PER_RUN` groups.
    pub(crate) unclassified_dropped_in_run: u64,
}

/// One row of `input-problems.csv`: a file (line `None`) or a line that could not be read as is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Problem {
    pub(crate) file: String,
    pub(crate) line: Option<u64>,
    pub(crate) reason: String,
}

impl Stats {
    pub(crate) fn problem(&mut self, file: &str, line: Option<u64>, reason: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            reason: reason.into(),
        });
    }

    pub(crate) fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub(crate) fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub(crate) fn merge(&mut self, other: Stats) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.noise_lines += other.noise_lines;
        self.sent += other.sent;
        self.deferred += other.deferred;
        self.bounced += other.bounced;
        self.non_final_replies += other.non_final_replies;
        self.expired += other.expired;
        self.suspended += other.suspended;
        self.local_handoffs += other.local_handoffs;
        self.files_unchanged += other.files_unchanged;
        self.files_resumed += other.files_resumed;
        self.held_back_lines += other.held_back_lines;
        self.split_files += other.split_files;
        self.split_ranges += other.split_ranges;
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in other.repaired {
            *self.repaired.entry(k).or_default() += v;
        }
        self.problems.extend(other.problems);
        for (k, v) in other.unknown_vps_dirs {
            *self.unknown_vps_dirs.entry(k).or_default() += v;
        }
        for (k, v) in other.dirs_as_logged {
            *self.dirs_as_logged.entry(k).or_default() += v;
        }
        self.unclassified_dropped_in_files += other.unclassified_dropped_in_files;
        self.unclassified_dropped_in_run += other.unclassified_dropped_in_run;
    }

    /// Unclassified replies not kept for unclassified.csv (counted in the totals above).
    pub(crate) fn unclassified_dropped(&self) -> u64 {
        self.unclassified_dropped_in_files + self.unclassified_dropped_in_run
    }
}
