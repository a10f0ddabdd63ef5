//! Per-(IP, rule) rows of `ips.csv` and `unclassified.csv`, built from the event cells.

use super::snds;
use super::{bools, i64s, polars_err, row_owner, string_sets, strings, u32s, u64s};
use crate::attribute::inventory::Inventory;
use crate::attribute::subnet;
use crate::classify::{self, rules::Class, RuleSet};
use crate::error::Result;
use crate::model::set::SortedSet;
use crate::model::IpSource;
use crate::model::Partial;
use ipnetwork::IpNetwork;
use polars::prelude::*;
use std::collections::HashMap;
use std::net::IpAddr;

/// One row of `ips.csv`: a (sending IP, rule) pair with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpRow {
    /// None: the logs did not say which address sent.
    pub(crate) ip: Option<IpAddr>,
    /// The neighbourhood of `ip`.
    pub(crate) subnet: Option<IpNetwork>,
    pub(crate) customer_id: String,
    pub(crate) vps_id: String,
    pub(crate) in_inventory: bool,
    /// Receiver platforms that replied.
    pub(crate) platforms: SortedSet<String>,
    pub(crate) rule_id: String,
    pub(crate) class: Class,
    /// Reply codes seen (empty codes left out).
    pub(crate) codes: SortedSet<String>,
    pub(crate) events: u64,
    pub(crate) first_seen: i64,
    pub(crate) last_seen: i64,
    pub(crate) delist_route: String,
    pub(crate) ip_source: IpSource,
    pub(crate) sample_reply: String,
    /// Whether retrying can succeed, per code seen (`permanent`, `temporary`, `unknown`...).
    pub(crate) permanence: SortedSet<&'static str>,
    /// Rule ids the receiver quoted (Outlook.com's S3140 and the like).
    pub(crate) receiver_rule_ids: SortedSet<String>,
    pub(crate) snds: snds::SndsCols,
    pub(crate) status: Status,
    /// Days from the first event (ever, with `--state`) to the last, counting both.
    pub(crate) days_blocked: u64,
    /// The first event the state remembers (the window's first without `--state`).
    pub(crate) since: i64,
    /// Events whose reply code says retrying can succeed (`temporary`): mail delayed, not lost.
    pub(crate) temporary_events: u64,
}

impl IpRow {
    /// Tonight's evidence, not history: a row resolved since the last run is listed as such and
    /// counted, asked about or delisted nowhere.
    pub(crate) fn is_current(&self) -> bool {
        self.status != Status::Resolved
    }

    /// A block reply from Microsoft's consumer side (what SNDS covers).
    pub(crate) fn is_outlook_block(&self) -> bool {
        self.class.is_block()
            && (self.platforms.contains("outlook.com") || self.platforms.contains("microsoft"))
    }

    /// What the Outlook.com sender support form lifts: its bounces (IP and network blocks), or
    /// SNDS blocks for Microsoft's own reasons.
    pub(crate) fn is_outlook_com_request(&self) -> bool {
        (self.has_platform("outlook.com") || self.has_platform("microsoft"))
            && match self.class {
                Class::IpBlock | Class::NetworkBlock => true,
                // SNDS blocks relaying Spamhaus or Symantec are lifted there, not by this form.
                Class::SndsBlock => !self.is_third_party_snds(),
                _ => false,
            }
    }

    /// SNDS blocks this IP for a list Microsoft relays (Spamhaus, Symantec Brightmail).
    pub(crate) fn is_third_party_snds(&self) -> bool {
        self.snds.blocked == Some(true) && self.snds.reason_kind.is_some_and(|k| !k.is_microsoft())
    }

    /// Whether a receiver platform replied for this row.
    pub(crate) fn has_platform(&self, platform: &str) -> bool {
        self.platforms.contains(platform)
    }
}

/// Where a row stands: seen in this window, or (with `--state`) against the previous runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    /// Evidence in the logs (no state kept).
    Seen,
    /// First seen in this run.
    New,
    /// Seen in an earlier run and in this one.
    Ongoing,
    /// Seen in an earlier run, not in this one (reported once, then forgotten).
    Resolved,
    /// SNDS lists it as blocked, no bounce yet.
    BlockedNotSeen,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Seen => "seen",
            Status::New => "new",
            Status::Ongoing => "ongoing",
            Status::Resolved => "resolved",
            Status::BlockedNotSeen => "blocked_not_seen",
        }
    }
}

