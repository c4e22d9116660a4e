//! The `gilscope` binary: the desktop app, or a headless subcommand.

use clap::Parser;
use gilscope::cli::{Cli, execute};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        eprintln!("gilscope: the desktop app is not built yet; try `gilscope --help`");
        return ExitCode::from(2);
    };
    let stdout = std::io::stdout();
    match execute(&command, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
