//! Real `threading.Lock`s for the live engine: a table of holders behind one mutex, with a
//! condition variable for blocked acquirers. A thread that would close a cycle of waits is told
//! so at once (a deadlock ends the run with an error instead of hanging it), and stopping the
//! run wakes every waiter.

use super::record::Recorder;
use crate::engine::SimError;
use crate::time::format_nanos;
use crate::trace::{MarkerKind, NONE};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
struct Table {
    /// Per lock: the holding thread, or [`NONE`].
    holders: Vec<u32>,
    /// Per thread: the lock it is blocked on.
    waiting_for: Vec<Option<usize>>,
    stopping: bool,
}

/// Why a blocking acquire returned without the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    /// The run is stopping.
    Stopped,
    /// Waiting would close a cycle of threads waiting for each other's locks.
    Deadlock(SimError),
}

/// The run's locks.
#[derive(Debug)]
pub struct Locks {
    table: Mutex<Table>,
    released: Condvar,
    lock_names: Vec<String>,
    thread_names: Vec<String>,
}

impl Locks {
    /// Free locks named `lock_names`, for threads named `thread_names`.
    pub fn new(lock_names: Vec<String>, thread_names: Vec<String>) -> Self {
        Self {
            table: Mutex::new(Table {
                holders: vec![NONE; lock_names.len()],
                waiting_for: vec![None; thread_names.len()],
                stopping: false,
            }),
            released: Condvar::new(),
            lock_names,
            thread_names,
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The non-blocking first attempt of `lock.acquire()` (`CPython` tries it before releasing
    /// the GIL): takes `lock` if it is free.
    pub fn try_acquire(&self, lock: usize, rec: &mut Recorder) -> bool {
        let mut table = self.table();
        if table.holders[lock] != NONE {
            return false;
        }
        table.holders[lock] = rec.thread();
        rec.mark(MarkerKind::LockAcquired, rec.thread(), lock as u32);
        true
    }

    /// Blocks until `lock` is free and takes it.
    pub fn acquire(&self, lock: usize, rec: &mut Recorder) -> Result<(), LockError> {
        let me = rec.thread();
        let mut table = self.table();
        loop {
            if table.stopping {
                table.waiting_for[me as usize] = None;
                return Err(LockError::Stopped);
            }
            if table.holders[lock] == NONE {
                table.holders[lock] = me;
                table.waiting_for[me as usize] = None;
                rec.mark(MarkerKind::LockAcquired, me, lock as u32);
                return Ok(());
            }
            if table.waiting_for[me as usize].is_none() {
                table.waiting_for[me as usize] = Some(lock);
                if let Some(cycle) = self.cycle(&table, me) {
                    table.waiting_for[me as usize] = None;
                    let at = format_nanos(rec.clock().now());
                    return Err(LockError::Deadlock(SimError::Deadlock { at, cycle }));
                }
            }
            rec.park();
            table = self
                .released
                .wait(table)
                .unwrap_or_else(PoisonError::into_inner);
            rec.unpark();
        }
    }

    /// Follows "waits for a lock held by" from `me`; describes the cycle if it comes back.
    fn cycle(&self, table: &Table, me: u32) -> Option<String> {
        let mut chain = Vec::new();
        let mut thread = me;
        for _ in 0..=table.waiting_for.len() {
            let lock = table.waiting_for[thread as usize]?;
            let holder = table.holders[lock];
            if holder == NONE {
                return None;
            }
            chain.push(format!(
                "thread {} waits for lock \"{}\" held by thread {}",
                self.thread_names[thread as usize],
                self.lock_names[lock],
                self.thread_names[holder as usize]
            ));
            if holder == me {
                return Some(chain.join("; "));
            }
            thread = holder;
        }
        None
    }

    /// `lock.release()`.
    pub fn release(&self, lock: usize, rec: &mut Recorder) {
        let mut table = self.table();
        table.holders[lock] = NONE;
        rec.mark(MarkerKind::LockReleased, rec.thread(), lock as u32);
        self.released.notify_all();
    }

    /// Stops the run: every blocked acquirer returns [`LockError::Stopped`].
    pub fn stop(&self) {
        self.table().stopping = true;
        self.released.notify_all();
    }
}
