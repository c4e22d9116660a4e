//! A pool's tasks ([`crate::engine::pool`]): every scenario thread is a task, submitted at the
//! start and *queued* until a worker takes its chunk, which the parent's threads hand on to
//! the workers' pipe one hop after another ([`Parent`]); the chunk's first task unpickles it on
//! the worker (*pickling*, with the worker's own GIL), its tasks run one after another on that
//! worker, and its last task pickles the results and writes them to the parent's result pipe
//! ([`crate::engine::pipe`]), shown as I/O until the caller has them: the parent's result
//! thread read and set them, and woke the caller. Then the worker takes the next chunk the
//! parent has written. Messages to the parent (`send`, results) go through [`Pipes`], one
//! reader each.

use super::SimEngine;
use super::thread::{Os, PipeMessage, Stage, Tid};
use crate::engine::pipe::{Reader, pickle_cost, transfer_cost};
use crate::engine::pool::parent::{EXECUTOR_WORKER, Parent};
use crate::engine::pool::{PoolPlan, RESULT_BYTES};
use crate::engine::runtime::{self, QUEUE_PUT};
use crate::model::{RunConfig, Runtime};
use crate::time::Nanos;
use crate::trace::{NONE, RUNTIME_MESSAGE, ThreadState};
use std::collections::VecDeque;

/// The parent's readers of its children's pipes.
#[derive(Debug, Clone, Default)]
pub(super) struct Pipes {
    /// Who reads the children's `send`s: the main process (multiprocessing), a thread of the
    /// parent reading the pool's queue of messages.
    sends: Reader,
    /// A pool's result handler (`Pool`'s `_handle_results`, the executor's queue management
    /// thread), which reads each result, then unpickles and sets it ([`Parent`]).
    results: Reader,
}

/// A pool's workers and the chunks of tasks they take.
#[derive(Debug, Clone)]
pub(super) struct PoolState {
    plan: PoolPlan,
    tasks: usize,
    /// Whether the workers are processes (their own interpreter and GIL each) rather than
    /// threads of the one interpreter.
    processes: bool,
    /// The parent's threads that hand tasks to the workers and results back (process pools).
    parent: Option<Parent>,
    /// When the parent has each chunk in the workers' pipe, once known.
    available: Vec<Option<Nanos>>,
    /// The next chunk no worker has taken.
    next_chunk: usize,
    /// Workers with nothing to do, in the order they became idle.
    idle: VecDeque<usize>,
    /// Results written so far (each frees a place in an executor's call queue).
    results: usize,
    /// The worker of each task whose chunk has been taken.
    worker_of: Vec<usize>,
    /// When each chunk's first task begins on its worker, once its chunk has been taken.
    begin_at: Vec<Option<Nanos>>,
}

impl PoolState {
    /// Whether task `index` is the last of its chunk.
    fn ends_chunk(&self, index: usize) -> bool {
        (index + 1).is_multiple_of(self.plan.chunksize) || index + 1 == self.tasks
    }
}

impl SimEngine {
    /// Sets up the pool of a pool runtime: the first chunks go to the workers as they start
    /// (the first chunk on a worker boots it).
    pub(super) fn add_pool(&mut self, config: &RunConfig) {
        if !config.runtime.is_pool() {
            return;
        }
        let tasks = self.threads.len();
        let plan = PoolPlan::new(config, tasks);
        let chunks = plan.chunks(tasks);
        let processes = config.runtime != Runtime::ThreadPool;
        let mut parent =
            processes.then(|| Parent::new(config.runtime, config.wake_latency, plan.start));
        let mut available: Vec<Option<Nanos>> = match parent.as_mut() {
            // Written by the parent's threads, then through the pipe to a worker.
            Some(parent) => parent
                .submit(chunks, plan.queued_ahead)
                .into_iter()
                .map(|written| Some(written + transfer_cost(RESULT_BYTES)))
                .collect(),
            // ThreadPoolExecutor: a reference put on a SimpleQueue per submit.
            None => (0..plan.queued_ahead)
                .map(|k| Some(plan.start + (k as Nanos + 1) * QUEUE_PUT))
                .collect(),
        };
        available.resize(chunks, None);
        let first = plan.workers.min(chunks);
        self.pool = Some(PoolState {
            processes,
            parent,
            idle: (first..plan.workers).collect(),
            plan,
            tasks,
            available,
            next_chunk: first,
            results: 0,
            worker_of: vec![0; tasks],
            begin_at: vec![None; tasks],
        });
        for w in 0..first {
            let (start, boot) = runtime::start_plan(config, w as u64);
            self.take_chunk(w, w, start, boot);
        }
    }

