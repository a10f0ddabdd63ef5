//! Addresses and ranges: one given by a person or a mail (`parse_target`), and merging them into
//! the minimal CIDR set (delisting forms, attestations, SNDS).

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `198.51.100.7` or `198.51.100.0/24` (`::ffff:198.51.100.7` is the IPv4 address).
pub(crate) fn parse_target(text: &str) -> crate::error::Result<IpNetwork> {
    let net: IpNetwork = text.parse().map_err(|_| {
        crate::error::Error::Config(format!(
            "{text:?} is not an IP address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)"
        ))
    })?;
    let net = super::inventory::unmapped(net);
    Ok(IpNetwork::new(net.network(), net.prefix()).unwrap_or(net))
}

/// The minimal set of CIDR blocks covering the inclusive IPv4 range `first..=last`.
pub(crate) fn range_to_cidrs(first: Ipv4Addr, last: Ipv4Addr) -> Vec<Ipv4Network> {
    split(
        u128::from(u32::from(first)),
        u128::from(u32::from(last)),
        32,
    )
    .into_iter()
    .map(|(start, prefix)| {
        Ipv4Network::new(Ipv4Addr::from(start as u32), prefix).expect("prefix <= 32")
    })
    .collect()
}

/// The minimal CIDR blocks covering the inclusive range `first..=last` of one family (`v6`),
/// addresses given as integers.
pub(crate) fn span_to_networks(first: u128, last: u128, v6: bool) -> Vec<IpNetwork> {
    let bits = if v6 { 128 } else { 32 };
    split(first, last, bits)
        .into_iter()
        .map(|(start, prefix)| {
            let ip = if v6 {
                IpAddr::V6(Ipv6Addr::from(start))
            } else {
                IpAddr::V4(Ipv4Addr::from(start as u32))
            };
            IpNetwork::new(ip, prefix).expect("prefix within the family")
        })
        .collect()
}

/// The last address of the block of 2^`size_log` addresses at `start`, None past the address
/// space. (`1u128 << 128` does not exist: the whole IPv6 space, `::/0`, is the one block of
/// that size; a plain shift panicked in debug builds and made `::/64` into `::/0` in release.)
fn block_last(start: u128, size_log: u32) -> Option<u128> {
    match 1u128.checked_shl(size_log) {
        Some(size) => start.checked_add(size - 1),
        None => (start == 0).then_some(u128::MAX),
    }
}

/// Aligned blocks (start, prefix) covering `start..=end` in a `bits`-wide address space.
fn split(mut start: u128, end: u128, bits: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    loop {
        // Largest block aligned at `start` that does not pass `end`.
        let mut size_log = if start == 0 {
            bits
        } else {
            start.trailing_zeros().min(bits)
        };
        while size_log > 0 && block_last(start, size_log).is_none_or(|last| last > end) {
            size_log -= 1;
        }
        out.push((start, (bits - size_log) as u8));
        let Some(next) = 1u128
            .checked_shl(size_log)
            .and_then(|size| start.checked_add(size))
        else {
            break;
        };
        if size_log == bits || next > end {
            break;
        }
        start = next;
    }
    out
}

/// Merge addresses and networks (overlapping or adjacent) into the fewest CIDRs, IPv4 first.
pub(crate) fn merge(networks: impl IntoIterator<Item = IpNetwork>) -> Vec<IpNetwork> {
    // Inclusive (first, last) address ranges per family.
    let mut v4: Vec<(u128, u128)> = Vec::new();
    let mut v6: Vec<(u128, u128)> = Vec::new();
    for n in networks {
        match n {
            IpNetwork::V4(n) => v4.push((
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            )),
            IpNetwork::V6(n) => {
                let start = u128::from(n.network());
                let host_bits = 128 - u32::from(n.prefix());
                let end = if host_bits == 128 {
                    u128::MAX
                } else {
                    start | ((1u128 << host_bits) - 1)
                };
                v6.push((start, end));
            }
        }
    }
    let mut out = Vec::new();
    for (ranges, bits) in [(&mut v4, 32u32), (&mut v6, 128)] {
        ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::new();
        for &(s, e) in ranges.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            for (start, prefix) in split(s, e, bits) {
                out.push(if bits == 32 {
                    IpNetwork::V4(
                        Ipv4Network::new(Ipv4Addr::from(start as u32), prefix).expect("valid"),
                    )
                } else {
                    IpNetwork::V6(Ipv6Network::new(Ipv6Addr::from(start), prefix).expect("valid"))
                });
            }
        }
    }
    out
}

/// Single addresses as host networks (`/32`, `/128`).
pub(crate) fn host(ip: IpAddr) -> IpNetwork {
    IpNetwork::new(ip, if ip.is_ipv4() { 32 } else { 128 }).expect("host prefix is valid")
}

/// `a/32` and `b/128` printed as bare addresses, ranges as CIDRs, joined for Microsoft's forms.
pub(crate) fn form_list(networks: &[IpNetwork]) -> String {
    networks
        .iter()
        .map(|n| {
            if n.prefix() == if n.is_ipv4() { 32 } else { 128 } {
                n.ip().to_string()
            } else {
                n.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNetwork> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn blocks_at_the_start_of_the_ipv6_space() {
        assert_eq!(split(0, (1u128 << 64) - 1, 128), [(0, 64)]);
        assert_eq!(split(0, u128::MAX, 128), [(0, 0)]);
        assert_eq!(split(0, 0, 32), [(0, 32)]);
        let m = merge(nets(&["::/64"]));
        assert_eq!(m, nets(&["::/64"]));
    }

    #[test]
    fn merging() {
        let m = merge(nets(&[
            "198.51.100.0/25",
            "198.51.100.128/25",
            "203.0.113.7/32",
            "203.0.113.6/32",
            "2001:db8::/65",
            "2001:db8::8000:0:0:0/65",
        ]));
        assert_eq!(
            form_list(&m),
            "198.51.100.0/24; 203.0.113.6/31; 2001:db8::/64"
        );
        let m = merge(nets(&["192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32"]));
        assert_eq!(form_list(&m), "192.0.2.1; 192.0.2.2/31");
        assert_eq!(
            form_list(&merge(nets(&["0.0.0.0/0", "10.0.0.0/8"]))),
            "0.0.0.0/0"
        );
    }

    #[test]
    fn ranges() {
        let c = |a: &str, b: &str| {
            range_to_cidrs(a.parse().unwrap(), b.parse().unwrap())
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(c("198.51.100.0", "198.51.100.255"), ["198.51.100.0/24"]);
        assert_eq!(
            c("203.0.113.67", "203.0.113.77"),
            [
                "203.0.113.67/32",
                "203.0.113.68/30",
                "203.0.113.72/30",
                "203.0.113.76/31"
            ]
        );
        assert_eq!(c("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
        assert_eq!(
            c("255.255.255.255", "255.255.255.255"),
            ["255.255.255.255/32"]
        );
    }
}
