//! The inventory's decisions about what ingest recorded as logged (`model::Pending`): whose
//! tenant holds an address a reply quotes (`reply`, `reply_sibling_vps`,
//! `reply_other_customer`), the VPS's only address standing in when the log names none
//! (`inventory_single`), and crossing addresses kept out of activity. One pass, used by `run`
//! (per file, once read) and `report` (on merged partials), so a partial ingested without the
//! inventory resolves exactly as `run` does.

use super::inventory::Inventory;
use super::{observed_index, route_dirs, tenancy, DirRoute, Tenancy};
use crate::error::{Error, Result};
use crate::model::{name, IpSource, Partial, Pending, VpsName};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;

/// The sending IP and its provenance, given what the log said: `ip` from `source` (`Reply` for
/// a quoted address, `Unknown` with none), the connection's family `v6`, and the VPS whose log
/// holds the line.
pub(crate) fn decide(
    inv: &Inventory,
    (ip, source, v6): (Option<IpAddr>, IpSource, Option<bool>),
    observed: Option<usize>,
) -> (Option<IpAddr>, IpSource) {
    match ip {
        // Reply text is written into the observing VPS's log, which its customer controls.
        Some(ip) if source == IpSource::Reply => (
            Some(ip),
            match tenancy(inv, ip, observed) {
                Tenancy::Own => IpSource::Reply,
                Tenancy::Sibling { .. } => IpSource::ReplySiblingVps,
                Tenancy::OtherCustomer { .. } => IpSource::ReplyOtherCustomer,
            },
        ),
        Some(ip) => (Some(ip), source),
        None => match observed.and_then(|vps| only_address(inv, vps, v6)) {
            Some(ip) => (Some(ip), IpSource::InventorySingle),
            None => (None, IpSource::Unknown),
        },
    }
}

/// The VPS's one address of the family (any family when the log does not say); None when it
/// has several or a prefix: which one sent cannot be told.
fn only_address(inv: &Inventory, vps: usize, v6: Option<bool>) -> Option<IpAddr> {
    match v6 {
        Some(v6) => inv.only_address(vps, v6),
        None => inv.only_address_any(vps),
    }
}

/// Decide every pending cell of `p` (cells that become equal merge) and list the crossings
/// among its quoted addresses as input problems. Fails on a directory read without the
/// inventory that only the inventory could have routed (see `resolve_dirs`).
pub(crate) fn resolve(inv: &Inventory, p: &mut Partial) -> Result<()> {
    if let Err(dir) = resolve_dirs(inv, p) {
        return Err(Error::Config(format!(
            "{dir}/: read by `blockscope ingest` without --inventory, but neither a vps_id nor a hostname of the inventory, which has a hostname column: central-syslog files, whose lines ingest routes by their syslog host; run `blockscope ingest --inventory FILE` on that log host"
        )));
    }
    super::crossings::report(inv, std::mem::take(&mut p.quoted), &mut p.stats);
    let events = std::mem::take(&mut p.events);
    for (mut key, agg) in events {
        if let Pending::AsLogged { v6, .. } = key.pending {
            let observed = observed_index(inv, key.observed_vps);
            (key.ip, key.ip_source) = decide(inv, (key.ip, key.ip_source, v6), observed);
            key.pending = Pending::Decided;
        }
        match p.events.entry(key) {
            Entry::Occupied(mut e) => e.get_mut().merge(agg),
            Entry::Vacant(e) => {
                e.insert(agg);
            }
        }
    }
    let activity = std::mem::take(&mut p.activity);
    for (mut key, a) in activity {
        if let Pending::AsLogged { quoted, v6 } = key.pending {
            let observed = observed_index(inv, key.observed_vps);
            let source = if quoted {
                IpSource::Reply
            } else {
                IpSource::Unknown
            };
            let (ip, source) = decide(inv, (key.ip, source, v6), observed);
            // Activity makes an address "active" in its subnet and on the heatmap: an
            // unconfirmed address of another customer must not (the observing VPS's own sender
            // is unknown).
            key.ip = ip.filter(|_| source != IpSource::ReplyOtherCustomer);
            key.pending = Pending::Decided;
        }
        p.activity.entry(key).or_default().add(a);
    }
    for u in p.unclassified.values_mut() {
        for (vps, v6) in std::mem::take(&mut u.pending) {
            let observed = observed_index(inv, Some(vps));
            u.ips
                .insert(observed.and_then(|v| only_address(inv, v, v6)));
        }
    }
    Ok(())
}

