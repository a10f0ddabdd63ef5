//! Validated run configuration: plain data, no clap types.

use crate::error::{ConfigError, Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Config {
    /// `--logs` (empty when a subcommand runs without logs).
    pub logs: PathBuf,
    /// `report --partials`.
    pub partials: Option<String>,
    pub inventory: PathBuf,
    pub out: PathBuf,
    /// A provider's rule file applied over the built-in catalogue.
    pub rules: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports.
    pub snds: Option<PathBuf>,
    /// Skip and count malformed SNDS rows instead of stopping.
    pub lenient: bool,
    /// The provider's own address for delisting portals' confirmation mails.
    pub delist_contact: Option<String>,
    /// Prometheus textfile to write after a successful run.
    pub metrics: Option<PathBuf>,
    /// State between runs.
    pub state: Option<PathBuf>,
    /// Previous report sets to keep in `<out>.archive/`.
    pub keep: usize,
    /// Zone of zone-less log timestamps (None: UTC).
    pub tz: Option<chrono_tz::Tz>,
    pub rebuild_state: bool,
    /// Re-read every log from its start, ignoring what earlier runs read (needs `--state` to matter).
    pub full: bool,
    /// Which days the reports cover.
    pub window: WindowSpec,
    /// Recipient addresses in reports: domain only unless asked.
    pub recipients: crate::aggregate::RecipientDetail,
    /// Days of per-day data the state keeps for later windows.
    pub history_days: u32,
    pub threads: usize,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub quiet: bool,
    /// The run summary as JSON lines instead of text.
    pub json_log: bool,
}

/// The report window asked for; calendar days (days since 1970-01-01) in the provider's zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSpec {
    pub since: Option<i32>,
    pub until: Option<i32>,
    pub days: Option<u32>,
}

impl WindowSpec {
    /// No dates given: the window is what is new since the last run (or everything, without a state).
    pub fn is_default(&self) -> bool {
        *self == WindowSpec::default()
    }
}

/// What a subcommand's command line gave, as plain data, before the `--config` file is merged
/// and anything is checked. `cli.rs` fills it from any subcommand's flags; `Config::build` is
/// the one path from it to a `Config`, so a value gets the same check and message whichever
/// subcommand it was given to.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--config FILE` (run, check-config).
    pub config: Option<PathBuf>,
    pub logs: Option<PathBuf>,
    /// `report --partials`: a directory, one file or a glob.
    pub partials: Option<String>,
    pub inventory: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub snds: Option<PathBuf>,
    pub lenient: bool,
    pub delist_contact: Option<String>,
    pub metrics: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub rebuild_state: bool,
    pub full: bool,
    pub recipients: Option<crate::aggregate::RecipientDetail>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub days: Option<u64>,
    pub history_days: Option<u64>,
    pub tz: Option<String>,
    pub keep: Option<u64>,
    pub threads: Option<u64>,
    pub ipv4_prefix: Option<u64>,
    pub ipv6_prefix: Option<u64>,
    pub quiet: bool,
    pub json_log: bool,
}

/// The subcommand a `Config` is built for. The checks of a value are the same for every
/// subcommand; only what is required and a few defaults differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `run` and `check-config`: logs, inventory and a report directory.
    Run,
    /// `ingest`: logs in, one Parquet file (`--out FILE`) out.
    Ingest,
    /// `report`: partials in, a report directory out.
    Report,
    /// `explain`: needs the logs.
    Explain,
    /// `attest`: the logs are optional evidence.
    Attest,
}

impl Purpose {
    fn needs_logs(self) -> bool {
        matches!(self, Purpose::Run | Purpose::Ingest | Purpose::Explain)
    }

    /// Writes a report set to `--out DIR` (resolved, locked, swapped).
    fn writes_report_set(self) -> bool {
        matches!(self, Purpose::Run | Purpose::Report)
    }

    /// Looks at the logs as they are: every line, all reports, malformed SNDS rows skipped.
    fn is_evidence(self) -> bool {
        matches!(self, Purpose::Explain | Purpose::Attest)
    }
}

/// Days of per-day data kept in the state by default (a quarter, plus a margin).
pub const DEFAULT_HISTORY_DAYS: u32 = 100;

/// The `--config` file: the same options as the command line (flags win).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    logs: Option<PathBuf>,
    inventory: Option<PathBuf>,
    out: Option<PathBuf>,
    rules: Option<PathBuf>,
    snds: Option<PathBuf>,
    lenient: Option<bool>,
    delist_contact: Option<String>,
    metrics: Option<PathBuf>,
    state: Option<PathBuf>,
    // Numbers are read wide (and signed) so that any value written gets the same "must be
    // between" message as the flag, instead of a type error.
    keep: Option<i64>,
    tz: Option<String>,
    threads: Option<i64>,
    ipv4_prefix: Option<i64>,
    ipv6_prefix: Option<i64>,
    days: Option<i64>,
    history_days: Option<i64>,
    recipient_detail: Option<String>,
}

