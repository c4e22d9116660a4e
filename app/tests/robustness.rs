//! Issue 15, case by case, against the binary: nothing a user types hangs it, crashes it or eats
//! the machine, and every number it prints adds up. Each case either gets a clear refusal
//! (status 2, one message naming what is wrong and what to do) or a correct result. Runs are
//! bounded by their events and their memory, so these tests do not depend on the machine's
//! speed; the one test that needs real time (Ctrl+C) has generous bounds.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilscope-robustness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

fn file(name: &str, text: &str) -> String {
    let path = dir().join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("a temporary scenario file");
    path.to_string_lossy().into_owned()
}

/// The run is refused with status 2 and one message that contains every one of `needles`.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let out = gilscope(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: no {needle:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = gilscope(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn compare_of_a_preset_returns_and_says_why_asyncio_cannot_run_it() {
    let out = gilscope(&["compare", "convoy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let asyncio = text
        .lines()
        .find(|l| l.starts_with("asyncio"))
        .expect("an asyncio row");
    assert!(
        asyncio.contains("never end") && asyncio.contains("duration = \"2s\""),
        "{asyncio}"
    );
}

#[test]
fn runs_that_could_not_end_in_time_are_refused_before_they_start() {
    refused(
        &["run", "convoy", "--wake-latency", "86400s"],
        &["max_virtual_time", "--duration"],
    );
    let endless = file(
        "repeat.toml",
        "name = \"x\"\n[[threads]]\nname = \"a\"\nrepeat = 9223372036854775807\nops = [ { compute = 1 } ]\n",
    );
    refused(&["run", &endless], &["max_virtual_time", "--duration"]);
    // A day of sleep, 2^63 times: past 2^64 ns, where the clock used to overflow.
    let clock = file(
        "clock.toml",
        "name = \"x\"\n[[threads]]\nname = \"a\"\nrepeat = 9223372036854775807\nops = [ { sleep = \"86400s\" } ]\n",
    );
    let err = refused(&["run", &clock], &["max_virtual_time"]);
    assert!(!err.contains("no time"), "{err}");
}

#[test]
fn devices_and_pipes_are_not_read() {
    let started = Instant::now();
    refused(&["run", "/dev/zero"], &["/dev/zero", "not a regular file"]);
    let fifo = dir().join("fifo.toml");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        refused(&["run", &fifo.to_string_lossy()], &["not a regular file"]);
    }
    assert!(started.elapsed() < Duration::from_mins(1));
}

#[test]
fn runs_that_grow_without_bound_are_refused_by_their_events_or_memory() {
    let increments = file(
        "increments.toml",
        "name = \"x\"\n[settings]\nduration = \"3600s\"\n[[threads]]\nname = \"a\"\ncount = 4\nrepeat = \"forever\"\nops = [ { increment = \"c\" } ]\n",
    );
    refused(&["run", &increments], &["max_events", "--max-events"]);
    let small = file(
        "small.toml",
        "name = \"x\"\n[settings]\nduration = \"3600s\"\n[[threads]]\nname = \"a\"\ncount = 4\nrepeat = \"forever\"\nops = [ { compute = 1 }, { io = \"1ns\" } ]\n",
    );
    refused(
        &["run", &small, "--max-events", "10000000000"],
        &["memory_budget", "--memory-budget"],
    );
    let huge_count = file(
        "times.toml",
        "name = \"x\"\n[settings]\nduration = \"3600s\"\n[[threads]]\nname = \"a\"\nrepeat = \"forever\"\nops = [ { increment = \"c\", times = 274877906944 } ]\n",
    );
    refused(&["run", &huge_count], &["max_events", "increments"]);
}

#[test]
fn exports_are_sized_up_front_and_cut_with_a_note() {
    let out_dir = dir().join("export");
    let out = gilscope(&[
        "export",
        "old-gil",
        "--out",
        &out_dir.to_string_lossy(),
        "--export-budget",
        "5MB",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("holds only the first") && stderr(&out).contains("--export-budget"),
        "{}",
        stderr(&out)
    );
    let trace = std::fs::read(out_dir.join("trace.json")).expect("trace.json");
    assert!(trace.len() <= 5_500_000, "{} bytes", trace.len());
    let value: serde_json::Value = serde_json::from_slice(&trace).expect("valid JSON");
    assert!(value["metadata"]["gilscope_cut"]["note"].is_string());
    let many = file(
        "many.toml",
        "name = \"x\"\n[settings]\nduration = \"2s\"\n[[threads]]\nname = \"w\"\ncount = 256\nrepeat = \"forever\"\nops = [ { compute = 1000 }, { io = \"10us\" } ]\n",
    );
    let path = dir().join("many.json");
    refused(
        &[
            "run",
            &many,
            "--switch-interval",
            "1us",
            "--trace",
            &path.to_string_lossy(),
        ],
        &["max_events"],
    );
}

#[test]
fn huge_and_clashing_names_are_refused_and_long_ones_print() {
    let huge = file(
        "huge.toml",
        &format!(
            "name = \"x\"\n[[threads]]\nname = \"{}\"\nops = [ {{ compute = 1 }} ]\n",
            "n".repeat(65_536)
        ),
    );
    let err = refused(&["run", &huge], &["65536 characters", "at most 100"]);
    assert!(err.len() < 400, "{err}");
    let long = file(
        "long.toml",
        &format!(
            "name = \"x\"\n[[threads]]\nname = \"{}\"\ncount = 2\nops = [ {{ compute = 1 }} ]\n",
            "线".repeat(100)
        ),
    );
    let out = gilscope(&["run", &long]);
    assert!(out.status.success(), "{}", stderr(&out));
    let clash = file(
        "clash.toml",
        "name = \"x\"\n[[threads]]\nname = \"w\"\ncount = 2\nops = [ { compute = 100 } ]\n[[threads]]\nname = \"w-1\"\nops = [ { compute = 100 } ]\n",
    );
    refused(&["run", &clash], &["\"w\" (count 2)", "\"w-1\""]);
    refused(
        &["run", "c-holding", "--threads", "regex=256"],
        &["regex", "between 1 and 255"],
    );
}

#[test]
fn overflowing_work_is_an_error_naming_the_field() {
    let big = file(
        "big.toml",
        "name = \"x\"\n[settings]\nbytecode_ns = 17\n[[threads]]\nname = \"a\"\nops = [ { compute = 1125899906842624 } ]\n",
    );
    refused(
        &["run", &big],
        &["big.toml:6:", "compute", "bytecode_ns = 17", "one day"],
    );
}

#[test]
fn every_io_and_sleep_call_is_counted() {
    let io = file(
        "io.toml",
        "name = \"x\"\n[[threads]]\nname = \"io\"\nrepeat = 200\nops = [ { io = \"1ms\" }, { sleep = \"0\" } ]\n",
    );
    assert_eq!(json(&["run", &io, "--json"])["threads"][0]["io_ops"], 400);
    let asyncio = json(&["run", "asyncio", "--json"]);
    let thumbnail = asyncio["threads"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "thumbnail"))
        .expect("a thumbnail task");
    assert_eq!(thumbnail["io_ops"], 4);
}