/// One row of `unclassified.csv`: a normalised reply no rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnclassifiedRow {
    pub(crate) events: u64,
    pub(crate) ips: u64,
    pub(crate) platform: String,
    pub(crate) code: String,
    pub(crate) reply: String,
}

/// ips.csv order: IP (numerically, IPv4 first, unknown last), rule, customer, VPS.
pub(crate) fn sort_ip_rows(ips: &mut [IpRow]) {
    ips.sort_by(|a, b| ip_row_order(a).cmp(&ip_row_order(b)));
}

/// The ips.csv order of a row (see `sort_ip_rows`).
pub(crate) fn ip_row_order(r: &IpRow) -> (IpOrder, &str, &str, &str) {
    (
        IpOrder(r.ip),
        r.rule_id.as_str(),
        r.customer_id.as_str(),
        r.vps_id.as_str(),
    )
}

/// Orders addresses numerically, IPv4 before IPv6, unknown (None) last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpOrder(pub Option<IpAddr>);

impl Ord for IpOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.is_none(), self.0).cmp(&(other.0.is_none(), other.0))
    }
}

impl PartialOrd for IpOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

pub(super) fn ip_rows(
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
    v4: u8,
    v6: u8,
) -> Result<Vec<IpRow>> {
    // Addresses go into polars as dense ids, so the typed address comes back without parsing.
    let mut addrs = Interner::default();
    let cells = event_frame(partial, inv, rules, &mut addrs)?;
    let out = group_rows(cells)?;
    let mut rows = collect_rows(&out, rules, &addrs, v4, v6)?;
    sort_ip_rows(&mut rows);
    Ok(rows)
}

/// One polars row per event cell, with its owner.
fn event_frame(
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
    addrs: &mut Interner<Option<IpAddr>>,
) -> Result<DataFrame> {
    let n = partial.events.len();
    let mut ip = Vec::with_capacity(n);
    let mut customer = Vec::with_capacity(n);
    let mut vps = Vec::with_capacity(n);
    let mut in_inv = Vec::with_capacity(n);
    let mut platform = Vec::with_capacity(n);
    let mut rule_id = Vec::with_capacity(n);
    let mut rule_idx = Vec::with_capacity(n);
    let mut code = Vec::with_capacity(n);
    let mut rrid = Vec::with_capacity(n);
    let mut source = Vec::with_capacity(n);
    let mut events = Vec::with_capacity(n);
    let mut temporary = Vec::with_capacity(n);
    let mut first = Vec::with_capacity(n);
    let mut last = Vec::with_capacity(n);
    let mut sample_time = Vec::with_capacity(n);
    let mut sample = Vec::with_capacity(n);
    for (k, a) in &partial.events {
        let owner = row_owner(inv, k);
        ip.push(addrs.id(k.ip));
        customer.push(owner.customer.map_or("", |c| inv.customers[c].id.as_str()));
        vps.push(owner.vps.map_or("", |v| inv.vpses[v].id.as_str()));
        in_inv.push(owner.in_inventory);
        platform.push(k.platform);
        rule_id.push(rules.rule(k.rule).id.as_str());
        rule_idx.push(u32::from(k.rule));
        code.push(&*k.code);
        rrid.push(k.receiver_rule_id.as_deref().unwrap_or(""));
        source.push(u32::from(k.ip_source.rank()));
        events.push(a.events);
        let rule = rules.rule(k.rule);
        let retried = classify::permanence_of(rule, &k.code) == "temporary";
        temporary.push(if retried { a.events } else { 0 });
        first.push(a.first);
        last.push(a.last);
        sample_time.push(a.sample_time);
        sample.push(a.sample.as_str());
    }
    DataFrame::new_infer_height(vec![
        Column::new("ip".into(), ip),
        Column::new("customer_id".into(), customer),
        Column::new("vps_id".into(), vps),
        Column::new("in_inventory".into(), in_inv),
        Column::new("platform".into(), platform),
        Column::new("rule_id".into(), rule_id),
        Column::new("rule_idx".into(), rule_idx),
        Column::new("code".into(), code),
        Column::new("receiver_rule_id".into(), rrid),
        Column::new("ip_source".into(), source),
        Column::new("events".into(), events),
        Column::new("temporary".into(), temporary),
        Column::new("first".into(), first),
        Column::new("last".into(), last),
        Column::new("sample_time".into(), sample_time),
        Column::new("sample".into(), sample),
    ])
    .map_err(polars_err)
}

