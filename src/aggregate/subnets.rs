//! Per-neighbourhood rows of `subnets.csv` and their verdicts.

use super::blockers::{blockers_by_subnet, Blocker};
use super::dnsbl::LookupEvidence;
use super::rows::{Interner, IpRow};
use super::{polars_err, string_sets, u32s};
use crate::attribute::inventory::Inventory;
use crate::attribute::{owner_of, subnet};
use crate::classify::rules::Class;
use crate::error::Result;
use crate::model::snds::Snds;
use crate::model::Partial;
use ipnetwork::IpNetwork;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verdict {
    /// A receiver's evidence says the range is blocked (see `Blocker::range`).
    Neighbourhood,
    /// Several customers' addresses are blocked, each listing on its own (a DNSBL naming
    /// addresses one by one, different receivers blocking different customers).
    SeveralListed,
    /// Isolated blocked IPs: no receiver blocks more than one customer here.
    SingleIp,
    /// Several blocked IPs, all of one customer.
    SingleCustomer,
    /// Activity but no blocks.
    Clear,
}

impl Verdict {
    /// Every verdict, in the order the reports list them.
    pub(crate) const ALL: [Verdict; 5] = [
        Verdict::Neighbourhood,
        Verdict::SeveralListed,
        Verdict::SingleIp,
        Verdict::SingleCustomer,
        Verdict::Clear,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Neighbourhood => "neighbourhood",
            Verdict::SeveralListed => "several_listed",
            Verdict::SingleIp => "single_ip",
            Verdict::SingleCustomer => "single_customer",
            Verdict::Clear => "clear",
        }
    }
}

/// One row of `subnets.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubnetRow {
    pub(crate) subnet: IpNetwork,
    pub(crate) inventory_ips: u64,
    pub(crate) active_ips: u64,
    pub(crate) blocked_ips: u64,
    pub(crate) customers: u64,
    pub(crate) blocked_customers: u64,
    /// Receiver platforms that block here.
    pub(crate) platforms: BTreeSet<String>,
    pub(crate) verdict: Verdict,
    pub(crate) throttled_ips: u64,
    /// Rules that block here.
    pub(crate) rule_ids: BTreeSet<String>,
    /// Who blocks here and as what, per receiver, list or SNDS range: the verdict's evidence.
    pub(crate) blockers: Vec<Blocker>,
    /// Addresses of this subnet that SNDS lists as blocked.
    pub(crate) snds_blocked_ips: u64,
    /// IPs SNDS rated RED on any day.
    pub(crate) snds_red_ips: u64,
    /// IPs with RED, a high complaint rate or trap hits inside a blocked subnet.
    pub(crate) suspect_ips: BTreeSet<IpAddr>,
}

impl SubnetRow {
    fn empty(subnet: IpNetwork) -> SubnetRow {
        SubnetRow {
            subnet,
            inventory_ips: 0,
            active_ips: 0,
            blocked_ips: 0,
            customers: 0,
            blocked_customers: 0,
            platforms: BTreeSet::new(),
            verdict: Verdict::Clear,
            throttled_ips: 0,
            rule_ids: BTreeSet::new(),
            blockers: Vec::new(),
            snds_blocked_ips: 0,
            snds_red_ips: 0,
            suspect_ips: BTreeSet::new(),
        }
    }

    /// Range evidence from any one receiver decides (an SNDS range too, bounced or not); without
    /// it, blocks of several customers are that many separate listings.
    fn verdict(&self) -> Verdict {
        if self.blockers.iter().any(Blocker::says_range) {
            Verdict::Neighbourhood
        } else if self.blocked_ips == 0 {
            Verdict::Clear
        } else if self.blocked_customers >= 2 {
            Verdict::SeveralListed
        } else if self.blocked_ips > 1 && self.blocked_customers == 1 {
            Verdict::SingleCustomer
        } else {
            Verdict::SingleIp
        }
    }
}

/// Subnets and addresses go into polars as dense ids, so they come back typed.
#[derive(Default)]
struct Ids {
    subnets: Interner<IpNetwork>,
    ips: Interner<IpAddr>,
}

#[derive(Default)]
struct BlockColumns<'a> {
    subnet: Vec<u32>,
    ip: Vec<u32>,
    customer: Vec<&'a str>,
    platform: Vec<&'a str>,
    rule_id: Vec<&'a str>,
    blocked: Vec<bool>,
    throttled: Vec<bool>,
}

