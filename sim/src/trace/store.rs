//! Compact storage of a lane's closed spans: 16 bytes a span, in fixed-size chunks.
//!
//! A [`Span`] is 32 bytes (start, end and bytecodes as `u64`). Stored, it is a [`Packed`]
//! of 16: its start as a `u32` offset from its chunk's first start, its duration as a `u32`,
//! a 32-bit payload (the bytecodes), `other` as a `u16` ([`NONE`] mapped to `u16::MAX`) and
//! the state as a `u8`. A span that does not fit (a start more than 4.29 s after its chunk's
//! first, a duration of more than 4.29 s, more than 2^32 bytecodes, an `other` of 65,535 or
//! more) is kept whole in its chunk's exception list, its packed slot flagged: rare in the
//! runs that make millions of spans, which switch in microseconds.
//!
//! Chunks hold [`CHUNK`] spans. The first grows by doubling up to that; every later one is
//! allocated whole once, so the store never copies what it holds and a span's chunk is its
//! index shifted. A full chunk is sealed and shared between copies of the store. Readers get decoded [`Span`] values ([`SpanStore::get`],
//! [`SpanStore::iter`], [`SpanStore::range`]).

use super::{NONE, Span, ThreadState};
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Spans per chunk (a power of two): 64 KiB of packed spans.
pub const CHUNK: usize = 1 << CHUNK_BITS;
const CHUNK_BITS: u32 = 12;

/// `other` of [`NONE`], packed.
const OTHER_NONE: u16 = u16::MAX;
/// A packed slot whose span is in its chunk's exception list.
const ESCAPED: u8 = 1;

/// One stored span: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct Packed {
    /// Start minus the chunk's base.
    offset: u32,
    /// `end - start`.
    duration: u32,
    /// The span's 32-bit payload: its bytecodes.
    payload: u32,
    /// `other`, [`NONE`] as [`OTHER_NONE`].
    other: u16,
    /// The state's index in [`ThreadState::ALL`].
    state: u8,
    /// [`ESCAPED`] or 0.
    flags: u8,
}

const _: () = assert!(std::mem::size_of::<Packed>() == 16);

#[derive(Debug, Clone, Default, PartialEq)]
struct Chunk {
    /// The first span's start: what offsets count from.
    base: u64,
    packed: Vec<Packed>,
    /// Spans that do not pack, by their index in the chunk (ascending).
    escaped: Vec<(u32, Span)>,
}

impl Chunk {
    #[inline]
    fn decode(&self, i: usize) -> Span {
        self.unpack(self.packed[i], i)
    }

    /// The span stored as `p` at index `i` of this chunk.
    #[inline]
    fn unpack(&self, p: Packed, i: usize) -> Span {
        if p.flags & ESCAPED != 0 {
            let at = self.escaped.partition_point(|&(j, _)| (j as usize) < i);
            return self.escaped[at].1;
        }
        let start = self.base + u64::from(p.offset);
        Span {
            start,
            end: start + u64::from(p.duration),
            bytecodes: u64::from(p.payload),
            other: if p.other == OTHER_NONE {
                NONE
            } else {
                u32::from(p.other)
            },
            state: ThreadState::ALL[usize::from(p.state)],
        }
    }

    /// The end of the span stored at index `i` of this chunk, reading only its start and
    /// duration.
    #[inline]
    fn end(&self, i: usize) -> u64 {
        let p = self.packed[i];
        if p.flags & ESCAPED != 0 {
            return self.unpack(p, i).end;
        }
        self.base + u64::from(p.offset) + u64::from(p.duration)
    }

