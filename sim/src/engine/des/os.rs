//! The operating system under the interpreter: cores, the run queue, time slices and
//! wake-ups. A blocked thread runs again only after an OS wake-up latency and once it has a
//! core (`gil-model.md` rule 7: the winner's wake-up latency and the wait for a free core are
//! part of the real slice; the defaults are in section 7's table).

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

    /// One OS wake-up latency: uniform in [0.5, 1.5) × the setting, seeded. Real futex
    /// wake-ups jitter; without it, identical timed waits phase-lock and one waiter can lose
    /// every barging race forever, which no real machine does.
    fn wake_latency(&mut self) -> Nanos {
        let mean = self.config.wake_latency;
        if mean == 0 {
            return 0;
        }
        mean / 2 + self.rng.below(mean)
    }

    /// The thread wants a core: take a free one (its last one first) or queue.
    pub(super) fn want_core(&mut self, t: Tid) -> Result<(), SimError> {
        let last = self.threads[t].last_core;
        let free = last
            .filter(|&c| self.core_is_free(c))
            .or_else(|| (0..self.cores.len() as u32).find(|&c| self.core_is_free(c)));
        if let Some(c) = free {
            self.assign(t, c);
            self.threads[t].os = Os::OnCore(c);
            self.run(t)
        } else {
            self.threads[t].os = Os::Queued;
            self.enqueue(t);
            Ok(())
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
            Stage::CHold | Stage::CFree | Stage::Syscall => {
                let th = &mut self.threads[t];
                th.remaining = th.remaining.saturating_sub(self.now - th.stretch_start);
            }
            _ => {}
        }
    }
}