#[test]
fn a_run_cut_before_its_work_reports_no_speedup() {
    for preset in ["convoy", "cpu-bound", "decision", "io-bound"] {
        let v = json(&["run", preset, "--json", "--duration", "1ns"]);
        assert!(v["speedup"].is_null(), "{preset}: {}", v["speedup"]);
        assert!(
            v["parallelism"].as_f64().is_some_and(|p| p <= 2.0),
            "{preset}"
        );
    }
    let out = gilscope(&["run", "convoy", "--duration", "1ns"]);
    assert!(
        stdout(&out).contains("speedup vs sequential —"),
        "{}",
        stdout(&out)
    );
    let whole = json(&["run", "cpu-bound", "--json"]);
    assert!(whole["speedup"].as_f64().is_some_and(|s| s > 0.5));
}

#[test]
fn a_live_run_cut_at_once_keeps_parallelism_within_the_cores() {
    let v = json(&[
        "run",
        "cpu-bound",
        "--json",
        "--engine",
        "live",
        "--duration",
        "1ns",
    ]);
    let parallelism = v["parallelism"].as_f64().unwrap_or(0.0);
    assert!(parallelism <= 2.0 + 1e-9, "parallelism {parallelism}");
}

#[test]
fn messages_use_the_users_words() {
    let settings = file(
        "settings.toml",
        "name = \"x\"\nsettings = 5\n[[threads]]\nname = \"a\"\nops = [ { compute = 1 } ]\n",
    );
    let err = refused(
        &["run", &settings],
        &["settings.toml:2:12", "[settings] table"],
    );
    assert!(!err.contains("struct"), "{err}");
    let runtime = file(
        "runtime.toml",
        "name = \"x\"\n[settings]\nruntime = 5\n[[threads]]\nname = \"a\"\nops = [ { compute = 1 } ]\n",
    );
    let err = refused(&["run", &runtime], &["runtime.toml:3:11", "\"asyncio\""]);
    assert!(!err.contains("wanted"), "{err}");
    let cores = file(
        "cores.toml",
        "name = \"x\"\n[settings]\ncores = -1\n[[threads]]\nname = \"a\"\nops = [ { compute = 1 } ]\n",
    );
    let err = refused(&["run", &cores], &["cores.toml:3:9", "`cores`", "1 to 256"]);
    assert!(!err.contains("u32"), "{err}");
    let err = refused(&["run", "convoy", "--seed", "-1"], &["negative", "seed"]);
    assert!(!err.contains("-- -1"), "{err}");
    let deadlock = file(
        "deadlock.toml",
        "name = \"x\"\n[settings]\nruntime = \"asyncio\"\n[[threads]]\nname = \"a\"\nops = [ { lock = \"m\" }, { sleep = \"1ms\" }, { lock = \"n\" }, { unlock = \"n\" }, { unlock = \"m\" } ]\n[[threads]]\nname = \"b\"\nops = [ { lock = \"n\" }, { sleep = \"1ms\" }, { lock = \"m\" }, { unlock = \"m\" }, { unlock = \"n\" } ]\n",
    );
    let err = refused(
        &["run", &deadlock],
        &["lock \"m\"", "lock \"n\"", "deadlock"],
    );
    assert!(!err.contains("LockWait"), "{err}");
}

#[test]
fn ctrl_c_stops_a_long_run_which_says_it_was_interrupted() {
    let forever = file(
        "forever.toml",
        "name = \"forever\"\n[[threads]]\nname = \"a\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 100000 }, { io = \"50us\" } ]\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilscope"))
        .args([
            "run",
            &forever,
            "--json",
            "--duration",
            "86400s",
            "--max-virtual-time",
            "86400s",
            "--max-events",
            "10000000000",
            "--memory-budget",
            "1TB",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Long enough for the run to have started on a busy machine; the run itself would take
    // hours.
    std::thread::sleep(Duration::from_secs(3));
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(signalled, "kill -INT");
    let started = Instant::now();
    let out = loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            break child.wait_with_output().expect("output");
        }
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "the run did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["interrupted"], true);
}