    /// Appends `span`, which the caller has made room for.
    #[expect(
        clippy::inline_always,
        reason = "measured: callgrind counts fewer instructions inlined"
    )]
    #[inline(always)]
    fn push(&mut self, span: Span) {
        if self.packed.is_empty() {
            self.base = span.start;
        }
        let offset = span.start.checked_sub(self.base).map(u32::try_from);
        let duration = u32::try_from(span.duration());
        let payload = u32::try_from(span.bytecodes);
        let other = if span.other == NONE {
            Some(OTHER_NONE)
        } else {
            u16::try_from(span.other).ok().filter(|&o| o != OTHER_NONE)
        };
        if let (Some(Ok(offset)), Ok(duration), Ok(payload), Some(other)) =
            (offset, duration, payload, other)
        {
            self.packed.push(Packed {
                offset,
                duration,
                payload,
                other,
                state: span.state as u8,
                flags: 0,
            });
        } else {
            self.escape(span);
        }
    }

    /// Appends a span that does not pack: whole in the exception list, its slot flagged.
    #[cold]
    #[inline(never)]
    fn escape(&mut self, span: Span) {
        self.escaped.push((self.packed.len() as u32, span));
        self.packed.push(Packed {
            offset: 0,
            duration: 0,
            payload: 0,
            other: OTHER_NONE,
            state: 0,
            flags: ESCAPED,
        });
    }

    fn heap_bytes(&self) -> usize {
        self.packed.capacity() * std::mem::size_of::<Packed>()
            + self.escaped.capacity() * std::mem::size_of::<(u32, Span)>()
    }
}

/// A lane's closed spans, sorted by start: 16 bytes a span (see the module's doc).
///
/// Full chunks are sealed and shared: a clone of the store, or a copy of the trace built
/// from its deltas ([`SpanStore::since`], [`SpanStore::append`]), points at the same chunks
/// instead of copying them, so an engine's trace and the viewer's copy of it hold each span
/// once.
#[derive(Debug, Clone, Default)]
pub struct SpanStore {
    /// Full chunks, [`CHUNK`] spans each.
    sealed: Vec<Arc<Chunk>>,
    /// The chunk being filled (fewer than [`CHUNK`] spans).
    tail: Chunk,
}

impl SpanStore {
    /// An empty store (allocates nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of spans.
    #[inline]
    pub fn len(&self) -> usize {
        self.sealed.len() * CHUNK + self.tail.packed.len()
    }

