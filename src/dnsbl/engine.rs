//! The lookups: hickory-resolver on a tokio current-thread runtime that lives and dies inside
//! `run` (no tokio type leaves this file). One lane per zone paces that zone's queries (its
//! rate limit); one semaphore bounds the queries in flight across all zones (the concurrency).
//!
//! The resolver asks the one server given and nothing else: no resolv.conf (the crate is built
//! without system-config), no hosts file, no search domains (every name ends with a dot), and
//! no answer cache (each name is asked once a run anyway; the night's cache is `run`'s).

use super::query;
use super::zones::{Code, Decoded, Zone};
use super::Settings;
use crate::error::DnsblError;
use crate::model::dnsbl::ZoneFailures;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::NetError;
use hickory_resolver::proto::rr::Name;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// After this many refusals or unanswered queries in a row, a zone is asked nothing more this
/// run: a list that refuses our resolver (or never answers) would otherwise get every address
/// of the inventory — tens of thousands of queries that can only fail, and Spamhaus counts
/// "excessive queries" against the resolver.
pub(crate) const GIVE_UP_AFTER: u32 = 64;

/// One zone's results.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) listings: Vec<(IpAddr, Code)>,
    pub(super) failures: ZoneFailures,
    /// Queries sent.
    pub(super) queried: u64,
    /// Queries the resolver answered in any way (a listing, NXDOMAIN, SERVFAIL, a refusal).
    pub(super) answered: u64,
    /// Refusals and unanswered queries since the last good answer.
    streak: u32,
}

/// What the resolver said to one query.
#[derive(Debug)]
enum Reply {
    /// The A records.
    Addresses(Vec<Ipv4Addr>),
    /// NXDOMAIN, or no A record: not listed.
    NotListed,
    /// A timeout or a refused connection: the resolver did not answer.
    NoAnswer,
    /// SERVFAIL, REFUSED and other DNS errors.
    Failed,
}

/// Ask every zone of `settings` about `ips`; one tally per zone, in `settings.zones` order.
pub(super) fn run(settings: &Settings, ips: &[IpAddr]) -> Result<Vec<Tally>, DnsblError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DnsblError::Runtime(e.to_string()))?;
    runtime.block_on(all_zones(settings, ips))
}

async fn all_zones(settings: &Settings, ips: &[IpAddr]) -> Result<Vec<Tally>, DnsblError> {
    let resolver = resolver(settings)?;
    let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let pace = Pace::new(settings.rate);
    let mut lanes = JoinSet::new();
    for (index, zone) in settings.zones.iter().enumerate() {
        let names: Vec<(IpAddr, String)> = ips
            .iter()
            .filter_map(|ip| Some((*ip, query::name(*ip, zone, settings.dqs_key.as_ref())?)))
            .collect();
        let lane = Lane {
            zone: zone.clone(),
            resolver: resolver.clone(),
            permits: permits.clone(),
            pace,
        };
        lanes.spawn(async move { (index, lane.ask_all(names).await) });
    }
    let mut tallies: Vec<Tally> = settings.zones.iter().map(|_| Tally::default()).collect();
    while let Some(done) = lanes.join_next().await {
        let (index, tally) = done.map_err(|e| DnsblError::Runtime(e.to_string()))?;
        tallies[index] = tally;
    }
    Ok(tallies)
}

/// The resolver: `settings.resolver` over UDP (TCP when an answer is truncated), nothing else.
fn resolver(settings: &Settings) -> Result<TokioResolver, DnsblError> {
    let mut server = NameServerConfig::udp_and_tcp(settings.resolver.ip());
    for connection in &mut server.connections {
        connection.port = settings.resolver.port();
    }
    let config = ResolverConfig::from_parts(None, Vec::new(), vec![server]);
    let mut options = ResolverOpts::default();
    options.timeout = settings.timeout;
    // hickory counts retries; `attempts` is tries.
    options.attempts = settings.attempts.saturating_sub(1);
    options.cache_size = 0;
    options.use_hosts_file = ResolveHosts::Never;
    options.num_concurrent_reqs = 1;
    // Every query of ours may be in flight on the one connection at once.
    options.max_active_requests = options.max_active_requests.max(settings.concurrency);
    TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
        .map_err(|e| DnsblError::Runtime(e.to_string()))
}

/// One zone's queries, paced by its rate limit.
struct Lane {
    zone: Zone,
    resolver: TokioResolver,
    permits: Arc<Semaphore>,
    pace: Pace,
}

