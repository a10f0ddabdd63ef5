//! One module per subcommand.

pub mod attest;
pub mod check_config;
pub mod evidence;
pub mod explain;
pub mod rules;
pub mod run;
