//! The run's events in order, each with a caption in `CPython`'s terms: drop requests,
//! forced switches, handoffs, blocking calls starting and ending, lock waits, acquisitions and
//! releases, the old GIL's futile wake-ups, and the counter loads that a later stale store
//! turns into lost updates. Built from the trace alone (its markers, its thread lanes, its
//! stale stores and [`crate::RunMeta`]'s names), so the app's step captions, its event log
//! and any other reader tell the same story.
//!
//! [`EventLog`] keeps the list up to date as a trace grows, reading only what is new, and
//! rebuilds it when the trace was replaced (a restart, a replay).

use crate::model::Model;
use crate::names::named_enum;
use crate::time::{Nanos, format_nanos};
use crate::trace::{Lane, Marker, MarkerKind, NONE, Span, ThreadId, ThreadState, Trace};
use std::fmt::Write as _;

named_enum! {
    /// What happened, in the order the event log's filters list them.
    pub enum EventKind ("event kind") {
        /// A waiter's timed wait on `cond` expired with no switch: it set the holder's drop
        /// request.
        DropRequest = "drop-request",
        /// The holder saw the drop request at a check point and dropped the GIL.
        ForcedSwitch = "forced-switch",
        /// A thread took the GIL.
        Handoff = "handoff",
        /// A thread entered a blocking call (I/O or sleep), releasing the GIL.
        IoStart = "io-start",
        /// A blocking call returned: the thread wants the GIL back.
        IoEnd = "io-end",
        /// A thread found a lock held and blocked on it.
        LockWait = "lock-wait",
        /// A thread acquired a lock.
        LockAcquired = "lock-acquired",
        /// A thread released a lock.
        LockReleased = "lock-released",
        /// The old GIL: a woken thread found the GIL taken again.
        FutileWakeup = "futile-wakeup",
        /// A thread loaded a counter that it will later write back stale.
        CounterLoad = "counter-load",
        /// A stale store: the thread wrote back its old value plus one, erasing the others'
        /// increments since its load.
        LostUpdate = "lost-update",
    }
}

// `COUNT` sizes the per-kind tables: it must follow the list.
const _: () = assert!(<EventKind as crate::names::Named>::ALL.len() == EventKind::COUNT);

impl EventKind {
    /// Number of kinds.
    pub const COUNT: usize = 11;

    /// Its place in [`crate::Named::ALL`] (filters, tie-breaks between events at one instant).
    pub fn index(self) -> usize {
        self as usize
    }

    /// A plural label for filters: "drop requests".
    pub fn label(self) -> &'static str {
        match self {
            Self::DropRequest => "drop requests",
            Self::ForcedSwitch => "forced switches",
            Self::Handoff => "GIL handoffs",
            Self::IoStart => "blocking calls starting",
            Self::IoEnd => "blocking calls returning",
            Self::LockWait => "lock waits",
            Self::LockAcquired => "locks acquired",
            Self::LockReleased => "locks released",
            Self::FutileWakeup => "futile wake-ups",
            Self::CounterLoad => "stale loads",
            Self::LostUpdate => "lost updates",
        }
    }

    fn of_marker(kind: MarkerKind) -> Self {
        match kind {
            MarkerKind::DropRequest => Self::DropRequest,
            MarkerKind::ForcedSwitch => Self::ForcedSwitch,
            MarkerKind::Handoff => Self::Handoff,
            MarkerKind::LockBlocked => Self::LockWait,
            MarkerKind::LockAcquired => Self::LockAcquired,
            MarkerKind::LockReleased => Self::LockReleased,
            MarkerKind::FutileWakeup => Self::FutileWakeup,
        }
    }
}

/// One event of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunEvent {
    /// When.
    pub time: Nanos,
    /// What.
    pub kind: EventKind,
    /// The thread it is about: the holder of a drop request or forced switch, the thread that
    /// takes the GIL, calls, waits, loads or stores.
    pub thread: ThreadId,
    /// The second party: the waiter that asked (drop request), the previous holder (handoff,
    /// [`NONE`] when the GIL was free), the lock, the holder (futile wake-up), the stale
    /// store's index in [`Trace::stale_stores`] (counter events); [`NONE`] otherwise.
    pub other: u32,
}

