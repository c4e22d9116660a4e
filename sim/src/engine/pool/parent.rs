//! The parent process of a process pool: the caller and the pool's own threads, each asleep
//! until another one signals it, then woken by the OS, then waiting for the parent's one GIL
//! to run its bit of Python. A task's round trip is a chain of such hops (3.13's
//! `concurrent/futures/process.py` and `multiprocessing/pool.py`, `queues.py`):
//!
//! - `ProcessPoolExecutor`: the caller's `submit` puts a work item in a dict and its id on
//!   `_work_ids`, and writes a byte to the manager thread's wake-up pipe (`submit`,
//!   process.py 791–808); the queue management thread, waiting in `connection.wait` on that
//!   pipe and the result pipe, wakes, moves the item to the call queue
//!   (`add_call_item_to_queue`, 383–402); the call queue's `put` appends it to a buffer and
//!   notifies the queue's feeder thread (queues.py 84–94), which pickles and writes it
//!   (`_feed`, 230–270); the worker reads, runs and writes its result to the result pipe, a
//!   `SimpleQueue` it writes itself (process.py 217–260, 744); the manager thread wakes again,
//!   reads and unpickles it and sets the future (`wait_result_broken_or_wakeup`,
//!   `process_result_item`, 406–452), which notifies the caller waiting on the future's
//!   condition: four wake-ups in the parent (manager, feeder, manager, caller) and one in the
//!   worker.
//! - `multiprocessing.Pool`: `apply_async`/`map_async` puts the task on `_taskqueue` (a
//!   `queue.SimpleQueue`, pool.py 453–467); the task handler thread wakes and writes each
//!   chunk to the workers' pipe itself, pickling in `Connection.send` (`_handle_tasks`,
//!   528–556, `_quick_put`, 348); the result handler thread reads and unpickles each result
//!   and sets it (`_handle_results`, 574–598), whose `Event.set` wakes the caller (749–782):
//!   three wake-ups in the parent and one in the worker.
//!
//! Every thread here needs the parent's GIL for its Python: one that wakes while another holds
//! it waits until the holder blocks (none of them runs near a switch interval) and then for
//! its own wake-up from the holder's signal (gil-model.md rule 6), so a parent busy with one
//! task's hops delays the next task's. Threads are served in the order they are signalled.
//! The Python each hop runs is CPU time measured per thread with
//! `scripts/measure/executor_hops.py` (3.13.0, `/proc/self/task/TID/schedstat`).

use crate::model::Runtime;
use crate::time::{Nanos, US};

/// The caller's `apply_async` or `map_async`: a result object, one put on the task queue.
pub const POOL_APPLY: Nanos = 5 * US;
/// `Pool`'s task handler, for each chunk: `Connection.send`, pickling the task and writing the
/// pipe, before the worker can read it.
pub const POOL_TASK_PUT: Nanos = 6 * US;
/// ... then back to `_taskqueue.get` until it blocks.
pub const POOL_TASK_TAIL: Nanos = 3 * US;
/// `Pool`'s result handler, for each chunk's results: `recv`'s unpickling of a small message,
/// `cache[job]._set` up to its `Event.set`.
pub const POOL_RESULT: Nanos = 7 * US;
/// ... then, holding the GIL while the caller wakes, the job's `del cache[job]`, which pickles a
/// message for the worker handler's `_change_notifier` once the cache is empty (pool.py
/// 161–171), up to its write, which releases the GIL.
pub const POOL_RESULT_TAIL: Nanos = 3 * US;
/// The executor's `submit` (process.py 791–814): a `Future`, a work item, `_work_ids.put`, a
/// byte on the wake-up pipe, `_adjust_process_count`.
pub const EXECUTOR_SUBMIT: Nanos = 14 * US;
/// The queue management thread, each time `connection.wait` returns: `poll` unregistering its
/// pipes, the wake-up pipe's `clear`.
pub const MANAGER_WAKE: Nanos = 12 * US;
/// ... and before it blocks again: `connection.wait` builds a `PollSelector` and registers the
/// result pipe, the wake-up pipe and every worker's sentinel (connection.py 1124–1150).
pub const MANAGER_WAIT: Nanos = 10 * US;
/// The manager thread, for each call item it moves: `_work_ids.get`,
/// `set_running_or_notify_cancel`, `call_queue.put` (its buffer and the feeder's `notify`).
pub const MANAGER_MOVE: Nanos = 10 * US;
/// The manager thread, for each result: unpickling a small `_ResultItem`, `set_result` (the
/// future's `notify_all`), `_idle_worker_semaphore.release`.
pub const MANAGER_RESULT: Nanos = 15 * US;
/// The call queue's feeder thread, for each item: `_ForkingPickler.dumps`, its write lock and
/// `send_bytes`.
pub const FEEDER_SEND: Nanos = 16 * US;
/// ... then back to waiting on the queue's condition.
pub const FEEDER_TAIL: Nanos = 5 * US;
/// The caller once woken with its result: `Future.result` or `AsyncResult.get` returning.
pub const CALLER_RESULT: Nanos = 5 * US;
/// What an executor's worker does per task beyond unpickling it and pickling its result: the
/// call queue's `get` takes its read lock and releases its semaphore (queues.py 96–103), and a
/// `_CallItem` in, a `_ResultItem` out (process.py 240–260). Its workers spend 31.7–33.6 µs of
/// CPU a task here, `Pool`'s 14.3–17.2.
pub const EXECUTOR_WORKER: Nanos = 17 * US;

