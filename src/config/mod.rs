//! Validated run configuration: plain data, no clap types. `Config::build` is the one path from
//! any subcommand's `Options` (and its `--config` file, `file`) to a `Config`; `values` checks
//! single values (number bounds, zone, dates, mail address, where `--out` really is).

mod case;
mod dnsbl;
mod fetch;
mod file;
mod values;

pub(crate) use case::{CaseConfig, CaseOptions};
pub(crate) use dnsbl::{DnsblConfig, DnsblOptions, RunLookups};
pub(crate) use fetch::{FetchConfig, FetchOptions};

pub use file::check_config_text;
pub(crate) use values::parse_tz;
pub(crate) use values::resolve_out;

use crate::error::{ConfigError, Result};
use file::ConfigFile;
use std::path::{Path, PathBuf};
use values::{
    check_placement, default_threads, parse_date, recipient_detail, CASE_QUIET_NIGHTS, DAYS,
    HISTORY_DAYS, IPV4_PREFIX, IPV6_PREFIX, KEEP, THREADS,
};

#[derive(Debug, Clone)]
pub struct Config {
    /// `--logs` (empty when a subcommand runs without logs).
    pub(crate) logs: PathBuf,
    /// `report --partials`.
    pub(crate) partials: Option<String>,
    pub(crate) inventory: PathBuf,
    pub(crate) out: PathBuf,
    /// A provider's rule file applied over the built-in catalogue.
    pub(crate) rules: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports.
    pub(crate) snds: Option<PathBuf>,
    /// Skip and count malformed SNDS rows instead of stopping.
    pub(crate) lenient: bool,
    /// Who files the delisting requests (`[provider]`; its email also from `--delist-contact`).
    pub(crate) provider: crate::model::Provider,
    /// Prometheus textfile to write after a successful run.
    pub(crate) metrics: Option<PathBuf>,
    /// Directory of the provider's own report templates (`notice.md`...).
    pub(crate) templates: Option<PathBuf>,
    /// State between runs.
    pub(crate) state: Option<PathBuf>,
    /// Previous report sets to keep in `<out>.archive/`.
    pub(crate) keep: usize,
    /// Zone of zone-less log timestamps (None: UTC).
    pub(crate) tz: Option<chrono_tz::Tz>,
    pub(crate) rebuild_state: bool,
    /// Re-read every log from its start, ignoring what earlier runs read (needs `--state` to matter).
    pub(crate) full: bool,
    /// Which days the reports cover.
    pub(crate) window: WindowSpec,
    /// Recipient addresses in reports: domain only unless asked.
    pub(crate) recipients: crate::model::RecipientDetail,
    /// Days of per-day data the state keeps for later windows.
    pub(crate) history_days: u32,
    pub(crate) threads: usize,
    pub(crate) ipv4_prefix: u8,
    pub(crate) ipv6_prefix: u8,
    pub(crate) quiet: bool,
    /// The run summary as JSON lines instead of text.
    pub(crate) json_log: bool,
    /// Who gets the morning mail (`--mail-to`, `mail_to`): checked addresses, none for no mail.
    pub(crate) mail_to: Vec<String>,
    /// DNS block-list lookups (`--dnsbl`, `dnsbl` in the config file), when asked for.
    pub(crate) dnsbl: Option<dnsbl::RunLookups>,
    /// Nights without a block after which the run closes a delisting case.
    pub(crate) case_quiet_nights: u32,
}

/// The report window asked for; calendar days (days since 1970-01-01) in the provider's zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WindowSpec {
    pub(crate) since: Option<i32>,
    pub(crate) until: Option<i32>,
    pub(crate) days: Option<u32>,
}

