//! What the DNS block lists said about our addresses (issue 21): the neutral result of
//! `dnsbl::check`, read by aggregation (a listed address that has not bounced, range evidence
//! for the subnet verdict) and written by `report` (`summary/dnsbl.csv`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// What a listing is about, per the list's own return-code documentation. Stored (the state's
/// DNSBL cache) as `as_str`'s names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ListingScope {
    /// This address, for what it sent (Spamhaus SBL/XBL/CSS, Barracuda, SpamCop, UCEPROTECT
    /// level 1, PSBL).
    Address,
    /// The range around it (UCEPROTECT level 2, Spamhaus SBL DROP): a neighbourhood listing.
    Range,
    /// The whole AS (UCEPROTECT level 3).
    Asn,
    /// A policy listing: the owner says the range should not send directly (Spamhaus PBL).
    Policy,
}

impl ListingScope {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ListingScope::Address => "address",
            ListingScope::Range => "range",
            ListingScope::Asn => "asn",
            ListingScope::Policy => "policy",
        }
    }

    /// The inverse of `as_str` (the zone table's and the cache's text).
    pub(crate) fn parse(text: &str) -> Option<ListingScope> {
        [
            ListingScope::Address,
            ListingScope::Range,
            ListingScope::Asn,
            ListingScope::Policy,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One address listed in one zone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Listing {
    pub(crate) ip: IpAddr,
    /// The zone as configured (`zen.spamhaus.org`; a DQS zone without its key).
    pub(crate) zone: String,
    /// The list the code names (`Spamhaus SBL`, `UCEPROTECT level 2`).
    pub(crate) list: String,
    /// The A record returned (`127.0.0.2`); one listing per distinct code.
    pub(crate) code: Ipv4Addr,
    /// The code's meaning, from the zone table.
    pub(crate) meaning: String,
    pub(crate) scope: ListingScope,
}

/// Answers that are not listings, per zone: never counted as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ZoneFailures {
    /// The list refused our resolver (Spamhaus `127.255.255.252/254/255`: a public or
    /// unregistered resolver, too many queries, a typo in the zone).
    pub(crate) refused: u64,
    pub(crate) timeouts: u64,
    /// SERVFAIL and other errors of the resolver, and answers outside 127.0.0.0/8 (a
    /// wildcarding zone).
    pub(crate) errors: u64,
    /// `refused` per code (`127.255.255.254` public resolver, `.255` too many queries).
    pub(crate) refused_codes: BTreeMap<Ipv4Addr, u64>,
    /// Addresses not asked: the zone refused or did not answer so many queries in a row that
    /// the rest of the run left it alone (`dnsbl::GIVE_UP_AFTER`).
    pub(crate) skipped: u64,
}

impl ZoneFailures {
    pub(crate) fn is_empty(&self) -> bool {
        *self == ZoneFailures::default()
    }
}

/// The whole night's lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DnsblResult {
    /// Sorted by (ip, zone, code).
    pub(crate) listings: Vec<Listing>,
    /// Queries sent, per zone (cached answers not included).
    pub(crate) queried: BTreeMap<String, u64>,
    pub(crate) failures: BTreeMap<String, ZoneFailures>,
    /// The day the lookups were made (days since 1970-01-01, UTC).
    pub(crate) checked_day: i32,
    /// Inventory ranges larger than `dnsbl_max_range`, not looked up (`198.51.0.0/16 (VPS x)`):
    /// said in the summary, since half an answer would read as clean.
    pub(crate) not_asked: Vec<String>,
}

impl DnsblResult {
    /// The listings of one address (`listings` are sorted by address first).
    pub(crate) fn listings_of(&self, ip: IpAddr) -> &[Listing] {
        let start = self.listings.partition_point(|l| l.ip < ip);
        let end = self.listings.partition_point(|l| l.ip <= ip);
        &self.listings[start..end]
    }
}
