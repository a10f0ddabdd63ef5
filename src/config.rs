//! Validated run configuration: plain data, no clap types.

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use std::path::PathBuf;

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
    pub threads: usize,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
    pub quiet: bool,
}

impl Config {
    pub fn from_run_args(args: &RunArgs) -> Result<Config> {
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
        let threads = match args.threads {
            Some(0) => {
                return Err(Error::Config(
                    "--threads 0: give at least 1 (or leave it out to use every CPU)".into(),
                ))
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
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
        Ok(Config {
            logs: args.logs.clone(),
            inventory: args.inventory.clone(),
            out: args.out.clone(),
            rules: args.rules.clone(),
            snds: args.snds.clone(),
            lenient: args.lenient,
            delist_contact: args.delist_contact.clone(),
            threads,
            ipv4_prefix: args.ipv4_prefix,
            ipv6_prefix: args.ipv6_prefix,
            quiet: args.quiet,
        })
    }
}
