//! `blockscope snds fetch`: download the SNDS automated-access exports into the directory that
//! `run --snds` reads; a summary on stderr, exports SNDS did not give as the error (exit 1).

use crate::config::FetchConfig;
use crate::error::{FetchError, Result, EXIT_OK};
use crate::snds_fetch::{fetch, Key};

pub(crate) fn run(config: &FetchConfig) -> Result<i32> {
    let key = Key::read(&config.key_file)?;
    if let Some(warning) = &key.warning {
        eprintln!("blockscope: warning: {warning}");
    }
    let outcome = fetch(config, &key)?;
    if !config.quiet {
        eprintln!("{}", outcome.summary());
    }
    if outcome.failed.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(FetchError::GaveUp(outcome.failed).into())
    }
}
