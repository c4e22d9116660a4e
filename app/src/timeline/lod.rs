//! Level of detail: turns the spans of one lane inside the view into at most about one block
//! per pixel column, without ever walking all the spans of a lane.
//!
//! Spans at least `min_px` wide become [`Block::Span`]s. Runs of narrower spans become
//! [`Block::Mix`] summary blocks, one per `min_px` column, holding the exact time each colour
//! key (state or holder colour) covers in that column. The totals come from a [`LaneIndex`]:
//! prefix sums per key every [`CHUNK`] spans, built once and extended as the lane grows, so
//! one column costs two binary searches and at most `CHUNK` span reads.

use crate::theme::THREAD_COLORS;
use crate::timeline::mapping::TimeMap;
use crate::timeline::sums::Checkpoints;
use gilscope_sim::trace::{Span, SpanStore};
use gilscope_sim::{Nanos, ThreadState};

/// Spans per prefix-sum checkpoint.
pub const CHUNK: usize = 32;

/// Number of colour keys a summary block distinguishes.
pub const KEYS: usize = if ThreadState::ALL.len() > THREAD_COLORS {
    ThreadState::ALL.len()
} else {
    THREAD_COLORS
};

/// Time per colour key, ns.
pub type Totals = [u64; KEYS];

/// What a lane's spans are coloured by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneKind {
    /// A thread lane: coloured by state.
    Thread,
    /// The GIL lane or a core lane: coloured by the occupying thread (`Span::other`).
    Occupancy,
}

impl LaneKind {
    /// The colour key of a span on a lane of this kind.
    pub fn key(self, span: &Span) -> usize {
        match self {
            Self::Thread => span.state as usize,
            Self::Occupancy => span.other as usize % THREAD_COLORS,
        }
    }
}

/// Prefix sums of a lane's closed spans: per key, the time covered before every
/// [`CHUNK`]-th span. Extended incrementally while the lane only grows; rebuilt if the lane
/// was replaced (a restarted run).
#[derive(Clone, Debug)]
pub struct LaneIndex {
    kind: LaneKind,
    /// `checkpoints.get(c)`: the time each key covers before span `c * CHUNK`.
    checkpoints: Checkpoints,
    /// `starts[c]` = start of span `c * CHUNK`: where checkpoint `c` is exact in time.
    starts: Vec<Nanos>,
    covered: usize,
    running: Totals,
    first: Option<Span>,
    last: Option<Span>,
}

impl LaneIndex {
    /// An empty index for a lane of `kind`.
    pub fn new(kind: LaneKind) -> Self {
        Self {
            kind,
            checkpoints: Checkpoints::new(),
            starts: Vec::new(),
            covered: 0,
            running: [0; KEYS],
            first: None,
            last: None,
        }
    }

    /// An index of `spans`.
    pub fn build(kind: LaneKind, spans: &SpanStore) -> Self {
        let mut index = Self::new(kind);
        index.update(spans);
        index
    }

    /// The lane kind.
    pub fn kind(&self) -> LaneKind {
        self.kind
    }

    /// Brings the index up to date with `spans`: extends it if `spans` only grew since the
    /// last call, rebuilds it otherwise. O(new spans).
    pub fn update(&mut self, spans: &SpanStore) {
        let same_prefix = spans.len() >= self.covered
            && spans.first() == self.first
            && (self.covered == 0 || spans.get(self.covered - 1) == self.last);
        if !same_prefix {
            *self = Self::new(self.kind);
        }
        for span in spans.range(self.covered..) {
            if self.covered.is_multiple_of(CHUNK) {
                self.checkpoints.push(&self.running);
                self.starts.push(span.start);
            }
            let key = self.kind.key(&span);
            self.checkpoints.see(key);
            self.running[key] += span.duration();
            self.covered += 1;
        }
        self.first = spans.first();
        self.last = spans.last();
    }

