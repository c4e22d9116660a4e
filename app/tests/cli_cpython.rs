//! The cpython engine from the command line, with the `python3` on the PATH (CI has one):
//! `interpreters`, `run --engine cpython`, `export --python-script`, `validate --json`, and
//! that no interpreter outlives gilscope (Ctrl+C, a killed gilscope). Without a `python3` each
//! test says it was skipped. Bounds are generous: real interpreters on a busy machine.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Real interpreters run one test at a time: two at once on a 2-core machine take each
/// other's cores, and what a test measures (a convoy) is then the load, not `CPython`.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Probes are cached here across test runs (the first run of a machine probes `python3`).
fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("gilscope-cli-cpython-cache")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gilscope"));
    c.args(args).env("XDG_CACHE_HOME", cache_dir());
    c
}

fn gilscope(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The interpreter that `python3` on the PATH runs (a pyenv shim is a script that runs one),
/// if there is one.
fn python3() -> Option<PathBuf> {
    let answer = Command::new("python3")
        .args([
            "-c",
            "import os, sys; print(os.path.realpath(sys.executable))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(text(&out.stdout).trim()));
    if answer.is_none() {
        println!("skipped: no python3 on the PATH");
    }
    answer
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "gilscope-cli-cpython-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// A scenario that runs until stopped (for the tests that stop it).
fn forever(dir: &Path) -> PathBuf {
    let path = dir.join("forever.toml");
    std::fs::write(
        &path,
        "name = \"forever\"\n[settings]\nduration = \"60s\"\n[[threads]]\nname = \"spin\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 100_000 }, { io = \"1ms\" } ]\n",
    )
    .expect("the scenario is written");
    path
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat")).is_ok_and(|stat| {
                // The fields after the command name (in parentheses): state, then ppid.
                stat.rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(pid)
            })
        })
        .collect()
}

/// Whether `pid` is gone (or a zombie nobody will run again).
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X'))
    })
}

