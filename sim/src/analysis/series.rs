//! Series over time for plots under the timeline: core utilization, GIL held/free, and the
//! cumulative bytecodes of each thread. Every series covers a range `[from, to)` split into a
//! fixed number of buckets, so its cost follows the visible spans (found with
//! [`Lane::visible`]) and the bucket count, not the length of the trace.

use crate::time::Nanos;
use crate::trace::{Lane, Span, Trace};

/// `count` equal buckets over `[from, to)`, in nanoseconds of the trace's time axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buckets {
    /// Start of the first bucket.
    pub from: Nanos,
    /// End of the last bucket.
    pub to: Nanos,
    /// Number of buckets (at least 1).
    pub count: usize,
}

impl Buckets {
    /// `count` buckets over `[from, to)`; an empty range becomes 1 ns, `count` at least 1.
    pub fn new(from: Nanos, to: Nanos, count: usize) -> Self {
        Self {
            from,
            to: to.max(from + 1),
            count: count.max(1),
        }
    }

    /// The width of one bucket in nanoseconds.
    pub fn width(&self) -> f64 {
        (self.to - self.from) as f64 / self.count as f64
    }

    /// Where bucket edge `i` lies (`0..=count`), in nanoseconds.
    pub fn edge(&self, i: usize) -> f64 {
        self.from as f64 + i as f64 * self.width()
    }

    /// A value per bucket as the corner points of a step line: `[time_ns, value]` at the
    /// start and end of each bucket.
    pub fn steps(&self, values: &[f64]) -> Vec<[f64; 2]> {
        values
            .iter()
            .enumerate()
            .flat_map(|(i, &v)| [[self.edge(i), v], [self.edge(i + 1), v]])
            .collect()
    }

    /// Values at the bucket edges as points `[time_ns, value]`.
    pub fn points(&self, values: &[f64]) -> Vec<[f64; 2]> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| [self.edge(i), v])
            .collect()
    }

    /// Adds, to each bucket, the fraction of it that `[start, end)` covers.
    fn add_coverage(&self, values: &mut [f64], start: Nanos, end: Nanos) {
        let (a, b) = (start.max(self.from), end.min(self.to));
        if a >= b {
            return;
        }
        let width = self.width();
        let offset = |t: Nanos| (t - self.from) as f64;
        let first = ((offset(a) / width) as usize).min(self.count - 1);
        let last = ((offset(b) / width) as usize).min(self.count - 1);
        for (i, value) in values.iter_mut().enumerate().take(last + 1).skip(first) {
            let lo = offset(a).max(i as f64 * width);
            let hi = offset(b).min((i + 1) as f64 * width);
            if hi > lo {
                *value += (hi - lo) / width;
            }
        }
    }
}

/// The spans of `lane` that overlap the buckets, the one in progress cut at `now`.
fn spans_in<'a>(lane: &'a Lane, buckets: &Buckets, now: Nanos) -> impl Iterator<Item = Span> + 'a {
    let closed = lane.spans.range(lane.visible(buckets.from, buckets.to));
    let to = buckets.to;
    closed.chain(lane.open.filter(|s| s.start < to).map(move |mut s| {
        s.end = now.max(s.start);
        s
    }))
}

/// How many cores were busy in each bucket (time-weighted mean), split by what they ran.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreUtilization {
    /// The buckets the values belong to.
    pub buckets: Buckets,
    /// Cores running bytecode (mean count over each bucket).
    pub bytecode: Vec<f64>,
    /// Cores running C code, with or without the GIL.
    pub c_code: Vec<f64>,
}

impl CoreUtilization {
    /// The core lanes of `trace` over `buckets`.
    pub fn of(trace: &Trace, buckets: Buckets) -> Self {
        let mut bytecode = vec![0.0; buckets.count];
        let mut c_code = vec![0.0; buckets.count];
        for lane in &trace.cores {
            for span in spans_in(lane, &buckets, trace.now) {
                if !span.state.on_core() {
                    continue;
                }
                let values = if span.state == crate::trace::ThreadState::Running {
                    &mut bytecode
                } else {
                    &mut c_code
                };
                buckets.add_coverage(values, span.start, span.end);
            }
        }
        Self {
            buckets,
            bytecode,
            c_code,
        }
    }

