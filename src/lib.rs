//! blockscope: which sending IPs and neighbourhoods receivers are blocking, from the fleet's MTA logs.
//!
//! The pipeline: `ingest` (log formats, the only rayon code) -> `classify` (rule table) and
//! `attribute` (inventory, sending-IP provenance) -> the neutral `model` of typed event cells ->
//! `aggregate` (polars stays here; typed report rows) -> `report` (one module per output).
//! `persist` stores cells (state day files, Parquet partials), `state` tracks new/ongoing/resolved.
//! `cli` parses, `config` validates (one `Config` for every subcommand), `pipeline` holds the
//! stages the subcommands share, `cmd` runs one subcommand each. `snds_fetch` is the one part
//! that talks to a server: it downloads SNDS exports for `run --snds` to read; `dnsbl` asks DNS
//! block lists about our addresses through the provider's resolver. README.md "Code
//! map" has the import order; `tests/blockscope/architecture.rs` keeps it acyclic.

// Crate-private by default: the public surface is what the binary (`cmd::main`), the tests,
// benches and fuzz targets use, so dead code cannot hide behind `pub`.
#![warn(unreachable_pub)]

pub(crate) mod aggregate;
pub mod attribute;
pub mod classify;
pub(crate) mod cli;
pub mod cmd;
pub mod config;
pub(crate) mod dnsbl;
pub mod error;
pub(crate) mod fsio;
pub mod ingest;
pub(crate) mod mail;
pub mod model;
pub(crate) mod persist;
pub(crate) mod pipeline;
pub(crate) mod report;
pub(crate) mod snds_fetch;
pub(crate) mod state;
