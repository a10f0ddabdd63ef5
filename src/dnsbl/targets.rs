//! Which addresses are looked up: every address the inventory holds, a range expanded address by
//! address up to `--dnsbl-max-range` (a /24 by default; an IPv6 range of as many addresses, a
//! /120), plus the addresses the caller adds (`run`: those seen sending). A larger range is not
//! looked up at all and is named: asking only part of it (its first /24) would report the rest
//! as clean without having asked, and asking all of a /16 is 65,536 queries per zone.

use crate::attribute::inventory::Inventory;
use ipnetwork::IpNetwork;
use std::net::IpAddr;

/// An inventory row too large to look up address by address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLarge {
    pub(crate) network: IpNetwork,
    /// Index into `Inventory::vpses`.
    pub(crate) vps: usize,
}

/// The addresses to look up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Targets {
    /// Sorted, each once; IPv4-mapped IPv6 addresses as IPv4.
    pub(crate) ips: Vec<IpAddr>,
    /// Inventory rows left out, in inventory order.
    pub(crate) too_large: Vec<TooLarge>,
}

/// The largest IPv6 range looked up for an IPv4 limit of `/max_v4`: as many addresses.
fn max_v6(max_v4: u8) -> u8 {
    128 - (32 - max_v4.min(32))
}

/// Every inventory address (ranges up to `/max_v4`), and `extra`.
pub(crate) fn targets(
    inventory: &Inventory,
    extra: impl IntoIterator<Item = IpAddr>,
    max_v4: u8,
) -> Targets {
    let mut ips: Vec<IpAddr> = extra.into_iter().map(|ip| ip.to_canonical()).collect();
    let mut too_large = Vec::new();
    for entry in &inventory.entries {
        let limit = if entry.network.is_ipv4() {
            max_v4
        } else {
            max_v6(max_v4)
        };
        if entry.network.prefix() < limit {
            too_large.push(TooLarge {
                network: entry.network,
                vps: entry.vps,
            });
            continue;
        }
        // `owned`: the addresses this row really holds (a more specific row inside it keeps its
        // own), so an address is asked once and reported for its own customer.
        for net in &entry.owned {
            ips.extend(net.iter().map(|ip| ip.to_canonical()));
        }
    }
    ips.sort();
    ips.dedup();
    Targets { ips, too_large }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(rows: &str) -> Inventory {
        let text = format!("customer_id,customer_name,vps_id,ip\n{rows}");
        Inventory::from_reader(std::path::Path::new("inventory.csv"), text.as_bytes()).unwrap()
    }

    #[test]
    fn ranges_up_to_the_limit_are_expanded_larger_ones_named() {
        let inv = inventory(
            "c1,One,v1,198.51.100.7\nc2,Two,v2,203.0.113.0/30\nc3,Three,v3,10.0.0.0/16\nc4,Four,v4,2001:db8::1\nc4,Four,v4,2001:db8:1::/64\n",
        );
        let t = targets(
            &inv,
            [
                "198.51.100.7".parse().unwrap(),
                "::ffff:192.0.2.1".parse().unwrap(),
            ],
            24,
        );
        let shown: Vec<String> = t.ips.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            shown,
            [
                "192.0.2.1",
                "198.51.100.7",
                "203.0.113.0",
                "203.0.113.1",
                "203.0.113.2",
                "203.0.113.3",
                "2001:db8::1"
            ]
        );
        let large: Vec<String> = t.too_large.iter().map(|r| r.network.to_string()).collect();
        assert_eq!(large, ["10.0.0.0/16", "2001:db8:1::/64"]);
        // The /16 now, not yet the IPv6 /64 (a /112 is as far as 65,536 addresses go).
        assert_eq!(targets(&inv, [], 16).ips.len(), 1 + 4 + 65536 + 1);
        assert_eq!(max_v6(24), 120);
    }

    #[test]
    fn a_more_specific_row_keeps_its_addresses_once() {
        let inv = inventory("c1,One,v1,203.0.113.0/30\nc2,Two,v2,203.0.113.1\n");
        let t = targets(&inv, [], 24);
        assert_eq!(t.ips.len(), 4);
        let owner = |ip: &str| inv.lookup(ip.parse().unwrap()).map(|e| e.vps);
        assert_ne!(owner("203.0.113.1"), owner("203.0.113.2"));
    }
}
