//! Contention in a free-threaded build (`gil-model.md` rule 19b): threads that read one shared
//! object write its shared reference count with atomic operations, and threads that mutate one
//! shared container take its per-object lock, so that object's cache line moves from core to
//! core on every iteration.
//!
//! The model is the line's bandwidth: one atomic operation on a line costs one cache-line
//! transfer (`cache_line_transfer`) when another core wrote the line last, and the line serves
//! one such operation at a time. With `k` threads on cores running a loop on the same object,
//! each iteration of `w` of its own work and `n` operations on the line takes
//! `max(w + n·c, k·n·c)`: the transfers are added to the work while the line keeps up, and the
//! line's throughput bounds every thread once it does not. One thread alone keeps the line in
//! its cache and runs at full speed. The rate changes only when `k` changes (a loop starts,
//! ends, is preempted or paused), so this costs events only then, never per iteration.
//! Processes and subinterpreters each have their own copy: nothing is shared between them.

use super::SimEngine;
use super::thread::Tid;
use crate::engine::runtime;
use crate::engine::work::FULL_SPEED;
use crate::trace::{NONE, ThreadState};

/// Threads whose loop on each shared object is running on a core now.
#[derive(Debug, Clone, Default)]
pub(super) struct Contention {
    active: Vec<Vec<Tid>>,
}

impl SimEngine {
    /// Thread `t`'s segment of work starts on a core: if it is a loop on a shared object, it
    /// joins the threads contending for that object's line, and every one of them is re-timed.
    /// Returns whether `t` was re-timed (its timer set) here.
    pub(super) fn contention_enter(&mut self, t: Tid) -> bool {
        let Some(object) = self.shared_object(t) else {
            return false;
        };
        if self.contention.active.len() <= object {
            self.contention.active.resize(object + 1, Vec::new());
        }
        if !self.contention.active[object].contains(&t) {
            self.contention.active[object].push(t);
        }
        self.retime_contenders(object);
        true
    }

    /// Thread `t`'s segment on a shared object closes (preempted, paused, yielding, done): the
    /// others go on with one contender fewer.
    pub(super) fn contention_leave(&mut self, t: Tid) {
        let Some(object) = self
            .contention
            .active
            .iter()
            .position(|threads| threads.contains(&t))
        else {
            return;
        };
        self.contention.active[object].retain(|&u| u != t);
        if let Some(work) = self.threads[t].work.as_mut() {
            work.speed = FULL_SPEED;
        }
        self.retime_contenders(object);
    }

    /// The shared object `t`'s current loop touches, where one can be contended for: in a
    /// free-threaded build (a default build counts references without atomic operations), in
    /// one interpreter (processes and subinterpreters have their own copies).
    fn shared_object(&self, t: Tid) -> Option<usize> {
        let shared = self.threads[t].work.as_ref()?.shared?;
        let contended = self.config.free_threaded
            && shared.line_ops > 0
            && !runtime::one_interpreter_per_thread(&self.config);
        contended.then_some(shared.object)
    }

    /// Every thread running a loop on `object` gets the speed its number allows: its work so
    /// far is settled at the old speed, and its timer re-set at the new one.
    fn retime_contenders(&mut self, object: usize) {
        let contenders = self.contention.active[object].clone();
        let k = contenders.len() as u64;
        for u in contenders {
            let Some(work) = self.threads[u].work else {
                continue;
            };
            let Some(shared) = work.shared else { continue };
            let speed = self.contended_speed(u64::from(work.shape.body), shared.line_ops, k);
            if speed != work.speed {
                self.settle(u, Some(()));
                if let Some(work) = self.threads[u].work.as_mut() {
                    work.speed = speed;
                }
            }
            if speed < FULL_SPEED {
                self.show(u, ThreadState::Contended, object as u32);
            } else {
                self.show(u, ThreadState::Running, NONE);
            }
            self.schedule_work(u);
        }
    }

    /// Work per nanosecond (in [`FULL_SPEED`]'s units) for a loop of `body` bytecodes per
    /// iteration with `line_ops` operations on the shared line, `k` threads contending (see the
    /// module docs).
    fn contended_speed(&self, body: u64, line_ops: u32, k: u64) -> u64 {
        if k < 2 {
            return FULL_SPEED;
        }
        let own = body * self.ps;
        let line = u64::from(line_ops) * self.config.cache_line_transfer * 1000;
        let period = (own + line).max(k * line);
        (FULL_SPEED * own / period.max(1)).clamp(1, FULL_SPEED)
    }
}