    /// Whether `t` is a pool's task.
    pub(super) fn is_pool_task(&self, _t: Tid) -> bool {
        self.pool.is_some()
    }

    /// Worker `w` takes chunk `k`, no sooner than `earliest`, booting for `boot` first.
    fn take_chunk(&mut self, w: usize, k: usize, earliest: Nanos, boot: Nanos) {
        let Some(pool) = self.pool.as_mut() else {
            return;
        };
        let size = pool.plan.chunksize;
        let lanes = k * size..((k + 1) * size).min(pool.tasks);
        let begin = pool.available[k].map_or(earliest, |at| earliest.max(at.saturating_sub(boot)));
        let first = lanes.start;
        pool.begin_at[first] = Some(begin);
        let processes = pool.processes;
        let runtime = self.config.runtime;
        for lane in lanes {
            pool.worker_of[lane] = w;
            let th = &mut self.threads[Tid::from_index(lane)];
            th.interp = if processes { w } else { 0 };
        }
        let t = Tid::from_index(first);
        let th = &mut self.threads[t];
        th.startup = boot;
        // The worker unpickles the chunk it read from the pipe (a function and its arguments,
        // a few dozen bytes each); an executor's worker does more for each task.
        th.unpickle = match runtime {
            Runtime::Pool => pickle_cost(RESULT_BYTES),
            Runtime::ProcessPool => pickle_cost(RESULT_BYTES) + EXECUTOR_WORKER,
            _ => 0,
        };
        if th.stage == Stage::Queued {
            self.schedule(t, begin.max(self.now));
        }
    }

    /// Task `t` was submitted (now, at the start): it waits in the pool's queue, unless its
    /// chunk's worker is already known.
    pub(super) fn task_submitted(&mut self, t: Tid) {
        self.record_start(t);
        self.threads[t].stage = Stage::Queued;
        self.show(t, ThreadState::Queued, NONE);
        let begin = self.pool.as_ref().and_then(|p| p.begin_at[t.index()]);
        if let Some(at) = begin {
            self.schedule(t, at.max(self.now));
        }
    }

    /// Whether `t` is the last task of its chunk in a pool of processes: it sends the chunk's
    /// results to the parent.
    pub(super) fn result_due(&self, t: Tid) -> bool {
        self.pool
            .as_ref()
            .is_some_and(|p| p.processes && p.ends_chunk(t.index()))
    }

    /// The pickled result message `t` writes to the parent.
    pub(super) fn result_message() -> PipeMessage {
        PipeMessage {
            bytes: RESULT_BYTES,
            result: true,
        }
    }

    /// Task `t`'s program is over: the next task of its chunk begins on the same worker, or,
    /// in a thread pool, the worker thread takes the next chunk.
    pub(super) fn task_done(&mut self, t: Tid) {
        let Some(pool) = self.pool.as_ref() else {
            return;
        };
        let last = pool.ends_chunk(t.index());
        if !last {
            let next = Tid::from_index(t.index() + 1);
            if self.threads[next].stage == Stage::Queued {
                self.schedule(next, self.now);
            }
        } else if !pool.processes {
            let w = pool.worker_of[t.index()];
            self.worker_idle(w);
        }
    }

