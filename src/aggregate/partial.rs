//! Mergeable partial aggregates: one per input file, merged in any order with the same result.

use crate::attribute::sending_ip::IpSource;
use crate::classify::RuleIdx;
use std::collections::BTreeMap;
// A fast hasher for the per-line maps (SipHash showed in profiles); order never matters here,
// every report sorts explicitly.
use foldhash::{HashMap, HashSet};
use std::net::IpAddr;

/// One (observed VPS, sending IP, rule, receiver, code) cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    /// Calendar day of the events (days since 1970-01-01 in the provider's zone); while a
    /// year-less file is read, its file-local day number until `map_days` resolves it.
    pub day: i32,
    /// Inventory index of the VPS directory the line was logged in (None: directory not in inventory).
    pub observed_vps: Option<u32>,
    pub ip: Option<IpAddr>,
    pub ip_source: IpSource,
    pub rule: RuleIdx,
    pub platform: &'static str,
    pub code: Box<str>,
    pub receiver_rule_id: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAgg {
    pub events: u64,
    pub first: i64,
    pub last: i64,
    /// The latest reply; ties broken by text so merge order never matters.
    pub sample_time: i64,
    pub sample: String,
}

impl EventAgg {
    pub fn new(time: i64, reply: &str) -> EventAgg {
        EventAgg {
            events: 1,
            first: time,
            last: time,
            sample_time: time,
            sample: reply.to_string(),
        }
    }

    pub fn add(&mut self, time: i64, reply: &str) {
        self.events += 1;
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        if (time, reply) > (self.sample_time, self.sample.as_str()) {
            self.sample_time = time;
            reply.clone_into(&mut self.sample);
        }
    }

    pub fn merge(&mut self, other: EventAgg) {
        self.events += other.events;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        if (other.sample_time, other.sample.as_str()) > (self.sample_time, self.sample.as_str()) {
            self.sample_time = other.sample_time;
            self.sample = other.sample;
        }
    }

    fn map_times(&mut self, f: &impl Fn(i64) -> i64) {
        self.first = f(self.first);
        self.last = f(self.last);
        self.sample_time = f(self.sample_time);
    }
}

/// Delivery attempts per sending IP, whatever their outcome (drives "active" IPs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActivityKey {
    pub day: i32,
    pub observed_vps: Option<u32>,
    pub ip: Option<IpAddr>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
}

impl Activity {
    pub fn add(&mut self, other: Activity) {
        self.sent += other.sent;
        self.deferred += other.deferred;
        self.bounced += other.bounced;
    }
}

/// Input statistics for the run summary and summary.md. Every line lands in exactly one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
    pub noise_lines: u64,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    /// Non-final receiver replies (`host X said:` without `to=`), counted within deferred/bounced.
    pub non_final_replies: u64,
    pub expired: u64,
    pub suspended: u64,
    /// Local deliveries and hand-offs (content filter, LMTP socket, mailbox): not outbound.
    pub local_handoffs: u64,
    /// Log files already fully read by an earlier run (`--state`): not opened past their head.
    pub files_unchanged: u64,
    /// Files read from where an earlier run stopped (appended since).
    pub files_resumed: u64,
    /// Unterminated last lines of plain files, left for the run after the file grows or rotates.
    pub held_back_lines: u64,
    /// Huge files read by several workers, and the byte ranges they were cut into.
    pub split_files: u64,
    pub split_ranges: u64,
    /// Skipped lines by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Lines read after a repair (invalid UTF-8 replaced, NUL bytes removed), by reason.
    pub repaired: BTreeMap<&'static str, u64>,
    /// Files and lines that could not be read as they are (`input-problems.csv`), capped per file.
    pub problems: Vec<Problem>,
    /// VPS directories with no inventory rows.
    pub unknown_vps_dirs: BTreeMap<String, u64>,
    /// Unclassified replies counted but not kept for unclassified.csv: their file had more than
    /// `UNCLASSIFIED_PER_FILE` distinct groups (text, receiver, code, day).
    pub unclassified_dropped_in_files: u64,
    /// The same, dropped when files were merged past `UNCLASSIFIED_PER_RUN` groups.
    pub unclassified_dropped_in_run: u64,
}

