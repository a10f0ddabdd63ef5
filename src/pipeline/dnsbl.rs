//! `run --dnsbl`: the night's block-list lookups, through the state's cache.

use super::{aggregate, Config, Inventory, Partial};

/// The night's DNS block-list answers for every inventory address and every address seen
/// sending: from the state's cache where it already has them (`--dnsbl-ttl`), the rest asked.
/// A resolver that answers nothing is an input problem of the run (exit 3), not its end: the
/// reports are still written, and say no list was checked.
pub(super) fn lookups(
    config: &Config,
    lookups: &crate::config::RunLookups,
    partial: &mut Partial,
    inventory: &Inventory,
) -> Option<crate::model::dnsbl::DnsblResult> {
    use crate::state::dnsbl_cache;
    let seen: Vec<std::net::IpAddr> = partial.activity.keys().filter_map(|k| k.ip).collect();
    let targets = crate::dnsbl::targets(inventory, seen, lookups.max_range);
    let now = chrono::Utc::now();
    let today = crate::model::day::day_of_date(now.date_naive());
    let key = dnsbl_cache::CacheKey {
        zones: lookups
            .settings
            .zones
            .iter()
            .map(|z| z.name.clone())
            .collect(),
        resolver: lookups.settings.resolver.to_string(),
    };
    let cache_dir = config.state.as_deref().filter(|_| lookups.ttl_secs > 0);
    let mut cached = cache_dir
        .and_then(|dir| dnsbl_cache::load(dir, &key, lookups.ttl_secs, now.timestamp()))
        .unwrap_or_default();
    let missing: Vec<std::net::IpAddr> = targets
        .ips
        .iter()
        .copied()
        .filter(|ip| !cached.addresses.contains(ip))
        .collect();
    if !missing.is_empty() {
        match crate::dnsbl::check(&lookups.settings, &missing, today) {
            Ok(found) => {
                if cached.addresses.is_empty() {
                    cached.result.checked_day = today;
                }
                dnsbl_cache::merge(&mut cached, missing.into_iter().collect(), found);
                if let Some(dir) = cache_dir {
                    // The cache saves queries; failing to write it costs only those.
                    let _ = std::fs::create_dir_all(dir)
                        .and_then(|()| dnsbl_cache::save(dir, &key, &cached, now.timestamp()));
                }
            }
            Err(e) => {
                partial.stats.problem(
                    aggregate::RUN_PROBLEM_FILE,
                    None,
                    format!("DNS block lists not checked: {e}"),
                );
                return None;
            }
        }
    }
    cached.result.not_asked = targets
        .too_large
        .iter()
        .map(|t| format!("{} (VPS {})", t.network, inventory.vpses[t.vps].id))
        .collect();
    // Tonight's addresses only: the cache may hold addresses no longer ours.
    let tonight: std::collections::BTreeSet<std::net::IpAddr> = targets.ips.into_iter().collect();
    cached.result.listings.retain(|l| tonight.contains(&l.ip));
    Some(cached.result)
}
