//! Per-(IP, rule) rows of `ips.csv` and `unclassified.csv`, built from the event cells.

use super::partial::Partial;
use super::snds;
use super::{bools, i64s, polars_err, row_owner, strings, u32s, u64s};
use crate::attribute::inventory::Inventory;
use crate::attribute::sending_ip::IpSource;
use crate::attribute::subnet_of;
use crate::classify::{self, rules::Class, RuleSet};
use crate::error::Result;
use polars::prelude::*;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// One row of `ips.csv`: a (sending IP, rule) pair with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRow {
    pub ip: String,
    pub subnet: String,
    pub customer_id: String,
    pub vps_id: String,
    pub in_inventory: bool,
    pub platform: String,
    pub rule_id: String,
    pub class: Class,
    pub code: String,
    pub events: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub delist_route: String,
    pub ip_source: IpSource,
    pub sample_reply: String,
    pub permanence: String,
    pub receiver_rule_id: String,
    pub snds: snds::SndsCols,
    /// `seen` (evidence in the logs; with `--state`: `new`, `ongoing` or `resolved`) or
    /// `blocked_not_seen` (SNDS lists it, no bounce yet).
    pub status: &'static str,
    /// Days from the first event (ever, with `--state`) to the last, counting both.
    pub days_blocked: u64,
}

impl IpRow {
    /// A block reply from Microsoft's consumer side (what SNDS covers).
    pub fn is_outlook_block(&self) -> bool {
        self.class.is_block()
            && self
                .platform
                .split(';')
                .any(|p| p == "outlook.com" || p == "microsoft")
    }
}

/// One row of `unclassified.csv`: a normalised reply no rule matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnclassifiedRow {
    pub events: u64,
    pub ips: u64,
    pub platform: String,
    pub code: String,
    pub reply: String,
}

/// Sort key putting IPv4 before IPv6, numerically; unknown IPs last.
/// ips.csv order: IP (numerically, IPv4 first, unknown last), rule, customer, VPS.
pub fn sort_ip_rows(ips: &mut [IpRow]) {
    ips.sort_by_cached_key(ip_row_order);
}

/// The ips.csv order of a row (see `sort_ip_rows`).
pub(crate) fn ip_row_order(r: &IpRow) -> (String, String, String, String) {
    (
        ip_sort_key(r.ip.parse().ok()),
        r.rule_id.clone(),
        r.customer_id.clone(),
        r.vps_id.clone(),
    )
}

pub(crate) fn ip_sort_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(a)) => format!("4{:08x}", u32::from(a)),
        Some(IpAddr::V6(a)) => format!("6{:032x}", u128::from(a)),
        None => "~".into(),
    }
}

pub(super) fn ip_rows(
    partial: &Partial,
    inv: &Inventory,
    rules: &RuleSet,
    v4: u8,
    v6: u8,
) -> Result<Vec<IpRow>> {
    let n = partial.events.len();
    let mut ip = Vec::with_capacity(n);
    let mut ip_sort = Vec::with_capacity(n);
    let mut subnet = Vec::with_capacity(n);
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
    let mut first = Vec::with_capacity(n);
    let mut last = Vec::with_capacity(n);
    let mut sample_time = Vec::with_capacity(n);
    let mut sample = Vec::with_capacity(n);
    for (k, a) in &partial.events {
        let owner = row_owner(inv, k);
        ip.push(k.ip.map_or_else(String::new, |i| i.to_string()));
        ip_sort.push(ip_sort_key(k.ip));
        subnet.push(k.ip.map_or_else(String::new, |i| subnet_of(i, v4, v6)));
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
        first.push(a.first);
        last.push(a.last);
        sample_time.push(a.sample_time);
        sample.push(a.sample.as_str());
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("ip".into(), ip),
        Column::new("ip_sort".into(), ip_sort),
        Column::new("subnet".into(), subnet),
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
        Column::new("first".into(), first),
        Column::new("last".into(), last),
        Column::new("sample_time".into(), sample_time),
        Column::new("sample".into(), sample),
    ])
    .map_err(polars_err)?;

    let joined = |name: &str| {
        col(name)
            .filter(col(name).neq(lit("")))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
    };
    let out = df
        .lazy()
        .group_by([col("ip"), col("rule_id"), col("customer_id"), col("vps_id")])
        .agg([
            col("ip_sort").first(),
            col("subnet").first(),
            col("in_inventory").first(),
            col("rule_idx").first(),
            joined("platform").alias("platform"),
            joined("code").alias("code"),
            joined("receiver_rule_id").alias("receiver_rule_id"),
            col("ip_source").min(),
            col("events").sum(),
            col("first").min(),
            col("last").max(),
            col("sample")
                .sort_by(
                    [col("sample_time"), col("sample")],
                    SortMultipleOptions::default(),
                )
                .last(),
        ])
        .sort_by_exprs(
            [
                col("ip_sort"),
                col("rule_id"),
                col("customer_id"),
                col("vps_id"),
            ],
            SortMultipleOptions::default(),
        )
        .collect()
        .map_err(polars_err)?;

    let s = |name: &str| strings(&out, name);
    let (ips, subnets, customers, vpses) =
        (s("ip")?, s("subnet")?, s("customer_id")?, s("vps_id")?);
    let (platforms, codes, rrids, samples) = (
        s("platform")?,
        s("code")?,
        s("receiver_rule_id")?,
        s("sample")?,
    );
    let rule_ids = s("rule_id")?;
    let in_inventory = bools(&out, "in_inventory")?;
    let (rule_idxs, sources) = (u32s(&out, "rule_idx")?, u32s(&out, "ip_source")?);
    let (firsts, lasts) = (i64s(&out, "first")?, i64s(&out, "last")?);
    let event_counts = u64s(&out, "events")?;

    let mut rows = Vec::with_capacity(out.height());
    for i in 0..out.height() {
        let rule = rules.rule(rule_idxs[i] as classify::RuleIdx);
        rows.push(IpRow {
            ip: ips[i].clone(),
            subnet: subnets[i].clone(),
            customer_id: customers[i].clone(),
            vps_id: vpses[i].clone(),
            in_inventory: in_inventory[i],
            platform: platforms[i].clone(),
            rule_id: rule_ids[i].clone(),
            class: rule.class,
            code: codes[i].clone(),
            events: event_counts[i],
            first_seen: firsts[i],
            last_seen: lasts[i],
            delist_route: rule.delist_route.clone(),
            ip_source: IpSource::from_rank(sources[i] as u8),
            sample_reply: samples[i].clone(),
            permanence: permanence_of_codes(rule, &codes[i]),
            receiver_rule_id: rrids[i].clone(),
            snds: snds::SndsCols::default(),
            status: "seen",
            days_blocked: crate::state::days(firsts[i], lasts[i]),
        });
    }
    Ok(rows)
}

fn permanence_of_codes(rule: &classify::rules::Rule, codes: &str) -> String {
    let set: BTreeSet<&str> = codes
        .split(';')
        .map(|c| classify::permanence_of(rule, c))
        .collect();
    set.into_iter().collect::<Vec<_>>().join(";")
}
