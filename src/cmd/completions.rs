//! `blockscope completions SHELL`: shell completions for the whole command line.

use crate::error::Result;
use std::io::Write;

pub(crate) fn run(shell: clap_complete::Shell, w: &mut dyn Write) -> Result<()> {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut command, "blockscope", w);
    Ok(())
}
