//! Checks of single option values, the same for every subcommand: number bounds, dates, the
//! zone, the delisting contact, `recipient_detail`, where `--out` really is and what must not
//! nest.

use crate::error::{ConfigError, Error, Result};
use std::path::{Path, PathBuf};

pub(super) fn parse_date(flag: &'static str, text: Option<&str>) -> Result<Option<i32>> {
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(crate::model::day::day_of_date)
            .map_err(|_| {
                Error::from(ConfigError::NotADate {
                    flag,
                    text: t.to_string(),
                })
            })
    })
    .transpose()
}

/// The allowed values of one number option, checked alike on the command line and in the
/// config file: an unchecked number once wrapped (`--days 4294967295` became an inverted window
/// that erased the state) or ran away (`--threads 100000` spawned threads for minutes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// The config file key (`history_days`); the flag is the same with `-` (`--history-days`).
    pub(crate) key: &'static str,
    pub(crate) min: u64,
    pub(crate) max: u64,
    /// What the number means, for the message.
    pub(crate) hint: &'static str,
}

/// Ten years of days: far beyond any report window or history, far below any overflow.
pub(crate) const MAX_DAYS: u64 = 3660;

pub(crate) const THREADS: Bounds = Bounds {
    key: "threads",
    min: 1,
    max: 1024,
    hint: "worker threads; leave it out to use every CPU",
};
pub(crate) const DAYS: Bounds = Bounds {
    key: "days",
    min: 1,
    max: MAX_DAYS,
    hint: "the report window in days; 1 is the latest day",
};
/// `snds fetch --days`: at most a quarter back (a gap that long is filled in one run).
pub(crate) const SNDS_DAYS: Bounds = Bounds {
    key: "days",
    min: 1,
    max: 90,
    hint: "days of SNDS IP data to fetch, counting back from yesterday in Pacific time",
};
pub(crate) const HISTORY_DAYS: Bounds = Bounds {
    key: "history_days",
    min: 1,
    max: MAX_DAYS,
    hint: "days of per-day data the state keeps for --days windows",
};
pub(crate) const KEEP: Bounds = Bounds {
    key: "keep",
    min: 0,
    max: 1000,
    hint: "previous report sets kept in <out>.archive/",
};
pub(crate) const IPV4_PREFIX: Bounds = Bounds {
    key: "ipv4_prefix",
    min: 8,
    max: 32,
    hint: "24 is the usual neighbourhood",
};
pub(crate) const IPV6_PREFIX: Bounds = Bounds {
    key: "ipv6_prefix",
    min: 16,
    max: 128,
    hint: "64 or 48 are usual",
};

/// `--dnsbl-concurrency`: DNS queries in flight at once, across all zones.
pub(crate) const DNSBL_CONCURRENCY: Bounds = Bounds {
    key: "dnsbl_concurrency",
    min: 1,
    max: 1024,
    hint: "DNS queries in flight at once; 32 suits a resolver on the same network",
};
/// `--dnsbl-rate`: queries per second sent to one zone.
pub(crate) const DNSBL_RATE: Bounds = Bounds {
    key: "dnsbl_rate",
    min: 1,
    max: 10_000,
    hint: "queries per second to each zone; lists limit free use, so keep it modest",
};
/// `--dnsbl-timeout`: seconds one try of a query may take.
pub(crate) const DNSBL_TIMEOUT: Bounds = Bounds {
    key: "dnsbl_timeout",
    min: 1,
    max: 30,
    hint: "seconds per try of one query",
};
/// `--dnsbl-attempts`: tries per query.
pub(crate) const DNSBL_ATTEMPTS: Bounds = Bounds {
    key: "dnsbl_attempts",
    min: 1,
    max: 5,
    hint: "tries per query; 1 is no retry",
};
/// `--dnsbl-max-range`: the largest inventory range looked up address by address.
pub(crate) const DNSBL_TTL: Bounds = Bounds {
    key: "dnsbl_ttl",
    min: 0,
    max: 72,
    hint: "hours a night's block-list answers are reused from the state; 0 asks every run",
};

