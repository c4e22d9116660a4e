//! The settings of a run on a real interpreter: the scenario's and the user's, with the Python
//! version and build taken from the interpreter (a conflict is said in words), and the settings
//! that only the simulator has marked as not applicable.

use super::error::CpythonError;
use super::interpreter::Interpreter;
use crate::model::{Overrides, PythonVersion, RunConfig};
use crate::scenario::Scenario;

/// Settings a real interpreter has no knob for: the simulator's model of the OS and of its own
/// costs. For this engine they are "not applicable".
pub const NOT_APPLICABLE: [&str; 10] = [
    "seed",
    "wake_latency",
    "time_slice",
    "thread_start",
    "successor",
    "bytecode_ns",
    "free_threaded_overhead",
    "old_gil_signal",
    "old_gil_contention",
    "interpreter_start",
];

/// A run's settings for one interpreter.
#[derive(Debug, Clone, PartialEq)]
pub struct Configured {
    /// The settings; `python` and `free_threaded` are the interpreter's, `bytecode_ns` its
    /// measured speed (so that stats compute the sequential time of this interpreter).
    pub config: RunConfig,
    /// Settings that were asked for but do not apply, one sentence each.
    pub notes: Vec<String>,
}

fn given(overrides: &Overrides, name: &str) -> bool {
    match name {
        "seed" => overrides.seed.is_some(),
        "wake_latency" => overrides.wake_latency.is_some(),
        "time_slice" => overrides.time_slice.is_some(),
        "thread_start" => overrides.thread_start.is_some(),
        "successor" => overrides.successor.is_some(),
        "bytecode_ns" => overrides.bytecode_ns.is_some(),
        "free_threaded_overhead" => overrides.free_threaded_overhead.is_some(),
        "old_gil_signal" => overrides.old_gil_signal.is_some(),
        "old_gil_contention" => overrides.old_gil_contention.is_some(),
        "interpreter_start" => overrides.interpreter_start.is_some(),
        _ => false,
    }
}

/// Resolves the settings of `scenario` with `overrides` for `interpreter`.
pub fn configure(
    scenario: &Scenario,
    overrides: &Overrides,
    interpreter: &Interpreter,
) -> Result<Configured, CpythonError> {
    let asked = overrides.or(&scenario.settings);
    let real = interpreter.version.python;
    let free_threaded = interpreter.facts.free_threaded;
    let mut notes = Vec::new();
    if let Some(python) = asked.python.filter(|&p| p != real) {
        notes.push(format!(
            "the scenario asks for Python {python}, but this run uses {} ({}): Python {real}'s rules apply",
            interpreter.label(),
            interpreter.path.display()
        ));
    }
    if let Some(wanted) = asked.free_threaded.filter(|&f| f != free_threaded) {
        notes.push(if wanted {
            format!(
                "the scenario asks for a free-threaded build, but {} has a GIL: choose a free-threaded interpreter (e.g. --interpreter {}t) to run without one",
                interpreter.label(),
                real
            )
        } else {
            format!(
                "the scenario asks for a build with a GIL, but {} is free-threaded: its GIL is off unless gil = 1 (PYTHON_GIL=1)",
                interpreter.label()
            )
        });
    }
    for name in NOT_APPLICABLE {
        if given(&asked, name) {
            notes.push(format!(
                "setting `{name}` applies to the simulator only: a real interpreter has no knob for it"
            ));
        }
    }
    let old = real < PythonVersion::new(3, 2);
    if old && asked.switch_interval.is_some() {
        notes.push(format!("setting `switch_interval` does not apply to Python {real}: its GIL counts ticks (check_interval) instead"));
    }
    if !old && asked.check_interval.is_some() {
        notes.push(format!("setting `check_interval` does not apply to Python {real}: sys.setcheckinterval has no effect since 3.2 (its GIL is time-based, see switch_interval)"));
    }
    let layer = Overrides {
        python: Some(real),
        free_threaded: Some(free_threaded),
        bytecode_ns: Some(interpreter.facts.bytecode_ns.clamp(0.05, 10_000.0)),
        // The speed measured on a free-threaded build already includes its overhead.
        free_threaded_overhead: Some(0.0),
        ..Overrides::default()
    };
    let config = scenario
        .config(&layer.or(overrides))
        .map_err(|e| CpythonError::Config(e.to_string()))?;
    Ok(Configured { config, notes })
}