/// A thread of the parent that takes part in a task's round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentThread {
    /// The main thread: submits the tasks and waits for their results.
    Caller,
    /// `Pool`'s task handler (`_handle_tasks`), which writes each chunk to the workers' pipe.
    TaskHandler,
    /// `Pool`'s result handler (`_handle_results`), or the executor's queue management thread
    /// (`_ExecutorManagerThread`), which also moves work into the call queue.
    Results,
    /// The executor's call queue feeder thread (`Queue._feed`), which pickles and writes.
    Feeder,
    /// The thread that reads the workers' `send`s (one `SimpleQueue`) and unpickles them.
    Sends,
}

/// How many [`ParentThread`]s there are.
const THREADS: usize = 5;

/// The parent of a process pool: when its GIL and each of its threads are next free.
#[derive(Debug, Clone)]
pub struct Parent {
    runtime: Runtime,
    /// An OS wake-up of a thread asleep on a lock, a condition or its GIL's signal.
    wake: Nanos,
    /// When the parent's GIL is next free.
    gil_free: Nanos,
    /// When each thread is done with what it has been given.
    busy: [Nanos; THREADS],
}

impl Parent {
    /// The parent of a pool of `runtime`, its threads started by `start`, whose sleeping
    /// threads wake `wake` after they are signalled.
    pub fn new(runtime: Runtime, wake: Nanos, start: Nanos) -> Self {
        Parent {
            runtime,
            wake,
            gil_free: start,
            busy: [start; THREADS],
        }
    }

    /// `thread` is signalled at `at` (asleep, it wakes `signal` later; busy, it goes on when
    /// it is done), takes the GIL and runs `work`, which ends in what it hands on, then `tail`
    /// (still holding the GIL) before it blocks again: when it has handed on.
    pub fn hop(
        &mut self,
        thread: ParentThread,
        at: Nanos,
        signal: Nanos,
        (work, tail): (Nanos, Nanos),
    ) -> Nanos {
        let i = thread as usize;
        let awake = if self.busy[i] <= at {
            at + signal
        } else {
            self.busy[i]
        };
        // The GIL is free, or held by a thread that releases it when it blocks; its drop_gil
        // signals this one, which must wake up again.
        let start = if self.gil_free <= awake {
            awake
        } else {
            self.gil_free + self.wake
        };
        let end = start + work;
        self.gil_free = end + tail;
        self.busy[i] = end + tail;
        end
    }

    /// The caller submits `chunks` chunks at once; the first `ahead` go into the workers'
    /// pipe now (the others as results free the executor's call queue): when the parent has
    /// written each of them, the pipe's transfer still to come.
    pub fn submit(&mut self, chunks: usize, ahead: usize) -> Vec<Nanos> {
        use ParentThread::{Caller, Feeder, Results, TaskHandler};
        let start = self.busy[Caller as usize];
        // The last of a run of items a thread handles in one go ends in its tail.
        let tail_if = |last: bool, tail: Nanos| if last { tail } else { 0 };
        if self.runtime == Runtime::Pool {
            // map_async: one put on the task queue; the task handler writes every chunk.
            let put = self.hop(Caller, start, 0, (POOL_APPLY, 0));
            return (0..ahead)
                .map(|k| {
                    let tail = tail_if(k + 1 == ahead, POOL_TASK_TAIL);
                    self.hop(TaskHandler, put, self.wake, (POOL_TASK_PUT, tail))
                })
                .collect();
        }
        // The caller's submit loop keeps the GIL (each wake-up byte is a short release the
        // caller wins back); the manager thread, woken by the first byte, moves the items
        // once the caller waits for its first result.
        let Some(first) = (0..chunks)
            .map(|_| self.hop(Caller, start, 0, (EXECUTOR_SUBMIT, 0)))
            .min()
        else {
            return Vec::new();
        };
        let work = MANAGER_WAKE + ahead as Nanos * MANAGER_MOVE;
        let moved = self.hop(Results, first, self.wake, (work, MANAGER_WAIT));
        (0..ahead)
            .map(|k| {
                let tail = tail_if(k + 1 == ahead, FEEDER_TAIL);
                self.hop(Feeder, moved, self.wake, (FEEDER_SEND, tail))
            })
            .collect()
    }

