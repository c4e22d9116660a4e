//! One Python-like thread of a live run: it executes its scenario program for real on an OS
//! thread, taking and releasing the real GIL like `CPython`'s eval loop, and records every state
//! change.

use super::gil::{DROP_REQUEST, FLUSH, STOP, Stopped};
use super::interp::{Exit, Frame, Instr, countdown, increment};
use super::locks::LockError;
use super::record::{MAX_LOCAL, Recorder};
use super::shared::Shared;
use crate::engine::SimError;
use crate::model::Model;
use crate::scenario::{Op, Repeat};
use crate::time::Nanos;
use crate::trace::{MarkerKind, NONE, ThreadState};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Why a thread left its program early.
#[derive(Debug)]
pub enum Halt {
    /// The run is stopping.
    Stopped,
    /// The thread hit an error that ends the run.
    Failed(SimError),
}

impl From<Stopped> for Halt {
    fn from(_: Stopped) -> Self {
        Halt::Stopped
    }
}

/// A thread's program and where it runs.
#[derive(Debug)]
pub struct Worker<'s> {
    thread: u32,
    shared: &'s Shared,
    rec: Recorder,
    ops: &'s [Op],
    /// Interpreter code of each op (empty for ops that run no bytecode).
    code: Vec<Vec<Instr>>,
    repeat: Repeat,
    holds_gil: bool,
}

impl<'s> Worker<'s> {
    /// Thread `rec.thread()` of the run, to execute `ops` `repeat` times.
    pub fn new(shared: &'s Shared, rec: Recorder, ops: &'s [Op], repeat: Repeat) -> Self {
        let code = ops
            .iter()
            .map(|op| match *op {
                Op::Compute { loop_body, .. } => countdown(loop_body),
                Op::Increment {
                    counter,
                    call_inside,
                    ..
                } => increment(counter as u32, call_inside),
                _ => Vec::new(),
            })
            .collect();
        Self {
            thread: rec.thread(),
            shared,
            rec,
            ops,
            code,
            repeat,
            holds_gil: false,
        }
    }

    /// Runs the program to its end (or until the run stops or fails).
    pub fn run(mut self) -> Result<(), Halt> {
        self.rec.unpark();
        self.rec.started();
        self.take()?;
        let mut done: u64 = 0;
        loop {
            for index in 0..self.ops.len() {
                self.boundary()?;
                self.op(index)?;
            }
            done += 1;
            if self.repeat == Repeat::Times(done) {
                break;
            }
        }
        self.finish();
        Ok(())
    }

    fn breaker_bits(&self) -> u32 {
        self.shared.gil.breaker(self.thread).load(Ordering::Relaxed)
    }

    /// `take_gil`, then the thread runs bytecode (the GIL records it as running).
    fn take(&mut self) -> Result<(), Halt> {
        self.shared.gil.take(self.thread, &mut self.rec)?;
        if self.shared.gil.enabled() {
            self.holds_gil = true;
        } else {
            self.rec.state(ThreadState::Running, NONE);
        }
        Ok(())
    }

    /// `drop_gil` (honouring a pending drop request) before a blocking call or a yield; the
    /// thread is then in `state` (with `other`), stamped with the release itself.
    fn release(&mut self, state: ThreadState, other: u32) -> Result<(), Halt> {
        self.holds_gil = false;
        self.rec.set_after_release(state, other);
        self.shared.gil.release(self.thread, false, &mut self.rec)?;
        self.rec.state(state, other);
        Ok(())
    }

    /// The check point between two operations (a call returning, a new statement).
    fn boundary(&mut self) -> Result<(), Halt> {
        assert!(
            self.shared.panic_thread != Some(self.thread),
            "panic injected into thread {} by LiveOptions::panic_thread",
            self.thread
        );
        if self.rec.pending() > MAX_LOCAL {
            let shared = self.shared;
            self.rec.flush_wait(|| shared.control.stopping());
        }
        let bits = self.breaker_bits();
        if bits != 0 { self.handle(bits) } else { Ok(()) }
    }

    /// Serves the stop and flush bits of the eval breaker.
    fn service(&mut self, bits: u32) -> Result<(), Halt> {
        if bits & STOP != 0 {
            return Err(Halt::Stopped);
        }
        if bits & FLUSH != 0 {
            self.shared
                .gil
                .breaker(self.thread)
                .fetch_and(!FLUSH, Ordering::Relaxed);
            self.rec.try_flush();
        }
        Ok(())
    }