/// One row per (IP, rule, customer, VPS): sums, first and last times, sets, the latest reply.
fn group_rows(df: DataFrame) -> Result<DataFrame> {
    let set = |name: &str| col(name).filter(col(name).neq(lit(""))).unique();
    df.lazy()
        .group_by([col("ip"), col("rule_id"), col("customer_id"), col("vps_id")])
        .agg([
            col("in_inventory").first(),
            col("rule_idx").first(),
            set("platform").alias("platform"),
            set("code").alias("code"),
            set("receiver_rule_id").alias("receiver_rule_id"),
            col("ip_source").min(),
            col("events").sum(),
            col("temporary").sum(),
            col("first").min(),
            col("last").max(),
            col("sample")
                .sort_by(
                    [col("sample_time"), col("sample")],
                    SortMultipleOptions::default(),
                )
                .last(),
        ])
        .collect()
        .map_err(polars_err)
}

/// The grouped frame as typed rows (rule data from the table, subnet from the address).
fn collect_rows(
    out: &DataFrame,
    rules: &RuleSet,
    addrs: &Interner<Option<IpAddr>>,
    v4: u8,
    v6: u8,
) -> Result<Vec<IpRow>> {
    let s = |name: &str| strings(out, name);
    let (customers, vpses, rule_ids, samples) =
        (s("customer_id")?, s("vps_id")?, s("rule_id")?, s("sample")?);
    let sets = |name: &str| string_sets::<SortedSet<String>>(out, name);
    let (platforms, codes, rrids) = (sets("platform")?, sets("code")?, sets("receiver_rule_id")?);
    let in_inventory = bools(out, "in_inventory")?;
    let ip_ids = u32s(out, "ip")?;
    let (rule_idxs, sources) = (u32s(out, "rule_idx")?, u32s(out, "ip_source")?);
    let (firsts, lasts) = (i64s(out, "first")?, i64s(out, "last")?);
    let event_counts = u64s(out, "events")?;
    let temporary = u64s(out, "temporary")?;

    let mut rows = Vec::with_capacity(out.height());
    let columns = customers
        .into_iter()
        .zip(vpses)
        .zip(rule_ids.into_iter().zip(samples))
        .zip(platforms.into_iter().zip(codes).zip(rrids));
    for (i, (((customer_id, vps_id), (rule_id, sample_reply)), ((platforms, codes), rrids))) in
        columns.enumerate()
    {
        let rule = rules.rule(rule_idxs[i] as crate::model::RuleIdx);
        let ip = addrs.get(ip_ids[i]).flatten();
        rows.push(IpRow {
            ip,
            subnet: ip.map(|ip| subnet(ip, v4, v6)),
            customer_id,
            vps_id,
            in_inventory: in_inventory[i],
            platforms,
            rule_id,
            class: rule.class,
            permanence: permanence_of_codes(rule, &codes),
            codes,
            events: event_counts[i],
            first_seen: firsts[i],
            last_seen: lasts[i],
            delist_route: rule.delist_route.clone(),
            ip_source: IpSource::from_rank(sources[i] as u8),
            sample_reply,
            receiver_rule_ids: rrids,
            snds: snds::SndsCols::default(),
            status: Status::Seen,
            days_blocked: crate::model::day::days(firsts[i], lasts[i]),
            since: firsts[i],
            temporary_events: temporary[i],
        });
    }
    Ok(rows)
}

/// Dense ids for values that go into polars as group keys, and back out typed.
pub(super) struct Interner<T> {
    ids: HashMap<T, u32>,
    values: Vec<T>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            ids: HashMap::new(),
            values: Vec::new(),
        }
    }
}

impl<T: Copy + Eq + std::hash::Hash> Interner<T> {
    pub(super) fn id(&mut self, value: T) -> u32 {
        *self.ids.entry(value).or_insert_with(|| {
            self.values.push(value);
            (self.values.len() - 1) as u32
        })
    }

    pub(super) fn get(&self, id: u32) -> Option<T> {
        self.values.get(id as usize).copied()
    }
}

/// Permanence per code; a row without a code gets the rule's (or `unknown`).
fn permanence_of_codes(
    rule: &classify::rules::Rule,
    codes: &SortedSet<String>,
) -> SortedSet<&'static str> {
    if codes.is_empty() {
        return SortedSet::from([classify::permanence_of(rule, "")]);
    }
    codes
        .iter()
        .map(|c| classify::permanence_of(rule, c))
        .collect()
}