/// Directories read without an inventory (`Stats::dirs_as_logged`: `a` or `a/b`), routed by
/// the rule ingest reads with (`route_dirs`): a vps_id or a hostname directory is that VPS; a
/// directory the inventory does not name (no `hostname` column) is counted as such, its cells
/// observed by no VPS. A central file (any other directory, with a `hostname` column) is routed
/// line by line while reading: its directory is returned.
fn resolve_dirs(inv: &Inventory, p: &mut Partial) -> std::result::Result<(), String> {
    let mut renamed: HashMap<VpsName, Option<VpsName>> = HashMap::new();
    for (key, files) in std::mem::take(&mut p.stats.dirs_as_logged) {
        let dirs: Vec<&str> = key.split('/').collect();
        let to = match route_dirs(inv, &dirs) {
            DirRoute::Vps(v) => Some(name::intern(&inv.vpses[v].id)),
            DirRoute::Unknown => {
                *p.stats
                    .unknown_vps_dirs
                    .entry(dirs[0].to_string())
                    .or_default() += files;
                None
            }
            DirRoute::Central => return Err(key),
        };
        let from = name::intern(&key);
        if to != Some(from) {
            renamed.insert(from, to);
        }
    }
    if renamed.is_empty() {
        return Ok(());
    }
    let rename = |v: Option<VpsName>| match v.and_then(|v| renamed.get(v)) {
        Some(to) => *to,
        None => v,
    };
    for (mut key, agg) in std::mem::take(&mut p.events) {
        key.observed_vps = rename(key.observed_vps);
        match p.events.entry(key) {
            Entry::Occupied(mut e) => e.get_mut().merge(agg),
            Entry::Vacant(e) => {
                e.insert(agg);
            }
        }
    }
    for (mut key, a) in std::mem::take(&mut p.activity) {
        key.observed_vps = rename(key.observed_vps);
        p.activity.entry(key).or_default().add(a);
    }
    for u in p.unclassified.values_mut() {
        for (vps, v6) in std::mem::take(&mut u.pending) {
            match rename(Some(vps)) {
                Some(vps) => {
                    u.pending.insert((vps, v6));
                }
                // No VPS to stand in for: an unknown address, as `run` records it.
                None => {
                    u.ips.insert(None);
                }
            }
        }
    }
    // Replies in a directory of no VPS cross no customer (`run` records no quote there).
    for ((file, vps, ip), lines) in std::mem::take(&mut p.quoted) {
        if let Some(vps) = rename(Some(vps)) {
            let quoted = crate::model::Quoted::from([((file, vps, ip), lines)]);
            crate::model::quoted::merge(&mut p.quoted, quoted);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{name, ActivityKey};
    use std::path::Path;

    /// c1 holds v1 (one IPv4 address) and v2; c2 holds v3 (an IPv4 and an IPv6 address).
    fn inventory() -> Inventory {
        Inventory::from_reader(
            Path::new("inv.csv"),
            "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\nc1,One,v2,198.51.100.8\nc2,Two,v3,198.51.100.9\nc2,Two,v3,2001:db8::9\n"
                .as_bytes(),
        )
        .unwrap()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn quoted_addresses_are_decided_by_the_tenant_that_holds_them() {
        let inv = inventory();
        let quoted = |text: &str| decide(&inv, (ip(text), IpSource::Reply, None), Some(0));
        assert_eq!(quoted("198.51.100.7").1, IpSource::Reply);
        assert_eq!(quoted("198.51.100.8").1, IpSource::ReplySiblingVps);
        assert_eq!(quoted("198.51.100.9").1, IpSource::ReplyOtherCustomer);
        assert_eq!(quoted("192.0.2.1").1, IpSource::Reply);
        // A directory the inventory does not name has no tenant to cross.
        let unknown_dir = decide(&inv, (ip("198.51.100.9"), IpSource::Reply, None), None);
        assert_eq!(unknown_dir.1, IpSource::Reply);
    }

    #[test]
    fn a_vps_with_one_address_of_the_family_stands_in_for_none() {
        let inv = inventory();
        let none =
            |v6: Option<bool>, vps: Option<usize>| decide(&inv, (None, IpSource::Unknown, v6), vps);
        let single = (ip("198.51.100.7"), IpSource::InventorySingle);
        assert_eq!(none(Some(false), Some(0)), single);
        assert_eq!(none(None, Some(0)), single);
        assert_eq!(none(Some(true), Some(0)), (None, IpSource::Unknown));
        // v3 has one address per family, two in all.
        let v6 = (ip("2001:db8::9"), IpSource::InventorySingle);
        assert_eq!(none(Some(true), Some(2)), v6);
        assert_eq!(none(None, Some(2)), (None, IpSource::Unknown));
        assert_eq!(none(Some(false), None), (None, IpSource::Unknown));
    }

    #[test]
    fn crossing_addresses_leave_activity_and_cells_merge_once_decided() {
        let inv = inventory();
        let v1 = Some(name::intern("v1"));
        let mut p = Partial::default();
        let as_logged = |ip: Option<IpAddr>, quoted: bool, v6: Option<bool>| ActivityKey {
            day: 1,
            observed_vps: v1,
            ip,
            pending: Pending::AsLogged { quoted, v6 },
        };
        let mut add = |key: ActivityKey| p.activity.entry(key).or_default().sent += 1;
        add(as_logged(ip("198.51.100.9"), true, None));
        add(as_logged(None, false, Some(false)));
        add(as_logged(None, false, None));
        add(ActivityKey {
            pending: Pending::Decided,
            ..as_logged(ip("198.51.100.7"), false, None)
        });
        resolve(&inv, &mut p).unwrap();
        let decided = |ip: Option<IpAddr>| ActivityKey {
            pending: Pending::Decided,
            ..as_logged(ip, false, None)
        };
        assert_eq!(p.activity.len(), 2);
        assert_eq!(p.activity[&decided(None)].sent, 1);
        assert_eq!(p.activity[&decided(ip("198.51.100.7"))].sent, 3);
    }

    #[test]
    fn directories_read_without_the_inventory_are_looked_up() {
        let inv = inventory();
        let mut p = Partial::default();
        let activity = |dir: Option<&str>| ActivityKey {
            day: 1,
            observed_vps: dir.map(name::intern),
            ip: ip("192.0.2.1"),
            pending: Pending::Decided,
        };
        for dir in ["v1", "legacy"] {
            p.activity.entry(activity(Some(dir))).or_default().sent += 1;
            p.stats.dirs_as_logged.insert(dir.into(), 2);
        }
        p.activity.entry(activity(None)).or_default().sent += 1;
        resolve(&inv, &mut p).unwrap();
        // v1 is a vps_id; legacy is not: its cells merge with those of no VPS.
        assert_eq!(p.activity.len(), 2);
        assert_eq!(p.activity[&activity(None)].sent, 2);
        assert_eq!(p.activity[&activity(Some("v1"))].sent, 1);
        assert_eq!(p.stats.unknown_vps_dirs["legacy"], 2);
        assert!(p.stats.dirs_as_logged.is_empty());
        // With a hostname column, `legacy` may have been a central file: only ingest could tell.
        let hosts = Inventory::from_reader(
            Path::new("inv.csv"),
            "customer_id,customer_name,vps_id,ip,hostname\nc1,One,v1,198.51.100.7,web1\n"
                .as_bytes(),
        )
        .unwrap();
        let mut p = Partial::default();
        p.stats.dirs_as_logged.insert("legacy".into(), 1);
        let err = resolve(&hosts, &mut p).unwrap_err().to_string();
        assert!(
            err.starts_with("legacy/: read by `blockscope ingest` without --inventory"),
            "{err}"
        );
    }
}