    /// Whether it holds no span.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn decode(&self, i: usize) -> Span {
        self.chunk_of(i).decode(i & (CHUNK - 1))
    }

    /// The chunk holding span `i`.
    #[inline]
    fn chunk_of(&self, i: usize) -> &Chunk {
        self.sealed.get(i >> CHUNK_BITS).map_or(&self.tail, |c| c)
    }

    /// Span `i`, decoded.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Span> {
        (i < self.len()).then(|| self.decode(i))
    }

    /// Span `i`'s end, without decoding the rest of it.
    #[inline]
    pub fn end(&self, i: usize) -> Option<u64> {
        (i < self.len()).then(|| self.chunk_of(i).end(i & (CHUNK - 1)))
    }

    /// The first index in `lo..hi` (`hi` clamped to the store) whose span ends after `t`,
    /// given that every span before `lo` ends by `t` and none from `hi` on does: a binary
    /// search reading only the spans' ends, looking their chunk up once when the range lies
    /// in one.
    pub fn first_ending_after_in(&self, mut lo: usize, hi: usize, t: u64) -> usize {
        let mut hi = hi.min(self.len());
        if lo >= hi {
            return lo;
        }
        if lo >> CHUNK_BITS == (hi - 1) >> CHUNK_BITS {
            let chunk = self.chunk_of(lo);
            let first = lo & !(CHUNK - 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if chunk.end(mid - first) <= t {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.decode(mid).end <= t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The first span.
    #[inline]
    pub fn first(&self) -> Option<Span> {
        self.get(0)
    }

    /// The last span.
    #[inline]
    pub fn last(&self) -> Option<Span> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Appends a span (after the last one). Always inlined: it is the engine's recording of
    /// every span, and a call's saving and restoring of registers cost a third of it.
    #[expect(
        clippy::inline_always,
        reason = "measured: callgrind counts fewer instructions inlined"
    )]
    #[inline(always)]
    pub fn push(&mut self, span: Span) {
        if self.tail.packed.len() == self.tail.packed.capacity() {
            self.make_room();
        }
        self.tail.push(span);
        if self.tail.packed.len() == CHUNK {
            self.seal();
        }
    }

    /// Room for the next span in a full tail: the first chunk grows with the lane; later ones
    /// are allocated whole, once.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self) {
        let tail = &mut self.tail.packed;
        let capacity = if self.sealed.is_empty() {
            (tail.capacity() * 2).clamp(64, CHUNK)
        } else {
            CHUNK
        };
        tail.reserve_exact(capacity - tail.len());
    }

    /// The tail is full: it becomes a sealed chunk.
    #[cold]
    #[inline(never)]
    fn seal(&mut self) {
        self.sealed.push(Arc::new(std::mem::take(&mut self.tail)));
    }

    /// Adds `bytecodes` to the last span's count.
    pub fn add_to_last(&mut self, bytecodes: u64) {
        if let Some(last) = self.last() {
            self.pop();
            self.push(Span {
                bytecodes: last.bytecodes + bytecodes,
                ..last
            });
        }
    }

    fn pop(&mut self) {
        if self.tail.packed.is_empty()
            && let Some(sealed) = self.sealed.pop()
        {
            self.tail = Arc::unwrap_or_clone(sealed);
        }
        if let Some(p) = self.tail.packed.pop()
            && p.flags & ESCAPED != 0
        {
            self.tail.escaped.pop();
        }
    }

    /// Every span, decoded, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Span> + ExactSizeIterator + Clone + '_ {
        self.range(..)
    }

    /// The spans with indices in `range`, decoded, in order (clamped to the store).
    #[inline]
    pub fn range(
        &self,
        range: impl RangeBounds<usize>,
    ) -> impl DoubleEndedIterator<Item = Span> + ExactSizeIterator + Clone + '_ {
        let from = match range.start_bound() {
            Bound::Included(&i) => i,
            Bound::Excluded(&i) => i + 1,
            Bound::Unbounded => 0,
        };
        let to = match range.end_bound() {
            Bound::Included(&i) => i + 1,
            Bound::Excluded(&i) => i,
            Bound::Unbounded => usize::MAX,
        }
        .min(self.len());
        Iter {
            store: self,
            chunk: &self.tail,
            slots: [].iter(),
            slots_end: 0,
            rest: from.min(to),
            back: to,
        }
    }

    /// The number of leading spans for which `pred` holds (`pred` must hold for a prefix of
    /// the spans, as for [`slice::partition_point`]): a binary search.
    #[inline]
    pub fn partition_point(&self, mut pred: impl FnMut(&Span) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self.decode(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The spans, decoded, in a vector (for tests and small lanes).
    pub fn to_vec(&self) -> Vec<Span> {
        self.iter().collect()
    }

    /// Bytes allocated for the spans (a sealed chunk shared with a copy counted in each).
    pub fn heap_bytes(&self) -> usize {
        self.sealed.iter().map(|c| c.heap_bytes()).sum::<usize>()
            + self.tail.heap_bytes()
            + self.sealed.capacity() * std::mem::size_of::<Arc<Chunk>>()
    }

    /// The spans from index `from` on, for a copy of this store that holds the first `from`:
    /// the chunks sealed since, shared, and the spans after them.
    pub fn since(&self, from: usize) -> NewSpans {
        let from = from.min(self.len());
        let first_chunk = (from >> CHUNK_BITS).min(self.sealed.len());
        let loose_from = from.max(self.sealed.len() * CHUNK);
        NewSpans {
            from,
            first_chunk,
            chunks: self.sealed[first_chunk..].to_vec(),
            loose: self.range(loose_from..).collect(),
        }
    }

    /// Appends what [`SpanStore::since`] took from another store. When this store holds
    /// exactly the spans before them, sealed chunks are shared, not copied.
    pub fn append(&mut self, new: NewSpans) {
        if self.len() == new.from && self.sealed.len() == new.first_chunk {
            if !new.chunks.is_empty() {
                // The tail's spans are the first of the first new chunk.
                self.tail = Chunk::default();
                self.sealed.extend(new.chunks);
            }
            self.extend(new.loose);
            return;
        }
        let chunked = new
            .chunks
            .iter()
            .flat_map(|c| (0..c.packed.len()).map(|i| c.decode(i)));
        let skip = if new.chunks.is_empty() {
            0
        } else {
            new.from - new.first_chunk * CHUNK
        };
        let spans: Vec<Span> = chunked.chain(new.loose).skip(skip).collect();
        self.extend(spans);
    }
}

/// Decoded spans of a store, in order. Forwards it walks one chunk's packed spans at a time
/// through a slice iterator, looking the chunk up once per [`CHUNK`] spans; backwards, past
/// those, it decodes span by span.
#[derive(Clone)]
struct Iter<'a> {
    store: &'a SpanStore,
    /// The chunk `slots` are in.
    chunk: &'a Chunk,
    /// The next spans forwards, within `chunk`.
    slots: std::slice::Iter<'a, Packed>,
    /// The index in `chunk` just past `slots`.
    slots_end: usize,
    /// The store's index just past `slots`: where the next chunk's spans begin (at most `back`).
    rest: usize,
    /// The end of the range (exclusive).
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = Span;

    #[inline]
    fn next(&mut self) -> Option<Span> {
        if self.slots.len() == 0 {
            if self.rest >= self.back {
                return None;
            }
            self.next_chunk();
        }
        let p = *self.slots.next()?;
        let i = self.slots_end - self.slots.len() - 1;
        Some(self.chunk.unpack(p, i))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.slots.len() + (self.back - self.rest);
        (n, Some(n))
    }

    /// Chunk by chunk, each a loop over its packed spans (what `sum`, `for_each` and `fold`
    /// itself use).
    #[inline]
    fn fold<B, F: FnMut(B, Span) -> B>(mut self, init: B, mut f: F) -> B {
        let mut acc = init;
        loop {
            let first = self.slots_end - self.slots.len();
            for (i, &p) in (first..).zip(self.slots.by_ref()) {
                acc = f(acc, self.chunk.unpack(p, i));
            }
            if self.rest >= self.back {
                return acc;
            }
            self.next_chunk();
        }
    }
}

