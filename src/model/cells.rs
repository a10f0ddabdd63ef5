//! The typed event cells one input file yields: (day, VPS, IP, rule, receiver, code) event
//! cells, per-IP delivery activity and unclassified-reply groups. Produced by `ingest`, stored by
//! `persist`, consumed by `aggregate`; each cell merges with another of the same key in any order.

use super::{IpSource, RuleIdx, VpsName};
// A fast hasher for the per-line maps (SipHash showed in profiles); order never matters here,
// every report sorts explicitly.
use foldhash::HashSet;
use std::net::IpAddr;

/// One (observed VPS, sending IP, rule, receiver, code) cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct EventKey {
    /// Calendar day of the events (days since 1970-01-01 in the provider's zone); while a
    /// year-less file is read, its file-local day number until `map_days` resolves it.
    pub(crate) day: i32,
    /// The VPS whose log holds the line, by vps_id (None: its directory is not in the
    /// inventory); an inventory index only at aggregate time, so cells merge across runs.
    pub(crate) observed_vps: Option<VpsName>,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) ip_source: IpSource,
    pub(crate) rule: RuleIdx,
    pub(crate) platform: &'static str,
    pub(crate) code: Box<str>,
    pub(crate) receiver_rule_id: Option<Box<str>>,
    /// `Decided` unless the IP is as logged and waits for `attribute::resolve`.
    pub(crate) pending: Pending,
}

/// What a cell's sending IP still waits for from the inventory. Ingest records what the log
/// says; `attribute::resolve` makes the inventory's decisions, once, for `run` and `report`
/// alike, so a log host can parse without the inventory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) enum Pending {
    /// Decided: every cell once resolved, and every stored day cell.
    #[default]
    Decided,
    /// As logged: `quoted` for an address the receiver's reply quotes (whose tenant holds it is
    /// the inventory's to say); with no address, `v6` is the connection's family (None: the log
    /// does not say), for the VPS's only inventory address of that family.
    AsLogged { quoted: bool, v6: Option<bool> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventAgg {
    pub(crate) events: u64,
    pub(crate) first: i64,
    pub(crate) last: i64,
    /// The latest reply; ties broken by text so merge order never matters.
    pub(crate) sample_time: i64,
    pub(crate) sample: String,
}

impl EventAgg {
    pub(crate) fn new(time: i64, reply: &str) -> EventAgg {
        EventAgg {
            events: 1,
            first: time,
            last: time,
            sample_time: time,
            sample: reply.to_string(),
        }
    }

    pub(crate) fn add(&mut self, time: i64, reply: &str) {
        self.events += 1;
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        if (time, reply) > (self.sample_time, self.sample.as_str()) {
            self.sample_time = time;
            reply.clone_into(&mut self.sample);
        }
    }

    pub(crate) fn merge(&mut self, other: EventAgg) {
        self.events += other.events;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        if (other.sample_time, other.sample.as_str()) > (self.sample_time, self.sample.as_str()) {
            self.sample_time = other.sample_time;
            self.sample = other.sample;
        }
    }

    pub(super) fn map_times(&mut self, f: &impl Fn(i64) -> i64) {
        self.first = f(self.first);
        self.last = f(self.last);
        self.sample_time = f(self.sample_time);
    }
}

/// Delivery attempts per sending IP, whatever their outcome (drives "active" IPs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ActivityKey {
    pub(crate) day: i32,
    pub(crate) observed_vps: Option<VpsName>,
    pub(crate) ip: Option<IpAddr>,
    /// `Decided` unless the IP is as logged and waits for `attribute::resolve`.
    pub(crate) pending: Pending,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    pub(crate) sent: u64,
    pub(crate) deferred: u64,
    pub(crate) bounced: u64,
}

impl Activity {
    pub(crate) fn add(&mut self, other: Activity) {
        self.sent += other.sent;
        self.deferred += other.deferred;
        self.bounced += other.bounced;
    }
}

/// Unclassified replies grouped by their normalised text, for rule-writing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct UnclassifiedKey {
    pub(crate) day: i32,
    pub(crate) reply: String,
    pub(crate) platform: &'static str,
    pub(crate) code: Box<str>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnclassifiedAgg {
    pub(crate) events: u64,
    pub(crate) ips: HashSet<Option<IpAddr>>,
    /// Replies logged without an address by a VPS (with the connection's family, see
    /// `Pending`): its only inventory address stands in once `attribute::resolve` runs.
    pub(crate) pending: HashSet<(VpsName, Option<bool>)>,
}

/// Distinct unclassified groups one file keeps: a file of all-distinct replies (hostile, or a
/// receiver echoing message content) must not hold every text in memory.
pub(crate) const UNCLASSIFIED_PER_FILE: usize = 1_000;
/// Distinct unclassified groups a run keeps (unclassified.csv shows the 500 most frequent).
/// At least `UNCLASSIFIED_PER_FILE`, so that which groups survive never depends on merge order.
pub(crate) const UNCLASSIFIED_PER_RUN: usize = 5_000;
/// Longest normalised text kept for a group; real replies are far shorter (RFC 5321 lines are
/// 512 bytes), and a 1 MiB line must not become a 1 MiB key.
pub(crate) const UNCLASSIFIED_TEXT_BYTES: usize = 4_096;

/// A normalised reply as a group's text: cut at `UNCLASSIFIED_TEXT_BYTES` (marked with `…`).
pub(crate) fn unclassified_text(mut normalised: String) -> String {
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
    pub(super) fn cap_order(&self) -> (u64, &UnclassifiedKey) {
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
    pub(crate) fn add(&mut self, other: UnclassifiedAgg) {
        self.events += other.events;
        self.ips.extend(other.ips);
        self.pending.extend(other.pending);
    }
}
