//! Property test: random scenarios and settings never panic or hang, and every run keeps the
//! engine's invariants.

use gilscope_sim::trace::{LaneId, Span, Trace};
use gilscope_sim::{
    Overrides, PythonVersion, RunError, Runtime, Scenario, SimError, Stats, ThreadState, simulate,
};
use proptest::prelude::*;
use std::fmt::Write as _;

#[derive(Debug, Clone)]
enum RandomOp {
    Compute(u64, u32),
    Io(u64),
    Sleep(u64),
    CCall(u64, bool),
    Increment(u64, bool),
    Locked(u64),
    Offload(u64),
    /// Reads of a shared object (or each thread's own copy, or a function).
    Read(u64, u32),
    Mutate(u64),
    Collect(u64),
    /// An I/O call that says whether it blocks.
    IoBlocks(u64, bool),
}

fn op() -> impl Strategy<Value = RandomOp> {
    prop_oneof![
        (1u64..200_000, 1u32..20).prop_map(|(n, b)| RandomOp::Compute(n, b)),
        (0u64..3_000).prop_map(RandomOp::Io),
        (0u64..3_000).prop_map(RandomOp::Sleep),
        (1u64..3_000, any::<bool>()).prop_map(|(d, r)| RandomOp::CCall(d, r)),
        (1u64..5_000, any::<bool>()).prop_map(|(n, c)| RandomOp::Increment(n, c)),
        (1u64..2_000).prop_map(RandomOp::Locked),
        (1u64..50_000).prop_map(RandomOp::Offload),
        (1u64..20_000, 0u32..3).prop_map(|(n, k)| RandomOp::Read(n, k)),
        (1u64..20_000).prop_map(RandomOp::Mutate),
        (1u64..2_000).prop_map(RandomOp::Collect),
        (0u64..100, any::<bool>()).prop_map(|(us, b)| RandomOp::IoBlocks(us, b)),
    ]
}

fn render(op: &RandomOp, lock: usize) -> String {
    match op {
        RandomOp::Compute(n, b) => format!("{{ compute = {n}, loop_body = {b} }}"),
        RandomOp::Io(us) => format!("{{ io = \"{us}us\" }}"),
        RandomOp::Sleep(us) => format!("{{ sleep = \"{us}us\" }}"),
        RandomOp::CCall(us, r) => format!("{{ c_call = \"{us}us\", releases_gil = {r} }}"),
        RandomOp::Increment(n, c) => {
            format!("{{ increment = \"counter\", times = {n}, call_inside = {c} }}")
        }
        RandomOp::Offload(n) => format!("{{ offload = {n} }}"),
        RandomOp::Read(n, 0) => format!("{{ read = \"shared\", times = {n} }}"),
        RandomOp::Read(n, 1) => {
            format!("{{ read = \"mine\", times = {n}, per_thread = true }}")
        }
        RandomOp::Read(n, _) => {
            format!("{{ read = \"handler\", times = {n}, kind = \"function\" }}")
        }
        RandomOp::Mutate(n) => format!("{{ mutate = \"cache\", times = {n} }}"),
        RandomOp::Collect(us) => format!("{{ collect = \"{us}us\" }}"),
        RandomOp::IoBlocks(us, b) => format!("{{ io = \"{us}us\", blocks = {b} }}"),
        RandomOp::Locked(n) => {
            format!("{{ lock = \"m{lock}\" }}, {{ compute = {n} }}, {{ unlock = \"m{lock}\" }}")
        }
    }
}

#[derive(Debug, Clone)]
struct Group {
    count: u32,
    repeat: Option<u32>,
    ops: Vec<RandomOp>,
}

fn group() -> impl Strategy<Value = Group> {
    (
        1u32..4,
        prop::option::of(1u32..5),
        prop::collection::vec(op(), 1..5),
    )
        .prop_map(|(count, repeat, ops)| Group { count, repeat, ops })
}

fn scenario_text(groups: &[Group], duration_ms: u64) -> String {
    let mut text = format!("name = \"random\"\n[settings]\nduration = \"{duration_ms}ms\"\n");
    for (i, g) in groups.iter().enumerate() {
        let repeat = g.repeat.map_or("\"forever\"".to_owned(), |r| r.to_string());
        // Two lock names across groups: lock-order deadlocks are possible (and must be reported).
        let ops: Vec<String> = g
            .ops
            .iter()
            .enumerate()
            .map(|(k, op)| render(op, (i + k) % 2))
            .collect();
        let _ = writeln!(
            text,
            "[[threads]]\nname = \"g{i}\"\ncount = {}\nrepeat = {repeat}\nops = [ {} ]",
            g.count,
            ops.join(", ")
        );
    }
    text
}

fn settings() -> impl Strategy<Value = Overrides> {
    let runtime = prop_oneof![
        Just(Runtime::Threads),
        Just(Runtime::Threads),
        Just(Runtime::Multiprocessing),
        Just(Runtime::Subinterpreters),
        Just(Runtime::Asyncio),
        Just(Runtime::Pool),
        Just(Runtime::ProcessPool),
        Just(Runtime::ThreadPool),
    ];
    (
        prop_oneof![
            Just("2.7"),
            Just("3.9"),
            Just("3.12"),
            Just("3.13"),
            Just("3.14")
        ],
        any::<bool>(),
        1u64..20_000,
        1u32..5,
        0u64..30,
        prop_oneof![Just("random"), Just("fifo"), Just("affinity")],
        any::<u64>(),
        (runtime, 0u32..4),
    )
        .prop_map(
            |(python, free, interval_us, cores, wake_us, successor, seed, (runtime, workers))| {
                let python: Option<PythonVersion> = python.parse().ok();
                let free = free && python >= "3.13".parse().ok();
                // A runtime the version lacks (subinterpreters before 3.12, the executors on
                // 2.7) is threads.
                let runtime = match runtime.first_version() {
                    Some(first) if python < Some(first) => Runtime::Threads,
                    _ => runtime,
                };
                Overrides {
                    python,
                    free_threaded: Some(free),
                    switch_interval: Some(interval_us * 1_000),
                    cores: Some(cores),
                    wake_latency: Some(wake_us * 1_000),
                    successor: successor.parse().ok(),
                    seed: Some(seed),
                    runtime: Some(runtime),
                    // A pool's own default, or one to three workers (fewer than the tasks).
                    workers: (workers > 0).then_some(workers),
                    ..Overrides::default()
                }
            },
        )
}

