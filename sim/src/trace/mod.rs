//! The trace of a run: per-lane sorted spans `(start, end, state)` plus instant markers.
//!
//! Lanes: one per thread (its [`ThreadState`]), one for the GIL (who holds it), one per core
//! (which thread occupies it). Engines write a trace through [`Trace::set`]; consumers read
//! closed spans plus the open span of each lane. A live view receives [`TraceDelta`]s.

mod delta;
mod state;
mod store;

pub use delta::{DeltaCursor, LaneDelta, TraceDelta};
pub use state::{StateInfo, ThreadState};
pub use store::{NewSpans, SpanStore};

use crate::meta::RunMeta;
use crate::time::Nanos;
use serde::Serialize;
use std::ops::Range;

/// A thread's index in the run (0-based, in [`Trace::threads`] order).
pub type ThreadId = u32;

/// "No thread" / "no value" in a span's or marker's `other` field.
pub const NONE: u32 = u32::MAX;

/// On an I/O span, an `other` of this or more: an asyncio task awaiting an executor's job
/// (`run_in_executor`), not an I/O call; the await's number modulo 2 is added to it.
pub const EXECUTOR_AWAIT: u32 = 2;

/// On an I/O span, an `other` of this or this plus one: a runtime's own message (a pool's
/// worker writing its chunk's results back to the parent), not an I/O call of the program; the
/// call's number modulo 2 is added to it.
pub const RUNTIME_MESSAGE: u32 = 4;

/// One interval of one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Start, inclusive.
    pub start: Nanos,
    /// End, exclusive.
    pub end: Nanos,
    /// Bytecodes executed during the span (thread and core lanes).
    pub bytecodes: u64,
    /// Per lane: on a thread lane, the GIL holder a waiter waits for, the thread that forced a
    /// switch, the lock blocked on, the thread an old-GIL release signals, or an I/O call's
    /// number modulo 2 (a C call "without the GIL" whose `other` is the thread itself is not
    /// the program's work: a real C call's time past its calibrated length; an I/O span whose
    /// `other` is [`EXECUTOR_AWAIT`] or one more is an asyncio task awaiting an executor's job,
    /// one whose `other` is [`RUNTIME_MESSAGE`] or one more a pool writing its results); on the
    /// GIL and core lanes, the occupying thread.
    pub other: u32,
    /// The state (on the GIL lane always [`ThreadState::Running`]).
    pub state: ThreadState,
}

impl Span {
    /// `end - start`.
    pub fn duration(&self) -> Nanos {
        self.end - self.start
    }

    /// Whether it is an asyncio task awaiting an executor's job (shown as I/O, not a call).
    pub fn awaits_executor(&self) -> bool {
        self.state == ThreadState::Io && (EXECUTOR_AWAIT..EXECUTOR_AWAIT + 2).contains(&self.other)
    }

    /// Whether it is a runtime's own message ([`RUNTIME_MESSAGE`]), not the program's I/O.
    pub fn runtime_message(&self) -> bool {
        self.state == ThreadState::Io
            && (RUNTIME_MESSAGE..RUNTIME_MESSAGE + 2).contains(&self.other)
    }
}

/// What an instant marker records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// A waiter's timed wait expired with no switch: it set the holder's drop request.
    /// `thread` = the holder, `other` = the waiter that asked.
    DropRequest,
    /// The GIL changed hands: `thread` = previous holder (or [`NONE`]), `other` = new holder.
    Handoff,
    /// The holder noticed a drop request and released the GIL: `thread` = the holder.
    ForcedSwitch,
    /// A thread acquired a lock: `other` = the lock.
    LockAcquired,
    /// A thread released a lock: `other` = the lock.
    LockReleased,
    /// A thread found a lock held and blocked: `other` = the lock.
    LockBlocked,
    /// Old GIL: a woken thread found the GIL taken again and went back to sleep (`other` = the
    /// holder): a wake-up for nothing.
    FutileWakeup,
}

