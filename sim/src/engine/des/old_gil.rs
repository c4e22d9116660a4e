//! The old GIL of `CPython` 3.1 and earlier (`gil-model.md` rule 15): a plain lock with no drop
//! request and no hand-off wait. The holder releases and at once re-acquires it every
//! `check_interval` ticks while another thread wants it; a woken waiter that finds it taken
//! again woke for nothing and, on another core, stalls the holder (the "GIL battle").

use super::SimEngine;
use super::thread::{Resume, Stage, Tid, id_or_none};
use crate::engine::SimError;
use crate::engine::work::Work;
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
                self.stall(h, self.config.old_gil_contention);
            }
        }
        self.gils[i].cond.push((t, self.now));
        self.block(t, ThreadState::WaitingGil, id_or_none(holder));
        self.cancel_timer(t);
        // The holder now has a waiter: its tick checks begin.
        if let Some(h) = holder {
            self.replan_if_running(h);
        }
        self.threads[t].stage = Stage::CondWait { saved: 0, then };
        false
    }

    /// Work target (ps) of the holder's next tick check: every `check_interval` ticks while
    /// another thread wants the GIL (an uncontended holder never releases it).
    pub(super) fn next_tick_check(&self, t: Tid, work: &Work, done_ps: u64) -> Option<u64> {
        let th = &self.threads[t];
        if self.model != Model::OldGil || !th.holds_gil || !self.contended(th.interp, t) {
            return None;
        }
        let ps = self.ps;
        let interval = self.config.check_interval;
        let tick = (Work::position(done_ps, ps) / interval + 1) * interval;
        (tick < work.total).then_some(tick * ps)
    }

    /// The holder's bytecode loop reached the tick check at work `target` (ps): it releases
    /// (signalling one blocked waiter, which costs it `old_gil_signal` while the lock is
    /// free), then re-acquires.
    pub(super) fn tick_check(&mut self, t: Tid, target: u64) {
        self.settle_upto(t, None, target);
        self.unlock_and_signal(t);
        let th = &mut self.threads[t];
        th.stage = Stage::OldRelease;
        // Signalling is C code running without the GIL; `other` = itself marks it as the GIL's
        // own overhead, not the program's work.
        self.show(t, ThreadState::CCallReleased, t.id());
        self.schedule(t, self.now + self.config.old_gil_signal);
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

    /// Whether a thread other than `holder` wants GIL `i` (blocked on it, or woken and about to
    /// try).
    fn contended(&self, i: usize, holder: Tid) -> bool {
        self.threads.iter().any(|(k, th)| {
            k != holder
                && th.interp == i
                && matches!(
                    th.stage,
                    Stage::TakeGil { .. } | Stage::CondWait { .. } | Stage::OldRelease
                )
        })
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
