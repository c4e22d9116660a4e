//! The estimated resident memory of a run, from baselines measured on the local interpreters
//! (`gil-model.md` rules 20–21): an interpreter by version, a thread, a subinterpreter, a child
//! process by start method.

use super::pool::PoolPlan;
use crate::model::{PythonVersion, RunConfig, Runtime, StartMethod};

/// Resident memory (PSS: pages shared between processes split among them) of a fresh
/// interpreter's process with `threading` and `multiprocessing` imported, in MiB, by the first
/// version it holds for: measured here on pyenv's builds, twice each, within 0.05 MiB
/// (`scripts/measure/interpreter_memory.py`). 3.11.7's 12.6 is its build: Debian's 3.11.2
/// measures 8.4.
pub const INTERPRETER_MIB: [(PythonVersion, f64); 8] = [
    (PythonVersion::new(2, 7), 5.8),
    (PythonVersion::new(3, 6), 8.1),
    (PythonVersion::new(3, 7), 7.9),
    (PythonVersion::new(3, 8), 7.8),
    (PythonVersion::new(3, 9), 8.0),
    (PythonVersion::new(3, 11), 12.6),
    (PythonVersion::new(3, 12), 10.3),
    (PythonVersion::new(3, 13), 10.1),
];

/// The measured baseline of `python`: that of the latest measured version not after it (2.7's
/// for anything older).
pub fn interpreter_mib(python: PythonVersion) -> f64 {
    INTERPRETER_MIB
        .iter()
        .rev()
        .find(|(first, _)| *first <= python)
        .map_or(INTERPRETER_MIB[0].1, |(_, mib)| *mib)
}

/// What one more idle thread adds to its process's resident memory (the pages of its stack it
/// touched), in MiB: 0.016–0.019 on 3.8–3.13 here.
pub const THREAD_MIB: f64 = 0.016;
/// What one more subinterpreter adds, in MiB: 2.41–2.48 on 3.12 and 3.13 here.
pub const SUBINTERPRETER_MIB: f64 = 2.4;
/// A child process's PSS when its target starts, in MiB, measured here on 3.12 and 3.13: forked
/// (its pages shared copy-on-write with the parent) 5.6–5.8, forked from a forkserver 7.2–7.7.
/// A spawned child is a fresh interpreter (9.7–9.8 measured, against the baselines' 10.1–10.3):
/// its version's [`interpreter_mib`].
pub fn child_mib(method: StartMethod, python: PythonVersion) -> f64 {
    match method {
        StartMethod::Fork => 5.7,
        StartMethod::Forkserver => 7.5,
        StartMethod::Spawn => interpreter_mib(python),
    }
}

/// Estimated resident memory of a run of `lanes` scenario threads, in MiB, from the measured
/// baselines above: the main interpreter, and per worker a thread's stack, a subinterpreter or
/// a child process (a forkserver's server too, a fresh interpreter booted once), each by the
/// run's version where it was measured. asyncio tasks
/// share the main thread; a pool's tasks share its workers (the processes or threads it
/// starts, [`PoolPlan`]), and a pool has threads of its own in the parent. Free-threaded
/// builds are estimated as default ones: there is no free-threaded interpreter here to
/// measure.
pub fn resident_mib(config: &RunConfig, lanes: usize) -> f64 {
    let processes = |n: f64| {
        let child = child_mib(config.start_method, config.python);
        let server = if config.start_method == StartMethod::Forkserver {
            interpreter_mib(config.python)
        } else {
            0.0
        };
        server + n * child
    };
    let pool = || PoolPlan::new(config, lanes).workers as f64;
    let parent_threads = f64::from(PoolPlan::parent_threads(config.runtime)) * THREAD_MIB;
    let n = lanes as f64;
    interpreter_mib(config.python)
        + match config.runtime {
            Runtime::Threads => n * THREAD_MIB,
            Runtime::Asyncio => 0.0,
            Runtime::Subinterpreters => n * (SUBINTERPRETER_MIB + THREAD_MIB),
            Runtime::Multiprocessing => processes(n),
            Runtime::Pool | Runtime::ProcessPool => processes(pool()) + parent_threads,
            Runtime::ThreadPool => pool() * THREAD_MIB,
        }
}
