//! What a pool does with a scenario's threads, which become its tasks: how many workers it
//! starts, how it cuts the tasks into chunks, when the parent has each one in the workers'
//! pipe, and what the parent's own threads cost (`Lib/multiprocessing/pool.py`,
//! `Lib/concurrent/futures/process.py` and `thread.py` of 3.13).
//!
//! - `multiprocessing.Pool(workers)` starts every worker in its constructor
//!   (`_repopulate_pool`), then three threads of its own (worker, task and result handlers).
//!   `map` cuts the tasks into chunks of `ceil(tasks / (4 × workers))` (`Pool._map_async`: `divmod(len(iterable), len(self._pool) * 4)`, one more if
//!   anything is left); the task handler pickles each chunk and writes it to one pipe that
//!   every worker reads (`SimpleQueue`, a read lock among the workers); a worker sends each
//!   chunk's results back through a second pipe, which the result handler reads and unpickles.
//! - `ProcessPoolExecutor(workers)` with `fork` (or before 3.9) starts every worker at the
//!   first `submit` (`_launch_processes`, python/cpython#90622); otherwise one worker per
//!   `submit` while none is idle (`_adjust_process_count`, 3.9+). Each `submit` wakes the queue
//!   management thread, which moves the work into the call queue, a `multiprocessing.Queue`
//!   whose feeder thread pickles and writes it; the call queue holds at most
//!   `workers + EXTRA_QUEUED_CALLS` (1) items, so later tasks enter it as results come back.
//! - `ThreadPoolExecutor(workers)` starts one thread per `submit` while none is idle
//!   (`_adjust_thread_count`); a task is a reference put on a `queue.SimpleQueue`, which
//!   wakes an idle worker thread of the same interpreter; no thread stands between them.
//!
//! How the process pools' threads in the parent hand each task on, hop by hop, each a
//! wake-up and a turn on the parent's GIL: [`parent`].

pub mod parent;

use super::runtime::start_plan;
use crate::model::{RunConfig, Runtime, StartMethod};
use crate::time::Nanos;

/// Threads a `multiprocessing.Pool` starts in the parent: the worker, task and result handlers.
pub const POOL_THREADS: u32 = 3;
/// Threads a `ProcessPoolExecutor` starts in the parent: the queue management thread and the
/// call queue's feeder thread.
pub const EXECUTOR_THREADS: u32 = 2;
/// `EXTRA_QUEUED_CALLS` of `concurrent/futures/process.py`: items the call queue holds beyond
/// one per worker.
pub const EXTRA_QUEUED_CALLS: usize = 1;
/// A task's result message (`None`, or a chunk of them, with the job's number), in bytes.
pub const RESULT_BYTES: u64 = 64;

/// How a pool runs a scenario's `tasks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolPlan {
    /// Workers started (processes, or threads for `ThreadPoolExecutor`).
    pub workers: usize,
    /// Tasks per chunk: one message to a worker, one back.
    pub chunksize: usize,
    /// Chunks put in the workers' pipe before any result comes back (all of them, but for an
    /// executor's bounded call queue).
    pub queued_ahead: usize,
    /// When the parent has started its workers (those it starts before the first task) and
    /// its own threads, and submits the tasks.
    pub start: Nanos,
}

impl PoolPlan {
    /// The plan for `tasks` tasks under `config` (a pool runtime; any other gets one worker
    /// per task and no chunks).
    pub fn new(config: &RunConfig, tasks: usize) -> Self {
        let asked = config.pool_workers().max(1) as usize;
        let on_demand = match config.runtime {
            Runtime::ThreadPool => true,
            Runtime::ProcessPool => {
                config.start_method != StartMethod::Fork
                    && config.python >= crate::model::PythonVersion::new(3, 9)
            }
            _ => false,
        };
        let workers = if on_demand {
            asked.min(tasks.max(1))
        } else {
            asked
        };
        let chunksize = if config.runtime == Runtime::Pool {
            tasks.div_ceil(4 * asked).max(1)
        } else {
            1
        };
        let chunks = tasks.div_ceil(chunksize);
        let queued_ahead = if config.runtime == Runtime::ProcessPool {
            chunks.min(asked + EXTRA_QUEUED_CALLS)
        } else {
            chunks
        };
        // The parent has launched its workers (the last start) and its own threads before the
        // first task is written.
        let launched = if workers == 0 || on_demand {
            0
        } else {
            start_plan(config, workers as u64 - 1).0
        };
        let start =
            launched + Nanos::from(Self::parent_threads(config.runtime)) * config.thread_start;
        PoolPlan {
            workers,
            chunksize,
            queued_ahead,
            start,
        }
    }

