//! What changes when a scenario's threads run as processes or subinterpreters instead of
//! threads (gil-model.md rules 20–21): one interpreter (and GIL) each, start-up costs, and
//! messages that must be pickled.

use crate::model::{RunConfig, Runtime, StartMethod};
use crate::scenario::Op;
use crate::time::{MS, Nanos, US};

/// `os.fork()` of a child process, paid by the parent for each child in turn.
pub const FORK: Nanos = 1_500 * US;
/// Booting a fresh interpreter and importing the main module (`spawn`, or the forkserver's
/// server, started once).
pub const SPAWN: Nanos = 50 * MS;
/// `Popen` of a spawned child, paid by the parent for each child in turn.
pub const SPAWN_LAUNCH: Nanos = MS;
/// Pickling (and unpickling) throughput: 1 ns per byte.
pub const PICKLE_PS_PER_BYTE: u64 = 1_000;
/// Fixed cost of pickling one message.
pub const PICKLE_FIXED: Nanos = 5 * US;
/// A pipe write and the reader's wake-up.
pub const PIPE_FIXED: Nanos = 20 * US;
/// Pipe bandwidth: 0.5 ns per byte.
pub const PIPE_PS_PER_BYTE: u64 = 500;
/// `queue.put` between threads: a reference, no copy.
pub const QUEUE_PUT: Nanos = US;
/// One increment of a `multiprocessing.Value` through its lock (a semaphore shared by the
/// processes, contended).
pub const SHARED_INCREMENT: Nanos = US;

/// Whether each scenario thread gets its own interpreter and GIL.
pub fn one_interpreter_per_thread(config: &RunConfig) -> bool {
    matches!(
        config.runtime,
        Runtime::Multiprocessing | Runtime::Subinterpreters
    )
}

/// When worker `index` starts, and how much start-up work (booting an interpreter, on its own
/// core, with its own GIL) it does before its program.
pub fn start_plan(config: &RunConfig, index: u64) -> (Nanos, Nanos) {
    match config.runtime {
        Runtime::Threads => (index * config.thread_start, 0),
        // asyncio.create_task: no OS thread to start.
        Runtime::Asyncio => (0, 0),
        Runtime::Subinterpreters => ((index + 1) * config.interpreter_start, 0),
        Runtime::Multiprocessing => match config.start_method {
            StartMethod::Fork => ((index + 1) * FORK, 0),
            StartMethod::Spawn => ((index + 1) * SPAWN_LAUNCH, SPAWN),
            // The server boots once; each child is then forked from it.
            StartMethod::Forkserver => (SPAWN + (index + 1) * FORK, 0),
        },
    }
}

/// The ops a worker really executes under this runtime: `send` becomes pickling and a pipe
/// write between processes, and shared-memory increments pay for their lock.
pub fn expand(ops: &[Op], config: &RunConfig) -> Vec<Op> {
    let separate = one_interpreter_per_thread(config);
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match *op {
            Op::Send(bytes) => {
                let pickle = PICKLE_FIXED + bytes * PICKLE_PS_PER_BYTE / 1000;
                match config.runtime {
                    Runtime::Multiprocessing => {
                        out.push(Op::CCall {
                            duration: pickle,
                            releases_gil: false,
                        });
                        out.push(Op::Io {
                            duration: PIPE_FIXED + bytes * PIPE_PS_PER_BYTE / 1000,
                            blocks: None,
                        });
                    }
                    Runtime::Subinterpreters => out.push(Op::CCall {
                        duration: pickle,
                        releases_gil: false,
                    }),
                    Runtime::Threads | Runtime::Asyncio => out.push(Op::CCall {
                        duration: QUEUE_PUT,
                        releases_gil: false,
                    }),
                }
            }
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
            (2 * FORK, 0)
        );
        assert_eq!(
            start_plan(
                &config(Runtime::Multiprocessing, Some(StartMethod::Spawn)),
                0
            ),
            (SPAWN_LAUNCH, SPAWN)
        );
        assert_eq!(
            start_plan(&config(Runtime::Subinterpreters, None), 0),
            (10 * MS, 0)
        );
    }

    #[test]
    fn send_costs_pickling_and_a_pipe_only_between_processes() {
        let ops = [Op::Send(1_000_000)];
        let mp = expand(&ops, &config(Runtime::Multiprocessing, None));
        assert_eq!(
            mp,
            vec![
                Op::CCall {
                    duration: 1_005_000,
                    releases_gil: false
                },
                Op::Io {
                    duration: 520_000,
                    blocks: None
                }
            ]
        );
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
