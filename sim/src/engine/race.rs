//! Shared counters: replays every load and store of `counter += 1` in time order to find the
//! final value, so lost updates come out of the timing the engine produced, not a formula.
//!
//! The engine records each stretch of an increment loop that ran on a core (a segment). After
//! the run, each segment yields its loads (`LOAD_GLOBAL`) and stores (`STORE_GLOBAL`) at the
//! instants its bytecodes start; merging all threads' events by time and applying them to one
//! shared value gives the counter's final value. A thread switched out between its load and
//! its store keeps its stale value and overwrites the others' work when it resumes: each such
//! store is kept as a [`StaleStore`] (when it loaded, when it stored, what it erased), so the
//! lost updates can be shown where they happen.
//!
//! Under a GIL one thread runs at a time, so most of a segment's iterations happen before any
//! other thread's next access: those are applied at once (each a load and a store of its own,
//! nothing lost), which gives the same result as going through them one by one.

use crate::rng::SplitMix64;
use crate::time::Nanos;
use crate::trace::{CounterResult, StaleStore};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One stretch of an increment loop executed on a core.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// Which thread ran it.
    pub thread: u32,
    /// When it started.
    pub start: Nanos,
    /// Work done (ps) at the start and at the end.
    pub from_ps: u64,
    /// Work done (ps) at the end.
    pub to_ps: u64,
    /// Cost of one bytecode (ps).
    pub ps: u64,
    /// Bytecodes per iteration.
    pub body: u32,
    /// Where in the iteration the load (`LOAD_GLOBAL`) starts.
    pub load: u32,
    /// Where in the iteration the store (`STORE_GLOBAL`) starts.
    pub store: u32,
    /// Which op of the thread this was (to tell one increment op from the next).
    pub op_serial: u64,
}

/// Segments per counter.
#[derive(Debug, Clone, Default)]
pub struct RaceLog {
    segments: Vec<Vec<Segment>>,
    /// Iterations of increment loops recorded: the replay's work, for the run's limits.
    increments: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    Load,
    Store,
}

impl RaceLog {
    /// A log for `counters` counters.
    pub fn new(counters: usize) -> Self {
        Self {
            segments: vec![Vec::new(); counters],
            increments: 0,
        }
    }

    /// Records a segment of counter `counter`.
    pub fn record(&mut self, counter: usize, segment: Segment) {
        if segment.to_ps > segment.from_ps {
            let bytecodes = (segment.to_ps - segment.from_ps) / segment.ps.max(1);
            self.increments += bytecodes / u64::from(segment.body.max(1));
            self.segments[counter].push(segment);
        }
    }

    /// Increments recorded so far (each a load and a store the replay will go through).
    pub fn increments(&self) -> u64 {
        self.increments
    }

    /// Bytes the recorded segments take, as allocated: counted in the memory budget.
    pub fn heap_bytes(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.capacity() * std::mem::size_of::<Segment>())
            .sum()
    }

    /// Replays every counter. `jitter_ns` spreads each access by up to that much (cache-line
    /// contention between cores when threads truly overlap; 0 under a GIL). Returns the final
    /// values and every stale store, in store order per counter.
    pub fn resolve(
        &self,
        names: &[String],
        seed: u64,
        jitter_ns: u64,
    ) -> (Vec<CounterResult>, Vec<StaleStore>) {
        let mut rng = SplitMix64::new(seed ^ 0xC0FF_EE00_D15E_A5E5);
        let mut stale = Vec::new();
        let results = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                // Every store executed is one `+= 1` the program performed.
                let (expected, actual) = replay(
                    &self.segments[i],
                    &mut rng,
                    jitter_ns,
                    i as u32,
                    &mut stale,
                    jitter_ns == 0,
                );
                CounterResult {
                    name: name.clone(),
                    expected,
                    actual,
                    lost: expected.saturating_sub(actual),
                }
            })
            .collect();
        (results, stale)
    }
}

