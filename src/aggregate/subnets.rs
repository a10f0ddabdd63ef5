//! Per-neighbourhood rows of `subnets.csv` and their verdicts.

use super::partial::Partial;
use super::rows::{ip_sort_key, IpRow};
use super::{bools, polars_err, strings, u32s};
use crate::attribute::inventory::Inventory;
use crate::attribute::{owner_of, subnet_of};
use crate::classify::rules::Class;
use crate::error::Result;
use ipnetwork::IpNetwork;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// One receiver (or DNSBL) blocks several customers here, or says it blocks part of the network.
    Neighbourhood,
    /// Isolated blocked IPs: no receiver blocks more than one customer here.
    SingleIp,
    /// Several blocked IPs, all of one customer.
    SingleCustomer,
    /// Activity but no blocks.
    Clear,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Neighbourhood => "neighbourhood",
            Verdict::SingleIp => "single_ip",
            Verdict::SingleCustomer => "single_customer",
            Verdict::Clear => "clear",
        }
    }
}

/// One row of `subnets.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetRow {
    pub subnet: String,
    pub inventory_ips: u64,
    pub active_ips: u64,
    pub blocked_ips: u64,
    pub customers: u64,
    pub blocked_customers: u64,
    pub platforms: String,
    pub verdict: Verdict,
    pub throttled_ips: u64,
    pub network_wording: bool,
    pub rule_ids: String,
    /// The most customers any single receiver (or DNSBL) blocks in this subnet.
    pub shared_blocker_customers: u64,
    /// Addresses of this subnet that SNDS lists as blocked.
    pub snds_blocked_ips: u64,
    /// IPs SNDS rated RED on any day.
    pub snds_red_ips: u64,
    /// IPs with RED, a high complaint rate or trap hits inside a blocked subnet (`;`-separated).
    pub suspect_ips: String,
}

#[derive(Default)]
struct BlockColumns<'a> {
    subnet: Vec<&'a str>,
    ip: Vec<&'a str>,
    customer: Vec<&'a str>,
    platform: Vec<&'a str>,
    rule_id: Vec<&'a str>,
    blocker: Vec<&'a str>,
    blocked: Vec<bool>,
    throttled: Vec<bool>,
    network: Vec<bool>,
}

fn subnet_sort_key(subnet: &str) -> String {
    let ip = subnet.split('/').next().and_then(|s| s.parse().ok());
    ip_sort_key(ip)
}

