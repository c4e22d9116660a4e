//! Behaviour of the live engine on real threads. Bounds are generous: these run on a loaded
//! 2-core machine, and each test holds a lock so that no two of them compete for the cores.

mod common;

use common::live_trace;
use gilscope_sim::live::{LiveEngine, LiveOptions};
use gilscope_sim::trace::{MarkerKind, Span, Trace};
use gilscope_sim::{Engine, Overrides, Scenario, SimError, Stats, ThreadState};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn scenario(threads: &str) -> Scenario {
    Scenario::parse(&format!("name = \"test\"\n{threads}"), "test.toml").expect("scenario parses")
}

fn overrides(f: impl FnOnce(&mut Overrides)) -> Overrides {
    let mut o = Overrides::default();
    f(&mut o);
    o
}

fn run(s: &Scenario, o: &Overrides) -> (Trace, Stats) {
    let config = s.config(o).expect("config resolves");
    let trace = live_trace(s, &config, LiveOptions::default()).expect("live run succeeds");
    let stats = Stats::compute(&trace);
    (trace, stats)
}

fn holds(span: &Span) -> bool {
    matches!(span.state, ThreadState::Running | ThreadState::CCallHolding)
}

const TWO_CPU: &str =
    "[[threads]]\nname = \"worker\"\ncount = 2\nops = [ { compute = 4_000_000 } ]\n";

#[test]
fn under_the_gil_one_holder_at_a_time_and_no_speedup() {
    let _serial = serial();
    let s = scenario(TWO_CPU);
    let (trace, stats) = run(&s, &overrides(|o| o.switch_interval = Some(500_000)));
    assert!(trace.finished);
    assert_eq!(
        stats.bytecodes, 8_000_000,
        "every bytecode executed and counted"
    );
    // The holder lane never overlaps itself.
    for pair in trace.gil.spans.to_vec().windows(2) {
        assert!(pair[0].end <= pair[1].start, "GIL spans overlap: {pair:?}");
    }
    // At most one thread holds the GIL (runs bytecode or GIL-holding C) at any instant.
    let mut holding: Vec<Span> = trace
        .thread_lanes
        .iter()
        .flat_map(|l| l.all(trace.now))
        .filter(holds)
        .collect();
    holding.sort_by_key(|s| s.start);
    for pair in holding.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "two threads hold the GIL at once: {pair:?}"
        );
    }
    // Each holding span of a thread lies inside a GIL span of that thread.
    for span in &holding {
        let inside = trace
            .gil
            .spans
            .iter()
            .any(|g| g.start <= span.start && span.end <= g.end);
        assert!(inside, "a running span outside the GIL lane: {span:?}");
    }
    assert!(
        stats.gil.switches >= 1,
        "the threads took turns: {:?}",
        stats.gil
    );
    assert!(
        stats.parallelism.unwrap() <= 1.2,
        "parallelism {} under the GIL",
        stats.parallelism.unwrap()
    );
    assert!(
        stats.speedup.unwrap() <= 1.2,
        "speedup {} under the GIL",
        stats.speedup.unwrap()
    );
    let requests = trace
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::DropRequest)
        .count();
    assert!(requests >= 1, "waiters asked for the GIL");
    assert!(
        trace.markers.windows(2).all(|m| m[0].time <= m[1].time),
        "markers in time order"
    );
}

#[test]
fn free_threaded_threads_run_in_parallel() {
    if cores() < 2 {
        return;
    }
    let _serial = serial();
    // Long enough (about 0.1 s a thread) that thread start-up skew does not matter.
    let s =
        scenario("[[threads]]\nname = \"worker\"\ncount = 2\nops = [ { compute = 20_000_000 } ]\n");
    let gil = overrides(|o| o.free_threaded_overhead = Some(0.0));
    let free = overrides(|o| {
        o.free_threaded = Some(true);
        o.free_threaded_overhead = Some(0.0);
    });
    // Both threads run bytecode at once; retried, as thread start-up on a loaded machine can
    // skew one run. (Wall-clock speedup needs two idle cores, which a shared CI machine may not
    // have: it is measured by the `live_free_threaded` benchmark instead.)
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (trace, without) = run(&s, &free);
        assert!(trace.gil.spans.is_empty(), "no GIL lane when free-threaded");
        assert_eq!(without.bytecodes, 40_000_000);
        if without.parallelism.unwrap() > 1.3 {
            let (_, with_gil) = run(&s, &gil);
            assert!(
                with_gil.parallelism.unwrap() < without.parallelism.unwrap() - 0.2,
                "{with_gil:?}"
            );
            return;
        }
        seen.push(without.parallelism.unwrap());
    }
    panic!("free-threaded threads did not overlap: parallelism {seen:?}");
}

const CONVOY: &str = r#"
[[threads]]
name = "busy"
repeat = "forever"
ops = [ { compute = 100_000 } ]

