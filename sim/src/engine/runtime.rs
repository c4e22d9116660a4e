//! What changes when a scenario's threads run as processes or subinterpreters instead of
//! threads (gil-model.md rules 20–21): one interpreter (and GIL) each, start-up costs, and
//! messages that must be pickled.

use crate::model::{RunConfig, Runtime, StartMethod};
use crate::scenario::Op;
use crate::time::{MS, Nanos, US};

/// `Popen` of a spawned child, paid by the parent for each child in turn.
pub const SPAWN_LAUNCH: Nanos = MS;
/// Pickling (and unpickling) throughput: 1 ns per byte.
pub const PICKLE_PS_PER_BYTE: u64 = 1_000;
/// Fixed cost of pickling one message.
pub const PICKLE_FIXED: Nanos = 5 * US;
/// A pipe write and the reader's wake-up: a process woken through a pipe, half a ping-pong of
/// one-byte messages, 5.6–6.1 µs on 3.13 and 7.1 µs on 3.9 here (`executor_hops.py`, load
/// 1.6–5.8).
pub const PIPE_FIXED: Nanos = 6 * US;
/// A pipe writer's copy of a message into the kernel's buffer (`send_bytes`): 0.16–0.40 ms of
/// CPU per MB on 3.6–3.13 here, 0.20 on 3.13 (`scripts/measure/pipe_fan_in.py stream`, one
/// writer and one reader, load 2.5).
pub const PIPE_WRITE_PS_PER_BYTE: u64 = 200;
/// A pipe reader's `recv_bytes`: `read(2)` of at most a buffer at a time into a fresh bytes
/// object, copied into a `BytesIO` (248 page faults per MB, most of it kernel time): 0.81–1.06 ms
/// of CPU per MB on 3.6–3.13 here, 0.86 on 3.13 (the same measurement; 1.3–1.9 ms for a
/// process's first large message). The slower side of a pipe, so it paces a large message.
pub const PIPE_READ_PS_PER_BYTE: u64 = 850;
/// `queue.put` between threads: a reference, no copy.
pub const QUEUE_PUT: Nanos = US;
/// One increment of a `multiprocessing.Value` through its lock (a semaphore shared by the
/// processes, contended).
pub const SHARED_INCREMENT: Nanos = US;

/// Whether the scenario's threads run in interpreters of their own, each with its own GIL
/// and its own copy of every global: a process or subinterpreter each, or a pool's worker
/// processes.
pub fn one_interpreter_per_thread(config: &RunConfig) -> bool {
    config.runtime.separate_interpreters()
}

/// When worker `index` starts, and how much start-up work (booting an interpreter, on its own
/// core, with its own GIL) it does before its program. A pool starts its worker processes as
/// multiprocessing does, and a `ThreadPoolExecutor` its threads as threads start.
pub fn start_plan(config: &RunConfig, index: u64) -> (Nanos, Nanos) {
    match config.runtime {
        Runtime::Threads | Runtime::ThreadPool => (index * config.thread_start, 0),
        // asyncio.create_task: no OS thread to start.
        Runtime::Asyncio => (0, 0),
        // The main thread creates each lane's interpreter in turn and starts its thread, which
        // then loads the program into it (its modules imported afresh) under that
        // interpreter's own GIL, in parallel with the next creation.
        Runtime::Subinterpreters => ((index + 1) * config.interpreter_start, config.main_import),
        Runtime::Multiprocessing | Runtime::Pool | Runtime::ProcessPool => {
            match config.start_method {
                StartMethod::Fork => ((index + 1) * config.fork_start, 0),
                StartMethod::Spawn => ((index + 1) * SPAWN_LAUNCH, config.spawn_start),
                // The server boots once; each child is then forked from it, and imports its main
                // module before its target runs (not a bare fork).
                StartMethod::Forkserver => (
                    config.spawn_start + (index + 1) * config.fork_start,
                    config.main_import,
                ),
            }
        }
    }
}

/// The ops a worker really executes under this runtime: `send` between threads becomes a
/// `queue.put` (between interpreters the engine pickles it, and between processes writes it
/// to the parent's pipe, [`super::pipe`]), and shared-memory increments pay for their lock.
pub fn expand(ops: &[Op], config: &RunConfig) -> Vec<Op> {
    let separate = one_interpreter_per_thread(config);
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match *op {
            Op::Send(_) if !separate => out.push(Op::CCall {
                duration: QUEUE_PUT,
                releases_gil: false,
            }),
            Op::Offload(bytecodes) if config.runtime != Runtime::Asyncio => {
                out.push(Op::Compute {
                    bytecodes,
                    loop_body: 8,
                });
            }
            Op::Increment {
                times,
                shared: true,
                ..
            } if separate => {
                out.push(op.clone());
                out.push(Op::CCall {
                    duration: times * SHARED_INCREMENT,
                    releases_gil: false,
                });
            }
            _ => out.push(op.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;

    fn config(runtime: Runtime, start_method: Option<StartMethod>) -> RunConfig {
        Overrides {
            runtime: Some(runtime),
            start_method,
            ..Overrides::default()
        }
        .resolve()
        .unwrap()
    }

    #[test]
    fn start_costs_follow_the_start_method() {
        assert_eq!(
            start_plan(
                &config(Runtime::Multiprocessing, Some(StartMethod::Fork)),
                1
            ),
            (3 * MS, 0)
        );
        assert_eq!(
            start_plan(
                &config(Runtime::Multiprocessing, Some(StartMethod::Spawn)),
                0
            ),
            (SPAWN_LAUNCH, 55 * MS)
        );
        // A forkserver: the server boots once, then each child is forked and imports its main
        // module (measured here: the first child 58–193 ms, later ones 17–59 ms under load).
        assert_eq!(
            start_plan(
                &config(Runtime::Multiprocessing, Some(StartMethod::Forkserver)),
                1
            ),
            (55 * MS + 3 * MS, 20 * MS)
        );
        assert_eq!(
            start_plan(&config(Runtime::Subinterpreters, None), 0),
            (15 * MS, 20 * MS)
        );
    }

    #[test]
    fn send_is_left_to_the_engine_only_between_interpreters() {
        let ops = [Op::Send(1_000_000)];
        let mp = expand(&ops, &config(Runtime::Multiprocessing, None));
        assert_eq!(mp, ops.to_vec());
        assert_eq!(expand(&ops, &config(Runtime::Pool, None)), ops.to_vec());
        let threads = expand(&ops, &config(Runtime::Threads, None));
        assert_eq!(
            threads,
            vec![Op::CCall {
                duration: QUEUE_PUT,
                releases_gil: false
            }]
        );
    }
}
