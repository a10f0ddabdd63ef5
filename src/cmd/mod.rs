//! One module per subcommand, and `main`: parse the command line, build the one validated
//! `Config`, run the subcommand, map its outcome to an exit code (a closed stdout pipe is not an
//! error).

pub(crate) mod attest;
pub(crate) mod case;
pub(crate) mod check_config;
pub(crate) mod classify;
pub(crate) mod completions;
pub(crate) mod dnsbl;
pub(crate) mod explain;
pub(crate) mod ingest;
pub(crate) mod inventory;
pub(crate) mod mail;
pub(crate) mod man;
pub(crate) mod report;
pub(crate) mod rules;
pub mod run;
pub(crate) mod snds_fetch;

use crate::cli::{CaseCommand, Cli, Command, DnsblFormat, InventoryCommand, SndsCommand};
use crate::config::{CaseConfig, Config, DnsblConfig, FetchConfig, Options, Purpose};
use crate::error::{Error, Result, EXIT_OK};
use clap::Parser;
use std::io::Write;

/// The whole program: parse the command line, run the subcommand; its exit code.
pub fn main() -> i32 {
    dispatch(Cli::parse().command)
}

/// Run one subcommand; its exit code.
fn dispatch(command: Command) -> i32 {
    match command {
        Command::Run(args) => {
            exit_code(Config::build(args.options(), Purpose::Run).and_then(|c| run::run(&c)))
        }
        Command::CheckConfig(args) => {
            // A config file is a nightly run's: it must hold all a run needs. Flags alone check
            // what they name (an inventory, a rules file, SNDS exports).
            let purpose = if args.config.config.is_some() {
                Purpose::Run
            } else {
                Purpose::Check
            };
            with_config(args.options(), purpose, |c, w| check_config::run(c, w))
        }
        Command::Ingest(args) => exit_code(
            Config::build(args.options(), Purpose::Ingest)
                .and_then(|c| ingest::run(&c, args.host_id.as_deref())),
        ),
        Command::Report(args) => {
            exit_code(Config::build(args.options(), Purpose::Report).and_then(|c| report::run(&c)))
        }
        Command::Explain(args) => with_config(args.evidence.options(), Purpose::Explain, |c, w| {
            explain::run(c, &args.target, args.all, w)
        }),
        Command::Attest(args) => with_config(args.evidence.options(), Purpose::Attest, |c, w| {
            attest::run(c, &attest::Request::from(&args), w)
        }),
        Command::Classify(args) => to_stdout(|w| {
            let rules = crate::pipeline::rules(args.rules.as_deref())?;
            let input = classify::ClassifyInput {
                texts: &args.texts,
                mx: args.mx.as_deref(),
            };
            classify::run(&input, &rules, w)
        }),
        Command::Rules(args) => to_stdout(|w| {
            let rules = crate::pipeline::rules(args.rules.as_deref())?;
            rules::run(args.format.into(), &rules, w).map_err(stdout_error)
        }),
        Command::Mail(args) => {
            exit_code(Config::build(args.options(), Purpose::Mail).and_then(|c| mail::run(&c)))
        }
        Command::Snds(SndsCommand::Fetch(args)) => {
            exit_code(FetchConfig::build(args.options()).and_then(|c| snds_fetch::run(&c)))
        }
        Command::Dnsbl(args) if args.list_zones => {
            to_stdout(|w| dnsbl::list_zones(w).map_err(stdout_error))
        }
        Command::Dnsbl(args) => match DnsblConfig::build(args.options()) {
            Ok(c) => {
                let format = match args.format {
                    DnsblFormat::Text => dnsbl::Format::Text,
                    DnsblFormat::Csv => dnsbl::Format::Csv,
                };
                to_stdout(|w| dnsbl::run(&c, format, w))
            }
            Err(e) => exit_code(Err(e)),
        },
        Command::Inventory(InventoryCommand::Import(args)) => {
            if args.out.is_some() {
                exit_code(inventory::run(&args, &mut std::io::sink()))
            } else {
                to_stdout(|w| inventory::run(&args, w).map(|_| ()))
            }
        }
        Command::Case(command) => dispatch_case(&command),
        Command::Completions { shell } => to_stdout(|w| completions::run(shell, w)),
        Command::Man { out_dir: None } => to_stdout(|w| man::run(w)),
        Command::Man { out_dir: Some(dir) } => exit_code(man::write_pages(&dir).map(|()| 0)),
    }
}

/// `case open|answer|import|list`.
fn dispatch_case(command: &CaseCommand) -> i32 {
    let state = match command {
        CaseCommand::Open(a) => &a.state,
        CaseCommand::Answer(a) => &a.state,
        CaseCommand::Import(a) => &a.state,
        CaseCommand::List(a) => &a.state,
    };
    let config = match CaseConfig::build(state.options()) {
        Ok(c) => c,
        Err(e) => return exit_code(Err(e)),
    };
    to_stdout(|w| match command {
        CaseCommand::Open(a) => case::open(&config, a, w),
        CaseCommand::Answer(a) => case::answer(&config, a, w),
        CaseCommand::Import(a) => case::import(&config, a, w),
        CaseCommand::List(a) => case::list(&config, a, w),
    })
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
    let safe: Vec<_> = msg.lines().map(crate::report::text::printable).collect();
    eprintln!("{}", safe.join("\n"));
}
