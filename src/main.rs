//! The `tintype` binary: parse the command line, run it, exit with its code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tintype::cli::run(tintype::cli::Cli::parse())
}
