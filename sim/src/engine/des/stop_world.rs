//! Stop-the-world pauses of a free-threaded build (`gil-model.md` rule 19): the cyclic garbage
//! collector, and turning the GIL on for an extension that needs it (rule 18), first stop every
//! other attached thread (one running Python, or in C code that keeps its thread state) at its
//! next check point. Detached threads (in I/O, in C code that released the GIL) go on, and pause
//! only if they try to attach before the world restarts. The thread stopping the world waits,
//! blocked, until the last one has paused; the paused threads wait, blocked, until it restarts
//! the world, and are then woken by the OS. With a GIL no world needs stopping: a collection
//! runs holding the GIL, so no other thread runs Python meanwhile anyway.

use super::SimEngine;
use super::thread::{Stage, Tid};
use crate::engine::SimError;
use crate::time::Nanos;
use crate::trace::ThreadState;

/// Why the world is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reason {
    /// A garbage collection lasting this long.
    Collect(Nanos),
    /// Turning the GIL on to load `module`, which then takes `duration` to load.
    EnableGil {
        /// The module's index.
        module: usize,
        /// How long loading it takes, with the GIL.
        duration: Nanos,
    },
}

/// The stop-the-world in progress, if any.
#[derive(Debug, Clone, Default)]
pub(super) struct StopWorld {
    /// The thread stopping the world, and why.
    pub(super) by: Option<(Tid, Reason)>,
    /// Attached threads that have not paused yet.
    pending: usize,
}

impl SimEngine {
    /// `gc.collect()` (or a collection its allocations triggered) by `t`: with no GIL it stops
    /// the world first. Returns whether to keep running.
    pub(super) fn collect(&mut self, t: Tid, duration: Nanos) -> bool {
        if self.gil_on {
            self.threads[t].enter_c_call(duration, Stage::Collecting);
            return true;
        }
        self.stop_the_world(t, Reason::Collect(duration))
    }

    /// `t` stops the world for `reason`. Returns whether to keep running (nobody had to pause,
    /// or `t` itself must pause first for a stop already under way).
    pub(super) fn stop_the_world(&mut self, t: Tid, reason: Reason) -> bool {
        if self.stop_world.by.is_some() {
            // Someone else is stopping the world: this thread pauses and retries its op after.
            self.pause_for_world(t, Stage::Boundary);
            return false;
        }
        self.stop_world.by = Some((t, reason));
        let interp = self.threads[t].interp;
        let mut pending = 0;
        for u in self.threads.ids() {
            let th = &self.threads[u];
            let attached = matches!(th.stage, Stage::Bytecode | Stage::CHold | Stage::Boundary);
            if u != t && th.interp == interp && attached {
                self.threads[u].stop_requested = true;
                pending += 1;
                // A thread running bytecode now stops at its next check point.
                self.replan_if_running(u);
            }
        }
        self.stop_world.pending = pending;
        self.threads[t].stage = Stage::StoppingWorld;
        self.show(t, ThreadState::Paused, t.id());
        if pending > 0 {
            self.leave_core(t, super::thread::Os::Blocked);
            self.cancel_timer(t);
            return false;
        }
        true
    }

    /// `t` pauses for the world being stopped, to go on in `then` once it restarts.
    pub(super) fn pause_for_world(&mut self, t: Tid, then: Stage) {
        let by = self.stop_world.by.map_or(t, |(by, _)| by);
        let th = &mut self.threads[t];
        th.parked = Some(then);
        th.stage = Stage::Parked;
        let counted = std::mem::take(&mut th.stop_requested);
        self.cancel_timer(t);
        self.block(t, ThreadState::Paused, by.id());
        if counted {
            self.stop_world.pending -= 1;
            if self.stop_world.pending == 0 {
                // The last one: the OS wakes the thread stopping the world.
                self.wake(by, None);
            }
        }
    }

    /// Whether an attaching thread must pause first: a world is being stopped by another.
    pub(super) fn must_pause_to_attach(&self, t: Tid) -> bool {
        self.stop_world.by.is_some_and(|(by, _)| by != t)
    }

    /// The world is stopped for `t` (it runs on a core again): it does what it stopped the
    /// world for. Returns whether to keep running.
    pub(super) fn world_is_stopped(&mut self, t: Tid) -> bool {
        let Some((_, reason)) = self.stop_world.by else {
            self.threads[t].stage = Stage::Boundary;
            return true;
        };
        match reason {
            Reason::Collect(duration) => {
                self.threads[t].enter_c_call(duration, Stage::Collecting);
            }
            Reason::EnableGil { module, duration } => {
                self.enable_gil(t, module);
                self.restart_world();
                self.threads[t].enter_c_call(duration, Stage::CHold);
            }
        }
        true
    }

    /// The collection is over: the world restarts and the collector goes on with its program.
    pub(super) fn collection_done(&mut self, t: Tid) -> Result<(), SimError> {
        if self.stop_world.by.is_some_and(|(by, _)| by == t) {
            self.restart_world();
        }
        self.threads[t].advance_op(Stage::Boundary);
        self.run(t)
    }

    /// Every paused thread is woken (by the OS) to go on where it paused.
    fn restart_world(&mut self) {
        self.stop_world.by = None;
        for u in self.threads.ids() {
            if self.threads[u].stage == Stage::Parked {
                let th = &mut self.threads[u];
                th.stage = th.parked.take().unwrap_or(Stage::Boundary);
                self.wake(u, None);
            }
        }
    }
}
