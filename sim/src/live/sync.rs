//! The synchronization primitives of the GIL: the standard library's, or loom's when the crate
//! is built with `--cfg loom` so that the model test can explore every interleaving.

#[cfg(loom)]
pub use loom::sync::atomic::AtomicU32;
#[cfg(loom)]
pub use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::sync::atomic::AtomicU32;
#[cfg(not(loom))]
pub use std::sync::{Condvar, Mutex, MutexGuard};

use std::sync::PoisonError;
use std::time::Duration;

/// Locks `mutex`; a panic in another holder does not make the state unusable (every update of
/// the GIL's state is a single assignment, so it is never left half-done).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `cond` without a time limit.
pub fn wait<'a, T>(cond: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cond.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// `COND_TIMED_WAIT`: waits on `cond` for at most `timeout`; returns whether the wait timed out.
#[cfg(not(loom))]
pub fn wait_timeout<'a, T>(
    cond: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> (MutexGuard<'a, T>, bool) {
    let (guard, result) = cond
        .wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner);
    (guard, result.timed_out())
}

/// `COND_TIMED_WAIT` under loom, which has no clock: the wait ends only when notified (by a
/// release, or by the model's timer thread through `Gil::tick`), and every wake-up may have
/// been a time-out. This allows more behaviours than the real clock, never fewer, so the
/// safety properties checked under it hold for the real GIL too.
#[cfg(loom)]
pub fn wait_timeout<'a, T>(
    cond: &Condvar,
    guard: MutexGuard<'a, T>,
    _timeout: Duration,
) -> (MutexGuard<'a, T>, bool) {
    (wait(cond, guard), true)
}
