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

use super::work::{INCREMENT_LOAD, increment_store};
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
    /// Whether there is a call between load and store.
    pub call_inside: bool,
    /// Which op of the thread this was (to tell one increment op from the next).
    pub op_serial: u64,
}

/// Segments per counter.
#[derive(Debug, Clone, Default)]
pub struct RaceLog {
    segments: Vec<Vec<Segment>>,
    /// Bytecodes of increment loops recorded: the replay's work, for the run's limits.
    bytecodes: u64,
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
            bytecodes: 0,
        }
    }

    /// Records a segment of counter `counter`.
    pub fn record(&mut self, counter: usize, segment: Segment) {
        if segment.to_ps > segment.from_ps {
            self.bytecodes += (segment.to_ps - segment.from_ps) / segment.ps.max(1);
            self.segments[counter].push(segment);
        }
    }

    /// Increments recorded so far (each a load and a store the replay will go through).
    pub fn increments(&self) -> u64 {
        self.bytecodes / u64::from(super::work::INCREMENT_BODY)
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
                let (expected, actual) =
                    replay(&self.segments[i], &mut rng, jitter_ns, i as u32, &mut stale);
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

    fn next(&mut self, rng: &mut SplitMix64, jitter_ns: u64) -> Option<(Nanos, Access, u64)> {
        let body = u64::from(self.seg.body);
        let load = u64::from(INCREMENT_LOAD);
        let store = u64::from(increment_store(self.seg.call_inside));
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
            let offset = (i * self.seg.ps - self.seg.from_ps) / 1000;
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
            return Some((self.seg.start + offset + jitter, access, i / body));
        }
    }
}

/// Returns (stores executed, final value); appends counter `counter`'s stale stores to `stale`.
fn replay(
    segments: &[Segment],
    rng: &mut SplitMix64,
    jitter_ns: u64,
    counter: u32,
    stale: &mut Vec<StaleStore>,
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
    use crate::engine::work::INCREMENT_BODY;

    fn seg(thread: u32, start: Nanos, from: u64, to: u64) -> Segment {
        Segment {
            thread,
            start,
            from_ps: from * 1000,
            to_ps: to * 1000,
            ps: 1000,
            body: INCREMENT_BODY,
            call_inside: false,
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
}
