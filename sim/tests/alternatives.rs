//! Behaviour tests for the alternatives (gil-model.md sections 4–6), from public facts.

use gilscope_sim::presets::preset;
use gilscope_sim::trace::MarkerKind;
use gilscope_sim::{Overrides, Runtime, Stats, simulate};

mod common;

use common::{scenario, stats};

fn cores(n: u32) -> Overrides {
    Overrides {
        cores: Some(n),
        ..Overrides::default()
    }
}

#[test]
fn old_gil_two_threads_are_slower_than_sequential_and_slower_on_two_cores() {
    // Beazley 2009: 24.6 s sequential, 45.5 s on two cores, 38.0 s on one core.
    let two = preset("old-gil").unwrap().unwrap();
    let one_thread = two.with_group_count(0, 1);
    let sequential = 2.0 * stats(&one_thread, &cores(2)).wall_ms;
    let on_two = stats(&two, &cores(2));
    let on_one = stats(&two, &cores(1));
    assert!(
        on_two.wall_ms > 1.6 * sequential,
        "two cores: {} vs {sequential}",
        on_two.wall_ms
    );
    assert!(
        on_one.wall_ms > 1.3 * sequential,
        "one core: {} vs {sequential}",
        on_one.wall_ms
    );
    assert!(
        on_two.wall_ms > on_one.wall_ms * 1.1,
        "two cores {} should be slower than one {}",
        on_two.wall_ms,
        on_one.wall_ms
    );
    // The ratios land near Beazley's (1.85 and 1.54).
    assert!((on_two.wall_ms / sequential - 45.5 / 24.6).abs() < 0.1);
    assert!((on_one.wall_ms / sequential - 38.0 / 24.6).abs() < 0.1);
    // No drop requests exist in the old GIL; waiters wake for nothing.
    assert_eq!(on_two.gil.drop_requests, 0);
    assert!(
        on_two.gil.futile_wakeups > 1000,
        "{}",
        on_two.gil.futile_wakeups
    );
}

