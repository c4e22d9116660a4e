//! The old GIL of `CPython` 3.1 and earlier (`gil-model.md` rule 15): a plain lock with no drop
//! request and no hand-off wait. While another thread waits on it, the holder releases and at
//! once re-acquires it every `check_interval` ticks.
//!
//! What that costs comes from the lock itself (a POSIX semaphore in 2.7): a release is an atomic
//! increment, and a system call (a futex wake, `futex_wake`) only when a thread is blocked on the
//! lock; the holder spends that call signalling ([`ThreadState::Signalling`]) with the lock free,
//! and the waiter it wakes needs no mutex, so it can run (and take the lock) before the releaser
//! is back: the wake-up latency, measured through a condition variable, less the futex wake.
//! A woken waiter on another core that finds the lock taken again woke for nothing: its failed
//! acquire pulled the lock's cache line to its core and the holder's next access pulls it back
//! (two `cache_line_transfer`s stalled from the holder). On a busy core the woken waiter may
//! preempt the releaser right at the signal's return and find the lock free (rule 25).

use super::SimEngine;
use super::thread::{Resume, Stage, Tid, id_or_none};
use crate::engine::SimError;
use crate::engine::work::{LoopShape, Work};
use crate::model::Model;
use crate::time::Nanos;
use crate::trace::{MarkerKind, ThreadState};

impl SimEngine {
    /// Old GIL `take`: a plain lock. Returns whether it was taken; if not, the thread now waits
    /// on the lock (no timeout, no drop request) and goes on as `then` says once it has it.
    /// `retry` marks a woken waiter that lost again: a futile wake-up, which on another core
    /// stalls the holder.
    pub(super) fn take_old_gil(&mut self, t: Tid, retry: bool, then: Resume) -> bool {
        let i = self.threads[t].interp;
        if !self.gils[i].locked {
            self.acquire(t);
            return true;
        }
        let holder = self.gils[i].holder;
        if retry {
            self.trace.mark(
                self.now,
                MarkerKind::FutileWakeup,
                t.id(),
                id_or_none(holder),
            );
            if let Some(h) = holder
                && self.threads[h].os.is_on_core()
            {
                self.stall(h, 2 * self.config.cache_line_transfer);
            }
        }
        self.gils[i].cond.push((t, self.now));
        self.block(t, ThreadState::WaitingGil, id_or_none(holder));
        self.cancel_timer(t);
        // The holder now has a waiter blocked on the lock: its tick checks begin.
        if let Some(h) = holder {
            self.replan_if_running(h);
        }
        self.threads[t].stage = Stage::CondWait { saved: 0, then };
        false
    }

    /// Work target (ps) of the holder's next tick check: every `check_interval` ticks while a
    /// thread is blocked on the lock (without one, releasing and re-acquiring is two atomic
    /// operations and changes nothing). A `compute` loop ticks twice per iteration, as 2.7's
    /// countdown loop does (its `INPLACE_SUBTRACT` and `JUMP_ABSOLUTE`; loads, stores and
    /// predicted jumps skip the ticker, `Python/ceval.c`).
    pub(super) fn next_tick_check(&self, t: Tid, work: &Work, done_ps: u64) -> Option<u64> {
        let th = &self.threads[t];
        if self.model != Model::OldGil || !th.holds_gil || self.gils[th.interp].cond.is_empty() {
            return None;
        }
        let ps = self.ps;
        let every = work.shape.bytecodes_per_ticks(self.config.check_interval);
        let tick = LoopShape::next_tick(Work::position(done_ps, ps), work.tick_offset, every);
        (tick < work.total).then_some(tick * ps)
    }

    /// After a tick check at position `at`, where the next one falls.
    fn redraw_tick_point(&mut self, t: Tid, at: u64) {
        let Some(shape) = self.threads[t].work.map(|w| w.shape) else {
            return;
        };
        let every = shape.bytecodes_per_ticks(self.config.check_interval);
        let offset = self.draw_tick_point(&shape, at + every);
        if let Some(work) = self.threads[t].work.as_mut() {
            work.tick_offset = offset;
        }
    }

    /// The holder's bytecode loop reached the tick check at work `target` (ps): it releases,
    /// signalling the thread blocked on the lock (a futex wake, with the lock free meanwhile),
    /// then re-acquires. With nobody blocked any more, it just goes on.
    pub(super) fn tick_check(&mut self, t: Tid, target: u64) {
        if self.gils[self.threads[t].interp].cond.is_empty() {
            self.settle(t, Some(()));
            self.schedule_work(t);
            return;
        }
        self.settle_upto(t, None, target);
        self.redraw_tick_point(t, target / self.ps);
        // The waiter, woken inside this futex wake, needs no mutex: it can run before the
        // releaser is back from its system call.
        let (_, woken) = self.unlock_and_signal(t, self.config.futex_wake);
        self.threads[t].stage = Stage::OldRelease;
        self.show(t, ThreadState::Signalling, id_or_none(woken));
        self.schedule(t, self.now + self.config.futex_wake);
    }

    /// Signalling done: the releaser runs `take` again. A waiter that took the GIL while it
    /// was signalling is marked as a futile wake-up.
    pub(super) fn old_release_done(&mut self, t: Tid) -> Result<(), SimError> {
        self.threads[t].stage = Stage::take_gil(Resume::Bytecode);
        // On a busy machine the woken waiter may preempt the releaser right at the signal's
        // return, before it re-acquires (rule 25): then the waiter finds the GIL free.
        if self.preempted_at_syscall_return(t)? {
            return Ok(());
        }
        if self.gils[self.threads[t].interp].locked {
            // A waiter took the GIL while this thread was signalling.
            self.trace.mark(
                self.now,
                MarkerKind::FutileWakeup,
                t.id(),
                self.holder_or_none(t),
            );
        }
        self.run(t)
    }

    /// The holder makes no progress for `cost` (its current segment is pushed back).
    fn stall(&mut self, holder: Tid, cost: Nanos) {
        if self.threads[holder].stage != Stage::Bytecode {
            return;
        }
        self.settle(holder, Some(()));
        let now = self.now;
        if let Some(work) = self.threads[holder].work.as_mut() {
            work.segment = Some((now + cost, work.done_ps));
        }
        self.schedule_work(holder);
    }
}
