//! The new GIL of `CPython` 3.2 and later (`gil-model.md` rules 1–8): `take_gil` with its timed
//! waits on `cond` and the drop request they set, `drop_gil` with the forced wait on
//! `switch_cond`, yielding at a check point, and the successor policy that picks which waiter
//! the OS wakes.

use super::SimEngine;
use super::thread::{AfterSwitch, Os, Resume, Stage, Tid, id_or_none};
use crate::model::{Model, SuccessorPolicy};
use crate::time::Nanos;
use crate::trace::{LaneId, MarkerKind, ThreadId, ThreadState};
use std::collections::VecDeque;

/// One interpreter's GIL (rule 1).
#[derive(Debug, Clone, Default)]
pub(super) struct Gil {
    pub(super) locked: bool,
    pub(super) holder: Option<Tid>,
    pub(super) last_holder: Option<Tid>,
    pub(super) switch_number: u64,
    /// Threads blocked on `cond`, with when they began waiting.
    pub(super) cond: Vec<(Tid, Nanos)>,
    /// Threads blocked on `switch_cond`.
    pub(super) switch_cond: VecDeque<Tid>,
}

impl SimEngine {
    /// The trace's id of the holder of `t`'s GIL, or `NONE`.
    pub(super) fn holder_or_none(&self, t: Tid) -> ThreadId {
        id_or_none(self.gils[self.threads[t].interp].holder)
    }

    /// `take_gil` on a core (rule 2). Returns whether the thread may go on (it holds the GIL,
    /// or needs none); if not, it now waits for the GIL.
    pub(super) fn take_gil(&mut self, t: Tid, woke: Option<(bool, u64)>, then: Resume) -> bool {
        if !self.gil_on && self.must_pause_to_attach(t) {
            // Attaching while another thread stops the world: pause until it restarts.
            self.pause_for_world(t, Stage::TakeGil { woke, then });
            return false;
        }
        if !self.gil_on || self.threads[t].holds_gil {
            return true;
        }
        if self.model == Model::OldGil {
            return self.take_old_gil(t, woke.is_some(), then);
        }
        let i = self.threads[t].interp;
        if let Some((true, saved)) = woke
            && self.gils[i].locked
            && self.gils[i].switch_number == saved
        {
            self.request_drop(t);
        }
        if !self.gils[i].locked {
            self.acquire(t);
            return true;
        }
        let saved = self.gils[i].switch_number;
        self.threads[t].stage = Stage::CondWait { saved, then };
        self.gils[i].cond.push((t, self.now));
        self.block(t, ThreadState::WaitingGil, self.holder_or_none(t));
        self.schedule(t, self.now + self.config.switch_interval());
        false
    }

    /// A timed wait on `cond` expired: back to `take_gil`, which may set the drop request.
    pub(super) fn cond_wait_expired(&mut self, t: Tid, saved: u64, then: Resume) {
        let i = self.threads[t].interp;
        self.gils[i].cond.retain(|&(w, _)| w != t);
        self.threads[t].stage = Stage::TakeGil {
            woke: Some((true, saved)),
            then,
        };
        self.wake(t, Some(ThreadState::WaitingGil));
    }

    /// Takes the free GIL: a new holder counts as a switch and releases a thread waiting on
    /// `switch_cond`.
    pub(super) fn acquire(&mut self, t: Tid) {
        let i = self.threads[t].interp;
        let gil = &mut self.gils[i];
        gil.locked = true;
        gil.holder = Some(t);
        let last = gil.last_holder.replace(t);
        self.threads[t].holds_gil = true;
        // asyncio's tasks all run on the loop thread, one thread state: the loop taking the
        // GIL back for another task is no switch (`last_holder` is a thread state).
        let same_thread = last.is_some_and(|l| self.is_task(l)) && self.is_task(t);
        if last != Some(t) && !same_thread {
            self.gils[i].switch_number += 1;
            self.trace
                .mark(self.now, MarkerKind::Handoff, id_or_none(last), t.id());
        }
        // COND_SIGNAL(switch_cond): a thread forced off may go on now that someone else holds it.
        if let Some(w) = self.gils[i].switch_cond.pop_front() {
            let after = match self.threads[w].stage {
                Stage::SwitchWait { after } => after,
                _ => AfterSwitch::Block,
            };
            let (stage, shown) = match after {
                AfterSwitch::Retake(then) => (Stage::take_gil(then), Some(ThreadState::WaitingGil)),
                // Still forced off until it runs its GIL-free part.
                AfterSwitch::Block => (Stage::Block, None),
            };
            self.threads[w].stage = stage;
            self.wake(w, shown);
        }
        self.threads[t].drop_request = false;
        self.gil_lane(Some(t));
    }

    /// The GIL lane shows the holder of the one shared GIL (none with one GIL per process).
    pub(super) fn gil_lane(&mut self, holder: Option<Tid>) {
        if self.gils.len() == 1 {
            self.trace.set(
                LaneId::Gil,
                self.now,
                holder.map(|t| (ThreadState::Running, t.id())),
            );
        }
    }

    /// The GIL `t` holds becomes free and one waiter on `cond` is signalled (running `sooner`
    /// than a condition variable's wake-up); returns the interpreter whose GIL it was and the
    /// waiter woken, if any.
    pub(super) fn unlock_and_signal(&mut self, t: Tid, sooner: Nanos) -> (usize, Option<Tid>) {
        let i = self.threads[t].interp;
        self.gils[i].locked = false;
        self.gils[i].holder = None;
        self.threads[t].holds_gil = false;
        self.gil_lane(None);
        let woken = self.signal_cond(i, sooner);
        (i, woken)
    }

