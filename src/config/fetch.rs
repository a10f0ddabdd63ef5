//! `snds fetch`'s options: the days bound (`values::SNDS_DAYS`), where the exports go (`--out`,
//! else `snds` in the `--config` file that `run` reads them from) and the server's base URL.

use super::file::ConfigFile;
use super::values::SNDS_DAYS;
use crate::error::{ConfigError, Result};
use std::path::PathBuf;

/// SNDS's automated-access endpoints live below this URL.
pub(crate) const DEFAULT_BASE_URL: &str = "https://sendersupport.olc.protection.outlook.com/snds/";

/// Days fetched without `--days`: SNDS publishes a day one to two days after it ends, so three
/// nights cover a day that came late and a night the fetch did not run.
pub(crate) const DEFAULT_FETCH_DAYS: u32 = 3;

/// `snds fetch`'s flags as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchOptions {
    pub(crate) config: Option<PathBuf>,
    pub(crate) key_file: PathBuf,
    pub(crate) out: Option<PathBuf>,
    pub(crate) days: Option<u64>,
    pub(crate) base_url: Option<String>,
    pub(crate) quiet: bool,
}

/// `snds fetch`'s options, checked.
#[derive(Debug, Clone)]
pub(crate) struct FetchConfig {
    /// The file holding the automated-access key (read by `snds_fetch::Key`).
    pub(crate) key_file: PathBuf,
    /// The SNDS directory the exports are written to.
    pub(crate) out: PathBuf,
    pub(crate) days: u32,
    /// Ends with `/`; `data.aspx` and `ipStatus.aspx` are appended.
    pub(crate) base_url: String,
    pub(crate) quiet: bool,
}

impl FetchConfig {
    pub(crate) fn build(o: FetchOptions) -> Result<FetchConfig> {
        let days = match o.days {
            Some(d) => SNDS_DAYS.flag(d)? as u32,
            None => DEFAULT_FETCH_DAYS,
        };
        let file_snds = match &o.config {
            Some(path) => ConfigFile::load(path)?.snds,
            None => None,
        };
        let out = o.out.or(file_snds).ok_or(ConfigError::SndsOutRequired)?;
        if out.exists() && !out.is_dir() {
            return Err(ConfigError::OutNotADirectory { out }.into());
        }
        let base_url = base_url(o.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        Ok(FetchConfig {
            key_file: o.key_file,
            out,
            days,
            base_url,
            quiet: o.quiet,
        })
    }
}

/// `https://host[:port]/path/` (a `/` is added). Plain `http://` only to this machine (a test
/// server, a local relay): elsewhere it would send the key in clear text.
fn base_url(url: &str) -> Result<String> {
    let bad = |problem| {
        Err(ConfigError::BaseUrl {
            url: url.to_string(),
            problem,
        }
        .into())
    };
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if let Some(rest) = url.strip_prefix("http://") {
        if !is_loopback(rest.split('/').next().unwrap_or("")) {
            return bad("plain http:// would send the SNDS key in clear text; use https:// (http:// only to this machine)");
        }
        rest
    } else {
        return bad("not an http(s) URL; give the directory of data.aspx and ipStatus.aspx, e.g. https://sendersupport.olc.protection.outlook.com/snds/");
    };
    if rest.split('/').next().unwrap_or("").is_empty() {
        return bad("no host name");
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("give the directory of data.aspx and ipStatus.aspx, without a query, fragment or spaces");
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// `127.0.0.1:8080`, `localhost`, `[::1]:80`: a host (and port) on this machine.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_and_end_with_a_slash() {
        assert_eq!(base_url(DEFAULT_BASE_URL).unwrap(), DEFAULT_BASE_URL);
        assert_eq!(
            base_url("https://snds.example/snds").unwrap(),
            "https://snds.example/snds/"
        );
        for local in [
            "http://127.0.0.1:8080/snds/",
            "http://localhost/",
            "http://[::1]:81/x/",
        ] {
            assert!(base_url(local).is_ok(), "{local}");
        }
        for bad in [
            "http://snds.example/snds/",
            "http://127.0.0.1.example/",
            "ftp://snds.example/",
            "sendersupport.olc.protection.outlook.com/snds/",
            "https:///snds/",
            "https://snds.example/snds/data.aspx?key=x",
            "https://snds.example/sn ds/",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_are_bounded_and_out_may_come_from_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("blockscope.toml");
        std::fs::write(&config, "snds = \"snds\"\n").unwrap();
        let o = FetchOptions {
            config: Some(config),
            ..FetchOptions::default()
        };
        let c = FetchConfig::build(o.clone()).unwrap();
        assert_eq!(
            c.out,
            dir.path().join("snds"),
            "relative to the config file"
        );
        assert_eq!(c.days, DEFAULT_FETCH_DAYS);
        let e = FetchConfig::build(FetchOptions {
            days: Some(91),
            ..o
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--days 91: must be between 1 and 90"), "{e}");
        let e = FetchConfig::build(FetchOptions::default()).unwrap_err();
        assert!(e.to_string().starts_with("--out DIR is required"), "{e}");
    }
}
