//! `threading.Lock`: `acquire` takes a free lock at once and otherwise waits with the GIL
//! released (`gil-model.md` rule 13, lock waits release the GIL); `release` hands the lock to
//! the longest waiter, which then retakes the GIL. A wait that closes a cycle of holders is a
//! deadlock, reported with who waits for what.

use super::SimEngine;
use super::thread::{Resume, Stage, Tid, id_or_none};
use crate::engine::SimError;
use crate::time::format_nanos;
use crate::trace::{MarkerKind, ThreadState};
use std::collections::VecDeque;

/// One lock.
#[derive(Debug, Clone, Default)]
pub(super) struct LockState {
    pub(super) holder: Option<Tid>,
    /// Threads waiting for it, longest first.
    pub(super) waiters: VecDeque<Tid>,
}

impl SimEngine {
    /// `lock.acquire()` at the start of the op, GIL held: a free lock is taken at once; a held
    /// one means releasing the GIL to wait. Returns whether to keep running.
    pub(super) fn acquire_lock(&mut self, t: Tid, lock: usize) -> bool {
        if self.locks[lock].holder.is_none() {
            self.take_lock(t, lock);
            self.threads[t].op += 1;
            true
        } else {
            self.trace
                .mark(self.now, MarkerKind::LockBlocked, t.id(), lock as u32);
            self.release_for_call(t)
        }
    }

    /// The GIL released, the thread waits for `lock` (or takes it, if it came free meanwhile,
    /// and retakes the GIL). Returns whether to keep running.
    pub(super) fn wait_for_lock(&mut self, t: Tid, lock: usize) -> Result<bool, SimError> {
        if self.locks[lock].holder.is_none() {
            self.take_lock(t, lock);
            self.threads[t].advance_op(Stage::take_gil(Resume::Boundary));
            return Ok(true);
        }
        self.threads[t].stage = Stage::LockWait(lock);
        self.locks[lock].waiters.push_back(t);
        self.block(t, ThreadState::Lock, lock as u32);
        self.check_deadlock(t, lock)?;
        Ok(false)
    }

    /// `t` now holds `lock`.
    pub(super) fn take_lock(&mut self, t: Tid, lock: usize) {
        self.locks[lock].holder = Some(t);
        self.trace
            .mark(self.now, MarkerKind::LockAcquired, t.id(), lock as u32);
    }

    /// `lock.release()`: the longest waiter gets the lock and goes on (a thread retakes the
    /// GIL; an asyncio task becomes ready).
    pub(super) fn release_lock(&mut self, t: Tid, lock: usize) {
        self.locks[lock].holder = None;
        self.trace
            .mark(self.now, MarkerKind::LockReleased, t.id(), lock as u32);
        if let Some(w) = self.locks[lock].waiters.pop_front() {
            self.take_lock(w, lock);
            if self.is_task(w) {
                self.threads[w].op += 1;
                self.make_ready(w);
                return;
            }
            self.threads[w].advance_op(Stage::take_gil(Resume::Boundary));
            self.wake(w, Some(ThreadState::Waking));
        }
    }

    /// `t` has just begun waiting for `lock`: fails if the chain of holders leads back to `t`.
    fn check_deadlock(&self, t: Tid, lock: usize) -> Result<(), SimError> {
        let mut chain = vec![(t, lock)];
        let mut waiting_for = lock;
        while let Some(holder) = self.locks[waiting_for].holder {
            if holder == t {
                let cycle = chain
                    .iter()
                    .map(|&(th, l)| {
                        let holder = id_or_none(self.locks[l].holder);
                        format!(
                            "thread {} waits for lock \"{}\" held by thread {}",
                            self.trace.thread_name(th.id()),
                            self.lock_names[l],
                            self.trace.thread_name(holder)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(SimError::Deadlock {
                    at: format_nanos(self.now),
                    cycle,
                });
            }
            match self.threads[holder].stage {
                Stage::LockWait(next) => {
                    chain.push((holder, next));
                    waiting_for = next;
                }
                _ => break,
            }
        }
        Ok(())
    }
}
