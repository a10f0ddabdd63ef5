//! `blockscope dnsbl`'s flags (a file of their own: `cli.rs` stays under the size limit).

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(crate) struct DnsblArgs {
    /// TOML file with any of the options below (flags override it; paths are relative to it).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Inventory CSV with header customer_id,customer_name,vps_id,ip (or `inventory` in --config).
    #[arg(long, value_name = "FILE")]
    pub(crate) inventory: Option<PathBuf>,
    /// The DNS block lists to ask, comma-separated (or `dnsbl = [...]` in --config), e.g.
    /// zen.spamhaus.org,b.barracudacentral.org,bl.spamcop.net,dnsbl-2.uceprotect.net.
    #[arg(long, value_name = "ZONE[,ZONE...]", value_delimiter = ',')]
    pub(crate) zones: Vec<String>,
    /// The provider's own recursive resolver, the only server asked (or `resolver` in --config);
    /// port 53 unless given. Required: /etc/resolv.conf is never read, and Spamhaus refuses
    /// public resolvers.
    #[arg(long, value_name = "IP[:PORT]")]
    pub(crate) resolver: Option<String>,
    /// File whose first line is the Spamhaus DQS key: Spamhaus zones are then asked as
    /// KEY.zen.dq.spamhaus.net. Keep it mode 600; the key is never printed.
    #[arg(long, value_name = "FILE")]
    pub(crate) dqs_key_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DnsblFormat::Text)]
    pub(crate) format: DnsblFormat,
    /// DNS queries in flight at once, 1 to 1024 [default: 32].
    #[arg(long, value_name = "N")]
    pub(crate) dnsbl_concurrency: Option<u64>,
    /// Queries per second to each zone, 1 to 10000 [default: 500].
    #[arg(long, value_name = "N")]
    pub(crate) dnsbl_rate: Option<u64>,
    /// Seconds per try of one query, 1 to 30 [default: 3].
    #[arg(long, value_name = "SECONDS")]
    pub(crate) dnsbl_timeout: Option<u64>,
    /// Tries per query, 1 to 5 [default: 2].
    #[arg(long, value_name = "N")]
    pub(crate) dnsbl_attempts: Option<u64>,
    /// Inventory ranges up to this IPv4 prefix length are asked address by address, 16 to 32
    /// [default: 24]; larger ones are named and not asked (IPv6: as many addresses, a /120).
    #[arg(long, value_name = "BITS")]
    pub(crate) dnsbl_max_range: Option<u64>,
    /// Print the zone table (lists, return codes, scopes, sources) and exit.
    #[arg(long)]
    pub(crate) list_zones: bool,
    /// With --format csv, do not print the summary and what could not be learned on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl DnsblArgs {
    pub(crate) fn options(&self) -> crate::config::DnsblOptions {
        crate::config::DnsblOptions {
            config: self.config.clone(),
            inventory: self.inventory.clone(),
            zones: self.zones.clone(),
            resolver: self.resolver.clone(),
            dqs_key_file: self.dqs_key_file.clone(),
            concurrency: self.dnsbl_concurrency,
            rate: self.dnsbl_rate,
            timeout: self.dnsbl_timeout,
            attempts: self.dnsbl_attempts,
            max_range: self.dnsbl_max_range,
            quiet: self.quiet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DnsblFormat {
    Text,
    Csv,
}

/// `run`'s block-list lookups (the same keys as `dnsbl`'s in the config file).
#[derive(Debug, Args)]
pub(crate) struct RunDnsblArgs {
    /// Look every inventory address and every address seen sending up in these DNS block lists
    /// (comma-separated; or `dnsbl = [...]` in --config): listed addresses not bouncing yet,
    /// range listings as subnet evidence, summary/dnsbl.csv.
    #[arg(long, value_name = "ZONE[,ZONE...]", value_delimiter = ',')]
    pub(crate) dnsbl: Vec<String>,
    /// The provider's own recursive resolver for --dnsbl (or `resolver` in --config).
    #[arg(long, value_name = "IP[:PORT]")]
    pub(crate) resolver: Option<String>,
    /// Hours a night's block-list answers are reused from --state, 0 to 72 [default: 12].
    #[arg(long, value_name = "HOURS")]
    pub(crate) dnsbl_ttl: Option<u64>,
}

impl RunDnsblArgs {
    pub(crate) fn apply(&self, o: &mut crate::config::Options) {
        o.dnsbl = self.dnsbl.clone();
        o.resolver = self.resolver.clone();
        o.dnsbl_ttl = self.dnsbl_ttl;
    }
}
