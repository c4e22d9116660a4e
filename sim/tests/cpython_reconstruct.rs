//! Trace reconstruction from stamp streams committed under `tests/fixtures/cpython/`: recorded
//! from real interpreters (`*.stamps`, scenarios `convoy.toml` and `mixed.toml`, each run by hand
//! as `python -E -s -B program.py FILE`), one written by hand in the shape of a free-threaded
//! build, and one cut short. The streams are fixed, so these tests are exact and not timed.

use gilscope_sim::cpython::reconstruct::{Reconstructor, Replay, replay};
use gilscope_sim::cpython::wire::{Batch, BatchReader, Code, Record};
use gilscope_sim::trace::{DeltaCursor, MarkerKind, Span, Trace};
use gilscope_sim::{EngineKind, Overrides, RunMeta, Stats, ThreadState};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cpython")
        .join(name)
}

fn load(name: &str) -> Replay {
    let bytes = std::fs::read(fixture(name)).expect("fixture exists");
    replay(bytes.as_slice(), untitled())
}

/// A recorded stream has no scenario behind it: the run at the default settings.
fn untitled() -> RunMeta {
    let config = Overrides::default().resolve().expect("defaults resolve");
    RunMeta::untitled(EngineKind::Cpython, &config)
}

fn stats(trace: &Trace) -> Stats {
    Stats::compute(trace)
}

fn spans(trace: &Trace, lane: usize) -> Vec<Span> {
    trace.thread_lanes[lane].all(trace.now).collect()
}

/// Every lane's spans are ordered and disjoint; under a shared GIL no two threads run bytecode
/// at the same time, and the GIL lane's holders run.
fn check_invariants(trace: &Trace, shared_gil: bool) {
    for lane in trace.thread_lanes.iter().chain(std::iter::once(&trace.gil)) {
        let all: Vec<Span> = lane.all(trace.now).collect();
        for s in &all {
            assert!(s.start <= s.end, "{s:?}");
        }
        for pair in all.windows(2) {
            assert!(pair[0].end <= pair[1].start, "{pair:?}");
        }
    }
    if shared_gil {
        let mut running: Vec<(u64, u64)> = (0..trace.thread_lanes.len())
            .flat_map(|l| spans(trace, l))
            .filter(|s| s.state == ThreadState::Running && s.end > s.start)
            .map(|s| (s.start, s.end))
            .collect();
        running.sort_unstable();
        assert!(!running.is_empty(), "no thread ran");
        for pair in running.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "two threads run at once: {pair:?}");
        }
    } else {
        assert!(trace.gil.spans.is_empty() && trace.gil.open.is_none());
    }
}

fn clean(name: &str) -> Trace {
    let replayed = load(name);
    assert_eq!(replayed.error, None, "{name}");
    let r = &replayed.reconstructor;
    assert!(r.errors().is_empty(), "{:?}", r.errors());
    assert_eq!(r.end_reason(), Some("finished"));
    let trace = r.trace().clone();
    assert!(trace.finished);
    trace
}

fn io_p50_ms(trace: &Trace) -> f64 {
    stats(trace)
        .io_latency()
        .expect("the io thread did I/O")
        .p50
}

#[test]
fn convoy_on_3_13_and_3_9_waits_a_switch_interval_per_request() {
    for name in ["convoy-3.13.stamps", "convoy-3.9.stamps"] {
        let trace = clean(name);
        check_invariants(&trace, true);
        let s = stats(&trace);
        let io = &s.threads[1];
        assert_eq!(io.io_ops, 20, "{name}");
        // The busy thread holds the GIL; each request waits about the 1 ms interval.
        let p50 = io_p50_ms(&trace);
        assert!(
            (0.8..3.0).contains(&p50),
            "{name}: I/O latency p50 {p50} ms"
        );
        assert!(io.state_ms.waiting_gil > 10.0, "{name}: {:?}", io.state_ms);
        // Each request is two handoffs: to the io thread and back.
        assert!(s.gil.switches >= 39, "{name}: {} switches", s.gil.switches);
        assert_eq!(s.gil.drop_requests, 0, "drop requests are not observed");
        assert!(trace.cores.is_empty(), "cores are not observed");
        let busy = &s.threads[0];
        assert!(busy.bytecodes > 1_000_000, "{name}: {}", busy.bytecodes);
        assert!(busy.state_ms.waiting_gil > 0.0);
    }
}

#[test]
fn convoy_on_2_7_has_the_old_gil_s_shape() {
    let replayed = load("convoy-2.7.stamps");
    let hello = replayed.reconstructor.hello().expect("hello").clone();
    assert_eq!(hello.clock, "time.time");
    assert!((hello.resolution - 1e-6).abs() < 1e-12);
    assert_eq!(hello.check_interval, Some(100));
    let trace = clean("convoy-2.7.stamps");
    check_invariants(&trace, true);
    // The old GIL is released every 100 ticks: the io thread gets it back at once, no convoy.
    let p50 = io_p50_ms(&trace);
    assert!(p50 < 0.5, "I/O latency p50 {p50} ms");
    assert_eq!(stats(&trace).threads[1].io_ops, 20);
}