/// `--case-quiet-nights`: nights without a block before a delisting case closes.
pub(crate) const CASE_QUIET_NIGHTS: Bounds = Bounds {
    key: "case_quiet_nights",
    min: 1,
    max: 60,
    hint: "nights without a block at the receiver before the run closes a delisting case",
};

pub(crate) const DNSBL_MAX_RANGE: Bounds = Bounds {
    key: "dnsbl_max_range",
    min: 16,
    max: 32,
    hint: "prefix length of the largest IPv4 range looked up address by address; 24 is a /24",
};

impl Bounds {
    fn flag_name(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// A value given on the command line.
    pub(crate) fn flag(&self, value: u64) -> Result<u64> {
        if (self.min..=self.max).contains(&value) {
            return Ok(value);
        }
        Err(ConfigError::FlagOutOfRange {
            flag: self.flag_name(),
            value,
            min: self.min,
            max: self.max,
            hint: self.hint,
        }
        .into())
    }

    /// A value written in the `--config` file.
    fn file(&self, value: i64, config: &Path) -> Result<u64> {
        match u64::try_from(value) {
            Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
            _ => Err(ConfigError::FileOutOfRange {
                key: self.key,
                value,
                config: config.to_path_buf(),
                min: self.min,
                max: self.max,
                hint: self.hint,
            }
            .into()),
        }
    }

    /// The flag (wins) or the config file's value, checked; None when neither is given.
    pub(super) fn pick(
        &self,
        flag: Option<u64>,
        file: Option<i64>,
        config: &Path,
    ) -> Result<Option<u64>> {
        match (flag, file) {
            (Some(v), _) => self.flag(v).map(Some),
            (None, Some(v)) => self.file(v, config).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// Every CPU, at most the `--threads` bound.
pub(super) fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(THREADS.max as usize)
}

/// `--delist-contact`: one plain address `local@host.domain`. It is pasted into delisting
/// portals and mails to receivers, so anything that is not exactly one address (a display name,
/// a second `@`, a line break, a bare host) is refused rather than sent on.
pub(crate) fn delist_contact(text: &str) -> Result<String> {
    if is_mailbox(text) {
        return Ok(text.to_string());
    }
    Err(ConfigError::NotAMailbox {
        text: text.to_string(),
    }
    .into())
}

fn is_mailbox(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    // RFC 5322 dot-atom for the local part (no quoted forms: portals reject them).
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let dot_atom =
        |s: &str| !s.is_empty() && s.split('.').all(|p| !p.is_empty() && p.chars().all(atext));
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    text.len() <= 254
        && local.len() <= 64
        && dot_atom(local)
        && domain.split('.').count() >= 2
        && domain.split('.').all(label)
}

/// Most `mail_to` recipients: a morning digest for the support team, not a mailing list.
const MAX_MAIL_TO: usize = 20;

/// `--mail-to` (which replaces the file's `mail_to`): 0 to 20 addresses, each a mailbox
/// (`noc@provider.example`) or a local name (`root`, `postmaster`) as cron's MAILTO takes.
/// Checked here because each becomes a `To:` header: no line breaks, commas or quoting.
pub(super) fn mail_to(flag: Vec<String>, file: Option<Vec<String>>) -> Result<Vec<String>> {
    let given = if flag.is_empty() {
        file.unwrap_or_default()
    } else {
        flag
    };
    if given.len() > MAX_MAIL_TO {
        return Err(ConfigError::MailTo {
            value: format!("{} addresses", given.len()),
            problem: "more than 20; mail a list address instead",
        }
        .into());
    }
    let local_name = |s: &str| {
        (1..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
            && !s.starts_with(['.', '-'])
    };
    given
        .into_iter()
        .map(|a| {
            let a = a.trim().to_string();
            if is_mailbox(&a) || local_name(&a) {
                Ok(a)
            } else {
                Err(ConfigError::MailTo {
                    value: a,
                    problem: "not an address; give one mailbox (noc@provider.example) or a local user name (root) per entry",
                }
                .into())
            }
        })
        .collect()
}

/// Longest name or contact accepted: a form field, not a letter.
const MAX_NAME: usize = 100;
/// Most sender domains accepted: the form takes one line.
const MAX_SENDER_DOMAINS: usize = 20;

/// `[provider] name`/`contact`: one line of plain text that a form field takes.
fn provider_text(key: &'static str, value: String) -> Result<String> {
    let problem = if value.trim().is_empty() {
        "empty; leave the key out instead"
    } else if value.chars().count() > MAX_NAME {
        "longer than 100 characters"
    } else if value.chars().any(char::is_control) {
        "holds a line break or control character; write one line"
    } else {
        return Ok(value.trim().to_string());
    };
    Err(ConfigError::Provider {
        key,
        value,
        problem,
    }
    .into())
}

/// `[provider] sender_domains`: 1 to 20 host names (`provider.example`), lower-cased.
fn sender_domains(domains: Vec<String>) -> Result<Vec<String>> {
    let bad = |value: String, problem| {
        Err(ConfigError::Provider {
            key: "sender_domains",
            value,
            problem,
        }
        .into())
    };
    if domains.is_empty() || domains.len() > MAX_SENDER_DOMAINS {
        return bad(
            format!("{} domain(s)", domains.len()),
            "give 1 to 20 domains, e.g. [\"provider.example\"]",
        );
    }
    let mut out = Vec::new();
    for d in domains {
        if !is_mailbox(&format!("x@{d}")) {
            return bad(d, "not a domain name; write it as provider.example");
        }
        out.push(d.to_ascii_lowercase());
    }
    Ok(out)
}

/// The provider's identity: the `[provider]` table checked, its email from `--delist-contact`
/// (wins), `[provider] email` or the older top-level `delist_contact` (one of the two).
pub(super) fn provider(
    table: Option<super::file::ProviderFile>,
    flag: Option<String>,
    top: Option<String>,
) -> Result<crate::model::Provider> {
    let table = table.unwrap_or_default();
    let file_email = match (top, table.email) {
        (Some(top), Some(table)) if top != table => {
            return Err(ConfigError::ProviderEmailTwice { top, table }.into())
        }
        (top, table) => table.or(top),
    };
    let email = match (flag, file_email) {
        (Some(f), _) => Some(delist_contact(&f)?),
        (None, Some(e)) if is_mailbox(&e) => Some(e),
        (None, Some(e)) => {
            return Err(ConfigError::Provider {
                key: "email",
                value: e,
                problem: "not a mail address; give the provider's own mailbox as local@domain, e.g. abuse@provider.example",
            }
            .into())
        }
        (None, None) => None,
    };
    Ok(crate::model::Provider {
        name: table.name.map(|v| provider_text("name", v)).transpose()?,
        contact: table
            .contact
            .map(|v| provider_text("contact", v))
            .transpose()?,
        email,
        sender_domains: table
            .sender_domains
            .map(sender_domains)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// `--out` as the one real path. A symlink is followed here, once: the lock, the staging
/// directory and the archive then sit beside the directory it points to, so a run through the
/// symlink and a run through the real path meet the same lock, and the swap replaces the
/// directory, never the symlink.
pub(crate) fn resolve_out(out: &Path) -> Result<PathBuf> {
    let is_link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return std::fs::canonicalize(out).map_err(|error| {
            Error::from(ConfigError::DanglingOut {
                out: out.to_path_buf(),
                error,
            })
        });
    }
    real_path(out).ok_or_else(|| {
        Error::from(ConfigError::UnresolvableOut {
            out: out.to_path_buf(),
        })
    })
}

/// `path` with its longest existing ancestor canonicalised (the rest may not exist yet).
fn real_path(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    for ancestor in absolute.ancestors() {
        if let Ok(real) = std::fs::canonicalize(ancestor) {
            let rest = absolute.strip_prefix(ancestor).ok()?;
            return Some(real.join(rest));
        }
    }
    None
}

/// Directories that must not nest: reports written into `--logs` would be read as logs by the
/// next run; logs (or the state) inside `--out` would be swapped away with the old reports.
pub(super) fn check_placement(logs: &Path, out: &Path, state: Option<&Path>) -> Result<()> {
    let logs_real = real_path(logs).unwrap_or_else(|| logs.to_path_buf());
    if out.starts_with(&logs_real) {
        return Err(ConfigError::OutInsideLogs {
            out: out.to_path_buf(),
            logs: logs_real,
        }
        .into());
    }
    if logs_real.starts_with(out) {
        return Err(ConfigError::LogsInsideOut {
            logs: logs_real,
            out: out.to_path_buf(),
        }
        .into());
    }
    if let Some(state) = state.and_then(real_path) {
        if state.starts_with(out) || state.starts_with(&logs_real) {
            return Err(ConfigError::StateInsideOutOrLogs { state }.into());
        }
    }
    Ok(())
}

/// `recipient_detail` in the config file (the flag's values are checked by clap); domain by
/// default.
pub(super) fn recipient_detail(file: Option<&str>) -> Result<crate::model::RecipientDetail> {
    use crate::model::RecipientDetail;
    match file {
        None | Some("domain") => Ok(RecipientDetail::Domain),
        Some("full") => Ok(RecipientDetail::Full),
        Some(other) => Err(ConfigError::RecipientDetail {
            value: other.to_string(),
        }
        .into()),
    }
}

/// An IANA zone name (`Europe/Berlin`, `UTC`).
pub(crate) fn parse_tz(name: Option<&str>) -> Result<Option<chrono_tz::Tz>> {
    name.map(|n| {
        n.parse::<chrono_tz::Tz>().map_err(|_| {
            Error::from(ConfigError::NotAZone {
                name: n.to_string(),
            })
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_the_flag_or_the_config_key_and_the_range() {
        let e = DAYS.flag(4_294_967_295).unwrap_err().to_string();
        assert!(
            e.starts_with("--days 4294967295: must be between 1 and 3660"),
            "{e}"
        );
        let e = HISTORY_DAYS
            .file(-1, Path::new("/etc/b.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("history_days = -1 in --config /etc/b.toml: must be between 1 and 3660"),
            "{e}"
        );
        assert_eq!(KEEP.flag(0).unwrap(), 0);
        assert_eq!(THREADS.flag(1024).unwrap(), 1024);
        assert!(THREADS.flag(1025).is_err() && THREADS.flag(0).is_err());
        // The flag wins over the file, and is the one checked.
        let cfg = Path::new("c.toml");
        assert_eq!(
            IPV4_PREFIX.pick(Some(24), Some(300), cfg).unwrap(),
            Some(24)
        );
        assert!(IPV4_PREFIX.pick(None, Some(300), cfg).is_err());
        assert_eq!(IPV4_PREFIX.pick(None, None, cfg).unwrap(), None);
    }

    #[test]
    fn the_default_thread_count_stays_in_bounds() {
        let n = default_threads();
        assert!((1..=THREADS.max as usize).contains(&n));
    }

    #[test]
    fn a_delist_contact_is_one_plain_address() {
        for good in [
            "abuse@provider.example",
            "a.b+c@mx.provider.example",
            "x@a-b.co",
        ] {
            assert!(is_mailbox(good), "{good}");
        }
        for bad in [
            "",
            "@",
            "abuse",
            "abuse@",
            "@provider.example",
            "a@b@provider.example",
            "abuse@provider",
            "abuse@provider..example",
            "abuse@-provider.example",
            ".abuse@provider.example",
            "ab..use@provider.example",
            "Abuse <abuse@provider.example>",
            "abuse@provider.example\n",
            "abuse@provider.example\nBcc: x@y.example",
            "\"x y\"@provider.example",
        ] {
            assert!(!is_mailbox(bad), "{bad:?}");
        }
    }

    #[test]
    fn out_resolves_through_a_symlink_and_nonexistent_tails() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let canon = std::fs::canonicalize(&real).unwrap();
        assert_eq!(resolve_out(&dir.path().join("link")).unwrap(), canon);
        assert_eq!(
            resolve_out(&dir.path().join("link/new/reports")).unwrap(),
            canon.join("new/reports")
        );
        std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling")).unwrap();
        assert!(resolve_out(&dir.path().join("dangling")).is_err());
    }
}