/// An instant event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Marker {
    /// When.
    pub time: Nanos,
    /// What.
    pub kind: MarkerKind,
    /// The thread it concerns.
    pub thread: u32,
    /// The second party (see [`MarkerKind`]).
    pub other: u32,
}

/// A lane: closed spans sorted by start and non-overlapping, plus the span in progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lane {
    /// Finished spans, stored packed (16 bytes each).
    pub spans: SpanStore,
    /// The span in progress; its `end` is the trace's `now`.
    pub open: Option<Span>,
}

impl Lane {
    /// Indices of the closed spans that overlap `[from, to)`, found by binary search.
    pub fn visible(&self, from: Nanos, to: Nanos) -> Range<usize> {
        let first = self.spans.partition_point(|s| s.end <= from);
        let last = self.spans.partition_point(|s| s.start < to);
        first..last.max(first)
    }

    /// All spans including the open one (cut at `now`).
    pub fn all(&self, now: Nanos) -> impl Iterator<Item = Span> + Clone + '_ {
        self.spans.iter().chain(self.open.map(|mut s| {
            s.end = now.max(s.start);
            s
        }))
    }

    /// The span covering time `t`, if any.
    pub fn at(&self, t: Nanos, now: Nanos) -> Option<Span> {
        let i = self.spans.partition_point(|s| s.end <= t);
        match self.spans.get(i) {
            Some(s) if s.start <= t => Some(s),
            _ => self.open.filter(|s| s.start <= t && t <= now).map(|mut s| {
                s.end = now;
                s
            }),
        }
    }
}

/// Which lane of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaneId {
    /// A thread's state lane.
    Thread(ThreadId),
    /// The GIL holder lane.
    Gil,
    /// A core's occupancy lane.
    Core(u32),
}

/// The final value of a shared counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterResult {
    /// The counter's name.
    pub name: String,
    /// Increments performed.
    pub expected: u64,
    /// The value at the end.
    pub actual: u64,
    /// `expected - actual`: updates lost to races.
    pub lost: u64,
}

/// A store of `counter += 1` that wrote back a stale value: its thread loaded the counter,
/// other threads stored to it before this thread's store, and the store overwrote their work
/// (the lost update of `gil-model.md` section 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleStore {
    /// The counter (index into [`RunMeta::counters`]).
    pub counter: u32,
    /// The thread that loaded and later stored.
    pub thread: ThreadId,
    /// When it loaded (`LOAD_GLOBAL`).
    pub load: Nanos,
    /// When it stored (`STORE_GLOBAL`).
    pub store: Nanos,
    /// The value it loaded; it stores this plus one.
    pub loaded: u64,
    /// The value in memory just before its store.
    pub overwritten: u64,
    /// The stores other threads made between the load and this store, per thread, in thread
    /// order: whose increments it erased.
    pub others: Vec<(ThreadId, u64)>,
}

impl StaleStore {
    /// The increments this store erased (`overwritten - loaded`, when the value had moved on;
    /// 0 when an earlier stale store had set it back below what this thread loaded).
    pub fn erased(&self) -> u64 {
        self.overwritten.saturating_sub(self.loaded)
    }

    /// The value it stored.
    pub fn stored(&self) -> u64 {
        self.loaded + 1
    }
}

/// A thread's identity and lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadInfo {
    /// `name` or `name-K`.
    pub name: String,
    /// Index of its group in the scenario; one past the last group for an asyncio executor's
    /// worker, which belongs to none.
    pub group: usize,
    /// When it started.
    pub started: Option<Nanos>,
    /// When it finished its program, if it did.
    pub finished: Option<Nanos>,
}

impl ThreadInfo {
    /// A thread of `group` that has not started yet.
    pub fn new(name: impl Into<String>, group: usize) -> Self {
        Self {
            name: name.into(),
            group,
            started: None,
            finished: None,
        }
    }

