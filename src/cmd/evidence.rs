//! Shared plumbing for commands that analyse the logs without writing a report set.

use crate::cli::EvidenceArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use ipnetwork::IpNetwork;

/// A `Config` for analysis (no report directory is written).
pub fn evidence_config(args: &EvidenceArgs) -> Result<Config> {
    let logs = args
        .logs
        .clone()
        .ok_or_else(|| Error::Config("--logs DIR is needed for the evidence".into()))?;
    if !logs.is_dir() {
        return Err(Error::Config(format!(
            "--logs {}: not a directory",
            logs.display()
        )));
    }
    let threads = crate::config::threads(args.threads)?;
    Ok(Config {
        logs,
        inventory: args.inventory.clone(),
        rules: args.rules.clone(),
        snds: args.snds.clone(),
        tz: crate::config::parse_tz(args.tz.as_deref())?,
        threads,
        ..Config::for_analysis()
    })
}

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
