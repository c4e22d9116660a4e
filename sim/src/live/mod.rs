//! The live engine: the scenario's threads as real OS threads on this machine's cores,
//! contending for a real GIL written in Rust the way `CPython` writes it (or, free-threaded,
//! for none), recorded into the same [`Trace`](crate::Trace) the simulator produces.
//!
//! - [`gil`]: the GIL (`take_gil`, `drop_gil`, `cond`, `switch_cond`, drop requests).
//! - [`interp`]: the bytecode interpreter that runs `compute` and `increment` loops, polling
//!   the eval breaker at `CPython`'s check points.
//! - [`record`] and [`collect`]: per-thread recording and the collector that builds the trace.
//! - [`engine`]: [`LiveEngine`], the [`Engine`](crate::Engine) that starts, collects and stops a
//!   run; [`run`] for a blocking run.
//! - [`calibrate`](mod@calibrate): measures the machine for the simulator's settings.
//!
//! What a live run takes from the [`RunConfig`]: the Python version (which check points),
//! free-threading and `PYTHON_GIL`, the switch interval, the cores (at most this machine's),
//! the duration, and `bytecode_ns` with the free-threaded overhead (the interpreter is paced
//! to it, see [`LiveOptions::pace`]). The OS decides the rest: wake-up latency, time slices,
//! which waiter wins the GIL; the seed, `successor`, `wake_latency` (and its quantiles),
//! `time_slice` and `thread_start` settings apply to the simulator only.

pub mod calibrate;
pub mod collect;
pub mod engine;
pub mod gil;
pub mod interp;
pub mod locks;
pub mod record;
pub mod shared;
mod sync;
pub mod worker;

pub use calibrate::{Calibration, PythonSpeed, calibrate};
pub use engine::{LiveEngine, StopHandle};

use crate::trace::Trace;

/// Settings of a live run beyond the scenario's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Pin thread `i` to core `i % cores`: `Some(true)` always, `Some(false)` never, `None`
    /// (default) only when the run asks for fewer cores than the machine has, the one way to
    /// confine it to them. Unpinned, the OS places threads as it would `CPython`'s, and core
    /// lanes show how many cores are busy rather than which physical core ran what. Pinning
    /// makes a woken thread wait for its own core: on a machine busy with other work this
    /// delays GIL handoffs (an I/O thread then often retakes the GIL before the CPU-bound
    /// thread it woke gets to run, hiding the convoy effect).
    pub pin: Option<bool>,
    /// Slow the interpreter to the run's `bytecode_ns` (default), so timings resemble
    /// `CPython`'s; without it, it runs as fast as it can (about 1 ns per bytecode).
    pub pace: bool,
    /// The most spans the trace may hold; past it the run stops with an error.
    pub max_spans: usize,
    /// Makes this thread panic at its first check point, to exercise failure handling.
    pub panic_thread: Option<u32>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            pin: None,
            pace: true,
            max_spans: 4_000_000,
            panic_thread: None,
        }
    }
}

/// Nanoseconds per bytecode the threads of a live run achieved: time running bytecode over
/// bytecodes executed (`None` without bytecodes). Pacing aims at the run's `bytecode_ns`; on a
/// busy machine threads run slower. Stats compute the sequential time from `bytecode_ns`, so
/// for a live run's speedup give them a config with this value.
pub fn achieved_bytecode_ns(trace: &Trace) -> Option<f64> {
    let (mut running, mut bytecodes) = (0, 0);
    for span in trace
        .thread_lanes
        .iter()
        .flat_map(|lane| lane.all(trace.now))
    {
        if span.state == crate::trace::ThreadState::Running {
            running += span.duration();
            bytecodes += span.bytecodes;
        }
    }
    (bytecodes > 0).then(|| running as f64 / bytecodes as f64)
}