    /// A chunk's result, read off the result pipe at `at` and `unpickle` to unpickle: when the
    /// caller has it (`caller`: `apply_async`, `submit` and the last chunk of a `map` wake it;
    /// the other chunks of a `map` are set in its result), and, if `refill`, when the parent
    /// has written the next call item into the freed place of the executor's call queue.
    pub fn result(
        &mut self,
        at: Nanos,
        unpickle: Nanos,
        caller: bool,
        refill: bool,
    ) -> (Nanos, Option<Nanos>) {
        use ParentThread::{Caller, Feeder, Results};
        let executor = self.runtime == Runtime::ProcessPool;
        // The pipe's transfer woke the reader; it sets the result, then finishes its turn.
        let (work, tail) = if executor {
            let moves = if refill { MANAGER_MOVE } else { 0 };
            (
                MANAGER_WAKE + unpickle + MANAGER_RESULT,
                moves + MANAGER_WAIT,
            )
        } else {
            (unpickle + POOL_RESULT, POOL_RESULT_TAIL)
        };
        let set = self.hop(Results, at, 0, (work, tail));
        // The future's notify_all comes before the manager's next add_call_item_to_queue.
        let received = if caller {
            self.hop(Caller, set, self.wake, (CALLER_RESULT, 0))
        } else {
            set
        };
        let written = (executor && refill)
            .then(|| self.hop(Feeder, set, self.wake, (FEEDER_SEND, FEEDER_TAIL)));
        (received, written)
    }

    /// A `send` read off the pipe at `at` by the parent's reader of sends, which unpickles
    /// it for `unpickle`: when it is done.
    pub fn read_send(&mut self, at: Nanos, unpickle: Nanos) -> Nanos {
        self.hop(ParentThread::Sends, at, 0, (unpickle, 0))
    }

    /// When the reader of `results` (or of sends) is next free to read.
    pub fn reader_free(&self, results: bool) -> Nanos {
        let thread = if results {
            ParentThread::Results
        } else {
            ParentThread::Sends
        };
        self.busy[thread as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sleeping thread pays its wake-up; one still busy goes straight on; one woken while
    /// another holds the GIL waits for it to block, then for the signal's wake-up (rule 6).
    #[test]
    fn a_hop_is_a_wake_up_and_a_turn_on_the_gil() {
        let mut p = Parent::new(Runtime::ProcessPool, 5 * US, 0);
        let a = p.hop(ParentThread::Caller, 0, 5 * US, (10 * US, 0));
        assert_eq!(a, 15 * US);
        // Busy until 15 µs: no wake-up, no wait.
        assert_eq!(
            p.hop(ParentThread::Caller, 0, 5 * US, (10 * US, 0)),
            25 * US
        );
        // The feeder wakes at 15 µs, but the caller holds the GIL until 25 µs: 25 + 5 + 16.
        let fed = p.hop(
            ParentThread::Feeder,
            10 * US,
            5 * US,
            (FEEDER_SEND, FEEDER_TAIL),
        );
        assert_eq!(fed, 30 * US + FEEDER_SEND);
        // Its tail keeps the GIL: the manager, there at once, waits for it and wakes again.
        let set = p.hop(ParentThread::Results, fed, 0, (US, 0));
        assert_eq!(set, fed + FEEDER_TAIL + 5 * US + US);
    }

    /// One task, nothing else in the parent: the executor's path, hop by hop.
    #[test]
    fn the_executor_hands_a_task_on_in_four_hops() {
        let wake = 5 * US;
        let mut p = Parent::new(Runtime::ProcessPool, wake, 0);
        let written = p.submit(1, 1);
        let moved = EXECUTOR_SUBMIT + wake + MANAGER_WAKE + MANAGER_MOVE;
        // The feeder, woken by the move, waits for the manager to block again.
        let feeder = (moved + wake).max(moved + MANAGER_WAIT + wake);
        assert_eq!(written, vec![feeder + FEEDER_SEND]);
        let back = 200 * US;
        let (received, refill) = p.result(back, 5 * US, true, false);
        let set = back + MANAGER_WAKE + 5 * US + MANAGER_RESULT;
        assert_eq!(received, set + MANAGER_WAIT + wake + CALLER_RESULT);
        assert_eq!(refill, None);
    }
}
