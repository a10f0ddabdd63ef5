//! The `blockscope` binary: parse the command line, build the one validated `Config`, run the
//! subcommand, map the outcome to an exit code.
//!
//! Exit codes (README.md "Exit codes", `error.rs`): 0 success; 1 failure (cannot write the
//! reports, internal error); 2 bad command line, configuration or input; 3 completed with input
//! problems; 4 another run holds the lock. A closed stdout pipe (`blockscope rules | head -1`)
//! is not an error: the command stops quietly with 0.

use blockscope::cli::{Cli, Command};
use blockscope::cmd;
use blockscope::config::{Config, Options, Purpose};
use blockscope::error::{Error, Result, EXIT_OK};
use clap::Parser;
use std::io::Write;

fn main() {
    let cli = Cli::parse();
    std::process::exit(dispatch(cli.command));
}

/// Run one subcommand; its exit code.
fn dispatch(command: Command) -> i32 {
    match command {
        Command::Run(args) => {
            exit_code(Config::build(args.options(), Purpose::Run).and_then(|c| cmd::run::run(&c)))
        }
        Command::CheckConfig(args) => with_config(args.options(), Purpose::Run, |c, w| {
            cmd::check_config::run(c, w)
        }),
        Command::Ingest(args) => exit_code(
            Config::build(args.options(), Purpose::Ingest)
                .and_then(|c| cmd::ingest::run(&c, args.host_id.as_deref())),
        ),
        Command::Report(args) => exit_code(
            Config::build(args.options(), Purpose::Report).and_then(|c| cmd::report::run(&c)),
        ),
        Command::Explain(args) => with_config(args.evidence.options(), Purpose::Explain, |c, w| {
            cmd::explain::run(c, &args.target, w)
        }),
        Command::Attest(args) => with_config(args.evidence.options(), Purpose::Attest, |c, w| {
            cmd::attest::run(c, &cmd::attest::Request::from(&args), w)
        }),
        Command::Classify(args) => to_stdout(|w| {
            let rules = blockscope::pipeline::rules(args.rules.as_deref())?;
            let input = cmd::classify::ClassifyInput {
                texts: &args.texts,
                mx: args.mx.as_deref(),
            };
            cmd::classify::run(&input, &rules, w)
        }),
        Command::Rules(args) => to_stdout(|w| {
            let rules = blockscope::pipeline::rules(args.rules.as_deref())?;
            cmd::rules::run(args.format.into(), &rules, w).map_err(stdout_error)
        }),
        Command::Completions { shell } => to_stdout(|w| cmd::completions::run(shell, w)),
        Command::Man => to_stdout(|w| cmd::man::run(w)),
    }
}

/// A command that needs a `Config` and prints to stdout.
fn with_config(
    options: Options,
    purpose: Purpose,
    f: impl FnOnce(&Config, &mut dyn Write) -> Result<()>,
) -> i32 {
    match Config::build(options, purpose) {
        Ok(c) => to_stdout(|w| f(&c, w)),
        Err(e) => exit_code(Err(e)),
    }
}

fn exit_code(result: Result<i32>) -> i32 {
    result.unwrap_or_else(|e| {
        print_error(&e);
        e.exit_code()
    })
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::Output {
        path: "stdout".into(),
        source,
    }
}

/// Run a command that prints to stdout; a closed pipe ends it quietly.
fn to_stdout(f: impl FnOnce(&mut dyn Write) -> Result<()>) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = f(&mut out).and_then(|()| out.flush().map_err(stdout_error));
    match result {
        Ok(()) => EXIT_OK,
        Err(Error::Output { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            EXIT_OK
        }
        Err(e) => exit_code(Err(e)),
    }
}

/// Print an error with its whole cause chain.
fn print_error(e: &dyn std::error::Error) {
    let mut msg = format!("blockscope: error: {e}");
    let mut source = e.source();
    while let Some(cause) = source {
        msg.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    // Messages quote file names and input text: each line made terminal-safe.
    let safe: Vec<_> = msg
        .lines()
        .map(blockscope::report::text::printable)
        .collect();
    eprintln!("{}", safe.join("\n"));
}
