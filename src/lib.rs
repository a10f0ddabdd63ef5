//! blockscope: which sending IPs and neighbourhoods receivers are blocking, from the fleet's MTA logs.
//!
//! The pipeline: `ingest` (log formats) -> `classify` (rule table) -> `attribute` (inventory,
//! sending-IP provenance) -> `aggregate` (partials merged, polars group-bys) -> `report` (one
//! module per output). `cli` parses, `config` validates (one `Config` for every subcommand),
//! `pipeline` holds the stages the subcommands share, `cmd` runs one subcommand each.

// Crate-private by default: the public surface is what the binary (`cmd::main`), the tests,
// benches and fuzz targets use, so dead code cannot hide behind `pub`.
#![warn(unreachable_pub)]

pub(crate) mod aggregate;
pub mod attribute;
pub mod classify;
pub(crate) mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub(crate) mod fsio;
pub mod ingest;
pub mod model;
pub(crate) mod persist;
pub(crate) mod pipeline;
pub(crate) mod report;
pub(crate) mod state;