    /// The same thread, started at `time`.
    #[must_use]
    pub fn started_at(mut self, time: Nanos) -> Self {
        self.started = Some(time);
        self
    }
}

/// Everything a run produced, and what the run was.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The run this trace describes: scenario, engine, settings, names.
    pub meta: RunMeta,
    /// Threads, indexed by [`ThreadId`].
    pub threads: Vec<ThreadInfo>,
    /// One lane per thread.
    pub thread_lanes: Vec<Lane>,
    /// Who holds the GIL (empty when free, and always empty without a GIL).
    pub gil: Lane,
    /// One lane per core.
    pub cores: Vec<Lane>,
    /// Instant markers, in time order.
    pub markers: Vec<Marker>,
    /// Shared counters, once the run has ended.
    pub counters: Vec<CounterResult>,
    /// Every stale store of the shared counters, by counter and store time, once the run has
    /// ended (the simulator replays the loads and stores at the end; other engines leave it
    /// empty).
    pub stale_stores: Vec<StaleStore>,
    /// How far the trace reaches.
    pub now: Nanos,
    /// Whether the run has ended.
    pub finished: bool,
    /// Whether it was stopped before its end (Ctrl+C, a stop button): the numbers cover only
    /// the part that ran.
    pub interrupted: bool,
    /// Warnings the interpreter printed, with when (e.g. the GIL being re-enabled).
    pub warnings: Vec<(Nanos, String)>,
}

impl Trace {
    /// An empty trace of the run `meta`, for these threads and cores.
    pub fn new(meta: RunMeta, threads: Vec<ThreadInfo>, cores: u32) -> Self {
        Self {
            meta,
            thread_lanes: vec![Lane::default(); threads.len()],
            threads,
            gil: Lane::default(),
            cores: vec![Lane::default(); cores as usize],
            markers: Vec::new(),
            counters: Vec::new(),
            stale_stores: Vec::new(),
            now: 0,
            finished: false,
            interrupted: false,
            warnings: Vec::new(),
        }
    }

    /// An empty trace of the same run, with no threads or cores: what is left behind when a
    /// trace is taken out of its engine.
    #[must_use]
    pub fn placeholder(&self) -> Self {
        Self::new(self.meta.clone(), Vec::new(), 0)
    }

    /// A lane by id.
    pub fn lane(&self, id: LaneId) -> &Lane {
        match id {
            LaneId::Thread(t) => &self.thread_lanes[t as usize],
            LaneId::Gil => &self.gil,
            LaneId::Core(c) => &self.cores[c as usize],
        }
    }

    #[inline]
    fn lane_mut(&mut self, id: LaneId) -> &mut Lane {
        match id {
            LaneId::Thread(t) => &mut self.thread_lanes[t as usize],
            LaneId::Gil => &mut self.gil,
            LaneId::Core(c) => &mut self.cores[c as usize],
        }
    }

