//! DNS block-list lookups (issue 21): is any of our addresses listed, by which list, and what
//! does the list say the listing is about (this address, the range around it, the whole AS, a
//! policy). The second part of blockscope that talks to a server, after `snds_fetch`: DNS
//! queries through the provider's own recursive resolver, and nothing else.
//!
//! `zones` is the table of lists and return codes (`zones.toml`), `query` the names asked and
//! the Spamhaus DQS key, `targets` which addresses, `engine` the lookups themselves (the only
//! code with tokio and hickory types). The result is the neutral `model::dnsbl::DnsblResult`
//! that `cmd::dnsbl` prints and `run` joins with the logs.

mod engine;
mod query;
mod targets;
mod zones;

pub(crate) use engine::GIVE_UP_AFTER;
pub(crate) use query::DqsKey;
pub(crate) use targets::{targets, Targets};
pub(crate) use zones::{table, zone, Zone};

use crate::error::DnsblError;
use crate::model::dnsbl::{DnsblResult, Listing};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How to look up: checked by `config` (`DnsblConfig::build`), plain data.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The zones to ask, as the table decodes them (unknown zones decoded generically).
    pub(crate) zones: Vec<Zone>,
    /// The provider's recursive resolver: the only server asked.
    pub(crate) resolver: SocketAddr,
    /// With a key, Spamhaus zones are asked through DQS (`KEY.zen.dq.spamhaus.net`).
    pub(crate) dqs_key: Option<DqsKey>,
    /// Queries in flight at once, across all zones.
    pub(crate) concurrency: usize,
    /// Queries per second, per zone.
    pub(crate) rate: u32,
    /// Per try of one query.
    pub(crate) timeout: Duration,
    /// Tries per query (1: no retry).
    pub(crate) attempts: usize,
}

/// Ask every zone about every address in `ips` (IPv6 addresses only of zones that take them).
/// Listings come back sorted by (ip, zone, code), one per distinct code; refusals, NXDOMAIN,
/// timeouts and SERVFAIL are never listings, and are counted per zone. `checked_day`: today,
/// days since 1970-01-01 (UTC).
///
/// `Err(Unreachable)` when the resolver answered not one query: nothing was learned, and "no
/// listings" would be a lie.
pub(crate) fn check(
    settings: &Settings,
    ips: &[IpAddr],
    checked_day: i32,
) -> Result<DnsblResult, DnsblError> {
    let tallies = engine::run(settings, ips)?;
    let queried: u64 = tallies.iter().map(|t| t.queried).sum();
    let answered: u64 = tallies.iter().map(|t| t.answered).sum();
    if queried > 0 && answered == 0 {
        return Err(DnsblError::Unreachable {
            resolver: settings.resolver.to_string(),
            queries: queried,
        });
    }
    let mut result = DnsblResult {
        checked_day,
        ..DnsblResult::default()
    };
    for (zone, tally) in settings.zones.iter().zip(tallies) {
        result.queried.insert(zone.name.clone(), tally.queried);
        if !tally.failures.is_empty() {
            result.failures.insert(zone.name.clone(), tally.failures);
        }
        result
            .listings
            .extend(tally.listings.into_iter().map(|(ip, code)| Listing {
                ip,
                zone: zone.name.clone(),
                list: code.list,
                code: code.code,
                meaning: code.meaning,
                scope: code.scope,
            }));
    }
    result
        .listings
        .sort_by(|a, b| (a.ip, &a.zone, a.code).cmp(&(b.ip, &b.zone, b.code)));
    result.listings.dedup();
    Ok(result)
}

/// What to tell the operator about a zone's failures, one sentence, or None when it has none
/// (`zen.spamhaus.org refused our resolver for 1200 queries (…): use a DQS key …`).
pub(crate) fn failure_advice(
    zone: &Zone,
    failures: &crate::model::dnsbl::ZoneFailures,
    with_key: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    if failures.refused > 0 {
        let codes: Vec<String> = failures
            .refused_codes
            .iter()
            .map(|(code, n)| match zone.refusal_meaning(*code) {
                Some(m) => format!("{code} {m}: {n}"),
                None => format!("{code}: {n}"),
            })
            .collect();
        let fix = if with_key && zone.dqs.is_some() {
            "check the DQS key in --dqs-key-file (an invalid or expired key is refused like a public resolver)"
        } else if zone.dqs.is_some() {
            "use a DQS key (--dqs-key-file) or your own resolver (not a public or shared one)"
        } else {
            "ask the list operator how to query it from your resolver"
        };
        lines.push(format!(
            "{} refused our resolver for {} queries ({}): {fix}; refused queries are not listings",
            zone.name,
            failures.refused,
            codes.join(", ")
        ));
    }
    if failures.timeouts > 0 {
        lines.push(format!(
            "{} did not answer {} queries in time: those addresses are unknown, not clean; check that the resolver reaches the list (a slow list: raise --dnsbl-timeout)",
            zone.name, failures.timeouts
        ));
    }
    if failures.errors > 0 {
        lines.push(format!(
            "{}: {} queries failed (SERVFAIL, or an answer outside 127.0.0.0/8 that no list gives: a wildcarding or retired zone); those addresses are unknown, not clean",
            zone.name, failures.errors
        ));
    }
    if failures.skipped > 0 {
        lines.push(format!(
            "{}: {} addresses not asked: after {GIVE_UP_AFTER} refused or unanswered queries in a row the run stopped asking this zone",
            zone.name, failures.skipped
        ));
    }
    lines
}
