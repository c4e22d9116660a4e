//! The generated program on every interpreter discovery finds here (2.7 and 3.6 to 3.14 where
//! installed): one scenario with every operation, under each runtime the interpreter has,
//! runs to its end with the expected counts. Interpreters and runtimes that are missing are
//! listed as skipped.

use gilscope_sim::cpython::{self, CpythonError, CpythonOptions, DiscoverOptions};
use gilscope_sim::{Overrides, Runtime, Scenario, StartMethod, ThreadState};

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

#[test]
fn the_program_runs_on_every_interpreter_and_runtime_found() {
    let options = DiscoverOptions {
        cache_file: Some(std::env::temp_dir().join("gilscope-test-interpreters.json")),
        ..DiscoverOptions::from_env()
    };
    let discovery = cpython::discover(&options);
    if discovery.found.is_empty() {
        println!("skipped: no interpreter found");
        return;
    }
    let scenario = Scenario::parse(EVERY_OP, "every-op.toml").unwrap();
    let runtimes = [
        (Runtime::Threads, None),
        (Runtime::Asyncio, None),
        (Runtime::Multiprocessing, Some(StartMethod::Fork)),
        (Runtime::Multiprocessing, Some(StartMethod::Forkserver)),
    ];
    for interpreter in &discovery.found {
        for &(runtime, start_method) in &runtimes {
            let what = format!("{} {runtime:?} {start_method:?}", interpreter.describe());
            let overrides = Overrides {
                runtime: Some(runtime),
                start_method,
                ..Overrides::default()
            };
            let configured = match cpython::configure(&scenario, &overrides, interpreter) {
                Ok(c) => c,
                Err(e) => panic!("{what}: {e}"),
            };
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
            println!("ran {what}");
        }
        subinterpreters(interpreter);
    }
}

/// Interpreters with their own GIL share no lock and no shared-memory value: a scenario
/// without them.
fn subinterpreters(interpreter: &cpython::Interpreter) {
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
