//! `dnsbl`'s options: the zones (`--zones`, `dnsbl` in the config file), the resolver (required:
//! no silent fallback to /etc/resolv.conf), the Spamhaus DQS key file and the bounds of the
//! lookups (`values::DNSBL_*`). The same keys are what `run` reads for its lookups.

use super::file::ConfigFile;
use super::values::{
    DNSBL_ATTEMPTS, DNSBL_CONCURRENCY, DNSBL_MAX_RANGE, DNSBL_RATE, DNSBL_TIMEOUT,
};
use crate::dnsbl::{DqsKey, Settings, Zone};
use crate::error::{ConfigError, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Defaults: 32 in flight and 500 queries a second per zone look up 100,000 addresses in about
/// 3.5 minutes per zone (zones run side by side), far below what a recursive resolver takes.
pub(crate) const DEFAULT_CONCURRENCY: u64 = 32;
pub(crate) const DEFAULT_RATE: u64 = 500;
/// DNSBL servers answer in milliseconds; a list that takes seconds is failing.
pub(crate) const DEFAULT_TIMEOUT: u64 = 3;
pub(crate) const DEFAULT_ATTEMPTS: u64 = 2;
pub(crate) const DEFAULT_MAX_RANGE: u64 = 24;

/// `dnsbl`'s flags as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct DnsblOptions {
    pub(crate) config: Option<PathBuf>,
    pub(crate) inventory: Option<PathBuf>,
    pub(crate) zones: Vec<String>,
    pub(crate) resolver: Option<String>,
    pub(crate) dqs_key_file: Option<PathBuf>,
    pub(crate) concurrency: Option<u64>,
    pub(crate) rate: Option<u64>,
    pub(crate) timeout: Option<u64>,
    pub(crate) attempts: Option<u64>,
    pub(crate) max_range: Option<u64>,
    pub(crate) quiet: bool,
}

/// `dnsbl`'s options, checked; the DQS key read.
#[derive(Debug, Clone)]
pub(crate) struct DnsblConfig {
    pub(crate) inventory: PathBuf,
    pub(crate) settings: Settings,
    /// `--dnsbl-max-range`: IPv4 prefix length of the largest range looked up.
    pub(crate) max_range: u8,
    pub(crate) quiet: bool,
}

impl DnsblConfig {
    pub(crate) fn build(o: DnsblOptions) -> Result<DnsblConfig> {
        let (file, path) = match &o.config {
            Some(path) => (ConfigFile::load(path)?, path.clone()),
            None => (ConfigFile::default(), PathBuf::new()),
        };
        let inventory = o.inventory.clone().or(file.inventory.clone()).ok_or(
            ConfigError::RequiredFlagOrKey {
                name: "inventory",
                what: "FILE",
            },
        )?;
        if !inventory.is_file() {
            return Err(ConfigError::NoInventory { inventory }.into());
        }
        let (settings, max_range) = settings(o.clone(), &file, &path)?;
        Ok(DnsblConfig {
            inventory,
            settings,
            max_range,
            quiet: o.quiet,
        })
    }
}

