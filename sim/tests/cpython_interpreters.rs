//! The generated program on real interpreters: one scenario with every operation, under each
//! runtime the interpreter has, runs to its end with the expected counts. First on the
//! `python3` of the PATH (CI has only that one), then on one interpreter of every other version
//! and build discovery finds here (2.7 and 3.6 to 3.14 where installed); what is missing is
//! printed as skipped, with why. The two tests take turns (real interpreters on a 2-core
//! machine), and each run is bounded by the engine's own time limit (its estimate times four
//! plus 30 s), so a hang fails the test instead of stalling it.

use gilscope_sim::cpython::{self, CpythonError, CpythonOptions, DiscoverOptions, Interpreter};
use gilscope_sim::{Overrides, PythonVersion, Runtime, Scenario, StartMethod, ThreadState};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// One test at a time: both start real interpreters.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

const EVERY_OP: &str = r#"
name = "every operation"
[settings]
switch_interval = "1ms"
[[threads]]
name = "worker"
count = 2
repeat = 2
ops = [
  { compute = 20_000 },
  { io = "200us" },
  { sleep = "200us" },
  { c_call = "1ms", releases_gil = true },
  { c_call = "1ms" },
  { increment = "hits", times = 1_000 },
  { increment = "hits", times = 1_000, call_inside = true },
  { send = 1_000 },
  { offload = 10_000 },
  { import = "ext", supports_free_threading = true, duration = "200us" },
]
[[threads]]
name = "locker"
repeat = 3
ops = [ { lock = "m" }, { compute = 5_000 }, { unlock = "m" }, { increment = "shared", shared = true } ]
"#;

fn found() -> Vec<Interpreter> {
    let options = DiscoverOptions {
        cache_file: Some(std::env::temp_dir().join("gilscope-test-interpreters.json")),
        ..DiscoverOptions::from_env()
    };
    cpython::discover(&options).found
}

/// The interpreter `python3` on the PATH runs, resolved (a pyenv shim runs another file).
fn python3_path() -> Option<PathBuf> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, sys; print(os.path.realpath(sys.executable))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[test]
fn the_program_runs_under_every_runtime_on_python3() {
    let _serial = serial();
    let Some(path) = python3_path() else {
        println!("skipped: no python3 on the PATH");
        return;
    };
    let found = found();
    let Some(python3) = found.iter().find(|i| same_file(&i.path, &path)) else {
        panic!(
            "python3 ({}) is not among the interpreters found: {:?}",
            path.display(),
            found.iter().map(Interpreter::describe).collect::<Vec<_>>()
        );
    };
    every_runtime(python3);
}

#[test]
fn the_program_runs_under_every_runtime_on_every_other_version_found() {
    let _serial = serial();
    let python3 = python3_path();
    let key = |i: &Interpreter| (i.version.python, i.facts.free_threaded);
    let found = found();
    // python3's own version and build are the other test's.
    let mut seen: Vec<(PythonVersion, bool)> = found
        .iter()
        .filter(|i| python3.as_deref().is_some_and(|p| same_file(&i.path, p)))
        .map(key)
        .collect();
    let mut others = Vec::new();
    // The newest of each version and build (found is newest first).
    for interpreter in found {
        if seen.contains(&key(&interpreter)) {
            println!(
                "skipped {}: another {}{} ran in its place (python3, or a newer micro version)",
                interpreter.describe(),
                interpreter.version.python,
                if interpreter.facts.free_threaded {
                    "t"
                } else {
                    ""
                }
            );
            continue;
        }
        seen.push(key(&interpreter));
        others.push(interpreter);
    }
    if others.is_empty() {
        println!(
            "skipped: no interpreter of another version or build than python3 found (install one with pyenv or uv to run this test)"
        );
        return;
    }
    for interpreter in &others {
        every_runtime(interpreter);
    }
}

