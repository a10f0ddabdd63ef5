//! Shared by `explain` and `attest`: the IP or range they are about.

use crate::error::{Error, Result};
use ipnetwork::IpNetwork;

/// `198.51.100.7` or `198.51.100.0/24` (`::ffff:198.51.100.7` is the IPv4 address).
pub fn parse_target(text: &str) -> Result<IpNetwork> {
    let net: IpNetwork = text.parse().map_err(|_| {
        Error::Config(format!(
            "{text:?} is not an IP address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)"
        ))
    })?;
    let net = crate::attribute::inventory::unmapped(net);
    Ok(IpNetwork::new(net.network(), net.prefix()).unwrap_or(net))
}
