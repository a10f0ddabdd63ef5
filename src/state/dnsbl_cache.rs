//! The night's DNS block-list answers, kept in the state directory (`dnsbl-cache.json`) so a
//! second run the same night (a re-run after fixing the inventory, `--days 7` for a report)
//! asks the lists nothing again: lists rate-limit, and Spamhaus counts every query against the
//! provider's free or DQS quota. Used while younger than `--dnsbl-ttl` and asked about the same
//! zones through the same resolver; addresses the cache has not seen are looked up and added.

use crate::model::dnsbl::{DnsblResult, Listing, ZoneFailures};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const FILE: &str = "dnsbl-cache.json";

/// What the cache answers for: the zones (sorted) and the resolver asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CacheKey {
    pub(crate) zones: Vec<String>,
    pub(crate) resolver: String,
}

/// The cached answers: every address looked up, and what came back.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cached {
    pub(crate) addresses: BTreeSet<IpAddr>,
    pub(crate) result: DnsblResult,
}

/// The file: the model's own listings and failures, as they serialize.
#[derive(Serialize, Deserialize)]
struct OnDisk {
    key: CacheKey,
    /// Unix seconds of the lookups.
    at: i64,
    checked_day: i32,
    addresses: Vec<IpAddr>,
    listings: Vec<Listing>,
    queried: BTreeMap<String, u64>,
    failures: BTreeMap<String, ZoneFailures>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The cache, if it answers for `key` and is younger than `ttl_secs` at `now`. A missing,
/// stale, foreign or unreadable cache is no cache: the lists are asked again.
pub(crate) fn load(dir: &Path, key: &CacheKey, ttl_secs: i64, now: i64) -> Option<Cached> {
    let text = std::fs::read_to_string(path(dir)).ok()?;
    let disk: OnDisk = serde_json::from_str(&text).ok()?;
    let fresh = now.saturating_sub(disk.at) < ttl_secs && disk.at <= now;
    if !fresh || &disk.key != key {
        return None;
    }
    Some(Cached {
        addresses: disk.addresses.into_iter().collect(),
        result: DnsblResult {
            listings: disk.listings,
            queried: disk.queried,
            failures: disk.failures,
            checked_day: disk.checked_day,
            not_asked: Vec::new(),
        },
    })
}

/// Write the cache (atomically; a failure to write is not a failure of the run).
pub(crate) fn save(dir: &Path, key: &CacheKey, cached: &Cached, now: i64) -> std::io::Result<()> {
    let r = &cached.result;
    let disk = OnDisk {
        key: key.clone(),
        at: now,
        checked_day: r.checked_day,
        addresses: cached.addresses.iter().copied().collect(),
        listings: r.listings.clone(),
        queried: r.queried.clone(),
        failures: r.failures.clone(),
    };
    crate::fsio::write_atomically(&path(dir), |w| {
        serde_json::to_writer(w, &disk).map_err(std::io::Error::other)
    })
}

/// Add the answers for more addresses to a cached result (the night's lookups so far).
pub(crate) fn merge(into: &mut Cached, addresses: BTreeSet<IpAddr>, more: DnsblResult) {
    into.addresses.extend(addresses);
    let r = &mut into.result;
    r.listings.extend(more.listings);
    r.listings.sort();
    r.listings.dedup();
    for (zone, n) in more.queried {
        *r.queried.entry(zone).or_default() += n;
    }
    for (zone, f) in more.failures {
        let e = r.failures.entry(zone).or_default();
        e.refused += f.refused;
        e.timeouts += f.timeouts;
        e.errors += f.errors;
        e.skipped += f.skipped;
        for (code, n) in f.refused_codes {
            *e.refused_codes.entry(code).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dnsbl::ListingScope;
    use std::net::Ipv4Addr;

    fn key() -> CacheKey {
        CacheKey {
            zones: vec!["zen.spamhaus.org".into()],
            resolver: "127.0.0.1:53".into(),
        }
    }

    fn cached() -> Cached {
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        Cached {
            addresses: [ip].into(),
            result: DnsblResult {
                listings: vec![Listing {
                    ip,
                    zone: "zen.spamhaus.org".into(),
                    list: "Spamhaus SBL".into(),
                    code: Ipv4Addr::new(127, 0, 0, 2),
                    meaning: "spam source".into(),
                    scope: ListingScope::Range,
                }],
                queried: [("zen.spamhaus.org".to_string(), 1)].into(),
                failures: BTreeMap::new(),
                checked_day: 20_000,
                not_asked: Vec::new(),
            },
        }
    }

    #[test]
    fn the_cache_answers_only_for_its_zones_resolver_and_night() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &key(), &cached(), 1_000).unwrap();
        // The file's names stay what earlier versions wrote (the scope as its text).
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(
            text.contains(r#""code":"127.0.0.2","meaning":"spam source","scope":"range""#),
            "{text}"
        );
        let back = load(dir.path(), &key(), 3_600, 1_500).unwrap();
        assert_eq!(back.result, cached().result);
        assert_eq!(back.addresses, cached().addresses);
        assert!(load(dir.path(), &key(), 3_600, 4_700).is_none(), "stale");
        assert!(
            load(dir.path(), &key(), 3_600, 900).is_none(),
            "from the future"
        );
        let other = CacheKey {
            resolver: "192.0.2.53:53".into(),
            ..key()
        };
        assert!(
            load(dir.path(), &other, 3_600, 1_500).is_none(),
            "another resolver"
        );
        std::fs::write(path(dir.path()), "{not json").unwrap();
        assert!(
            load(dir.path(), &key(), 3_600, 1_500).is_none(),
            "unreadable"
        );
    }

    #[test]
    fn more_answers_add_to_the_night() {
        let mut c = cached();
        let more_ip: IpAddr = "198.51.100.8".parse().unwrap();
        let more = DnsblResult {
            queried: [("zen.spamhaus.org".to_string(), 1)].into(),
            failures: [(
                "zen.spamhaus.org".to_string(),
                ZoneFailures {
                    refused: 1,
                    ..ZoneFailures::default()
                },
            )]
            .into(),
            ..DnsblResult::default()
        };
        merge(&mut c, [more_ip].into(), more);
        assert_eq!(c.addresses.len(), 2);
        assert_eq!(c.result.queried["zen.spamhaus.org"], 2);
        assert_eq!(c.result.failures["zen.spamhaus.org"].refused, 1);
    }
}
