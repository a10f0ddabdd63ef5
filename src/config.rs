//! Validated run configuration: plain data, no clap types.

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Config {
    pub logs: PathBuf,
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
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("--config {}: cannot read: {e}", path.display())))?;
        let mut file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            Error::Config(format!("{}:{line}: {}", path.display(), e.message()))
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

fn parse_date(flag: &str, text: Option<&str>) -> Result<Option<i32>> {
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(crate::model::day::day_of_date)
            .map_err(|_| {
                Error::Config(format!(
                    "--{flag} {t:?}: not a date; use YYYY-MM-DD (a day in the --tz zone)"
                ))
            })
    })
    .transpose()
}

/// Check a `--config` file's text (syntax and option names) without touching the file system.
pub fn check_config_text(name: &str, text: &str) -> Result<()> {
    toml::from_str::<ConfigFile>(text)
        .map(|_| ())
        .map_err(|e| Error::Config(format!("{name}: {}", e.message())))
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

    fn range(&self) -> String {
        format!(
            "must be between {} and {} ({})",
            self.min, self.max, self.hint
        )
    }

    /// A value given on the command line.
    pub(crate) fn flag(&self, value: u64) -> Result<u64> {
        if (self.min..=self.max).contains(&value) {
            return Ok(value);
        }
        Err(Error::Config(format!(
            "{} {value}: {}",
            self.flag_name(),
            self.range()
        )))
    }

    /// A value written in the `--config` file.
    fn file(&self, value: i64, config: &Path) -> Result<u64> {
        match u64::try_from(value) {
            Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
            _ => Err(Error::Config(format!(
                "{} = {value} in --config {}: {}",
                self.key,
                config.display(),
                self.range()
            ))),
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

/// `--threads N` (1 to 1024), or every CPU when not given.
pub fn threads(asked: Option<usize>) -> Result<usize> {
    match asked {
        Some(n) => THREADS.flag(n as u64).map(|n| n as usize),
        None => Ok(std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(THREADS.max as usize)),
    }
}

/// `--delist-contact`: one plain address `local@host.domain`. It is pasted into delisting
/// portals and mails to receivers, so anything that is not exactly one address (a display name,
/// a second `@`, a line break, a bare host) is refused rather than sent on.
pub(crate) fn delist_contact(text: &str) -> Result<String> {
    if is_mailbox(text) {
        return Ok(text.to_string());
    }
    Err(Error::Config(format!(
        "--delist-contact {text:?}: not a mail address; give the provider's own mailbox as local@domain, e.g. abuse@provider.example"
    )))
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
        return std::fs::canonicalize(out).map_err(|e| {
            Error::Config(format!(
                "--out {}: a symlink whose target cannot be resolved ({e}); create the directory it points to or point --out at a directory",
                out.display()
            ))
        });
    }
    real_path(out).ok_or_else(|| {
        Error::Config(format!(
            "--out {}: cannot resolve the directory it would be written in",
            out.display()
        ))
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
        return Err(Error::Config(format!(
            "--out {} is inside --logs {}: the next run would read the reports as logs; put the reports outside the log tree",
            out.display(),
            logs_real.display()
        )));
    }
    if logs_real.starts_with(out) {
        return Err(Error::Config(format!(
            "--logs {} is inside --out {}: every run replaces --out as a whole; put the reports in a directory of their own",
            logs_real.display(),
            out.display()
        )));
    }
    if let Some(state) = state.and_then(real_path) {
        if state.starts_with(out) || state.starts_with(&logs_real) {
            return Err(Error::Config(format!(
                "--state {} is inside --out or --logs: keep it in a directory of its own (e.g. /var/lib/blockscope/state)",
                state.display()
            )));
        }
    }
    Ok(())
}

/// `--recipient-detail` (wins) or `recipient_detail` in the config file; domain by default.
pub fn recipient_detail(
    flag: Option<crate::cli::RecipientDetailArg>,
    file: Option<&str>,
) -> Result<crate::aggregate::RecipientDetail> {
    use crate::aggregate::RecipientDetail;
    use crate::cli::RecipientDetailArg;
    match (flag, file) {
        (Some(RecipientDetailArg::Full), _) | (None, Some("full")) => Ok(RecipientDetail::Full),
        (Some(RecipientDetailArg::Domain), _) | (None, None | Some("domain")) => {
            Ok(RecipientDetail::Domain)
        }
        (None, Some(other)) => Err(Error::Config(format!(
            "recipient_detail = {other:?} in --config: use \"domain\" or \"full\""
        ))),
    }
}

impl Config {
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
            Error::Config(format!(
                "--tz {n:?}: not a time zone name; use an IANA name such as Europe/Berlin or UTC"
            ))
        })
    })
    .transpose()
}

