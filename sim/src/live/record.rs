//! Recording: each worker thread stamps its state changes from the CPU's time-stamp counter
//! and appends them to its own buffer (no lock, no allocation: a few nanoseconds per event);
//! full buffers travel in batches through a bounded crossbeam channel to the collector.
//!
//! Every batch carries a *watermark*: a time before which its thread will record nothing
//! more. A thread about to block sends what it has and marks itself *parked*, so the collector
//! can move past it while it sleeps; the collector asks a thread that runs for long without
//! sending to flush (the [`FLUSH`](super::gil::FLUSH) bit of its eval breaker).

use super::gil::GilHooks;
use crate::time::Nanos;
use crate::trace::{MarkerKind, NONE, ThreadState};
use crossbeam::channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Events per batch.
pub const BATCH: usize = 1024;
/// Events a thread may hold while the channel is full before it waits for room.
pub const MAX_LOCAL: usize = 64 * BATCH;

/// The run's clock: raw time-stamp-counter readings, converted to nanoseconds since the start
/// only by the collector.
#[derive(Debug, Clone)]
pub struct RunClock {
    clock: quanta::Clock,
    start: u64,
}

impl RunClock {
    /// A clock whose zero is now.
    pub fn start() -> Self {
        let clock = quanta::Clock::new();
        let start = clock.raw();
        Self { clock, start }
    }

    /// A raw reading (monotonic on machines with an invariant TSC, else the OS clock).
    pub fn raw(&self) -> u64 {
        self.clock.raw()
    }

    /// Nanoseconds from the start to raw reading `raw` (0 for readings before it).
    pub fn nanos(&self, raw: u64) -> Nanos {
        self.clock.delta_as_nanos(self.start, raw)
    }

    /// Nanoseconds since the start.
    pub fn now(&self) -> Nanos {
        self.nanos(self.raw())
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// The thread's lane is in this state from now on, with its `other` party.
    State(ThreadState, u32),
    /// Bytecodes executed since the last state change (they belong to the current span).
    Bytecodes(u64),
    /// The thread took the GIL.
    GilAcquired,
    /// The thread released the GIL.
    GilReleased,
    /// An instant marker: kind, thread, other.
    Mark(MarkerKind, u32, u32),
    /// The thread started.
    Started,
    /// The thread finished its program.
    Finished,
}

/// A stamped change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When, as a raw [`RunClock`] reading.
    pub raw: u64,
    /// What.
    pub what: What,
}

/// Events of one thread, in time order, with its watermark.
#[derive(Debug)]
pub struct Batch {
    /// The thread that recorded them.
    pub thread: u32,
    /// The events.
    pub events: Vec<Event>,
    /// The thread records nothing earlier than this from now on (raw reading).
    pub watermark: u64,
}

/// The ends of the channels a recorder needs.
#[derive(Debug, Clone)]
pub struct Link {
    /// Where batches go (bounded).
    pub batches: Sender<Batch>,
    /// Emptied buffers coming back for reuse.
    pub spare: Receiver<Vec<Event>>,
    /// Set while the thread is blocked (or not running) with nothing unsent.
    pub parked: Arc<AtomicBool>,
}

/// One thread's recorder.
#[derive(Debug)]
pub struct Recorder {
    thread: u32,
    clock: RunClock,
    buffer: Vec<Event>,
    last: u64,
    bytecodes: u64,
    after_release: (ThreadState, u32),
    link: Link,
}

impl Recorder {
    /// A recorder for thread `thread`.
    pub fn new(thread: u32, clock: RunClock, link: Link) -> Self {
        Self {
            thread,
            clock,
            buffer: Vec::with_capacity(BATCH),
            last: 0,
            bytecodes: 0,
            after_release: (ThreadState::WaitingGil, NONE),
            link,
        }
    }

    /// The thread recorded for.
    pub fn thread(&self) -> u32 {
        self.thread
    }

    /// The run's clock.
    pub fn clock(&self) -> &RunClock {
        &self.clock
    }

    /// A reading no earlier than any this thread has used.
    #[inline]
    pub fn stamp(&mut self) -> u64 {
        self.last = self.clock.raw().max(self.last);
        self.last
    }

    /// Events waiting to be sent.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }

    #[inline]
    fn push(&mut self, raw: u64, what: What) {
        self.last = self.last.max(raw);
        self.buffer.push(Event { raw, what });
        if self.buffer.len() >= BATCH {
            self.try_flush();
        }
    }

    fn push_bytecodes(&mut self, raw: u64) {
        if self.bytecodes > 0 {
            let n = std::mem::take(&mut self.bytecodes);
            self.push(raw, What::Bytecodes(n));
        }
    }

    /// Counts bytecodes executed in the current state.
    #[inline]
    pub fn add_bytecodes(&mut self, n: u64) {
        self.bytecodes += n;
    }