    /// From `time` on, lane `id` is in `state` (with `other`); `None` leaves it empty.
    /// Closes the span in progress. Setting the same state and `other` again continues it.
    /// Always inlined: its callers name the lane's kind and often the state, which then fold.
    #[expect(
        clippy::inline_always,
        reason = "measured: callgrind counts fewer instructions inlined"
    )]
    #[inline(always)]
    pub fn set(&mut self, id: LaneId, time: Nanos, next: Option<(ThreadState, u32)>) {
        self.now = self.now.max(time);
        let lane = self.lane_mut(id);
        if let Some(open) = lane.open {
            if next == Some((open.state, open.other)) {
                return;
            }
            // An I/O call (numbered in `other`) that took no time is kept: it was a call.
            let call =
                matches!(open.state, ThreadState::Io | ThreadState::Syscall) && open.other != NONE;
            if time > open.start || call {
                lane.spans.push(Span { end: time, ..open });
            } else if open.bytecodes > 0 {
                // A zero-length span that did work cannot happen; keep its count anyway.
                lane.spans.add_to_last(open.bytecodes);
            }
        }
        lane.open = next.map(|(state, other)| Span {
            start: time,
            end: time,
            bytecodes: 0,
            other,
            state,
        });
    }

    /// Adds executed bytecodes to the span in progress of lane `id`.
    pub fn add_bytecodes(&mut self, id: LaneId, bytecodes: u64) {
        if let Some(open) = self.lane_mut(id).open.as_mut() {
            open.bytecodes += bytecodes;
        }
    }

    /// Records a marker (markers must arrive in time order).
    pub fn mark(&mut self, time: Nanos, kind: MarkerKind, thread: u32, other: u32) {
        self.markers.push(Marker {
            time,
            kind,
            thread,
            other,
        });
    }

    /// Ends the run at `end`: closes every span in progress.
    pub fn close(&mut self, end: Nanos) {
        self.now = self.now.max(end);
        let ids: Vec<LaneId> = self.lane_ids().collect();
        for id in ids {
            let lane = self.lane_mut(id);
            if let Some(open) = lane.open.take()
                && end > open.start
            {
                lane.spans.push(Span { end, ..open });
            }
        }
        self.finished = true;
    }

    /// Every lane id: threads, then the GIL, then cores.
    pub fn lane_ids(&self) -> impl Iterator<Item = LaneId> + use<> {
        let threads = self.thread_lanes.len() as u32;
        let cores = self.cores.len() as u32;
        (0..threads)
            .map(LaneId::Thread)
            .chain(std::iter::once(LaneId::Gil))
            .chain((0..cores).map(LaneId::Core))
    }

    /// The thread's name, or `"—"` for [`NONE`].
    pub fn thread_name(&self, id: u32) -> &str {
        self.threads
            .get(id as usize)
            .map_or("—", |t| t.name.as_str())
    }

    /// Total spans held (closed plus open), for memory accounting.
    pub fn span_count(&self) -> usize {
        self.lane_ids()
            .map(|id| {
                let l = self.lane(id);
                l.spans.len() + usize::from(l.open.is_some())
            })
            .sum()
    }

    /// Bytes the trace's growing parts take (spans, markers and warnings, as allocated): what
    /// the memory budget counts. Computed from the storage itself, so it stays true when that
    /// storage changes.
    pub fn heap_bytes(&self) -> usize {
        let lanes = self
            .thread_lanes
            .iter()
            .chain(std::iter::once(&self.gil))
            .chain(&self.cores);
        let spans: usize = lanes.map(|l| l.spans.heap_bytes()).sum();
        let warnings: usize = self
            .warnings
            .iter()
            .map(|(_, w)| w.capacity() + std::mem::size_of::<(Nanos, String)>())
            .sum();
        spans + self.markers.capacity() * std::mem::size_of::<Marker>() + warnings
    }

    /// Appends a delta produced by [`DeltaCursor::take`] from another copy of the trace.
    pub fn apply(&mut self, delta: TraceDelta) {
        for (lane, new) in self
            .thread_lanes
            .iter_mut()
            .chain(std::iter::once(&mut self.gil))
            .chain(self.cores.iter_mut())
            .zip(delta.lanes)
        {
            lane.spans.append(new.spans);
            lane.open = new.open;
        }
        self.markers.extend(delta.markers);
        self.warnings.extend(delta.warnings);
        for (info, new) in self.threads.iter_mut().zip(delta.threads) {
            *info = new;
        }
        self.now = self.now.max(delta.now);
        if let Some(counters) = delta.counters {
            self.counters = counters;
        }
        if let Some(stale) = delta.stale_stores {
            self.stale_stores = stale;
        }
        self.finished = delta.finished;
        if delta.observation.is_some() {
            self.meta.observation = delta.observation;
        }
    }
}

