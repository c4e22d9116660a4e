//! One run as the UI sees it: its engine thread, its own copy of the trace (rebuilt from the
//! streamed deltas), the latest stats, and any error; and which engine the app runs.

use super::runner::{Command, EngineBuilder, EngineSpec, Runner, Update};
use super::settings::Speed;
use gilscope_sim::cpython::{Configured, CpythonEngine, CpythonOptions, Interpreter};
use gilscope_sim::live::{LiveEngine, LiveOptions};
use gilscope_sim::{EngineKind, RunConfig, RunMeta, Scenario, SimEngine, Stats, Trace};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Which engine runs a scenario in the window.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EngineChoice {
    /// The simulator.
    #[default]
    Simulated,
    /// Real threads and a real GIL written in Rust, on this machine.
    Live,
    /// A real `CPython` found here: the path of its executable.
    Cpython(PathBuf),
}

impl EngineChoice {
    /// The engine of a trace this choice produces.
    pub fn kind(&self) -> EngineKind {
        match self {
            Self::Simulated => EngineKind::Sim,
            Self::Live => EngineKind::Live,
            Self::Cpython(_) => EngineKind::Cpython,
        }
    }
}

/// Updates applied per frame and run at most: the UI never spends long draining.
pub const UPDATES_PER_FRAME: usize = 32;

/// A run shown in the window.
pub struct Run {
    /// The timeline group's title ("Python 3.13, GIL, 5.00 ms interval, 2 cores").
    pub title: String,
    /// Its settings.
    pub config: RunConfig,
    /// The trace so far.
    pub trace: Trace,
    /// Stats of the trace, refreshed a few times per second.
    pub stats: Option<Stats>,
    /// Why the run stopped early, in words.
    pub error: Option<String>,
    /// Whether the stats of the finished trace have arrived.
    complete: bool,
    runner: Option<Runner>,
}

impl Run {
    /// Starts the simulator on its own thread for `scenario` with `config`.
    pub fn simulate(
        scenario: &Scenario,
        config: RunConfig,
        title: String,
        speed: Speed,
        playing: bool,
        ctx: &egui::Context,
    ) -> Run {
        let sim_scenario = scenario.clone();
        let sim_config = config.clone();
        let build: EngineBuilder =
            Box::new(move || Ok(Box::new(SimEngine::new(&sim_scenario, &sim_config))));
        let spec = EngineSpec {
            engine: EngineKind::Sim,
            config,
            build,
            realtime: false,
        };
        Run::start(spec, title, speed, playing, ctx)
    }

    /// Starts real threads on this machine for `scenario` with `config` (they run in real time;
    /// the speed setting does not apply).
    pub fn live(
        scenario: &Scenario,
        config: RunConfig,
        title: String,
        playing: bool,
        ctx: &egui::Context,
    ) -> Run {
        let live_scenario = scenario.clone();
        let live_config = config.clone();
        let build: EngineBuilder = Box::new(move || {
            let engine = LiveEngine::start(&live_scenario, &live_config, &LiveOptions::default())?;
            Ok(Box::new(engine))
        });
        let spec = EngineSpec {
            engine: EngineKind::Live,
            config,
            build,
            realtime: true,
        };
        Run::start(spec, title, Speed::Fastest, playing, ctx)
    }

    /// Starts a generated program on the real interpreter `interpreter` for `scenario` with
    /// `configured` (from `cpython::configure`). It runs in real time and streams into the
    /// trace as it goes; the interpreter is started from the engine thread, which outlives it,
    /// and dies with it (stopped, restarted, or the window closed).
    pub fn cpython(
        scenario: &Scenario,
        configured: Configured,
        interpreter: Interpreter,
        title: String,
        playing: bool,
        ctx: &egui::Context,
    ) -> Run {
        let real_scenario = scenario.clone();
        let config = configured.config.clone();
        let build: EngineBuilder = Box::new(move || {
            let engine = CpythonEngine::start(
                &real_scenario,
                &configured,
                &interpreter,
                &CpythonOptions::default(),
            )
            .map_err(|e| gilscope_sim::SimError::Failed(e.to_string()))?;
            Ok(Box::new(engine))
        });
        let spec = EngineSpec {
            engine: EngineKind::Cpython,
            config,
            build,
            realtime: true,
        };
        Run::start(spec, title, Speed::Fastest, playing, ctx)
    }

    /// Starts any engine on its own thread (the simulator, or a live engine with
    /// `spec.realtime` set).
    pub fn start(
        spec: EngineSpec,
        title: String,
        speed: Speed,
        playing: bool,
        ctx: &egui::Context,
    ) -> Run {
        let config = spec.config.clone();
        // Replaced by the engine's own (empty) trace as soon as the run starts.
        let placeholder = Trace::new(RunMeta::untitled(spec.engine, &config), Vec::new(), 0);
        let repaint_ctx = ctx.clone();
        let (runner, error) =
            match Runner::spawn(spec, speed, playing, move || repaint_ctx.request_repaint()) {
                Ok(runner) => (Some(runner), None),
                Err(e) => (
                    None,
                    Some(format!("could not start the engine thread: {e}")),
                ),
            };
        Run {
            title,
            config,
            trace: placeholder,
            stats: None,
            error,
            complete: false,
            runner,
        }
    }

    /// Whether it runs in real time (real threads or a real interpreter): it cannot pause.
    pub fn realtime(&self) -> bool {
        self.trace.meta.engine != EngineKind::Sim
    }

    /// Whether the run has ended (finished with its final stats, or stopped by an error).
    pub fn is_over(&self) -> bool {
        self.complete || self.error.is_some()
    }

    /// Ends the run now, keeping what it recorded (a real run cannot pause: its threads or
    /// its interpreter are stopped).
    pub fn end(&mut self) {
        self.send(Command::End);
    }

    /// Runs again from time 0 with a fresh engine, playing.
    pub fn restart(&mut self) {
        self.error = None;
        self.complete = false;
        self.send(Command::Restart);
        self.send(Command::Play);
    }

    /// Sends a command to the engine thread; reports a dead or swamped thread.
    pub fn send(&mut self, command: Command) {
        let delivered = self.runner.as_ref().is_some_and(|r| r.send(command));
        if !delivered && self.error.is_none() {
            self.error = Some(
                "the engine thread is not responding; change a setting to start a new run"
                    .to_owned(),
            );
        }
    }

    /// Applies up to `budget` waiting updates; returns whether more may be waiting.
    pub fn poll(&mut self, budget: usize) -> bool {
        let Some(runner) = self.runner.as_ref() else {
            return false;
        };
        for _ in 0..budget {
            match runner.try_recv() {
                Ok(Some(Update::Started(trace))) => {
                    self.trace = *trace;
                    self.stats = None;
                    self.error = None;
                    self.complete = false;
                }
                Ok(Some(Update::Delta(delta))) => self.trace.apply(delta),
                Ok(Some(Update::Stats(stats))) => {
                    // Stats sent after the final delta are the final stats.
                    self.complete = self.trace.finished;
                    self.stats = Some(*stats);
                }
                Ok(Some(Update::Failed(message))) => self.error = Some(message),
                Ok(None) => return false,
                Err(gone) => {
                    if !self.is_over() {
                        self.error = Some(format!("{gone} unexpectedly"));
                    }
                    self.runner = None;
                    return false;
                }
            }
        }
        true
    }
}
