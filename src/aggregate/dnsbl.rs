//! DNS block-list lookups joined with the logs (issue 21), as SNDS is joined: a listed address
//! whose mail has not bounced for a listing yet gets a `blocked_not_seen` row (class `dnsbl`),
//! and the lookups are range evidence for the subnet verdict where the lists say more than the
//! logs can: an address that never sent mail cannot be listed for what it sent, and a range
//! listing (UCEPROTECT level 2, Spamhaus DROP) over several customers' addresses is the range's.

use super::rows::{IpRow, Status};
use crate::attribute::inventory::Inventory;
use crate::attribute::{owner_of, subnet};
use crate::classify::rules::Class;
use crate::model::dnsbl::{DnsblResult, Listing, ListingScope};
use crate::model::ip_source::IpSource;
use crate::model::set::SortedSet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Rule ids of lookup rows: `dnsbl-lookup:zen.spamhaus.org`, one per zone, so each list's
/// listings are a row (and a subnet blocker) of their own, apart from the log-based
/// `dnsbl-*` rules that classify receivers' replies.
pub(crate) const LOOKUP_RULE_PREFIX: &str = "dnsbl-lookup:";

pub(crate) fn lookup_rule_id(zone: &str) -> String {
    format!("{LOOKUP_RULE_PREFIX}{zone}")
}

/// What the lookups say beyond the rows, for the subnet verdict.
#[derive(Debug, Default)]
pub(crate) struct LookupEvidence {
    /// (address, zone) whose listing names more than the address (range, AS, policy).
    range_listed: BTreeSet<(IpAddr, String)>,
    /// Listed addresses that sent no mail at all in the logs.
    never_sent: BTreeSet<IpAddr>,
}

impl LookupEvidence {
    /// Whether this address's listing in `zone` is about its range rather than its mail.
    pub(crate) fn range_scope(&self, ip: IpAddr, zone: &str) -> bool {
        self.range_listed.contains(&(ip, zone.to_string()))
    }

    pub(crate) fn never_sent(&self, ip: IpAddr) -> bool {
        self.never_sent.contains(&ip)
    }
}

/// Add a `blocked_not_seen` row for each (address, zone) listing that no log row of class
/// `dnsbl` shows yet; returns the evidence the subnet verdict reads. `active`: every address
/// that sent, deferred or bounced anything.
pub(crate) fn annotate_ips(
    ips: &mut Vec<IpRow>,
    result: &DnsblResult,
    inv: &Inventory,
    active: &BTreeSet<IpAddr>,
    prefixes: (u8, u8),
) -> LookupEvidence {
    let felt: BTreeSet<IpAddr> = ips
        .iter()
        .filter(|r| r.class == Class::Dnsbl && r.ip_source != IpSource::DnsblLookup)
        .filter_map(|r| r.ip)
        .collect();
    let mut evidence = LookupEvidence::default();
    for ((ip, zone), listings) in by_address_and_zone(&result.listings) {
        if listings.iter().any(|l| l.scope != ListingScope::Address) {
            evidence.range_listed.insert((ip, zone.to_string()));
        }
        if !active.contains(&ip) {
            evidence.never_sent.insert(ip);
        }
        if !felt.contains(&ip) {
            ips.push(not_seen_row(ip, zone, &listings, inv, prefixes));
        }
    }
    super::sort_ip_rows(ips);
    evidence
}

/// Listings grouped per (address, zone), codes in order.
fn by_address_and_zone(listings: &[Listing]) -> BTreeMap<(IpAddr, &str), Vec<&Listing>> {
    let mut map: BTreeMap<(IpAddr, &str), Vec<&Listing>> = BTreeMap::new();
    for l in listings {
        map.entry((l.ip, l.zone.as_str())).or_default().push(l);
    }
    map
}

fn not_seen_row(
    ip: IpAddr,
    zone: &str,
    listings: &[&Listing],
    inv: &Inventory,
    (v4, v6): (u8, u8),
) -> IpRow {
    let owner = owner_of(inv, Some(ip), None);
    let vps = owner.vps.map(|v| &inv.vpses[v]);
    let answers: Vec<String> = listings
        .iter()
        .map(|l| format!("{} ({}: {})", l.code, l.list, l.meaning))
        .collect();
    let lists: BTreeSet<&str> = listings.iter().map(|l| l.list.as_str()).collect();
    IpRow {
        ip: Some(ip),
        subnet: Some(subnet(ip, v4, v6)),
        customer_id: owner
            .customer
            .map_or_else(String::new, |c| inv.customers[c].id.clone()),
        vps_id: vps.map_or_else(String::new, |v| v.id.clone()),
        in_inventory: owner.in_inventory,
        platforms: SortedSet::default(),
        rule_id: lookup_rule_id(zone),
        class: Class::Dnsbl,
        codes: listings.iter().map(|l| l.code.to_string()).collect(),
        events: 0,
        first_seen: i64::MIN,
        last_seen: i64::MIN,
        delist_route: format!(
            "Listed by {} (a DNS lookup, no bounce yet): look the address up on the list's own site and request removal there once the cause is fixed",
            lists.into_iter().collect::<Vec<_>>().join(", ")
        ),
        ip_source: IpSource::DnsblLookup,
        sample_reply: format!("{zone} answered {}", answers.join(", ")),
        permanence: SortedSet::from(["permanent"]),
        receiver_rule_ids: SortedSet::default(),
        snds: Default::default(),
        status: Status::BlockedNotSeen,
        days_blocked: 0,
        since: i64::MIN,
        temporary_events: 0,
    }
}
