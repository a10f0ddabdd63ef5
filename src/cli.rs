//! Command-line parsing. clap types stay here; `config.rs` turns them into a plain `Config`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "blockscope",
    version,
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
    /// Print the rule catalogue that drives classification.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Directory with one sub-directory per VPS (named by its vps_id) holding that VPS's mail logs.
    #[arg(long, value_name = "DIR")]
    pub logs: PathBuf,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip (ip: address or CIDR).
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// Report directory; replaced atomically when the run succeeds.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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
    /// Worker threads for parsing (default: number of CPUs). Reports do not depend on it.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// IPv4 neighbourhood prefix length.
    #[arg(long, value_name = "BITS", default_value_t = 24)]
    pub ipv4_prefix: u8,
    /// IPv6 neighbourhood prefix length.
    #[arg(long, value_name = "BITS", default_value_t = 64)]
    pub ipv6_prefix: u8,
    /// Do not print the run summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
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
