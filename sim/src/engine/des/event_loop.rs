//! asyncio (gil-model.md rule 22): every scenario thread is a task on one event-loop thread.
//!
//! The loop is a token: the task holding it runs on the loop thread (its core, its GIL). An
//! `await` (I/O, sleep, a contended `asyncio.Lock`, an executor job) hands the token — and the
//! loop thread's core and GIL, without any release — to the next ready task, or, with none
//! ready, the loop thread blocks in `epoll` and releases the GIL. A task whose await completes
//! is ready; how long it then waits to run is the loop's lag. `offload` (`run_in_executor`)
//! runs Python on executor threads that contend for the GIL with the loop thread: the convoy
//! effect comes back, with the loop as its victim.

use super::SimEngine;
use super::thread::{Os, Resume, Stage, Th, Tid, id_or_none};
use crate::engine::work::LoopShape;
use crate::model::{RunConfig, Runtime};
use crate::scenario::{Op, Scenario};
use crate::time::{MS, Nanos, format_nanos};
use crate::trace::{EXECUTOR_AWAIT, Lane, MarkerKind, NONE, ThreadInfo, ThreadState};
use std::collections::VecDeque;

/// asyncio's debug mode warns about steps longer than this (`loop.slow_callback_duration`).
pub const SLOW_CALLBACK: Nanos = 100 * MS;

/// What a simulated thread is, under asyncio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A `threading.Thread` (every runtime but asyncio).
    Thread,
    /// An asyncio task.
    Task,
    /// A `ThreadPoolExecutor` worker serving `run_in_executor`.
    Executor,
}

/// The event loop's state.
#[derive(Debug, Clone, Default)]
pub(super) struct EventLoop {
    /// The task running on the loop thread, if any.
    token: Option<Tid>,
    /// Tasks ready to run, in the order they became ready (asyncio's ready queue is FIFO).
    ready: VecDeque<Tid>,
    /// When the current step began.
    step_start: Nanos,
    /// Executor jobs not yet picked up: (bytecodes, task awaiting it).
    jobs: VecDeque<(u64, Tid)>,
}

impl SimEngine {
    /// asyncio: `ThreadPoolExecutor` workers for the tasks that offload work, at most
    /// `min(32, cores + 4)` as Python's default.
    pub(super) fn add_executors(&mut self, scenario: &Scenario, config: &RunConfig) {
        if config.runtime != Runtime::Asyncio {
            return;
        }
        let offloading: u32 = scenario
            .groups
            .iter()
            .filter(|g| g.ops.iter().any(|op| matches!(op, Op::Offload(_))))
            .map(|g| g.count)
            .sum();
        let workers = offloading.min(32.min(config.cores + 4));
        for k in 0..workers {
            self.threads.push(Th::new(0, Role::Executor));
            // Of no group of the scenario: its index is one past the last.
            self.trace.threads.push(ThreadInfo::new(
                format!("executor-{k}"),
                scenario.groups.len(),
            ));
            self.trace.thread_lanes.push(Lane::default());
        }
        self.timers.grow(1 + self.cores.len() + self.threads.len());
    }

    /// Whether `t` is an asyncio task.
    pub(super) fn is_task(&self, t: Tid) -> bool {
        self.threads[t].role == Role::Task
    }

    /// Whether `t` is an executor worker.
    pub(super) fn is_executor(&self, t: Tid) -> bool {
        self.threads[t].role == Role::Executor
    }

    /// A task whose await completed (or that was just created) wants to run.
    pub(super) fn make_ready(&mut self, t: Tid) {
        if self.event_loop.token.is_none() {
            // The loop thread was idle in epoll: it wakes, takes the GIL, runs this task.
            self.event_loop.token = Some(t);
            self.event_loop.step_start = self.now;
            self.threads[t].stage = Stage::take_gil(Resume::Boundary);
            self.wake(t, Some(ThreadState::Waking));
        } else {
            self.threads[t].stage = Stage::Ready;
            self.threads[t].os = Os::Blocked;
            self.event_loop.ready.push_back(t);
            let running = id_or_none(self.event_loop.token);
            self.show(t, ThreadState::Ready, running);
        }
    }

    /// A task's op that is an `await` which suspends it; `None` when the op is not one.
    pub(super) fn start_task_await(&mut self, t: Tid, op: &Op) -> Option<bool> {
        match *op {
            Op::Io { duration: d, .. } | Op::Sleep(d) => {
                // `await`: the task suspends; the loop runs another task.
                self.threads[t].stage = Stage::Blocking;
                let call = self.threads[t].next_io_call();
                self.show(t, ThreadState::Io, call);
                self.release_loop(t);
                self.schedule(t, self.now + d);
                Some(false)
            }
            Op::Offload(bytecodes) => {
                self.threads[t].stage = Stage::Blocking;
                // An await of the executor's future, not an I/O call.
                let call = self.threads[t].next_io_call();
                self.show(t, ThreadState::Io, EXECUTOR_AWAIT + call);
                self.cancel_timer(t);
                self.release_loop(t);
                self.submit_job(t, bytecodes);
                Some(false)
            }
            Op::Lock(lock) if self.locks[lock].holder.is_some() => {
                self.trace
                    .mark(self.now, MarkerKind::LockBlocked, t.id(), lock as u32);
                self.threads[t].stage = Stage::LockWait(lock);
                self.locks[lock].waiters.push_back(t);
                self.show(t, ThreadState::Lock, lock as u32);
                self.release_loop(t);
                Some(false)
            }
            _ => None,
        }
    }

