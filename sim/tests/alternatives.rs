//! Behaviour tests for the alternatives (gil-model.md sections 4–6), from public facts.

use gilscope_sim::presets::preset;
use gilscope_sim::trace::MarkerKind;
use gilscope_sim::{Overrides, Runtime, Stats, simulate};

mod common;

use common::{scenario, stats};

/// Python 2.7's old GIL, its costs derived from the lock it is (glibc's semaphore, gil-model.md
/// rule 15a) and measured quantities, not fitted: while a thread is registered as a waiter,
/// every release is a system call: a futex wake of the sleeping waiter (2 µs measured here), or
/// one that finds nobody asleep while the woken waiter is on its way (0.3 µs); the woken waiter
/// runs a wake-up latency after the release began; one that finds the lock taken again stalls
/// the holder by two cache-line transfers (85 ns measured here) and goes back to sleep. At 2.7's
/// own speed here two CPU-bound threads on two cores battle for the GIL: slower than
/// sequential, and slower than on one core, where the woken thread runs at the release's return
/// and takes the lock, and nothing is paid per tick.
///
/// Real 2.7.18 here (`old_gil_wakeups.py`): 1.85× and 2.06× sequential on two otherwise idle
/// cores, 1.02–1.44× with other jobs on the machine, about 1.0× on one core. Before, this test
/// asserted Beazley's 2009 ratios (1.85 on two cores, 1.54 on one), which the preset reached
/// only with a 2009 Mac's speed and two costs fitted to it; Beazley's figures stay in the
/// preset's narration as the 2009 reference.
#[test]
fn old_gil_two_threads_battle_on_two_cores_and_cost_nothing_on_one() {
    let two = preset("old-gil").unwrap().unwrap();
    let one_thread = two.with_group_count(0, 1);
    let at = |cores: u32| Overrides {
        cores: Some(cores),
        bytecode_ns: Some(2.4),
        ..Overrides::default()
    };
    let sequential = 2.0 * stats(&one_thread, &at(2)).wall_ms;
    let on_two = stats(&two, &at(2));
    let on_one = stats(&two, &at(1));
    assert!(
        on_two.wall_ms > 1.4 * sequential,
        "two cores: {} vs {sequential}",
        on_two.wall_ms
    );
    assert!(
        (on_one.wall_ms / sequential - 1.0).abs() < 0.05,
        "one core: {} vs {sequential}",
        on_one.wall_ms
    );
    assert!(on_two.wall_ms > on_one.wall_ms * 1.3);
    // No drop requests exist in the old GIL; waiters wake for nothing, and the GIL does change
    // hands (a waiter woken inside the futex wake sometimes beats the releaser back).
    assert_eq!(on_two.gil.drop_requests, 0);
    assert!(
        on_two.gil.futile_wakeups > 1000,
        "{}",
        on_two.gil.futile_wakeups
    );
    assert!(on_two.gil.switches > 1000, "{}", on_two.gil.switches);
    // Switches are changes of holder; the releases the holder took back are their own count.
    assert!(
        on_two.gil.retakes > 2 * on_two.gil.switches,
        "{} retakes, {} switches",
        on_two.gil.retakes,
        on_two.gil.switches
    );
    // On one core the woken thread takes the lock at the release's return: no release is paid
    // for while a woken waiter is on its way, so the holder keeps the lock between switches.
    assert_eq!(on_one.gil.retakes, 0);
    // The signalling is the GIL's own cost, shown as such, never as a C call.
    let signalling: f64 = on_two.threads.iter().map(|t| t.state_ms.signalling).sum();
    assert!(signalling > 0.1 * on_two.wall_ms, "{signalling}");
    assert!(on_two.threads.iter().all(|t| t.state_ms.c_call <= 0.0));
}

/// An I/O thread beside a busy thread under the old GIL: the busy thread releases every 100
/// ticks, the I/O thread blocked on the lock is woken inside the release's futex wake and takes
/// the lock within a few releases. Real 2.7.18 here (`one_core.py 0.000056` on two cores, load
/// 7.4): median 0.114–0.118 ms per `sleep(56µs)`: the sleep, the 50 µs timer slack and a few µs.
#[test]
fn old_gil_an_io_thread_beside_a_busy_thread_gets_the_gil_within_microseconds() {
    let text = r#"
name = "2.7: a sleeper beside a busy thread"
[settings]
python = "2.7"
cores = 2
bytecode_ns = 2.4
[[threads]]
name = "busy"
repeat = "forever"
ops = [ { compute = 1_000_000, loop_body = 9 } ]
[[threads]]
name = "sleeper"
repeat = 300
ops = [ { sleep = "56us" }, { compute = 20 } ]
"#;
    let s = stats(&scenario(text), &Overrides::default());
    let sleeper = s.threads.iter().find(|t| t.name == "sleeper").unwrap();
    let latency = sleeper.io_latency_ms.unwrap();
    assert!((0.105..0.135).contains(&latency.p50), "{latency:?}");
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
    // The main thread creates each interpreter in turn (15 ms on 3.13), and each lane's thread
    // then loads the program into it (20 ms) before its 100 ms of bytecode: the second lane
    // ends at 2 × 15 + 20 + 100 ms.
    assert!(
        sub.wall_ms > 2.0 * 15.0 + 20.0 + 100.0 - 1.0 && sub.wall_ms < 170.0,
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
