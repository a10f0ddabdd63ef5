//! Command-line parsing. clap types stay here: each subcommand's flags become a plain
//! `config::Options` (the `options()` methods below), and `Config::build` is the one path that
//! checks them. Flags shared by several subcommands are one argument group each
//! (`#[command(flatten)]`), so they are spelled, documented and bounded once.

use crate::config::Options;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub(crate) mod case;
mod dnsbl;
pub(crate) use case::{CaseCommand, CaseListFormat};
pub(crate) use dnsbl::{DnsblArgs, DnsblFormat};

#[derive(Debug, Parser)]
#[command(
    name = "blockscope",
    version,
    after_help = "Exit codes: 0 success; 1 internal error, cannot write the reports, or the mail or an SNDS download failed; 2 bad command line, configuration or input; 3 completed with input problems (see summary/input-problems.csv); 4 another run holds the lock. A closed stdout pipe (`blockscope rules | head`) is not an error.",
    about = "Find which sending IPs and /24 neighbourhoods receivers are blocking, from MTA logs, per customer",
    long_about = None,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Read the fleet's logs, classify every rejection and deferral, write the report set.
    #[command(after_help = "Examples:
  blockscope run --config /etc/blockscope/blockscope.toml
  blockscope run --logs /srv/maillogs --inventory inventory.csv --snds /srv/snds \\
      --state /var/lib/blockscope --out /srv/reports/blockscope
  blockscope run --config /etc/blockscope/blockscope.toml --days 7 --out /tmp/last-week
      (a report of the last 7 days only; the state is left for the nightly run)")]
    Run(RunArgs),
    /// Validate the configuration, inventory, rules and SNDS exports without running (same options as run).
    ///
    /// With --config, everything a run needs must be there; without, each input given
    /// is checked alone. Fails where a run would read nothing (no VPS directories, log files
    /// lying in --logs itself, an empty SNDS directory).
    #[command(after_help = "Examples:
  blockscope check-config --config /etc/blockscope/blockscope.toml
  blockscope check-config --inventory inventory.csv
  blockscope check-config --snds /srv/snds
  blockscope check-config --rules /etc/blockscope/rules.toml
  blockscope check-config --logs /srv/maillogs --inventory inventory.csv --out /srv/reports/blockscope \\
      --templates /etc/blockscope/templates")]
    CheckConfig(RunArgs),
    /// Parse this host's logs into a Parquet partial (for `report` or Spark to merge elsewhere).
    #[command(after_help = "Examples:
  blockscope ingest --logs /srv/maillogs --out /srv/partials/$(hostname)/$(date +%F).parquet
  blockscope ingest --logs /var/log/central --inventory inventory.csv --out /srv/partials/syslog1.parquet
      (a central syslog host: the inventory routes each line to its VPS)")]
    Ingest(IngestArgs),
    /// Merge Parquet partials from `ingest` and write the report set `run` writes.
    #[command(after_help = "Examples:
  blockscope report --partials '/srv/partials/*/2026-11-23.parquet' --inventory inventory.csv \\
      --snds /srv/snds --out /srv/reports/blockscope
  blockscope report --config /etc/blockscope/blockscope.toml --partials /srv/partials/ \\
      --inventory inventory.csv --out /srv/reports/blockscope")]
    Report(ReportArgs),
    /// Print the rule catalogue that drives classification.
    #[command(after_help = "Examples:
  blockscope rules
  blockscope rules --format csv --rules /etc/blockscope/rules.toml
  blockscope rules --format md > docs/rules.md")]
    Rules(RulesArgs),
    /// Classify bounces or log lines as the nightly run would (CSV: class, rule, platform, sending IP).
    #[command(after_help = "Examples:
  blockscope classify --mx hotmail-com.olc.protection.outlook.com \\
      \"550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. ... (S3140)\"
  grep 'status=bounced' /var/log/mail.log | blockscope classify
  blockscope classify --rules /etc/blockscope/rules.toml < replies.txt")]
    Classify(ClassifyArgs),
    /// Write an IP-ownership attestation for Microsoft: our ranges, who uses them, the evidence.
    #[command(after_help = "Examples:
  blockscope attest --inventory inventory.csv --range 198.51.100.0/24 --provider 'Example Hosting GmbH'
  blockscope attest --inventory inventory.csv --logs /srv/maillogs --snds /srv/snds \\
      --range 198.51.100.0/24 --format csv")]
    Attest(AttestArgs),
    /// Everything about one IP or range: owner, every evidence line, verdicts, SNDS.
    #[command(after_help = "Examples:
  blockscope explain 198.51.100.7 --inventory inventory.csv --logs /srv/maillogs
  blockscope explain 198.51.100.0/24 --inventory inventory.csv --logs /srv/maillogs --snds /srv/snds
  blockscope explain 198.51.100.7 --config /etc/blockscope/blockscope.toml --all")]
    Explain(ExplainArgs),
    /// Mail the summary of a report set (summary.md as text, summary.html attached) via sendmail -t.
    ///
    /// The report set in --out (or the config's out) goes to --mail-to (or the config's
    /// mail_to) through the local `sendmail -t -i`, as cron mails pflogsumm's report.
    #[command(after_help = "Examples:
  blockscope mail --config /etc/blockscope/blockscope.toml
      (what blockscope-mail.service runs after each successful night)
  blockscope mail --out /var/lib/blockscope/reports --mail-to noc@provider.example --mail-to root")]
    Mail(MailArgs),
    /// Microsoft SNDS: download the automated-access exports that `run --snds` reads.
    #[command(
        subcommand,
        after_help = "Examples:
  blockscope snds fetch --key-file /etc/blockscope/snds.key --out /srv/snds
  blockscope snds fetch --key-file /etc/blockscope/snds.key --config /etc/blockscope/blockscope.toml"
    )]
    Snds(SndsCommand),
    /// Look up the inventory's addresses in DNS block lists, through the provider's own resolver.
    ///
    /// Every inventory address (ranges up to --dnsbl-max-range, a /24 by default) is asked of
    /// each zone; the answer codes are decoded per list (`--list-zones`). Refusals of our
    /// resolver (Spamhaus 127.255.255.x), NXDOMAIN, timeouts and SERVFAIL are never listings:
    /// they are counted per zone and said. Exit 0 when done, listings or not; 1 when the
    /// resolver answered nothing; 2 for a bad option or key file.
    #[command(after_help = "Examples:
  blockscope dnsbl --inventory inventory.csv --zones zen.spamhaus.org,bl.spamcop.net --resolver 127.0.0.1
  blockscope dnsbl --config /etc/blockscope/blockscope.toml --format csv > dnsbl.csv
      (zones, resolver and DQS key from the config file: dnsbl, resolver, dnsbl_dqs_key_file)
  blockscope dnsbl --inventory inventory.csv --zones zen.spamhaus.org,dnsbl-2.uceprotect.net \\
      --resolver 192.0.2.53:53 --dqs-key-file /etc/blockscope/dqs.key --dnsbl-rate 100
  blockscope dnsbl --list-zones")]
    Dnsbl(DnsblArgs),
    /// The inventory CSV from a NetBox IP-address export or a WHMCS Services report.
    #[command(
        subcommand,
        after_help = "Examples:
  blockscope inventory import --format netbox 'netbox_IP addresses.csv' --out /etc/blockscope/inventory.csv
  blockscope inventory import --format whmcs services-report.csv > inventory.csv"
    )]
    Inventory(InventoryCommand),
    /// Delisting cases: record each request to a receiver and its answers; the nightly run
    /// follows them (still blocked, next action) in summary/cases.csv and the summary.
    #[command(
        subcommand,
        after_help = "Examples:
  blockscope case open 198.51.100.0/24 --receiver outlook.com --ticket SRX1234567890ID --state /var/lib/blockscope/state
  blockscope case import answer.eml --state /var/lib/blockscope/state
  blockscope case answer C1 --result mitigated --state /var/lib/blockscope/state
  blockscope case list --config /etc/blockscope/blockscope.toml"
    )]
    Case(CaseCommand),
    /// Print shell completions (bash, zsh, fish, ...).
    #[command(after_help = "Examples:
  blockscope completions bash > /etc/bash_completion.d/blockscope
  blockscope completions zsh > /usr/local/share/zsh/site-functions/_blockscope
  blockscope completions fish > ~/.config/fish/completions/blockscope.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one per subcommand into a directory.
    #[command(after_help = "Examples:
  blockscope man | man -l -
  blockscope man --out-dir /usr/local/share/man/man1
      (blockscope.1, blockscope-run.1, blockscope-explain.1, ...)")]
    Man {
        /// Write blockscope.1 and a blockscope-<subcommand>.1 page for every subcommand here,
        /// instead of printing blockscope.1.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

// ---------------------------------------------------------------------------------------------
// Argument groups shared by subcommands. Each fills its part of `Options`.

/// `--config FILE` (run, check-config, report).
#[derive(Debug, Args)]
pub(crate) struct ConfigFileArgs {
    /// TOML file with any of the options below (flags override it; paths are relative to it).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

/// `--inventory FILE`, required (report, explain, attest; `run` may take it from --config).
#[derive(Debug, Args)]
pub(crate) struct InventoryArgs {
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip.
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: PathBuf,
}

/// `--threads N`.
#[derive(Debug, Args)]
pub(crate) struct ThreadsArgs {
    /// Worker threads for parsing, aggregation and reports, 1 to 1024 (default: number of CPUs). Reports do not depend on it.
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
}

/// `--tz ZONE`.
#[derive(Debug, Args)]
pub(crate) struct ZoneArgs {
    /// Time zone of log timestamps that carry none (RFC 3164, Exim without log_timezone), e.g.
    /// Europe/Berlin [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub(crate) tz: Option<String>,
}

/// `--ipv4-prefix`, `--ipv6-prefix`: the neighbourhood size.
#[derive(Debug, Args)]
pub(crate) struct NeighbourhoodArgs {
    /// IPv4 neighbourhood prefix length, 8 to 32 [default: 24].
    #[arg(long, value_name = "BITS")]
    pub(crate) ipv4_prefix: Option<u64>,
    /// IPv6 neighbourhood prefix length, 16 to 128 [default: 64].
    #[arg(long, value_name = "BITS")]
    pub(crate) ipv6_prefix: Option<u64>,
}

/// `--snds DIR`, `--lenient`.
#[derive(Debug, Args)]
pub(crate) struct SndsArgs {
    /// Directory of Microsoft SNDS exports (IP data and IP status CSV files) to join with the logs.
    #[arg(long, value_name = "DIR")]
    pub(crate) snds: Option<PathBuf>,
    /// Skip malformed SNDS rows (counted and listed in input-problems.csv) instead of stopping.
    #[arg(long)]
    pub(crate) lenient: bool,
}

/// What goes into and beside a report set (run, report).
#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// The provider's own mailbox for delisting portals' confirmation mails (never a customer's).
    #[arg(long, value_name = "EMAIL")]
    pub(crate) delist_contact: Option<String>,
    /// How much of recipient addresses quoted in replies the reports show [default: domain]
    /// (`*@example.com`); `full` keeps whole addresses.
    #[arg(long, value_enum, value_name = "DETAIL")]
    pub(crate) recipient_detail: Option<RecipientDetailArg>,
    /// Keep this many previous report sets in `<out>.archive/`, 0 to 1000 [default: 0].
    #[arg(long, value_name = "N")]
    pub(crate) keep: Option<usize>,
    /// Mail summary.md (text) with summary.html attached to ADDR after a successful run, through
    /// the local `sendmail -t`; repeat for more recipients (replaces the config's mail_to).
    #[arg(long, value_name = "ADDR")]
    pub(crate) mail_to: Vec<String>,
    /// Write Prometheus metrics (node_exporter textfile-collector format) to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics: Option<PathBuf>,
    /// Directory of the provider's own report texts (e.g. notice.md for the customer notices,
    /// in its wording or language); templates it does not hold stay the built-in English ones.
    #[arg(long, value_name = "DIR")]
    pub(crate) templates: Option<PathBuf>,
}

/// `--state DIR` and how to treat it (run, check-config).
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// Directory for the state between runs (new/ongoing/resolved per IP and rule).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
    /// Ignore the existing state (e.g. after it was reported corrupt) and start it afresh.
    #[arg(long)]
    pub(crate) rebuild_state: bool,
    /// Re-read every log from its start (with --state, earlier runs' cursors and stored days are
    /// replaced by what the logs on disk hold).
    #[arg(long)]
    pub(crate) full: bool,
    /// Nights without a block after which the run closes a delisting case (`blockscope case`),
    /// 1 to 60 [default: 5].
    #[arg(long, value_name = "N")]
    pub(crate) case_quiet_nights: Option<u64>,
}

