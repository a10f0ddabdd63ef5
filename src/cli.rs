//! Command-line parsing. clap types stay here; `config.rs` turns them into a plain `Config`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "blockscope",
    version,
    after_help = "Exit codes: 0 success; 1 internal error or cannot write the reports; 2 bad command line, configuration or input; 3 completed with input problems (see summary/input-problems.csv); 4 another run holds the lock.",
    about = "Find which sending IPs and /24 neighbourhoods receivers are blocking, from MTA logs, per customer",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the fleet's logs, classify every rejection and deferral, write the report set.
    Run(RunArgs),
    /// Validate the configuration, inventory, rules and SNDS exports without running (same options as run).
    CheckConfig(RunArgs),
    /// Parse this host's logs into a Parquet partial (for `report` or Spark to merge elsewhere).
    Ingest(IngestArgs),
    /// Merge Parquet partials from `ingest` and write the report set `run` writes.
    Report(ReportArgs),
    /// Print the rule catalogue that drives classification.
    Rules(RulesArgs),
    /// Classify bounces or log lines as the nightly run would (CSV: class, rule, platform, sending IP).
    Classify(ClassifyArgs),
    /// Write an IP-ownership attestation for Microsoft: our ranges, who uses them, the evidence.
    Attest(AttestArgs),
    /// Everything about one IP or range: owner, every evidence line, verdicts, SNDS.
    Explain(ExplainArgs),
    /// Print shell completions (bash, zsh, fish, ...).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Directory with one sub-directory per VPS (named by its vps_id).
    #[arg(long, value_name = "DIR")]
    pub logs: PathBuf,
    /// Inventory CSV: routes central-syslog files to VPSes line by line. Without it files are
    /// read by directory (vps_id or hostname), for `report` to resolve.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// The Parquet partial to write (replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// This log host's name, recorded in every row [default: the host name].
    #[arg(long, value_name = "ID")]
    pub host_id: Option<String>,
    /// Extra or replacement classification rules (use the same file for every host).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Time zone of log timestamps that carry none [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Worker threads for parsing, 1 to 1024 (default: number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Do not print the summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A directory of `*.parquet` partials, one partial, or a glob (`/srv/partials/*/2026-11-23.parquet`).
    #[arg(long, value_name = "DIR_OR_GLOB")]
    pub partials: String,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// Report directory; replaced atomically when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The rule file the partials were ingested with.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports to join.
    #[arg(long, value_name = "DIR")]
    pub snds: Option<PathBuf>,
    /// Skip malformed SNDS rows instead of stopping.
    #[arg(long)]
    pub lenient: bool,
    /// The provider's own mailbox for delisting portals' confirmation mails.
    #[arg(long, value_name = "EMAIL")]
    pub delist_contact: Option<String>,
    /// Recipient addresses in reports [default: domain].
    #[arg(long, value_enum, value_name = "DETAIL")]
    pub recipient_detail: Option<RecipientDetailArg>,
    /// Keep this many previous report sets in `<out>.archive/`, 0 to 1000 [default: 0].
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Write Prometheus metrics to this file.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// IPv4 neighbourhood prefix length, 8 to 32 [default: 24].
    #[arg(long, value_name = "BITS")]
    pub ipv4_prefix: Option<u64>,
    /// IPv6 neighbourhood prefix length, 16 to 128 [default: 64].
    #[arg(long, value_name = "BITS")]
    pub ipv6_prefix: Option<u64>,
    /// Do not print the run summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Format of the run summary on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Inputs shared by commands that analyse the logs.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// Directory with one sub-directory per VPS holding its mail logs.
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports.
    #[arg(long, value_name = "DIR")]
    pub snds: Option<PathBuf>,
    /// Extra or replacement classification rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Worker threads for parsing, 1 to 1024 (default: number of CPUs).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Time zone of log timestamps that carry none [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Debug, Args)]