    /// The running task stops (an await, or its end): the loop runs the next ready task on the
    /// same thread, or goes idle in epoll (releasing the GIL and the core).
    pub(super) fn release_loop(&mut self, t: Tid) {
        if self.event_loop.token != Some(t) {
            return;
        }
        let step = self.now - self.event_loop.step_start;
        if step > SLOW_CALLBACK {
            let name = self.trace.thread_name(t.id()).to_owned();
            self.trace.warnings.push((
                self.now,
                format!("Executing <Task pending name='{name}'> took {:.3} seconds (asyncio debug mode: a step longer than 0.1 s blocks every task; it took {})", step as f64 / 1e9, format_nanos(step)),
            ));
        }
        self.event_loop.token = None;
        let core = self.threads[t].os.assigned_core();
        match (self.event_loop.ready.pop_front(), core) {
            (Some(next), Some(c)) => {
                self.event_loop.token = Some(next);
                self.event_loop.step_start = self.now;
                self.transfer_gil(t, next);
                // Same OS thread, same core: no wake-up, no scheduler.
                let th = &mut self.threads[t];
                th.cpu += self.now - th.core_since;
                th.os = Os::Blocked;
                self.threads[next].core_since = self.now;
                self.cores[c as usize].occupant = Some(next);
                self.threads[next].last_core = Some(c);
                self.threads[next].os = Os::Dispatched(c);
                self.threads[next].stage = Stage::Boundary;
                self.schedule(next, self.now);
            }
            (next, _) => {
                if self.threads[t].holds_gil {
                    // The loop thread blocks in epoll: Py_BEGIN_ALLOW_THREADS.
                    self.drop_gil(t, true);
                }
                self.leave_core(t, Os::Blocked);
                if let Some(next) = next {
                    self.make_ready(next);
                }
            }
        }
    }

    /// The loop thread's GIL goes with the token: same thread state, so no switch happens.
    fn transfer_gil(&mut self, from: Tid, to: Tid) {
        let gil = &mut self.gils[0];
        if gil.holder != Some(from) {
            return;
        }
        gil.holder = Some(to);
        gil.last_holder = Some(to);
        let drop_request = std::mem::take(&mut self.threads[from].drop_request);
        let requester = self.threads[from].drop_requester;
        self.threads[from].holds_gil = false;
        let next = &mut self.threads[to];
        next.holds_gil = true;
        next.drop_request = drop_request;
        next.drop_requester = requester;
        self.gil_lane(Some(to));
    }

    /// `await loop.run_in_executor(None, work)`: an idle executor thread takes the job, else it
    /// waits in the executor's queue.
    pub(super) fn submit_job(&mut self, task: Tid, bytecodes: u64) {
        let idle = self
            .threads
            .ids()
            .find(|&p| self.is_executor(p) && self.threads[p].stage == Stage::ExecutorIdle);
        match idle {
            Some(p) => self.start_job(p, bytecodes, task),
            None => self.event_loop.jobs.push_back((bytecodes, task)),
        }
    }

    fn start_job(&mut self, p: Tid, bytecodes: u64, task: Tid) {
        let th = &mut self.threads[p];
        th.job = Some((bytecodes, task));
        th.stage = Stage::take_gil(Resume::Boundary);
        self.wake(p, Some(ThreadState::Waking));
    }

    /// An executor thread at a check point: its job's loop, or the queue again.
    pub(super) fn executor_boundary(&mut self, p: Tid) -> bool {
        if let Some(keep_running) = self.gil_at_check_point(p) {
            return keep_running;
        }
        let th = &self.threads[p];
        match th.job {
            Some((bytecodes, _)) if th.work.is_none() => {
                let shape = LoopShape::compute(8, self.model);
                self.begin_work(p, bytecodes, shape, None, None);
                false
            }
            _ => {
                self.executor_idle(p);
                false
            }
        }
    }

    /// The job's loop finished: the awaiting task is ready; take the next job or go idle.
    pub(super) fn job_done(&mut self, p: Tid) {
        let th = &mut self.threads[p];
        th.work = None;
        if let Some((_, task)) = th.job.take() {
            self.threads[task].op += 1;
            self.make_ready(task);
        }
        match self.event_loop.jobs.pop_front() {
            Some((bytecodes, task)) => {
                self.threads[p].job = Some((bytecodes, task));
                self.threads[p].stage = Stage::Boundary;
            }
            None => self.executor_idle(p),
        }
    }

    /// Waits on the executor's work queue, GIL released.
    pub(super) fn executor_idle(&mut self, p: Tid) {
        if self.allow_threads(p) {
            return;
        }
        self.threads[p].stage = Stage::ExecutorIdle;
        self.block(p, ThreadState::Lock, NONE);
        self.cancel_timer(p);
    }
}