    /// A message from `t` to the parent: pickled already, now written to its pipe, `t`
    /// asleep in the kernel until its `send` returns.
    pub(super) fn write_pipe(&mut self, t: Tid, message: PipeMessage) {
        let now = self.now;
        let parent_free = self
            .pool
            .as_ref()
            .and_then(|p| p.parent.as_ref())
            .map(|parent| parent.reader_free(message.result));
        let reader = if message.result {
            &mut self.pipes.results
        } else {
            &mut self.pipes.sends
        };
        if let Some(free) = parent_free {
            // A thread of the parent reads it once done with what it was given before.
            reader.hold_until(free);
        }
        let read = reader.write(now, message.bytes);
        let delivered = if parent_free.is_some() {
            // ... and unpickles it holding the parent's GIL.
            self.parent_read(message.result, read.delivered, pickle_cost(message.bytes))
        } else {
            // The multiprocessing runtime's main process reads the bytes.
            read.delivered
        };
        let writer_done = read.writer_done;
        self.threads[t].stage = Stage::PipeWrite {
            result: message.result.then_some(delivered),
        };
        let call = self.threads[t].next_io_call();
        // A chunk's results are the pool's own message, not an I/O call of the program.
        let other = if message.result {
            RUNTIME_MESSAGE + call
        } else {
            call
        };
        self.block(t, ThreadState::Io, other);
        self.schedule(t, writer_done);
    }

    /// A message read off a pipe at `at` by a thread of a process pool's parent, which then
    /// unpickles it for `unpickle` holding the parent's GIL: a `send`, or a chunk's results,
    /// which the result thread sets, waking the caller if it waits for them and (an executor)
    /// moving the next call item into the place they freed. Returns when the reader is done
    /// with a `send`, or when the caller has the results.
    fn parent_read(&mut self, result: bool, at: Nanos, unpickle: Nanos) -> Nanos {
        let executor = self.config.runtime == Runtime::ProcessPool;
        let Some(PoolState {
            parent: Some(parent),
            plan,
            tasks,
            available,
            results,
            ..
        }) = self.pool.as_mut()
        else {
            return at;
        };
        if !result {
            return parent.read_send(at, unpickle);
        }
        let k = plan.queued_ahead + *results;
        *results += 1;
        let refill = k < available.len() && available[k].is_none();
        // An executor's caller waits on each future; map's caller on the whole map.
        let caller = executor || *results == plan.chunks(*tasks);
        let (received, written) = parent.result(at, unpickle, caller, refill);
        if let Some(written) = written {
            available[k] = Some(written + transfer_cost(RESULT_BYTES));
        }
        received
    }

    /// `t`'s write to the parent returned.
    pub(super) fn pipe_written(&mut self, t: Tid, result: Option<Nanos>) {
        let Some(delivered) = result else {
            self.threads[t].advance_op(Stage::take_gil(super::thread::Resume::Boundary));
            self.wake(t, Some(ThreadState::Waking));
            return;
        };
        // The worker is free for the next chunk; the result is on its way to the caller.
        if let Some(pool) = self.pool.as_ref() {
            let w = pool.worker_of[t.index()];
            self.worker_idle(w);
        }
        self.threads[t].stage = Stage::Delivering;
        self.threads[t].os = Os::Blocked;
        self.schedule(t, delivered.max(self.now));
    }

    /// Worker `w` has nothing to do: it takes the next chunk the parent has written, or waits.
    fn worker_idle(&mut self, w: usize) {
        if let Some(pool) = self.pool.as_mut() {
            pool.idle.push_back(w);
        }
        loop {
            let Some(pool) = self.pool.as_mut() else {
                return;
            };
            let k = pool.next_chunk;
            if k >= pool.available.len() || pool.available[k].is_none() {
                return;
            }
            let Some(w) = pool.idle.pop_front() else {
                return;
            };
            pool.next_chunk += 1;
            self.take_chunk(w, k, self.now, 0);
        }
    }
}