impl RunEvent {
    /// The order of the log: by time, then kind, then threads.
    fn key(&self) -> (Nanos, usize, ThreadId, u32) {
        (self.time, self.kind.index(), self.thread, self.other)
    }

    /// Whether `thread` takes part in it (as its thread, or as the other thread of a drop
    /// request, handoff or futile wake-up).
    pub fn involves(&self, thread: ThreadId) -> bool {
        self.thread == thread
            || (matches!(
                self.kind,
                EventKind::DropRequest | EventKind::Handoff | EventKind::FutileWakeup
            ) && self.other == thread)
    }
}

fn of_marker(m: &Marker) -> RunEvent {
    let kind = EventKind::of_marker(m.kind);
    let (thread, other) = match m.kind {
        // The trace's handoff names the previous holder first; the event is about the taker.
        MarkerKind::Handoff => (m.other, m.thread),
        _ => (m.thread, m.other),
    };
    RunEvent {
        time: m.time,
        kind,
        thread,
        other,
    }
}

/// What [`EventLog`] has read of one thread lane.
#[derive(Debug, Clone, Default, PartialEq)]
struct LaneSeen {
    /// Closed spans read.
    closed: usize,
    /// The last closed span read (to recognise the same lane grown).
    last: Option<Span>,
    /// The start of the open I/O span whose start was logged, if any.
    open_io: Option<Nanos>,
}

/// The events of a trace, in order, kept up to date as the trace grows.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    events: Vec<RunEvent>,
    counts: [usize; EventKind::COUNT],
    markers: usize,
    last_marker: Option<Marker>,
    lanes: Vec<LaneSeen>,
    stale_read: bool,
}

impl EventLog {
    /// The events of `trace`.
    pub fn of(trace: &Trace) -> Self {
        let mut log = Self::default();
        log.update(trace);
        log
    }

