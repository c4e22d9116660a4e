//! A real GIL, written the way `CPython` writes it (`Python/ceval_gil.c`; `gil-model.md` rules
//! 1–8): a mutex guarding `locked`, `last_holder` and `switch_number`; the condition variable
//! `cond` on which waiters block for at most one switch interval; a per-thread *eval breaker*
//! whose drop-request bit the holder polls at its check points; and forced switching through
//! `switch_cond`, where a thread that dropped the GIL on request waits until another thread
//! has taken it. Nothing spins and nothing sleeps in place of waiting.
//!
//! One mutex guards both condition variables (`CPython` uses a second `switch_mutex`; with one
//! mutex the forced-off thread starts waiting atomically with the release, which is the case
//! `CPython`'s own comment in `drop_gil` asks for).
//!
//! Everything the GIL does is reported to a [`GilHooks`] while the mutex is held, with a
//! timestamp that strictly increases from one critical section to the next, so a recorder can
//! rebuild the holder lane without overlaps, and the loom model test can check invariants.

use super::sync::{AtomicU32, Condvar, Mutex, lock, wait, wait_timeout};
use crate::trace::NONE;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Eval-breaker bit: a waiter asked the holder to drop the GIL (`_PY_GIL_DROP_REQUEST_BIT`).
pub const DROP_REQUEST: u32 = 1;
/// Eval-breaker bit: the run is stopping; leave at the next check point.
pub const STOP: u32 = 2;
/// Eval-breaker bit: the collector asks the thread to send what it has recorded.
pub const FLUSH: u32 = 4;

/// The run is stopping: the caller must leave without the GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// What the GIL tells its caller, always with the GIL's mutex held. `at` values come from
/// [`GilHooks::stamp`], raised where needed so that they strictly increase across critical
/// sections.
pub trait GilHooks {
    /// A clock reading (any monotonic unit).
    fn stamp(&mut self) -> u64;
    /// The caller starts waiting for the GIL, held by `holder`.
    fn waiting(&mut self, at: u64, holder: u32);
    /// The caller's wait timed out with no switch: it set the drop request of `holder`.
    fn drop_requested(&mut self, at: u64, holder: u32);
    /// The caller took the GIL; `previous` is the last holder before it ([`NONE`] at first).
    fn acquired(&mut self, at: u64, previous: u32);
    /// The caller released the GIL.
    fn released(&mut self, at: u64);
    /// The caller dropped the GIL on `requester`'s request and now waits on `switch_cond`.
    fn forced_off(&mut self, at: u64, requester: u32);
    /// The caller is about to block on a condition variable.
    fn park(&mut self);
    /// The caller is running again after blocking (called before any other hook).
    fn unpark(&mut self);
}

#[derive(Debug)]
struct State {
    /// Whether some thread holds the GIL.
    locked: bool,
    /// The holder, or the last holder while `locked` is false.
    last_holder: u32,
    /// Incremented whenever the holder changes.
    switch_number: u64,
    /// The waiter that set the current holder's drop request.
    requester: u32,
    /// The run is stopping: every wait ends.
    stopping: bool,
    /// The last timestamp handed out, to keep them strictly increasing.
    last_stamp: u64,
}

/// The GIL of one interpreter, plus the eval breakers of its threads.
#[derive(Debug)]
pub struct Gil {
    enabled: bool,
    interval: Duration,
    state: Mutex<State>,
    cond: Condvar,
    switch_cond: Condvar,
    breakers: Box<[AtomicU32]>,
}

