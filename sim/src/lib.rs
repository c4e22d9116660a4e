//! gilscope-sim: the engines behind gilscope, with no GUI dependency.
//!
//! The pipeline: a [`Scenario`] (TOML) plus settings resolve to a [`RunConfig`]; an engine
//! ([`SimEngine`], deterministic virtual time) turns them into a [`Trace`]; [`Stats`] and the
//! exports read the trace. The GIL rules followed are those of `docs/gil-model.md`.

pub mod analysis;
pub mod compare;
pub mod cpython;
pub mod cut;
pub mod engine;
pub mod events;
pub mod export;
pub mod format;
pub mod live;
pub mod meta;
pub mod model;
pub mod names;
pub mod narration;
pub mod predict;
pub mod presets;
mod quantity;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod settings;
pub mod size;
pub mod stats;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod wake;

pub use engine::{Engine, SimEngine, SimError};
pub use meta::{EngineKind, Observation, RunMeta};
pub use model::{
    ConfigError, Model, Overrides, PythonVersion, RunConfig, Runtime, StartMethod, SuccessorPolicy,
};
pub use names::Named;
pub use run::{Finished, RunError, RunOptions, StopSignal, run_scenario, simulate};
pub use scenario::{Op, Repeat, Scenario, ScenarioError, ThreadGroup};
pub use settings::{SETTINGS, Setting};
pub use stats::Stats;
pub use time::Nanos;
pub use trace::{ThreadState, Trace};