/// The lookups' settings from flags and the config file (flags win): zones, the resolver
/// (required), the DQS key, the bounds. Shared by `dnsbl` and `run`'s `--dnsbl`.
pub(crate) fn settings(
    o: DnsblOptions,
    file: &ConfigFile,
    path: &std::path::Path,
) -> Result<(Settings, u8)> {
    let key_file = o.dqs_key_file.or(file.dnsbl_dqs_key_file.clone());
    let dqs_key = key_file.as_deref().map(DqsKey::read).transpose()?;
    let names = if o.zones.is_empty() {
        file.dnsbl.clone().map(|z| z.into_vec()).unwrap_or_default()
    } else {
        o.zones
    };
    let zones = zones(&names, dqs_key.is_some())?;
    let resolver = o
        .resolver
        .or(file.resolver.clone())
        .ok_or(ConfigError::ResolverRequired)?;
    let number = |bounds: &super::values::Bounds, flag, file, default| -> Result<u64> {
        Ok(bounds.pick(flag, file, path)?.unwrap_or(default))
    };
    let settings = Settings {
        zones,
        resolver: resolver_address(&resolver)?,
        dqs_key,
        concurrency: number(
            &DNSBL_CONCURRENCY,
            o.concurrency,
            file.dnsbl_concurrency,
            DEFAULT_CONCURRENCY,
        )? as usize,
        rate: number(&DNSBL_RATE, o.rate, file.dnsbl_rate, DEFAULT_RATE)? as u32,
        timeout: Duration::from_secs(number(
            &DNSBL_TIMEOUT,
            o.timeout,
            file.dnsbl_timeout,
            DEFAULT_TIMEOUT,
        )?),
        attempts: number(
            &DNSBL_ATTEMPTS,
            o.attempts,
            file.dnsbl_attempts,
            DEFAULT_ATTEMPTS,
        )? as usize,
    };
    let max_range = number(
        &DNSBL_MAX_RANGE,
        o.max_range,
        file.dnsbl_max_range,
        DEFAULT_MAX_RANGE,
    )? as u8;
    Ok((settings, max_range))
}

/// `run`'s lookups: None unless zones are named (`--dnsbl` or `dnsbl` in the config file).
pub(crate) fn for_run(
    o: &super::Options,
    file: &ConfigFile,
    path: &std::path::Path,
) -> Result<Option<RunLookups>> {
    let named = !o.dnsbl.is_empty() || file.dnsbl.is_some();
    if !named {
        return Ok(None);
    }
    let options = DnsblOptions {
        zones: o.dnsbl.clone(),
        resolver: o.resolver.clone(),
        ..DnsblOptions::default()
    };
    let (settings, max_range) = settings(options, file, path)?;
    let hours = super::values::DNSBL_TTL
        .pick(o.dnsbl_ttl, file.dnsbl_ttl, path)?
        .unwrap_or(DEFAULT_TTL_HOURS);
    Ok(Some(RunLookups {
        settings,
        max_range,
        ttl_secs: hours as i64 * 3600,
    }))
}

/// Hours the night's answers are reused from the state (`--dnsbl-ttl`): a re-run the same
/// night asks nothing again; the next night asks afresh.
pub(crate) const DEFAULT_TTL_HOURS: u64 = 12;

/// `run`'s DNS block-list lookups, checked.
#[derive(Debug, Clone)]
pub(crate) struct RunLookups {
    pub(crate) settings: Settings,
    pub(crate) max_range: u8,
    /// 0: no cache.
    pub(crate) ttl_secs: i64,
}

/// The zones named (`zen.spamhaus.org,bl.spamcop.net`), each once, in the order given.
fn zones(names: &[String], with_key: bool) -> Result<Vec<Zone>> {
    let mut zones: Vec<Zone> = Vec::new();
    for name in names
        .iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.trim().is_empty())
    {
        let zone = crate::dnsbl::zone(name).ok_or_else(|| ConfigError::DnsblZone {
            zone: name.to_string(),
        })?;
        // `zen.dq.spamhaus.net` is the DQS form of zen: it only answers with a key in front.
        let asked_dqs = zone.dqs.as_deref()
            == Some(
                name.trim()
                    .trim_end_matches('.')
                    .to_ascii_lowercase()
                    .as_str(),
            );
        if asked_dqs && !with_key {
            return Err(ConfigError::DqsKeyRequired {
                zone: name.to_string(),
                public: zone.name,
            }
            .into());
        }
        if !zones.iter().any(|z| z.name == zone.name) {
            zones.push(zone);
        }
    }
    if zones.is_empty() {
        return Err(ConfigError::DnsblZonesRequired.into());
    }
    Ok(zones)
}

