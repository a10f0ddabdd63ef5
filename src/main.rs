//! The `blockscope` binary: everything happens in `blockscope::cmd::main`, which parses the
//! command line, runs the subcommand and maps the outcome to an exit code.
//!
//! Exit codes (README.md "Exit codes", `error.rs`): 0 success; 1 failure (cannot write the
//! reports, internal error); 2 bad command line, configuration or input; 3 completed with input
//! problems; 4 another run holds the lock. A closed stdout pipe (`blockscope rules | head -1`)
//! is not an error: the command stops quietly with 0.

fn main() {
    std::process::exit(blockscope::cmd::main());
}
