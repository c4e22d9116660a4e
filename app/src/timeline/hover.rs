//! What the hover tooltip says: the span under the pointer, and why the thread is in it.

use crate::format::{count, instant, nanos};
use crate::timeline::lod::{KEYS, LaneKind, Totals};
use gilscope_sim::trace::{LaneId, MarkerKind, NONE, Span};
use gilscope_sim::{ThreadState, Trace};

/// Markers read at most when looking for the cause of a span (keeps hovering O(log n)).
const MARKER_SCAN: usize = 256;

/// The tooltip text of one span: a title line and detail lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverText {
    /// E.g. `"io-0: waiting for the GIL"`.
    pub title: String,
    /// Start, duration, bytecodes, why.
    pub lines: Vec<String>,
}

/// Describes `span` of lane `lane` in `trace`; `locks` names the scenario's locks by index
/// (the trace only knows their indexes; pass `&[]` to show `lock #i`).
pub fn describe(trace: &Trace, lane: LaneId, span: &Span, locks: &[String]) -> HoverText {
    describe_at(trace, lane, span, locks, None)
}

/// [`describe`], with the start and end written to `resolution` ns (what the zoom shows) when
/// given: in a 15 µs window a start reads "396.12346 ms", not "396 ms".
pub fn describe_at(
    trace: &Trace,
    lane: LaneId,
    span: &Span,
    locks: &[String],
    resolution: Option<f64>,
) -> HoverText {
    let mut lines = match resolution {
        Some(r) => vec![
            format!(
                "start {} · end {}",
                instant(span.start as f64, r),
                instant(span.end as f64, r)
            ),
            format!("duration {}", nanos(span.duration())),
        ],
        None => vec![
            format!("start {}", nanos(span.start)),
            format!("duration {}", nanos(span.duration())),
        ],
    };
    if span.bytecodes > 0 {
        lines.push(format!("{} bytecodes", count(span.bytecodes)));
    }
    let title = match lane {
        LaneId::Thread(t) => {
            lines.push(why(trace, t, span, locks));
            format!("{}: {}", trace.thread_name(t), span.state.label())
        }
        LaneId::Gil => format!("GIL held by {}", trace.thread_name(span.other)),
        LaneId::Core(c) => format!("core {c}: {}", trace.thread_name(span.other)),
    };
    HoverText { title, lines }
}

/// Why thread `t` is in `span`'s state, in words (`locks`: lock names by index, may be empty).
pub fn why(trace: &Trace, t: u32, span: &Span, locks: &[String]) -> String {
    let name = |id: u32| trace.thread_name(id).to_owned();
    match span.state {
        ThreadState::Running => {
            if trace.gil.spans.is_empty() && trace.gil.open.is_none() {
                "running bytecode (no GIL in this run)".to_owned()
            } else {
                "running bytecode, holding the GIL".to_owned()
            }
        }
        ThreadState::WaitingGil => {
            let mut text = if span.other == NONE {
                "waiting: the GIL was free, about to take it".to_owned()
            } else {
                format!("waiting: the GIL is held by {}", name(span.other))
            };
            if let Some(at) = find_marker(trace, span.start, span.end, |k, thread, other| {
                k == MarkerKind::DropRequest && other == t && thread != t
            }) {
                text.push_str("; drop request sent at ");
                text.push_str(&nanos(at));
            }
            text
        }
        ThreadState::Io
        | ThreadState::Syscall
        | ThreadState::Waking
        | ThreadState::CCallReleased
        | ThreadState::CCallHolding
        | ThreadState::Runnable
        | ThreadState::Starting
        | ThreadState::Queued
        | ThreadState::Pickling
        | ThreadState::Done => span.state.info().meaning.to_owned(),
        ThreadState::ForcedOff => {
            let by = if span.other == NONE {
                "another thread".to_owned()
            } else {
                name(span.other)
            };
            let request = last_marker_before(trace, span.start, |k, thread, _| {
                k == MarkerKind::DropRequest && thread == t
            });
            match request {
                Some(at) => format!(
                    "forced off by {by} (drop request at {}); waits for a successor",
                    nanos(at)
                ),
                None => format!("forced off by {by}; waits for a successor"),
            }
        }
        ThreadState::Lock => match locks.get(span.other as usize) {
            Some(lock) => format!("blocked on lock \"{lock}\""),
            None if span.other == NONE => "blocked on a lock".to_owned(),
            None => format!("blocked on lock #{}", span.other),
        },
        ThreadState::Ready => {
            if span.other == NONE {
                "ready: waiting for the event loop to run it".to_owned()
            } else {
                format!(
                    "ready: waiting for the event loop, which runs {}",
                    name(span.other)
                )
            }
        }
        ThreadState::Contended
        | ThreadState::Paused
        | ThreadState::Collecting
        | ThreadState::Signalling => why_runtime_cost(trace, t, span),
    }
}