/// The rows being built, by subnet (numeric order), with the customers seen in each.
#[derive(Default)]
struct Table {
    rows: BTreeMap<IpNetwork, SubnetRow>,
    customers: BTreeMap<IpNetwork, BTreeSet<String>>,
}

impl Table {
    fn row(&mut self, subnet: IpNetwork) -> &mut SubnetRow {
        self.rows
            .entry(subnet)
            .or_insert_with(|| SubnetRow::empty(subnet))
    }
}

pub(super) fn subnet_rows(
    partial: &Partial,
    ips: &[IpRow],
    inv: &Inventory,
    (snds, lookups): (Option<&Snds>, Option<&LookupEvidence>),
    v4: u8,
    v6: u8,
) -> Result<Vec<SubnetRow>> {
    let mut ids = Ids::default();
    let mut table = Table::default();
    let activity = activity_frame(partial, inv, &mut ids, v4, v6)?;
    add_activity(&mut table, &activity, &ids)?;
    let blocks = block_frame(ips, &mut ids)?;
    add_blocks(&mut table, blocks, &ids)?;
    for (net, blockers) in blockers_by_subnet(ips, snds, lookups) {
        table.row(net).blockers = blockers;
    }
    add_inventory(&mut table, inv, v4, v6);
    let Table { rows, customers } = table;
    Ok(rows
        .into_values()
        .map(|mut row| {
            row.customers = customers.get(&row.subnet).map_or(0, |s| s.len() as u64);
            row.verdict = row.verdict();
            row
        })
        .collect())
}

/// Activity per subnet (polars): which IPs and customers sent anything at all.
fn activity_frame(
    partial: &Partial,
    inv: &Inventory,
    ids: &mut Ids,
    v4: u8,
    v6: u8,
) -> Result<DataFrame> {
    let mut a_subnet = Vec::new();
    let mut a_ip = Vec::new();
    let mut a_customer = Vec::new();
    for k in partial.activity.keys() {
        let Some(ip) = k.ip else { continue };
        let owner = owner_of(
            inv,
            Some(ip),
            crate::attribute::observed_index(inv, k.observed_vps),
        );
        a_subnet.push(ids.subnets.id(subnet(ip, v4, v6)));
        a_ip.push(ids.ips.id(ip));
        a_customer.push(owner.customer.map_or("", |c| inv.customers[c].id.as_str()));
    }
    DataFrame::new_infer_height(vec![
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
            .alias("customers"),
    ])
    .collect()
    .map_err(polars_err)
}

fn add_activity(table: &mut Table, activity: &DataFrame, ids: &Ids) -> Result<()> {
    let subnets = u32s(activity, "subnet")?;
    let active = u32s(activity, "active_ips")?;
    let customers = string_sets::<BTreeSet<String>>(activity, "customers")?;
    for ((id, active), customers) in subnets.into_iter().zip(active).zip(customers) {
        let Some(subnet) = ids.subnets.get(id) else {
            continue;
        };
        table.row(subnet).active_ips = u64::from(active);
        table.customers.entry(subnet).or_default().extend(customers);
    }
    Ok(())
}

/// Blocks and throttling from the ips rows, one row per receiver platform.
fn block_frame(ips: &[IpRow], ids: &mut Ids) -> Result<DataFrame> {
    let mut b = BlockColumns::default();
    let no_platform = [String::new()];
    for r in ips {
        let (Some(ip), Some(net)) = (r.ip, r.subnet) else {
            continue;
        };
        let (subnet, ip) = (ids.subnets.id(net), ids.ips.id(ip));
        // A row without a platform still counts, under an empty one.
        let platforms: Vec<&String> = if r.platforms.is_empty() {
            no_platform.iter().collect()
        } else {
            r.platforms.iter().collect()
        };
        for platform in platforms {
            b.subnet.push(subnet);
            b.ip.push(ip);
            b.customer.push(r.customer_id.as_str());
            b.platform.push(platform.as_str());
            b.rule_id.push(r.rule_id.as_str());
            b.blocked.push(r.class.is_block());
            b.throttled.push(r.class == Class::Throttle);
        }
    }
    DataFrame::new_infer_height(vec![
        Column::new("subnet".into(), b.subnet),
        Column::new("ip".into(), b.ip),
        Column::new("customer_id".into(), b.customer),
        Column::new("platform".into(), b.platform),
        Column::new("rule_id".into(), b.rule_id),
        Column::new("blocked".into(), b.blocked),
        Column::new("throttled".into(), b.throttled),
    ])
    .map_err(polars_err)
}

