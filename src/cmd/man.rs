//! `blockscope man`: the man pages (roff), generated from the command line's definition.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// blockscope(1) on stdout.
pub(crate) fn run(w: &mut dyn Write) -> Result<()> {
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(command)
        .render(w)
        .map_err(super::stdout_error)
}

/// blockscope.1 and one page per subcommand (`blockscope-run.1`, `blockscope-snds-fetch.1`),
/// the pages blockscope(1)'s SUBCOMMANDS section names, written into `dir` (created if missing).
pub(crate) fn write_pages(dir: &Path) -> Result<()> {
    let write_error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_error)?;
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_mangen::generate_to(command, dir).map_err(write_error)
}