/// What a thread's register holds between its load and its store.
#[derive(Clone, Copy)]
struct Loaded {
    value: u64,
    /// The iteration (and op) it belongs to: a store only uses the load of its own iteration.
    key: u64,
    at: Nanos,
}

/// The accesses of one segment, lazily, in time order.
struct Accesses {
    seg: Segment,
    next_bytecode: u64,
}

impl Accesses {
    fn new(seg: Segment) -> Self {
        Self {
            next_bytecode: seg.from_ps.div_ceil(seg.ps),
            seg,
        }
    }

    /// The time of bytecode `i` of the segment (`i * ps` at or after `from_ps`).
    fn time_of(&self, i: u64) -> Nanos {
        self.seg.start + (i * self.seg.ps - self.seg.from_ps) / 1000
    }

    fn next(&mut self, rng: &mut SplitMix64, jitter_ns: u64) -> Option<(Nanos, Access, u64)> {
        let body = u64::from(self.seg.body);
        let load = u64::from(self.seg.load);
        let store = u64::from(self.seg.store);
        loop {
            let i = self.next_bytecode;
            if i * self.seg.ps >= self.seg.to_ps {
                return None;
            }
            let within = i % body;
            // Skip straight to the next load or store of this or the next iteration.
            let next = if within == load || within == store {
                i
            } else if within < load {
                i - within + load
            } else if within < store {
                i - within + store
            } else {
                i - within + body + load
            };
            if next != i {
                self.next_bytecode = next;
                continue;
            }
            self.next_bytecode = i + 1;
            let jitter = if jitter_ns > 0 {
                rng.below(jitter_ns)
            } else {
                0
            };
            let access = if within == load {
                Access::Load
            } else {
                Access::Store
            };
            return Some((self.time_of(i) + jitter, access, i / body));
        }
    }

    /// With no jitter, and the next access a load: skips the whole iterations (a load and its
    /// store) whose store comes before `before`, returning how many. Accesses at `before` or
    /// later are left, to be ordered against the other threads'.
    fn skip_whole(&mut self, before: Nanos) -> u64 {
        let body = u64::from(self.seg.body);
        let load = u64::from(self.seg.load);
        let store = u64::from(self.seg.store);
        let i = self.next_bytecode;
        let within = i % body;
        if within > load && within <= store {
            return 0; // a store is next
        }
        let first = if within <= load {
            i / body
        } else {
            i / body + 1
        };
        // Bytecodes `b` with `b * ps` below `bound` lie in the segment and start before `before`.
        let ahead = before.saturating_sub(self.seg.start).saturating_mul(1000);
        let bound = self.seg.to_ps.min(self.seg.from_ps.saturating_add(ahead));
        let Some(last_store) = bound.div_ceil(self.seg.ps).checked_sub(1) else {
            return 0;
        };
        let Some(end) = last_store.checked_sub(store).map(|b| b / body + 1) else {
            return 0;
        };
        let whole = end.saturating_sub(first);
        if whole > 0 {
            self.next_bytecode = end * body;
        }
        whole
    }
}

/// Skips a thread's whole iterations before `before`, across its segments (`cursor`: the
/// next segment's index and the one under way).
fn skip_whole(segments: &[Segment], before: Nanos, cursor: &mut (usize, Option<Accesses>)) -> u64 {
    let mut whole = 0;
    loop {
        let (index, current) = cursor;
        if current.is_none() {
            let Some(seg) = segments.get(*index) else {
                return whole;
            };
            if seg.start >= before {
                return whole;
            }
            *index += 1;
            *current = Some(Accesses::new(*seg));
        }
        let Some(acc) = current.as_mut() else {
            return whole;
        };
        whole += acc.skip_whole(before);
        if acc.next_bytecode * acc.seg.ps < acc.seg.to_ps {
            return whole;
        }
        *current = None;
    }
}

