//! Attribution: which IP sent a delivery, and which VPS and customer hold that IP.

pub(crate) mod cidr;
pub(crate) mod crossings;
pub(crate) mod hostname;
pub(crate) mod import;
pub mod inventory;
pub(crate) mod resolve;
pub mod sending_ip;

use inventory::{mask128, mask32, Inventory};
use ipnetwork::IpNetwork;
use std::net::IpAddr;

/// The neighbourhood (`/24`, `/64` by default) an address belongs to.
pub(crate) fn subnet(ip: IpAddr, v4_prefix: u8, v6_prefix: u8) -> IpNetwork {
    let net = match ip {
        IpAddr::V4(a) => {
            let net = std::net::Ipv4Addr::from(u32::from(a) & mask32(v4_prefix.min(32)));
            IpNetwork::new(net.into(), v4_prefix)
        }
        IpAddr::V6(a) => {
            let net = std::net::Ipv6Addr::from(u128::from(a) & mask128(v6_prefix.min(128)));
            IpNetwork::new(net.into(), v6_prefix)
        }
    };
    // A prefix longer than the address (refused by config validation): the address alone.
    net.unwrap_or_else(|_| IpNetwork::from(ip))
}

/// Who an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) vps: Option<usize>,
    pub(crate) customer: Option<usize>,
    pub(crate) in_inventory: bool,
}

/// The inventory index of the VPS a cell names as the one whose logs hold it (None: a directory
/// the inventory does not name, or a VPS it no longer lists). Cells carry names so that they mean
/// the same under any inventory; the index is looked up when they are aggregated.
pub(crate) fn observed_index(inv: &Inventory, observed: Option<&str>) -> Option<usize> {
    observed.and_then(|name| inv.vps_index(name))
}

/// The owner of `ip` observed in the logs of VPS directory `observed_vps`: the inventory holder
/// of the IP when there is one, else the VPS whose logs it came from.
pub(crate) fn owner_of(inv: &Inventory, ip: Option<IpAddr>, observed_vps: Option<usize>) -> Owner {
    if let Some(entry) = ip.and_then(|ip| inv.lookup(ip)) {
        return Owner {
            vps: Some(entry.vps),
            customer: Some(inv.vpses[entry.vps].customer),
            in_inventory: true,
        };
    }
    Owner {
        vps: observed_vps,
        customer: observed_vps.map(|v| inv.vpses[v].customer),
        in_inventory: false,
    }
}

/// Whose address a receiver's reply quotes, seen from the VPS whose logs hold the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tenancy {
    /// The observing VPS's own address, an address the inventory does not hold, or a line of a
    /// directory the inventory does not name (then only the IP can attribute it, as before).
    Own,
    /// An address of another VPS of the same customer.
    Sibling { holder: usize },
    /// An address of a VPS of another customer.
    OtherCustomer { holder: usize },
}

/// Directory levels below `--logs` at which a directory named after a hostname is that VPS:
/// `logs/<hostname>/` and `logs/<dir>/<hostname>/`.
pub(crate) const HOST_DIR_DEPTH: usize = 2;

/// Where the lines of a file in directories `dirs` (its first `HOST_DIR_DEPTH` levels below
/// `--logs`) belong: ingest routes by it while reading, and `resolve` routes a partial's
/// directories read without the inventory by the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirRoute {
    /// A VPS's own directory: by vps_id (the first level), else by hostname.
    Vps(usize),
    /// A directory the inventory does not name, and no `hostname` column: by IP only.
    Unknown,
    /// Any other directory of an inventory with hostnames: central syslog, line by line.
    Central,
}

pub(crate) fn route_dirs(inv: &Inventory, dirs: &[&str]) -> DirRoute {
    if let Some(v) = dirs.first().and_then(|d| inv.vps_index(d)) {
        return DirRoute::Vps(v);
    }
    if !inv.has_hostnames() {
        return DirRoute::Unknown;
    }
    dirs.iter()
        .take(HOST_DIR_DEPTH)
        .find_map(|dir| match inv.vps_by_hostname(dir) {
            hostname::HostMatch::Vps(v) => Some(DirRoute::Vps(v)),
            _ => None,
        })
        .unwrap_or(DirRoute::Central)
}

/// Reply text is written by whoever controls the observing VPS's log (its customer), so an
/// address it quotes may only be attributed within that customer (docs/security.md).
pub(crate) fn tenancy(inv: &Inventory, ip: IpAddr, observed_vps: Option<usize>) -> Tenancy {
    let (Some(observed), Some(entry)) = (observed_vps, inv.lookup(ip)) else {
        return Tenancy::Own;
    };
    let holder = entry.vps;
    if holder == observed {
        Tenancy::Own
    } else if inv.vpses[holder].customer == inv.vpses[observed].customer {
        Tenancy::Sibling { holder }
    } else {
        Tenancy::OtherCustomer { holder }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        assert_eq!(
            subnet("198.51.100.7".parse().unwrap(), 24, 64).to_string(),
            "198.51.100.0/24"
        );
        assert_eq!(
            subnet("2001:db8:10::25".parse().unwrap(), 24, 64).to_string(),
            "2001:db8:10::/64"
        );
        assert_eq!(
            subnet("2001:db8:10:5::25".parse().unwrap(), 24, 48).to_string(),
            "2001:db8:10::/48"
        );
    }

    #[test]
    fn quoted_addresses_stay_within_the_observing_customer() {
        let inv = Inventory::from_reader(
            std::path::Path::new("inv.csv"),
            "customer_id,customer_name,vps_id,ip\nc1,One,a1,198.51.100.7\nc1,One,a2,198.51.100.8\nc2,Two,b1,198.51.100.20\n"
                .as_bytes(),
        )
        .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let vps = |id: &str| inv.vpses.iter().position(|v| v.id == id);
        assert_eq!(tenancy(&inv, ip("198.51.100.7"), vps("a1")), Tenancy::Own);
        assert_eq!(tenancy(&inv, ip("192.0.2.1"), vps("a1")), Tenancy::Own);
        assert_eq!(tenancy(&inv, ip("198.51.100.20"), None), Tenancy::Own);
        assert_eq!(
            tenancy(&inv, ip("198.51.100.8"), vps("a1")),
            Tenancy::Sibling {
                holder: vps("a2").unwrap()
            }
        );
        assert_eq!(
            tenancy(&inv, ip("198.51.100.20"), vps("a1")),
            Tenancy::OtherCustomer {
                holder: vps("b1").unwrap()
            }
        );
    }
}