fn required(
    flag: Option<PathBuf>,
    file: Option<PathBuf>,
    name: &str,
    what: &str,
) -> Result<PathBuf> {
    flag.or(file).ok_or_else(|| {
        Error::Config(format!(
            "--{name} {what} is required (on the command line or as `{name} = ...` in --config)"
        ))
    })
}

impl Config {
    /// Defaults for commands that analyse logs or partials without the nightly machinery
    /// (no state, no window, all reports).
    pub fn for_analysis() -> Config {
        Config {
            logs: PathBuf::new(),
            inventory: PathBuf::new(),
            out: PathBuf::new(),
            rules: None,
            snds: None,
            lenient: true,
            delist_contact: None,
            metrics: None,
            state: None,
            keep: 0,
            tz: None,
            rebuild_state: false,
            full: true,
            window: WindowSpec::default(),
            recipients: Default::default(),
            history_days: DEFAULT_HISTORY_DAYS,
            threads: 1,
            ipv4_prefix: 24,
            ipv6_prefix: 64,
            quiet: true,
            json_log: false,
        }
    }

    pub fn from_run_args(args: &RunArgs) -> Result<Config> {
        let file = match &args.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let logs = required(args.logs.clone(), file.logs, "logs", "DIR")?;
        let inventory = required(args.inventory.clone(), file.inventory, "inventory", "FILE")?;
        let out = required(args.out.clone(), file.out, "out", "DIR")?;
        let config_path = args.config.clone().unwrap_or_default();
        let cfg = config_path.as_path();
        let args = ResolvedArgs {
            logs,
            inventory,
            out,
            rules: args.rules.clone().or(file.rules),
            snds: args.snds.clone().or(file.snds),
            lenient: args.lenient || file.lenient.unwrap_or(false),
            delist_contact: args.delist_contact.clone().or(file.delist_contact),
            metrics: args.metrics.clone().or(file.metrics),
            state: args.state.clone().or(file.state),
            keep: KEEP
                .pick(args.keep.map(|k| k as u64), file.keep, cfg)?
                .unwrap_or(0) as usize,
            tz: args.tz.clone().or(file.tz),
            rebuild_state: args.rebuild_state,
            full: args.full,
            recipients: recipient_detail(args.recipient_detail, file.recipient_detail.as_deref())?,
            window: WindowSpec {
                since: parse_date("since", args.since.as_deref())?,
                until: parse_date("until", args.until.as_deref())?,
                days: DAYS.pick(args.days, file.days, cfg)?.map(|d| d as u32),
            },
            history_days: HISTORY_DAYS
                .pick(args.history_days, file.history_days, cfg)?
                .map_or(DEFAULT_HISTORY_DAYS, |d| d as u32),
            threads: THREADS
                .pick(args.threads.map(|t| t as u64), file.threads, cfg)?
                .map(|t| t as usize),
            ipv4_prefix: IPV4_PREFIX
                .pick(args.ipv4_prefix, file.ipv4_prefix, cfg)?
                .unwrap_or(24) as u8,
            ipv6_prefix: IPV6_PREFIX
                .pick(args.ipv6_prefix, file.ipv6_prefix, cfg)?
                .unwrap_or(64) as u8,
            quiet: args.quiet,
            json_log: args.log_format == crate::cli::LogFormat::Json,
        };
        let args = &args;
        if !args.logs.is_dir() {
            return Err(Error::Config(format!(
                "--logs {}: not a directory; point it at the directory that holds one sub-directory per VPS",
                args.logs.display()
            )));
        }
        if !args.inventory.is_file() {
            return Err(Error::Config(format!(
                "--inventory {}: no such file; give the inventory CSV (customer_id,customer_name,vps_id,ip)",
                args.inventory.display()
            )));
        }
        if args.out.exists() && !args.out.is_dir() {
            return Err(Error::Config(format!(
                "--out {}: exists and is not a directory",
                args.out.display()
            )));
        }
        if let Some(dir) = &args.snds {
            if !dir.is_dir() {
                return Err(Error::Config(format!(
                    "--snds {}: not a directory; point it at the directory holding the SNDS CSV exports",
                    dir.display()
                )));
            }
        }
        let delist_contact = args
            .delist_contact
            .as_deref()
            .map(delist_contact)
            .transpose()?;
        let threads = threads(args.threads)?;
        let out = resolve_out(&args.out)?;
        check_placement(&args.logs, &out, args.state.as_deref())?;
        let window = args.window;
        if window.days.is_some() && window.since.is_some() {
            return Err(Error::Config(
                "--days and --since both set the window's first day; give one of them".into(),
            ));
        }
        if let (Some(a), Some(b)) = (window.since, window.until) {
            if a > b {
                return Err(Error::Config(format!(
                    "--since {} is after --until {}; swap them",
                    crate::model::day::date_of_day(a),
                    crate::model::day::date_of_day(b)
                )));
            }
        }
        Ok(Config {
            logs: args.logs.clone(),
            inventory: args.inventory.clone(),
            out,
            rules: args.rules.clone(),
            snds: args.snds.clone(),
            lenient: args.lenient,
            delist_contact,
            metrics: args.metrics.clone(),
            state: args.state.clone(),
            rebuild_state: args.rebuild_state,
            full: args.full,
            recipients: args.recipients,
            window,
            history_days: args.history_days,
            keep: args.keep,
            tz: parse_tz(args.tz.as_deref())?,
            threads,
            ipv4_prefix: args.ipv4_prefix,
            ipv6_prefix: args.ipv6_prefix,
            quiet: args.quiet,
            json_log: args.json_log,
        })
    }
}