    /// Chunks of `tasks` tasks.
    pub fn chunks(&self, tasks: usize) -> usize {
        tasks.div_ceil(self.chunksize)
    }

    /// Threads the pool starts in the parent beside its workers.
    pub fn parent_threads(runtime: Runtime) -> u32 {
        match runtime {
            Runtime::Pool => POOL_THREADS,
            Runtime::ProcessPool => EXECUTOR_THREADS,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Overrides, PythonVersion};
    use crate::time::{MS, US};

    fn config(runtime: Runtime, workers: Option<u32>, method: Option<StartMethod>) -> RunConfig {
        Overrides {
            runtime: Some(runtime),
            workers,
            start_method: method,
            cores: Some(4),
            ..Overrides::default()
        }
        .resolve()
        .unwrap()
    }

    /// `Pool._map_async`: `chunksize, extra = divmod(len(iterable), len(self._pool) * 4)`,
    /// plus one if `extra`: 4 workers take 100 tasks in chunks of 7, 8 tasks one by one.
    #[test]
    fn pool_map_cuts_chunks_as_map_does() {
        let c = config(Runtime::Pool, None, None);
        assert_eq!(PoolPlan::new(&c, 100).chunksize, 7);
        assert_eq!(PoolPlan::new(&c, 8).chunksize, 1);
        assert_eq!(PoolPlan::new(&c, 16).chunksize, 1);
        assert_eq!(PoolPlan::new(&c, 17).chunksize, 2);
        assert_eq!(PoolPlan::new(&c, 100).chunks(100), 15);
    }

    /// `Pool.__init__` starts every worker (`_repopulate_pool`), however few the tasks; an
    /// executor with fork starts them all at the first submit, with spawn one per submit while
    /// none is idle (3.9+, `_adjust_process_count`).
    #[test]
    fn workers_started_follow_each_pool() {
        assert_eq!(
            PoolPlan::new(&config(Runtime::Pool, None, None), 2).workers,
            4
        );
        let fork = config(Runtime::ProcessPool, None, Some(StartMethod::Fork));
        assert_eq!(PoolPlan::new(&fork, 2).workers, 4);
        let spawn = config(Runtime::ProcessPool, None, Some(StartMethod::Spawn));
        assert_eq!(PoolPlan::new(&spawn, 2).workers, 2);
        let mut old = spawn.clone();
        old.python = PythonVersion::new(3, 8);
        assert_eq!(PoolPlan::new(&old, 2).workers, 4);
        assert_eq!(
            PoolPlan::new(&config(Runtime::ThreadPool, None, None), 2).workers,
            2
        );
        // ThreadPoolExecutor's default from 3.8: min(32, cpu_count() + 4).
        assert_eq!(
            PoolPlan::new(&config(Runtime::ThreadPool, None, None), 20).workers,
            8
        );
        assert_eq!(
            PoolPlan::new(&config(Runtime::Pool, Some(2), None), 20).workers,
            2
        );
    }

    /// The executor's call queue holds `workers + EXTRA_QUEUED_CALLS` items; a Pool's task
    /// handler writes every chunk at once. Fork launches each worker in turn (1.5 ms each)
    /// before the pool's three threads start and the tasks are submitted.
    #[test]
    fn the_parent_queues_chunks_ahead() {
        let pool = PoolPlan::new(&config(Runtime::Pool, None, Some(StartMethod::Fork)), 10);
        assert_eq!(pool.queued_ahead, 10);
        assert_eq!(pool.start, 4 * 1_500 * US + 3 * 40 * US);
        let ex = PoolPlan::new(&config(Runtime::ProcessPool, None, None), 10);
        assert_eq!(ex.queued_ahead, 5);
        assert!(ex.start < 7 * MS);
    }
}
