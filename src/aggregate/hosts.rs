//! One address per row for the per-subnet heatmaps: inventory addresses and addresses seen.

use super::rows::IpRow;
use crate::attribute::inventory::Inventory;
use crate::attribute::{owner_of, subnet};
use crate::classify::rules::Class;
use crate::model::snds::Filter;
use crate::model::Partial;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One address for the per-subnet heatmaps: an inventory address or an address seen sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    pub(crate) ip: IpAddr,
    pub(crate) subnet: IpNetwork,
    pub(crate) customer_id: String,
    pub(crate) vps_id: String,
    pub(crate) in_inventory: bool,
    pub(crate) sent: u64,
    pub(crate) deferred: u64,
    pub(crate) bounced: u64,
    /// The most serious class seen for this IP (blocks first), if any reply was classified.
    pub(crate) worst: Option<Class>,
    /// Rule ids seen for this IP.
    pub(crate) rules: BTreeSet<String>,
    /// SNDS's filter on the latest day with data.
    pub(crate) snds_filter: Option<Filter>,
    pub(crate) snds_blocked: bool,
    /// A DNS block list lists it (looked up; its mail has not bounced for it yet).
    pub(crate) dnsbl_listed: bool,
}

/// Severity order for `Host::worst` (lower is worse).
fn severity(class: Class) -> u8 {
    match class {
        Class::NetworkBlock => 0,
        Class::IpBlock => 1,
        Class::Dnsbl => 2,
        Class::SndsBlock => 3,
        Class::Throttle => 4,
        Class::Auth => 5,
        Class::Content => 6,
        Class::ReceiverError => 7,
        Class::Unclassified => 8,
        Class::NotIp => 9,
    }
}

pub(super) fn hosts(
    partial: &Partial,
    ips: &[IpRow],
    inv: &Inventory,
    v4: u8,
    v6: u8,
) -> Vec<Host> {
    // Keyed by address: numeric order, IPv4 first.
    let mut table: BTreeMap<IpAddr, Host> = BTreeMap::new();
    let blank = |ip: IpAddr, customer: String, vps: String, in_inventory: bool| Host {
        ip,
        subnet: subnet(ip, v4, v6),
        customer_id: customer,
        vps_id: vps,
        in_inventory,
        sent: 0,
        deferred: 0,
        bounced: 0,
        worst: None,
        rules: BTreeSet::new(),
        snds_filter: None,
        snds_blocked: false,
        dnsbl_listed: false,
    };
    for e in &inv.entries {
        let vps = &inv.vpses[e.vps];
        let customer = inv.customers[vps.customer].id.clone();
        let small = match e.network {
            IpNetwork::V4(n) => n.prefix() >= 24,
            IpNetwork::V6(n) => n.prefix() == 128,
        };
        if small {
            // Only the addresses this entry holds: a more specific row is another owner's.
            for ip in e.owned.iter().flat_map(|n| n.iter()).take(256) {
                table
                    .entry(ip)
                    .or_insert_with(|| blank(ip, customer.clone(), vps.id.clone(), true));
            }
        }
    }
    // Sorted, so an address seen from several VPS directories gets the same owner every run.
    let mut activity: Vec<_> = partial
        .activity
        .iter()
        .filter_map(|(k, a)| {
            Some((
                k.ip?,
                crate::attribute::observed_index(inv, k.observed_vps),
                a,
            ))
        })
        .collect();
    activity.sort_by_key(|(ip, vps, _)| (*ip, *vps));
    for (ip, observed_vps, a) in activity {
        let owner = owner_of(inv, Some(ip), observed_vps);
        let h = table.entry(ip).or_insert_with(|| {
            blank(
                ip,
                owner
                    .customer
                    .map_or_else(String::new, |c| inv.customers[c].id.clone()),
                owner
                    .vps
                    .map_or_else(String::new, |v| inv.vpses[v].id.clone()),
                owner.in_inventory,
            )
        });
        h.sent += a.sent;
        h.deferred += a.deferred;
        h.bounced += a.bounced;
    }
    for r in ips {
        let Some(ip) = r.ip else {
            continue;
        };
        let h = table
            .entry(ip)
            .or_insert_with(|| blank(ip, r.customer_id.clone(), r.vps_id.clone(), r.in_inventory));
        // A lookup is not a refusal: the square says "listed", not "blocked".
        if r.ip_source == crate::model::ip_source::IpSource::DnsblLookup {
            h.dnsbl_listed = true;
        } else if h.worst.is_none_or(|w| severity(r.class) < severity(w)) {
            h.worst = Some(r.class);
        }
        h.rules.insert(r.rule_id.clone());
        if r.snds.filter.is_some() {
            h.snds_filter = r.snds.filter;
        }
        h.snds_blocked |= r.snds.blocked == Some(true);
    }
    table.into_values().collect()
}
