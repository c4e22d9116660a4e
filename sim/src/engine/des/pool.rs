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
use super::thread::{PipeMessage, Stage, Tid, Writing};
use crate::engine::SimError;
use crate::engine::pipe::{
    Buffer, Reader, Take, buffer_cost, next_buffer, pickle_cost, transfer_cost,
};
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

    /// A message from `t` to the parent, pickled already: `t` starts copying its first buffer
    /// into the pipe, GIL released, on its core (it needs one, [`Stage::PipeCopy`]).
    pub(super) fn start_pipe_write(&mut self, t: Tid, message: PipeMessage) {
        let th = &mut self.threads[t];
        let call = th.next_io_call();
        // A chunk's results are the pool's own message, not an I/O call of the program.
        let other = if message.result {
            RUNTIME_MESSAGE + call
        } else {
            call
        };
        th.writing = Some(Writing {
            message,
            left: message.bytes,
            other,
        });
        let (bytes, _) = next_buffer(message.bytes);
        th.enter_c_call(buffer_cost(bytes, true), Stage::PipeCopy);
    }

    /// `t` has copied a buffer into its pipe. A message larger than the buffer goes a buffer
    /// at a time: `t` sleeps on the full pipe until the reader takes it, then wakes for the
    /// next, needing a core again for each (`gil-model.md` rule 21). After the last buffer
    /// its write returns: the next op, or, for a chunk's results, the worker is free and the
    /// task waits until the caller has them.
    pub(super) fn buffer_copied(&mut self, t: Tid) -> Result<(), SimError> {
        let Some(mut writing) = self.threads[t].writing else {
            return Ok(());
        };
        let (bytes, last) = next_buffer(writing.left);
        writing.left -= bytes;
        let result = writing.message.result;
        if !last {
            self.threads[t].writing = Some(writing);
            self.threads[t].stage = Stage::PipeWrite;
            self.block(t, ThreadState::Io, writing.other);
        } else if result {
            self.threads[t].writing = None;
            if let Some(pool) = self.pool.as_ref() {
                let w = pool.worker_of[t.index()];
                self.worker_idle(w);
            }
            self.threads[t].stage = Stage::Delivering;
            self.block(t, ThreadState::Io, writing.other);
        } else {
            self.threads[t].writing = None;
            self.threads[t].advance_op(Stage::take_gil(super::thread::Resume::Boundary));
        }
        let buffer = Buffer {
            writer: t.index(),
            filled: self.now,
            bytes,
            last,
            message: writing.message.bytes,
        };
        let busy = self.reader_busy(result);
        let mut take = self.reader(result).fill(buffer, busy);
        while let Some(taken) = take {
            take = self.buffer_taken(result, taken);
        }
        if last && !result { self.run(t) } else { Ok(()) }
    }

    /// The reader of results (or of `send`s) took a buffer: its writer, asleep on the full
    /// pipe, is woken then; or the message is read, and the reader goes on to the next one
    /// waiting, which it returns.
    fn buffer_taken(&mut self, result: bool, taken: Take) -> Option<Take> {
        let writer = Tid::from_index(taken.writer);
        let Some(read) = taken.delivered else {
            self.schedule(writer, taken.at);
            return None;
        };
        let pool_parent = self.pool.as_ref().is_some_and(|p| p.parent.is_some());
        let delivered = if pool_parent {
            // A thread of the parent unpickles it holding the parent's GIL.
            self.parent_read(result, read, pickle_cost(taken.message))
        } else {
            // The multiprocessing runtime's main process reads the bytes.
            read
        };
        if result {
            self.schedule(writer, delivered.max(self.now));
        }
        let busy = self.reader_busy(result);
        self.reader(result).next(busy)
    }

    /// Until when the parent's thread that reads these messages is busy with what it was given
    /// before (a pool's parent; the multiprocessing runtime's main process only reads).
    fn reader_busy(&self, result: bool) -> Nanos {
        self.pool
            .as_ref()
            .and_then(|p| p.parent.as_ref())
            .map_or(0, |parent| parent.reader_free(result))
    }

    /// The reader of results, or of `send`s.
    fn reader(&mut self, result: bool) -> &mut Reader {
        if result {
            &mut self.pipes.results
        } else {
            &mut self.pipes.sends
        }
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
