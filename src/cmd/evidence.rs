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
    let threads = match args.threads {
        Some(0) => return Err(Error::Config("--threads 0: give at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(Config {
        logs,
        inventory: args.inventory.clone(),
        out: std::path::PathBuf::new(),
        rules: args.rules.clone(),
        snds: args.snds.clone(),
        lenient: true,
        delist_contact: None,
        metrics: None,
        state: None,
        rebuild_state: false,
        full: true,
        recipients: Default::default(),
        window: Default::default(),
        history_days: crate::config::DEFAULT_HISTORY_DAYS,
        keep: 0,
        tz: crate::config::parse_tz(args.tz.as_deref())?,
        threads,
        ipv4_prefix: 24,
        ipv6_prefix: 64,
        quiet: true,
        json_log: false,
    })
}

/// `198.51.100.7` or `198.51.100.0/24`.
pub fn parse_target(text: &str) -> Result<IpNetwork> {
    let net: IpNetwork = text.parse().map_err(|_| {
        Error::Config(format!(
            "{text:?} is not an IP address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)"
        ))
    })?;
    Ok(IpNetwork::new(net.network(), net.prefix()).unwrap_or(net))
}
