//! End-to-end tests: the real binary on fleets built from real log lines.
//!
//! One integration binary (ripgrep's layout): `util` holds the helpers and real log lines, each
//! other module one area of behaviour.

mod acting;
mod architecture;
mod cases;
mod central_syslog;
mod closed_stdout;
mod config_validation;
mod delisting_pack;
mod dns_server;
mod dnsbl;
mod dnsbl_run;
mod formats;
mod fuzz;
mod golden;
mod help_examples;
mod hostile;
mod hostile_fields;
mod html;
mod huge_files;
mod ingest_without_inventory;
mod inventory_import;
mod morning_mail;
mod nightly;
mod no_network;
mod notices;
mod operations;
mod partials;
mod properties;
mod real_logs;
mod real_replies;
mod rule_files;
mod run_basics;
mod run_safety;
mod security;
mod smaller_findings;
mod snds;
mod snds_fetch;
mod state_between_runs;
mod state_visible;
mod tenant_isolation;
mod trend;
mod unclassified_cap;
mod util;
mod verdicts;
mod verdicts_by_evidence;

use util::*;