/// Hand-built traces for the library's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{ThreadInfo, Trace};
    use crate::meta::{EngineKind, RunMeta};

    /// A thread of group 0 started at time 0.
    pub fn info(name: &str) -> ThreadInfo {
        ThreadInfo::new(name, 0).started_at(0)
    }

    /// An empty trace with no scenario behind it, at the default settings.
    pub fn untitled(threads: Vec<ThreadInfo>, cores: u32) -> Trace {
        let config = crate::model::Overrides::default().resolve().unwrap();
        Trace::new(RunMeta::untitled(EngineKind::Sim, &config), threads, cores)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{info, untitled as trace};
    use super::*;

    #[test]
    fn every_state_has_its_own_descriptor() {
        for (i, state) in ThreadState::ALL.into_iter().enumerate() {
            assert_eq!(state as usize, i, "ALL is in declaration order");
            assert_eq!(
                state.info().state,
                state,
                "STATE_INFO is in ThreadState order"
            );
        }
        let mut names: Vec<&str> = ThreadState::ALL.iter().map(|s| s.label()).collect();
        let mut shorts: Vec<&str> = ThreadState::ALL.iter().map(|s| s.info().short).collect();
        names.sort_unstable();
        names.dedup();
        shorts.sort_unstable();
        shorts.dedup();
        assert_eq!(
            (names.len(), shorts.len()),
            (ThreadState::ALL.len(), ThreadState::ALL.len())
        );
    }

    #[test]
    fn set_closes_spans_and_merges_repeats() {
        let mut t = trace(vec![info("a")], 1);
        let a = LaneId::Thread(0);
        t.set(a, 0, Some((ThreadState::Running, NONE)));
        t.add_bytecodes(a, 10);
        t.set(a, 5, Some((ThreadState::Running, NONE)));
        t.add_bytecodes(a, 10);
        t.set(a, 10, Some((ThreadState::Io, NONE)));
        t.set(a, 10, Some((ThreadState::WaitingGil, 3)));
        t.close(20);
        let spans = t.thread_lanes[0].spans.to_vec();
        assert_eq!(spans.len(), 2);
        assert_eq!(
            (spans[0].start, spans[0].end, spans[0].bytecodes),
            (0, 10, 20)
        );
        assert_eq!(
            (spans[1].state, spans[1].other, spans[1].end),
            (ThreadState::WaitingGil, 3, 20)
        );
    }

    #[test]
    fn visible_range_finds_overlaps_by_binary_search() {
        let mut lane = Lane::default();
        for i in 0..10 {
            lane.spans.push(Span {
                start: i * 10,
                end: i * 10 + 10,
                bytecodes: 0,
                other: NONE,
                state: ThreadState::Running,
            });
        }
        assert_eq!(lane.visible(15, 35), 1..4);
        assert_eq!(lane.visible(0, 10), 0..1);
        assert_eq!(lane.visible(200, 300), 10..10);
        assert_eq!(lane.at(42, 100).map(|s| s.start), Some(40));
    }

    #[test]
    fn deltas_rebuild_the_same_trace() {
        let mut source = trace(vec![info("a")], 1);
        let mut copy = source.clone();
        let mut cursor = DeltaCursor::default();
        for step in 0..20u64 {
            let state = if step % 2 == 0 {
                ThreadState::Running
            } else {
                ThreadState::WaitingGil
            };
            source.set(LaneId::Thread(0), step * 7, Some((state, NONE)));
            source.set(
                LaneId::Gil,
                step * 7,
                (step % 2 == 0).then_some((ThreadState::Running, 0)),
            );
            source.mark(step * 7, MarkerKind::Handoff, NONE, 0);
            if step % 3 == 0 {
                copy.apply(cursor.take(&source));
            }
        }
        source.close(200);
        copy.apply(cursor.take(&source));
        assert_eq!(copy, source);
    }
}
