//! What a trace says about its own run: the scenario, the engine, the resolved settings and the
//! names its markers and counters refer to. A [`crate::Trace`] carries one, so that stats,
//! exports and every view can be computed from the trace alone.

use crate::model::RunConfig;
use crate::narration::Narration;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which engine produced a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// The deterministic discrete-event simulator (virtual time).
    #[default]
    Sim,
    /// Real OS threads contending for a real GIL written in Rust, on this machine.
    Live,
    /// A real `CPython` interpreter running a program generated from the scenario.
    Cpython,
}

impl EngineKind {
    /// The name used in `--engine`, the JSON output and the app.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sim => "sim",
            Self::Live => "live",
            Self::Cpython => "cpython",
        }
    }

    /// What this engine cannot observe, so its traces leave it out (the views say so rather
    /// than invent it), one sentence each.
    pub fn not_observed(self) -> &'static [&'static str] {
        match self {
            Self::Sim | Self::Live => &[],
            Self::Cpython => &crate::cpython::NOT_OBSERVED,
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The run a trace describes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunMeta {
    /// The scenario's title.
    pub scenario: String,
    /// Where the scenario came from: a preset's stem or a file path.
    pub source: String,
    /// The engine that ran it.
    pub engine: EngineKind,
    /// The resolved settings it ran with.
    pub config: RunConfig,
    /// The real interpreter that ran it (`3.11.7 at /usr/bin/python3.11`), for the `cpython`
    /// engine.
    pub interpreter: Option<String>,
    /// Thread group names, indexed by [`crate::trace::ThreadInfo::group`].
    pub groups: Vec<String>,
    /// Shared counter names, indexed as in the scenario.
    pub counters: Vec<String>,
    /// Lock names, indexed as in the scenario (a lock marker's `other`).
    pub locks: Vec<String>,
    /// Extension module names, indexed as in the scenario.
    pub modules: Vec<String>,
    /// The scenario's narration, which the run's stats make into sentences.
    #[serde(skip)]
    pub narration: Narration,
    /// Shared object names (read or mutated), indexed as in the scenario (a contended span's
    /// `other`).
    pub objects: Vec<String>,
    /// What observing the run cost, for an engine that observes a real program (`cpython`).
    pub observation: Option<Observation>,
}

/// The cost of the real program's own stamps, measured by the program before its run: a
/// `compute` loop timed with a stamp after every chunk and after every iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Observation {
    /// What one stamp costs, in nanoseconds.
    pub stamp_ns: f64,
    /// The share of a `compute` loop's time its stamps take (0.02 is 2%): what observation
    /// adds to a CPU-bound run.
    pub compute_share: f64,
}

impl RunMeta {
    /// The description of `scenario` run by `engine` with `config`.
    pub fn new(scenario: &Scenario, engine: EngineKind, config: &RunConfig) -> Self {
        Self {
            scenario: scenario.name.clone(),
            source: scenario.source.clone(),
            engine,
            config: config.clone(),
            interpreter: None,
            groups: scenario.groups.iter().map(|g| g.name.clone()).collect(),
            counters: scenario.counters.clone(),
            locks: scenario.locks.clone(),
            modules: scenario.modules.clone(),
            narration: scenario.narration.clone(),
            objects: scenario.objects.clone(),
            observation: None,
        }
    }

    /// A description with no scenario behind it (hand-built traces: tests, benchmarks).
    pub fn untitled(engine: EngineKind, config: &RunConfig) -> Self {
        Self {
            scenario: String::new(),
            source: String::new(),
            engine,
            config: config.clone(),
            interpreter: None,
            groups: Vec::new(),
            counters: Vec::new(),
            locks: Vec::new(),
            modules: Vec::new(),
            narration: Narration::default(),
            objects: Vec::new(),
            observation: None,
        }
    }

    /// The name of lock `index`, or `"lock #index"` if it has none.
    pub fn lock_name(&self, index: usize) -> String {
        self.locks
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("lock #{index}"))
    }
}