    /// Busy cores per bucket (bytecode plus C code).
    pub fn total(&self) -> Vec<f64> {
        self.bytecode
            .iter()
            .zip(&self.c_code)
            .map(|(a, b)| a + b)
            .collect()
    }
}

/// The fraction of each bucket during which the GIL was held (0 = free throughout).
pub fn gil_held(trace: &Trace, buckets: Buckets) -> Vec<f64> {
    let mut values = vec![0.0; buckets.count];
    for span in spans_in(&trace.gil, &buckets, trace.now) {
        buckets.add_coverage(&mut values, span.start, span.end);
    }
    values
}

/// Prefix sums of bytecodes per thread lane, so the cumulative count at any time costs a
/// binary search. Keep one per trace and call [`BytecodeIndex::update`] as the trace grows.
#[derive(Debug, Clone, Default)]
pub struct BytecodeIndex {
    /// Per thread: `prefix[i]` = bytecodes of the lane's first `i` closed spans.
    prefix: Vec<Vec<u64>>,
}

impl BytecodeIndex {
    /// An index of every thread lane of `trace`.
    pub fn new(trace: &Trace) -> Self {
        let mut index = Self::default();
        index.update(trace);
        index
    }

    /// Indexes the spans closed since the last update. A trace that shrank (a restarted run)
    /// is indexed again from scratch.
    pub fn update(&mut self, trace: &Trace) {
        self.prefix.resize_with(trace.thread_lanes.len(), Vec::new);
        self.prefix.truncate(trace.thread_lanes.len());
        for (prefix, lane) in self.prefix.iter_mut().zip(&trace.thread_lanes) {
            if prefix.len() > lane.spans.len() + 1 {
                prefix.clear();
            }
            if prefix.is_empty() {
                prefix.push(0);
            }
            let mut sum = prefix.last().copied().unwrap_or(0);
            for span in lane.spans.range(prefix.len() - 1..) {
                sum += span.bytecodes;
                prefix.push(sum);
            }
        }
    }

    /// Bytecodes thread `thread` had executed by time `t`, spreading each span's count evenly
    /// over it. Call [`BytecodeIndex::update`] first if the trace grew.
    pub fn at(&self, trace: &Trace, thread: usize, t: Nanos) -> f64 {
        let (Some(prefix), Some(lane)) = (self.prefix.get(thread), trace.thread_lanes.get(thread))
        else {
            return 0.0;
        };
        let indexed = prefix.len().saturating_sub(1).min(lane.spans.len());
        let done = lane.spans.partition_point(|s| s.end <= t).min(indexed);
        let mut total = prefix[done] as f64;
        let partial = |s: &Span, end: Nanos| {
            if t <= s.start || end <= s.start {
                0.0
            } else {
                s.bytecodes as f64 * ((t.min(end) - s.start) as f64 / (end - s.start) as f64)
            }
        };
        if let Some(s) = lane.spans.get(done).filter(|_| done < indexed) {
            total += partial(&s, s.end);
        }
        // Spans closed after the last update, then the one in progress.
        for s in lane.spans.range(indexed..) {
            total += partial(&s, s.end);
        }
        if let Some(open) = lane.open {
            total += partial(&open, trace.now);
        }
        total
    }

