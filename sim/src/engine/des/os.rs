//! The operating system under the interpreter: cores, the run queue, time slices, wake-ups and
//! wake-up preemption. A blocked thread runs again only after an OS wake-up latency and once it
//! has a core (`gil-model.md` rules 7 and 23–24: the winner's wake-up latency and the wait for a
//! free core are part of the real slice). With every core busy, a thread that wakes preempts a
//! thread that has used much more CPU than it has, at once, instead of waiting for a time slice
//! to end (rule 25: CFS's sleeper credit, EEVDF's lag).

use super::SimEngine;
use super::thread::{Os, Stage, Tid};
use crate::engine::SimError;
use crate::time::Nanos;
use crate::trace::{LaneId, NONE, ThreadState};

/// One simulated core.
#[derive(Debug, Clone, Default)]
pub(super) struct Core {
    /// The thread running on it.
    pub(super) occupant: Option<Tid>,
    /// Since when that thread has had it (its time slice began).
    pub(super) since: Nanos,
}

impl SimEngine {
    /// Wakes a blocked thread: it can run after the OS wake-up latency (rule 24). Until then it
    /// shows `shown`: [`ThreadState::WaitingGil`] when a GIL signal woke it (the wake-up is part
    /// of the handoff), [`ThreadState::Waking`] when its call, sleep or wait is over (the OS,
    /// not the GIL), `None` to go on showing what it showed (a forced-off thread going on with
    /// its call).
    pub(super) fn wake(&mut self, t: Tid, shown: Option<ThreadState>) {
        self.threads[t].os = Os::Waking;
        match shown {
            Some(ThreadState::WaitingGil) => {
                let holder = self.holder_or_none(t);
                self.show(t, ThreadState::WaitingGil, holder);
            }
            Some(state) => self.show(t, state, NONE),
            None => {}
        }
        let latency = self.wake_latency();
        self.schedule(t, self.now + latency);
    }

    /// One OS wake-up latency, seeded, drawn from the measured body and tail of the settings'
    /// quantiles ([`crate::wake::WakeLatency`]). Real futex wake-ups jitter; without it,
    /// identical timed waits phase-lock and one waiter can lose every barging race forever,
    /// which no real machine does. The tail matters on the old GIL: a waiter woken late may
    /// come back while a later release has the lock free (`old_gil.rs`).
    fn wake_latency(&mut self) -> Nanos {
        let wake = self.config.wake_distribution();
        if wake.is_zero() {
            return 0;
        }
        wake.at(self.rng.below(crate::wake::RESOLUTION))
    }

    /// The thread wants a core: take a free one (its last one first), preempt a thread that has
    /// had more than its share when it has just `woken` (rule 25), or queue.
    pub(super) fn want_core(&mut self, t: Tid, woken: bool) -> Result<(), SimError> {
        let last = self.threads[t].last_core;
        let free = last
            .filter(|&c| self.core_is_free(c))
            .or_else(|| (0..self.cores.len() as u32).find(|&c| self.core_is_free(c)));
        if let Some(c) = free {
            self.assign(t, c);
            self.threads[t].os = Os::OnCore(c);
            self.run(t)
        } else if let Some(victim) = woken.then(|| self.wakeup_victim(t)).flatten() {
            self.preempt(victim, t)
        } else {
            self.threads[t].os = Os::Queued;
            self.enqueue(t);
            Ok(())
        }
    }

    /// CPU time `t` has used, its current stretch on a core included.
    fn cpu_used(&self, t: Tid) -> Nanos {
        let th = &self.threads[t];
        match th.os.assigned_core() {
            Some(_) => th.cpu + (self.now - th.core_since),
            None => th.cpu,
        }
    }

    /// Whom a thread that has just woken, with every core busy, preempts (rule 25): the
    /// occupant that has used the most CPU, if that is more than `wakeup_granularity` beyond the
    /// woken thread's own, which counts as no further behind the least-served runnable thread
    /// than one time slice (CFS's sleeper credit: a long sleep earns no unbounded priority).
    fn wakeup_victim(&self, t: Tid) -> Option<Tid> {
        let running = || {
            self.cores
                .iter()
                .filter_map(|c| c.occupant)
                .filter(|&o| self.threads[o].os.is_on_core())
        };
        let victim = running().max_by_key(|&o| (self.cpu_used(o), o))?;
        let least = running()
            .chain(self.run_queue.iter().copied())
            .map(|o| self.cpu_used(o))
            .min()?;
        let placed = self
            .cpu_used(t)
            .max(least.saturating_sub(self.config.time_slice));
        (self.cpu_used(victim) > placed + self.config.wakeup_granularity).then_some(victim)
    }