/// The scenario with every operation under threads, asyncio, multiprocessing (fork and
/// forkserver) and subinterpreters, where `interpreter` has them.
fn every_runtime(interpreter: &Interpreter) {
    let scenario = Scenario::parse(EVERY_OP, "every-op.toml").expect("the scenario parses");
    let runtimes = [
        (Runtime::Threads, None),
        (Runtime::Asyncio, None),
        (Runtime::Multiprocessing, Some(StartMethod::Fork)),
        (Runtime::Multiprocessing, Some(StartMethod::Forkserver)),
    ];
    for &(runtime, start_method) in &runtimes {
        let what = format!("{} {runtime:?} {start_method:?}", interpreter.describe());
        let python = interpreter.version.python;
        let lacks_start_method = start_method.is_some_and(|m| m != StartMethod::Fork)
            && python < PythonVersion::new(3, 4);
        if runtime.first_version().is_some_and(|first| python < first) || lacks_start_method {
            println!("skipped {what}: {python} does not have it");
            continue;
        }
        let overrides = Overrides {
            runtime: Some(runtime),
            start_method,
            ..Overrides::default()
        };
        let configured = match cpython::configure(&scenario, &overrides, interpreter) {
            Ok(c) => c,
            Err(e) => panic!("{what}: {e}"),
        };
        let started = Instant::now();
        let run = match cpython::run(
            &scenario,
            &configured,
            interpreter,
            &CpythonOptions::default(),
        ) {
            Ok(run) => run,
            Err(CpythonError::Unsupported(why)) => {
                println!("skipped {what}: {why}");
                continue;
            }
            Err(e) => panic!("{what}: {e}"),
        };
        let trace = &run.trace;
        for (i, info) in trace.threads.iter().enumerate().take(3) {
            assert!(info.finished.is_some(), "{what}: lane {i} did not finish");
        }
        let hits = &trace.counters[0];
        assert_eq!(hits.expected, 8_000, "{what}");
        let shared = &trace.counters[1];
        // A shared counter is a multiprocessing.Value under its lock: nothing is lost.
        assert_eq!((shared.expected, shared.actual), (3, 3), "{what}");
        let locks = trace
            .markers
            .iter()
            .filter(|m| m.kind == gilscope_sim::trace::MarkerKind::LockReleased)
            .count();
        assert_eq!(locks, 3, "{what}");
        let lane: Vec<ThreadState> = trace.thread_lanes[0]
            .spans
            .iter()
            .map(|s| s.state)
            .collect();
        for state in [
            ThreadState::Running,
            ThreadState::CCallHolding,
            ThreadState::Io,
        ] {
            assert!(lane.contains(&state), "{what}: no {state:?}");
        }
        println!("ran {what} in {:.1} s", started.elapsed().as_secs_f64());
    }
    subinterpreters(interpreter);
}

/// Interpreters with their own GIL share no lock and no shared-memory value: a scenario
/// without them.
fn subinterpreters(interpreter: &Interpreter) {
    if interpreter.facts.subinterpreters.is_none() {
        println!(
            "skipped {} subinterpreters: it has none",
            interpreter.describe()
        );
        return;
    }
    let text = "name = \"x\"\n[[threads]]\nname = \"w\"\ncount = 2\nrepeat = 2\nops = [ { compute = 20_000 }, { io = \"200us\" }, { c_call = \"1ms\", releases_gil = true }, { increment = \"hits\", times = 1_000 }, { send = 1_000 } ]\n";
    let scenario = Scenario::parse(text, "sub.toml").expect("the scenario parses");
    let overrides = Overrides {
        runtime: Some(Runtime::Subinterpreters),
        ..Overrides::default()
    };
    let configured =
        cpython::configure(&scenario, &overrides, interpreter).expect("the settings fit");
    let run = cpython::run(
        &scenario,
        &configured,
        interpreter,
        &CpythonOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{} subinterpreters: {e}", interpreter.describe()));
    assert!(run.trace.threads.iter().all(|t| t.finished.is_some()));
    let hits = &run.trace.counters[0];
    assert_eq!(
        (hits.expected, hits.actual),
        (4_000, 0),
        "each interpreter has its own"
    );
    assert!(run.trace.gil.spans.is_empty(), "one GIL per interpreter");
    println!("ran {} subinterpreters", interpreter.describe());
}
