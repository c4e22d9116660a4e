//! asyncio (gil-model.md rule 22): every scenario thread is a task on one event-loop thread.
//!
//! The loop is a token: the task holding it runs on the loop thread (its core, its GIL). An
//! `await` (I/O, sleep, a contended `asyncio.Lock`, an executor job) hands the token — and the
//! loop thread's core and GIL, without any release — to the next ready task, or, with none
//! ready, the loop thread blocks in `epoll` and releases the GIL. A task whose await completes
//! is ready; how long it then waits to run is the loop's lag. `offload` (`run_in_executor`)
//! runs Python on executor threads that contend for the GIL with the loop thread: the convoy
//! effect comes back, with the loop as its victim.

use super::{Os, Resume, SimEngine, Stage};
use crate::scenario::Op;
use crate::time::{MS, Nanos, format_nanos};
use crate::trace::MarkerKind;
use crate::trace::{NONE, ThreadState};
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
    token: Option<u32>,
    /// Tasks ready to run, in the order they became ready (asyncio's ready queue is FIFO).
    ready: VecDeque<u32>,
    /// When the current step began.
    step_start: Nanos,
    /// Executor jobs not yet picked up: (bytecodes, task awaiting it).
    jobs: VecDeque<(u64, u32)>,
}

impl SimEngine {
    pub(super) fn is_task(&self, t: u32) -> bool {
        self.threads[t as usize].role == Role::Task
    }

    pub(super) fn is_executor(&self, t: u32) -> bool {
        self.threads[t as usize].role == Role::Executor
    }

    /// A task whose await completed (or that was just created) wants to run.
    pub(super) fn make_ready(&mut self, t: u32) {
        if self.event_loop.token.is_none() {
            // The loop thread was idle in epoll: it wakes, takes the GIL, runs this task.
            self.event_loop.token = Some(t);
            self.event_loop.step_start = self.now;
            self.threads[t as usize].stage = Stage::TakeGil {
                woke: None,
                then: Resume::Boundary,
            };
            self.wake(t);
        } else {
            self.threads[t as usize].stage = Stage::Ready;
            self.threads[t as usize].os = Os::Blocked;
            self.event_loop.ready.push_back(t);
            let running = self.event_loop.token.unwrap_or(NONE);
            self.show(t, ThreadState::Ready, running);
        }
    }

