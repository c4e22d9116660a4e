//! The `gilscope` binary: the desktop app, or a headless subcommand.

use clap::Parser;
use gilscope::cli::{Cli, CliError, execute};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return match gilscope::gui::run_native() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: cannot open the window: {error}");
                ExitCode::FAILURE
            }
        };
    };
    let stdout = std::io::stdout();
    match execute(&command, &mut stdout.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ CliError::Interrupted(_)) => {
            eprintln!("{error}");
            ExitCode::from(error.exit_code())
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