    /// The thread is in `state` (with `other`) from now on. Returns the stamp.
    #[inline]
    pub fn state(&mut self, state: ThreadState, other: u32) -> u64 {
        let at = self.stamp();
        self.state_at(at, state, other);
        at
    }

    fn state_at(&mut self, at: u64, state: ThreadState, other: u32) {
        self.push_bytecodes(at);
        self.push(at, What::State(state, other));
    }

    /// The state the thread enters when it next releases the GIL, stamped with the release
    /// itself (inside the GIL's critical section, so its holding span never overlaps the next
    /// holder's).
    pub fn set_after_release(&mut self, state: ThreadState, other: u32) {
        self.after_release = (state, other);
    }

    /// An instant marker.
    pub fn mark(&mut self, kind: MarkerKind, thread: u32, other: u32) {
        let at = self.stamp();
        self.push(at, What::Mark(kind, thread, other));
    }

    /// The thread starts (call [`Recorder::unpark`] first).
    pub fn started(&mut self) {
        let at = self.stamp();
        self.push(at, What::Started);
    }

    /// The thread finished its program: it is [`ThreadState::Done`]. Returns the stamp.
    pub fn finished(&mut self) -> u64 {
        let at = self.state(ThreadState::Done, NONE);
        self.push(at, What::Finished);
        at
    }

    /// Sends the buffer if the channel has room; returns whether nothing is left unsent.
    pub fn try_flush(&mut self) -> bool {
        if self.link.batches.is_full() {
            return false;
        }
        let watermark = self.stamp();
        let fresh = self
            .link
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let events = std::mem::replace(&mut self.buffer, fresh);
        match self.link.batches.try_send(Batch {
            thread: self.thread,
            events,
            watermark,
        }) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => true,
            Err(TrySendError::Full(batch)) => {
                self.buffer = batch.events;
                false
            }
        }
    }

    /// Sends the buffer, waiting for room in the channel until `give_up` says to stop; returns
    /// whether nothing is left unsent. Never call it with a lock held that the collector's side
    /// may need.
    pub fn flush_wait(&mut self, give_up: impl Fn() -> bool) -> bool {
        let watermark = self.stamp();
        let events = std::mem::take(&mut self.buffer);
        let mut batch = Batch {
            thread: self.thread,
            events,
            watermark,
        };
        loop {
            match self
                .link
                .batches
                .send_timeout(batch, Duration::from_millis(10))
            {
                Ok(()) | Err(SendTimeoutError::Disconnected(_)) => return true,
                Err(SendTimeoutError::Timeout(back)) => {
                    if give_up() {
                        self.buffer = back.events;
                        return false;
                    }
                    batch = back;
                }
            }
        }
    }

    /// Before blocking: sends what is recorded and, if that worked, marks the thread parked.
    pub fn park(&mut self) {
        self.push_bytecodes(self.last);
        if self.try_flush() {
            self.link.parked.store(true, Ordering::SeqCst);
        }
    }

    /// After blocking, before stamping anything: the thread runs again.
    #[inline]
    pub fn unpark(&mut self) {
        self.link.parked.store(false, Ordering::SeqCst);
    }
}

impl Drop for Recorder {
    /// The thread is leaving: sends everything (for at most two seconds) and parks for good.
    fn drop(&mut self) {
        let at = self.stamp();
        self.push_bytecodes(at);
        let deadline = Instant::now() + Duration::from_secs(2);
        if self.flush_wait(|| Instant::now() >= deadline) {
            self.link.parked.store(true, Ordering::SeqCst);
        }
    }
}

impl GilHooks for Recorder {
    fn stamp(&mut self) -> u64 {
        Recorder::stamp(self)
    }

    fn waiting(&mut self, at: u64, holder: u32) {
        self.state_at(at, ThreadState::WaitingGil, holder);
    }

    fn drop_requested(&mut self, at: u64, holder: u32) {
        self.push(at, What::Mark(MarkerKind::DropRequest, holder, self.thread));
    }

    fn acquired(&mut self, at: u64, previous: u32) {
        self.push(at, What::GilAcquired);
        if previous != self.thread {
            self.push(at, What::Mark(MarkerKind::Handoff, previous, self.thread));
        }
        self.state_at(at, ThreadState::Running, NONE);
    }

    fn released(&mut self, at: u64) {
        self.push(at, What::GilReleased);
        let (state, other) = self.after_release;
        self.state_at(at, state, other);
    }

    fn forced_off(&mut self, at: u64, requester: u32) {
        self.push(
            at,
            What::Mark(MarkerKind::ForcedSwitch, self.thread, requester),
        );
        self.state_at(at, ThreadState::ForcedOff, requester);
    }

    fn park(&mut self) {
        Recorder::park(self);
    }

    fn unpark(&mut self) {
        Recorder::unpark(self);
    }
}