impl Iter<'_> {
    /// `slots` used up and spans left: the next chunk's spans within the range.
    #[inline]
    fn next_chunk(&mut self) {
        let chunk = self.store.chunk_of(self.rest);
        let first = self.rest & !(CHUNK - 1);
        let from = self.rest - first;
        let to = chunk.packed.len().min(self.back - first);
        self.chunk = chunk;
        self.slots = chunk.packed[from..to].iter();
        self.slots_end = to;
        self.rest = first + to;
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Span> {
        if self.back > self.rest {
            self.back -= 1;
            return Some(self.store.decode(self.back));
        }
        let p = *self.slots.next_back()?;
        self.slots_end -= 1;
        self.rest -= 1;
        self.back -= 1;
        Some(self.chunk.unpack(p, self.slots_end))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Spans a store gained since it held `from` of them: see [`SpanStore::since`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewSpans {
    /// How many spans the receiving copy holds already.
    from: usize,
    /// The index of the first chunk in `chunks`.
    first_chunk: usize,
    /// Chunks sealed since (the first may hold spans before `from`).
    chunks: Vec<Arc<Chunk>>,
    /// The spans after the chunks, from `from` on.
    loose: Vec<Span>,
}

impl NewSpans {
    /// Whether no span is new.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.loose.is_empty()
    }
}

impl PartialEq for SpanStore {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Extend<Span> for SpanStore {
    fn extend<I: IntoIterator<Item = Span>>(&mut self, spans: I) {
        for span in spans {
            self.push(span);
        }
    }
}

impl FromIterator<Span> for SpanStore {
    fn from_iter<I: IntoIterator<Item = Span>>(spans: I) -> Self {
        let mut store = Self::new();
        store.extend(spans);
        store
    }
}

impl From<Vec<Span>> for SpanStore {
    fn from(spans: Vec<Span>) -> Self {
        spans.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64, bytecodes: u64, other: u32, state: ThreadState) -> Span {
        Span {
            start,
            end,
            bytecodes,
            other,
            state,
        }
    }

    #[test]
    fn a_stored_span_takes_16_bytes() {
        let store: SpanStore = (0..3 * CHUNK as u64)
            .map(|i| span(i * 10, i * 10 + 10, i, 1, ThreadState::Running))
            .collect();
        let per_span = store.heap_bytes() as f64 / store.len() as f64;
        assert!(per_span <= 16.5, "{per_span} bytes a span");
    }

    #[test]
    fn what_does_not_pack_comes_back_whole() {
        let big = u64::from(u32::MAX) + 7;
        let spans = vec![
            span(0, 5, 3, NONE, ThreadState::Running),
            span(5, 5 + big, 0, 2, ThreadState::Io),
            span(5 + big, 6 + big, big, 65_535, ThreadState::WaitingGil),
            span(6 + big, 8 + big, 1, 70_000, ThreadState::Lock),
            span(8 + big, 9 + big, 0, 65_534, ThreadState::Done),
        ];
        let store = SpanStore::from(spans.clone());
        assert_eq!(store.to_vec(), spans);
        assert_eq!(store.range(1..3).collect::<Vec<_>>(), spans[1..3]);
        assert_eq!(store.range(3..).next_back(), spans.last().copied());
        assert_eq!(store.last(), spans.last().copied());
        assert_eq!(store.get(5), None);
    }

    #[test]
    fn chunks_index_searches_and_fix_the_last_count() {
        let n = 2 * CHUNK + 100;
        let mut store: SpanStore = (0..n as u64)
            .map(|i| {
                span(
                    i * 3,
                    i * 3 + 2,
                    1,
                    (i % 5) as u32,
                    ThreadState::ALL[i as usize % 17],
                )
            })
            .collect();
        assert_eq!(store.len(), n);
        for i in [0, CHUNK - 1, CHUNK, n - 1] {
            assert_eq!(store.get(i).map(|s| s.start), Some(i as u64 * 3));
        }
        assert_eq!(store.partition_point(|s| s.end <= 3 * CHUNK as u64), CHUNK);
        assert_eq!(store.range((CHUNK - 1)..=CHUNK).count(), 2);
        store.add_to_last(4);
        assert_eq!(store.last().map(|s| s.bytecodes), Some(5));
        assert_eq!(store.len(), n);
    }

    #[test]
    fn iterating_walks_chunks_in_order_from_both_ends() {
        // Spans in three chunks and a tail, one escaped in the second chunk.
        let n = 3 * CHUNK + 10;
        let big = u64::from(u32::MAX) + 1;
        let spans: Vec<Span> = (0..n as u64)
            .map(|i| {
                let (start, end) = if i as usize >= CHUNK + 5 {
                    (big + i * 4, big + i * 4 + 3)
                } else if i as usize == CHUNK + 4 {
                    (i * 4, big + i * 4)
                } else {
                    (i * 4, i * 4 + 3)
                };
                span(
                    start,
                    end,
                    i % 7,
                    (i % 3) as u32,
                    ThreadState::ALL[i as usize % 5],
                )
            })
            .collect();
        let store = SpanStore::from(spans.clone());
        assert_eq!(store.iter().len(), n);
        assert_eq!(store.to_vec(), spans);
        for (from, to) in [
            (0, n),
            (CHUNK - 2, CHUNK + 6),
            (CHUNK + 4, 3 * CHUNK + 1),
            (n - 3, n),
        ] {
            let mut it = store.range(from..to);
            assert_eq!(it.len(), to - from);
            // Forwards and backwards at once meet in the middle.
            let mut forwards = Vec::new();
            let mut backwards = Vec::new();
            while let Some(s) = it.next() {
                forwards.push(s);
                if let Some(b) = it.next_back() {
                    backwards.push(b);
                }
            }
            backwards.reverse();
            forwards.extend(backwards);
            assert_eq!(forwards, spans[from..to], "{from}..{to}");
        }
    }

    #[test]
    fn ends_and_searches_on_ends_match_the_decoded_spans() {
        // Three chunks and a tail with gaps, one span escaped (a long one) in the second.
        let n = 3 * CHUNK + 10;
        let big = u64::from(u32::MAX) + 9;
        let spans: Vec<Span> = (0..n as u64)
            .map(|i| {
                let start = i * 5 + i / 3;
                let end = if i as usize == CHUNK + 7 {
                    start + big
                } else {
                    start + 1 + i % 4
                };
                let start = if i as usize > CHUNK + 7 {
                    start + big
                } else {
                    start
                };
                let end = if i as usize > CHUNK + 7 {
                    end + big
                } else {
                    end
                };
                span(start, end, 1, 0, ThreadState::ALL[i as usize % 3])
            })
            .collect();
        let store = SpanStore::from(spans.clone());
        for (i, s) in spans.iter().enumerate() {
            assert_eq!(store.end(i), Some(s.end), "span {i}");
        }
        assert_eq!(store.end(n), None);
        let probes = spans
            .iter()
            .step_by(97)
            .chain(&spans[CHUNK + 5..CHUNK + 10])
            .flat_map(|s| [s.start, s.end - 1, s.end]);
        for t in probes.chain([0, u64::MAX]) {
            let want = spans.partition_point(|s| s.end <= t);
            for (lo, hi) in [
                (0, n),
                (want.saturating_sub(3), want + 3),
                (want & !(CHUNK - 1), (want | (CHUNK - 1)) + 1),
                (want, want),
                (want.saturating_sub(CHUNK + 1), n + 50),
            ] {
                assert_eq!(
                    store.first_ending_after_in(lo, hi, t),
                    want,
                    "t {t}, {lo}..{hi}"
                );
            }
        }
    }

    /// The spans `it` folds over, in order (taken by value: the store's own `fold`, not the one
    /// of a `&mut` iterator).
    fn folded(it: impl Iterator<Item = Span>) -> Vec<Span> {
        it.fold(Vec::new(), |mut v, s| {
            v.push(s);
            v
        })
    }

    #[test]
    fn folding_gives_the_spans_left_in_order() {
        // Three chunks and a tail, one span escaped in the middle chunk.
        let n = 3 * CHUNK + 10;
        let big = u64::from(u32::MAX) + 9;
        let spans: Vec<Span> = (0..n as u64)
            .map(|i| {
                let end = if i as usize == CHUNK + 7 {
                    i * 4 + big
                } else {
                    i * 4 + 3
                };
                span(
                    i * 4,
                    end,
                    i % 5,
                    (i % 4) as u32,
                    ThreadState::ALL[i as usize % 7],
                )
            })
            .collect();
        let store = SpanStore::from(spans.clone());
        for (from, to, front, back) in [
            (0, n, 0, 0),
            (5, n - 3, 1, 2),
            (CHUNK - 1, 2 * CHUNK + 10, CHUNK + 1, 3),
            (CHUNK + 7, CHUNK + 8, 0, 0),
        ] {
            let mut it = store.range(from..to);
            // Some taken from each end first.
            for _ in 0..front {
                it.next();
            }
            for _ in 0..back {
                it.next_back();
            }
            assert_eq!(
                folded(it),
                spans[from + front..to - back],
                "{from}..{to} less {front} and {back}"
            );
        }
        let total: u64 = store.iter().map(|s| s.duration()).sum();
        assert_eq!(total, spans.iter().map(Span::duration).sum::<u64>());
    }

    #[test]
    fn a_copy_built_from_deltas_shares_the_sealed_chunks() {
        let spans: Vec<Span> = (0..3 * CHUNK as u64 + 17)
            .map(|i| span(i * 2, i * 2 + 2, i % 3, NONE, ThreadState::Running))
            .collect();
        let mut source = SpanStore::new();
        let mut copy = SpanStore::new();
        for (i, s) in spans.iter().enumerate() {
            source.push(*s);
            if i % 1_000 == 999 {
                copy.append(source.since(copy.len()));
            }
        }
        copy.append(source.since(copy.len()));
        assert!(source.since(copy.len()).is_empty());
        assert_eq!(copy.to_vec(), spans);
        assert_eq!(copy.sealed.len(), 3);
        assert!(
            copy.sealed
                .iter()
                .zip(&source.sealed)
                .all(|(a, b)| Arc::ptr_eq(a, b)),
            "sealed chunks are shared, not copied"
        );
        // A copy that does not hold what the delta assumes still gets every new span.
        let mut short = SpanStore::from(spans[..10].to_vec());
        short.append(source.since(CHUNK + 5));
        let expected: Vec<Span> = spans[..10]
            .iter()
            .chain(&spans[CHUNK + 5..])
            .copied()
            .collect();
        assert_eq!(short.to_vec(), expected);
        let mut tail_only = SpanStore::new();
        tail_only.append(source.since(3 * CHUNK + 4));
        assert_eq!(tail_only.to_vec(), spans[3 * CHUNK + 4..]);
    }
}
