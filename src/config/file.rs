//! The `--config` file: the same options as the command line, read wide so that every value
//! gets the flag's check and message (see `values::Bounds`).

use crate::error::{ConfigError, Error, Result};
use std::path::{Path, PathBuf};

/// The `--config` file: the same options as the command line (flags win).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfigFile {
    pub(super) logs: Option<PathBuf>,
    pub(super) inventory: Option<PathBuf>,
    pub(super) out: Option<PathBuf>,
    pub(super) rules: Option<PathBuf>,
    pub(super) snds: Option<PathBuf>,
    pub(super) lenient: Option<bool>,
    pub(super) delist_contact: Option<String>,
    pub(super) metrics: Option<PathBuf>,
    /// `--templates`: the provider's own report texts.
    pub(super) templates: Option<PathBuf>,
    pub(super) state: Option<PathBuf>,
    // Numbers are read wide (and signed) so that any value written gets the same "must be
    // between" message as the flag, instead of a type error.
    pub(super) keep: Option<i64>,
    pub(super) tz: Option<String>,
    pub(super) threads: Option<i64>,
    pub(super) ipv4_prefix: Option<i64>,
    pub(super) ipv6_prefix: Option<i64>,
    pub(super) days: Option<i64>,
    pub(super) history_days: Option<i64>,
    pub(super) recipient_detail: Option<String>,
    /// `mail_to`: one address or a list.
    pub(super) mail_to: Option<OneOrMany>,
    /// `[provider]`: who files the delisting requests.
    pub(super) provider: Option<ProviderFile>,
    /// `dnsbl = ["zen.spamhaus.org", ...]`: the DNS block lists to ask (`--zones`).
    pub(super) dnsbl: Option<OneOrMany>,
    /// `resolver = "IP[:PORT]"`: the provider's recursive resolver, the only one asked.
    pub(super) resolver: Option<String>,
    pub(super) dnsbl_dqs_key_file: Option<PathBuf>,
    pub(super) dnsbl_concurrency: Option<i64>,
    pub(super) dnsbl_rate: Option<i64>,
    pub(super) dnsbl_timeout: Option<i64>,
    pub(super) dnsbl_attempts: Option<i64>,
    pub(super) dnsbl_max_range: Option<i64>,
    pub(super) dnsbl_ttl: Option<i64>,
    /// `case_quiet_nights`: nights without a block before a delisting case closes.
    pub(super) case_quiet_nights: Option<i64>,
}

/// A key that takes one string or a list of them (`mail_to = "root"`, `mail_to = ["a@b.example"]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// The `[provider]` table as written; `values::provider` checks it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProviderFile {
    pub(super) name: Option<String>,
    pub(super) contact: Option<String>,
    pub(super) email: Option<String>,
    pub(super) sender_domains: Option<Vec<String>>,
}

impl ConfigFile {
    pub(super) fn load(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::ReadFile {
            path: path.to_path_buf(),
            error,
        })?;
        let mut file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            ConfigError::FileSyntax {
                name: path.display().to_string(),
                line,
                message: e.message().to_string(),
            }
        })?;
        // Relative paths are relative to the config file, not to cron's working directory.
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut file.logs,
            &mut file.inventory,
            &mut file.out,
            &mut file.rules,
            &mut file.snds,
            &mut file.metrics,
            &mut file.state,
            &mut file.templates,
            &mut file.dnsbl_dqs_key_file,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(file)
    }
}

/// Check a `--config` file's text (syntax and option names) without touching the file system.
pub fn check_config_text(name: &str, text: &str) -> Result<()> {
    toml::from_str::<ConfigFile>(text).map(|_| ()).map_err(|e| {
        Error::from(ConfigError::TextSyntax {
            name: name.to_string(),
            message: e.message().to_string(),
        })
    })
}