impl ConfigFile {
    fn load(path: &Path) -> Result<ConfigFile> {
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

fn parse_date(flag: &'static str, text: Option<&str>) -> Result<Option<i32>> {
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(crate::ingest::timestamp::day_of_date)
            .map_err(|_| {
                Error::from(ConfigError::NotADate {
                    flag,
                    text: t.to_string(),
                })
            })
    })
    .transpose()
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

/// The allowed values of one number option, checked alike on the command line and in the
/// config file: an unchecked number once wrapped (`--days 4294967295` became an inverted window
/// that erased the state) or ran away (`--threads 100000` spawned threads for minutes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// The config file key (`history_days`); the flag is the same with `-` (`--history-days`).
    pub key: &'static str,
    pub min: u64,
    pub max: u64,
    /// What the number means, for the message.
    pub hint: &'static str,
}

/// Ten years of days: far beyond any report window or history, far below any overflow.
pub const MAX_DAYS: u64 = 3660;

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
    fn pick(&self, flag: Option<u64>, file: Option<i64>, config: &Path) -> Result<Option<u64>> {
        match (flag, file) {
            (Some(v), _) => self.flag(v).map(Some),
            (None, Some(v)) => self.file(v, config).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// Every CPU, at most the `--threads` bound.
fn default_threads() -> usize {
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
fn check_placement(logs: &Path, out: &Path, state: Option<&Path>) -> Result<()> {
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
fn recipient_detail(file: Option<&str>) -> Result<crate::aggregate::RecipientDetail> {
    use crate::aggregate::RecipientDetail;
    match file {
        None | Some("domain") => Ok(RecipientDetail::Domain),
        Some("full") => Ok(RecipientDetail::Full),
        Some(other) => Err(ConfigError::RecipientDetail {
            value: other.to_string(),
        }
        .into()),
    }
}

impl Config {
    /// Whether `--logs` was given (`attest` runs without).
    pub fn has_logs(&self) -> bool {
        !self.logs.as_os_str().is_empty()
    }

    /// The zone days and windows are counted in, by name (`UTC` without `--tz`).
    pub fn tz_name(&self) -> String {
        self.tz
            .map_or_else(|| "UTC".to_string(), |t| t.name().to_string())
    }
}

/// An IANA zone name (`Europe/Berlin`, `UTC`).
pub fn parse_tz(name: Option<&str>) -> Result<Option<chrono_tz::Tz>> {
    name.map(|n| {
        n.parse::<chrono_tz::Tz>().map_err(|_| {
            Error::from(ConfigError::NotAZone {
                name: n.to_string(),
            })
        })
    })
    .transpose()
}

/// `name` from the flag or the config file; an error naming both when `needed` and absent.
fn path_option(
    needed: bool,
    flag: Option<PathBuf>,
    file: Option<PathBuf>,
    name: &'static str,
    what: &'static str,
    has_config: bool,
) -> Result<PathBuf> {
    match flag.or(file) {
        Some(path) => Ok(path),
        None if !needed => Ok(PathBuf::new()),
        None if has_config => Err(ConfigError::RequiredFlagOrKey { name, what }.into()),
        None => Err(ConfigError::RequiredFlag { name, what }.into()),
    }
}

impl Config {
    /// The one validated path from any subcommand's options (and its `--config` file) to a
    /// `Config`: every bound, path and window check lives here.
    pub fn build(opts: Options, purpose: Purpose) -> Result<Config> {
        let file = match &opts.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let mut config = merge(opts, file, purpose)?;
        config.check_paths(purpose)?;
        config.window.check()?;
        Ok(config)
    }

    /// Inputs that must exist, and `--out` resolved once (see `resolve_out`).
    fn check_paths(&mut self, purpose: Purpose) -> Result<()> {
        let given = |p: &Path| !p.as_os_str().is_empty();
        if given(&self.logs) && !self.logs.is_dir() {
            return Err(ConfigError::LogsNotADirectory {
                logs: self.logs.clone(),
            }
            .into());
        }
        if given(&self.inventory) && !self.inventory.is_file() {
            return Err(ConfigError::NoInventory {
                inventory: self.inventory.clone(),
            }
            .into());
        }
        if purpose.writes_report_set() && self.out.exists() && !self.out.is_dir() {
            return Err(ConfigError::OutNotADirectory {
                out: self.out.clone(),
            }
            .into());
        }
        if let Some(dir) = self.snds.as_ref().filter(|d| !d.is_dir()) {
            return Err(ConfigError::SndsNotADirectory { snds: dir.clone() }.into());
        }
        if purpose.writes_report_set() {
            self.out = resolve_out(&self.out)?;
        }
        if purpose == Purpose::Run {
            check_placement(&self.logs, &self.out, self.state.as_deref())?;
        }
        Ok(())
    }
}

impl WindowSpec {
    /// `--days` and `--since` both name the first day; `--since` after `--until` is empty.
    fn check(&self) -> Result<()> {
        if self.days.is_some() && self.since.is_some() {
            return Err(ConfigError::DaysAndSince.into());
        }
        if let (Some(a), Some(b)) = (self.since, self.until) {
            if a > b {
                return Err(ConfigError::SinceAfterUntil {
                    since: crate::ingest::timestamp::date_of_day(a).to_string(),
                    until: crate::ingest::timestamp::date_of_day(b).to_string(),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// Flags and config file merged (flags win), every number checked against its bounds.
fn merge(o: Options, file: ConfigFile, purpose: Purpose) -> Result<Config> {
    let has_config = o.config.is_some();
    let config_path = o.config.clone().unwrap_or_default();
    let cfg = config_path.as_path();
    let logs = path_option(
        purpose.needs_logs(),
        o.logs,
        file.logs,
        "logs",
        "DIR",
        has_config,
    )?;
    let inventory = path_option(
        purpose != Purpose::Ingest,
        o.inventory,
        file.inventory,
        "inventory",
        "FILE",
        has_config,
    )?;
    let out = path_option(
        purpose.writes_report_set(),
        o.out,
        file.out,
        "out",
        "DIR",
        has_config,
    )?;
    let recipients = match o.recipients {
        Some(r) => r,
        None => recipient_detail(file.recipient_detail.as_deref())?,
    };
    let window = WindowSpec {
        since: parse_date("since", o.since.as_deref())?,
        until: parse_date("until", o.until.as_deref())?,
        days: DAYS.pick(o.days, file.days, cfg)?.map(|d| d as u32),
    };
    let threads = match THREADS.pick(o.threads, file.threads, cfg)? {
        Some(n) => n as usize,
        // `report` parses nothing: its run summary says one thread, as it always has.
        None if purpose == Purpose::Report => 1,
        None => default_threads(),
    };
    Ok(Config {
        logs,
        partials: o.partials,
        inventory,
        out,
        rules: o.rules.or(file.rules),
        snds: o.snds.or(file.snds),
        lenient: o.lenient || file.lenient.unwrap_or(false) || purpose.is_evidence(),
        delist_contact: o
            .delist_contact
            .or(file.delist_contact)
            .as_deref()
            .map(delist_contact)
            .transpose()?,
        metrics: o.metrics.or(file.metrics),
        state: o.state.or(file.state),
        keep: KEEP.pick(o.keep, file.keep, cfg)?.unwrap_or(0) as usize,
        tz: parse_tz(o.tz.or(file.tz).as_deref())?,
        rebuild_state: o.rebuild_state,
        full: o.full || purpose != Purpose::Run,
        window,
        recipients,
        history_days: HISTORY_DAYS
            .pick(o.history_days, file.history_days, cfg)?
            .map_or(DEFAULT_HISTORY_DAYS, |d| d as u32),
        threads,
        ipv4_prefix: IPV4_PREFIX
            .pick(o.ipv4_prefix, file.ipv4_prefix, cfg)?
            .unwrap_or(24) as u8,
        ipv6_prefix: IPV6_PREFIX
            .pick(o.ipv6_prefix, file.ipv6_prefix, cfg)?
            .unwrap_or(64) as u8,
        quiet: o.quiet || purpose.is_evidence(),
        json_log: o.json_log,
    })
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

    #[test]
    fn build_requires_what_each_subcommand_needs_and_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("logs")).unwrap();
        std::fs::write(
            dir.path().join("inv.csv"),
            "customer_id,customer_name,vps_id,ip\n",
        )
        .unwrap();
        let base = Options {
            inventory: Some(dir.path().join("inv.csv")),
            ..Options::default()
        };
        // attest: the logs are optional; explain and run need them.
        let attest = Config::build(base.clone(), Purpose::Attest).unwrap();
        assert!(!attest.has_logs() && attest.lenient && attest.quiet);
        let e = Config::build(base.clone(), Purpose::Explain).unwrap_err();
        assert_eq!(e.to_string(), "--logs DIR is required");
        // report parses nothing: one thread unless told, its --out resolved.
        let report = Options {
            partials: Some("p/*.parquet".into()),
            out: Some(dir.path().join("out")),
            ..base.clone()
        };
        let report = Config::build(report, Purpose::Report).unwrap();
        assert_eq!(report.threads, 1);
        assert!(report.out.is_absolute() && !report.has_logs());
        // ingest: --inventory is the command line's business (it may become optional).
        let ingest = Options {
            logs: Some(dir.path().join("logs")),
            out: Some(dir.path().join("p.parquet")),
            ..Options::default()
        };
        assert!(Config::build(ingest, Purpose::Ingest).is_ok());
        // One check, whatever the subcommand.
        for purpose in [Purpose::Attest, Purpose::Report] {
            let bad = Options {
                partials: Some("p".into()),
                out: Some(dir.path().join("out")),
                ipv4_prefix: Some(40),
                ..base.clone()
            };
            let e = Config::build(bad, purpose).unwrap_err();
            assert!(matches!(
                e,
                Error::Options(ConfigError::FlagOutOfRange { value: 40, .. })
            ));
        }
    }
}