    /// `_Py_HandlePending` at a check point: stop, flush, or yield the GIL on request.
    fn handle(&mut self, bits: u32) -> Result<(), Halt> {
        self.service(bits)?;
        if bits & DROP_REQUEST != 0 {
            if self.holds_gil {
                // Yield: drop (forced off until someone else takes it), then wait to take it back.
                self.holds_gil = false;
                self.rec.set_after_release(ThreadState::WaitingGil, NONE);
                self.shared.gil.release(self.thread, false, &mut self.rec)?;
                self.take()?;
            } else {
                self.shared
                    .gil
                    .breaker(self.thread)
                    .fetch_and(!DROP_REQUEST, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn op(&mut self, index: usize) -> Result<(), Halt> {
        match self.ops[index] {
            Op::Compute { bytecodes, .. } => {
                self.interpret(index, bytecodes + 1, bytecodes).1?;
            }
            Op::Increment { counter, times, .. } => {
                let body = self.code[index].len() as u64;
                let (stores, result) = self.interpret(index, times, times * body);
                self.shared.increments[counter].fetch_add(stores, Ordering::Relaxed);
                result?;
            }
            Op::Io { duration, .. } | Op::Sleep(duration) => {
                self.release(ThreadState::Io, NONE)?;
                self.block(duration)?;
                self.take()?;
            }
            Op::CCall {
                duration,
                releases_gil: false,
            } => {
                self.rec.state(ThreadState::CCallHolding, NONE);
                self.spin(duration)?;
                self.rec.state(ThreadState::Running, NONE);
            }
            Op::CCall {
                duration,
                releases_gil: true,
            } => {
                self.release(ThreadState::CCallReleased, NONE)?;
                self.spin(duration)?;
                self.take()?;
            }
            Op::Lock(lock) => {
                if !self.shared.locks.try_acquire(lock, &mut self.rec) {
                    self.rec
                        .mark(MarkerKind::LockBlocked, self.thread, lock as u32);
                    self.release(ThreadState::Lock, lock as u32)?;
                    match self.shared.locks.acquire(lock, &mut self.rec) {
                        Ok(()) => {}
                        Err(LockError::Stopped) => return Err(Halt::Stopped),
                        Err(LockError::Deadlock(error)) => return Err(Halt::Failed(error)),
                    }
                    self.take()?;
                }
            }
            Op::Unlock(lock) => self.shared.locks.release(lock, &mut self.rec),
            Op::Import { duration, .. } => {
                // Loading an extension module: C code holding the GIL. (Re-enabling the GIL in
                // a free-threaded run is refused before the run starts.)
                self.rec.state(ThreadState::CCallHolding, NONE);
                self.spin(duration)?;
                self.rec.state(ThreadState::Running, NONE);
            }
            // `runtime::expand` turned these into C calls and compute before the run started.
            // Shared objects and collections are refused before a live run starts.
            Op::Send(_) | Op::Offload(_) | Op::Read { .. } | Op::Mutate { .. } | Op::Collect(_) => {
            }
        }
        Ok(())
    }

    /// Runs op `index`'s code with loop counter `n` for `fuel` bytecodes, serving the eval
    /// breaker at check points. Returns the stores into shared counters, and how it ended.
    fn interpret(&mut self, index: usize, n: u64, fuel: u64) -> (u64, Result<(), Halt>) {
        let shared = self.shared;
        let code = std::mem::take(&mut self.code[index]);
        let mut frame = Frame::new(&code, n);
        let mut left = fuel;
        let every_bytecode = shared.model == Model::NewGil32;
        self.rec.state(ThreadState::Running, NONE);
        let result = loop {
            let before = left;
            let breaker = shared.gil.breaker(self.thread);
            let exit = if every_bytecode {
                frame.run::<true>(&mut left, breaker, shared.pad, &shared.counters)
            } else {
                frame.run::<false>(&mut left, breaker, shared.pad, &shared.counters)
            };
            self.rec.add_bytecodes(before - left);
            match exit {
                Exit::Done => break Ok(()),
                Exit::Check(bits) => {
                    if let Err(halt) = self.handle(bits) {
                        break Err(halt);
                    }
                }
            }
        };
        let stores = frame.stores();
        self.code[index] = code;
        (stores, result)
    }

    /// C code running for `duration`: no check point, so a drop request waits; the run's stop
    /// and the collector's flush requests are still served.
    fn spin(&mut self, duration: Nanos) -> Result<(), Halt> {
        let clock = self.rec.clock().clone();
        let start = clock.raw();
        loop {
            let bits = self.breaker_bits() & (STOP | FLUSH);
            if bits != 0 {
                self.service(bits)?;
            }
            if clock.nanos(clock.raw()).saturating_sub(clock.nanos(start)) >= duration {
                return Ok(());
            }
            std::hint::spin_loop();
        }
    }

    /// A blocking call: really blocks the OS thread for `duration` (parked for the collector).
    fn block(&mut self, duration: Nanos) -> Result<(), Halt> {
        let deadline = Instant::now() + Duration::from_nanos(duration);
        self.rec.park();
        let stopped = self.shared.control.sleep_until(deadline);
        self.rec.unpark();
        if stopped { Err(Halt::Stopped) } else { Ok(()) }
    }

    /// The program is done: the thread exits, releasing the GIL for good.
    fn finish(&mut self) {
        if self.holds_gil {
            self.holds_gil = false;
            self.rec.set_after_release(ThreadState::Done, NONE);
            // A final release never waits, so it cannot be stopped.
            let _ = self.shared.gil.release(self.thread, true, &mut self.rec);
        }
        let at = self.rec.finished();
        if self.repeat != Repeat::Forever
            && self.shared.finite_left.fetch_sub(1, Ordering::SeqCst) == 1
        {
            // The last finite thread ends the run (threads repeating forever are stopped).
            self.shared.stop(self.rec.clock().nanos(at));
        }
    }
}
