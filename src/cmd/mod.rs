//! One module per subcommand.

pub mod attest;
pub mod check_config;
pub mod classify;
pub mod completions;
pub mod explain;
pub mod ingest;
pub mod man;
pub mod report;
pub mod rules;
pub mod run;