    /// `victim` leaves its core to `t`, which runs there from now; the victim waits, runnable,
    /// at the head of the run queue, its place in its program kept.
    pub(super) fn preempt(&mut self, victim: Tid, t: Tid) -> Result<(), SimError> {
        let Some(c) = self.threads[victim].os.core() else {
            self.enqueue(t);
            return Ok(());
        };
        self.pause_work(victim);
        self.cancel_timer(victim);
        let th = &mut self.threads[victim];
        th.cpu += self.now - th.core_since;
        th.os = Os::Queued;
        self.run_queue.push_front(victim);
        self.show(victim, ThreadState::Runnable, NONE);
        self.trace.set(LaneId::Core(c), self.now, None);
        self.cancel_timer(t);
        self.assign(t, c);
        self.threads[t].os = Os::OnCore(c);
        self.run(t)
    }

    /// A system call of `t` that woke another thread (a GIL signal) returns, with every core
    /// busy: the kernel switches to the woken thread there and then if it may preempt `t`
    /// (rule 25), rather than after its wake-up latency. Returns whether `t` was preempted (it
    /// then waits in the run queue, to go on where it was).
    pub(super) fn preempted_at_syscall_return(&mut self, t: Tid) -> Result<bool, SimError> {
        if self.cores.iter().any(|c| c.occupant.is_none()) {
            return Ok(false);
        }
        let woken = self
            .threads
            .iter()
            .filter(|(_, th)| th.os == Os::Waking)
            .map(|(w, _)| w)
            .find(|&w| self.wakeup_victim(w) == Some(t));
        match woken {
            Some(w) => {
                self.preempt(t, w)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Whether core `c` has no thread on it.
    pub(super) fn core_is_free(&self, c: u32) -> bool {
        self.cores[c as usize].occupant.is_none()
    }

    /// No core for the thread: it waits, runnable, at the back of the run queue, and the
    /// cores' time slices start counting.
    fn enqueue(&mut self, t: Tid) {
        self.run_queue.push_back(t);
        self.show(t, ThreadState::Runnable, NONE);
        self.arm_slices();
    }

    fn assign(&mut self, t: Tid, c: u32) {
        let core = &mut self.cores[c as usize];
        core.occupant = Some(t);
        core.since = self.now;
        self.threads[t].core_since = self.now;
        self.timers.cancel(Self::slice_slot(c));
        self.threads[t].last_core = Some(c);
        if !self.run_queue.is_empty() {
            self.arm_slices();
        }
    }

    /// Every occupied core's time slice ends `time_slice` after its occupant got it.
    fn arm_slices(&mut self) {
        for c in 0..self.cores.len() as u32 {
            let core = &self.cores[c as usize];
            if core.occupant.is_some() && !self.timers.is_armed(Self::slice_slot(c)) {
                let at = self.now.max(core.since + self.config.time_slice);
                self.timers.set(Self::slice_slot(c), at);
            }
        }
    }

    /// The thread stops using its core (it blocks or ends); the queue's head gets the core.
    pub(super) fn leave_core(&mut self, t: Tid, os: Os) {
        let previous = std::mem::replace(&mut self.threads[t].os, os);
        if let Some(c) = previous.assigned_core() {
            let th = &mut self.threads[t];
            th.cpu += self.now - th.core_since;
            self.free_core(c);
        }
    }

    /// The thread blocks in the kernel, shown as `state` (with `other`), and leaves its core.
    pub(super) fn block(&mut self, t: Tid, state: ThreadState, other: u32) {
        self.show(t, state, other);
        self.leave_core(t, Os::Blocked);
    }

    fn free_core(&mut self, c: u32) {
        let core = &mut self.cores[c as usize];
        core.occupant = None;
        self.timers.cancel(Self::slice_slot(c));
        self.trace.set(LaneId::Core(c), self.now, None);
        if let Some(next) = self.run_queue.pop_front() {
            self.assign(next, c);
            self.threads[next].os = Os::Dispatched(c);
            self.schedule(next, self.now);
        }
    }

    /// Core `c`'s time slice ended: with threads queued, its occupant goes to the back.
    pub(super) fn on_slice(&mut self, c: u32) {
        let Some(t) = self.cores[c as usize].occupant else {
            return;
        };
        if self.run_queue.is_empty() || self.threads[t].os != Os::OnCore(c) {
            return;
        }
        // Preempt: settle what it did, keep its place in the program, queue it.
        self.pause_work(t);
        self.cancel_timer(t);
        self.leave_core(t, Os::Queued);
        self.enqueue(t);
    }

    /// Settles progress of on-core work at `now` (before leaving the core).
    fn pause_work(&mut self, t: Tid) {
        match self.threads[t].stage {
            Stage::Bytecode => self.settle(t, None),
            Stage::CHold | Stage::CFree | Stage::Syscall | Stage::PipeCopy => {
                let th = &mut self.threads[t];
                th.remaining = th.remaining.saturating_sub(self.now - th.stretch_start);
            }
            _ => {}
        }
    }
}
