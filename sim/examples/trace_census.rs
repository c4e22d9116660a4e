//! What a preset's default run records, for the README's performance section (issue 14):
//! `cargo run --release -p gilscope-sim --example trace_census -- old-gil`.
//!
//! Prints the run's events, closed spans per lane and markers, the fastest of nine runs of the
//! engine and of `Stats::compute`, the old GIL's releases by whether they woke a waiter asleep
//! on the lock, and per lane how many spans continue an alternation of identical pairs (a span
//! the same as the one two before it in state, duration, `other` and bytecodes, its successor
//! likewise, at the same spacing): what recording such a run as one span with a count could
//! save.
// A measuring tool that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use gilscope_sim::presets::preset;
use gilscope_sim::trace::{LaneId, NONE, Span};
use gilscope_sim::{Overrides, SimEngine, Stats, ThreadState, Trace};
use std::time::Instant;

fn main() {
    let stem = std::env::args().nth(1).unwrap_or_else(|| "old-gil".into());
    let scenario = preset(&stem)
        .unwrap_or_else(|| panic!("no preset named {stem}"))
        .unwrap();
    let config = scenario.config(&Overrides::default()).unwrap();
    let (mut engine_ms, mut stats_ms) = (f64::MAX, f64::MAX);
    let mut last = None;
    for _ in 0..9 {
        let start = Instant::now();
        let mut engine = SimEngine::new(&scenario, &config);
        engine.run_to_end().unwrap();
        let ran = Instant::now();
        let events = engine.events_processed();
        let trace = engine.into_trace();
        let summarized = Instant::now();
        std::hint::black_box(Stats::compute(&trace));
        let done = Instant::now();
        engine_ms = engine_ms.min((ran - start).as_secs_f64() * 1e3);
        stats_ms = stats_ms.min((done - summarized).as_secs_f64() * 1e3);
        last = Some((events, trace));
    }
    let (events, trace) = last.unwrap();
    println!("{stem}: {events} events, {} markers", trace.markers.len());
    println!("fastest of 9: engine {engine_ms:.1} ms, Stats::compute {stats_ms:.1} ms");
    releases(&trace);
    for id in trace.lane_ids() {
        let spans: Vec<Span> = trace.lane(id).spans.iter().collect();
        let (repeated, runs) = repeated_pairs(&spans);
        let mut runs = runs;
        runs.sort_unstable();
        println!(
            "{id:?}: {} spans, {repeated} continue an alternation, in {} runs (median length {})",
            spans.len(),
            runs.len(),
            runs.get(runs.len() / 2).copied().unwrap_or(0)
        );
    }
}

/// The old GIL's releases (a thread's signalling spans): those that woke a waiter, those that
/// found nobody asleep, and of these the ones right after another release that found nobody.
fn releases(trace: &Trace) {
    let (mut woke, mut nobody, mut in_a_row) = (0, 0, 0);
    for t in 0..trace.threads.len() as u32 {
        let mut previous_found_nobody = false;
        for span in trace.lane(LaneId::Thread(t)).spans.iter() {
            if span.state != ThreadState::Signalling {
                continue;
            }
            let found_nobody = span.other == NONE;
            if found_nobody {
                nobody += 1;
                in_a_row += u64::from(previous_found_nobody);
            } else {
                woke += 1;
            }
            previous_found_nobody = found_nobody;
        }
    }
    println!(
        "releases: {woke} woke a waiter, {nobody} found nobody asleep ({in_a_row} of them right after another such)"
    );
}

/// How many spans continue an alternation of identical pairs, and the lengths of the runs of
/// such spans.
fn repeated_pairs(spans: &[Span]) -> (usize, Vec<usize>) {
    let same = |a: &Span, b: &Span| {
        a.state == b.state
            && a.duration() == b.duration()
            && a.other == b.other
            && a.bytecodes == b.bytecodes
    };
    let mut runs = Vec::new();
    let mut run = 0;
    for w in spans.windows(4) {
        let periodic = w[2].start - w[0].start == w[3].start - w[1].start;
        if same(&w[0], &w[2]) && same(&w[1], &w[3]) && periodic {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    if run > 0 {
        runs.push(run);
    }
    (runs.iter().sum(), runs)
}