#[test]
fn mixed_operations_show_their_states_markers_and_lost_updates() {
    for name in ["mixed-2.7.stamps", "mixed-3.9.stamps", "mixed-3.13.stamps"] {
        let trace = clean(name);
        check_invariants(&trace, true);
        let counter = &trace.counters[0];
        assert_eq!(
            (counter.name.as_str(), counter.expected),
            ("counter", 60_000)
        );
        // `counter += one()` loses updates on every version.
        assert!(counter.lost > 0, "{name}: {counter:?}");
        assert_eq!(counter.lost, counter.expected - counter.actual);
        let kinds = |kind: MarkerKind| trace.markers.iter().filter(|m| m.kind == kind).count();
        assert_eq!(kinds(MarkerKind::LockAcquired), 2, "{name}");
        assert_eq!(kinds(MarkerKind::LockReleased), 2, "{name}");
        for lane in 0..2 {
            let states: Vec<ThreadState> = spans(&trace, lane).iter().map(|s| s.state).collect();
            for state in [
                ThreadState::CCallHolding,
                ThreadState::CCallReleased,
                ThreadState::Io,
                ThreadState::Done,
            ] {
                assert!(states.contains(&state), "{name} lane {lane}: no {state:?}");
            }
            let holding: u64 = spans(&trace, lane)
                .iter()
                .filter(|s| s.state == ThreadState::CCallHolding)
                .map(Span::duration)
                .sum();
            assert!(
                holding >= 1_500_000,
                "{name}: a 2 ms C call held for {holding} ns"
            );
            assert!(trace.threads[lane].finished.is_some());
        }
    }
}

/// A hand-written stream's lines as batches (see `free-threaded.handwritten.txt`'s header).
fn handwritten_batches(name: &str) -> Vec<Batch> {
    let text =
        std::fs::read_to_string(fixture(name)).expect("the hand-written fixture is well formed");
    let mut bytes = Vec::new();
    let mut run: Option<(u16, Vec<f64>)> = None;
    let flush = |run: &mut Option<(u16, Vec<f64>)>, bytes: &mut Vec<u8>| {
        if let Some((lane, values)) = run.take() {
            let payload: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
            bytes.extend(frame(1, lane, &payload));
        }
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut words = line.split_whitespace();
        let kind = words
            .next()
            .expect("the hand-written fixture is well formed");
        let lane: u16 = words
            .next()
            .expect("the hand-written fixture is well formed")
            .parse()
            .expect("the hand-written fixture is well formed");
        if kind == "M" {
            flush(&mut run, &mut bytes);
            let json = line
                .splitn(3, ' ')
                .nth(2)
                .expect("the hand-written fixture is well formed");
            bytes.extend(frame(2, lane, json.as_bytes()));
            continue;
        }
        if run.as_ref().is_some_and(|(l, _)| *l != lane) {
            flush(&mut run, &mut bytes);
        }
        let values = &mut run.get_or_insert_with(|| (lane, Vec::new())).1;
        if kind == "C" {
            values.push(
                words
                    .next()
                    .expect("the hand-written fixture is well formed")
                    .parse()
                    .expect("the hand-written fixture is well formed"),
            );
        } else {
            let name = format!(
                "R_{}",
                words
                    .next()
                    .expect("the hand-written fixture is well formed")
            );
            let code = Code::ALL
                .into_iter()
                .find(|c| c.python_name() == name)
                .expect("the hand-written fixture is well formed");
            let t: f64 = words
                .next()
                .expect("the hand-written fixture is well formed")
                .parse()
                .expect("the hand-written fixture is well formed");
            let a: f64 = words.next().map_or(0.0, |w| {
                w.parse().expect("the hand-written fixture is well formed")
            });
            let b: f64 = words.next().map_or(0.0, |w| {
                w.parse().expect("the hand-written fixture is well formed")
            });
            values.extend([-f64::from(code as u8), a, b, t]);
        }
    }
    flush(&mut run, &mut bytes);
    let mut reader = BatchReader::new(bytes.as_slice());
    std::iter::from_fn(|| {
        reader
            .next_batch()
            .expect("the hand-written fixture is well formed")
    })
    .collect()
}

fn frame(kind: u16, lane: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = b"GILS".to_vec();
    out.extend(kind.to_ne_bytes());
    out.extend(lane.to_ne_bytes());
    out.extend((payload.len() as u32).to_ne_bytes());
    out.extend(payload);
    out
}

