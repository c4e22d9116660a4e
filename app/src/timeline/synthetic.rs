//! Synthetic traces of any size, for the timeline's tests and benchmark: threads taking turns
//! on the GIL with waits, forced switches, I/O, C calls and lock waits, and the markers that go
//! with them. Deterministic for a seed.
//!
//! Compiled only into the tests (`#[cfg(test)]` in `timeline`) and into the benchmark, which
//! includes this file with `#[path]`; it depends on nothing but `gilscope_sim`.

use gilscope_sim::trace::{LaneId, MarkerKind, NONE, StaleStore, ThreadInfo};
use gilscope_sim::{EngineKind, Overrides, RunMeta, ThreadState, Trace};

/// A xorshift generator: tiny, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What a synthetic trace says of its run: default settings, no scenario behind it.
pub fn synthetic_meta() -> RunMeta {
    // The empty overrides are the documented defaults, which always resolve.
    let config = Overrides::default()
        .resolve()
        .unwrap_or_else(|e| unreachable!("the default settings resolve: {e}"));
    RunMeta::untitled(EngineKind::Sim, &config)
}

/// A finished trace of `threads` threads on `cores` cores with at least `spans` spans in
/// all (thread, GIL and core lanes together). Slices last 0.2 to 20 µs, so a million spans
/// cover roughly a second of virtual time. One forced switch in four leaves its thread with a
/// stale load of a counter, stored when it next holds the GIL (a lost update).
pub fn trace(spans: usize, threads: u32, cores: u32, seed: u64) -> Trace {
    let threads = threads.max(1);
    let cores = cores.max(1);
    let infos = (0..threads)
        .map(|t| {
            let name = if t == 0 {
                "io".to_owned()
            } else {
                format!("busy-{}", t - 1)
            };
            ThreadInfo::new(name, usize::from(t != 0)).started_at(0)
        })
        .collect();
    let mut trace = Trace::new(synthetic_meta(), infos, cores);
    let mut rng = Rng(seed | 1);
    let mut now = 0;
    let mut holder = 0u32;
    trace.set(LaneId::Gil, 0, Some((ThreadState::Running, holder)));
    // What each non-holder does meanwhile: waiting for the GIL, or away (I/O, C, lock).
    let mut away_until = vec![0u64; threads as usize];
    // A thread switched out between a load and its store: when it loaded.
    let mut loaded_at: Vec<Option<u64>> = vec![None; threads as usize];
    let mut value = 0u64;
    while trace.span_count() < spans {
        let slice = 200 + rng.below(20_000);
        trace.set(
            LaneId::Thread(holder),
            now,
            Some((ThreadState::Running, NONE)),
        );
        trace.set(
            LaneId::Core(holder % cores),
            now,
            Some((ThreadState::Running, holder)),
        );
        trace.add_bytecodes(LaneId::Thread(holder), slice / 5);
        value += slice / 50;
        if let Some(load) = loaded_at[holder as usize].take() {
            let erased = 1 + rng.below(300);
            trace.stale_stores.push(StaleStore {
                counter: 0,
                thread: holder,
                load,
                store: now + 20,
                loaded: value.saturating_sub(erased),
                overwritten: value,
                others: vec![((holder + 1) % threads, erased)],
            });
        }
        for t in (0..threads).filter(|&t| t != holder) {
            if now < away_until[t as usize] {
                continue;
            }
            let state = match rng.below(12) {
                0 => ThreadState::Io,
                1 => ThreadState::CCallReleased,
                2 => ThreadState::Lock,
                _ => ThreadState::WaitingGil,
            };
            if state == ThreadState::WaitingGil {
                trace.set(LaneId::Thread(t), now, Some((state, holder)));
            } else {
                away_until[t as usize] = now + rng.below(4 * slice);
                let other = if state == ThreadState::Lock { 0 } else { NONE };
                trace.set(LaneId::Thread(t), now, Some((state, other)));
                if state == ThreadState::Lock {
                    trace.mark(now, MarkerKind::LockBlocked, t, 0);
                }
            }
        }
        now += slice;
        let next = (holder + 1 + rng.below(u64::from(threads - 1).max(1)) as u32) % threads;
        if next != holder {
            trace.mark(now - slice / 3, MarkerKind::DropRequest, holder, next);
            trace.mark(now, MarkerKind::ForcedSwitch, holder, next);
            trace.set(
                LaneId::Thread(holder),
                now,
                Some((ThreadState::ForcedOff, next)),
            );
            trace.set(LaneId::Core(holder % cores), now, None);
            trace.mark(now, MarkerKind::Handoff, holder, next);
            if rng.below(4) == 0 {
                loaded_at[holder as usize] = Some(now - slice / 5);
            }
            away_until[next as usize] = 0;
            holder = next;
            now += 50;
            trace.set(LaneId::Gil, now, Some((ThreadState::Running, holder)));
        }
    }
    trace.close(now);
    trace
}

#[cfg(test)]
mod tests {
    #[test]
    fn reaches_the_span_count_and_is_well_formed() {
        let t = super::trace(10_000, 6, 2, 7);
        assert!(t.span_count() >= 10_000);
        assert!(t.finished);
        for lane in t.thread_lanes.iter().chain([&t.gil]).chain(&t.cores) {
            for pair in lane.spans.to_vec().windows(2) {
                assert!(pair[0].end <= pair[1].start, "overlap");
            }
        }
        assert!(t.markers.windows(2).all(|m| m[0].time <= m[1].time));
    }
}
