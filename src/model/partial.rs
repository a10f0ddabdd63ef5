//! Mergeable partial aggregates: one per input file (or byte range), merged in any order with
//! the same result, so any `--threads` gives byte-identical reports.

use super::cells::{
    Activity, ActivityKey, EventAgg, EventKey, UnclassifiedAgg, UnclassifiedKey,
    UNCLASSIFIED_PER_FILE, UNCLASSIFIED_PER_RUN,
};
use super::{FileCursor, Stats, VpsName};
use std::collections::BTreeMap;
// A fast hasher for the per-line maps (SipHash showed in profiles); order never matters here,
// every report sorts explicitly.
use foldhash::HashMap;
use std::net::IpAddr;

#[derive(Debug, Clone, Default)]
pub(crate) struct Partial {
    pub(crate) stats: Stats,
    pub(crate) events: HashMap<EventKey, EventAgg>,
    pub(crate) activity: HashMap<ActivityKey, Activity>,
    pub(crate) unclassified: HashMap<UnclassifiedKey, UnclassifiedAgg>,
    /// Earliest and latest delivery line per day.
    pub(crate) times: BTreeMap<i32, (i64, i64)>,
    /// Where each file read this run stopped (for the next run's incremental ingest).
    pub(crate) cursors: Vec<FileCursor>,
    /// Addresses replies quote, for the crossings `attribute::resolve` lists.
    pub(crate) quoted: super::Quoted,
}

impl Partial {
    pub(crate) fn record_event(&mut self, key: EventKey, time: i64, reply: &str) {
        match self.events.get_mut(&key) {
            Some(agg) => agg.add(time, reply),
            None => {
                self.events.insert(key, EventAgg::new(time, reply));
            }
        }
    }

    /// Count one unclassified reply; past twice the per-file cap, prune to it (amortised). A
    /// reply without an address from a known VPS waits as `stand_in` (see `Pending`).
    pub(crate) fn record_unclassified(
        &mut self,
        key: UnclassifiedKey,
        ip: Option<IpAddr>,
        stand_in: Option<(VpsName, Option<bool>)>,
    ) {
        let u = self.unclassified.entry(key).or_default();
        u.events += 1;
        match (ip, stand_in) {
            (None, Some(vps)) => u.pending.insert(vps),
            _ => u.ips.insert(ip),
        };
        if self.unclassified.len() > 2 * UNCLASSIFIED_PER_FILE {
            self.stats.unclassified_dropped_in_files +=
                self.cap_unclassified(UNCLASSIFIED_PER_FILE);
        }
    }

    /// Keep the first `cap` unclassified groups in `cap_order`; returns the replies dropped.
    pub(crate) fn cap_unclassified(&mut self, cap: usize) -> u64 {
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

    pub(crate) fn record_time(&mut self, day: i32, time: i64) {
        let t = self.times.entry(day).or_insert((time, time));
        t.0 = t.0.min(time);
        t.1 = t.1.max(time);
    }

    pub(crate) fn first_time(&self) -> Option<i64> {
        self.times.values().map(|t| t.0).min()
    }

    pub(crate) fn last_time(&self) -> Option<i64> {
        self.times.values().map(|t| t.1).max()
    }

    /// Days with any delivery line or event, ascending.
    pub(crate) fn days(&self) -> std::collections::BTreeSet<i32> {
        let mut days: std::collections::BTreeSet<i32> = self.times.keys().copied().collect();
        days.extend(self.events.keys().map(|k| k.day));
        days.extend(self.activity.keys().map(|k| k.day));
        days
    }

    /// Rename every day (year-less files learn their calendar days once fully read); days that
    /// land on the same calendar day are merged.
    pub(crate) fn map_days(&mut self, f: impl Fn(i32) -> i32) {
        self.rekey(|d| Some(f(d)));
    }

    /// Keep only the days `keep` accepts.
    pub(crate) fn retain_days(&mut self, keep: impl Fn(i32) -> bool) {
        self.rekey(|d| keep(d).then_some(d));
    }

    /// Fold all days into one (day 0): the reports aggregate over the whole window.
    pub(crate) fn collapse_days(&mut self) {
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
    pub(crate) fn map_times(&mut self, f: impl Fn(i64) -> i64) {
        for agg in self.events.values_mut() {
            agg.map_times(&f);
        }
        for t in self.times.values_mut() {
            *t = (f(t.0), f(t.1));
        }
    }

    pub(crate) fn merge(mut self, other: Partial) -> Partial {
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
        super::quoted::merge(&mut big.quoted, small.quoted);
        big
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cells::UNCLASSIFIED_TEXT_BYTES;
    use crate::model::unclassified_text;
    use foldhash::HashSet;

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
                    pending: HashSet::default(),
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
            p.record_unclassified(key, None, None);
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