impl Config {
    /// `blockscope report`: the options it shares with `run`, checked the same way.
    pub fn from_report_args(args: &crate::cli::ReportArgs) -> Result<Config> {
        let prefix = |b: &Bounds, v: Option<u64>, default: u8| -> Result<u8> {
            Ok(v.map(|v| b.flag(v))
                .transpose()?
                .map_or(default, |v| v as u8))
        };
        Ok(Config {
            logs: PathBuf::from(&args.partials),
            inventory: args.inventory.clone(),
            out: resolve_out(&args.out)?,
            rules: args.rules.clone(),
            snds: args.snds.clone(),
            lenient: args.lenient,
            delist_contact: args
                .delist_contact
                .as_deref()
                .map(delist_contact)
                .transpose()?,
            metrics: args.metrics.clone(),
            keep: args
                .keep
                .map(|k| KEEP.flag(k as u64))
                .transpose()?
                .unwrap_or(0) as usize,
            recipients: recipient_detail(args.recipient_detail, None)?,
            ipv4_prefix: prefix(&IPV4_PREFIX, args.ipv4_prefix, 24)?,
            ipv6_prefix: prefix(&IPV6_PREFIX, args.ipv6_prefix, 64)?,
            quiet: args.quiet,
            json_log: args.log_format == crate::cli::LogFormat::Json,
            ..Config::for_analysis()
        })
    }
}

/// Command line and config file merged (flags win), before validation.
struct ResolvedArgs {
    logs: PathBuf,
    inventory: PathBuf,
    out: PathBuf,
    rules: Option<PathBuf>,
    snds: Option<PathBuf>,
    lenient: bool,
    delist_contact: Option<String>,
    metrics: Option<PathBuf>,
    state: Option<PathBuf>,
    rebuild_state: bool,
    full: bool,
    recipients: crate::aggregate::RecipientDetail,
    window: WindowSpec,
    history_days: u32,
    keep: usize,
    tz: Option<String>,
    threads: Option<usize>,
    ipv4_prefix: u8,
    ipv6_prefix: u8,
    quiet: bool,
    json_log: bool,
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
        let n = threads(None).unwrap();
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