/// Returns (stores executed, final value); appends counter `counter`'s stale stores to `stale`.
/// With `skip` (only without jitter), whole iterations before another thread's next access are
/// applied at once.
fn replay(
    segments: &[Segment],
    rng: &mut SplitMix64,
    jitter_ns: u64,
    counter: u32,
    stale: &mut Vec<StaleStore>,
    skip: bool,
) -> (u64, u64) {
    // Per thread: its segments in order, the register holding its loaded value.
    let threads = segments
        .iter()
        .map(|s| s.thread as usize + 1)
        .max()
        .unwrap_or(0);
    let mut per_thread: Vec<Vec<Segment>> = vec![Vec::new(); threads];
    for s in segments {
        per_thread[s.thread as usize].push(*s);
    }
    let mut cursors: Vec<(usize, Option<Accesses>)> = (0..threads).map(|_| (0, None)).collect();
    let mut register: Vec<Option<Loaded>> = vec![None; threads];
    // Stores per thread so far, and a copy of them taken at each thread's last load: their
    // difference at a stale store says whose updates it erased.
    let mut stores_by: Vec<u64> = vec![0; threads];
    let mut at_load: Vec<Vec<u64>> = vec![vec![0; threads]; threads];
    let mut heap = BinaryHeap::new();
    let mut value: u64 = 0;
    let mut stores: u64 = 0;

    let advance = |t: usize,
                   cursors: &mut Vec<(usize, Option<Accesses>)>,
                   rng: &mut SplitMix64|
     -> Option<(Nanos, Access, u64)> {
        loop {
            let (index, current) = &mut cursors[t];
            if current.is_none() {
                let seg = *per_thread[t].get(*index)?;
                *index += 1;
                *current = Some(Accesses::new(seg));
            }
            let acc = current.as_mut()?;
            let serial = acc.seg.op_serial;
            if let Some((time, access, iteration)) = acc.next(rng, jitter_ns) {
                return Some((time, access, iteration + (serial << 40)));
            }
            *current = None;
        }
    };
    for t in 0..threads {
        if let Some((time, access, key)) = advance(t, &mut cursors, rng) {
            heap.push(Reverse((time, t, access, key)));
        }
    }
    while let Some(Reverse((time, t, access, key))) = heap.pop() {
        match access {
            Access::Load => {
                register[t] = Some(Loaded {
                    value,
                    key,
                    at: time,
                });
                at_load[t].copy_from_slice(&stores_by);
            }
            Access::Store => {
                stores += 1;
                // The store writes what this thread loaded in the same iteration, plus one.
                let loaded = register[t].filter(|r| r.key == key);
                if let Some(r) = loaded
                    && r.value != value
                {
                    stale.push(StaleStore {
                        counter,
                        thread: t as u32,
                        load: r.at,
                        store: time,
                        loaded: r.value,
                        overwritten: value,
                        others: (0..threads)
                            .filter(|&u| u != t && stores_by[u] > at_load[t][u])
                            .map(|u| (u as u32, stores_by[u] - at_load[t][u]))
                            .collect(),
                    });
                }
                value = loaded.map_or(value, |r| r.value) + 1;
                stores_by[t] += 1;
                register[t] = None;
                if skip {
                    // Until another thread's next access, this one's iterations lose nothing.
                    let before = heap.peek().map_or(Nanos::MAX, |Reverse((at, ..))| *at);
                    let whole = skip_whole(&per_thread[t], before, &mut cursors[t]);
                    if whole > 0 {
                        value += whole;
                        stores += whole;
                        stores_by[t] += whole;
                        at_load[t].copy_from_slice(&stores_by);
                    }
                }
            }
        }
        if let Some((time, access, key)) = advance(t, &mut cursors, rng) {
            heap.push(Reverse((time, t, access, key)));
        }
    }
    (stores, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(thread: u32, start: Nanos, from: u64, to: u64) -> Segment {
        Segment {
            thread,
            start,
            from_ps: from * 1000,
            to_ps: to * 1000,
            ps: 1000,
            body: 7,
            load: 2,
            store: 5,
            op_serial: 0,
        }
    }

    #[test]
    fn sequential_segments_lose_nothing() {
        let mut log = RaceLog::new(1);
        log.record(0, seg(0, 0, 0, 70));
        log.record(0, seg(1, 100, 0, 70));
        let (r, stale) = log.resolve(&["c".into()], 1, 0);
        assert_eq!((r[0].expected, r[0].actual, r[0].lost), (20, 20, 0));
        assert!(stale.is_empty());
    }

    #[test]
    fn a_switch_between_load_and_store_overwrites_the_other_thread() {
        // Thread 0 loads in iteration 0 (bytecode 2 at t=2) and stops before its store (at 4).
        // Thread 1 then does 10 increments; thread 0 resumes and stores its stale value + 1.
        let mut log = RaceLog::new(1);
        log.record(0, seg(0, 0, 0, 4));
        log.record(0, seg(1, 10, 0, 70));
        log.record(0, seg(0, 200, 4, 7));
        let (r, stale) = log.resolve(&["c".into()], 1, 0);
        assert_eq!(r[0].actual, 1);
        assert_eq!(r[0].lost, 10);
        // The one stale store: loaded 0 at t=2, stored at t=201 (bytecode 5 of the segment
        // resumed at 200) over 10, erasing thread 1's 10.
        assert_eq!(
            stale,
            vec![StaleStore {
                counter: 0,
                thread: 0,
                load: 2,
                store: 201,
                loaded: 0,
                overwritten: 10,
                others: vec![(1, 10)],
            }]
        );
        assert_eq!(stale[0].erased(), 10);
    }

    #[test]
    fn stale_stores_account_for_every_lost_update() {
        // Three threads, interleaved in short segments with a real jitter: whatever the
        // interleaving, the final value is the stores minus what the stale stores took back.
        for seed in 0..20 {
            let mut log = RaceLog::new(1);
            let mut rng = SplitMix64::new(seed);
            let mut done = [0u64; 3];
            let mut t = 0;
            for _ in 0..60 {
                let thread = rng.below(3) as usize;
                let len = 1 + rng.below(30);
                log.record(0, seg(thread as u32, t, done[thread], done[thread] + len));
                done[thread] += len;
                t += len / 2 + rng.below(4);
            }
            let (r, stale) = log.resolve(&["c".into()], seed, 3);
            let taken: i128 = stale
                .iter()
                .map(|s| i128::from(s.overwritten) - i128::from(s.loaded))
                .sum();
            assert_eq!(
                i128::from(r[0].actual),
                i128::from(r[0].expected) - taken,
                "seed {seed}"
            );
            for s in &stale {
                assert!(s.load <= s.store && s.overwritten != s.loaded, "{s:?}");
            }
        }
    }

    #[test]
    fn skipping_whole_iterations_changes_nothing() {
        // Threads taking turns (as under a GIL, with switches inside and between iterations)
        // and overlapping: the replay with whole iterations skipped gives what the replay
        // access by access gives, stale stores included.
        for seed in 0..40 {
            let mut rng = SplitMix64::new(seed);
            let mut segments = Vec::new();
            let mut done = [0u64; 3];
            let mut t = 0;
            for _ in 0..80 {
                let thread = rng.below(3) as usize;
                let len = 1 + rng.below(60);
                let s = seg(thread as u32, t, done[thread], done[thread] + len);
                segments.push(Segment {
                    body: 21,
                    load: 4,
                    store: 12,
                    ..s
                });
                done[thread] += len;
                // Mostly one after the other, sometimes overlapping or touching.
                t += match rng.below(4) {
                    0 => len / 2,
                    1 => len - 1,
                    _ => len + rng.below(3),
                };
            }
            let run = |skip| {
                let mut stale = Vec::new();
                let mut rng = SplitMix64::new(7);
                let r = replay(&segments, &mut rng, 0, 0, &mut stale, skip);
                (r, stale)
            };
            let (slow, fast) = (run(false), run(true));
            assert_eq!(slow, fast, "seed {seed}");
        }
    }
}
