//! The `gilscope` binary as a user scripts it: outputs, the fixed JSON schema, exit statuses.

use std::io::Write;
use std::process::{Command, Output};

fn gilscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gilscope"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gilscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .expect("a temporary scenario file");
    path
}

#[test]
fn scenarios_lists_every_preset_with_its_summary() {
    let out = gilscope(&["scenarios"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for (stem, _) in gilscope_sim::presets::PRESETS {
        assert!(
            text.lines()
                .any(|l| l.starts_with(stem) && l.len() > stem.len() + 10),
            "{stem} missing in\n{text}"
        );
    }
}

#[test]
fn run_json_is_one_document_with_the_fixed_schema() {
    let out = gilscope(&["run", "convoy", "--json", "--switch-interval", "1ms"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("exactly one JSON document");
    assert_eq!(v["engine"], "sim");
    assert_eq!(v["switch_interval_us"], 1000);
    for key in [
        "scenario",
        "python",
        "free_threaded",
        "gil_enabled",
        "cores",
        "seed",
        "wall_ms",
        "bytecodes",
        "cpu_ms",
        "parallelism",
    ] {
        assert!(!v[key].is_null(), "{key}");
    }
    for key in [
        "switches",
        "forced_switches",
        "drop_requests",
        "switches_per_s",
        "held_fraction",
    ] {
        assert!(v["gil"][key].is_number(), "gil.{key}");
    }
    for key in ["mean", "p50", "p90", "p99", "max"] {
        assert!(v["gil"]["slice_ms"][key].is_number(), "slice_ms.{key}");
    }
    let io = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "io")
        .unwrap();
    for key in [
        "running",
        "waiting_gil",
        "forced_off",
        "io",
        "c_call",
        "lock",
        "runnable",
    ] {
        assert!(io["state_ms"][key].is_number(), "state_ms.{key}");
    }
    assert_eq!(io["io_ops"], 200);
    let p50 = io["io_latency_ms"]["p50"].as_f64().unwrap();
    assert!((p50 - 1.07).abs() < 0.05, "convoy at 1 ms: {p50}");
    assert!(v["counters"].is_array());
}

#[test]
fn bad_input_exits_2_naming_what_is_wrong() {
    let cases: [(&[&str], &str); 7] = [
        (&["run", "no-such-preset"], "not a preset name"),
        (
            &["run", "asyncio", "--python", "2.7"],
            "asyncio exists from Python 3.4 on (PEP 3156)",
        ),
        (
            &["run", "multiprocessing", "--python", "2.7"],
            "start methods other than fork exist from Python 3.4 on",
        ),
        (&["run", "convoy", "--switch-interval", "0"], "ValueError"),
        (
            &["run", "convoy", "--free-threaded", "--python", "3.12"],
            "3.13",
        ),
        (&["run", "convoy", "--switch-interval", "5"], "no unit"),
        (
            &["run", "cpu-bound", "--threads", "nobody=3"],
            "no thread group named",
        ),
    ];
    for (args, needle) in cases {
        let out = gilscope(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    let unknown = temp_file(
        "unknown.toml",
        "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { spin = 1 } ]\n",
    );
    let out = gilscope(&["run", unknown.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown.toml:4:"), "{}", stderr(&out));
    let endless = temp_file(
        "endless.toml",
        "name = \"x\"\n[[threads]]\nname = \"a\"\nrepeat = \"forever\"\nops = [ { compute = 10 } ]\n",
    );
    let out = gilscope(&["run", endless.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("never end"), "{}", stderr(&out));
    let deadlock = temp_file(
        "deadlock.toml",
        "name = \"x\"\n[[threads]]\nname = \"a\"\nops = [ { lock = \"x\" }, { compute = 10_000_000 }, { lock = \"y\" }, { unlock = \"y\" }, { unlock = \"x\" } ]\n[[threads]]\nname = \"b\"\nops = [ { lock = \"y\" }, { compute = 10_000_000 }, { lock = \"x\" }, { unlock = \"x\" }, { unlock = \"y\" } ]\n",
    );
    let out = gilscope(&["run", deadlock.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("deadlock") && stderr(&out).contains("waits for lock"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sweep_rows_match_single_runs_in_csv_and_json() {
    let out = gilscope(&["sweep", "convoy", "--switch-interval", "1ms,5ms", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let single: serde_json::Value = serde_json::from_slice(
        &gilscope(&["run", "convoy", "--json", "--switch-interval", "5ms"]).stdout,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1], single);
    let csv = stdout(&gilscope(&[
        "sweep", "convoy", "--from", "0.5ms", "--to", "50ms", "--points", "3", "--csv",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("scenario,engine,python"));
}

#[test]
fn compare_shows_every_runtime_and_trace_export_is_json() {
    let text = stdout(&gilscope(&["compare", "cpu-bound"]));
    for runtime in [
        "threads (GIL)",
        "free-threaded",
        "asyncio",
        "multiprocessing (fork)",
        "multiprocessing (spawn)",
        "multiprocessing (forkserver)",
        "subinterpreters",
    ] {
        assert!(text.contains(runtime), "{runtime} missing in\n{text}");
    }
    let trace = std::env::temp_dir().join(format!("gilscope-trace-{}.json", std::process::id()));
    let out = gilscope(&[
        "run",
        "counter-race",
        "--python",
        "3.9",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("lost"));
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    assert!(value["traceEvents"].as_array().unwrap().len() > 100);
}

#[test]
fn compare_json_carries_the_headline_the_table_prints() {
    let out = gilscope(&["compare", "convoy", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let rows = rows.as_array().expect("one row per runtime");
    assert!(
        rows[0]["headline"].is_null(),
        "the base row compares with nothing"
    );
    let text = stdout(&gilscope(&["compare", "convoy"]));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut said = 0;
    for row in &rows[1..] {
        let Some(headline) = row["headline"].as_str() else {
            assert!(row["error"].is_string(), "{row}");
            continue;
        };
        said += 1;
        // A convoy is about I/O latency: runs whose CPU-bound thread did less are never "faster".
        assert!(
            headline.starts_with("Mean I/O latency went from "),
            "{headline}"
        );
        assert!(!headline.contains("faster"), "{headline}");
        assert!(flat.contains(headline), "{headline} missing in\n{text}");
    }
    assert!(said >= 3, "{text}");
}

#[test]
fn a_pool_whose_endless_task_holds_every_worker_is_refused_with_the_workers_it_needs() {
    let out = gilscope(&["run", "convoy", "--runtime", "pool", "--workers", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    for needle in [
        "a multiprocessing.Pool of 1 worker",
        "task \"busy\" repeats \"forever\"",
        "holds the only worker",
        "task \"io\" never leaves the pool's queue",
        "use at least 2 workers",
        "or another runtime",
    ] {
        assert!(e.contains(needle), "{needle}: {e}");
    }
    assert!(!e.contains("max_events"), "{e}");
    for runtime in ["pool", "process-pool", "thread-pool"] {
        let out = gilscope(&["run", "convoy", "--runtime", runtime, "--workers", "2"]);
        assert!(out.status.success(), "{runtime}: {}", stderr(&out));
    }
    // With a duration the run ends: it is cut, with the I/O task still queued.
    let out = gilscope(&[
        "run",
        "convoy",
        "--runtime",
        "thread-pool",
        "--workers",
        "1",
        "--duration",
        "20ms",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_process_pool_leaves_the_parents_counter_untouched_rather_than_losing_updates() {
    let out = gilscope(&[
        "run",
        "counter-race",
        "--runtime",
        "process-pool",
        "--workers",
        "2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("counter counter: expected 800,000, got 0 in the parent, whose copy is untouched: every increment went to the own copies of the 2 worker processes (800,000 missing there, none lost to a race)"),
        "{text}"
    );
    assert!(
        text.contains("Each worker process has its own copy of `counter`"),
        "{text}"
    );
    // Threads of one interpreter share the counter: there the race is real.
    let out = gilscope(&[
        "run",
        "counter-race",
        "--runtime",
        "thread-pool",
        "--workers",
        "2",
        "--python",
        "3.9",
    ]);
    let text = stdout(&out);
    assert!(text.contains("It lost "), "{text}");
    assert!(text.contains("writes back a stale value"), "{text}");
}

#[test]
fn the_summary_says_one_core_as_one_core() {
    let out = gilscope(&["run", "free-threaded-scaling", "--cores", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("no GIL, but one core: the threads take turns on it"),
        "{text}"
    );
    assert!(!text.contains("1 cores"), "{text}");
}

#[test]
fn fork_is_the_start_method_a_version_before_34_has() {
    let out = gilscope(&[
        "run",
        "multiprocessing",
        "--python",
        "2.7",
        "--start-method",
        "fork",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}
