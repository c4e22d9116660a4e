//! The collector: receives the threads' batches, merges them by time and builds the same
//! [`Trace`] the simulator builds (thread lanes, the GIL lane, core lanes, markers), so every
//! view and every statistic works unchanged.
//!
//! Batches arrive out of global order. An event is applied only once no thread can still
//! record an earlier one: every thread's watermark (the last batch's, or "now" for a parked
//! thread) has passed it. Events merge by raw clock reading; the GIL stamps its events with
//! strictly increasing readings, so the holder lane never overlaps.

use super::gil::{FLUSH, Gil};
use super::record::{Batch, Event, RunClock, What};
use crate::engine::SimError;
use crate::time::{MS, Nanos, format_nanos};
use crate::trace::{LaneId, ThreadState, Trace};
use crossbeam::channel::{Receiver, Sender};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A running thread that has sent nothing for this long is asked to flush.
const FLUSH_AFTER: Nanos = 2 * MS;

/// Which thread each core lane shows. A thread on a core (running bytecode or C code) claims
/// the core it is pinned to, or else the first free one; when several claim one core (more
/// threads than cores: the OS time-slices them), the lane shows the earliest claimant.
#[derive(Debug)]
struct CoreMap {
    pinned: Option<Vec<u32>>,
    claim: Vec<Option<u32>>,
    last: Vec<Option<u32>>,
    state: Vec<ThreadState>,
    claimants: Vec<Vec<u32>>,
}

impl CoreMap {
    fn new(threads: usize, cores: usize, pinned: Option<Vec<u32>>) -> Self {
        Self {
            pinned,
            claim: vec![None; threads],
            last: vec![None; threads],
            state: vec![ThreadState::Runnable; threads],
            claimants: vec![Vec::new(); cores],
        }
    }

    /// The core whose lane shows thread `t`, if any.
    fn shown(&self, t: u32) -> Option<u32> {
        self.claim[t as usize].filter(|&c| self.claimants[c as usize].first() == Some(&t))
    }

    fn update(&mut self, trace: &mut Trace, t: u32, time: Nanos, state: ThreadState) {
        let i = t as usize;
        self.state[i] = state;
        if state.on_core() {
            if self.claim[i].is_none() {
                let core = match &self.pinned {
                    Some(pinned) => Some(pinned[i]),
                    None => self.last[i]
                        .filter(|&c| self.claimants[c as usize].is_empty())
                        .or_else(|| {
                            (0..self.claimants.len() as u32)
                                .find(|&c| self.claimants[c as usize].is_empty())
                        }),
                };
                if let Some(c) = core {
                    self.claim[i] = Some(c);
                    self.claimants[c as usize].push(t);
                }
            }
            if let Some(c) = self.shown(t) {
                trace.set(LaneId::Core(c), time, Some((state, t)));
            }
        } else if let Some(c) = self.claim[i].take() {
            self.last[i] = Some(c);
            let claimants = &mut self.claimants[c as usize];
            let was_shown = claimants.first() == Some(&t);
            claimants.retain(|&x| x != t);
            if was_shown {
                let next = claimants.first().map(|&n| (self.state[n as usize], n));
                trace.set(LaneId::Core(c), time, next);
            }
        }
    }
}

/// Builds the trace of a live run from its threads' batches.
#[derive(Debug)]
pub struct Collector {
    batches: Receiver<Batch>,
    spare: Sender<Vec<Event>>,
    clock: RunClock,
    queues: Vec<VecDeque<Event>>,
    watermarks: Vec<u64>,
    trace: Trace,
    cores: CoreMap,
    /// Per thread: a state change after the end was dropped, so later bytecodes are not its.
    cut: Vec<bool>,
    max_spans: usize,
    over_budget: bool,
}

