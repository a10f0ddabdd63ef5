//! `blockscope mail`: mail the summary of the report set already in `--out`.

use crate::config::Config;
use crate::error::{Result, EXIT_OK};

pub(crate) fn run(config: &Config) -> Result<i32> {
    // Nothing configured is nothing to do: blockscope-mail.service runs after every night,
    // whether or not the provider asked for the mail.
    if config.mail_to.is_empty() {
        if !config.quiet {
            eprintln!("blockscope: no recipient (--mail-to, or mail_to in the --config file): nothing mailed");
        }
        return Ok(EXIT_OK);
    }
    crate::mail::send_summary(config)?;
    if !config.quiet {
        eprintln!(
            "blockscope: mailed {} to {}",
            config.out.join("summary").join("summary.md").display(),
            config.mail_to.join(", ")
        );
    }
    Ok(EXIT_OK)
}