    /// Every event so far, in order.
    pub fn events(&self) -> &[RunEvent] {
        &self.events
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Number of events of `kind`.
    pub fn count(&self, kind: EventKind) -> usize {
        self.counts[kind.index()]
    }

    /// Where `event` is in the log, if it is there.
    pub fn position(&self, event: &RunEvent) -> Option<usize> {
        let key = event.key();
        self.events.binary_search_by(|e| e.key().cmp(&key)).ok()
    }

    /// The first event after position `after` (from the start when `None`) that `wanted`
    /// accepts.
    pub fn next_after(
        &self,
        after: Option<usize>,
        wanted: impl Fn(&RunEvent) -> bool,
    ) -> Option<usize> {
        let from = after.map_or(0, |i| i + 1);
        self.events
            .get(from..)?
            .iter()
            .position(wanted)
            .map(|i| from + i)
    }

    /// The last event before position `before` that `wanted` accepts.
    pub fn previous_before(
        &self,
        before: usize,
        wanted: impl Fn(&RunEvent) -> bool,
    ) -> Option<usize> {
        self.events
            .get(..before.min(self.events.len()))?
            .iter()
            .rposition(wanted)
    }

    /// The events in `[from, to)` ns, as a range of positions.
    pub fn between(&self, from: Nanos, to: Nanos) -> std::ops::Range<usize> {
        let a = self.events.partition_point(|e| e.time < from);
        let b = self.events.partition_point(|e| e.time < to);
        a..b.max(a)
    }

    /// Brings the log up to date with `trace`: reads what is new if `trace` grew from what was
    /// read, rebuilds the log if it was replaced. Returns the positions of the new events when
    /// they came after all the others (`None` when the log was rebuilt or re-sorted).
    pub fn update(&mut self, trace: &Trace) -> Option<std::ops::Range<usize>> {
        let grew = self.grew_into(trace);
        if !grew {
            *self = Self::default();
        }
        let mut new = Vec::new();
        for m in &trace.markers[self.markers..] {
            new.push(of_marker(m));
        }
        self.markers = trace.markers.len();
        self.last_marker = trace.markers.last().copied();
        self.lanes
            .resize_with(trace.thread_lanes.len(), LaneSeen::default);
        for (t, (lane, seen)) in trace.thread_lanes.iter().zip(&mut self.lanes).enumerate() {
            read_lane(t as ThreadId, lane, trace, seen, &mut new);
        }
        if !self.stale_read && trace.finished {
            self.stale_read = true;
            for (i, s) in trace.stale_stores.iter().enumerate() {
                if s.erased() == 0 {
                    continue;
                }
                let at = |time, kind| RunEvent {
                    time,
                    kind,
                    thread: s.thread,
                    other: i as u32,
                };
                new.push(at(s.load, EventKind::CounterLoad));
                new.push(at(s.store, EventKind::LostUpdate));
            }
        }
        let before = self.events.len();
        new.sort_unstable_by_key(RunEvent::key);
        for e in &new {
            self.counts[e.kind.index()] += 1;
        }
        let in_order = match (self.events.last(), new.first()) {
            (Some(last), Some(first)) => last.key() <= first.key(),
            _ => true,
        };
        self.events.extend(new);
        if !in_order {
            self.events.sort_unstable_by_key(RunEvent::key);
        }
        (grew && in_order).then_some(before..self.events.len())
    }

    /// Events of `kind` (any kind when `None`) later than `time` (all of them when `None`).
    pub fn count_after(&self, kind: Option<EventKind>, time: Option<Nanos>) -> usize {
        let from = time.map_or(0, |time| self.events.partition_point(|e| e.time <= time));
        self.events[from..]
            .iter()
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .count()
    }

    /// Whether `trace` is the trace last read, or that trace grown.
    fn grew_into(&self, trace: &Trace) -> bool {
        if trace.markers.len() < self.markers
            || (self.markers > 0
                && trace.markers.get(self.markers - 1) != self.last_marker.as_ref())
            || trace.thread_lanes.len() < self.lanes.len()
            || (self.stale_read && !trace.finished)
        {
            return false;
        }
        self.lanes
            .iter()
            .zip(&trace.thread_lanes)
            .all(|(seen, lane)| {
                let closed_same = lane.spans.len() >= seen.closed
                    && (seen.closed == 0 || lane.spans.get(seen.closed - 1) == seen.last);
                // An I/O start logged from the open span must still be there, open or closed.
                let open_same = seen.open_io.is_none_or(|start| {
                    lane.spans
                        .get(seen.closed)
                        .map(|s| s.start)
                        .or(lane.open.map(|s| s.start))
                        == Some(start)
                });
                closed_same && open_same
            })
    }
}

/// Logs the I/O starts and ends of thread `t`'s lane that are new since `seen`.
fn read_lane(
    t: ThreadId,
    lane: &Lane,
    trace: &Trace,
    seen: &mut LaneSeen,
    out: &mut Vec<RunEvent>,
) {
    let io = |time, kind| RunEvent {
        time,
        kind,
        thread: t,
        other: NONE,
    };
    let mut read = seen.closed;
    for (k, span) in (seen.closed..).zip(lane.spans.range(seen.closed..)) {
        if span.state == ThreadState::Io {
            let next = after(lane, k);
            // Whether the call goes on after this span is not known yet: read it later.
            if !trace.finished && next == After::NotYet {
                break;
            }
            if seen.open_io != Some(span.start) && !continues_call(lane, k) {
                out.push(io(span.start, EventKind::IoStart));
            }
            // A run stopped in the middle of a call closes it without a return.
            let goes_on = matches!(next, After::Piece(_));
            if !(goes_on || trace.finished && span.end == trace.now) {
                out.push(io(span.end, EventKind::IoEnd));
            }
        }
        seen.open_io = None;
        read = k + 1;
    }
    seen.closed = read;
    seen.last = read.checked_sub(1).and_then(|i| lane.spans.get(i));
    if read < lane.spans.len() {
        return;
    }
    if let Some(open) = lane.open.filter(|s| s.state == ThreadState::Io)
        && seen.open_io != Some(open.start)
        && !continues_call(lane, lane.spans.len())
    {
        out.push(io(open.start, EventKind::IoStart));
        seen.open_io = Some(open.start);
    }
}

/// The caption of `event` of `trace`, in `CPython`'s terms, naming threads by their names and
/// locks and counters by [`crate::RunMeta`]'s names.
pub fn caption(trace: &Trace, event: &RunEvent) -> String {
    let name = |t: u32| trace.thread_name(t).to_owned();
    let who = name(event.thread);
    let lock = || format!("`{}`", trace.meta.lock_name(event.other as usize));
    match event.kind {
        EventKind::DropRequest => format!(
            "{}'s wait on `cond` timed out with no switch: it sets the drop request on {who}",
            name(event.other)
        ),
        EventKind::ForcedSwitch => {
            let check = match trace.meta.config.model() {
                Model::NewGil32 => {
                    "reaches its next check point (3.2–3.9 check before nearly every bytecode)"
                }
                _ => "reaches a back-edge",
            };
            format!("{who} {check}, sees the request, drops the GIL and waits on `switch_cond`")
        }
        EventKind::Handoff => {
            if event.other == NONE || event.other == event.thread {
                format!("{who} takes the GIL")
            } else {
                format!("{who} takes the GIL (released by {})", name(event.other))
            }
        }
        EventKind::IoStart => {
            let mut text =
                format!("{who} enters a blocking call (I/O or sleep) and releases the GIL");
            if let Some(end) = call_end(
                &trace.thread_lanes[event.thread as usize],
                event.time,
                trace,
            ) && end > event.time
            {
                let _ = write!(
                    text,
                    ": it returns after {}",
                    format_nanos(end - event.time)
                );
            }
            text
        }
        EventKind::IoEnd => {
            let holder = trace
                .gil
                .at(event.time, trace.now)
                .filter(|s| s.other != event.thread)
                .map(|s| s.other);
            match holder {
                Some(h) => format!(
                    "{who}'s blocking call returns: it needs the GIL back, which {} holds",
                    name(h)
                ),
                None => format!("{who}'s blocking call returns: it needs the GIL back"),
            }
        }
        EventKind::LockWait => format!(
            "{who} finds {} held and blocks on it, releasing the GIL while it waits",
            lock()
        ),
        EventKind::LockAcquired => format!("{who} acquires {}", lock()),
        EventKind::LockReleased => format!("{who} releases {}", lock()),
        EventKind::FutileWakeup => format!(
            "{who} wakes up, but {} has taken the GIL again: it goes back to waiting (a futile \
             wake-up of the old GIL)",
            name(event.other)
        ),
        EventKind::CounterLoad | EventKind::LostUpdate => counter_caption(trace, event),
    }
}

/// The span of `lane` that starts at `time`.
/// The `k`-th span of `lane`: a closed one, or the open one right after them.
fn nth(lane: &Lane, k: usize) -> Option<Span> {
    lane.spans
        .get(k)
        .or_else(|| lane.open.filter(|_| k == lane.spans.len()))
}

/// Whether a span between two I/O spans can belong to one call: a blocking call shown in
/// pieces, as a pipe write larger than the buffer is (a buffer copied, the writer asleep on the
/// full pipe, woken and waiting for a core before the next, `engine/pipe.rs`).
fn between_pieces(state: ThreadState) -> bool {
    matches!(state, ThreadState::Waking | ThreadState::Runnable)
}

/// The most spans between two pieces of one call: a wake-up, then a wait for a core.
const MOST_BETWEEN: usize = 2;

/// Whether spans `a` and `b` are pieces of one I/O call, `a` ending where the spans between
/// them begin. An I/O span's `other` is its call's number modulo 2, and a new call needs the
/// GIL in between, so the same number across wake-ups and waits for a core is the same call.
fn same_call(a: Span, b: Span) -> bool {
    a.state == ThreadState::Io && b.state == ThreadState::Io && a.other == b.other
}

/// Whether the `k`-th span of `lane` (an I/O span) goes on the call of an I/O span before it.
fn continues_call(lane: &Lane, k: usize) -> bool {
    let Some(span) = nth(lane, k) else {
        return false;
    };
    let mut at = span.start;
    for d in 1..=MOST_BETWEEN + 1 {
        let Some(before) = k.checked_sub(d).and_then(|i| lane.spans.get(i)) else {
            return false;
        };
        if before.end != at {
            return false;
        }
        if same_call(before, span) {
            return true;
        }
        if !between_pieces(before.state) {
            return false;
        }
        at = before.start;
    }
    false
}

/// What follows an I/O span past wake-ups and waits for a core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// The next piece of its call, by its index in the lane.
    Piece(usize),
    /// Its call has returned.
    Returned,
    /// The spans that would tell are not there yet.
    NotYet,
}