/// The report window and the history kept for it (run, check-config).
#[derive(Debug, Args)]
pub(crate) struct WindowArgs {
    /// First day of the report window (YYYY-MM-DD in the --tz zone) [default: since the last run].
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,
    /// Last day of the report window, included (YYYY-MM-DD) [default: the latest day in the data].
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,
    /// Report the last N days, 1 to 3660 (ending with --until, or the latest day in the data).
    /// Like --since/--until, a report only: the state is left for the nightly run.
    #[arg(long, value_name = "N", conflicts_with = "since")]
    pub(crate) days: Option<u64>,
    /// Days of per-day data the state keeps for later --days/--since windows, 1 to 3660
    /// [default: 100].
    #[arg(long, value_name = "N")]
    pub(crate) history_days: Option<u64>,
}

/// The run summary on stderr (run, report).
#[derive(Debug, Args)]
pub(crate) struct SummaryArgs {
    /// Do not print the run summary on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Format of the run summary on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

impl InventoryArgs {
    fn apply(&self, o: &mut Options) {
        o.inventory = Some(self.inventory.clone());
    }
}

impl ThreadsArgs {
    fn apply(&self, o: &mut Options) {
        o.threads = self.threads.map(|n| n as u64);
    }
}

impl ZoneArgs {
    fn apply(&self, o: &mut Options) {
        o.tz = self.tz.clone();
    }
}

impl NeighbourhoodArgs {
    fn apply(&self, o: &mut Options) {
        o.ipv4_prefix = self.ipv4_prefix;
        o.ipv6_prefix = self.ipv6_prefix;
    }
}

impl SndsArgs {
    fn apply(&self, o: &mut Options) {
        o.snds = self.snds.clone();
        o.lenient = self.lenient;
    }
}

impl OutputArgs {
    fn apply(&self, o: &mut Options) {
        o.delist_contact = self.delist_contact.clone();
        o.recipients = self.recipient_detail.map(RecipientDetailArg::detail);
        o.keep = self.keep.map(|k| k as u64);
        o.metrics = self.metrics.clone();
        o.templates = self.templates.clone();
        o.mail_to = self.mail_to.clone();
    }
}

impl StateArgs {
    fn apply(&self, o: &mut Options) {
        o.state = self.state.clone();
        o.rebuild_state = self.rebuild_state;
        o.full = self.full;
        o.case_quiet_nights = self.case_quiet_nights;
    }
}

impl WindowArgs {
    fn apply(&self, o: &mut Options) {
        o.since = self.since.clone();
        o.until = self.until.clone();
        o.days = self.days;
        o.history_days = self.history_days;
    }
}

impl SummaryArgs {
    fn apply(&self, o: &mut Options) {
        o.quiet = self.quiet;
        o.json_log = self.log_format == LogFormat::Json;
    }
}

// ---------------------------------------------------------------------------------------------
// Subcommands.

#[derive(Debug, Args)]
pub(crate) struct MailArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    /// The report directory whose summary to mail (default: the config's out).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Recipient; repeat for more (replaces the config's mail_to).
    #[arg(long, value_name = "ADDR")]
    pub(crate) mail_to: Vec<String>,
    /// Do not say on stderr whom the mail went to.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl MailArgs {
    pub(crate) fn options(&self) -> Options {
        Options {
            config: self.config.config.clone(),
            out: self.out.clone(),
            mail_to: self.mail_to.clone(),
            quiet: self.quiet,
            ..Options::default()
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    /// Directory with one sub-directory per VPS (named by its vps_id) holding that VPS's mail logs.
    #[arg(long, value_name = "DIR")]
    pub(crate) logs: Option<PathBuf>,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip (ip: address or CIDR).
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// Report directory; replaced atomically when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Extra or replacement classification rules (same format as the built-in catalogue, see docs/rules.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) snds: SndsArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    #[command(flatten)]
    pub(crate) window: WindowArgs,
    #[command(flatten)]
    pub(crate) tz: ZoneArgs,
    #[command(flatten)]
    pub(crate) threads: ThreadsArgs,
    #[command(flatten)]
    pub(crate) neighbourhood: NeighbourhoodArgs,
    #[command(flatten)]
    pub(crate) lookups: dnsbl::RunDnsblArgs,
    #[command(flatten)]
    pub(crate) summary: SummaryArgs,
}

impl RunArgs {
    /// The options as given (the `--config` file is read by `Config::build`).
    pub(crate) fn options(&self) -> Options {
        let mut o = Options {
            config: self.config.config.clone(),
            logs: self.logs.clone(),
            inventory: self.inventory.clone(),
            out: self.out.clone(),
            rules: self.rules.clone(),
            ..Options::default()
        };
        self.snds.apply(&mut o);
        self.output.apply(&mut o);
        self.state.apply(&mut o);
        self.window.apply(&mut o);
        self.tz.apply(&mut o);
        self.threads.apply(&mut o);
        self.neighbourhood.apply(&mut o);
        self.lookups.apply(&mut o);
        self.summary.apply(&mut o);
        o
    }
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// Directory with one sub-directory per VPS (named by its vps_id).
    #[arg(long, value_name = "DIR")]
    pub(crate) logs: PathBuf,
    /// Inventory CSV: routes central-syslog files to VPSes line by line. Without it files are
    /// read by directory (vps_id or hostname), for `report` to resolve.
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// The Parquet partial to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// This log host's name, recorded in every row [default: the host name].
    #[arg(long, value_name = "ID")]
    pub(crate) host_id: Option<String>,
    /// Extra or replacement classification rules (use the same file for every host).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) tz: ZoneArgs,
    #[command(flatten)]
    pub(crate) threads: ThreadsArgs,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl IngestArgs {
    pub(crate) fn options(&self) -> Options {
        let mut o = Options {
            logs: Some(self.logs.clone()),
            inventory: self.inventory.clone(),
            out: Some(self.out.clone()),
            rules: self.rules.clone(),
            quiet: self.quiet,
            ..Options::default()
        };
        self.tz.apply(&mut o);
        self.threads.apply(&mut o);
        o
    }
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A directory of `*.parquet` partials, one partial, or a glob (`/srv/partials/*/2026-11-23.parquet`).
    #[arg(long, value_name = "DIR_OR_GLOB")]
    pub(crate) partials: String,
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    #[command(flatten)]
    pub(crate) inventory: InventoryArgs,
    /// Report directory; replaced atomically when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// The rule file the partials were ingested with.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) snds: SndsArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
    #[command(flatten)]
    pub(crate) neighbourhood: NeighbourhoodArgs,
    #[command(flatten)]
    pub(crate) summary: SummaryArgs,
}

impl ReportArgs {
    pub(crate) fn options(&self) -> Options {
        let mut o = Options {
            config: self.config.config.clone(),
            partials: Some(self.partials.clone()),
            out: Some(self.out.clone()),
            rules: self.rules.clone(),
            ..Options::default()
        };
        self.inventory.apply(&mut o);
        self.snds.apply(&mut o);
        self.output.apply(&mut o);
        self.neighbourhood.apply(&mut o);
        self.summary.apply(&mut o);
        o
    }
}

/// Inputs shared by commands that analyse the logs without writing a report set.
#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    #[command(flatten)]
    pub(crate) config: ConfigFileArgs,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip (or `inventory` in --config).
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// Directory with one sub-directory per VPS holding its mail logs.
    #[arg(long, value_name = "DIR")]
    pub(crate) logs: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports.
    #[arg(long, value_name = "DIR")]
    pub(crate) snds: Option<PathBuf>,
    /// Extra or replacement classification rules.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// How much of recipient addresses quoted in replies to show [default: domain]
    /// (`*@example.com`); `full` keeps whole addresses.
    #[arg(long, value_enum, value_name = "DETAIL")]
    pub(crate) recipient_detail: Option<RecipientDetailArg>,
    #[command(flatten)]
    pub(crate) threads: ThreadsArgs,
    #[command(flatten)]
    pub(crate) tz: ZoneArgs,
}

impl EvidenceArgs {
    pub(crate) fn options(&self) -> Options {
        let mut o = Options {
            config: self.config.config.clone(),
            logs: self.logs.clone(),
            inventory: self.inventory.clone(),
            snds: self.snds.clone(),
            rules: self.rules.clone(),
            recipients: self.recipient_detail.map(RecipientDetailArg::detail),
            ..Options::default()
        };
        self.threads.apply(&mut o);
        self.tz.apply(&mut o);
        o
    }
}

#[derive(Debug, Args)]
pub(crate) struct AttestArgs {
    #[command(flatten)]
    pub(crate) evidence: EvidenceArgs,
    /// Only this customer's addresses.
    #[arg(long, value_name = "ID", conflicts_with = "range")]
    pub(crate) customer: Option<String>,
    /// Only addresses inside this CIDR.
    #[arg(long, value_name = "CIDR")]
    pub(crate) range: Option<String>,
    /// Name customers (by default only their ids appear).
    #[arg(long)]
    pub(crate) names: bool,
    /// The provider's name for the statement.
    #[arg(long, value_name = "NAME")]
    pub(crate) provider: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AttestFormat::Text)]
    pub(crate) format: AttestFormat,
}

