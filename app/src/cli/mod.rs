//! Headless subcommands: `scenarios`, `run`, `sweep`, `compare`, `export`, `interpreters`,
//! `validate`. With no subcommand the binary opens the window.

mod commands;
pub mod compare_real;
pub mod engine;
pub mod interpreters;
pub mod report;
pub mod settings;
pub mod validate;

use clap::{Parser, Subcommand};
use engine::EngineArgs;
use gilscope_sim::Nanos;
use settings::{SettingsArgs, parse_duration_arg};
use std::path::PathBuf;

pub use commands::execute;

/// `gilscope`: see Python's GIL.
#[derive(Debug, Parser)]
#[command(name = "gilscope", version, about = "See Python's Global Interpreter Lock: threads, switches, convoys and free-threading on a live timeline.", long_about = None)]
pub struct Cli {
    /// What to do; none opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the preset scenarios with their one-line summaries.
    Scenarios,
    /// Run a scenario headless and print its stats.
    Run {
        /// A preset name (see `gilscope scenarios`) or a path to a .toml file.
        scenario: String,
        /// Settings that override the scenario's.
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print exactly one JSON document instead of the readable summary.
        #[arg(long)]
        json: bool,
        /// Also write the trace as Chrome trace-event JSON (opens in Perfetto).
        #[arg(long, value_name = "FILE.json")]
        trace: Option<PathBuf>,
        /// The engine, and the interpreter of the cpython engine.
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Run a scenario at many switch intervals (in parallel) and print one row per interval.
    Sweep {
        /// A preset name or a path to a .toml file.
        scenario: String,
        /// Smallest interval of a log-spaced range.
        #[arg(long, value_name = "D", value_parser = parse_duration_arg, requires = "to")]
        from: Option<Nanos>,
        /// Largest interval of a log-spaced range.
        #[arg(long, value_name = "D", value_parser = parse_duration_arg, requires = "from")]
        to: Option<Nanos>,
        /// Points in the log-spaced range (2–200).
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(2..=200))]
        points: u32,
        /// Settings that override the scenario's; --switch-interval takes the list of intervals
        /// to sweep (0.5ms,1ms,5ms,20ms,100ms) unless --from/--to give a range.
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print CSV.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Print a JSON array of the `run --json` documents.
        #[arg(long)]
        json: bool,
        /// The engine: the simulator runs the points in parallel, live and cpython one after
        /// another.
        #[command(flatten)]
        engine: EngineArgs,
        /// Also draw the sweep chart (latency, throughput, switches vs interval) as a PNG.
        #[arg(long, value_name = "FILE.png")]
        plot: Option<PathBuf>,
    },
    /// Run a scenario under every runtime (threads, free-threaded, asyncio, multiprocessing,
    /// subinterpreters) and print them side by side.
    Compare {
        /// A preset name or a path to a .toml file.
        scenario: String,
        /// Settings that override the scenario's (the runtime is varied).
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print a JSON array of `{"runtime": label, "stats": …}` instead of the table.
        #[arg(long)]
        json: bool,
        /// The engine: the simulator, or cpython (each runtime run for real, one after
        /// another, on --interpreter or on an interpreter found here that has it).
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Measure this machine (wake-up latency, time slice, the live interpreter's ns per
    /// bytecode, and python3's where one is on the PATH) and print settings for the simulator.
    Calibrate {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Render the app with a finished run of the scenario and save a PNG (needs a display:
    /// Xvfb works).
    Screenshot {
        /// A preset name or a path to a .toml file.
        scenario: String,
        /// The PNG to write.
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Window size in pixels.
        #[arg(long, value_name = "WxH", default_value = "1280x800", value_parser = parse_size)]
        size: [u32; 2],
        /// Show the compare view, run B changing: build, interval=D, python=V, cores=N,
        /// runtime=R, or cpython (B on the real interpreter of --interpreter, A on --engine).
        #[arg(long, value_name = "WHAT")]
        compare: Option<crate::gui::CompareWith>,
        /// Presentation mode: large text, thick lanes.
        #[arg(long)]
        presentation: bool,
        /// The light theme.
        #[arg(long)]
        light: bool,
        /// The engine (run B's too, unless --compare cpython puts B on a real interpreter).
        #[command(flatten)]
        engine: EngineArgs,
        /// Start paused and step this many events (the caption shows the last).
        #[arg(long, value_name = "N", default_value_t = 0)]
        step: u32,
        /// Then run on to the next event of this kind: drop-request, forced-switch, handoff,
        /// io-start, io-end, lock-wait, lock-acquired, lock-released, futile-wakeup,
        /// counter-load (the start of a lost update) or lost-update.
        #[arg(long, value_name = "KIND")]
        next: Option<gilscope_sim::events::EventKind>,
        /// Select this range of the finished run, e.g. 300ms..420ms (its aggregate is shown).
        #[arg(long, value_name = "FROM..TO", value_parser = parse_range)]
        select: Option<(gilscope_sim::Nanos, gilscope_sim::Nanos)>,
        /// Predict mode: the scenario's question, the numbers hidden.
        #[arg(long)]
        predict: bool,
        /// Predict mode with the answer revealed.
        #[arg(long, conflicts_with = "predict")]
        reveal: bool,
        /// The Runtimes tab: the scenario under every runtime, the table of `gilscope compare`.
        #[arg(long, conflicts_with_all = ["compare", "predict", "reveal", "step", "next"])]
        runtimes: bool,
        /// Settings that override the scenario's.
        #[command(flatten)]
        settings: SettingsArgs,
    },
    /// Run a scenario and write trace.json (Chrome trace), stats.json and stats.csv to a folder;
    /// or write the Python program the cpython engine runs for it.
    Export {
        /// A preset name or a path to a .toml file.
        scenario: String,
        /// Settings that override the scenario's.
        #[command(flatten)]
        settings: SettingsArgs,
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR", required_unless_present = "python_script")]
        out: Option<PathBuf>,
        /// Write the Python program generated for the interpreter (--interpreter, or the newest
        /// found), to read or run by hand; with --out, the scenario also runs on it.
        #[arg(long, value_name = "FILE.py")]
        python_script: Option<PathBuf>,
        /// The engine, and the interpreter of the cpython engine.
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// List the `CPython` interpreters found here (version, build, speed, runtimes, path), and
    /// the candidates that are not usable with the reason.
    Interpreters {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every preset (or the scenarios given) on the simulator and on real interpreters,
    /// and print their key figures side by side with a verdict per row.
    Validate {
        /// Presets or .toml files (default: every preset).
        scenarios: Vec<String>,
        /// An interpreter to validate against, a path or a version (repeatable; default:
        /// every one found).
        #[arg(long, value_name = "PATH|VERSION")]
        interpreter: Vec<String>,
        /// Runs of each scenario on each interpreter, to measure the run-to-run spread (2–20).
        #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=20))]
        repeats: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("\"{text}\": write the size as WIDTHxHEIGHT, e.g. 1280x800"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("\"{text}\": width and height must be whole numbers of pixels"))
    };
    Ok([parse(w)?, parse(h)?])
}

fn parse_range(text: &str) -> Result<(gilscope_sim::Nanos, gilscope_sim::Nanos), String> {
    let (from, to) = text
        .split_once("..")
        .ok_or_else(|| format!("\"{text}\": write the range as FROM..TO, e.g. 300ms..420ms"))?;
    let (from, to) = (
        gilscope_sim::time::parse_duration(from)?,
        gilscope_sim::time::parse_duration(to)?,
    );
    if to <= from {
        return Err(format!("\"{text}\": the range must end after it starts"));
    }
    Ok((from, to))
}

/// A failure of a subcommand, with the exit status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: a scenario, a flag, settings, or a run that cannot complete (deadlock).
    #[error("{0}")]
    Input(String),
    /// The window could not be opened or the screenshot taken.
    #[error("{0}")]
    Gui(String),
    /// Ctrl+C stopped the run; its output, as far as it got, was written.
    #[error("{0}")]
    Interrupted(String),
    /// Writing an output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being written.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl CliError {
    /// 2 for bad input (like clap's usage errors), 130 for Ctrl+C (like a shell), 1 for
    /// anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Interrupted(_) => 130,
            CliError::Io { .. } | CliError::Gui(_) => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