/// What follows the `k`-th span of `lane` (an I/O span).
fn after(lane: &Lane, k: usize) -> After {
    for j in k + 1..=k + MOST_BETWEEN + 1 {
        let Some(span) = nth(lane, j) else {
            return After::NotYet;
        };
        if span.state == ThreadState::Io {
            return if continues_call(lane, j) {
                After::Piece(j)
            } else {
                After::Returned
            };
        }
        if !between_pieces(span.state) {
            return After::Returned;
        }
    }
    After::Returned
}

/// Where the I/O call whose first span starts at `time` on `lane` returns, once it has.
fn call_end(lane: &Lane, time: Nanos, trace: &Trace) -> Option<Nanos> {
    let mut k = lane.spans.partition_point(|s| s.start < time);
    nth(lane, k).filter(|s| s.start == time)?;
    while let After::Piece(j) = after(lane, k) {
        k = j;
    }
    lane.spans
        .get(k)
        .map(|s| s.end)
        .filter(|&end| end < trace.now)
}

fn counter_caption(trace: &Trace, event: &RunEvent) -> String {
    let Some(s) = trace.stale_stores.get(event.other as usize) else {
        return format!(
            "{} touches a shared counter",
            trace.thread_name(event.thread)
        );
    };
    let who = trace.thread_name(s.thread);
    let counter = trace
        .meta
        .counters
        .get(s.counter as usize)
        .map_or("the counter", String::as_str);
    if event.kind == EventKind::CounterLoad {
        let lane = &trace.thread_lanes[s.thread as usize];
        let switched = lane
            .spans
            .range(lane.visible(s.load, s.store))
            .any(|sp| sp.state != ThreadState::Running);
        let then = if switched {
            "is switched out before its store"
        } else {
            "other threads store to it before this thread does"
        };
        return format!(
            "{who} loads {} from `{counter}`, and {then}",
            group_digits(s.loaded)
        );
    }
    let others: Vec<String> = s
        .others
        .iter()
        .map(|&(t, n)| format!("{} {}", trace.thread_name(t), times(n)))
        .collect();
    let meanwhile = if others.is_empty() {
        String::new()
    } else {
        format!("meanwhile {} `{counter} += 1`; ", join_and(&others))
    };
    format!(
        "{meanwhile}{who} stores {} over {}: {} lost",
        group_digits(s.stored()),
        group_digits(s.overwritten),
        updates(s.erased())
    )
}

