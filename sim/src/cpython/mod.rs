//! Real `CPython` as an engine: a program generated from the scenario runs on an interpreter
//! installed here, stamps its own operations, and gilscope rebuilds the same [`Trace`] the
//! simulator produces from what it observed.
//!
//! - [`discover`]: finding interpreters ([`interpreter`] probes one, [`cache`] remembers them).
//! - [`config`]: the run's settings for a real interpreter.
//! - [`program`]: the generated Python program.
//! - [`wire`]: the stamp stream it writes; [`reconstruct`] turns it into a trace.
//! - [`engine`]: [`CpythonEngine`], the [`Engine`](crate::Engine) that runs it.
//!
//! What a real interpreter cannot show is absent from its trace, never invented: see
//! [`NOT_OBSERVED`].

pub mod cache;
pub mod config;
pub mod discover;
pub mod engine;
pub mod error;
pub mod interpreter;
pub mod process;
pub mod program;
pub mod reconstruct;
pub mod wire;

pub use config::{Configured, NOT_APPLICABLE, configure};
pub use discover::{DiscoverOptions, Discovery, discover, select};
pub use engine::{CpythonEngine, CpythonOptions, CpythonRun, StopHandle, run};
pub use error::CpythonError;
pub use interpreter::Interpreter;
pub use program::{Program, ProgramOptions, generate};

/// What a real interpreter does not let gilscope observe, so its trace leaves it out (the
/// views say so rather than invent it), one sentence each.
pub const NOT_OBSERVED: [&str; 5] = [
    "which core each thread ran on: the trace has no core lanes",
    "drop requests and forced switches: the eval breaker is not visible from Python, so a thread forced off (waiting on switch_cond) shows as waiting for the GIL",
    "a thread that is ready but has no free core: it shows as running, or as waiting for the GIL",
    "the exact moment of a GIL handoff: it is placed within one chunk of a loop (a few microseconds)",
    "how long a C call that releases the GIL really computed: it is shown for its calibrated duration, then as waiting for the GIL when another thread held it, or else as a slowdown that is not counted as work (most often a shared core)",
];