#[test]
fn a_free_threaded_stream_runs_lanes_side_by_side_without_a_gil_lane() {
    let mut r = Reconstructor::new(untitled(), None);
    for batch in handwritten_batches("free-threaded.handwritten.txt") {
        r.push(batch).unwrap();
        r.advance();
    }
    r.finish();
    let trace = r.trace();
    check_invariants(trace, false);
    assert!(trace.markers.is_empty());
    let w0 = spans(trace, 0);
    let w1 = spans(trace, 1);
    let running = |s: &[Span]| {
        s.iter()
            .find(|s| s.state == ThreadState::Running)
            .map(|s| (s.start, s.end))
            .unwrap()
    };
    let (a, b) = (running(&w0), running(&w1));
    assert!(a.0 < b.1 && b.0 < a.1, "the workers overlap: {a:?} {b:?}");
    for lane in [&w0, &w1] {
        assert!(lane.iter().all(|s| s.state != ThreadState::WaitingGil));
        assert_eq!(lane.iter().map(|s| s.bytecodes).sum::<u64>(), 600 * 9);
    }
    let sleep = w1.iter().find(|s| s.state == ThreadState::Io).unwrap();
    assert_eq!((sleep.start, sleep.end), (29_000, 1_035_000));
    assert_eq!(trace.now, 1_040_000);
}

#[test]
fn a_c_call_slowed_by_sharing_a_core_counts_its_calibrated_work_only() {
    let mut r = Reconstructor::new(untitled(), None);
    for batch in handwritten_batches("c-call-shared-core.handwritten.txt") {
        r.push(batch).unwrap();
        r.advance();
    }
    r.finish();
    let trace = r.trace();
    check_invariants(trace, true);
    let c_calls: Vec<(u64, u64, u32)> = spans(trace, 0)
        .iter()
        .filter(|s| s.state == ThreadState::CCallReleased)
        .map(|s| (s.start, s.end, s.other))
        .collect();
    // Its calibrated 1 ms is the call's work; the millisecond after is marked as not work.
    assert_eq!(
        c_calls,
        [(11_000, 1_011_000, u32::MAX), (1_011_000, 2_011_000, 0)]
    );
    let s = stats(trace);
    assert!(
        (s.threads[0].state_ms.c_call - 2.0).abs() < 1e-9,
        "{:?}",
        s.threads[0].state_ms
    );
    // Two 1 ms calls one after the other on one core: no speedup, one core busy.
    assert!((s.sequential_ms - 2.0).abs() < 0.01, "{}", s.sequential_ms);
    let speedup = s.speedup.unwrap();
    assert!((0.95..1.05).contains(&speedup), "speedup {speedup}");
    assert!((s.cpu_ms - 2.004).abs() < 0.01, "cpu {}", s.cpu_ms);
    let parallelism = s.parallelism.unwrap();
    assert!((0.95..1.05).contains(&parallelism), "{parallelism}");
}

#[test]
fn a_truncated_stream_keeps_what_came_before_and_says_where_it_stops() {
    let replayed = load("convoy-3.13.truncated.stamps");
    let error = replayed.error.expect("the stream is cut");
    assert!(error.contains("middle of a batch"), "{error}");
    let trace = replayed.reconstructor.trace();
    assert!(trace.finished && trace.now > 0);
    assert!(
        trace.counters.is_empty(),
        "the run's end was never reported"
    );
    check_invariants(trace, true);
    let full = clean("convoy-3.13.stamps");
    assert!(trace.now < full.now);
}

#[test]
fn the_live_view_receives_exactly_the_final_trace() {
    let bytes = std::fs::read(fixture("convoy-3.13.stamps")).unwrap();
    let mut reader = BatchReader::new(bytes.as_slice());
    let mut r = Reconstructor::new(untitled(), None);
    let mut copy: Option<Trace> = None;
    let mut cursor = DeltaCursor::default();
    let mut batches = 0;
    while let Some(batch) = reader.next_batch().unwrap() {
        let hello = matches!(batch, Batch::Meta { .. });
        r.push(batch).unwrap();
        r.advance();
        batches += 1;
        if hello && copy.is_none() && !r.trace().threads.is_empty() {
            copy = Some(r.trace().clone());
            cursor.take(r.trace());
        } else if let Some(copy) = copy.as_mut() {
            copy.apply(cursor.take(r.trace()));
        }
    }
    r.finish();
    let mut copy = copy.unwrap();
    copy.apply(cursor.take(r.trace()));
    assert!(batches > 10);
    assert_eq!(&copy, r.trace());
}

#[test]
fn records_decode_with_their_arguments() {
    let bytes = std::fs::read(fixture("mixed-3.13.stamps")).unwrap();
    let mut reader = BatchReader::new(bytes.as_slice());
    let mut increments = Vec::new();
    while let Some(batch) = reader.next_batch().unwrap() {
        if let Batch::Records { records, .. } = batch {
            increments.extend(records.into_iter().filter_map(|r| match r {
                Record::Event {
                    code: Code::IncrementCall,
                    a,
                    b,
                    ..
                } => Some((a, b)),
                _ => None,
            }));
        }
    }
    assert_eq!(increments, vec![(30_000.0, 0.0), (30_000.0, 0.0)]);
}
