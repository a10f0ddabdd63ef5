use blockscope::cli::{Cli, Command};
use blockscope::config::Config;
use blockscope::error::{EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use clap::{CommandFactory, Parser};
use std::io::Write;

fn exit_code(result: blockscope::error::Result<i32>) -> i32 {
    result.unwrap_or_else(|e| {
        print_error(&e);
        e.exit_code()
    })
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => {
            match Config::from_run_args(&args).and_then(|c| blockscope::cmd::run::run(&c)) {
                Ok(code) => code,
                Err(e) => {
                    print_error(&e);
                    e.exit_code()
                }
            }
        }
        Command::CheckConfig(args) => match Config::from_run_args(&args) {
            Ok(config) => to_stdout(|w| blockscope::cmd::check_config::run(&config, w)),
            Err(e) => {
                print_error(&e);
                e.exit_code()
            }
        },
        Command::Ingest(args) => exit_code(blockscope::cmd::ingest::run(&args)),
        Command::Report(args) => exit_code(blockscope::cmd::report::run(&args)),
        Command::Completions { shell } => to_stdout(|w| {
            clap_complete::generate(shell, &mut Cli::command(), "blockscope", w);
            Ok(())
        }),
        Command::Man => to_stdout(|w| {
            clap_mangen::Man::new(Cli::command())
                .render(w)
                .map_err(|source| blockscope::error::Error::Output {
                    path: "stdout".into(),
                    source,
                })
        }),
        Command::Attest(args) => to_stdout(|w| blockscope::cmd::attest::run(&args, w)),
        Command::Explain(args) => to_stdout(|w| blockscope::cmd::explain::run(&args, w)),
        Command::Classify(args) => to_stdout(|w| {
            let rules = match &args.rules {
                Some(path) => blockscope::classify::RuleSet::with_file(path)?,
                None => blockscope::classify::RuleSet::builtin().clone(),
            };
            let input = blockscope::cmd::classify::ClassifyInput {
                texts: &args.texts,
                mx: args.mx.as_deref(),
            };
            blockscope::cmd::classify::run(&input, &rules, w)
        }),
        Command::Rules(args) => {
            let loaded;
            let rules = match &args.rules {
                Some(path) => match blockscope::classify::RuleSet::with_file(path) {
                    Ok(r) => {
                        loaded = r;
                        &loaded
                    }
                    Err(e) => {
                        print_error(&e);
                        std::process::exit(EXIT_BAD_INPUT);
                    }
                },
                None => blockscope::classify::RuleSet::builtin(),
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match blockscope::cmd::rules::run(args.format, rules, &mut out)
                .and_then(|()| out.flush())
            {
                Ok(()) => EXIT_OK,
                // `blockscope rules | head` closes the pipe early: not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
                Err(e) => {
                    eprintln!("blockscope: error: cannot write to stdout: {e}");
                    EXIT_FAILURE
                }
            }
        }
    };
    std::process::exit(code);
}

/// Run a command that prints to stdout; a closed pipe ends it quietly.
fn to_stdout(f: impl FnOnce(&mut dyn Write) -> blockscope::error::Result<()>) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = f(&mut out).and_then(|()| {
        out.flush()
            .map_err(|source| blockscope::error::Error::Output {
                path: "stdout".into(),
                source,
            })
    });
    match result {
        Ok(()) => EXIT_OK,
        Err(blockscope::error::Error::Output { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            EXIT_OK
        }
        Err(e) => {
            print_error(&e);
            e.exit_code()
        }
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