pub(super) fn subnet_rows(
    partial: &Partial,
    ips: &[IpRow],
    inv: &Inventory,
    v4: u8,
    v6: u8,
) -> Result<Vec<SubnetRow>> {
    // Activity per subnet (polars): which IPs and customers sent anything at all.
    let mut a_subnet = Vec::new();
    let mut a_ip = Vec::new();
    let mut a_customer = Vec::new();
    for k in partial.activity.keys() {
        let Some(ip) = k.ip else { continue };
        let owner = owner_of(inv, Some(ip), k.observed_vps.map(|v| v as usize));
        a_subnet.push(subnet_of(ip, v4, v6));
        a_ip.push(ip.to_string());
        a_customer.push(owner.customer.map_or("", |c| inv.customers[c].id.as_str()));
    }
    let activity = DataFrame::new_infer_height(vec![
        Column::new("subnet".into(), a_subnet),
        Column::new("ip".into(), a_ip),
        Column::new("customer_id".into(), a_customer),
    ])
    .map_err(polars_err)?
    .lazy()
    .group_by([col("subnet")])
    .agg([
        col("ip").n_unique().alias("active_ips"),
        col("customer_id")
            .filter(col("customer_id").neq(lit("")))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
            .alias("customers"),
    ])
    .collect()
    .map_err(polars_err)?;

    // Blocks and throttling per subnet (polars) from the ips rows, one row per receiver platform.
    // The "blocker" is who refuses the mail: the receiver platform, or the DNSBL rule for
    // list-based blocks (the same Spamhaus listing shows up at many receivers).
    let mut b = BlockColumns::default();
    for r in ips.iter().filter(|r| !r.ip.is_empty()) {
        for platform in r.platform.split(';') {
            b.subnet.push(r.subnet.as_str());
            b.ip.push(r.ip.as_str());
            b.customer.push(r.customer_id.as_str());
            b.platform.push(platform);
            b.rule_id.push(r.rule_id.as_str());
            b.blocker.push(if r.class == Class::Dnsbl {
                r.rule_id.as_str()
            } else {
                platform
            });
            b.blocked.push(r.class.is_block());
            b.throttled.push(r.class == Class::Throttle);
            b.network.push(r.class == Class::NetworkBlock);
        }
    }
    let blocks = DataFrame::new_infer_height(vec![
        Column::new("subnet".into(), b.subnet),
        Column::new("ip".into(), b.ip),
        Column::new("customer_id".into(), b.customer),
        Column::new("platform".into(), b.platform),
        Column::new("rule_id".into(), b.rule_id),
        Column::new("blocker".into(), b.blocker),
        Column::new("blocked".into(), b.blocked),
        Column::new("throttled".into(), b.throttled),
        Column::new("network".into(), b.network),
    ])
    .map_err(polars_err)?;
    // Most customers blocked by any one blocker, per subnet.
    let shared = blocks
        .clone()
        .lazy()
        .filter(col("blocked").and(col("customer_id").neq(lit(""))))
        .group_by([col("subnet"), col("blocker")])
        .agg([col("customer_id").n_unique().alias("customers")])
        .group_by([col("subnet")])
        .agg([col("customers").max().alias("shared_blocker_customers")])
        .collect()
        .map_err(polars_err)?;
    let blocked_join = |name: &str| {
        col(name)
            .filter(col("blocked"))
            .unique()
            .sort(SortOptions::default())
            .str()
            .join(";", true)
    };
    let blocks = blocks
        .lazy()
        .group_by([col("subnet")])
        .agg([
            col("ip")
                .filter(col("blocked"))
                .n_unique()
                .alias("blocked_ips"),
            col("customer_id")
                .filter(col("blocked").and(col("customer_id").neq(lit(""))))
                .n_unique()
                .alias("blocked_customers"),
            col("ip")
                .filter(col("throttled"))
                .n_unique()
                .alias("throttled_ips"),
            col("network").any(true).alias("network"),
            blocked_join("platform").alias("platforms"),
            blocked_join("rule_id").alias("rule_ids"),
        ])
        .collect()
        .map_err(polars_err)?;

    // Combine with the inventory side in plain Rust.
    let mut table: BTreeMap<String, SubnetRow> = BTreeMap::new();
    let mut customer_sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let empty_row = |subnet: &str| SubnetRow {
        subnet: subnet.to_string(),
        inventory_ips: 0,
        active_ips: 0,
        blocked_ips: 0,
        customers: 0,
        blocked_customers: 0,
        platforms: String::new(),
        verdict: Verdict::Clear,
        throttled_ips: 0,
        network_wording: false,
        rule_ids: String::new(),
        shared_blocker_customers: 0,
        snds_blocked_ips: 0,
        snds_red_ips: 0,
        suspect_ips: String::new(),
    };
    {
        let subnets = strings(&activity, "subnet")?;
        let active = u32s(&activity, "active_ips")?;
        let customers = strings(&activity, "customers")?;
        for i in 0..subnets.len() {
            let row = table
                .entry(subnets[i].clone())
                .or_insert_with(|| empty_row(&subnets[i]));
            row.active_ips = u64::from(active[i]);
            customer_sets.entry(subnets[i].clone()).or_default().extend(
                customers[i]
                    .split(';')
                    .filter(|c| !c.is_empty())
                    .map(String::from),
            );
        }
    }
    {
        let subnets = strings(&blocks, "subnet")?;
        let blocked = u32s(&blocks, "blocked_ips")?;
        let blocked_customers = u32s(&blocks, "blocked_customers")?;
        let throttled = u32s(&blocks, "throttled_ips")?;
        let platforms = strings(&blocks, "platforms")?;
        let rule_ids = strings(&blocks, "rule_ids")?;
        let network = bools(&blocks, "network")?;
        for i in 0..subnets.len() {
            let row = table
                .entry(subnets[i].clone())
                .or_insert_with(|| empty_row(&subnets[i]));
            row.blocked_ips = u64::from(blocked[i]);
            row.blocked_customers = u64::from(blocked_customers[i]);
            row.throttled_ips = u64::from(throttled[i]);
            row.platforms = platforms[i].clone();
            row.rule_ids = rule_ids[i].clone();
            row.network_wording = network[i];
        }
    }
    {
        let subnets = strings(&shared, "subnet")?;
        let counts = u32s(&shared, "shared_blocker_customers")?;
        for (subnet, count) in subnets.iter().zip(counts) {
            if let Some(row) = table.get_mut(subnet) {
                row.shared_blocker_customers = u64::from(count);
            }
        }
    }
    // Inventory side: addresses held in each subnet, and by which customers.
    for entry in &inv.entries {
        let customer = &inv.customers[inv.vpses[entry.vps].customer].id;
        // IPv4 by the addresses each entry holds (overlapping rows count once); IPv6 prefixes
        // count as one entry each.
        let held = match entry.network {
            IpNetwork::V4(_) => &entry.owned[..],
            IpNetwork::V6(_) => std::slice::from_ref(&entry.network),
        };
        for (subnet, count) in held.iter().flat_map(|n| inventory_share(*n, v4, v6)) {
            if let Some(row) = table.get_mut(&subnet) {
                row.inventory_ips += count;
                customer_sets
                    .entry(subnet)
                    .or_default()
                    .insert(customer.clone());
            }
        }
    }
    let mut rows: Vec<SubnetRow> = table
        .into_values()
        .map(|mut row| {
            row.customers = customer_sets.get(&row.subnet).map_or(0, |s| s.len() as u64);
            row.verdict = if row.blocked_ips == 0 {
                Verdict::Clear
            } else if row.network_wording || row.shared_blocker_customers >= 2 {
                Verdict::Neighbourhood
            } else if row.blocked_ips > 1 && row.blocked_customers == 1 {
                Verdict::SingleCustomer
            } else {
                Verdict::SingleIp
            };
            row
        })
        .collect();
    // BTreeMap order is textual; `verdict_of` relies on it, so keep it and sort views elsewhere.
    rows.sort_by(|a, b| a.subnet.cmp(&b.subnet));
    Ok(rows)
}