fn times(n: u64) -> String {
    if n == 1 {
        "runs once".to_owned()
    } else {
        format!("runs {} times", group_digits(n))
    }
}

fn updates(n: u64) -> String {
    if n == 1 {
        "1 update".to_owned()
    } else {
        format!("{} updates", group_digits(n))
    }
}

/// `"a, b and c"`.
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `1234567` as `1,234,567`, as the app writes counts.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;
    use crate::trace::DeltaCursor;

    fn run(stem: &str, overrides: &Overrides) -> Trace {
        let scenario = preset(stem).unwrap().unwrap();
        let config = scenario.config(overrides).unwrap();
        crate::simulate(&scenario, &config).unwrap()
    }

    #[test]
    fn the_convoy_reads_in_cpythons_terms() {
        let trace = run("convoy", &Overrides::default());
        let log = EventLog::of(&trace);
        let first = |kind| {
            let i = log.next_after(None, |e| e.kind == kind).unwrap();
            caption(&trace, &log.events()[i])
        };
        assert_eq!(
            first(EventKind::DropRequest),
            "io's wait on `cond` timed out with no switch: it sets the drop request on busy"
        );
        assert_eq!(
            first(EventKind::ForcedSwitch),
            "busy reaches a back-edge, sees the request, drops the GIL and waits on `switch_cond`"
        );
        let handoff = log
            .next_after(None, |e| {
                e.kind == EventKind::Handoff && e.thread == 1 && e.other == 0
            })
            .unwrap();
        assert_eq!(
            caption(&trace, &log.events()[handoff]),
            "io takes the GIL (released by busy)"
        );
        assert!(first(EventKind::IoStart).starts_with("io enters a blocking call"));
        assert_eq!(log.count(EventKind::IoStart), 200);
        assert_eq!(log.count(EventKind::IoEnd), 200);
        assert_eq!(
            log.count(EventKind::DropRequest),
            trace
                .markers
                .iter()
                .filter(|m| m.kind == MarkerKind::DropRequest)
                .count()
        );
        assert!(log.events().windows(2).all(|w| w[0].key() <= w[1].key()));
    }

    #[test]
    fn a_pipe_write_in_buffers_is_one_blocking_call() {
        // Each worker's last act writes 1 MB to the parent: 16 buffers of 64 KiB, its writer
        // asleep on the full pipe and woken between them (engine/pipe.rs). That is one call.
        let trace = run(
            "multiprocessing",
            &Overrides {
                cores: Some(2),
                ..Overrides::default()
            },
        );
        let lane = &trace.thread_lanes[0];
        let pieces = lane
            .spans
            .iter()
            .filter(|s| s.state == ThreadState::Io)
            .count();
        assert!(pieces > 10, "the write shows in pieces: {pieces} I/O spans");
        let log = EventLog::of(&trace);
        let of = |kind| {
            log.events()
                .iter()
                .filter(|e| e.thread == 0 && e.kind == kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(of(EventKind::IoStart).len(), 1);
        assert_eq!(of(EventKind::IoEnd).len(), 1);
        let start = of(EventKind::IoStart)[0];
        let end = of(EventKind::IoEnd)[0];
        let text = caption(&trace, start);
        let whole = format_nanos(end.time - start.time);
        assert!(
            text.ends_with(&format!("it returns after {whole}")),
            "{text}"
        );
        assert!(end.time - start.time > 500_000, "{text}");
    }

    #[test]
    fn a_growing_trace_gives_the_log_of_the_whole_trace() {
        for (stem, cores) in [("convoy", None), ("multiprocessing", Some(2))] {
            grown_log_is_the_whole_log(stem, cores);
        }
    }

    fn grown_log_is_the_whole_log(stem: &str, cores: Option<u32>) {
        let scenario = preset(stem).unwrap().unwrap();
        let overrides = Overrides {
            cores,
            ..Overrides::default()
        };
        let config = scenario.config(&overrides).unwrap();
        let mut engine = crate::SimEngine::new(&scenario, &config);
        let mut copy = crate::Engine::trace(&engine).clone();
        let mut cursor = DeltaCursor::default();
        let _ = cursor.take(&copy);
        let mut log = EventLog::default();
        let mut at = 0;
        while !crate::Engine::is_finished(&engine) {
            at += 137_000;
            crate::Engine::advance(&mut engine, at).unwrap();
            copy.apply(cursor.take(crate::Engine::trace(&engine)));
            log.update(&copy);
            assert_eq!(log.events(), EventLog::of(&copy).events(), "{stem} at {at}");
        }
        // A replaced trace (a restart) is read from scratch.
        let fresh = crate::Engine::trace(&crate::SimEngine::new(&scenario, &config)).clone();
        log.update(&fresh);
        assert!(log.is_empty());
    }

    #[test]
    fn a_lost_update_on_3_9_is_told_from_its_load_to_its_store() {
        let trace = run(
            "counter-race",
            &Overrides {
                python: Some("3.9".parse().unwrap()),
                ..Overrides::default()
            },
        );
        let log = EventLog::of(&trace);
        let lost: u64 = trace
            .stale_stores
            .iter()
            .map(crate::trace::StaleStore::erased)
            .sum();
        assert!(lost > 0 && log.count(EventKind::LostUpdate) > 0);
        let load = log
            .next_after(None, |e| e.kind == EventKind::CounterLoad)
            .unwrap();
        let e = log.events()[load];
        let s = &trace.stale_stores[e.other as usize];
        let text = caption(&trace, &e);
        assert_eq!(
            text,
            format!(
                "{} loads {} from `counter`, and is switched out before its store",
                trace.thread_name(s.thread),
                group_digits(s.loaded)
            )
        );
        let store = log
            .next_after(Some(load), |x| {
                x.kind == EventKind::LostUpdate && x.other == e.other
            })
            .unwrap();
        let text = caption(&trace, &log.events()[store]);
        assert!(text.starts_with("meanwhile adder-"), "{text}");
        assert!(
            text.ends_with(&format!(
                "{} stores {} over {}: {} updates lost",
                trace.thread_name(s.thread),
                group_digits(s.loaded + 1),
                group_digits(s.overwritten),
                group_digits(s.erased())
            )),
            "{text}"
        );
        let on_313 = run("counter-race", &Overrides::default());
        assert_eq!(EventLog::of(&on_313).count(EventKind::LostUpdate), 0);
    }
}
