//! blockscope: which sending IPs and neighbourhoods receivers are blocking, from the fleet's MTA logs.
//!
//! The pipeline: `ingest` (log formats) -> `classify` (rule table) -> `attribute` (inventory,
//! sending-IP provenance) -> `aggregate` (partials merged, polars group-bys) -> `report` (one
//! module per output). `cli` parses, `config` validates (one `Config` for every subcommand),
//! `pipeline` holds the stages the subcommands share, `cmd` runs one subcommand each.

pub mod aggregate;
pub mod attribute;
pub mod classify;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod fsio;
pub mod ingest;
pub mod model;
pub mod persist;
pub mod pipeline;
pub mod report;
pub mod state;
