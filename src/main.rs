use blockscope::cli::{Cli, Command};
use blockscope::config::Config;
use blockscope::error::{EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use clap::Parser;
use std::io::Write;

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

/// Print an error with its whole cause chain.
fn print_error(e: &dyn std::error::Error) {
    let mut msg = format!("blockscope: error: {e}");
    let mut source = e.source();
    while let Some(cause) = source {
        msg.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    eprintln!("{msg}");
}