/// One row of `input-problems.csv`: a file (line `None`) or a line that could not be read as is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub line: Option<u64>,
    pub reason: String,
}

impl Stats {
    pub fn problem(&mut self, file: &str, line: Option<u64>, reason: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_string(),
            line,
            reason: reason.into(),
        });
    }

    pub fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn merge(&mut self, other: Stats) {
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
        self.unclassified_dropped_in_files += other.unclassified_dropped_in_files;
        self.unclassified_dropped_in_run += other.unclassified_dropped_in_run;
    }

    /// Unclassified replies not kept for unclassified.csv (counted in the totals above).
    pub fn unclassified_dropped(&self) -> u64 {
        self.unclassified_dropped_in_files + self.unclassified_dropped_in_run
    }
}

/// Unclassified replies grouped by their normalised text, for rule-writing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnclassifiedKey {
    pub day: i32,
    pub reply: String,
    pub platform: &'static str,
    pub code: Box<str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnclassifiedAgg {
    pub events: u64,
    pub ips: HashSet<Option<IpAddr>>,
}

/// Distinct unclassified groups one file keeps: a file of all-distinct replies (hostile, or a
/// receiver echoing message content) must not hold every text in memory.
pub const UNCLASSIFIED_PER_FILE: usize = 1_000;
/// Distinct unclassified groups a run keeps (unclassified.csv shows the 500 most frequent).
/// At least `UNCLASSIFIED_PER_FILE`, so that which groups survive never depends on merge order.
pub const UNCLASSIFIED_PER_RUN: usize = 5_000;
/// Longest normalised text kept for a group; real replies are far shorter (RFC 5321 lines are
/// 512 bytes), and a 1 MiB line must not become a 1 MiB key.
pub const UNCLASSIFIED_TEXT_BYTES: usize = 4_096;

/// A normalised reply as a group's text: cut at `UNCLASSIFIED_TEXT_BYTES` (marked with `…`).
pub fn unclassified_text(mut normalised: String) -> String {
    if normalised.len() > UNCLASSIFIED_TEXT_BYTES {
        let mut cut = UNCLASSIFIED_TEXT_BYTES;
        while !normalised.is_char_boundary(cut) {
            cut -= 1;
        }
        normalised.truncate(cut);
        normalised.push('…');
    }
    normalised
}