[[threads]]
name = "io"
repeat = 12
ops = [ { io = "2ms" }, { compute = 40 } ]
"#;

#[test]
fn convoy_latency_grows_with_the_switch_interval() {
    let _serial = serial();
    let s = scenario(CONVOY);
    let latency = |interval: u64| {
        let (_, stats) = run(&s, &overrides(|o| o.switch_interval = Some(interval)));
        stats.io_latency().expect("the io thread did I/O").mean
    };
    // Each request waits for its 2 ms of I/O, then about one interval for the GIL. (The I/O is
    // long enough that the CPU-bound thread, woken when the GIL is released, reliably takes it
    // back before the request returns, even on a loaded machine.)
    let short = latency(1_000_000);
    let long = latency(20_000_000);
    assert!(
        long > 2.0 * short,
        "I/O latency {long} ms at 20 ms against {short} ms at 1 ms"
    );
    assert!(
        long > 10.0,
        "each request waited about one interval: {long} ms"
    );
}

#[test]
fn stop_ends_every_thread_quickly() {
    let _serial = serial();
    let s = scenario(
        r#"
[settings]
duration = "60s"
switch_interval = "100ms"

[[threads]]
name = "cpu"
repeat = "forever"
ops = [ { compute = 1_000_000_000 } ]

[[threads]]
name = "regex"
repeat = "forever"
ops = [ { c_call = "10s" } ]

[[threads]]
name = "sleeper"
repeat = "forever"
ops = [ { sleep = "10s" } ]

[[threads]]
name = "holder"
repeat = "forever"
ops = [ { lock = "l" }, { io = "10s" }, { unlock = "l" } ]

[[threads]]
name = "blocked"
repeat = "forever"
ops = [ { io = "1ms" }, { lock = "l" }, { unlock = "l" } ]
"#,
    );
    let config = s.config(&Overrides::default()).expect("config");
    let mut engine = LiveEngine::start(&s, &config, &LiveOptions::default()).expect("starts");
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        engine.advance(0).expect("runs");
        std::thread::sleep(Duration::from_millis(5));
    }
    let asked = Instant::now();
    engine.stop();
    let took = asked.elapsed();
    println!("stop took {took:?}");
    assert!(took < Duration::from_millis(900), "stopping took {took:?}");
    assert!(engine.is_finished());
    let trace = engine.trace();
    assert!(
        trace.finished && trace.now >= 250_000_000,
        "the trace reaches the stop: {}",
        trace.now
    );
    let stats = Stats::compute(trace);
    assert!(stats.wall_ms >= 250.0, "{}", stats.wall_ms);
}

#[test]
fn a_duration_ends_threads_that_repeat_forever() {
    let _serial = serial();
    let s = scenario(
        "[settings]\nduration = \"150ms\"\n[[threads]]\nname = \"w\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 100_000 }, { io = \"100us\" } ]\n",
    );
    let started = Instant::now();
    let (trace, _) = run(&s, &Overrides::default());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(trace.now, 150_000_000, "the trace ends at the duration");
    assert!(trace.threads.iter().all(|t| t.finished.is_none()));
}

const RACE: &str = "[[threads]]\nname = \"adder\"\ncount = 2\nops = [ { increment = \"counter\", times = 200_000 } ]\n";

#[test]
fn no_update_is_lost_under_the_gil_since_3_10() {
    let _serial = serial();
    let s = scenario(RACE);
    let (trace, stats) = run(&s, &overrides(|o| o.switch_interval = Some(50_000)));
    assert_eq!(trace.counters.len(), 1);
    let c = &trace.counters[0];
    assert_eq!(
        (c.expected, c.actual, c.lost),
        (400_000, 400_000, 0),
        "{c:?}"
    );
    assert!(stats.gil.switches >= 1);
}

/// Runs up to five times until updates are lost; returns the (empty) losses seen otherwise.
fn loses_updates(s: &Scenario, o: &Overrides) -> Vec<u64> {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (trace, _) = run(s, o);
        let c = &trace.counters[0];
        assert_eq!(c.expected, 400_000);
        assert_eq!(c.actual + c.lost, 400_000);
        if c.lost > 0 {
            return Vec::new();
        }
        seen.push(c.lost);
    }
    seen
}

#[test]
fn updates_are_lost_on_3_9_and_free_threaded() {
    let _serial = serial();
    let python39 = overrides(|o| {
        o.python = Some("3.9".parse().expect("version"));
        o.switch_interval = Some(20_000);
    });
    let race = scenario(RACE);
    assert!(
        loses_updates(&race, &python39).is_empty(),
        "3.9 switches between load and store"
    );
    let call_inside = scenario(
        "[[threads]]\nname = \"adder\"\ncount = 2\nops = [ { increment = \"counter\", times = 200_000, call_inside = true } ]\n",
    );
    let short = overrides(|o| o.switch_interval = Some(20_000));
    assert!(
        loses_updates(&call_inside, &short).is_empty(),
        "3.13 switches at the call's RESUME"
    );
    if cores() >= 2 {
        let free = overrides(|o| o.free_threaded = Some(true));
        assert!(
            loses_updates(&race, &free).is_empty(),
            "free-threaded on 2 cores races"
        );
    }
}

