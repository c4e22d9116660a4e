//! A thread's program, op by op: what its timer means in each stage, the instantaneous steps
//! it takes on a core until it blocks or starts timed work, the check point before every op
//! (`gil-model.md` rule 9), starting each kind of op, the GIL-free part of blocking calls
//! (rule 13: I/O, sleep, C calls that release the GIL, lock waits), C calls that keep the GIL
//! (rule 12), and the thread's end.

use super::thread::{Os, Overhead, PipeMessage, Resume, Stage, Tid};
use super::{STALL_LIMIT, SimEngine};
use crate::engine::SimError;
use crate::engine::increment::PythonLoop;
use crate::engine::object_loop::ObjectLoop;
use crate::engine::pipe::pickle_cost;
use crate::engine::runtime;
use crate::engine::work::LoopShape;
use crate::model::PythonVersion;
use crate::scenario::{Op, Repeat};
use crate::time::{Nanos, format_nanos};
use crate::trace::{NONE, ThreadState};

impl SimEngine {
    /// Thread `t`'s timer fired: it got a core, or whatever it was waiting for in its stage
    /// happened.
    pub(super) fn on_timer(&mut self, t: Tid) -> Result<(), SimError> {
        let th = &self.threads[t];
        match th.os {
            Os::Waking => return self.want_core(t, true),
            Os::Dispatched(c) => {
                self.threads[t].os = Os::OnCore(c);
                return self.run(t);
            }
            _ => {}
        }
        match th.stage {
            Stage::NotStarted if self.is_task(t) => {
                self.record_start(t);
                self.make_ready(t);
                Ok(())
            }
            Stage::NotStarted if self.is_executor(t) => {
                self.record_start(t);
                self.executor_idle(t);
                Ok(())
            }
            Stage::NotStarted if self.is_pool_task(t) => {
                self.task_submitted(t);
                Ok(())
            }
            Stage::NotStarted => {
                self.record_start(t);
                self.start_program(t)
            }
            // A worker took the task.
            Stage::Queued => self.start_program(t),
            Stage::PipeCopy => self.buffer_copied(t),
            Stage::PipeWrite => {
                // The reader took the buffer: the OS wakes the writer for the next one.
                self.threads[t].stage = Stage::PipeCopy;
                self.wake(t, Some(ThreadState::Waking));
                Ok(())
            }
            Stage::Delivering => {
                self.finish_thread(t);
                Ok(())
            }
            Stage::Bytecode => self.on_work_timer(t),
            Stage::CHold => {
                let th = &mut self.threads[t];
                match th.overhead.take() {
                    Some(Overhead::Booting) => {}
                    Some(Overhead::Pickling {
                        write: Some(message),
                        ..
                    }) => {
                        // Pickled: written to the pipe with the GIL released.
                        th.pipe = Some(message);
                        return if self.release_for_call(t) {
                            self.run(t)
                        } else {
                            Ok(())
                        };
                    }
                    Some(Overhead::Pickling { next_op, .. }) => {
                        if next_op {
                            th.op += 1;
                        }
                    }
                    None => th.op += 1,
                }
                self.threads[t].stage = Stage::Boundary;
                self.run(t)
            }
            // The call is over, on the same core: take the GIL back (rule 14b).
            Stage::CFree | Stage::Syscall => {
                self.threads[t].advance_op(Stage::take_gil(Resume::Boundary));
                self.run(t)
            }
            Stage::Blocking if self.is_task(t) => {
                // The awaited I/O or sleep completed: the task is ready.
                self.threads[t].op += 1;
                self.make_ready(t);
                Ok(())
            }
            Stage::Blocking => {
                // The OS wakes the thread (rule 24); then it takes the GIL.
                self.threads[t].advance_op(Stage::take_gil(Resume::Boundary));
                self.wake(t, Some(ThreadState::Waking));
                Ok(())
            }
            Stage::OldRelease => self.old_release_done(t),
            Stage::OldResleep { .. } => self.run(t),
            Stage::Collecting => self.collection_done(t),
            Stage::CondWait { saved, then } => {
                self.cond_wait_expired(t, saved, then);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The thread begins its program: it takes the GIL (or, without one, a core).
    fn start_program(&mut self, t: Tid) -> Result<(), SimError> {
        self.threads[t].stage = Stage::take_gil(Resume::Boundary);
        if self.gil_on {
            self.show(t, ThreadState::WaitingGil, self.holder_or_none(t));
        } else {
            // Without a GIL, taking it returns at once: the thread only needs a core.
            self.show(t, ThreadState::Runnable, NONE);
        }
        self.want_core(t, false)
    }

    /// Executes instantaneous steps on a core until the thread blocks or starts timed work.
    pub(super) fn run(&mut self, t: Tid) -> Result<(), SimError> {
        for _ in 0..STALL_LIMIT {
            let stage = self.threads[t].stage;
            match stage {
                Stage::TakeGil { woke, then } => {
                    if !self.take_gil(t, woke, then) {
                        return Ok(());
                    }
                    self.threads[t].stage = then.stage();
                }
                Stage::Boundary => {
                    if !self.at_boundary(t) {
                        return Ok(());
                    }
                }
                Stage::Block => {
                    if !self.start_blocking(t)? {
                        return Ok(());
                    }
                }
                Stage::Bytecode => {
                    self.start_segment(t);
                    return Ok(());
                }
                Stage::CHold
                | Stage::CFree
                | Stage::Syscall
                | Stage::PipeCopy
                | Stage::Collecting => {
                    self.run_on_core(t);
                    return Ok(());
                }
                Stage::StoppingWorld => {
                    if !self.world_is_stopped(t) {
                        return Ok(());
                    }
                }
                Stage::OldResleep { posts, then } => {
                    if !self.futex_wait_returned(t, posts, then) {
                        return Ok(());
                    }
                }
                Stage::NotStarted
                | Stage::CondWait { .. }
                | Stage::SwitchWait { .. }
                | Stage::Blocking
                | Stage::LockWait(_)
                | Stage::Ready
                | Stage::ExecutorIdle
                | Stage::Queued
                | Stage::PipeWrite
                | Stage::Delivering
                | Stage::Parked
                | Stage::Done => return Ok(()),
                // Preempted while signalling: back on a core, it re-acquires.
                Stage::OldRelease => {
                    self.threads[t].stage = Stage::take_gil(Resume::Bytecode);
                }
            }
        }
        Err(SimError::NoProgress {
            at: format_nanos(self.now),
            detail: format!(
                "thread {} repeats operations that take no time forever: give it some compute, or an operation with a duration",
                self.trace.thread_name(t.id())
            ),
        })
    }

    /// The check point before an op, then the op's start. Returns whether to keep running.
    fn at_boundary(&mut self, t: Tid) -> bool {
        if self.threads[t].stop_requested {
            // Another thread is stopping the world (rule 19): pause here.
            self.pause_for_world(t, Stage::Boundary);
            return false;
        }
        if self.is_executor(t) {
            return self.executor_boundary(t);
        }
        let group = self.threads[t].group;
        let (len, repeat) = (self.programs[group].0.len(), self.programs[group].1);
        let th = &mut self.threads[t];
        if th.startup > 0 && (th.holds_gil || !self.gil_on) {
            // A new process or interpreter boots first, on its own core with its own GIL.
            let startup = std::mem::take(&mut th.startup);
            th.enter_c_call(startup, Stage::CHold);
            th.overhead = Some(Overhead::Booting);
            return true;
        }
        if th.unpickle > 0 && (th.holds_gil || !self.gil_on) {
            // A pool's worker unpickles the task it read.
            let unpickle = std::mem::take(&mut th.unpickle);
            th.enter_c_call(unpickle, Stage::CHold);
            th.overhead = Some(Overhead::Pickling {
                write: None,
                next_op: false,
            });
            return true;
        }
        if self.threads[t].op >= len {
            let th = &mut self.threads[t];
            th.iteration += 1;
            th.op = 0;
            if repeat == Repeat::Times(th.iteration) {
                if self.result_due(t) {
                    // The worker pickles the chunk's results for the parent.
                    let message = Self::result_message();
                    let th = &mut self.threads[t];
                    th.enter_c_call(pickle_cost(message.bytes), Stage::CHold);
                    th.overhead = Some(Overhead::Pickling {
                        write: Some(message),
                        next_op: false,
                    });
                    return true;
                }
                self.finish_thread(t);
                return false;
            }
        }
        if let Some(keep_running) = self.gil_at_check_point(t) {
            return keep_running;
        }
        self.start_op(t)
    }

    /// The op thread `t` is at.
    fn current_op(&self, t: Tid) -> Op {
        let th = &self.threads[t];
        self.programs[th.group].0[th.op].clone()
    }

    /// Starts the current op (the GIL held where one is on). Returns whether to keep running.
    fn start_op(&mut self, t: Tid) -> bool {
        let op = self.current_op(t);
        if self.is_task(t)
            && let Some(keep_running) = self.start_task_await(t, &op)
        {
            return keep_running;
        }
        match op {
            Op::Compute {
                bytecodes,
                loop_body,
            } => {
                self.begin_work(
                    t,
                    bytecodes,
                    LoopShape::compute(loop_body, self.model),
                    None,
                    None,
                );
                false
            }
            Op::Read { .. } | Op::Mutate { .. } => {
                if let Some(iterations) = ObjectLoop::of(&op, self.config.python) {
                    let shape = iterations.shape(self.model);
                    let shared = Some(iterations.shared);
                    self.begin_work(t, iterations.bytecodes(), shape, None, shared);
                }
                false
            }
            Op::Collect(duration) => self.collect(t, duration),
            Op::Increment {
                counter,
                times,
                call_inside,
                ..
            } => {
                let shape = LoopShape::program(
                    PythonLoop::increment(self.config.python, call_inside),
                    self.model,
                );
                self.begin_work(t, times * u64::from(shape.body), shape, Some(counter), None);
                false
            }
            Op::CCall {
                duration,
                releases_gil: false,
            } => {
                self.threads[t].enter_c_call(duration, Stage::CHold);
                true
            }
            Op::CCall {
                releases_gil: true, ..
            }
            | Op::Io { .. }
            | Op::Sleep(_) => self.release_for_call(t),
            Op::Lock(lock) => self.acquire_lock(t, lock),
            Op::Unlock(lock) => {
                self.release_lock(t, lock);
                self.threads[t].op += 1;
                true
            }
            Op::Import {
                module,
                supports_free_threading,
                duration,
            } => self.import_module(t, module, supports_free_threading, duration),
            // Between interpreters a message is pickled, and between processes then written to
            // the parent's pipe (between threads it was expanded into a `queue.put`).
            Op::Send(bytes) if runtime::one_interpreter_per_thread(&self.config) => {
                let write = self.config.runtime.uses_processes().then_some(PipeMessage {
                    bytes,
                    result: false,
                });
                let th = &mut self.threads[t];
                th.enter_c_call(pickle_cost(bytes), Stage::CHold);
                th.overhead = Some(Overhead::Pickling {
                    write,
                    next_op: write.is_none(),
                });
                true
            }
            // `offload` runs inline except under asyncio.
            Op::Send(_) | Op::Offload(_) => {
                self.threads[t].op += 1;
                true
            }
        }
    }

    /// `Py_BEGIN_ALLOW_THREADS` before a blocking call. Returns whether to keep running.
    pub(super) fn release_for_call(&mut self, t: Tid) -> bool {
        if self.allow_threads(t) {
            return false;
        }
        self.threads[t].stage = Stage::Block;
        true
    }

    /// The GIL-free part of an op. Returns whether to keep running.
    fn start_blocking(&mut self, t: Tid) -> Result<bool, SimError> {
        if let Some(message) = self.threads[t].pipe.take() {
            self.start_pipe_write(t, message);
            return self.call_on_core(t);
        }
        if self.is_executor(t) {
            self.executor_idle(t);
            return Ok(false);
        }
        let on_core = match self.current_op(t) {
            Op::Io { duration, blocks } => {
                let blocks = blocks.unwrap_or(duration > self.config.wake_latency);
                if blocks {
                    self.sleep_in_kernel(t, duration);
                    return Ok(false);
                }
                (duration, Stage::Syscall)
            }
            // sleep(0) up to 3.10 is select() with a zero timeout: it returns at once. Any
            // other sleep blocks until its time plus the timer slack (rule 25).
            Op::Sleep(0) if self.config.python < PythonVersion::new(3, 11) => {
                (self.config.syscall, Stage::Syscall)
            }
            Op::Sleep(d) => {
                self.sleep_in_kernel(t, d + self.config.timer_slack);
                return Ok(false);
            }
            Op::CCall { duration, .. } => (duration, Stage::CFree),
            Op::Lock(lock) => return self.wait_for_lock(t, lock),
            _ => return Ok(true),
        };
        let (duration, stage) = on_core;
        let th = &mut self.threads[t];
        if stage == Stage::Syscall {
            th.next_io_call();
        }
        th.enter_c_call(duration, stage);
        self.call_on_core(t)
    }

    /// A call with the GIL released that runs on a core begins. Returns whether to keep
    /// running.
    fn call_on_core(&mut self, t: Tid) -> Result<bool, SimError> {
        if self.threads[t].os.is_on_core() {
            // Releasing signalled a waiter: it may preempt this thread at once (rule 25).
            Ok(!self.preempted_at_syscall_return(t)?)
        } else {
            // Woken from switch_cond: it needs a core for the call.
            self.want_core(t, false)?;
            Ok(false)
        }
    }

    /// The thread sleeps in the kernel for `duration` (a blocking call, a sleep), GIL
    /// released; then the OS wakes it.
    fn sleep_in_kernel(&mut self, t: Tid, duration: Nanos) {
        self.threads[t].stage = Stage::Blocking;
        let call = self.threads[t].next_io_call();
        self.block(t, ThreadState::Io, call);
        self.schedule(t, self.now + duration);
    }

    /// A stretch of work on a core that is not bytecode (C code, a system call, an
    /// interpreter booting), until its time is used up.
    fn run_on_core(&mut self, t: Tid) {
        let th = &self.threads[t];
        let (shown, other) = match th.stage {
            _ if th.overhead == Some(Overhead::Booting) => (ThreadState::Starting, NONE),
            _ if th.overhead.is_some() => (ThreadState::Pickling, NONE),
            // Without a GIL a "holding" call holds nothing: it runs alongside the others.
            Stage::CHold if self.gil_on => (ThreadState::CCallHolding, NONE),
            Stage::Collecting => (ThreadState::Collecting, NONE),
            Stage::Syscall => (ThreadState::Syscall, th.io_calls % 2),
            Stage::PipeCopy => (ThreadState::Io, th.writing.map_or(NONE, |w| w.other)),
            _ => (ThreadState::CCallReleased, NONE),
        };
        self.threads[t].stretch_start = self.now;
        self.show(t, shown, other);
        let remaining = self.threads[t].remaining;
        self.schedule(t, self.now + remaining);
    }

    /// The thread's program is over: it releases the GIL for good and leaves its core.
    fn finish_thread(&mut self, t: Tid) {
        if self.is_task(t) {
            self.release_loop(t);
        }
        if self.threads[t].holds_gil {
            // Thread exit releases the GIL for good: no wait on switch_cond.
            self.drop_gil(t, true);
        }
        self.cancel_timer(t);
        let th = &mut self.threads[t];
        th.stage = Stage::Done;
        let finite = th.finite;
        self.record_finish(t);
        self.show(t, ThreadState::Done, NONE);
        self.leave_core(t, Os::Off);
        self.task_done(t);
        if finite {
            self.finite_left -= 1;
            if self.finite_left == 0 {
                self.end_run();
            }
        }
    }
}