    /// Totals of `spans[..i]` (`spans` being what the index was last updated with).
    fn before(&self, spans: &SpanStore, i: usize) -> Totals {
        if i >= self.covered {
            return self.running;
        }
        let chunk = i / CHUNK;
        let next = (chunk + 1) * CHUNK;
        if i - chunk * CHUNK > CHUNK / 2 && next <= self.covered {
            // Nearer the next checkpoint: its sums less the spans from `i` to it (exact, in
            // integers), reading at most half a chunk either way.
            let mut totals = if chunk + 1 < self.checkpoints.len() {
                self.checkpoints.get(chunk + 1)
            } else {
                self.running
            };
            for span in spans.range(i..next) {
                totals[self.kind.key(&span)] -= span.duration();
            }
            return totals;
        }
        let mut totals = self.checkpoints.get(chunk);
        for span in spans.range(chunk * CHUNK..i) {
            totals[self.kind.key(&span)] += span.duration();
        }
        totals
    }
}

impl LaneIndex {
    /// The first chunk boundary at or after time `t`, searching forward from chunk `from`
    /// (galloping, so nearby boundaries are found with few reads of a compact array).
    fn boundary_at_or_after(&self, t: Nanos, from: usize) -> Option<usize> {
        let starts = &self.starts;
        let mut lo = from.min(starts.len());
        let mut hi = lo;
        let mut step = 1;
        while hi < starts.len() && starts[hi] < t {
            lo = hi + 1;
            hi = (hi + step).min(starts.len());
            step *= 2;
        }
        let b = lo + starts[lo..hi].partition_point(|&s| s < t);
        (b < starts.len()).then_some(b)
    }
}

/// One lane as the level-of-detail pass sees it: closed spans, the open span (its end set to
/// the trace's `now`) and an up-to-date index of the closed spans.
#[derive(Clone, Copy, Debug)]
pub struct LaneData<'a> {
    /// Closed spans, sorted, non-overlapping.
    pub spans: &'a SpanStore,
    /// The span in progress, cut at `now`.
    pub open: Option<Span>,
    /// The index of `spans`.
    pub index: &'a LaneIndex,
}

impl<'a> LaneData<'a> {
    /// A lane's data; `open` is cut at `now`.
    pub fn new(lane: &'a gilscope_sim::trace::Lane, now: Nanos, index: &'a LaneIndex) -> Self {
        let open = lane.open.map(|mut s| {
            s.end = now.max(s.start);
            s
        });
        Self {
            spans: &lane.spans,
            open,
            index,
        }
    }

    /// Span `i`, where `i == spans.len()` is the open span.
    pub fn get(&self, i: usize) -> Option<Span> {
        match self.spans.get(i) {
            Some(s) => Some(s),
            None if i == self.spans.len() => self.open,
            None => None,
        }
    }

    /// Number of spans including the open one.
    pub fn len(&self) -> usize {
        self.spans.len() + usize::from(self.open.is_some())
    }

    /// Whether the lane has no span at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of the first span (open one included) that ends after `t`.
    pub fn first_ending_after(&self, t: Nanos) -> usize {
        self.spans.partition_point(|s| s.end <= t)
    }

    /// Time each key covers before `t`, and the index of the first span ending after `t`.
    pub fn totals_before(&self, t: Nanos) -> (usize, Totals) {
        self.totals_before_from(t, 0)
    }

    /// Like [`LaneData::totals_before`] for a `t` known to lie at or after the end of span
    /// `hint - 1`: gallops forward from `hint`, so walking columns left to right costs
    /// O(log(spans per column)) each instead of O(log(spans in the lane)).
    pub fn totals_before_from(&self, t: Nanos, hint: usize) -> (usize, Totals) {
        let i = self.first_ending_after_from(t, hint);
        let mut totals = self.index.before(self.spans, i);
        if let Some(s) = self.get(i).filter(|s| s.start < t) {
            totals[self.index.kind.key(&s)] += t.min(s.end) - s.start;
        }
        (i, totals)
    }