#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCommand {
    /// Convert a NetBox or WHMCS CSV export into the inventory (customer_id,customer_name,vps_id,ip).
    ///
    /// Columns are found by their header names. NetBox: the IP Addresses list exported as CSV
    /// ("All data", or a view showing Tenant and Parent): Tenant is the customer, Parent the
    /// VPS, IP Address the address (its prefix length is the interface's, not a range).
    /// WHMCS: the Services report exported as CSV with User ID, Client Name, Domain Name (the
    /// VPS), Dedicated IP and Assigned IPs ticked. Rows without a VM or customer, and ended
    /// services, are left out and counted; any other row that cannot be converted stops it.
    #[command(after_help = "Examples:
  blockscope inventory import --format netbox 'netbox_IP addresses.csv' --out /etc/blockscope/inventory.csv
  blockscope inventory import --format whmcs services-report.csv > inventory.csv
  blockscope inventory import --format netbox ips.csv --out inventory.csv && blockscope check-config --inventory inventory.csv")]
    Import(InventoryImportArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InventoryImportArgs {
    /// What the file is: a NetBox IP-address export or a WHMCS Services report.
    #[arg(long, value_enum)]
    pub(crate) format: ImportFormat,
    /// The exported CSV file.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Write the inventory here (replaced atomically, only when every row converted) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Do not print what was left out on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ImportFormat {
    Netbox,
    Whmcs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SndsCommand {
    /// Download the SNDS exports (IP data of each missing day, IP status) into the SNDS directory.
    #[command(after_help = "Examples:
  blockscope snds fetch --key-file /etc/blockscope/snds.key --out /srv/snds
  blockscope snds fetch --key-file /etc/blockscope/snds.key \\
      --config /etc/blockscope/blockscope.toml --quiet
      (into the snds directory of the config file that run reads; for cron)
  blockscope snds fetch --key-file /etc/blockscope/snds.key --out /srv/snds --days 14
      (two weeks back, after fetches failed for some nights; the days already there are skipped)")]
    Fetch(SndsFetchArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SndsFetchArgs {
    /// File whose first line is the SNDS automated-access key (SNDS > Automated Data Access;
    /// keep it mode 600). The key is never printed nor put in a file name.
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: PathBuf,
    /// The SNDS directory the exports are written to (the one `run --snds` reads)
    /// [default: `snds` in --config].
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// blockscope's TOML config file: its `snds = DIR` is the default --out.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Fetch the IP data of the last N complete days (Pacific time, SNDS's days), 1 to 90;
    /// days already in the directory are skipped [default: 3].
    #[arg(long, value_name = "N")]
    pub(crate) days: Option<u64>,
    /// The SNDS server's automated-access directory
    /// [default: https://sendersupport.olc.protection.outlook.com/snds/].
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl SndsFetchArgs {
    pub(crate) fn options(&self) -> crate::config::FetchOptions {
        crate::config::FetchOptions {
            config: self.config.clone(),
            key_file: self.key_file.clone(),
            out: self.out.clone(),
            days: self.days,
            base_url: self.base_url.clone(),
            quiet: self.quiet,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum AttestFormat {
    Text,
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The IP address or CIDR range to explain.
    #[arg(value_name = "IP|CIDR")]
    pub(crate) target: String,
    /// Also list the lines of mail that was delivered (by default only refusals and deferrals).
    #[arg(long)]
    pub(crate) all: bool,
    #[command(flatten)]
    pub(crate) evidence: EvidenceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RecipientDetailArg {
    Domain,
    Full,
}

impl RecipientDetailArg {
    fn detail(self) -> crate::model::RecipientDetail {
        match self {
            RecipientDetailArg::Domain => crate::model::RecipientDetail::Domain,
            RecipientDetailArg::Full => crate::model::RecipientDetail::Full,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// A few human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub(crate) format: RulesFormat,
    /// Show the catalogue with this rule file applied (as `run --rules FILE` would use it).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ClassifyArgs {
    /// Whole MTA log lines or bare receiver replies (quote each); none: one item per stdin line.
    #[arg(value_name = "TEXT")]
    pub(crate) texts: Vec<String>,
    /// The receiving MX a bare reply came from (e.g. `contoso-com.mail.protection.outlook.com`):
    /// decides the platform. Log lines name their MX themselves.
    #[arg(long, value_name = "HOST")]
    pub(crate) mx: Option<String>,
    /// Classify with this rule file applied (as `run --rules FILE` would).
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RulesFormat {
    /// Aligned text table for a terminal.
    Table,
    /// CSV, one rule per row.
    Csv,
    /// Markdown (the source of docs/rules.md).
    #[value(alias = "markdown")]
    Md,
}