/// The largest number of spans of `lanes` that overlap at any instant, counting only spans
/// that `count` accepts.
fn max_overlap(spans: impl Iterator<Item = Span>, count: impl Fn(&Span) -> bool) -> usize {
    let mut edges: Vec<(u64, i32)> = Vec::new();
    for s in spans.filter(|s| count(s) && s.end > s.start) {
        edges.push((s.start, 1));
        edges.push((s.end, -1));
    }
    edges.sort_unstable();
    let (mut current, mut max) = (0i32, 0i32);
    for (_, delta) in edges {
        current += delta;
        max = max.max(current);
    }
    max as usize
}

fn check_invariants(trace: &Trace, gil_on: bool, cores: u32, asyncio: bool) {
    let thread_spans = || trace.thread_lanes.iter().flat_map(|l| l.spans.iter());
    if asyncio {
        // One event loop: at most one task runs at a time, GIL or not.
        let tasks = trace
            .threads
            .iter()
            .zip(&trace.thread_lanes)
            .filter(|(info, _)| !info.name.starts_with("executor-"));
        let running = max_overlap(tasks.flat_map(|(_, lane)| lane.spans.iter()), |s| {
            s.state.on_core()
        });
        assert!(
            running <= 1,
            "{running} tasks ran at once on one event loop"
        );
    }
    if gil_on {
        let holding = max_overlap(thread_spans(), |s| {
            matches!(
                s.state,
                ThreadState::Running
                    | ThreadState::CCallHolding
                    | ThreadState::Contended
                    | ThreadState::Collecting
            )
        });
        assert!(
            holding <= 1,
            "{holding} threads ran bytecode at once under the GIL"
        );
        assert!(max_overlap(trace.gil.spans.iter(), |_| true) <= 1);
    }
    let on_core = max_overlap(thread_spans(), |s| s.state.on_core());
    assert!(
        on_core <= cores as usize,
        "{on_core} threads on {cores} cores"
    );
    for t in 0..trace.threads.len() as u32 {
        let on_cores = trace
            .cores
            .iter()
            .flat_map(|l| l.spans.iter())
            .filter(|s| s.other == t);
        assert!(
            max_overlap(on_cores, |_| true) <= 1,
            "thread {t} on two cores at once"
        );
    }
    for id in trace.lane_ids() {
        let lane = trace.lane(id);
        assert!(lane.open.is_none(), "{id:?} left open");
        for pair in lane.spans.to_vec().windows(2) {
            assert!(
                pair[0].end <= pair[1].start,
                "{id:?} spans overlap or are unsorted"
            );
        }
        if let LaneId::Thread(t) = id {
            // No gaps: a thread is always in some state from its start to the end.
            for pair in lane.spans.to_vec().windows(2) {
                assert_eq!(pair[0].end, pair[1].start, "thread {t} has a gap");
            }
        }
    }
    assert!(
        trace.markers.windows(2).all(|m| m[0].time <= m[1].time),
        "markers out of order"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_runs_keep_the_invariants(groups in prop::collection::vec(group(), 1..4), overrides in settings(), duration_ms in 1u64..40) {
        let text = scenario_text(&groups, duration_ms);
        let scenario = Scenario::parse(&text, "random.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let config = scenario.config(&overrides).unwrap_or_else(|e| panic!("{e}"));
        let first = simulate(&scenario, &config);
        let second = simulate(&scenario, &config);
        prop_assert_eq!(&first, &second, "same seed, same settings: identical result");
        match first {
            Ok(trace) => {
                let shared_gil = config.gil_enabled() && matches!(config.runtime, Runtime::Threads | Runtime::Asyncio | Runtime::ThreadPool);
                check_invariants(&trace, shared_gil, config.cores, config.runtime == Runtime::Asyncio);
                let stats = Stats::compute(&trace);
                for (t, info) in stats.threads.iter().zip(&trace.threads) {
                    let lifetime = info.finished.unwrap_or(trace.now) - info.started.unwrap_or(trace.now);
                    let total = t.state_ms.total();
                    prop_assert!((total - lifetime as f64 / 1e6).abs() < 1e-6, "{}: states {total} ms vs lifetime {} ms", t.name, lifetime as f64 / 1e6);
                }
                prop_assert!(trace.now <= duration_ms * 1_000_000);
                for c in &stats.counters {
                    prop_assert!(c.actual <= c.expected);
                }
            }
            Err(RunError::Engine(SimError::Deadlock { cycle, .. })) => prop_assert!(cycle.contains("waits for lock")),
            // A thread whose every op takes no time (0 µs I/O, no wake-up latency) is reported.
            Err(RunError::Engine(SimError::NoProgress { detail, .. })) => prop_assert!(detail.contains("no time")),
            Err(other) => prop_assert!(false, "unexpected error {other}\n{text}"),
        }
    }
}
