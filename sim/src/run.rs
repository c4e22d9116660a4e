//! The one way to run a scenario to its end: build the chosen engine, drive it (stoppable from
//! another thread), and compute the stats from the trace it leaves. The CLI, compare, sweep,
//! export and the tests all come through here; the app drives engines itself, a frame at a
//! time, but computes its stats the same way ([`Stats::compute`]).

use crate::cpython::{CpythonEngine, CpythonError, CpythonOptions, Interpreter};
use crate::engine::{Engine, SimEngine, SimError};
use crate::live::{LiveEngine, LiveOptions};
use crate::meta::EngineKind;
use crate::model::RunConfig;
use crate::scenario::Scenario;
use crate::size::format_bytes;
use crate::stats::Stats;
use crate::time::format_nanos;
use crate::trace::Trace;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Events the simulator processes between two looks at the [`StopSignal`].
const SIM_EVENTS_PER_CHECK: u32 = 1 << 16;
/// How often a real-time run is collected (and the [`StopSignal`] looked at).
const REALTIME_POLL: Duration = Duration::from_millis(2);

/// Asks a run to stop early, from any thread (a Ctrl+C handler, a UI). Cloning is cheap; every
/// clone stops the same run.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal that has not been raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop; it ends within milliseconds, keeping the trace it has.
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Self::raise`] was called.
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How to run, beyond the settings.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Which engine.
    pub engine: EngineKind,
    /// Options of the live engine (ignored by the others).
    pub live: LiveOptions,
    /// The interpreter of the `cpython` engine, chosen with [`crate::cpython::select`]; the
    /// run's settings must come from [`crate::cpython::configure`] for it.
    pub interpreter: Option<Interpreter>,
    /// Options of the `cpython` engine (ignored by the others).
    pub cpython: CpythonOptions,
    /// Stops the run early when raised.
    pub stop: StopSignal,
}

/// Why a run could not be carried to its end.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// The simulator or the live engine stopped with an error.
    #[error(transparent)]
    Engine(#[from] SimError),
    /// A real interpreter could not run the scenario.
    #[error(transparent)]
    Cpython(#[from] CpythonError),
    /// The `cpython` engine was asked for without an interpreter.
    #[error(
        "the cpython engine needs an interpreter: choose one with --interpreter (see `gilscope interpreters`)"
    )]
    NoInterpreter,
}

/// A run that has ended: its trace, the stats computed from it, and what the user should know.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The whole trace.
    pub trace: Trace,
    /// `Stats::compute(&trace)`.
    pub stats: Stats,
    /// How this machine ran it, one sentence each (fewer cores than asked, no pinning…).
    pub notes: Vec<String>,
    /// Whether the [`StopSignal`] ended it before its end.
    pub interrupted: bool,
}

/// Runs `scenario` with `config` on the engine of `options` until it ends or is stopped.
pub fn run_scenario(
    scenario: &Scenario,
    config: &RunConfig,
    options: &RunOptions,
) -> Result<Finished, RunError> {
    let (mut engine, notes, realtime): (Box<dyn Engine>, Vec<String>, bool) = match options.engine {
        EngineKind::Sim => (
            Box::new(SimEngine::new(scenario, config)),
            Vec::new(),
            false,
        ),
        EngineKind::Live => {
            let live = LiveEngine::start(scenario, config, &options.live)?;
            let notes = live.notes().to_vec();
            (Box::new(live), notes, true)
        }
        EngineKind::Cpython => {
            let interpreter = options
                .interpreter
                .as_ref()
                .ok_or(RunError::NoInterpreter)?;
            let configured = crate::cpython::Configured {
                config: config.clone(),
                notes: Vec::new(),
            };
            let real = CpythonEngine::start(scenario, &configured, interpreter, &options.cpython)?;
            let notes = real.notes();
            (Box::new(real), notes, true)
        }
    };
    let interrupted = drive(engine.as_mut(), realtime, config, &options.stop)?;
    let mut trace = engine.take_trace();
    trace.interrupted = interrupted;
    let stats = Stats::compute(&trace);
    Ok(Finished {
        trace,
        stats,
        notes,
        interrupted,
    })
}

/// The simulator's trace of `scenario` with `config`: [`run_scenario`] on the default options,
/// for callers that want only the trace.
pub fn simulate(scenario: &Scenario, config: &RunConfig) -> Result<Trace, RunError> {
    run_scenario(scenario, config, &RunOptions::default()).map(|finished| finished.trace)
}

/// Drives `engine` to its end; returns whether `stop` ended it early. A real-time run is held
/// to `max_virtual_time` and `memory_budget` here (the simulator holds itself to its limits).
fn drive(
    engine: &mut dyn Engine,
    realtime: bool,
    config: &RunConfig,
    stop: &StopSignal,
) -> Result<bool, SimError> {
    loop {
        if stop.is_raised() {
            engine.stop();
            return Ok(true);
        }
        if realtime {
            engine.advance(0)?;
            if engine.is_finished() {
                return Ok(false);
            }
            if let Err(over) = realtime_limits(engine, config) {
                engine.stop();
                return Err(over);
            }
            std::thread::sleep(REALTIME_POLL);
        } else {
            for _ in 0..SIM_EVENTS_PER_CHECK {
                if engine.step()?.is_none() {
                    return Ok(false);
                }
            }
        }
    }
}

/// A live run past `max_virtual_time` (in real time) or with a trace over `memory_budget`.
fn realtime_limits(engine: &dyn Engine, config: &RunConfig) -> Result<(), SimError> {
    let now = engine.now();
    if now > config.max_virtual_time {
        return Err(SimError::OverLimit {
            setting: "max_virtual_time",
            limit: format_nanos(config.max_virtual_time),
            estimate: format!("the live run has lasted {}", format_nanos(now)),
            advice: "set a duration (--duration), or raise the limit (--max-virtual-time)".into(),
        });
    }
    let bytes = engine.trace().heap_bytes() as u64;
    if bytes > config.memory_budget {
        return Err(SimError::OverLimit {
            setting: "memory_budget",
            limit: format_bytes(config.memory_budget),
            estimate: format!(
                "the live run's trace holds {} after {}",
                format_bytes(bytes),
                format_nanos(now)
            ),
            advice: "shorten the duration, or raise the budget (--memory-budget)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;

    #[test]
    fn a_simulated_run_equals_the_engine_run_directly() {
        let scenario = preset("convoy").unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        let finished = run_scenario(&scenario, &config, &RunOptions::default()).unwrap();
        let mut engine = SimEngine::new(&scenario, &config);
        engine.run_to_end().unwrap();
        let direct = engine.into_trace();
        assert_eq!(finished.trace, direct);
        assert_eq!(finished.stats, Stats::compute(&direct));
        assert!(!finished.interrupted);
        assert_eq!(finished.stats.engine, EngineKind::Sim);
    }

    #[test]
    fn a_raised_signal_stops_the_run_and_keeps_its_trace() {
        let scenario = preset("convoy").unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        let options = RunOptions::default();
        options.stop.raise();
        let finished = run_scenario(&scenario, &config, &options).unwrap();
        assert!(finished.interrupted && finished.trace.interrupted);
        assert!(finished.trace.finished);
        assert_eq!(finished.trace.meta.scenario, scenario.name);
    }
}