impl Collector {
    /// A collector filling `trace` (threads and core lanes already laid out). `pinned` maps
    /// each thread to its core lane when threads are pinned.
    pub fn new(
        trace: Trace,
        clock: RunClock,
        batches: Receiver<Batch>,
        spare: Sender<Vec<Event>>,
        pinned: Option<Vec<u32>>,
        max_spans: usize,
    ) -> Self {
        let threads = trace.threads.len();
        Self {
            batches,
            spare,
            clock,
            queues: vec![VecDeque::new(); threads],
            watermarks: vec![0; threads],
            cores: CoreMap::new(threads, trace.cores.len(), pinned),
            cut: vec![false; threads],
            trace,
            max_spans,
            over_budget: false,
        }
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Takes the trace out (at the end of a run).
    pub fn take_trace(&mut self) -> Trace {
        let empty = self.trace.placeholder();
        std::mem::replace(&mut self.trace, empty)
    }

    fn receive(&mut self) {
        while let Ok(mut batch) = self.batches.try_recv() {
            let t = batch.thread as usize;
            self.queues[t].extend(batch.events.drain(..));
            self.watermarks[t] = self.watermarks[t].max(batch.watermark);
            // Hand the buffer back for reuse; if nobody wants it now, free it.
            let _ = self.spare.try_send(batch.events);
        }
    }

    /// Receives what has been sent and applies every event no thread can still precede; asks
    /// threads that have sent nothing for a while to flush. `end` (when the run's end is
    /// known) cuts what comes after. Fails (once) when the trace outgrows its span budget.
    pub fn collect(
        &mut self,
        parked: &[Arc<AtomicBool>],
        gil: &Gil,
        end: Option<Nanos>,
    ) -> Result<(), SimError> {
        // Read the clock and the parked flags before receiving: a thread seen parked has sent
        // everything it recorded, and will stamp nothing before this reading.
        let now = self.clock.raw();
        let parked: Vec<bool> = parked.iter().map(|p| p.load(Ordering::SeqCst)).collect();
        self.receive();
        let mut limit = u64::MAX;
        let now_ns = self.clock.nanos(now);
        for (t, &is_parked) in parked.iter().enumerate() {
            let mark = if is_parked {
                self.watermarks[t].max(now)
            } else {
                self.watermarks[t]
            };
            limit = limit.min(mark);
            if !is_parked
                && now_ns.saturating_sub(self.clock.nanos(self.watermarks[t])) > FLUSH_AFTER
            {
                gil.breaker(t as u32).fetch_or(FLUSH, Ordering::Relaxed);
            }
        }
        self.apply_until(limit, end);
        let reached = self.clock.nanos(limit).min(end.unwrap_or(Nanos::MAX));
        if limit != u64::MAX {
            self.trace.now = self.trace.now.max(reached);
        }
        if !self.over_budget && self.trace.span_count() > self.max_spans {
            self.over_budget = true;
            return Err(SimError::TooLarge {
                limit: crate::format::count(self.max_spans as u64),
                at: format_nanos(self.trace.now),
                // Real threads switch on their own: only a shorter run records less.
                advice: "shorten the duration",
            });
        }
        Ok(())
    }

    /// After every thread has ended: applies everything left, closes the trace at `end` and
    /// stores the counters.
    pub fn finish(&mut self, end: Nanos, counters: Vec<crate::trace::CounterResult>) {
        self.receive();
        self.apply_until(u64::MAX, Some(end));
        // While streaming, `now` may have run past the end before the end was known.
        self.trace.now = self.trace.now.min(end);
        self.trace.close(end);
        self.trace.counters = counters;
    }

    /// Applies, in time order, every queued event stamped at or before `limit`.
    fn apply_until(&mut self, limit: u64, end: Option<Nanos>) {
        let mut heads: BinaryHeap<Reverse<(u64, u32)>> = self
            .queues
            .iter()
            .enumerate()
            .filter_map(|(t, q)| {
                q.front()
                    .filter(|e| e.raw <= limit)
                    .map(|e| Reverse((e.raw, t as u32)))
            })
            .collect();
        while let Some(Reverse((_, t))) = heads.pop() {
            let Some(event) = self.queues[t as usize].pop_front() else {
                continue;
            };
            self.apply(t, event, end);
            if let Some(next) = self.queues[t as usize].front().filter(|e| e.raw <= limit) {
                heads.push(Reverse((next.raw, t)));
            }
        }
    }

    fn apply(&mut self, t: u32, event: Event, end: Option<Nanos>) {
        let time = self.clock.nanos(event.raw);
        let lane = LaneId::Thread(t);
        if end.is_some_and(|end| time > end) {
            // After the end only the bytecodes of the span still open at the end count.
            match event.what {
                What::Bytecodes(n) if !self.cut[t as usize] => self.add_bytecodes(t, n),
                What::State(..) => self.cut[t as usize] = true,
                _ => {}
            }
            return;
        }
        match event.what {
            What::State(state, other) => {
                self.trace.set(lane, time, Some((state, other)));
                self.cores.update(&mut self.trace, t, time, state);
            }
            What::Bytecodes(n) => self.add_bytecodes(t, n),
            What::GilAcquired => self
                .trace
                .set(LaneId::Gil, time, Some((ThreadState::Running, t))),
            What::GilReleased => self.trace.set(LaneId::Gil, time, None),
            What::Mark(kind, thread, other) => self.trace.mark(time, kind, thread, other),
            What::Started => self.trace.threads[t as usize].started = Some(time),
            What::Finished => self.trace.threads[t as usize].finished = Some(time),
        }
    }

    fn add_bytecodes(&mut self, t: u32, n: u64) {
        self.trace.add_bytecodes(LaneId::Thread(t), n);
        if let Some(c) = self.cores.shown(t) {
            self.trace.add_bytecodes(LaneId::Core(c), n);
        }
    }
}