/// What a lost update of thread `t` spanning time `at` did, if one does: "lost update: loaded
/// 1,041 from `counter`, stored 1,042 over 1,341: 300 updates erased".
pub fn lost_update_at(trace: &Trace, t: u32, at: u64) -> Option<String> {
    let s = trace
        .stale_stores
        .iter()
        .filter(|s| s.thread == t && s.erased() > 0)
        .find(|s| s.load <= at && at <= s.store)?;
    let counter = trace
        .meta
        .counters
        .get(s.counter as usize)
        .map_or("the counter", String::as_str);
    Some(format!(
        "lost update: loaded {} from `{counter}` at {}, stored {} over {} at {}: {} updates erased",
        count(s.loaded),
        nanos(s.load),
        count(s.stored()),
        count(s.overwritten),
        nanos(s.store),
        count(s.erased())
    ))
}

/// Why thread `t` is in `span`'s state, for the states that are a cost of the runtime rather
/// than of the program: contention, stop-the-world pauses, collections, the old GIL's signal.
fn why_runtime_cost(trace: &Trace, t: u32, span: &Span) -> String {
    let name = |id: u32| trace.thread_name(id).to_owned();
    match span.state {
        ThreadState::Contended => {
            let object = trace
                .meta
                .objects
                .get(span.other as usize)
                .map_or_else(|| "a shared object".to_owned(), |o| format!("\"{o}\""));
            format!(
                "running Python, slowed by other cores contending for the cache line of {object} \
                 (its reference count written with atomic operations, or its lock): threads \
                 that share an object do not scale"
            )
        }
        ThreadState::Paused if span.other == t => {
            "stopping the world: waiting for every other thread to pause at a check point"
                .to_owned()
        }
        ThreadState::Paused => format!(
            "paused: {} stopped the world (a garbage collection, or the GIL being turned on)",
            name(span.other)
        ),
        ThreadState::Collecting => "running the cyclic garbage collector; in a free-threaded \
             build every other thread is paused meanwhile"
            .to_owned(),
        ThreadState::Signalling => {
            let whom = if span.other == NONE {
                "the thread waiting for it".to_owned()
            } else {
                name(span.other)
            };
            format!(
                "old GIL: released at a tick check, it wakes {whom} (a futex wake system \
                 call), then takes the GIL straight back: the GIL's own overhead"
            )
        }
        _ => span.state.label().to_owned(),
    }
}

/// The time of the first marker in `[from, to]` that matches, reading at most `MARKER_SCAN`.
fn find_marker(
    trace: &Trace,
    from: u64,
    to: u64,
    matches: impl Fn(MarkerKind, u32, u32) -> bool,
) -> Option<u64> {
    let first = trace.markers.partition_point(|m| m.time < from);
    trace.markers[first..]
        .iter()
        .take(MARKER_SCAN)
        .take_while(|m| m.time <= to)
        .find(|m| matches(m.kind, m.thread, m.other))
        .map(|m| m.time)
}

/// The time of the last marker at or before `at` that matches, reading at most `MARKER_SCAN`.
fn last_marker_before(
    trace: &Trace,
    at: u64,
    matches: impl Fn(MarkerKind, u32, u32) -> bool,
) -> Option<u64> {
    let end = trace.markers.partition_point(|m| m.time <= at);
    trace.markers[..end]
        .iter()
        .rev()
        .take(MARKER_SCAN)
        .find(|m| matches(m.kind, m.thread, m.other))
        .map(|m| m.time)
}

/// A summary of a merged column: `"1,234 spans here: 62% running bytecode, 38% waiting…"`.
pub fn describe_mix(
    trace: &Trace,
    kind: LaneKind,
    totals: &Totals,
    spans: usize,
    duration: u64,
) -> String {
    let mut parts: Vec<(u64, String)> = (0..KEYS)
        .filter(|&k| totals[k] > 0)
        .map(|k| {
            let label = match kind {
                LaneKind::Thread => ThreadState::ALL[k].label().to_owned(),
                LaneKind::Occupancy => occupancy_label(trace, k),
            };
            (totals[k], label)
        })
        .collect();
    parts.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let shares: Vec<String> = parts
        .iter()
        .take(4)
        .map(|(t, label)| format!("{:.0}% {label}", 100.0 * *t as f64 / duration.max(1) as f64))
        .collect();
    let head = format!("{} spans in {}", count(spans as u64), nanos(duration));
    if shares.is_empty() {
        head
    } else {
        format!("{head}: {}", shares.join(", "))
    }
}

