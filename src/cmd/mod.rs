//! One module per subcommand.

pub mod attest;
pub mod check_config;
pub mod classify;
pub mod evidence;
pub mod explain;
pub mod ingest;
pub mod report;
pub mod rules;
pub mod run;
