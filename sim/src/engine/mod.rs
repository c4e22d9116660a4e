//! The engines that produce traces. [`SimEngine`] is the deterministic discrete-event model;
//! every engine implements [`Engine`] so views and stats do not care which one ran.

mod des;
pub mod increment;
pub mod memory;
pub mod object_loop;
pub(crate) mod pipe;
pub(crate) mod pool;
mod race;
pub(crate) mod runtime;
mod timers;
pub mod work;

pub use des::SimEngine;

use crate::time::Nanos;
use crate::trace::{Trace, TraceDelta};

/// Why a run stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Threads wait for each other's locks in a cycle.
    #[error("deadlock at {at}: {cycle}")]
    Deadlock {
        /// When the cycle closed, formatted.
        at: String,
        /// Who holds and waits for what.
        cycle: String,
    },
    /// Events keep firing without virtual time advancing.
    #[error("the run makes no progress at {at}: {detail}")]
    NoProgress {
        /// When, formatted.
        at: String,
        /// What loops.
        detail: String,
    },
    /// The trace would outgrow the memory budget (live engine: its span budget).
    #[error("the run is too long to record: more than {limit} spans by {at}; {advice}")]
    TooLarge {
        /// The span budget, formatted.
        limit: String,
        /// When it was exceeded, formatted.
        at: String,
        /// What would make it fit, for this run's interpreter.
        advice: &'static str,
    },
    /// The run would pass one of its limits (`max_events`, `max_virtual_time`,
    /// `memory_budget`).
    #[error("the run would pass {setting} ({limit}): {estimate}; {advice}")]
    OverLimit {
        /// The setting whose limit it is.
        setting: &'static str,
        /// The limit's value, formatted.
        limit: String,
        /// What the run has used, or would use, in words.
        estimate: String,
        /// What to change.
        advice: String,
    },
    /// The engine's worker failed (live engine) or was stopped.
    #[error("{0}")]
    Failed(String),
}

/// A source of a trace that a viewer can drive: the simulator (virtual time, advanced on
/// demand) or a live run (real time, advancing by itself).
pub trait Engine: Send {
    /// Advances the run up to virtual time `until` (a live engine ignores it and just
    /// collects what its threads recorded so far).
    fn advance(&mut self, until: Nanos) -> Result<(), SimError>;
    /// Processes exactly one event (the simulator's single step); returns its time.
    fn step(&mut self) -> Result<Option<Nanos>, SimError>;
    /// Everything recorded since the last call.
    fn take_delta(&mut self) -> TraceDelta;
    /// The trace so far.
    fn trace(&self) -> &Trace;
    /// Takes the trace out (at the end of a run), leaving an empty one of the same run.
    fn take_trace(&mut self) -> Trace;
    /// How far the run has got.
    fn now(&self) -> Nanos;
    /// Whether the run has ended.
    fn is_finished(&self) -> bool;
    /// Stops the run early (threads are stopped; the trace is closed where it is).
    fn stop(&mut self);
}
