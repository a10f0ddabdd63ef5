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
    keep: Option<usize>,
    tz: Option<String>,
    threads: Option<usize>,
    ipv4_prefix: Option<u8>,
    ipv6_prefix: Option<u8>,
    days: Option<u32>,
    history_days: Option<u32>,
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
            .map(crate::ingest::timestamp::day_of_date)
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

/// `--threads N` (at least 1), or every CPU when not given.
pub fn threads(asked: Option<usize>) -> Result<usize> {
    match asked {
        Some(0) => Err(Error::Config(
            "--threads 0: give at least 1 (or leave it out to use every CPU)".into(),
        )),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
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
            keep: args.keep.or(file.keep).unwrap_or(0),
            tz: args.tz.clone().or(file.tz),
            rebuild_state: args.rebuild_state,
            full: args.full,
            recipients: recipient_detail(args.recipient_detail, file.recipient_detail.as_deref())?,
            window: WindowSpec {
                since: parse_date("since", args.since.as_deref())?,
                until: parse_date("until", args.until.as_deref())?,
                days: args.days.or(file.days),
            },
            history_days: args
                .history_days
                .or(file.history_days)
                .unwrap_or(DEFAULT_HISTORY_DAYS),
            threads: args.threads.or(file.threads),
            ipv4_prefix: args.ipv4_prefix.or(file.ipv4_prefix).unwrap_or(24),
            ipv6_prefix: args.ipv6_prefix.or(file.ipv6_prefix).unwrap_or(64),
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
        if let Some(c) = &args.delist_contact {
            if !c.contains('@') || c.contains(char::is_whitespace) {
                return Err(Error::Config(format!(
                    "--delist-contact {c:?}: give the provider's own mailbox, e.g. abuse@provider.example"
                )));
            }
        }
        let threads = threads(args.threads)?;
        if !(8..=32).contains(&args.ipv4_prefix) {
            return Err(Error::Config(format!(
                "--ipv4-prefix {}: must be between 8 and 32 (24 is the usual neighbourhood)",
                args.ipv4_prefix
            )));
        }
        if !(16..=128).contains(&args.ipv6_prefix) {
            return Err(Error::Config(format!(
                "--ipv6-prefix {}: must be between 16 and 128 (64 or 48 are usual)",
                args.ipv6_prefix
            )));
        }
        let window = args.window;
        if window.days == Some(0) {
            return Err(Error::Config(
                "--days 0: give at least 1 (1 is the latest day)".into(),
            ));
        }
        if window.days.is_some() && window.since.is_some() {
            return Err(Error::Config(
                "--days and --since both set the window's first day; give one of them".into(),
            ));
        }
        if let (Some(a), Some(b)) = (window.since, window.until) {
            if a > b {
                return Err(Error::Config(format!(
                    "--since {} is after --until {}; swap them",
                    crate::ingest::timestamp::date_of_day(a),
                    crate::ingest::timestamp::date_of_day(b)
                )));
            }
        }
        if args.history_days == 0 {
            return Err(Error::Config(
                "--history-days 0: give at least 1 (the days of data kept for --days windows)"
                    .into(),
            ));
        }
        Ok(Config {
            logs: args.logs.clone(),
            inventory: args.inventory.clone(),
            out: args.out.clone(),
            rules: args.rules.clone(),
            snds: args.snds.clone(),
            lenient: args.lenient,
            delist_contact: args.delist_contact.clone(),
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