impl Gil {
    /// A free GIL for `threads` threads with switch interval `interval` (at least 1 µs, as
    /// `take_gil` never waits less). With `enabled` false (a free-threaded build) taking and
    /// releasing it do nothing; the eval breakers still carry stop and flush requests.
    pub fn new(threads: usize, interval: Duration, enabled: bool) -> Self {
        Self {
            enabled,
            interval: interval.max(Duration::from_micros(1)),
            state: Mutex::new(State {
                locked: false,
                last_holder: NONE,
                switch_number: 0,
                requester: NONE,
                stopping: false,
                last_stamp: 0,
            }),
            cond: Condvar::new(),
            switch_cond: Condvar::new(),
            breakers: (0..threads).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// Whether threads contend for this GIL (false in a free-threaded build).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Thread `thread`'s eval breaker: [`DROP_REQUEST`], [`STOP`] and [`FLUSH`] bits, polled
    /// with one relaxed load at every check point.
    pub fn breaker(&self, thread: u32) -> &AtomicU32 {
        &self.breakers[thread as usize]
    }

    fn stamp(state: &mut State, hooks: &mut impl GilHooks) -> u64 {
        let at = hooks.stamp().max(state.last_stamp + 1);
        state.last_stamp = at;
        at
    }

    /// `take_gil`: takes the GIL, waiting on `cond` one interval at a time; after a wait that
    /// timed out with the GIL still held by the same thread (no switch meanwhile), sets the
    /// holder's drop request. Fails only when the run stops.
    pub fn take(&self, thread: u32, hooks: &mut impl GilHooks) -> Result<(), Stopped> {
        if !self.enabled {
            return Ok(());
        }
        let mut state = lock(&self.state);
        let mut shown = None;
        while state.locked {
            if state.stopping {
                return Err(Stopped);
            }
            if shown != Some(state.last_holder) {
                shown = Some(state.last_holder);
                let at = Self::stamp(&mut state, hooks);
                hooks.waiting(at, state.last_holder);
            }
            let saved = state.switch_number;
            hooks.park();
            let (next, timed_out) = wait_timeout(&self.cond, state, self.interval);
            state = next;
            hooks.unpark();
            if state.stopping {
                return Err(Stopped);
            }
            if timed_out && state.locked && state.switch_number == saved {
                // SET_GIL_DROP_REQUEST on the holder: `locked` with this mutex held means
                // `last_holder` holds the GIL right now.
                let holder = state.last_holder;
                state.requester = thread;
                self.breakers[holder as usize].fetch_or(DROP_REQUEST, Ordering::Relaxed);
                let at = Self::stamp(&mut state, hooks);
                hooks.drop_requested(at, holder);
            }
        }
        if state.stopping {
            return Err(Stopped);
        }
        state.locked = true;
        let previous = state.last_holder;
        if previous != thread {
            state.last_holder = thread;
            state.switch_number += 1;
        }
        // A request aimed at this thread before it last released is stale now.
        self.breakers[thread as usize].fetch_and(!DROP_REQUEST, Ordering::Relaxed);
        let at = Self::stamp(&mut state, hooks);
        hooks.acquired(at, previous);
        // COND_SIGNAL(switch_cond): a thread forced off may go on now that the GIL changed hands.
        self.switch_cond.notify_all();
        Ok(())
    }

    /// `drop_gil`: releases the GIL and wakes one waiter. Unless `final_release` (the thread
    /// ends), a pending drop request is honoured: the thread waits on `switch_cond` until
    /// another thread has taken the GIL (`FORCE_SWITCHING`). Fails only when the run stops.
    pub fn release(
        &self,
        thread: u32,
        final_release: bool,
        hooks: &mut impl GilHooks,
    ) -> Result<(), Stopped> {
        if !self.enabled {
            return Ok(());
        }
        let mut state = lock(&self.state);
        state.locked = false;
        let at = Self::stamp(&mut state, hooks);
        hooks.released(at);
        self.cond.notify_one();
        let breaker = &self.breakers[thread as usize];
        if final_release || breaker.load(Ordering::Relaxed) & DROP_REQUEST == 0 {
            return Ok(());
        }
        breaker.fetch_and(!DROP_REQUEST, Ordering::Relaxed);
        let at = Self::stamp(&mut state, hooks);
        hooks.forced_off(at, state.requester);
        while state.last_holder == thread {
            if state.stopping {
                return Err(Stopped);
            }
            hooks.park();
            state = wait(&self.switch_cond, state);
            hooks.unpark();
        }
        Ok(())
    }

    /// Stops the run: every wait on the GIL ends and every thread sees [`STOP`] at its next
    /// check point.
    pub fn stop(&self) {
        let mut state = lock(&self.state);
        state.stopping = true;
        for breaker in &self.breakers {
            breaker.fetch_or(STOP, Ordering::Relaxed);
        }
        self.cond.notify_all();
        self.switch_cond.notify_all();
    }

    /// Wakes every waiter on `cond` as the expiry of its timed wait would (the loom model's
    /// clock: loom has no time).
    #[cfg(loom)]
    pub fn tick(&self) {
        let _state = lock(&self.state);
        self.cond.notify_all();
    }
}