/// A zone's rate limit as a token bucket: `next` is the earliest time the next query may
/// leave; each query moves it on by one interval. The timer ticks in milliseconds, so at more
/// than 1,000 queries a second several leave per tick; after a pause (waiting for permits) at
/// most `burst` queries make up for it.
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Duration,
    burst: Duration,
}

impl Pace {
    fn new(rate: u32) -> Pace {
        let interval = Duration::from_secs(1) / rate.max(1);
        // 10 ms worth of queries, at least one.
        Pace {
            interval,
            burst: interval.max(Duration::from_millis(10)),
        }
    }

    /// When the query after one that left at `now` may leave.
    fn after_send(&self, next: Instant, now: Instant) -> Instant {
        next.max(now.checked_sub(self.burst).unwrap_or(now)) + self.interval
    }
}

impl Lane {
    async fn ask_all(self, names: Vec<(IpAddr, String)>) -> Tally {
        let mut tally = Tally::default();
        let mut in_flight = JoinSet::new();
        let mut next = Instant::now();
        for (ip, name) in names {
            if tally.streak >= GIVE_UP_AFTER {
                tally.failures.skipped += 1;
                continue;
            }
            if next > Instant::now() {
                tokio::time::sleep_until(next).await;
            }
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                break; // never closed
            };
            // What finished while we waited may be what makes the zone not worth asking.
            while let Some(done) = in_flight.try_join_next() {
                tally.record(&self.zone, done);
            }
            if tally.streak >= GIVE_UP_AFTER {
                tally.failures.skipped += 1;
                continue;
            }
            next = self.pace.after_send(next, Instant::now());
            let resolver = self.resolver.clone();
            in_flight.spawn(async move {
                let reply = ask(&resolver, &name).await;
                drop(permit);
                (ip, reply)
            });
            tally.queried += 1;
        }
        while let Some(done) = in_flight.join_next().await {
            tally.record(&self.zone, done);
        }
        tally
    }
}

async fn ask(resolver: &TokioResolver, name: &str) -> Reply {
    let Ok(name) = Name::from_ascii(name) else {
        return Reply::Failed;
    };
    match resolver.lookup(name, RecordType::A).await {
        Ok(lookup) => {
            let found: Vec<Ipv4Addr> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(a.0),
                    _ => None,
                })
                .collect();
            if found.is_empty() {
                Reply::NotListed
            } else {
                Reply::Addresses(found)
            }
        }
        Err(e) if e.is_no_records_found() => Reply::NotListed,
        Err(NetError::Timeout | NetError::Io(_) | NetError::NoConnections) => Reply::NoAnswer,
        Err(_) => Reply::Failed,
    }
}

impl Tally {
    fn record(&mut self, zone: &Zone, done: Result<(IpAddr, Reply), tokio::task::JoinError>) {
        let Ok((ip, reply)) = done else {
            self.failures.errors += 1;
            return;
        };
        let good = match reply {
            Reply::Addresses(found) => {
                self.answered += 1;
                match zone.decode(&found) {
                    Decoded::Listed(codes) => {
                        self.listings.extend(codes.into_iter().map(|c| (ip, c)));
                        true
                    }
                    Decoded::Refused(code) => {
                        self.failures.refused += 1;
                        *self.failures.refused_codes.entry(code).or_default() += 1;
                        false
                    }
                    Decoded::NotDnsbl(_) => {
                        self.failures.errors += 1;
                        true // an answer, if a useless one: the zone is not refusing us
                    }
                }
            }
            Reply::NotListed => {
                self.answered += 1;
                true
            }
            Reply::NoAnswer => {
                self.failures.timeouts += 1;
                false
            }
            Reply::Failed => {
                self.answered += 1;
                self.failures.errors += 1;
                false
            }
        };
        self.streak = if good { 0 } else { self.streak + 1 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_keeps_the_rate_and_bounds_a_burst() {
        let start = Instant::now();
        // 100/s: 10 ms apart; a query at the slot moves the slot on by 10 ms.
        let pace = Pace::new(100);
        let next = pace.after_send(start, start);
        assert_eq!(next - start, Duration::from_millis(10));
        // After a pause of a second, at most 10 ms of queries (one at 100/s) go at once.
        let late = start + Duration::from_secs(1);
        assert_eq!(pace.after_send(next, late) - late, Duration::ZERO);
        // 10,000/s: 100 us apart, and at most 10 ms (100 queries) of catching up.
        let fast = Pace::new(10_000);
        let mut slot = start;
        let mut sent = 0;
        while slot <= late {
            slot = fast.after_send(slot, late);
            sent += 1;
        }
        assert_eq!(sent, 101, "a burst of 10 ms worth, then one per interval");
    }
}