/// Starts `gilscope run FILE --engine cpython` and waits for its interpreter to start.
fn start_forever(dir: &Path, python: &Path) -> (Child, u32) {
    let scenario = forever(dir);
    let mut child = command(&[
        "run",
        &scenario.display().to_string(),
        "--interpreter",
        &python.display().to_string(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("gilscope starts");
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Some(&interpreter) = children(child.id()).first() {
            // Let it get into its run (calibration, then the lanes).
            std::thread::sleep(Duration::from_secs(3));
            return (child, interpreter);
        }
        assert!(
            Instant::now() < deadline,
            "no interpreter started within a minute"
        );
        assert!(
            child.try_wait().expect("waitable").is_none(),
            "gilscope ended early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_until(deadline: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn interpreters_lists_python3_with_its_facts() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let out = gilscope(&["interpreters", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let real = python.clone();
    let found = v["found"].as_array().expect("found");
    let entry = found
        .iter()
        .find(|i| {
            std::fs::canonicalize(i["path"].as_str().unwrap_or_default()).ok() == Some(real.clone())
        })
        .unwrap_or_else(|| panic!("python3 ({}) is not listed: {v}", real.display()));
    assert!(
        entry["version"]
            .as_str()
            .is_some_and(|s| s.starts_with('3'))
    );
    assert!(
        entry["bytecode_ns"]
            .as_f64()
            .is_some_and(|ns| ns > 0.0 && ns < 10_000.0)
    );
    assert!(entry["runtimes"][0] == "threads");
    assert!(!v["searched"].as_array().expect("searched").is_empty());
    let out = gilscope(&["interpreters"]);
    assert!(out.status.success());
    let listing = text(&out.stdout);
    assert!(
        listing.contains("interpreter") && listing.contains("ns/bytecode"),
        "{listing}"
    );
}

#[test]
fn run_on_python3_reports_the_real_run_and_what_it_cannot_observe() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let python = python.display().to_string();
    let out = gilscope(&[
        "run",
        "counter-race",
        "--interpreter",
        &python,
        "--seed",
        "3",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["engine"], "cpython");
    assert!(v["wall_ms"].as_f64().is_some_and(|w| w > 0.0));
    let counter = &v["counters"][0];
    assert_eq!(counter["expected"], 800_000);
    let notes = text(&out.stderr);
    assert!(
        notes.contains("setting `seed` applies to the simulator only"),
        "{notes}"
    );
    let out = gilscope(&[
        "run",
        "counter-race",
        "--engine",
        "cpython",
        "--interpreter",
        &python,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("(cpython engine)"), "{report}");
    assert!(report.contains("not observed: which core"), "{report}");
}

#[test]
fn bad_interpreters_are_usage_errors_in_words() {
    let _serial = serial();
    let out = gilscope(&["run", "convoy", "--interpreter", "/nonexistent/python3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/python3 cannot be run: no such file"),
        "{}",
        text(&out.stderr)
    );
    let out = gilscope(&["run", "convoy", "--interpreter", "latest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("neither a path"),
        "{}",
        text(&out.stderr)
    );
    let out = gilscope(&["run", "convoy", "--engine", "live", "--interpreter", "3.12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does not apply to --engine live"));
    let out = gilscope(&[
        "export",
        "convoy",
        "--python-script",
        "x.py",
        "--engine",
        "sim",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn export_writes_a_program_that_runs_by_hand() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let dir = scratch("export");
    let script = dir.join("convoy.py");
    let out = gilscope(&[
        "export",
        "convoy",
        "--python-script",
        &script.display().to_string(),
        "--interpreter",
        &python.display().to_string(),
        "--duration",
        "300ms",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let program = std::fs::read_to_string(&script).expect("the program is written");
    assert!(program.starts_with("#!"));
    assert!(program.contains("DURATION = 0.3"));
    let by_hand = Command::new(&python)
        .arg(&script)
        .output()
        .expect("python3 runs it");
    assert!(by_hand.status.success(), "{}", text(&by_hand.stderr));
    assert!(
        text(&by_hand.stdout).contains("The convoy effect: threads on Python 3"),
        "{}",
        text(&by_hand.stdout)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_json_compares_the_simulator_with_python3() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let started = Instant::now();
    let out = gilscope(&[
        "validate",
        "convoy",
        "--interpreter",
        &python.display().to_string(),
        "--repeats",
        "2",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let case = &v[0];
    assert_eq!(case["scenario"], "convoy");
    assert_eq!(case["runs"], 2);
    assert!(case["error"].is_null(), "{case}");
    let rows = case["rows"].as_array().expect("rows");
    let figure = |name: &str| rows.iter().find(|r| r["figure"] == name);
    for name in ["wall", "speedup", "switches_per_s", "io_p50", "io_p99"] {
        let row = figure(name).unwrap_or_else(|| panic!("no {name} row: {case}"));
        assert!(
            row["sim"].as_f64().is_some() && row["agrees"].is_boolean(),
            "{row}"
        );
    }
    // The convoy on a GIL build: each request waits about the 5 ms interval, really and
    // simulated. Generous: a loaded machine stretches real waits, and this asks it of the
    // larger of the two runs ([median, smallest, largest]).
    let io_p50 = figure("io_p50").expect("io_p50");
    let sim = io_p50["sim"].as_f64().expect("a number");
    assert!((4.5..6.0).contains(&sim), "simulated I/O p50 {sim} ms");
    let p50 = io_p50["real"][2].as_f64().expect("a number");
    // When other processes hold both cores, the busy thread waits in the run queue and the I/O
    // thread barges into a free GIL: the real convoy is gone (README, "How faithful is it").
    // Then validate must say that the figures differ.
    assert!(
        (1.0..60.0).contains(&p50) || (p50 > 0.0 && io_p50["agrees"] == false),
        "real I/O p50 {p50} ms: {io_p50}"
    );
    println!(
        "validate convoy on python3: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn compare_runs_every_runtime_for_real_or_says_why_not() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let dir = scratch("compare");
    let scenario = dir.join("small.toml");
    std::fs::write(
        &scenario,
        "name = \"small\"\n[[threads]]\nname = \"w\"\ncount = 2\nops = [ { compute = 200_000 }, { io = \"1ms\" } ]\n",
    )
    .expect("the scenario is written");
    let out = gilscope(&[
        "compare",
        &scenario.display().to_string(),
        "--interpreter",
        &python.display().to_string(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let rows = v.as_array().expect("rows");
    // One row per runtime `compare` weighs, named as the simulator's rows are.
    let variants = gilscope_sim::compare::runtime_variants(&gilscope_sim::Overrides::default());
    assert_eq!(rows.len(), variants.len(), "{v}");
    for (row, (_, overrides)) in rows.iter().zip(&variants) {
        let name = gilscope_sim::compare::runtime_name(overrides);
        assert!(
            row["runtime"]
                .as_str()
                .is_some_and(|r| r.starts_with(&name)),
            "{name}: {row}"
        );
    }
    assert!(
        rows[0]["runtime"]
            .as_str()
            .is_some_and(|r| r.starts_with("threads (GIL) on 3")),
        "{v}"
    );
    assert_eq!(rows[0]["stats"]["engine"], "cpython");
    // Each row ran, or says why it could not (no free-threaded build here, say).
    for row in rows {
        assert!(
            row["stats"]["wall_ms"].as_f64().is_some_and(|w| w > 0.0)
                || row["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("found here")),
            "{row}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_stops_the_run_reports_it_and_leaves_no_interpreter() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let dir = scratch("ctrl-c");
    let (child, interpreter) = start_forever(&dir, &python);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("gilscope ends");
    assert!(
        wait_until(Duration::from_secs(5), || gone(interpreter)),
        "interpreter {interpreter} outlived Ctrl+C"
    );
    let report = text(&out.stdout);
    assert!(
        report.contains("(cpython engine)"),
        "{report}{}",
        text(&out.stderr)
    );
    assert!(report.contains("interrupted"), "{report}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("stopping the run"), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_gilscope_takes_its_interpreter_with_it() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let dir = scratch("killed");
    let (mut child, interpreter) = start_forever(&dir, &python);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(
        wait_until(Duration::from_secs(5), || gone(interpreter)),
        "interpreter {interpreter} outlived a killed gilscope"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
