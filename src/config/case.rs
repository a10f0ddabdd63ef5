//! `blockscope case`'s one option: where the cases are (`--state`, else the `state` of the
//! `--config` file the nightly run reads).

use super::file::ConfigFile;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// `case`'s flags as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseOptions {
    pub(crate) state: Option<PathBuf>,
    pub(crate) config: Option<PathBuf>,
}

/// `case`'s options, checked.
#[derive(Debug, Clone)]
pub(crate) struct CaseConfig {
    /// The state directory holding `cases.json`.
    pub(crate) state: PathBuf,
}

impl CaseConfig {
    pub(crate) fn build(o: CaseOptions) -> Result<CaseConfig> {
        let file_state = match &o.config {
            Some(path) => ConfigFile::load(path)?.state,
            None => None,
        };
        let state = o.state.or(file_state).ok_or_else(|| {
            Error::Config(
                "--state DIR is required: the state directory of the nightly run, where the cases are kept (or --config FILE with `state = DIR`)".into(),
            )
        })?;
        if state.exists() && !state.is_dir() {
            return Err(Error::Config(format!(
                "--state {}: not a directory; give the nightly run's state directory",
                state.display()
            )));
        }
        Ok(CaseConfig { state })
    }
}
