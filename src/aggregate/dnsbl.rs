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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::path::Path;

    fn inventory() -> Inventory {
        let text = "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\nc2,Two,v2,198.51.100.8\nc3,Three,v3,198.51.100.9\n";
        Inventory::from_reader(Path::new("inv.csv"), text.as_bytes()).unwrap()
    }

    fn listing(ip: &str, zone: &str, code: u8, scope: ListingScope) -> Listing {
        Listing {
            ip: ip.parse().unwrap(),
            zone: zone.into(),
            list: format!("{zone} list"),
            code: Ipv4Addr::new(127, 0, 0, code),
            meaning: "listed".into(),
            scope,
        }
    }

    #[test]
    fn a_listing_not_yet_felt_becomes_a_dnsbl_row_of_its_owner() {
        let result = DnsblResult {
            listings: vec![
                listing("198.51.100.7", "zen.spamhaus.org", 2, ListingScope::Address),
                listing("198.51.100.7", "zen.spamhaus.org", 11, ListingScope::Policy),
                listing(
                    "198.51.100.8",
                    "dnsbl-2.uceprotect.net",
                    2,
                    ListingScope::Range,
                ),
                listing(
                    "198.51.100.9",
                    "dnsbl-2.uceprotect.net",
                    2,
                    ListingScope::Range,
                ),
            ],
            ..DnsblResult::default()
        };
        let active: BTreeSet<IpAddr> = ["198.51.100.7".parse().unwrap()].into();
        let mut ips = Vec::new();
        let evidence = annotate_ips(&mut ips, &result, &inventory(), &active, (24, 64));
        assert_eq!(ips.len(), 3, "one row per (address, zone)");
        let first = &ips[0];
        assert_eq!(
            (
                first.customer_id.as_str(),
                first.vps_id.as_str(),
                first.rule_id.as_str()
            ),
            ("c1", "v1", "dnsbl-lookup:zen.spamhaus.org")
        );
        assert_eq!(
            (first.class, first.status),
            (Class::Dnsbl, Status::BlockedNotSeen)
        );
        assert_eq!(
            first.codes.iter().collect::<Vec<_>>(),
            ["127.0.0.11", "127.0.0.2"]
        );
        assert!(first
            .sample_reply
            .starts_with("zen.spamhaus.org answered 127.0.0.2 ("));
        // .7 sent mail; .8 and .9 never did: their listings cannot be about their own mail.
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(!evidence.never_sent(ip("198.51.100.7")));
        assert!(evidence.never_sent(ip("198.51.100.8")));
        assert!(
            evidence.range_scope(ip("198.51.100.7"), "zen.spamhaus.org"),
            "PBL is a policy listing of the range"
        );
        assert!(evidence.range_scope(ip("198.51.100.9"), "dnsbl-2.uceprotect.net"));
        assert!(!evidence.range_scope(ip("198.51.100.9"), "zen.spamhaus.org"));
    }

    #[test]
    fn a_listing_the_logs_already_show_adds_no_row() {
        let result = DnsblResult {
            listings: vec![listing(
                "198.51.100.7",
                "zen.spamhaus.org",
                2,
                ListingScope::Address,
            )],
            ..DnsblResult::default()
        };
        let mut felt = not_seen_row(
            "198.51.100.7".parse().unwrap(),
            "zen.spamhaus.org",
            &result.listings.iter().collect::<Vec<_>>(),
            &inventory(),
            (24, 64),
        );
        felt.ip_source = IpSource::Reply; // as if a receiver's reply named the listing
        felt.rule_id = "dnsbl-spamhaus".into();
        let mut ips = vec![felt];
        annotate_ips(&mut ips, &result, &inventory(), &BTreeSet::new(), (24, 64));
        assert_eq!(ips.len(), 1);
    }
}