    /// `drop_gil`: release, signal one waiter on `cond`. Returns whether the thread must now wait
    /// on `switch_cond` (a drop request was pending and `final_release` is false).
    pub(super) fn drop_gil(&mut self, t: Tid, final_release: bool) -> bool {
        let (i, _) = self.unlock_and_signal(t, 0);
        let th = &mut self.threads[t];
        if th.drop_request && !final_release && self.gils[i].last_holder == Some(t) {
            th.drop_request = false;
            let requester = id_or_none(th.drop_requester);
            self.trace
                .mark(self.now, MarkerKind::ForcedSwitch, t.id(), requester);
            self.gils[i].switch_cond.push_back(t);
            self.show(t, ThreadState::ForcedOff, requester);
            true
        } else {
            th.drop_request = false;
            false
        }
    }

    /// Blocks on `switch_cond` after a forced drop, to go on as `after` says.
    fn wait_switch_cond(&mut self, t: Tid, after: AfterSwitch) {
        self.threads[t].stage = Stage::SwitchWait { after };
        self.leave_core(t, Os::Blocked);
    }

    /// `Py_BEGIN_ALLOW_THREADS` before a GIL-free wait (rule 13): drops the GIL if held.
    /// Returns whether the thread was forced off and now waits on `switch_cond`, to go on
    /// with its GIL-free part once a successor holds the GIL.
    pub(super) fn allow_threads(&mut self, t: Tid) -> bool {
        if self.threads[t].holds_gil && self.drop_gil(t, false) {
            self.wait_switch_cond(t, AfterSwitch::Block);
            return true;
        }
        false
    }

    /// `COND_SIGNAL(cond)`: the OS wakes one waiter, chosen by the successor policy (rule 6).
    fn signal_cond(&mut self, i: usize, sooner: Nanos) -> Option<Tid> {
        if self.gils[i].cond.is_empty() {
            return None;
        }
        let index = match self.config.successor {
            SuccessorPolicy::Random => self.rng.below(self.gils[i].cond.len() as u64) as usize,
            SuccessorPolicy::Fifo => self.oldest_waiter(i, 0..self.gils[i].cond.len()),
            SuccessorPolicy::Affinity => {
                let idle: Vec<usize> = (0..self.gils[i].cond.len())
                    .filter(|&k| {
                        let (w, _) = self.gils[i].cond[k];
                        self.threads[w]
                            .last_core
                            .is_some_and(|c| self.core_is_free(c))
                    })
                    .collect();
                if idle.is_empty() {
                    self.rng.below(self.gils[i].cond.len() as u64) as usize
                } else {
                    self.oldest_waiter(i, idle.into_iter())
                }
            }
        };
        let (w, _) = self.gils[i].cond.swap_remove(index);
        if let Stage::CondWait { saved, then } = self.threads[w].stage {
            self.threads[w].stage = Stage::TakeGil {
                woke: Some((false, saved)),
                then,
            };
        }
        self.wake_sooner(w, Some(ThreadState::WaitingGil), sooner);
        Some(w)
    }

    fn oldest_waiter(&self, i: usize, candidates: impl Iterator<Item = usize>) -> usize {
        candidates
            .min_by_key(|&k| (self.gils[i].cond[k].1, self.gils[i].cond[k].0))
            .unwrap_or(0)
    }

    /// A waiter's timed wait expired with no switch meanwhile: `SET_GIL_DROP_REQUEST` on the
    /// holder (rule 3).
    fn request_drop(&mut self, requester: Tid) {
        let i = self.threads[requester].interp;
        let Some(holder) = self.gils[i].holder else {
            return;
        };
        self.trace.mark(
            self.now,
            MarkerKind::DropRequest,
            holder.id(),
            requester.id(),
        );
        let th = &mut self.threads[holder];
        if th.drop_request {
            return;
        }
        th.drop_request = true;
        th.drop_requester = Some(requester);
        // A holder running bytecode on a core will notice at its next check point.
        self.replan_if_running(holder);
    }

    /// The GIL side of the check point before an op (rules 3 and 5): yield to a pending drop
    /// request, or go and take the GIL where it is on and not held. Returns
    /// `Some(keep_running)` when the thread must see to the GIL first, `None` when it may
    /// start its op.
    pub(super) fn gil_at_check_point(&mut self, t: Tid) -> Option<bool> {
        let th = &self.threads[t];
        if th.holds_gil && th.drop_request {
            return Some(self.yield_gil(t, Resume::Boundary));
        }
        if self.gil_on && !th.holds_gil {
            self.threads[t].stage = Stage::take_gil(Resume::Boundary);
            return Some(true);
        }
        None
    }

    /// Yields at a check point (rule 5): drop (forced), wait on `switch_cond`, then retake.
    /// Returns whether it goes straight on to `take_gil` (the drop was not forced).
    pub(super) fn yield_gil(&mut self, t: Tid, then: Resume) -> bool {
        let forced = self.drop_gil(t, false);
        if forced {
            self.wait_switch_cond(t, AfterSwitch::Retake(then));
        } else {
            self.threads[t].stage = Stage::take_gil(then);
        }
        !forced
    }
}