impl WindowSpec {
    /// No dates given: the window is what is new since the last run (or everything, without a state).
    pub(crate) fn is_default(&self) -> bool {
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
    pub templates: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub rebuild_state: bool,
    pub full: bool,
    pub recipients: Option<crate::model::RecipientDetail>,
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
    /// `--mail-to` (repeatable): replaces the config file's `mail_to`.
    pub mail_to: Vec<String>,
    /// `run --dnsbl ZONE,...`: replaces the config file's `dnsbl`.
    pub dnsbl: Vec<String>,
    /// `run --resolver IP[:PORT]`.
    pub resolver: Option<String>,
    /// `run --dnsbl-ttl HOURS`.
    pub dnsbl_ttl: Option<u64>,
    /// `run --case-quiet-nights N`.
    pub case_quiet_nights: Option<u64>,
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
    /// `mail`: mails the report set in `--out`; reads nothing else.
    Mail,
    /// `check-config`: checks whatever it is given (an inventory, rules or SNDS alone).
    Check,
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
pub(crate) const DEFAULT_HISTORY_DAYS: u32 = 100;
/// Nights without a block before a delisting case closes: Microsoft's 48 hours and a few nights
/// of ordinary mail after them.
pub(crate) const DEFAULT_CASE_QUIET_NIGHTS: u32 = 5;

impl Config {
    /// Whether `--logs` was given (`attest` runs without).
    pub(crate) fn has_logs(&self) -> bool {
        !self.logs.as_os_str().is_empty()
    }

    /// The zone days and windows are counted in, by name (`UTC` without `--tz`).
    pub(crate) fn tz_name(&self) -> String {
        self.tz
            .map_or_else(|| "UTC".to_string(), |t| t.name().to_string())
    }
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
        let lookups = match purpose {
            Purpose::Run | Purpose::Report | Purpose::Check => {
                let path = opts.config.clone().unwrap_or_default();
                dnsbl::for_run(&opts, &file, &path)?
            }
            _ => None,
        };
        let mut config = merge(opts, file, purpose)?;
        config.dnsbl = lookups;
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
        let checks_out =
            purpose.writes_report_set() || (purpose == Purpose::Check && given(&self.out));
        if checks_out && self.out.exists() && !self.out.is_dir() {
            return Err(ConfigError::OutNotADirectory {
                out: self.out.clone(),
            }
            .into());
        }
        if let Some(dir) = self.snds.as_ref().filter(|d| !d.is_dir()) {
            return Err(ConfigError::SndsNotADirectory { snds: dir.clone() }.into());
        }
        if checks_out {
            self.out = resolve_out(&self.out)?;
        }
        if purpose == Purpose::Run
            || (purpose == Purpose::Check && given(&self.logs) && given(&self.out))
        {
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
                    since: crate::model::day::date_of_day(a).to_string(),
                    until: crate::model::day::date_of_day(b).to_string(),
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
    // `report` reads partials, not logs: a shared config file's `logs` (a path on the log
    // hosts) is not its business.
    let file_logs = file.logs.filter(|_| purpose != Purpose::Report);
    let logs = path_option(
        purpose.needs_logs(),
        o.logs,
        file_logs,
        "logs",
        "DIR",
        has_config,
    )?;
    let inventory = path_option(
        !matches!(purpose, Purpose::Ingest | Purpose::Mail | Purpose::Check),
        o.inventory,
        file.inventory,
        "inventory",
        "FILE",
        has_config,
    )?;
    let out = path_option(
        purpose.writes_report_set() || purpose == Purpose::Mail,
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
        provider: values::provider(file.provider, o.delist_contact, file.delist_contact)?,
        metrics: o.metrics.or(file.metrics),
        templates: o.templates.or(file.templates),
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
        mail_to: values::mail_to(o.mail_to, file.mail_to.map(file::OneOrMany::into_vec))?,
        dnsbl: None,
        case_quiet_nights: CASE_QUIET_NIGHTS
            .pick(o.case_quiet_nights, file.case_quiet_nights, cfg)?
            .map_or(DEFAULT_CASE_QUIET_NIGHTS, |n| n as u32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

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