#[test]
fn a_panicking_thread_is_reported_and_the_others_stop() {
    let _serial = serial();
    let s = scenario(TWO_CPU);
    let config = s.config(&Overrides::default()).expect("config");
    let options = LiveOptions {
        panic_thread: Some(1),
        ..LiveOptions::default()
    };
    let started = Instant::now();
    let error = live_trace(&s, &config, options).expect_err("the panic is reported");
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = error.to_string();
    assert!(
        text.contains("worker-1") && text.contains("panicked"),
        "{text}"
    );
}

#[test]
fn a_deadlock_on_real_locks_is_reported_not_hung() {
    let _serial = serial();
    let s = scenario(
        r#"
[[threads]]
name = "a"
ops = [ { lock = "x" }, { sleep = "20ms" }, { lock = "y" }, { unlock = "y" }, { unlock = "x" } ]

[[threads]]
name = "b"
ops = [ { lock = "y" }, { sleep = "20ms" }, { lock = "x" }, { unlock = "x" }, { unlock = "y" } ]
"#,
    );
    let config = s.config(&Overrides::default()).expect("config");
    let started = Instant::now();
    let error = live_trace(&s, &config, LiveOptions::default()).expect_err("deadlock");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(error, SimError::Deadlock { .. }), "{error}");
    assert!(error.to_string().contains("lock \"x\""), "{error}");
}

#[test]
fn streamed_deltas_rebuild_the_final_trace() {
    let _serial = serial();
    let s = scenario(
        "[[threads]]\nname = \"w\"\ncount = 3\nrepeat = 20\nops = [ { compute = 50_000 }, { io = \"200us\" }, { c_call = \"100us\", releases_gil = true }, { lock = \"l\" }, { increment = \"c\", times = 10 }, { unlock = \"l\" } ]\n",
    );
    let config = s
        .config(&overrides(|o| o.switch_interval = Some(100_000)))
        .expect("config");
    let mut engine = LiveEngine::start(&s, &config, &LiveOptions::default()).expect("starts");
    let mut copy = engine.trace().clone();
    while !engine.is_finished() {
        engine.advance(0).expect("runs");
        copy.apply(engine.take_delta());
        std::thread::sleep(Duration::from_millis(3));
    }
    copy.apply(engine.take_delta());
    assert_eq!(&copy, engine.trace());
    let c = &engine.trace().counters[0];
    assert_eq!(
        (c.expected, c.lost),
        (600, 0),
        "the lock protects the counter"
    );
    for lane in engine.trace().lane_ids().map(|id| engine.trace().lane(id)) {
        for pair in lane.spans.to_vec().windows(2) {
            assert!(pair[0].end <= pair[1].start, "lane spans overlap: {pair:?}");
        }
    }
}

#[test]
fn what_only_the_simulator_runs_is_refused_in_words() {
    let s = scenario(TWO_CPU);
    let refuse = |o: Overrides| {
        let config = s.config(&o).expect("config");
        live_trace(&s, &config, LiveOptions::default())
            .expect_err("refused")
            .to_string()
    };
    let asyncio = refuse(overrides(|o| {
        o.runtime = Some(gilscope_sim::Runtime::Asyncio);
    }));
    assert!(
        asyncio.contains("asyncio") && asyncio.contains("simulated"),
        "{asyncio}"
    );
    let old = refuse(overrides(|o| {
        o.python = Some("2.7".parse().expect("version"));
    }));
    assert!(old.contains("tick-based"), "{old}");
    let importer = scenario(
        "[[threads]]\nname = \"i\"\nops = [ { import = \"legacy\" }, { compute = 100 } ]\n",
    );
    let config = importer
        .config(&overrides(|o| o.free_threaded = Some(true)))
        .expect("config");
    let error = live_trace(&importer, &config, LiveOptions::default()).expect_err("refused");
    assert!(error.to_string().contains("\"legacy\""), "{error}");
}

#[test]
fn send_offload_and_import_run_under_the_gil() {
    let _serial = serial();
    let s = scenario(
        "[[threads]]\nname = \"w\"\ncount = 2\nops = [ { send = 1000 }, { offload = 1000 }, { import = \"numpy\", duration = \"2ms\" } ]\n",
    );
    let (trace, stats) = run(&s, &Overrides::default());
    assert_eq!(stats.bytecodes, 2000);
    let holding: u64 = trace
        .thread_lanes
        .iter()
        .flat_map(|l| l.all(trace.now))
        .filter(|s| s.state == ThreadState::CCallHolding)
        .map(|s| s.duration())
        .sum();
    assert!(
        holding >= 4_000_000,
        "two imports of 2 ms holding the GIL: {holding} ns"
    );
}
