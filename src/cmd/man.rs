//! `blockscope man`: the man page (roff), generated from the command line's definition.

use crate::error::{Error, Result};
use std::io::Write;

pub(crate) fn run(w: &mut dyn Write) -> Result<()> {
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(command)
        .render(w)
        .map_err(|source| Error::Output {
            path: "stdout".into(),
            source,
        })
}
