//! Who blocks a subnet, and as what: the evidence a verdict is decided from, per receiver or list.
//!
//! A receiver (Outlook.com, Office 365, Gmail...) and a DNS block list are different judges: the
//! same Spamhaus listing shows up at many receivers, so list-based blocks are grouped under the
//! list's rule, everything else under the receiver that replied. SNDS blocked ranges are a third
//! kind of judge: Microsoft's own statement, one range at a time.

use super::dnsbl::{LookupEvidence, LOOKUP_RULE_PREFIX};
use super::IpRow;
use crate::classify::rules::Class;
use crate::model::ip_source::IpSource;
use crate::model::snds::Snds;
use ipnetwork::IpNetwork;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

/// Who refuses the mail.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BlockerId {
    /// A receiver platform (`outlook.com`, `office365`...; empty when the logs did not say).
    Receiver(String),
    /// A DNS block list, by the rule that recognised it (its rule data has the lookup page).
    List(String),
    /// An SNDS blocked range (first, last address).
    Snds(Ipv4Addr, Ipv4Addr),
}

/// One receiver's or list's block in one subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocker {
    pub(crate) id: BlockerId,
    /// What it blocks as: `NetworkBlock` when the receiver says it blocks part of the network
    /// (wins over `IpBlock`), `IpBlock`, `Dnsbl`, or `SndsBlock` for an SNDS range.
    pub(crate) class: Class,
    pub(crate) ips: BTreeSet<IpAddr>,
    /// Customers whose addresses it blocks (addresses without an owner count as none).
    pub(crate) customers: BTreeSet<String>,
    /// The delisting route of each rule it blocks with, by rule id (`snds-blocked` for SNDS).
    pub(crate) routes: BTreeMap<String, String>,
    /// A DNS block list's lookup says more than the address: a listed address that never sent
    /// mail (so the listing is not about its mail), or a range listing of this address.
    never_sent: bool,
    range_listed: bool,
}

impl Blocker {
    fn new(id: BlockerId, class: Class) -> Blocker {
        Blocker {
            id,
            class,
            ips: BTreeSet::new(),
            customers: BTreeSet::new(),
            routes: BTreeMap::new(),
            never_sent: false,
            range_listed: false,
        }
    }

    fn add(&mut self, ip: IpAddr, r: &IpRow, judge: Judge) {
        self.ips.insert(ip);
        if !r.customer_id.is_empty() {
            self.customers.insert(r.customer_id.clone());
        }
        // The receiver's "part of their network" outranks its per-IP rules.
        if judge.class == Class::NetworkBlock {
            self.class = judge.class;
        }
        self.never_sent |= judge.never_sent;
        self.range_listed |= judge.range_listed;
        self.routes.insert(judge.rule_id, judge.route);
    }

    /// The verdict rule (README, "Verdicts"): the receiver's own words ("part of their network",
    /// class `network_block`), an SNDS blocked range over addresses of several customers, or one
    /// receiver refusing several customers' addresses with an IP-level rule (independent
    /// per-address judgements rarely hit two unrelated customers of one /24 at once; the receiver
    /// rates the range). A DNS block list's reply in the logs names addresses one by one: never
    /// a range by itself; its lookups do when an address it lists never sent mail, or when a
    /// range listing covers several customers' addresses (`aggregate::dnsbl`).
    pub(crate) fn says_range(&self) -> bool {
        match self.class {
            Class::NetworkBlock => true,
            Class::IpBlock | Class::SndsBlock => self.customers.len() >= 2,
            Class::Dnsbl => self.never_sent || (self.range_listed && self.customers.len() >= 2),
            _ => false,
        }
    }
}

/// The blockers of every subnet, each subnet's in `BlockerId` order.
pub(super) fn blockers_by_subnet(
    ips: &[IpRow],
    snds: Option<&Snds>,
    lookups: Option<&LookupEvidence>,
) -> BTreeMap<IpNetwork, Vec<Blocker>> {
    let mut map: BTreeMap<(IpNetwork, BlockerId), Blocker> = BTreeMap::new();
    for r in ips {
        let (Some(ip), Some(net)) = (r.ip, r.subnet) else {
            continue;
        };
        for judge in judges(r, ip, lookups)
            .into_iter()
            .chain(snds_judge(snds, ip))
        {
            let b = map
                .entry((net, judge.id.clone()))
                .or_insert_with(|| Blocker::new(judge.id.clone(), judge.class));
            b.add(ip, r, judge);
        }
    }
    let mut out: BTreeMap<IpNetwork, Vec<Blocker>> = BTreeMap::new();
    for ((net, _), b) in map {
        out.entry(net).or_default().push(b);
    }
    out
}

/// One row's evidence against one blocker.
struct Judge {
    id: BlockerId,
    class: Class,
    rule_id: String,
    route: String,
    never_sent: bool,
    range_listed: bool,
}

/// The receivers or list refusing a row's mail (none when it is not a block).
fn judges(r: &IpRow, ip: IpAddr, lookups: Option<&LookupEvidence>) -> Vec<Judge> {
    if !r.class.is_block() {
        return Vec::new();
    }
    // Only a lookup row carries the lists' own word on what the listing covers.
    let lookup = lookups.filter(|_| r.ip_source == IpSource::DnsblLookup);
    let zone = r.rule_id.strip_prefix(LOOKUP_RULE_PREFIX).unwrap_or("");
    let judge = |id| Judge {
        id,
        class: r.class,
        rule_id: r.rule_id.clone(),
        route: r.delist_route.clone(),
        never_sent: lookup.is_some_and(|l| l.never_sent(ip)),
        range_listed: lookup.is_some_and(|l| l.range_scope(ip, zone)),
    };
    if r.class == Class::Dnsbl {
        return vec![judge(BlockerId::List(r.rule_id.clone()))];
    }
    if r.platforms.is_empty() {
        return vec![judge(BlockerId::Receiver(String::new()))];
    }
    r.platforms
        .iter()
        .map(|p| judge(BlockerId::Receiver(p.clone())))
        .collect()
}

/// The SNDS blocked range an address is in, if any.
fn snds_judge(snds: Option<&Snds>, ip: IpAddr) -> Option<Judge> {
    let st = snds?.status_of(ip).filter(|s| s.blocked)?;
    Some(Judge {
        id: BlockerId::Snds(st.first, st.last),
        class: Class::SndsBlock,
        rule_id: super::snds::SNDS_RULE_ID.into(),
        route: st.reason.kind.delist_route(),
        never_sent: false,
        range_listed: false,
    })
}