/// `192.0.2.53`, `192.0.2.53:5353`, `2001:db8::53`, `[2001:db8::53]:53`: port 53 unless given.
fn resolver_address(text: &str) -> Result<SocketAddr> {
    let t = text.trim();
    let parsed = t
        .parse::<SocketAddr>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)));
    match parsed {
        Some(addr) if addr.port() != 0 && !addr.ip().is_unspecified() => Ok(addr),
        _ => Err(ConfigError::ResolverAddress {
            text: text.to_string(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(config: &str) -> (tempfile::TempDir, DnsblOptions) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("inventory.csv"),
            "customer_id,customer_name,vps_id,ip\nc1,One,v1,198.51.100.7\n",
        )
        .unwrap();
        let path = dir.path().join("blockscope.toml");
        std::fs::write(&path, config).unwrap();
        let o = DnsblOptions {
            config: Some(path),
            ..DnsblOptions::default()
        };
        (dir, o)
    }

    #[test]
    fn the_config_file_gives_zones_resolver_and_bounds() {
        let (_d, o) = setup("inventory = \"inventory.csv\"\ndnsbl = [\"zen.spamhaus.org\", \"bl.spamcop.net\", \"ZEN.spamhaus.org.\"]\nresolver = \"[::1]:5353\"\ndnsbl_rate = 20\n");
        let c = DnsblConfig::build(o.clone()).unwrap();
        let names: Vec<&str> = c.settings.zones.iter().map(|z| z.name.as_str()).collect();
        assert_eq!(names, ["zen.spamhaus.org", "bl.spamcop.net"]);
        assert_eq!(c.settings.resolver, "[::1]:5353".parse().unwrap());
        assert_eq!(
            (c.settings.rate, c.settings.concurrency, c.max_range),
            (20, 32, 24)
        );
        assert_eq!(c.settings.timeout, Duration::from_secs(3));
        // Flags win over the file.
        let c = DnsblConfig::build(DnsblOptions {
            zones: vec!["psbl.surriel.com".into()],
            resolver: Some("127.0.0.1".into()),
            ..o
        })
        .unwrap();
        assert_eq!(c.settings.zones[0].name, "psbl.surriel.com");
        assert_eq!(c.settings.resolver, "127.0.0.1:53".parse().unwrap());
    }

    #[test]
    fn resolver_zones_and_numbers_are_checked() {
        let (_d, o) = setup("inventory = \"inventory.csv\"\n");
        let err = |o: DnsblOptions| DnsblConfig::build(o).unwrap_err().to_string();
        let with = |zones: &str, resolver: &str| DnsblOptions {
            zones: vec![zones.into()],
            resolver: Some(resolver.into()),
            ..o.clone()
        };
        assert!(err(o.clone()).starts_with("--zones ZONE[,ZONE...] is required"));
        let e = err(with("zen.spamhaus.org", "").clone());
        assert!(e.contains("not an IP address"), "{e}");
        let e = err(DnsblOptions {
            resolver: None,
            ..with("zen.spamhaus.org", "x")
        });
        assert!(
            e.starts_with("--resolver IP[:PORT] is required") && e.contains("resolv.conf"),
            "{e}"
        );
        for bad in [
            "resolver.provider.example",
            "0.0.0.0",
            "192.0.2.53:0",
            "192.0.2.53:99999",
        ] {
            assert!(
                err(with("zen.spamhaus.org", bad)).contains("not an IP address"),
                "{bad}"
            );
        }
        assert!(err(with("zen..spamhaus.org", "192.0.2.53")).contains("not a DNS zone name"));
        let e = err(with("zen.dq.spamhaus.net", "192.0.2.53"));
        assert!(
            e.contains("needs the key") && e.contains("zen.spamhaus.org"),
            "{e}"
        );
        let e = err(DnsblOptions {
            concurrency: Some(0),
            ..with("bl.spamcop.net", "192.0.2.53")
        });
        assert!(
            e.starts_with("--dnsbl-concurrency 0: must be between 1 and 1024"),
            "{e}"
        );
        let e = err(DnsblOptions {
            max_range: Some(8),
            ..with("bl.spamcop.net", "192.0.2.53")
        });
        assert!(
            e.starts_with("--dnsbl-max-range 8: must be between 16 and 32"),
            "{e}"
        );
    }
}
