//! The old GIL of `CPython` 3.1 and earlier (`gil-model.md` rule 15): a plain lock with no drop
//! request and no hand-off wait. While another thread waits on it, the holder releases and at
//! once re-acquires it every `check_interval` ticks.
//!
//! What that costs comes from the lock itself: in 2.7 a POSIX semaphore (`Python/thread_pthread.h`,
//! `USE_SEMAPHORES`), glibc's `sem_post` and `sem_wait`. A thread whose `sem_wait` finds the lock
//! taken registers as a waiter (the semaphore's `nwaiters`) and sleeps on the futex; it stays
//! registered until it has the lock, through every futile wake-up. `sem_post` makes a system
//! call (`futex_wake`) whenever a waiter is registered, asleep or not:
//! - with a waiter asleep it wakes it, which costs the holder a futex wake
//!   ([`crate::model::RunConfig::futex_wake`]); the waiter runs one wake-up latency after the
//!   post began (measured here with the semaphore itself, `old_gil_sem.c`: 5.3–5.5 µs, against
//!   the poster's 2.1–2.3 µs), so it never beats the releaser back;
//! - with the woken waiter still on its way (not asleep yet), the call finds nobody to wake and
//!   costs a system call that does not block ([`crate::model::RunConfig::syscall`]; measured
//!   here 0.24–0.34 µs).
//!
//! Either way the holder shows [`ThreadState::Signalling`] with the lock free meanwhile (glibc's
//! `sem_post` adds the token before its `futex_wake`; the releaser's `sem_wait` takes it back
//! after the call returns): a woken waiter that runs inside that window takes it (a switch). With
//! holds longer than a wake-up (check intervals of a few hundred ticks and more) only a wake-up
//! from the latency's tail, late enough to land in a later release, does (rule 24). One that
//! finds it taken again woke for nothing: its failed acquire pulled the lock's cache line to its
//! core and the holder's next access pulls it back (two `cache_line_transfer`s stalled from the
//! holder); it sleeps again, still registered. On a busy core the woken waiter may preempt the
//! releaser right at the signal's return and find the lock free (rule 25).

use super::SimEngine;
use super::thread::{Os, Resume, Stage, Tid, id_or_none};
use crate::engine::SimError;
use crate::engine::work::{LoopShape, Work};
use crate::model::Model;
use crate::time::Nanos;
use crate::trace::{LaneId, MarkerKind, NONE, ThreadState};

impl SimEngine {
    /// Old GIL `take`: `sem_wait` on the lock. Returns whether it was taken; if not, the thread
    /// now sleeps on the lock (no timeout, no drop request), registered as a waiter, and goes on
    /// as `then` says once it has it. `woken` marks a registered waiter woken from the lock: if
    /// it loses again, that was a futile wake-up, which on another core stalls the holder.
    pub(super) fn take_old_gil(&mut self, t: Tid, woken: bool, then: Resume) -> bool {
        let i = self.threads[t].interp;
        if !self.gils[i].locked {
            if woken {
                self.gils[i].awake_waiters = self.gils[i].awake_waiters.saturating_sub(1);
            }
            self.acquire(t);
            return true;
        }
        let holder = self.gils[i].holder;
        if woken {
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
            self.futex_wait(t, then);
            return false;
        }
        self.sleep_on_lock(t, then);
        // The holder now has a waiter registered on the lock: its tick checks begin.
        if let Some(h) = holder {
            self.replan_if_running(h);
        }
        false
    }

    /// A woken waiter that found the lock taken calls `futex_wait` again, on its core, still
    /// registered (so the holder's releases meanwhile wake nobody): it sleeps once the call is
    /// through, unless a release meanwhile makes it return at once.
    fn futex_wait(&mut self, t: Tid, then: Resume) {
        let i = self.threads[t].interp;
        let holder = id_or_none(self.gils[i].holder);
        self.threads[t].stage = Stage::OldResleep {
            posts: self.gils[i].posts,
            then,
        };
        self.show(t, ThreadState::WaitingGil, holder);
        if let Some(c) = self.threads[t].os.core() {
            // Its core is busy with the call.
            self.trace.set(
                LaneId::Core(c),
                self.now,
                Some((ThreadState::WaitingGil, t.id())),
            );
        }
        self.schedule(t, self.now + self.config.syscall);
    }

    /// The `futex_wait` of a woken waiter is through (see [`Self::futex_wait`]). With no release
    /// meanwhile it sleeps on the lock; after one (`EAGAIN`), `sem_wait` looks again: it takes
    /// the lock if it is free, or calls `futex_wait` again. Returns whether it took the lock
    /// (and goes on as `then` says).
    pub(super) fn futex_wait_returned(&mut self, t: Tid, posts: u64, then: Resume) -> bool {
        let i = self.threads[t].interp;
        if self.gils[i].posts == posts {
            self.gils[i].awake_waiters = self.gils[i].awake_waiters.saturating_sub(1);
            self.sleep_on_lock(t, then);
            return false;
        }
        if !self.gils[i].locked {
            self.gils[i].awake_waiters = self.gils[i].awake_waiters.saturating_sub(1);
            self.acquire(t);
            self.threads[t].stage = then.stage();
            return true;
        }
        self.futex_wait(t, then);
        false
    }