    /// A task's op that is an `await` which suspends it; `None` when the op is not one.
    pub(super) fn start_task_await(&mut self, t: u32, op: &Op) -> Option<bool> {
        match *op {
            Op::Io(d) | Op::Sleep(d) => {
                // `await`: the task suspends; the loop runs another task.
                self.threads[t as usize].stage = Stage::Blocking;
                self.show(t, ThreadState::Io, NONE);
                self.release_loop(t);
                self.schedule(t, self.now + d);
                Some(false)
            }
            Op::Offload(bytecodes) => {
                self.threads[t as usize].stage = Stage::Blocking;
                self.show(t, ThreadState::Io, NONE);
                self.cancel_timer(t);
                self.release_loop(t);
                self.submit_job(t, bytecodes);
                Some(false)
            }
            Op::Lock(lock) if self.locks[lock].holder.is_some() => {
                self.trace
                    .mark(self.now, MarkerKind::LockBlocked, t, lock as u32);
                self.threads[t as usize].stage = Stage::LockWait(lock);
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
    pub(super) fn release_loop(&mut self, t: u32) {
        if self.event_loop.token != Some(t) {
            return;
        }
        let step = self.now - self.event_loop.step_start;
        if step > SLOW_CALLBACK {
            let name = self.trace.thread_name(t).to_owned();
            self.trace.warnings.push((
                self.now,
                format!("Executing <Task pending name='{name}'> took {:.3} seconds (asyncio debug mode: a step longer than 0.1 s blocks every task; it took {})", step as f64 / 1e9, format_nanos(step)),
            ));
        }
        self.event_loop.token = None;
        let core = match self.threads[t as usize].os {
            Os::OnCore(c) | Os::Dispatched(c) => Some(c),
            _ => None,
        };
        match (self.event_loop.ready.pop_front(), core) {
            (Some(next), Some(c)) => {
                self.event_loop.token = Some(next);
                self.event_loop.step_start = self.now;
                self.transfer_gil(t, next);
                // Same OS thread, same core: no wake-up, no scheduler.
                self.threads[t as usize].os = Os::Blocked;
                self.cores[c as usize].occupant = Some(next);
                self.threads[next as usize].last_core = Some(c);
                self.threads[next as usize].os = Os::Dispatched(c);
                self.threads[next as usize].stage = Stage::Boundary;
                self.schedule(next, self.now);
            }
            (next, _) => {
                if self.threads[t as usize].holds_gil {
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
    fn transfer_gil(&mut self, from: u32, to: u32) {
        let gil = &mut self.gils[0];
        if gil.holder != Some(from) {
            return;
        }
        gil.holder = Some(to);
        gil.last_holder = Some(to);
        let drop_request = std::mem::take(&mut self.threads[from as usize].drop_request);
        let requester = self.threads[from as usize].drop_requester;
        self.threads[from as usize].holds_gil = false;
        let next = &mut self.threads[to as usize];
        next.holds_gil = true;
        next.drop_request = drop_request;
        next.drop_requester = requester;
        self.gil_lane(Some(to));
    }

    /// `await loop.run_in_executor(None, work)`: an idle executor thread takes the job, else it
    /// waits in the executor's queue.
    pub(super) fn submit_job(&mut self, task: u32, bytecodes: u64) {
        let idle = (0..self.threads.len() as u32).find(|&p| {
            self.is_executor(p) && self.threads[p as usize].stage == Stage::ExecutorIdle
        });
        match idle {
            Some(p) => self.start_job(p, bytecodes, task),
            None => self.event_loop.jobs.push_back((bytecodes, task)),
        }
    }

    fn start_job(&mut self, p: u32, bytecodes: u64, task: u32) {
        let th = &mut self.threads[p as usize];
        th.job = Some((bytecodes, task));
        th.stage = Stage::TakeGil {
            woke: None,
            then: Resume::Boundary,
        };
        self.wake(p);
    }

    /// An executor thread at a check point: its job's loop, or the queue again.
    pub(super) fn executor_boundary(&mut self, p: u32) -> bool {
        let th = &self.threads[p as usize];
        if th.holds_gil && th.drop_request {
            self.yield_gil(p, Resume::Boundary);
            return matches!(self.threads[p as usize].stage, Stage::TakeGil { .. });
        }
        if self.gil_on && !th.holds_gil {
            self.threads[p as usize].stage = Stage::TakeGil {
                woke: None,
                then: Resume::Boundary,
            };
            return true;
        }
        match th.job {
            Some((bytecodes, _)) if th.work.is_none() => {
                let shape = super::LoopShape::compute(8, self.model);
                self.begin_work(p, bytecodes, shape, None, false);
                false
            }
            _ => {
                self.executor_idle(p);
                false
            }
        }
    }

    /// The job's loop finished: the awaiting task is ready; take the next job or go idle.
    pub(super) fn job_done(&mut self, p: u32) {
        let th = &mut self.threads[p as usize];
        th.work = None;
        if let Some((_, task)) = th.job.take() {
            self.threads[task as usize].op += 1;
            self.make_ready(task);
        }
        match self.event_loop.jobs.pop_front() {
            Some((bytecodes, task)) => {
                self.threads[p as usize].job = Some((bytecodes, task));
                self.threads[p as usize].stage = Stage::Boundary;
            }
            None => self.executor_idle(p),
        }
    }

    /// Waits on the executor's work queue, GIL released.
    pub(super) fn executor_idle(&mut self, p: u32) {
        if self.threads[p as usize].holds_gil && self.drop_gil(p, false) {
            self.threads[p as usize].stage = Stage::SwitchWait {
                after: super::AfterSwitch::Block,
            };
            self.leave_core(p, Os::Blocked);
            return;
        }
        self.threads[p as usize].stage = Stage::ExecutorIdle;
        self.show(p, ThreadState::Lock, NONE);
        self.leave_core(p, Os::Blocked);
        self.cancel_timer(p);
    }
}