    /// [`LaneData::first_ending_after`] by galloping search from `hint` (any `hint` is
    /// correct; a close one is fast). A few steps from `hint` first (the answer is often one
    /// of the next spans); beyond them the index's chunk starts narrow the search to one
    /// chunk without decoding a span.
    pub fn first_ending_after_from(&self, t: Nanos, hint: usize) -> usize {
        let spans = self.spans;
        let ends_by = |i: usize| spans.end(i).is_some_and(|end| end <= t);
        let hint = hint.min(spans.len());
        if hint > 0 && !ends_by(hint - 1) {
            return self.first_ending_after(t);
        }
        let mut step = 1;
        let mut lo = hint;
        let mut hi = hint;
        let mut narrowed = false;
        while hi < spans.len() && ends_by(hi) {
            lo = hi + 1;
            if step == 8 && !narrowed {
                narrowed = true;
                // Every span before a chunk starting at or before `t` ends by `t` (they do
                // not overlap), and none from a chunk starting after it does.
                let index = self.index;
                match index.boundary_at_or_after(t.saturating_add(1), lo / CHUNK) {
                    Some(b) => {
                        return spans.first_ending_after_in(
                            lo.max(b.saturating_sub(1) * CHUNK),
                            (b * CHUNK).max(lo),
                            t,
                        );
                    }
                    None => lo = lo.max(index.starts.len().saturating_sub(1) * CHUNK),
                }
                step = 1;
                hi = lo;
                continue;
            }
            hi = (hi + step).min(spans.len());
            step *= 2;
        }
        spans.first_ending_after_in(lo, hi, t)
    }

    /// The span covering time `t`, if any.
    pub fn at(&self, t: Nanos) -> Option<Span> {
        self.get(self.first_ending_after(t))
            .filter(|s| s.start <= t && t < s.end.max(s.start + 1))
    }
}

/// One drawable piece of a lane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Block {
    /// A span wide enough to draw on its own, clipped to `[from, to)`.
    Span {
        /// The span (unclipped).
        span: Span,
        /// Visible part start, ns.
        from: Nanos,
        /// Visible part end, ns.
        to: Nanos,
    },
    /// A column of narrow spans, summarised.
    Mix {
        /// Column start, ns.
        from: Nanos,
        /// Column end, ns.
        to: Nanos,
        /// Time each colour key covers inside the column.
        totals: Totals,
        /// How many spans touch the column (at least 1).
        spans: usize,
    },
}

impl Block {
    /// Start and end, ns.
    pub fn range(&self) -> (Nanos, Nanos) {
        match *self {
            Self::Span { from, to, .. } | Self::Mix { from, to, .. } => (from, to),
        }
    }
}

/// Merges the lane's spans visible in `map` into `out` (cleared first). Spans at least `min_px`
/// points wide (after clipping) stay whole; narrower ones are summarised per `min_px` column.
/// Never reads a span outside the view or more than `CHUNK` spans per column, and emits at most
/// about `2 * width / min_px` blocks. Every nanosecond of every visible span is counted in
/// exactly one block.
pub fn merge(lane: &LaneData<'_>, map: &TimeMap, min_px: f32, out: &mut Vec<Block>) {
    out.clear();
    if lane.is_empty() {
        return;
    }
    let min_px = min_px.max(0.5);
    let (from, to) = map.visible_ns();
    let mut t = from;
    let mut i = lane.first_ending_after(t);
    // Totals before `t`, when known from the previous column.
    let mut carried: Option<Totals> = None;
    while t < to {
        let Some(span) = lane.get(i) else { break };
        if span.start >= to {
            break;
        }
        if span.start > t {
            t = span.start;
            carried = None;
        }
        let end = span.end.min(to);
        if end <= t {
            i += 1;
            continue;
        }
        if map.dx((end - t) as f64) >= f64::from(min_px) {
            out.push(Block::Span {
                span,
                from: t,
                to: end,
            });
            t = end;
            i += 1;
            carried = None;
            continue;
        }
        // A narrow span: summarise up to the next column edge.
        let edge = map.column_end(t as f64, min_px).ceil();
        let target = if edge.is_finite() && edge > t as f64 {
            (edge as Nanos).min(to)
        } else {
            t + 1
        };
        let target = target.max(t + 1);
        let before = match carried {
            Some(totals) => totals,
            None => lane.totals_before_from(t, i).1,
        };
        // Where spans are dense, end the column on a chunk boundary close after the edge:
        // there the prefix sums are exact without reading any span.
        let snapped = lane
            .index
            .boundary_at_or_after(target, i / CHUNK + 1)
            .filter(|&b| b * CHUNK <= lane.spans.len() && lane.index.starts[b] <= to)
            .filter(|&b| lane.index.starts[b] - target <= (target - t) / 2);
        let (c1, next, after) = if let Some(b) = snapped {
            (
                lane.index.starts[b],
                b * CHUNK,
                lane.index.checkpoints.get(b),
            )
        } else {
            let (next, after) = lane.totals_before_from(target, i);
            (target, next, after)
        };
        let straddles = lane.get(next).is_some_and(|s| s.start < c1);
        let spans = (next - i.min(next) + usize::from(straddles)).max(1);
        out.push(Block::Mix {
            from: t,
            to: c1,
            totals: difference(&after, &before),
            spans,
        });
        t = c1;
        i = next;
        carried = Some(after);
        if snapped.is_some() {
            (t, i, carried) = dense_columns(lane, map, min_px, to, t, i / CHUNK, out);
        }
    }
}

