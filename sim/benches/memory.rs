//! Resident memory of recorded spans: a trace of 1 M, 10 M and 30 M spans written through
//! `Trace::set` as an engine writes it, alone and with the copy a viewer builds from its
//! deltas, then dropped. Reads `VmRSS` from `/proc/self/status` (Linux), so each figure is
//! what the process holds, allocator slack and page granularity included.
//!
//! `cargo bench -p gilscope-sim --bench memory` (sizes in millions as arguments: `-- 1 10`).
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used, clippy::cast_precision_loss)]

use gilscope_sim::trace::{DeltaCursor, LaneId, NONE, ThreadInfo, ThreadState, Trace};
use gilscope_sim::{EngineKind, Overrides, RunMeta};
use std::hint::black_box;

/// Resident set size of this process, bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

const THREADS: u32 = 4;
const CORES: u32 = 2;

fn empty_trace() -> Trace {
    let config = Overrides::default().resolve().unwrap();
    let threads = (0..THREADS)
        .map(|t| ThreadInfo::new(format!("t{t}"), 0).started_at(0))
        .collect();
    Trace::new(RunMeta::untitled(EngineKind::Sim, &config), threads, CORES)
}

/// A trace of about `spans` closed spans: threads taking turns holding the GIL every 5 µs,
/// each switch closing a span on the old holder's lane, the new holder's, the GIL's and a
/// core's. With `viewer`, a copy is built from deltas every 10,000 switches, as the app's.
fn record(spans: usize, viewer: bool) -> (Trace, Option<Trace>) {
    let mut trace = empty_trace();
    let mut copy = viewer.then(|| trace.clone());
    let mut cursor = DeltaCursor::default();
    let mut t = 0;
    let mut switch = 0u64;
    while trace.span_count() < spans {
        for _ in 0..10_000 {
            let holder = (switch % u64::from(THREADS)) as u32;
            let previous = (holder + THREADS - 1) % THREADS;
            trace.set(
                LaneId::Thread(previous),
                t,
                Some((ThreadState::WaitingGil, holder)),
            );
            trace.set(
                LaneId::Thread(holder),
                t,
                Some((ThreadState::Running, NONE)),
            );
            trace.add_bytecodes(LaneId::Thread(holder), 200 + switch % 7);
            trace.set(LaneId::Gil, t, Some((ThreadState::Running, holder)));
            trace.set(
                LaneId::Core((switch % u64::from(CORES)) as u32),
                t,
                Some((ThreadState::Running, holder)),
            );
            t += 5_000 + switch % 13;
            switch += 1;
        }
        if let Some(copy) = copy.as_mut() {
            copy.apply(cursor.take(&trace));
        }
    }
    (trace, copy)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Measures `n` spans in this process: engine trace alone, dropped, then with the viewer's copy.
fn measure(n: usize) {
    let base = rss();
    let (trace, _) = record(n, false);
    let spans = trace.span_count() as f64;
    let heap = trace.heap_bytes() as f64 / spans;
    let alone = rss().saturating_sub(base) as f64 / spans;
    drop(black_box(trace));
    let dropped = rss().saturating_sub(base);
    let (trace, copy) = record(n, true);
    let copy = copy.unwrap();
    assert_eq!(copy.span_count(), trace.span_count(), "the copy keeps up");
    let pair = rss().saturating_sub(base) as f64 / spans;
    drop(black_box((trace, copy)));
    println!(
        "{:.1} M\t{heap:.2}\t{alone:.2}\t{:.1} MiB\t{pair:.2}",
        spans / 1e6,
        mib(dropped)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, n] = args.as_slice()
        && flag == "--one"
    {
        measure(n.parse().unwrap());
        return;
    }
    let sizes: Vec<usize> = args
        .iter()
        .filter_map(|a| a.parse::<usize>().ok())
        .map(|m| m * 1_000_000)
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000, 10_000_000, 30_000_000]
    } else {
        sizes
    };
    println!(
        "spans\theap B/span\tRSS B/span\tRSS kept after drop\tRSS B/span with the viewer's copy"
    );
    // Each size in a fresh process, so that one size's freed memory does not serve the next.
    let exe = std::env::current_exe().unwrap();
    for n in sizes {
        let status = std::process::Command::new(&exe)
            .args(["--one", &n.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "measuring {n} spans failed");
    }
}