/// The subnets an inventory entry falls into, with how many of its addresses each holds
/// (IPv6 prefixes count as one entry each: their address counts are meaningless).
fn inventory_share(network: IpNetwork, v4: u8, v6: u8) -> Vec<(String, u64)> {
    match network {
        IpNetwork::V4(n) => {
            if n.prefix() >= v4 {
                vec![(
                    subnet_of(IpAddr::V4(n.network()), v4, v6),
                    1u64 << (32 - u32::from(n.prefix())),
                )]
            } else {
                // A block larger than a neighbourhood: every subnet in it holds a full share.
                let count = 1u64 << (u32::from(v4) - u32::from(n.prefix()));
                let step = 1u32 << (32 - u32::from(v4));
                (0..count.min(65_536))
                    .map(|i| {
                        let addr = u32::from(n.network()).wrapping_add(i as u32 * step);
                        (subnet_of(IpAddr::V4(addr.into()), v4, v6), u64::from(step))
                    })
                    .collect()
            }
        }
        IpNetwork::V6(n) => {
            if n.prefix() >= v6 {
                vec![(subnet_of(IpAddr::V6(n.network()), v4, v6), 1)]
            } else {
                Vec::new()
            }
        }
    }
}

/// Subnets sorted for display: numerically.
pub fn display_order(subnets: &[SubnetRow]) -> Vec<&SubnetRow> {
    let mut v: Vec<&SubnetRow> = subnets.iter().collect();
    v.sort_by_key(|s| subnet_sort_key(&s.subnet));
    v
}
