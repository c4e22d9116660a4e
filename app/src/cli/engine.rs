//! `--engine` and `--interpreter`: which engine runs a scenario and, for the `cpython` engine,
//! on which interpreter; and the run's settings for that engine. A real interpreter decides the
//! Python version and build, and what it has no knob for is said in notes, never ignored.

use super::CliError;
use gilscope_sim::cpython::{self, DiscoverOptions, Interpreter};
use gilscope_sim::{Overrides, RunConfig, Scenario};

/// Which engine runs a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    /// The discrete-event simulator (virtual time, deterministic).
    Sim,
    /// Real OS threads contending for a real GIL on this machine.
    Live,
    /// A real `CPython` found here, running a program generated from the scenario.
    Cpython,
}

impl EngineKind {
    /// The library's name for it.
    pub fn kind(self) -> gilscope_sim::EngineKind {
        match self {
            Self::Sim => gilscope_sim::EngineKind::Sim,
            Self::Live => gilscope_sim::EngineKind::Live,
            Self::Cpython => gilscope_sim::EngineKind::Cpython,
        }
    }

    /// Whether it runs in real time on this machine (so runs go one after another).
    pub fn realtime(self) -> bool {
        self != Self::Sim
    }
}

/// `--engine` and `--interpreter`, shared by the commands that run a scenario.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EngineArgs {
    /// sim: the deterministic simulator (the default); live: real threads and a real GIL on
    /// this machine; cpython: a real `CPython` found here (see `gilscope interpreters`) runs a
    /// program generated from the scenario
    #[arg(long, value_enum, value_name = "sim|live|cpython")]
    pub engine: Option<EngineKind>,
    /// The interpreter of the cpython engine: a path, or a version such as 3.12, 3.12.1 or 3.13t
    /// (free-threaded); by default the newest found. Implies --engine cpython
    #[arg(long, value_name = "PATH|VERSION")]
    pub interpreter: Option<String>,
}

/// The engine chosen, with its interpreter for the `cpython` engine.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The engine.
    pub engine: EngineKind,
    /// The interpreter (the `cpython` engine only).
    pub interpreter: Option<Interpreter>,
}

impl Choice {
    /// The simulator.
    pub fn sim() -> Self {
        Self {
            engine: EngineKind::Sim,
            interpreter: None,
        }
    }
}

/// Where interpreters are looked for: this process's `PATH` and home, the usual prefixes, the
/// default cache.
pub fn discover_options() -> DiscoverOptions {
    DiscoverOptions::from_env()
}

/// The interpreter `spec` names (`None`: the newest found), in words when there is none.
pub fn select(spec: Option<&str>) -> Result<Interpreter, CliError> {
    cpython::select(spec, &discover_options()).map_err(|e| CliError::Input(e.to_string()))
}

impl EngineArgs {
    /// The engine asked for: `--engine`, else cpython when `--interpreter` is given, else sim.
    pub fn kind(&self) -> Result<EngineKind, CliError> {
        match (self.engine, &self.interpreter) {
            (Some(engine @ (EngineKind::Sim | EngineKind::Live)), Some(spec)) => {
                Err(CliError::Input(format!(
                    "--interpreter {spec} chooses the interpreter of --engine cpython; it does not apply to --engine {}",
                    engine.kind()
                )))
            }
            (Some(engine), _) => Ok(engine),
            (None, Some(_)) => Ok(EngineKind::Cpython),
            (None, None) => Ok(EngineKind::Sim),
        }
    }

    /// The engine with its interpreter (found or probed here, for the `cpython` engine).
    pub fn choose(&self) -> Result<Choice, CliError> {
        let engine = self.kind()?;
        let interpreter = match engine {
            EngineKind::Cpython => Some(select(self.interpreter.as_deref())?),
            EngineKind::Sim | EngineKind::Live => None,
        };
        Ok(Choice {
            engine,
            interpreter,
        })
    }
}

/// The settings of `scenario` with `overrides` for `choice`, and what the user should know
/// about them: for a real interpreter, a version or build that differs from the scenario's,
/// and settings it has no knob for.
pub fn resolve(
    scenario: &Scenario,
    overrides: &Overrides,
    choice: &Choice,
) -> Result<(RunConfig, Vec<String>), CliError> {
    match &choice.interpreter {
        Some(interpreter) => cpython::configure(scenario, overrides, interpreter)
            .map(|c| (c.config, c.notes))
            .map_err(|e| match e {
                // The scenario's own error names its file already.
                cpython::CpythonError::Config(text) => CliError::Input(text),
                other => CliError::Input(format!("{}: {other}", scenario.source)),
            }),
        None => scenario
            .config(overrides)
            .map(|c| (c, Vec::new()))
            .map_err(|e| CliError::Input(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_implies_the_cpython_engine_and_conflicts_with_the_others() {
        let args = |engine, interpreter: Option<&str>| EngineArgs {
            engine,
            interpreter: interpreter.map(str::to_owned),
        };
        assert_eq!(args(None, None).kind().unwrap(), EngineKind::Sim);
        assert_eq!(
            args(None, Some("3.12")).kind().unwrap(),
            EngineKind::Cpython
        );
        assert_eq!(
            args(Some(EngineKind::Live), None).kind().unwrap(),
            EngineKind::Live
        );
        let e = args(Some(EngineKind::Sim), Some("3.12"))
            .kind()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--interpreter 3.12 chooses the interpreter of --engine cpython; it does not apply to --engine sim"
        );
    }
}
