//! Behaviour tests: start-up and memory costs of threads, subinterpreters and processes
//! (`gil-model.md` rules 20–21), measured on the local interpreters rather than assumed.
//!
//! Figures from `scripts/measure/startup_costs.py` on this 2-core VM (load 7.4 from other
//! compile jobs, so wall times are inflated; CPU times are not), `CPython` 3.12.1 and 3.13.0
//! (3.8.18 and 3.10.13 where said):
//! - `Thread.start()`: 36–55 µs of CPU, 24–44 µs wall on 3.8–3.13 (PEP 703 quotes ~100 µs);
//!   an idle thread adds 0.016–0.019 MiB resident.
//! - `_interpreters.create()`: 11.0 ms of CPU on 3.12, 15.0 ms on 3.13 (27–35 ms wall under
//!   load); one more subinterpreter adds 2.41–2.48 MiB. (discuss.python.org thread 53251's
//!   10,000 in 11.1 s is a throughput across 16 cores' threads, not one creation's latency.)
//! - `scripts/measure/subinterpreter_start.py` (session 7, `chrt -f 5`, load 1.5–1.7): an
//!   isolated interpreter's creation 8.8 ms of CPU on 3.12.1, 7.2 ms on 3.13.0; loading the
//!   generated cpu-bound program into it 19.3 / 17.7 ms; two creations at once from two
//!   threads 13.5 / 7.8 ms wall, two loads at once 19.0 ms on 3.13.0 (four: 36 ms on 2 cores).
//! - `multiprocessing`, from `Process.start()` to the child's target running, CPU of the child:
//!   fork 1.2–1.5 ms; spawn 53–56 ms (first 54–73); forkserver: the first child waits for the
//!   server's start (58–193 ms wall), every child forked from it then spends 17–24 ms importing
//!   its main module (later children 17–59 ms wall: not a bare fork). Children's PSS: fork
//!   5.6–5.8 MiB, spawn 9.7–9.8, forkserver 7.2–7.7; the main interpreter 11.0–11.4.

use gilscope_sim::model::{PythonVersion, Runtime, StartMethod};
use gilscope_sim::time::{MS, US};
use gilscope_sim::{Overrides, simulate};

mod common;

use common::{scenario, stats};

/// Four workers of 1000 bytecodes each.
const FOUR: &str = "name = \"four\"\n[settings]\ncores = 4\n[[threads]]\nname = \"w\"\ncount = 4\nops = [ { compute = 1000 } ]\n";

fn with(runtime: Runtime, python: (u8, u8), method: Option<StartMethod>) -> Overrides {
    Overrides {
        runtime: Some(runtime),
        python: Some(PythonVersion::new(python.0, python.1)),
        start_method: method,
        ..Overrides::default()
    }
}

/// When each worker starts, and how long it boots before its program.
fn starts(overrides: &Overrides) -> Vec<(u64, f64)> {
    let s = scenario(FOUR);
    let config = s.config(overrides).expect("valid settings");
    let trace = simulate(&s, &config).expect("run completes");
    let booted = stats(&s, overrides);
    trace
        .threads
        .iter()
        .zip(&booted.threads)
        .map(|(info, st)| {
            (
                info.started.expect("every worker starts"),
                st.state_ms.starting,
            )
        })
        .collect()
}

/// The main thread starts a thread about every 40 µs (36–55 µs measured), not 100 µs.
#[test]
fn threads_start_tens_of_microseconds_apart() {
    let s = starts(&with(Runtime::Threads, (3, 13), None));
    let times: Vec<u64> = s.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [0, 40 * US, 80 * US, 120 * US]);
    assert!(s.iter().all(|(_, boot)| *boot == 0.0));
}

/// Creating a subinterpreter costs its creator (the main thread) 11 ms on 3.12 and 15 ms on
/// 3.13, one after another; each lane's thread then loads the program into its interpreter
/// (20 ms, `main_import`) before its first bytecode, in parallel with the next creation
/// (`subinterpreter_start.py`: a load 19.3 ms of CPU on 3.12.1, 17.7 ms on 3.13.0; two
/// creations at once 13.5 / 7.8 ms wall against 8.8 / 7.2 ms alone, two loads at once 19.0 ms
/// against 17.7 on 3.13: they do not serialize).
#[test]
fn subinterpreters_are_created_in_turn_then_each_loads_the_program() {
    for (python, each) in [((3, 12), 11 * MS), ((3, 13), 15 * MS)] {
        let s = starts(&with(Runtime::Subinterpreters, python, None));
        let times: Vec<u64> = s.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, [each, 2 * each, 3 * each, 4 * each], "{python:?}");
        assert!(
            s.iter().all(|(_, load)| (load - 20.0).abs() < 1e-6),
            "every lane loads the program into its interpreter: {s:?}"
        );
    }
}