impl UnclassifiedKey {
    /// Which groups a cap keeps: the smallest in this order. A hash of the text (FNV-1a, stable
    /// across builds and hosts) rather than the text itself, so that flooding with crafted
    /// texts cannot push out chosen ones; the same text is kept or dropped on every day. Keeping
    /// the smallest N of a fixed order is what makes capped partials mergeable: the groups left
    /// after any merge order are the smallest N of all of them.
    fn cap_order(&self) -> (u64, &UnclassifiedKey) {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [
            self.reply.as_bytes(),
            self.platform.as_bytes(),
            self.code.as_bytes(),
        ] {
            for &b in part.iter().chain([&0xff]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        (h, self)
    }
}

impl UnclassifiedAgg {
    pub fn add(&mut self, other: UnclassifiedAgg) {
        self.events += other.events;
        self.ips.extend(other.ips);
    }
}

#[derive(Debug, Clone, Default)]
pub struct Partial {
    pub stats: Stats,
    pub events: HashMap<EventKey, EventAgg>,
    pub activity: HashMap<ActivityKey, Activity>,
    pub unclassified: HashMap<UnclassifiedKey, UnclassifiedAgg>,
    /// Earliest and latest delivery line per day.
    pub times: BTreeMap<i32, (i64, i64)>,
    /// Where each file read this run stopped (for the next run's incremental ingest).
    pub cursors: Vec<crate::ingest::fingerprint::FileCursor>,
}

impl Partial {
    pub fn record_event(&mut self, key: EventKey, time: i64, reply: &str) {
        match self.events.get_mut(&key) {
            Some(agg) => agg.add(time, reply),
            None => {
                self.events.insert(key, EventAgg::new(time, reply));
            }
        }
    }

    /// Count one unclassified reply; past twice the per-file cap, prune to it (amortised).
    pub fn record_unclassified(&mut self, key: UnclassifiedKey, ip: Option<IpAddr>) {
        let u = self.unclassified.entry(key).or_default();
        u.events += 1;
        u.ips.insert(ip);
        if self.unclassified.len() > 2 * UNCLASSIFIED_PER_FILE {
            self.stats.unclassified_dropped_in_files +=
                self.cap_unclassified(UNCLASSIFIED_PER_FILE);
        }
    }

    /// Keep the first `cap` unclassified groups in `cap_order`; returns the replies dropped.
    pub fn cap_unclassified(&mut self, cap: usize) -> u64 {
        if self.unclassified.len() <= cap {
            return 0;
        }
        let mut order: Vec<(u64, &UnclassifiedKey)> = self
            .unclassified
            .keys()
            .map(UnclassifiedKey::cap_order)
            .collect();
        order.sort_unstable();
        let doomed: Vec<UnclassifiedKey> = order[cap..].iter().map(|(_, k)| (*k).clone()).collect();
        doomed
            .iter()
            .filter_map(|k| self.unclassified.remove(k))
            .map(|u| u.events)
            .sum()
    }

    pub fn record_time(&mut self, day: i32, time: i64) {
        let t = self.times.entry(day).or_insert((time, time));
        t.0 = t.0.min(time);
        t.1 = t.1.max(time);
    }

    pub fn first_time(&self) -> Option<i64> {
        self.times.values().map(|t| t.0).min()
    }

    pub fn last_time(&self) -> Option<i64> {
        self.times.values().map(|t| t.1).max()
    }

    /// Days with any delivery line or event, ascending.
    pub fn days(&self) -> std::collections::BTreeSet<i32> {
        let mut days: std::collections::BTreeSet<i32> = self.times.keys().copied().collect();
        days.extend(self.events.keys().map(|k| k.day));
        days.extend(self.activity.keys().map(|k| k.day));
        days
    }

    /// Rename every day (year-less files learn their calendar days once fully read); days that
    /// land on the same calendar day are merged.
    pub fn map_days(&mut self, f: impl Fn(i32) -> i32) {
        self.rekey(|d| Some(f(d)));
    }

    /// Keep only the days `keep` accepts.
    pub fn retain_days(&mut self, keep: impl Fn(i32) -> bool) {
        self.rekey(|d| keep(d).then_some(d));
    }

    /// Fold all days into one (day 0): the reports aggregate over the whole window.
    pub fn collapse_days(&mut self) {
        self.rekey(|_| Some(0));
    }

    fn rekey(&mut self, f: impl Fn(i32) -> Option<i32>) {
        let events = std::mem::take(&mut self.events);
        for (mut k, v) in events {
            let Some(day) = f(k.day) else { continue };
            k.day = day;
            match self.events.get_mut(&k) {
                Some(agg) => agg.merge(v),
                None => {
                    self.events.insert(k, v);
                }
            }
        }
        let activity = std::mem::take(&mut self.activity);
        for (mut k, v) in activity {
            let Some(day) = f(k.day) else { continue };
            k.day = day;
            self.activity.entry(k).or_default().add(v);
        }
        let unclassified = std::mem::take(&mut self.unclassified);
        for (mut k, v) in unclassified {
            let Some(day) = f(k.day) else { continue };
            k.day = day;
            self.unclassified.entry(k).or_default().add(v);
        }
        let times = std::mem::take(&mut self.times);
        for (day, (a, b)) in times {
            let Some(day) = f(day) else { continue };
            let t = self.times.entry(day).or_insert((a, b));
            t.0 = t.0.min(a);
            t.1 = t.1.max(b);
        }
    }

    /// Rewrite every time (file-local year-less stamps become real times once the year is known).
    pub fn map_times(&mut self, f: impl Fn(i64) -> i64) {
        for agg in self.events.values_mut() {
            agg.map_times(&f);
        }
        for t in self.times.values_mut() {
            *t = (f(t.0), f(t.1));
        }
    }

    pub fn merge(mut self, other: Partial) -> Partial {
        // Merge the smaller into the larger to keep merging cheap.
        let (mut big, small) = if self.events.len() >= other.events.len() {
            (std::mem::take(&mut self), other)
        } else {
            (other, std::mem::take(&mut self))
        };
        big.stats.merge(small.stats);
        for (k, v) in small.events {
            match big.events.get_mut(&k) {
                Some(agg) => agg.merge(v),
                None => {
                    big.events.insert(k, v);
                }
            }
        }
        for (k, v) in small.activity {
            big.activity.entry(k).or_default().add(v);
        }
        for (k, v) in small.unclassified {
            big.unclassified.entry(k).or_default().add(v);
        }
        big.stats.unclassified_dropped_in_run += big.cap_unclassified(UNCLASSIFIED_PER_RUN);
        for (day, (a, b)) in small.times {
            let t = big.times.entry(day).or_insert((a, b));
            t.0 = t.0.min(a);
            t.1 = t.1.max(b);
        }
        big.cursors.extend(small.cursors);
        big
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A partial holding `texts` as unclassified groups, `events` replies each.
    fn with_texts(texts: impl Iterator<Item = usize>, events: u64) -> Partial {
        let mut p = Partial::default();
        for i in texts {
            let key = UnclassifiedKey {
                day: (i % 3) as i32,
                reply: format!("text {i}"),
                platform: "other",
                code: "4.3.5".into(),
            };
            p.unclassified.insert(
                key,
                UnclassifiedAgg {
                    events,
                    ips: HashSet::default(),
                },
            );
        }
        p
    }

    fn kept_and_dropped(p: &Partial) -> (BTreeMap<UnclassifiedKey, u64>, u64) {
        let kept = p
            .unclassified
            .iter()
            .map(|(k, v)| (k.clone(), v.events))
            .collect();
        (kept, p.stats.unclassified_dropped())
    }

    #[test]
    fn capped_unclassified_groups_merge_alike_in_any_order() {
        let parts = || {
            [
                with_texts(0..3_000, 1),
                with_texts(2_000..5_000, 2),
                with_texts(4_000..7_000, 3),
            ]
        };
        let [a, b, c] = parts();
        let left = a.merge(b).merge(c);
        let [a, b, c] = parts();
        let right = c.merge(a.merge(b));
        assert_eq!(left.unclassified.len(), UNCLASSIFIED_PER_RUN);
        assert_eq!(kept_and_dropped(&left), kept_and_dropped(&right));
        // Every reply is either kept or counted as dropped, once.
        let kept: u64 = left.unclassified.values().map(|u| u.events).sum();
        assert_eq!(
            kept + left.stats.unclassified_dropped(),
            3_000 * (1 + 2 + 3)
        );
    }

    #[test]
    fn a_file_keeps_its_cap_while_it_is_read() {
        let mut p = Partial::default();
        for i in 0..10_000 {
            let key = UnclassifiedKey {
                day: 0,
                reply: format!("text {}", i % 4_000),
                platform: "other",
                code: "".into(),
            };
            p.record_unclassified(key, None);
            assert!(p.unclassified.len() <= 2 * UNCLASSIFIED_PER_FILE);
        }
        let dropped = p.cap_unclassified(UNCLASSIFIED_PER_FILE) + p.stats.unclassified_dropped();
        let kept: u64 = p.unclassified.values().map(|u| u.events).sum();
        assert_eq!(p.unclassified.len(), UNCLASSIFIED_PER_FILE);
        assert_eq!(kept + dropped, 10_000);
        // Read in one go, the same texts keep the same counts (a kept text was never dropped).
        assert!(p.unclassified.values().all(|u| u.events >= 2));
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let long = "é".repeat(UNCLASSIFIED_TEXT_BYTES);
        let cut = unclassified_text(long);
        assert!(cut.len() <= UNCLASSIFIED_TEXT_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert_eq!(unclassified_text("short".into()), "short");
    }
}
