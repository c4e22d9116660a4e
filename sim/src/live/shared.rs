//! What the worker threads of one live run share: the GIL, the locks, the counters, the clock,
//! and the run control (stopping, the end time, the first failure).

use super::gil::Gil;
use super::locks::Locks;
use super::record::RunClock;
use crate::engine::SimError;
use crate::model::Model;
use crate::time::Nanos;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

/// Everything the threads of a run share.
#[derive(Debug)]
pub struct Shared {
    /// The GIL (disabled in a free-threaded run) and the threads' eval breakers.
    pub gil: Gil,
    /// The `threading.Lock`s.
    pub locks: Locks,
    /// Shared counters' values.
    pub counters: Box<[AtomicU64]>,
    /// Increments performed on each counter.
    pub increments: Box<[AtomicU64]>,
    /// The run's clock.
    pub clock: RunClock,
    /// Which check points the interpreter polls.
    pub model: Model,
    /// Padding units per bytecode (pacing the interpreter).
    pub pad: u32,
    /// Finite threads still running.
    pub finite_left: AtomicUsize,
    /// A thread that panics at its first check point (failure-path testing).
    pub panic_thread: Option<u32>,
    /// The run control.
    pub control: Control,
}

/// Stopping and the end of a run.
#[derive(Debug)]
pub struct Control {
    stopping: AtomicBool,
    /// The end of the run in nanoseconds; `u64::MAX` while it runs.
    end: AtomicU64,
    failure: Mutex<Option<SimError>>,
    sleepers: Mutex<()>,
    wake: Condvar,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            stopping: AtomicBool::new(false),
            end: AtomicU64::new(u64::MAX),
            failure: Mutex::new(None),
            sleepers: Mutex::new(()),
            wake: Condvar::new(),
        }
    }
}

impl Control {
    /// Whether the run is stopping.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// The end of the run, once decided.
    pub fn end(&self) -> Option<Nanos> {
        let end = self.end.load(Ordering::SeqCst);
        (end != u64::MAX).then_some(end)
    }

    /// Blocks until `deadline` (a real timed wait, like `time.sleep` or a socket read) or
    /// until the run stops; returns whether it stops.
    pub fn sleep_until(&self, deadline: Instant) -> bool {
        let mut guard = self.sleepers.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.stopping() {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self
                .wake
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The first failure, taken (reported once).
    pub fn take_failure(&self) -> Option<SimError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl Shared {
    /// Ends the run at `end` nanoseconds (the first call decides): every thread leaves at its
    /// next check point, and every wait (GIL, lock, sleep) ends now.
    pub fn stop(&self, end: Nanos) {
        let control = &self.control;
        if control
            .end
            .compare_exchange(u64::MAX, end, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return;
        }
        control.stopping.store(true, Ordering::SeqCst);
        self.gil.stop();
        self.locks.stop();
        let _guard = control
            .sleepers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        control.wake.notify_all();
    }

    /// Records a failure (the first one is kept) and stops the run now.
    pub fn fail(&self, error: SimError) {
        self.control
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(error);
        self.stop(self.clock.now());
    }
}