/// Fork: a fork each, in turn. Spawn: each child boots a fresh interpreter (55 ms) on its own
/// core. Forkserver: the server boots once (55 ms) before the first child, and each child
/// forked from it imports its main module (20 ms) before its target runs, later ones included.
#[test]
fn each_start_method_pays_what_it_really_does() {
    let fork = starts(&with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Fork),
    ));
    assert_eq!(fork[0], (1_500 * US, 0.0));
    assert_eq!(fork[3], (6 * MS, 0.0));
    let spawn = starts(&with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Spawn),
    ));
    assert!(spawn.iter().all(|(_, boot)| (boot - 55.0).abs() < 1e-6));
    let server = starts(&with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Forkserver),
    ));
    assert_eq!(server[0].0, 55 * MS + 1_500 * US);
    assert_eq!(server[1].0 - server[0].0, 1_500 * US);
    assert!(
        server.iter().all(|(_, boot)| (boot - 20.0).abs() < 1e-6),
        "every child imports its main module: {server:?}"
    );
}

/// The default start method on Linux: fork through 3.13, forkserver from 3.14 (What's New in
/// 3.14, cpython PR #125750).
#[test]
fn forkserver_is_the_default_from_314() {
    let method = |minor| {
        with(Runtime::Multiprocessing, (3, minor), None)
            .resolve()
            .unwrap()
            .start_method
    };
    assert_eq!(method(13), StartMethod::Fork);
    assert_eq!(method(14), StartMethod::Forkserver);
}

/// Each interpreter and process costs memory: the stats estimate it from the measured
/// baselines. Four threads share one interpreter (about 10 MiB on 3.13); four subinterpreters add about
/// 2.4 MiB each; four processes add a child each, and a forkserver its server.
#[test]
fn resident_memory_grows_with_each_interpreter_and_process() {
    let mib = |o: Overrides| stats(&scenario(FOUR), &o).resident_mib;
    let threads = mib(with(Runtime::Threads, (3, 13), None));
    let asyncio = mib(with(Runtime::Asyncio, (3, 13), None));
    let subs = mib(with(Runtime::Subinterpreters, (3, 13), None));
    let fork = mib(with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Fork),
    ));
    let spawn = mib(with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Spawn),
    ));
    let server = mib(with(
        Runtime::Multiprocessing,
        (3, 13),
        Some(StartMethod::Forkserver),
    ));
    assert!((10.0..10.5).contains(&threads), "threads {threads}");
    assert!(asyncio <= threads);
    assert!((19.0..20.5).contains(&subs), "subinterpreters {subs}");
    assert!((32.0..34.0).contains(&fork), "fork {fork}");
    assert!((50.0..51.0).contains(&spawn), "spawn {spawn}");
    assert!((49.5..51.0).contains(&server), "forkserver {server}");
    assert!(threads < subs && subs < fork && fork < spawn);
}

/// The interpreter's own memory is its version's, measured on each local interpreter
/// (`scripts/measure/interpreter_memory.py`): 5.8 MiB on 2.7.18, 10.1 on 3.13.0. A spawned child
/// is a fresh interpreter of the same version.
#[test]
fn resident_memory_is_each_versions_own() {
    let mib = |o: Overrides| stats(&scenario(FOUR), &o).resident_mib;
    let old = mib(with(Runtime::Threads, (2, 7), None));
    let new = mib(with(Runtime::Threads, (3, 13), None));
    assert!((5.8..6.0).contains(&old), "2.7 threads {old}");
    assert!(new > old + 4.0, "3.13 threads {new}");
    let spawn = |v| mib(with(Runtime::Multiprocessing, v, Some(StartMethod::Spawn)));
    let (spawn_36, spawn_313) = (spawn((3, 6)), spawn((3, 13)));
    assert!((40.0..41.0).contains(&spawn_36), "3.6 spawn {spawn_36}");
    assert!(spawn_313 > spawn_36 + 9.0, "3.13 spawn {spawn_313}");
}