fn add_blocks(table: &mut Table, blocks: DataFrame, ids: &Ids) -> Result<()> {
    let blocked_set = |name: &str| col(name).filter(col("blocked")).unique();
    let out = blocks
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
            blocked_set("platform").alias("platforms"),
            blocked_set("rule_id").alias("rule_ids"),
        ])
        .collect()
        .map_err(polars_err)?;
    let subnets = u32s(&out, "subnet")?;
    let blocked = u32s(&out, "blocked_ips")?;
    let blocked_customers = u32s(&out, "blocked_customers")?;
    let throttled = u32s(&out, "throttled_ips")?;
    let sets = string_sets::<BTreeSet<String>>(&out, "platforms")?
        .into_iter()
        .zip(string_sets::<BTreeSet<String>>(&out, "rule_ids")?);
    for (i, (platforms, rule_ids)) in sets.enumerate() {
        let Some(subnet) = ids.subnets.get(subnets[i]) else {
            continue;
        };
        let row = table.row(subnet);
        row.blocked_ips = u64::from(blocked[i]);
        row.blocked_customers = u64::from(blocked_customers[i]);
        row.throttled_ips = u64::from(throttled[i]);
        row.platforms = platforms;
        row.rule_ids = rule_ids;
    }
    Ok(())
}

/// Inventory side: addresses held in each subnet with activity, and by which customers.
fn add_inventory(table: &mut Table, inv: &Inventory, v4: u8, v6: u8) {
    for entry in &inv.entries {
        let customer = &inv.customers[inv.vpses[entry.vps].customer].id;
        // IPv4 by the addresses each entry holds (overlapping rows count once); IPv6 prefixes
        // count as one entry each.
        let held = match entry.network {
            IpNetwork::V4(_) => &entry.owned[..],
            IpNetwork::V6(_) => std::slice::from_ref(&entry.network),
        };
        for (subnet, count) in held.iter().flat_map(|n| inventory_share(*n, v4, v6)) {
            if let Some(row) = table.rows.get_mut(&subnet) {
                row.inventory_ips += count;
                table
                    .customers
                    .entry(subnet)
                    .or_default()
                    .insert(customer.clone());
            }
        }
    }
}

/// The subnets an inventory entry falls into, with how many of its addresses each holds
/// (IPv6 prefixes count as one entry each: their address counts are meaningless).
fn inventory_share(network: IpNetwork, v4: u8, v6: u8) -> Vec<(IpNetwork, u64)> {
    match network {
        IpNetwork::V4(n) => {
            if n.prefix() >= v4 {
                vec![(
                    subnet(IpAddr::V4(n.network()), v4, v6),
                    1u64 << (32 - u32::from(n.prefix())),
                )]
            } else {
                // A block larger than a neighbourhood: every subnet in it holds a full share.
                let count = 1u64 << (u32::from(v4) - u32::from(n.prefix()));
                let step = 1u32 << (32 - u32::from(v4));
                (0..count.min(65_536))
                    .map(|i| {
                        let addr = u32::from(n.network()).wrapping_add(i as u32 * step);
                        (subnet(IpAddr::V4(addr.into()), v4, v6), u64::from(step))
                    })
                    .collect()
            }
        }
        IpNetwork::V6(n) => {
            if n.prefix() >= v6 {
                vec![(subnet(IpAddr::V6(n.network()), v4, v6), 1)]
            } else {
                Vec::new()
            }
        }
    }
}

/// Subnets sorted for display: numerically, IPv4 first (the order they are kept in).
pub(crate) fn display_order(subnets: &[SubnetRow]) -> Vec<&SubnetRow> {
    subnets.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's subnets.csv part documents every verdict value the code writes.
    #[test]
    fn the_readme_documents_every_verdict() {
        let readme = include_str!("../../README.md");
        for v in Verdict::ALL {
            let entry = format!("\n- `{}` — ", v.as_str());
            assert!(readme.contains(&entry), "README lacks {entry:?}");
        }
    }
}