    /// Per thread, the cumulative bytecodes at each of the `count + 1` bucket edges.
    pub fn cumulative(&self, trace: &Trace, buckets: Buckets) -> Vec<Vec<f64>> {
        (0..trace.thread_lanes.len())
            .map(|thread| {
                (0..=buckets.count)
                    .map(|i| self.at(trace, thread, buckets.edge(i).round() as Nanos))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
// The expected values are exact in binary (sums of halves and quarters of whole buckets).
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::trace::test_support::{info, untitled};

    use crate::trace::{LaneId, ThreadState};

    /// Two threads on two cores: `a` runs [0, 40) with 400 bytecodes, then I/O; `b` runs a C
    /// call [20, 60) then bytecode [60, 100) with 100 bytecodes (still open at 100).
    fn two_threads() -> Trace {
        let mut t = untitled(vec![info("a"), info("b")], 2);
        let run = Some((ThreadState::Running, 0));
        t.set(LaneId::Thread(0), 0, run);
        t.set(LaneId::Core(0), 0, run);
        t.set(LaneId::Gil, 0, run);
        t.add_bytecodes(LaneId::Thread(0), 400);
        t.set(LaneId::Thread(0), 40, Some((ThreadState::Io, 0)));
        t.set(LaneId::Core(0), 40, None);
        t.set(LaneId::Gil, 40, None);
        t.set(LaneId::Core(1), 20, Some((ThreadState::CCallReleased, 1)));
        t.set(LaneId::Thread(1), 20, Some((ThreadState::CCallReleased, 1)));
        t.set(LaneId::Thread(1), 60, Some((ThreadState::Running, 1)));
        t.set(LaneId::Core(1), 60, Some((ThreadState::Running, 1)));
        t.set(LaneId::Gil, 60, Some((ThreadState::Running, 1)));
        t.add_bytecodes(LaneId::Thread(1), 100);
        t.now = 100;
        t
    }

    #[test]
    fn utilization_counts_busy_cores_per_bucket() {
        let trace = two_threads();
        let u = CoreUtilization::of(&trace, Buckets::new(0, 100, 5));
        // Buckets of 20 ns: [0,20) a; [20,40) a + C; [40,60) C; [60,80) b; [80,100) b (open).
        assert_eq!(u.bytecode, vec![1.0, 1.0, 0.0, 1.0, 1.0]);
        assert_eq!(u.c_code, vec![0.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(u.total(), vec![1.0, 2.0, 1.0, 1.0, 1.0]);
        // A bucket straddling a change gets the time-weighted mean.
        let coarse = CoreUtilization::of(&trace, Buckets::new(30, 70, 1));
        assert!((coarse.bytecode[0] - 0.5).abs() < 1e-12);
        assert!((coarse.c_code[0] - 0.75).abs() < 1e-12);
    }

    #[test]
    fn gil_held_is_the_covered_fraction() {
        let trace = two_threads();
        let held = gil_held(&trace, Buckets::new(0, 100, 4));
        assert_eq!(held, vec![1.0, 0.6, 0.6, 1.0]);
        let steps = Buckets::new(0, 100, 4).steps(&held);
        assert_eq!(steps[0], [0.0, 1.0]);
        assert_eq!(steps[1], [25.0, 1.0]);
    }

    #[test]
    fn cumulative_bytecodes_interpolate_and_follow_growth() {
        let mut trace = two_threads();
        let mut index = BytecodeIndex::new(&trace);
        assert!((index.at(&trace, 0, 10) - 100.0).abs() < 1e-9);
        assert!((index.at(&trace, 0, 1000) - 400.0).abs() < 1e-9);
        assert!((index.at(&trace, 1, 80) - 50.0).abs() < 1e-9);
        let c = index.cumulative(&trace, Buckets::new(0, 100, 2));
        assert_eq!(c[0], vec![0.0, 400.0, 400.0]);
        assert_eq!(c[1], vec![0.0, 0.0, 100.0]);
        // The run goes on: b's span closes with more work; the index catches up.
        trace.add_bytecodes(LaneId::Thread(1), 100);
        trace.set(LaneId::Thread(1), 120, Some((ThreadState::Io, 1)));
        assert!((index.at(&trace, 1, 120) - 200.0).abs() < 1e-9);
        index.update(&trace);
        assert!((index.at(&trace, 1, 120) - 200.0).abs() < 1e-9);
        assert!((index.at(&trace, 1, 90) - 100.0).abs() < 1e-9);
        // A restarted (shorter) trace is indexed from scratch.
        let fresh = untitled(vec![info("a"), info("b")], 2);
        index.update(&fresh);
        assert!(index.at(&fresh, 1, 50).abs() < 1e-9);
    }
}