#[test]
fn asyncio_overlaps_io_but_a_compute_step_delays_every_task_by_its_length() {
    let io_only = scenario(
        r#"
name = "io"
[settings]
runtime = "asyncio"
[[threads]]
name = "client"
count = 8
repeat = 20
ops = [ { io = "5ms" }, { compute = 1_000 } ]
"#,
    );
    let s = stats(&io_only, &Overrides::default());
    assert!(
        s.speedup.unwrap() > 6.0,
        "8 tasks of I/O overlap: speedup {}",
        s.speedup.unwrap()
    );
    let blocked = scenario(
        r#"
name = "blocked"
[settings]
runtime = "asyncio"
[[threads]]
name = "client"
count = 4
repeat = 40
ops = [ { io = "2ms" }, { compute = 1_000 } ]
[[threads]]
name = "cruncher"
ops = [ { sleep = "10ms" }, { compute = 30_000_000 } ]
"#,
    );
    let s = stats(&blocked, &Overrides::default());
    // The 150 ms step (30 M bytecodes at 5 ns) holds up every client that became ready meanwhile.
    for client in s.threads.iter().filter(|t| t.name.starts_with("client")) {
        let lag = client.resume_lag_ms.unwrap();
        assert!(
            lag.max > 140.0 && lag.max < 160.0,
            "{}: {lag:?}",
            client.name
        );
        assert!(
            lag.p50 < 1.0,
            "{}: most resumes are prompt: {lag:?}",
            client.name
        );
    }
    assert!(
        s.warnings.iter().any(|w| w.contains("took 0.15")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn run_in_executor_brings_the_gil_back_with_the_loop_as_convoy_victim() {
    let text = r#"
name = "executor"
[settings]
runtime = "asyncio"
switch_interval = "5ms"
[[threads]]
name = "client"
repeat = 100
ops = [ { io = "1ms" }, { compute = 200 } ]
[[threads]]
name = "offloader"
ops = [ { offload = 100_000_000 } ]
"#;
    let s = stats(&scenario(text), &Overrides::default());
    let client = s.threads.iter().find(|t| t.name == "client").unwrap();
    // While the executor thread holds the GIL, each resume waits about one switch interval.
    let lag = client.resume_lag_ms.unwrap();
    assert!(lag.p50 > 4.0 && lag.p50 < 6.0, "{lag:?}");
    assert!(s.gil.forced_switches > 50);
}

#[test]
fn multiprocessing_scales_cpu_work_but_a_job_shorter_than_start_up_gets_slower() {
    let cpu = preset("cpu-bound").unwrap().unwrap();
    let threads = stats(&cpu, &Overrides::default());
    let fork = stats(
        &cpu,
        &Overrides {
            runtime: Some(Runtime::Multiprocessing),
            ..Overrides::default()
        },
    );
    assert!(
        fork.wall_ms < threads.wall_ms * 0.6,
        "fork {} vs threads {}",
        fork.wall_ms,
        threads.wall_ms
    );
    assert!(fork.parallelism.unwrap() > 1.8);
    // A 2 ms job: spawning two interpreters (~50 ms each, in parallel) costs far more.
    let short = scenario(
        r#"
name = "short"
[[threads]]
name = "worker"
count = 2
ops = [ { compute = 200_000 } ]
"#,
    );
    let threads = stats(&short, &Overrides::default());
    let spawn = stats(
        &short,
        &Overrides {
            runtime: Some(Runtime::Multiprocessing),
            start_method: Some(gilscope_sim::StartMethod::Spawn),
            ..Overrides::default()
        },
    );
    assert!(
        spawn.wall_ms > 10.0 * threads.wall_ms,
        "spawn {} vs threads {}",
        spawn.wall_ms,
        threads.wall_ms
    );
}

#[test]
fn globals_are_not_shared_between_processes_unless_in_shared_memory() {
    let s = stats(
        &preset("multiprocessing").unwrap().unwrap(),
        &Overrides::default(),
    );
    let counter = |name: &str| s.counters.iter().find(|c| c.name == name).unwrap().clone();
    let hits = counter("hits");
    assert_eq!((hits.expected, hits.actual), (4_000, 0));
    let shared = counter("shared_hits");
    assert_eq!(
        (shared.expected, shared.actual, shared.lost),
        (4_000, 4_000, 0)
    );
    assert_eq!(s.interpreters, 4);
}

#[test]
fn importing_a_non_declaring_extension_re_enables_the_gil_and_parallelism_drops_to_one() {
    let s = preset("gil-returns").unwrap().unwrap();
    let config = s.config(&Overrides::default()).unwrap();
    let trace = simulate(&s, &config).unwrap();
    let (at, warning) = trace.warnings.first().expect("a RuntimeWarning").clone();
    assert!(warning.contains("RuntimeWarning: The global interpreter lock (GIL) has been enabled to load module 'legacy_ext'"), "{warning}");
    // After the import, at most one thread runs Python at any time.
    let running_after = |t: u64| {
        trace
            .thread_lanes
            .iter()
            .filter(|lane| {
                lane.at(t, trace.now)
                    .is_some_and(|sp| sp.state == gilscope_sim::ThreadState::Running)
            })
            .count()
    };
    for k in 1..50 {
        let t = at + k * (trace.now - at) / 50;
        assert!(
            running_after(t) <= 1,
            "{} threads running at {t}",
            running_after(t)
        );
    }
    // Before it, the threads ran side by side.
    assert!(running_after(at / 2) >= 3);
    assert!(
        trace
            .markers
            .iter()
            .any(|m| m.kind == MarkerKind::Handoff && m.time > at)
    );
    // PYTHON_GIL=0 keeps it off: no warning, and all four run in parallel to the end.
    let forced_off = stats(
        &s,
        &Overrides {
            gil: Some(false),
            ..Overrides::default()
        },
    );
    assert!(forced_off.warnings.is_empty());
    assert!(
        forced_off.parallelism.unwrap() > 3.0,
        "{}",
        forced_off.parallelism.unwrap()
    );
    assert!(forced_off.wall_ms < 0.5 * Stats::compute(&trace).wall_ms);
}

#[test]
fn subinterpreters_need_312_and_run_cpu_work_in_parallel_after_creation() {
    let cpu = preset("cpu-bound").unwrap().unwrap();
    let sub = stats(
        &cpu,
        &Overrides {
            runtime: Some(Runtime::Subinterpreters),
            ..Overrides::default()
        },
    );
    assert!(
        sub.parallelism.unwrap() > 1.5,
        "{}",
        sub.parallelism.unwrap()
    );
    // Creating each interpreter costs about 10 ms, one after the other.
    assert!(
        sub.wall_ms > 100.0 + 2.0 * 10.0 - 1.0 && sub.wall_ms < 150.0,
        "{}",
        sub.wall_ms
    );
    let old = cpu.config(&Overrides {
        runtime: Some(Runtime::Subinterpreters),
        python: Some("3.11".parse().unwrap()),
        ..Overrides::default()
    });
    assert!(old.unwrap_err().to_string().contains("3.12"));
}