    /// The thread sleeps on the lock's futex, registered as a waiter, until a release wakes it.
    fn sleep_on_lock(&mut self, t: Tid, then: Resume) {
        let i = self.threads[t].interp;
        let holder = self.gils[i].holder;
        self.gils[i].cond.push((t, self.now));
        self.block(t, ThreadState::WaitingGil, id_or_none(holder));
        self.cancel_timer(t);
        self.threads[t].stage = Stage::CondWait { saved: 0, then };
    }

    /// Whether a thread is registered as a waiter on interpreter `i`'s old GIL: asleep on it,
    /// or woken and not yet back (glibc's `nwaiters` above zero).
    fn has_registered_waiter(&self, i: usize) -> bool {
        !self.gils[i].cond.is_empty() || self.gils[i].awake_waiters > 0
    }

    /// Work target (ps) of the holder's next tick check: every `check_interval` ticks while a
    /// thread is registered as a waiter on the lock (without one, releasing and re-acquiring is
    /// two atomic operations and changes nothing). A `compute` loop ticks twice per iteration,
    /// as 2.7's countdown loop does (its `INPLACE_SUBTRACT` and `JUMP_ABSOLUTE`; loads, stores
    /// and predicted jumps skip the ticker, `Python/ceval.c`).
    pub(super) fn next_tick_check(&self, t: Tid, work: &Work, done_ps: u64) -> Option<u64> {
        let th = &self.threads[t];
        if self.model != Model::OldGil || !th.holds_gil || !self.has_registered_waiter(th.interp) {
            return None;
        }
        let position = Work::position(done_ps, self.per_bytecode);
        let tick = LoopShape::next_tick(position, work.tick_offset, work.tick_every);
        (tick < work.total).then_some(tick * self.ps)
    }

    /// After a tick check at position `at`, where the next one falls.
    fn redraw_tick_point(&mut self, t: Tid, at: u64) {
        let Some((shape, every)) = self.threads[t].work.map(|w| (w.shape, w.tick_every)) else {
            return;
        };
        let offset = self.draw_tick_point(&shape, at + every);
        if let Some(work) = self.threads[t].work.as_mut() {
            work.tick_offset = offset;
        }
    }

    /// The holder's bytecode loop reached the tick check at work `target` (ps): `sem_post`, a
    /// futex wake system call (the lock free meanwhile) that wakes the waiter asleep on the
    /// lock, or finds nobody asleep while the woken one is on its way; then it re-acquires.
    /// With nobody registered any more, it just goes on.
    pub(super) fn tick_check(&mut self, t: Tid, target: u64) {
        if !self.has_registered_waiter(self.threads[t].interp) {
            self.settle(t, Some(()));
            self.schedule_work(t);
            return;
        }
        self.settle_upto(t, None, target);
        self.redraw_tick_point(t, self.per_bytecode.quotient(target));
        let (i, woken) = self.unlock_and_signal(t);
        self.gils[i].post_woke = woken;
        let cost = if woken.is_some() {
            self.config.futex_wake
        } else {
            self.config.syscall
        };
        self.threads[t].stage = Stage::OldRelease;
        self.show(t, ThreadState::Signalling, woken.map_or(NONE, Tid::id));
        self.schedule(t, self.now + cost);
    }

    /// Signalling done: the releaser runs `sem_wait` again (and waits, registered, if a woken
    /// waiter took the lock meanwhile).
    pub(super) fn old_release_done(&mut self, t: Tid) -> Result<(), SimError> {
        self.threads[t].stage = Stage::take_gil(Resume::Bytecode);
        let i = self.threads[t].interp;
        // With no core free, the waiter this release woke runs at the system call's return, on
        // the releaser's core, and finds the lock free (2.7.18 pinned to one core, `perf trace`:
        // every futex wake is followed by the woken thread taking the lock; no release ever
        // finds a woken waiter still on its way).
        if let Some(w) = self.gils[i].post_woke.take()
            && self.threads[w].os == Os::Waking
            && self.cores.iter().all(|c| c.occupant.is_some())
        {
            self.preempt(t, w)?;
            return Ok(());
        }
        // On a busy machine the woken waiter may preempt the releaser right at the signal's
        // return, before it re-acquires (rule 25): then the waiter finds the GIL free.
        if self.preempted_at_syscall_return(t)? {
            return Ok(());
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