/// `after - before`, key by key.
fn difference(after: &Totals, before: &Totals) -> Totals {
    let mut totals = *after;
    for (total, b) in totals.iter_mut().zip(before) {
        *total -= b;
    }
    totals
}

/// Summary columns from chunk boundary `chunk` (at time `t`) on, each ending on a chunk
/// boundary and holding at least one whole chunk, reading only the index (no spans): the fast path
/// when zoomed far out. Returns where it stopped: time, span index, totals before it.
fn dense_columns(
    lane: &LaneData<'_>,
    map: &TimeMap,
    min_px: f32,
    to: Nanos,
    mut t: Nanos,
    mut chunk: usize,
    out: &mut Vec<Block>,
) -> (Nanos, usize, Option<Totals>) {
    let index = lane.index;
    loop {
        let edge = map.column_end(t as f64, min_px).ceil();
        let next = if edge.is_finite() {
            (edge as Nanos).max(t + 1)
        } else {
            Nanos::MAX
        };
        let Some(b) = index
            .boundary_at_or_after(next.max(t + 1), chunk + 1)
            .filter(|&b| index.starts[b] <= to && index.starts[b] - next <= (next - t) / 2)
        else {
            return (t, chunk * CHUNK, Some(index.checkpoints.get(chunk)));
        };
        let totals = index.checkpoints.between(chunk, b);
        out.push(Block::Mix {
            from: t,
            to: index.starts[b],
            totals,
            spans: (b - chunk) * CHUNK,
        });
        t = index.starts[b];
        chunk = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilscope_sim::trace::{Lane, NONE};

    /// A deterministic lane: spans of varied lengths with gaps, states cycling.
    fn lane(n: usize, seed: u64) -> Lane {
        let mut x = seed | 1;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut t = 0;
        let mut spans = SpanStore::new();
        for k in 0..n {
            let long = rnd() % 10 == 0;
            let len = if long {
                1 + rnd() % 5_000
            } else {
                1 + rnd() % 40
            };
            let gap = if rnd() % 7 == 0 { rnd() % 100 } else { 0 };
            t += gap;
            let state = ThreadState::ALL[(rnd() % 9) as usize];
            spans.push(Span {
                start: t,
                end: t + len,
                bytecodes: k as u64,
                other: (rnd() % 5) as u32,
                state,
            });
            t += len;
        }
        let open = Some(Span {
            start: t + 3,
            end: t + 3,
            bytecodes: 0,
            other: NONE,
            state: ThreadState::Io,
        });
        Lane { spans, open }
    }

    fn brute_totals(lane: &LaneData<'_>, kind: LaneKind, from: Nanos, to: Nanos) -> Totals {
        let mut totals = [0; KEYS];
        for i in 0..lane.len() {
            let s = lane.get(i).expect("in range");
            let (a, b) = (s.start.max(from), s.end.min(to));
            if b > a {
                totals[kind.key(&s)] += b - a;
            }
        }
        totals
    }

    fn block_totals(blocks: &[Block], kind: LaneKind) -> Totals {
        let mut totals = [0; KEYS];
        for block in blocks {
            match *block {
                Block::Span { span, from, to } => totals[kind.key(&span)] += to - from,
                Block::Mix { totals: t, .. } => {
                    for (a, b) in totals.iter_mut().zip(t) {
                        *a += b;
                    }
                }
            }
        }
        totals
    }

    #[test]
    fn a_search_from_any_hint_finds_what_a_search_from_the_first_finds() {
        for (n, seed) in [(0, 21), (5, 22), (96, 23), (3_000, 24)] {
            let lane = lane(n, seed);
            let index = LaneIndex::build(LaneKind::Thread, &lane.spans);
            let data = LaneData::new(&lane, lane.open.map_or(0, |s| s.start) + 50, &index);
            let end = data.get(data.len().max(1) - 1).map_or(10, |s| s.end + 10);
            for t in (0..end).step_by(7) {
                let want = data.first_ending_after(t);
                for hint in [0, want / 2, want.saturating_sub(40), want, want + 1, n + 5] {
                    assert_eq!(
                        data.first_ending_after_from(t, hint),
                        want,
                        "{n} spans, t {t}, hint {hint}"
                    );
                }
            }
        }
    }

    #[test]
    fn sums_before_every_span_match_a_sum_from_the_first() {
        // Lanes ending on a checkpoint (96, 128) and between (100, 1_000), growing too.
        for (n, seed) in [(96, 11), (100, 12), (128, 13), (1_000, 14)] {
            for kind in [LaneKind::Thread, LaneKind::Occupancy] {
                let lane = lane(n, seed);
                let mut index = LaneIndex::new(kind);
                let spans = lane.spans.to_vec();
                let mut grown = SpanStore::new();
                for (len, span) in spans.iter().enumerate() {
                    grown.push(*span);
                    if len % 37 == 0 || len + 1 == n {
                        index.update(&grown);
                    }
                }
                let mut sum = [0; KEYS];
                for (i, span) in spans.iter().enumerate() {
                    assert_eq!(index.before(&grown, i), sum, "{n} spans, before {i}");
                    sum[kind.key(span)] += span.duration();
                }
                assert_eq!(index.before(&grown, n), sum, "{n} spans, all");
            }
        }
    }

    #[test]
    fn merging_loses_and_double_counts_nothing() {
        for (n, seed) in [
            (0, 1),
            (1, 2),
            (31, 3),
            (32, 4),
            (33, 5),
            (5_000, 6),
            (100_000, 7),
        ] {
            for kind in [LaneKind::Thread, LaneKind::Occupancy] {
                let lane = lane(n, seed);
                let now = lane.open.map_or(0, |s| s.start) + 500;
                let index = LaneIndex::build(kind, &lane.spans);
                let data = LaneData::new(&lane, now, &index);
                let end = now as f64;
                let mut blocks = Vec::new();
                for (start, stop, width) in [
                    (0.0, end, 1000.0),
                    (-500.0, end * 0.3, 800.0),
                    (end * 0.25, end * 0.2501, 1920.0),
                    (end * 0.5, end * 0.6, 300.0),
                    (end * 0.9, end * 1.5, 1000.0),
                    (0.0, end, 7.0),
                ] {
                    let map = TimeMap::new(start, stop, 50.0, 50.0 + width);
                    merge(&data, &map, 2.0, &mut blocks);
                    let (from, to) = map.visible_ns();
                    assert_eq!(
                        block_totals(&blocks, kind),
                        brute_totals(&data, kind, from, to),
                        "n={n} kind={kind:?} view {start}..{stop}"
                    );
                    for pair in blocks.windows(2) {
                        assert!(
                            pair[0].range().1 <= pair[1].range().0,
                            "blocks overlap or go backwards"
                        );
                    }
                    for b in &blocks {
                        let (a, z) = b.range();
                        assert!(a < z && a >= from && z <= to);
                    }
                    assert!(
                        blocks.len() as f32 <= 2.0 * width / 2.0 + 4.0,
                        "{} blocks for {width} px",
                        blocks.len()
                    );
                }
            }
        }
    }

    #[test]
    fn columns_advance_a_whole_column_even_far_from_zero() {
        // Long run (seconds, far beyond f32 precision in ns), many spans per pixel.
        let mut lane = Lane::default();
        for i in 0..200_000u64 {
            let start = 5_000_000_000 + i * 10_000;
            let state = ThreadState::ALL[(i % 3) as usize];
            lane.spans.push(Span {
                start,
                end: start + 9_000,
                bytecodes: 0,
                other: 0,
                state,
            });
        }
        let index = LaneIndex::build(LaneKind::Thread, &lane.spans);
        let data = LaneData::new(&lane, 7_000_000_000, &index);
        let mut blocks = Vec::new();
        merge(
            &data,
            &TimeMap::new(0.0, 7e9, 0.0, 1920.0),
            2.0,
            &mut blocks,
        );
        assert!(blocks.len() <= 1920 / 2 + 2, "{} blocks", blocks.len());
    }

    #[test]
    fn zoomed_in_spans_stay_whole_and_zoomed_out_ones_merge() {
        let lane = lane(10_000, 9);
        let now = lane.open.map_or(0, |s| s.start);
        let index = LaneIndex::build(LaneKind::Thread, &lane.spans);
        let data = LaneData::new(&lane, now, &index);
        let mut blocks = Vec::new();
        let s = lane.spans.get(5_000).expect("5,000 spans");
        merge(
            &data,
            &TimeMap::new(s.start as f64, s.end as f64, 0.0, 1000.0),
            2.0,
            &mut blocks,
        );
        assert_eq!(
            blocks,
            vec![Block::Span {
                span: s,
                from: s.start,
                to: s.end
            }]
        );
        merge(
            &data,
            &TimeMap::new(0.0, now as f64, 0.0, 1000.0),
            2.0,
            &mut blocks,
        );
        assert!(
            blocks
                .iter()
                .any(|b| matches!(b, Block::Mix { spans, .. } if *spans > 3))
        );
    }

    #[test]
    fn index_extends_as_the_lane_grows_and_rebuilds_when_replaced() {
        let full = lane(1_000, 11);
        let mut index = LaneIndex::new(LaneKind::Thread);
        for n in [0, 10, 32, 33, 500, 1_000] {
            let prefix = full.spans.range(..n).collect();
            index.update(&prefix);
            let fresh = LaneIndex::build(LaneKind::Thread, &prefix);
            assert_eq!(
                (0..index.checkpoints.len())
                    .map(|c| index.checkpoints.get(c))
                    .collect::<Vec<_>>(),
                (0..fresh.checkpoints.len())
                    .map(|c| fresh.checkpoints.get(c))
                    .collect::<Vec<_>>()
            );
            assert_eq!(index.running, fresh.running);
        }
        let other = lane(600, 12);
        index.update(&other.spans);
        let fresh = LaneIndex::build(LaneKind::Thread, &other.spans);
        let all = |index: &LaneIndex| {
            (0..index.checkpoints.len())
                .map(|c| index.checkpoints.get(c))
                .collect::<Vec<_>>()
        };
        assert_eq!((all(&index), index.running), (all(&fresh), fresh.running));
    }

    #[test]
    fn visible_search_and_point_lookup() {
        let lane = lane(2_000, 13);
        let now = lane.open.map_or(0, |s| s.start) + 50;
        let index = LaneIndex::build(LaneKind::Thread, &lane.spans);
        let data = LaneData::new(&lane, now, &index);
        for probe in [0, 17, 999, now / 2, now - 1] {
            let brute = (0..data.len())
                .filter_map(|i| data.get(i))
                .find(|s| s.start <= probe && probe < s.end);
            assert_eq!(data.at(probe), brute, "at {probe}");
        }
        for (probe, hint) in [
            (0, 0),
            (now / 2, 0),
            (now / 2, 1_999),
            (now / 2, 700),
            (now, 5),
            (now / 3, 2_000),
        ] {
            assert_eq!(
                data.first_ending_after_from(probe, hint),
                data.first_ending_after(probe),
                "{probe} from {hint}"
            );
        }
        let range = lane.visible(now / 3, now / 2);
        assert_eq!(range.start, data.first_ending_after(now / 3));
    }
}
