//! A trace cut to a time range: what happened between two instants, as a trace of its own
//! that starts at 0. The stats of a selection are [`Stats::compute`] of the cut
//! ([`Stats::of_range`]), so a range's numbers mean exactly what a run's numbers mean.

use crate::stats::Stats;
use crate::time::Nanos;
use crate::trace::{Lane, Span, ThreadInfo, Trace};

/// The part of `span` inside `[from, to)`, shifted by `-from`; its bytecodes in proportion to
/// the part kept (they are executed evenly over a span).
fn clip(span: Span, from: Nanos, to: Nanos) -> Option<Span> {
    let start = span.start.max(from);
    let end = span.end.min(to);
    if end <= start {
        return None;
    }
    let whole = span.duration();
    let bytecodes = if whole == 0 || (start == span.start && end == span.end) {
        span.bytecodes
    } else {
        (u128::from(span.bytecodes) * u128::from(end - start) / u128::from(whole)) as u64
    };
    Some(Span {
        start: start - from,
        end: end - from,
        bytecodes,
        ..span
    })
}

fn cut_lane(lane: &Lane, now: Nanos, from: Nanos, to: Nanos) -> Lane {
    let first = lane.spans.partition_point(|s| s.end <= from);
    let spans = lane
        .spans
        .range(first..)
        .chain(lane.open.map(|mut s| {
            s.end = now.max(s.start);
            s
        }))
        .take_while(|s| s.start < to)
        .filter_map(|s| clip(s, from, to))
        .collect();
    Lane { spans, open: None }
}

impl Trace {
    /// What happened in `[from, to)` (clamped to the run so far), as a finished trace that
    /// starts at 0 and lasts `to - from`: spans clipped (bytecodes in proportion), markers,
    /// stale stores (by their store) and warnings inside the range, threads started at the
    /// range's start if they had started before it. Counter totals are the run's, so they are
    /// left out; the stale stores say what was lost in the range.
    #[must_use]
    pub fn cut(&self, from: Nanos, to: Nanos) -> Trace {
        let to = to.min(self.now);
        let from = from.min(to);
        let inside = |t: Nanos| from <= t && t < to;
        let threads = self
            .threads
            .iter()
            .map(|info| ThreadInfo {
                started: info.started.filter(|&s| s < to).map(|s| s.max(from) - from),
                finished: info
                    .finished
                    .filter(|&f| f <= to)
                    .map(|f| f.max(from) - from),
                ..info.clone()
            })
            .collect();
        let mut cut = Trace::new(self.meta.clone(), threads, self.cores.len() as u32);
        cut.thread_lanes = self
            .thread_lanes
            .iter()
            .map(|l| cut_lane(l, self.now, from, to))
            .collect();
        cut.gil = cut_lane(&self.gil, self.now, from, to);
        cut.cores = self
            .cores
            .iter()
            .map(|l| cut_lane(l, self.now, from, to))
            .collect();
        let first = self.markers.partition_point(|m| m.time < from);
        cut.markers = self.markers[first..]
            .iter()
            .take_while(|m| m.time < to)
            .map(|m| crate::trace::Marker {
                time: m.time - from,
                ..*m
            })
            .collect();
        cut.stale_stores = self
            .stale_stores
            .iter()
            .filter(|s| inside(s.store))
            .map(|s| crate::trace::StaleStore {
                load: s.load.saturating_sub(from),
                store: s.store - from,
                ..s.clone()
            })
            .collect();
        cut.warnings = self
            .warnings
            .iter()
            .filter(|(t, _)| inside(*t))
            .map(|(t, w)| (t - from, w.clone()))
            .collect();
        cut.now = to - from;
        cut.finished = true;
        cut
    }
}

impl Stats {
    /// The stats of what happened in `[from, to)`: [`Stats::compute`] of [`Trace::cut`].
    pub fn of_range(trace: &Trace, from: Nanos, to: Nanos) -> Stats {
        Stats::compute(&trace.cut(from, to))
    }
}

#[cfg(test)]
// Integer nanoseconds turned into milliseconds the same way on both sides: exact.
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::model::Overrides;
    use crate::presets::preset;
    use crate::trace::{MarkerKind, NONE, ThreadState};

    fn run(stem: &str, overrides: &Overrides) -> Trace {
        let scenario = preset(stem).unwrap().unwrap();
        let config = scenario.config(overrides).unwrap();
        crate::simulate(&scenario, &config).unwrap()
    }

    #[test]
    fn the_first_part_of_a_run_has_the_stats_of_a_run_stopped_there() {
        // Independent of the cut: the engine itself stops the run at `end`.
        let end: Nanos = 123_456_789;
        let full = run("convoy", &Overrides::default());
        let stopped = run(
            "convoy",
            &Overrides {
                duration: Some(end),
                ..Overrides::default()
            },
        );
        let (cut, direct) = (Stats::of_range(&full, 0, end), Stats::compute(&stopped));
        assert_eq!(cut.wall_ms, direct.wall_ms);
        assert_eq!(cut.gil, direct.gil);
        assert_eq!(cut.io_latency_ms, direct.io_latency_ms);
        for (a, b) in cut.threads.iter().zip(&direct.threads) {
            assert_eq!(
                (&a.name, a.state_ms, a.io_ops, a.io_latency_ms),
                (&b.name, b.state_ms, b.io_ops, b.io_latency_ms)
            );
            // Work in progress at the cut is counted in proportion, the engine counts it
            // bytecode by bytecode: they may differ by one per lane.
            assert!(a.bytecodes.abs_diff(b.bytecodes) <= 2, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn a_middle_range_counts_the_time_and_events_inside_it() {
        let full = run("convoy", &Overrides::default());
        let (from, to) = (300_000_000, 420_000_000);
        let stats = Stats::of_range(&full, from, to);
        assert!((stats.wall_ms - 120.0).abs() < 1e-9);
        // Counted here span by span, without the cut.
        for (t, lane) in full.thread_lanes.iter().enumerate() {
            let mut per_state = [0u64; ThreadState::ALL.len()];
            for s in lane.all(full.now) {
                let overlap = s.end.min(to).saturating_sub(s.start.max(from));
                per_state[s.state as usize] += overlap;
            }
            let ms = |s: ThreadState| per_state[s as usize] as f64 / 1e6;
            let shown = stats.threads[t].state_ms;
            assert_eq!(shown.running, ms(ThreadState::Running));
            assert_eq!(shown.waiting_gil, ms(ThreadState::WaitingGil));
            assert_eq!(shown.forced_off, ms(ThreadState::ForcedOff));
            assert_eq!(shown.io, ms(ThreadState::Io));
        }
        let inside = |kind| {
            full.markers
                .iter()
                .filter(|m| m.kind == kind && (from..to).contains(&m.time))
                .count() as u64
        };
        let switches = full
            .markers
            .iter()
            .filter(|m| {
                m.kind == MarkerKind::Handoff && m.thread != NONE && (from..to).contains(&m.time)
            })
            .count() as u64;
        assert_eq!(stats.gil.switches, switches);
        assert_eq!(stats.gil.drop_requests, inside(MarkerKind::DropRequest));
        assert_eq!(stats.gil.forced_switches, inside(MarkerKind::ForcedSwitch));
        // The whole run cut to itself is the run.
        let all = Stats::of_range(&full, 0, full.now);
        let whole = Stats::compute(&full);
        assert_eq!(all.threads, whole.threads);
        assert_eq!(all.gil, whole.gil);
    }
}