pub struct AttestArgs {
    #[command(flatten)]
    pub evidence: EvidenceArgs,
    /// Only this customer's addresses.
    #[arg(long, value_name = "ID", conflicts_with = "range")]
    pub customer: Option<String>,
    /// Only addresses inside this CIDR.
    #[arg(long, value_name = "CIDR")]
    pub range: Option<String>,
    /// Name customers (by default only their ids appear).
    #[arg(long)]
    pub names: bool,
    /// The provider's name for the statement.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AttestFormat::Text)]
    pub format: AttestFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AttestFormat {
    Text,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The IP address or CIDR range to explain.
    #[arg(value_name = "IP|CIDR")]
    pub target: String,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML file with any of the options below (flags override it; paths are relative to it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory with one sub-directory per VPS (named by its vps_id) holding that VPS's mail logs.
    #[arg(long, value_name = "DIR")]
    pub logs: Option<PathBuf>,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip (ip: address or CIDR).
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Report directory; replaced atomically when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Extra or replacement classification rules (same format as the built-in catalogue, see docs/rules.md).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Directory of Microsoft SNDS exports (IP data and IP status CSV files) to join with the logs.
    #[arg(long, value_name = "DIR")]
    pub snds: Option<PathBuf>,
    /// Skip malformed SNDS rows (counted and listed in input-problems.csv) instead of stopping.
    #[arg(long)]
    pub lenient: bool,
    /// The provider's own mailbox for delisting portals' confirmation mails (never a customer's).
    #[arg(long, value_name = "EMAIL")]
    pub delist_contact: Option<String>,
    /// Directory for the state between runs (new/ongoing/resolved per IP and rule).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Ignore the existing state (e.g. after it was reported corrupt) and start it afresh.
    #[arg(long)]
    pub rebuild_state: bool,
    /// How much of recipient addresses quoted in replies the reports show [default: domain]
    /// (`*@example.com`); `full` keeps whole addresses.
    #[arg(long, value_enum, value_name = "DETAIL")]
    pub recipient_detail: Option<RecipientDetailArg>,
    /// Re-read every log from its start (with --state, earlier runs' cursors and stored days are
    /// replaced by what the logs on disk hold).
    #[arg(long)]
    pub full: bool,
    /// First day of the report window (YYYY-MM-DD in the --tz zone) [default: since the last run].
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Last day of the report window, included (YYYY-MM-DD) [default: the latest day in the data].
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Report the last N days, 1 to 3660 (ending with --until, or the latest day in the data).
    /// Like --since/--until, a report only: the state is left for the nightly run.
    #[arg(long, value_name = "N", conflicts_with = "since")]
    pub days: Option<u64>,
    /// Days of per-day data the state keeps for later --days/--since windows, 1 to 3660
    /// [default: 100].
    #[arg(long, value_name = "N")]
    pub history_days: Option<u64>,
    /// Time zone of log timestamps that carry none (RFC 3164, Exim without log_timezone), e.g.
    /// Europe/Berlin [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Keep this many previous report sets in `<out>.archive/`, 0 to 1000 [default: 0].
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Write Prometheus metrics (node_exporter textfile-collector format) to this file.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Worker threads for parsing, 1 to 1024 (default: number of CPUs). Reports do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// IPv4 neighbourhood prefix length, 8 to 32 [default: 24].
    #[arg(long, value_name = "BITS")]
    pub ipv4_prefix: Option<u64>,
    /// IPv6 neighbourhood prefix length, 16 to 128 [default: 64].
    #[arg(long, value_name = "BITS")]
    pub ipv6_prefix: Option<u64>,
    /// Do not print the run summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Format of the run summary on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecipientDetailArg {
    Domain,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// A few human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// Show the catalogue with this rule file applied (as `run --rules FILE` would use it).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Whole MTA log lines or bare receiver replies (quote each); none: one item per stdin line.
    #[arg(value_name = "TEXT")]
    pub texts: Vec<String>,
    /// The receiving MX a bare reply came from (e.g. `contoso-com.mail.protection.outlook.com`):
    /// decides the platform. Log lines name their MX themselves.
    #[arg(long, value_name = "HOST")]
    pub mx: Option<String>,
    /// Classify with this rule file applied (as `run --rules FILE` would).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RulesFormat {
    /// Aligned text table for a terminal.
    Table,
    /// CSV, one rule per row.
    Csv,
    /// Markdown (the source of docs/rules.md).
    #[value(alias = "markdown")]
    Md,
}