/// The threads sharing colour key `k` on an occupancy lane.
fn occupancy_label(trace: &Trace, k: usize) -> String {
    let names: Vec<&str> = (0..trace.threads.len())
        .filter(|t| t % crate::theme::THREAD_COLORS == k)
        .map(|t| trace.threads[t].name.as_str())
        .collect();
    match names.as_slice() {
        [] => format!("colour {k}"),
        [one] => (*one).to_owned(),
        [first, rest @ ..] => format!("{first} (+{} sharing its colour)", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilscope_sim::time::MS;
    use gilscope_sim::trace::{LaneId, ThreadInfo};

    fn trace() -> Trace {
        let info = |n: &str| ThreadInfo::new(n, 0).started_at(0);
        let mut t = Trace::new(
            crate::timeline::synthetic::synthetic_meta(),
            vec![info("busy-0"), info("io")],
            1,
        );
        t.set(LaneId::Gil, 0, Some((ThreadState::Running, 0)));
        t.set(LaneId::Thread(0), 0, Some((ThreadState::Running, NONE)));
        t.set(LaneId::Thread(1), MS, Some((ThreadState::WaitingGil, 0)));
        t.mark(5 * MS, MarkerKind::DropRequest, 0, 1);
        t.mark(5 * MS + 100, MarkerKind::ForcedSwitch, 0, 1);
        t.set(
            LaneId::Thread(0),
            5 * MS + 100,
            Some((ThreadState::ForcedOff, 1)),
        );
        t.set(
            LaneId::Thread(1),
            5 * MS + 200,
            Some((ThreadState::Running, NONE)),
        );
        t.set(LaneId::Thread(1), 6 * MS, Some((ThreadState::Lock, 2)));
        t.close(7 * MS);
        t
    }

    #[test]
    fn explains_waiting_with_holder_and_drop_request() {
        let t = trace();
        let span = t.thread_lanes[1].spans.get(0).expect("a span");
        let text = describe(&t, LaneId::Thread(1), &span, &[]);
        assert_eq!(text.title, "io: waiting for the GIL");
        assert!(text.lines.contains(&"start 1.00 ms".to_owned()), "{text:?}");
        assert!(
            text.lines
                .iter()
                .any(|l| l == "waiting: the GIL is held by busy-0; drop request sent at 5.00 ms"),
            "{text:?}"
        );
    }

    #[test]
    fn explains_forced_off_and_locks() {
        let t = trace();
        let forced = t.thread_lanes[0].spans.get(1).expect("a span");
        assert_eq!(
            why(&t, 0, &forced, &[]),
            "forced off by io (drop request at 5.00 ms); waits for a successor"
        );
        let lock = t.thread_lanes[1].spans.last().expect("lock span");
        assert_eq!(why(&t, 1, &lock, &[]), "blocked on lock #2");
        let names = ["a".to_owned(), "b".to_owned(), "m".to_owned()];
        assert_eq!(why(&t, 1, &lock, &names), "blocked on lock \"m\"");
        let gil = describe(&t, LaneId::Gil, &t.gil.spans.get(0).expect("a span"), &[]);
        assert_eq!(gil.title, "GIL held by busy-0");
    }

    #[test]
    fn zoomed_in_times_carry_the_precision_of_the_zoom() {
        let t = trace();
        let span = t.thread_lanes[1].spans.get(0).expect("a span");
        let text = describe_at(&t, LaneId::Thread(1), &span, &[], Some(15.0));
        assert_eq!(text.lines[0], "start 1.00000 ms · end 5.00020 ms");
    }

    #[test]
    fn mix_summary_lists_shares() {
        let t = trace();
        let mut totals = [0; KEYS];
        totals[ThreadState::Running as usize] = 600;
        totals[ThreadState::WaitingGil as usize] = 400;
        let text = describe_mix(&t, LaneKind::Thread, &totals, 1234, 1000);
        assert_eq!(
            text,
            "1,234 spans in 1.00 µs: 60% running bytecode, 40% waiting for the GIL"
        );
    }
}
