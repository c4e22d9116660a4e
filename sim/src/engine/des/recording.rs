//! What the trace records of a run: each thread's state as it changes (on its lane and its
//! core's), when it starts and ends, and how the run closes: work in progress settled, shared
//! counters resolved from the recorded loads and stores (the lost updates of `gil-model.md`
//! section 2, each stale store kept in the trace), each process's or subinterpreter's own copy of a global kept apart (rules 20
//! and 21).

use super::SimEngine;
use super::thread::Tid;
use crate::engine::runtime;
use crate::scenario::Op;
use crate::trace::{LaneId, ThreadState};

impl SimEngine {
    /// Thread `t` is now in `state`; `other` is the trace's related id (a thread, a lock) or
    /// `NONE`. A state that uses a core shows on that core's lane too.
    pub(super) fn show(&mut self, t: Tid, state: ThreadState, other: u32) {
        self.trace
            .set(LaneId::Thread(t.id()), self.now, Some((state, other)));
        if let Some(c) = self.threads[t].os.core()
            && state.on_core()
        {
            self.trace
                .set(LaneId::Core(c), self.now, Some((state, t.id())));
        }
    }

    /// Thread `t` starts now.
    pub(super) fn record_start(&mut self, t: Tid) {
        self.trace.threads[t.index()].started = Some(self.now);
    }

    /// Thread `t` ends now.
    pub(super) fn record_finish(&mut self, t: Tid) {
        self.trace.threads[t.index()].finished = Some(self.now);
    }

    /// The run ends now: work in progress is settled, the trace closed and the shared counters
    /// resolved from the loads and stores recorded.
    pub(super) fn end_run(&mut self) {
        if self.finished {
            return;
        }
        for t in self.threads.ids() {
            if self.threads[t].runs_bytecode_on_core() {
                self.settle(t, None);
            }
        }
        self.trace.close(self.now);
        if let Err(over) = self.check_replay() {
            // The counters stay unresolved; the run reports why.
            self.failure = Some(over);
            self.finished = true;
            return;
        }
        let jitter = if self.gil_on {
            0
        } else {
            (self.ps / 1000).max(1)
        };
        let (mut counters, mut stale) =
            self.race
                .resolve(&self.counter_names, self.config.seed, jitter);
        if runtime::one_interpreter_per_thread(&self.config) {
            // No thread overwrites another's copy: nothing stale to show.
            stale.clear();
            // Every process or interpreter has its own copy of a global: the parent's counter
            // only sees increments made through shared memory.
            for (index, counter) in counters.iter_mut().enumerate() {
                let shared = self.programs.iter().flat_map(|(ops, _)| ops).any(|op| matches!(op, Op::Increment { counter: c, shared: true, .. } if *c == index));
                counter.actual = if shared { counter.expected } else { 0 };
                counter.lost = counter.expected - counter.actual;
            }
        }
        self.trace.counters = counters;
        self.trace.stale_stores = stale;
        self.finished = true;
    }
}
