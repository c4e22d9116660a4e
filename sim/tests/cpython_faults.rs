//! Faults of the `CPython` engine: a path that is no interpreter, a Python too old or not
//! `CPython`, a program that raises, prints garbage, is killed or hangs, a run stopped or dropped
//! midway. Each gets a message that names what happened, and no process of the run survives
//! it. Misbehaving "interpreters" are shell scripts; real runs use the `python3` on the PATH
//! (skipped, with a message, without one).

use gilscope_sim::cpython::interpreter::{Facts, Interpreter, Version};
use gilscope_sim::cpython::{
    self, CpythonEngine, CpythonError, CpythonOptions, DiscoverOptions, configure,
};
use gilscope_sim::{Engine, Overrides, Scenario};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A file of this test process, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("gilscope-fault-{}-{name}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

/// A shell script standing in for an interpreter.
fn script(name: &str, body: &str) -> Scratch {
    let file = Scratch::new(name);
    fs::write(&*file, format!("#!/bin/sh\n{body}\n")).expect("the temporary directory is writable");
    fs::set_permissions(&*file, fs::Permissions::from_mode(0o755))
        .expect("a script can be made executable");
    file
}

fn options() -> DiscoverOptions {
    DiscoverOptions {
        cache_file: None,
        identity_timeout: Duration::from_secs(20),
        ..DiscoverOptions::from_env()
    }
}

/// The processes whose process group is `pgid` (from `/proc`).
fn group_members(pgid: u32) -> Vec<u32> {
    fs::read_dir("/proc")
        .expect("/proc is readable")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<u32>().ok())
                    == Some(pgid)
            })
        })
        .collect()
}

/// Waits (generously) for the group to be gone: the kernel reaps killed processes quickly,
/// but not instantly.
fn assert_no_survivor(pgid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !group_members(pgid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        group_members(pgid),
        Vec::<u32>::new(),
        "survivors of group {pgid}"
    );
}

fn scenario(text: &str) -> Scenario {
    Scenario::parse(&format!("name = \"faults\"\n{text}"), "faults.toml")
        .expect("the scenario parses")
}

/// A pretend interpreter: `path` with the facts of a 3.11 build.
fn fake(path: &Path) -> Interpreter {
    Interpreter {
        path: path.to_owned(),
        version: Version::parse("3.11.7").expect("a version"),
        facts: Facts {
            free_threaded: false,
            gil_enabled: true,
            affinity: true,
            asyncio: true,
            subinterpreters: None,
            start_methods: vec!["fork".into(), "spawn".into(), "forkserver".into()],
            release_call: Some("zlib.compress".into()),
            ctypes: true,
            loop_instructions: 8,
            bytecode_ns: 4.0,
        },
    }
}

fn start(s: &Scenario, interpreter: &Interpreter, limit: Option<Duration>) -> CpythonEngine {
    let configured = configure(s, &Overrides::default(), interpreter).expect("the engine starts");
    let options = CpythonOptions {
        time_limit: limit,
        ..CpythonOptions::default()
    };
    CpythonEngine::start(s, &configured, interpreter, &options).expect("the engine starts")
}

fn finish(engine: CpythonEngine) -> (u32, CpythonError) {
    let pid = engine.pid();
    let error = engine.run_to_end().expect_err("the run fails");
    (pid, error)
}

fn one_thread() -> Scenario {
    scenario("[[threads]]\nname = \"w\"\nops = [ { compute = 1000 } ]\n")
}

#[test]
fn paths_that_are_not_a_usable_cpython_are_named() {
    // Serial like the others: a script being written while another test forks would be
    // inherited open for writing by the child, and executing it would fail (ETXTBSY).
    let _serial = serial();
    let o = options();
    let missing = cpython::select(Some("/nonexistent/python3"), &o).unwrap_err();
    assert!(missing.to_string().contains("no such file"), "{missing}");
    let plain = Scratch::new("not-executable");
    fs::write(&*plain, "hello").unwrap();
    let error = cpython::select(Some(plain.to_str().unwrap()), &o).unwrap_err();
    assert!(
        matches!(error, CpythonError::NotExecutable { .. }),
        "{error}"
    );
    let silent = script("silent", "exit 0");
    let error = cpython::select(Some(silent.to_str().unwrap()), &o).unwrap_err();
    assert!(
        error.to_string().contains("is not a Python interpreter"),
        "{error}"
    );
    let old = script("python2.6", "echo 'CPython|2.6.9|/usr/bin/python2.6'");
    let error = cpython::select(Some(old.to_str().unwrap()), &o).unwrap_err();
    assert!(error.to_string().contains("older than 2.7"), "{error}");
    let pypy = script("pypy", "echo 'PyPy|3.10.14|/usr/bin/pypy3'");
    let error = cpython::select(Some(pypy.to_str().unwrap()), &o).unwrap_err();
    assert!(
        error.to_string().contains("is PyPy, not CPython"),
        "{error}"
    );
    let slow = script("slow", "sleep 30");
    let short = DiscoverOptions {
        identity_timeout: Duration::from_millis(300),
        ..o.clone()
    };
    let error = cpython::select(Some(slow.to_str().unwrap()), &short).unwrap_err();
    assert!(
        matches!(error, CpythonError::ProbeTimeout { .. }),
        "{error}"
    );
    let error = cpython::select(Some("latest"), &o).unwrap_err();
    assert!(error.to_string().contains("neither a path"), "{error}");
}

#[test]
fn a_program_that_raises_is_reported_and_leaves_nothing_behind() {
    let _serial = serial();
    let raises = script(
        "raises",
        "sleep 300 &\necho 'Traceback (most recent call last):' >&2\necho 'ValueError: boom' >&2\nexit 1",
    );
    let (pid, error) = finish(start(&one_thread(), &fake(&raises), None));
    assert!(
        error.to_string() == "the Python program exited with status 1: ValueError: boom",
        "{error}"
    );
    assert_no_survivor(pid);
}

#[test]
fn garbage_on_the_stamp_channel_stops_the_program() {
    let _serial = serial();
    let chatty = script(
        "chatty",
        "sleep 300 &\necho 'hello from a program that prints'\nsleep 300",
    );
    let (pid, error) = finish(start(&one_thread(), &fake(&chatty), None));
    assert!(matches!(error, CpythonError::Stream { .. }), "{error}");
    assert!(error.to_string().contains("\"hello from a"), "{error}");
    assert_no_survivor(pid);
}

#[test]
fn a_killed_program_is_reported_with_its_signal() {
    let _serial = serial();
    let killed = script("killed", "kill -9 $$");
    let (pid, error) = finish(start(&one_thread(), &fake(&killed), None));
    assert!(
        error
            .to_string()
            .contains("was killed by signal 9 (SIGKILL)"),
        "{error}"
    );
    assert_no_survivor(pid);
}

#[test]
fn a_hanging_program_is_killed_at_its_time_limit() {
    let _serial = serial();
    let hangs = script("hangs", "sleep 300 &\nexec sleep 300");
    let started = Instant::now();
    let engine = start(
        &one_thread(),
        &fake(&hangs),
        Some(Duration::from_millis(500)),
    );
    let (pid, error) = finish(engine);
    assert!(matches!(error, CpythonError::Hung { .. }), "{error}");
    assert!(
        error.to_string().contains("still running after 0.5 s"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_no_survivor(pid);
}

fn python3() -> Option<Interpreter> {
    match cpython::select(Some("python3"), &options()) {
        Ok(i) => Some(i),
        Err(e) => {
            println!("skipped: no usable python3 on the PATH ({e})");
            None
        }
    }
}

/// Worker processes computing for a minute.
fn long_processes() -> Scenario {
    scenario(
        "[settings]\nruntime = \"multiprocessing\"\nstart_method = \"fork\"\nduration = \"60s\"\n\
         [[threads]]\nname = \"w\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 1_000_000 } ]\n",
    )
}

/// Starts `s` and waits (up to 30 s) until its lanes have started.
fn started(s: &Scenario, python: &Interpreter) -> CpythonEngine {
    let mut engine = start(s, python, None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        engine.advance(0).expect("the engine advances");
        if engine.trace().threads.iter().all(|t| t.started.is_some()) {
            return engine;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the lanes did not start within 30 s");
}

#[test]
fn stop_ends_the_program_and_its_processes_and_keeps_the_trace() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let mut engine = started(&long_processes(), &python);
    let pid = engine.pid();
    assert!(group_members(pid).len() >= 3, "main and two workers");
    let before = Instant::now();
    engine.stop();
    assert!(
        before.elapsed() < Duration::from_millis(500),
        "stop took {:?}",
        before.elapsed()
    );
    assert!(engine.is_finished());
    assert!(engine.advance(0).is_ok(), "a stop is not a failure");
    let trace = engine.trace();
    assert!(trace.finished && trace.now > 0);
    assert!(trace.thread_lanes.iter().all(|l| !l.spans.is_empty()));
    assert_no_survivor(pid);
}

#[test]
fn a_stop_handle_ends_a_blocking_run_with_the_trace_so_far() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let engine = started(&long_processes(), &python);
    let pid = engine.pid();
    let handle = engine.stop_handle();
    let stopper = std::thread::Builder::new()
        .name("stopper".into())
        .spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            handle.stop();
        })
        .expect("a thread");
    let run = engine.run_to_end().expect("a stop is not a failure");
    stopper.join().expect("the stopper returns");
    assert!(run.trace.finished && run.trace.now > 0);
    assert_no_survivor(pid);
}

#[test]
fn dropping_a_running_engine_ends_every_process_of_the_run() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let engine = started(&long_processes(), &python);
    let pid = engine.pid();
    drop(engine);
    assert_no_survivor(pid);
}

#[test]
fn a_real_program_that_raises_says_why() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    // A message of a terabyte cannot be made: the program raises MemoryError.
    let s = scenario("[[threads]]\nname = \"w\"\nops = [ { send = 1_099_511_627_776 } ]\n");
    let configured = configure(&s, &Overrides::default(), &python).unwrap();
    let error = cpython::run(&s, &configured, &python, &CpythonOptions::default()).unwrap_err();
    assert!(error.to_string().ends_with("MemoryError"), "{error}");
    assert!(error.partial_trace().is_some());
}

#[test]
fn the_program_and_its_workers_die_with_their_parent_even_when_it_is_killed() {
    use std::os::unix::process::CommandExt;
    let _serial = serial();
    let Some(python) = python3() else { return };
    let s = long_processes();
    let configured = configure(&s, &Overrides::default(), &python).unwrap();
    let program = cpython::generate(
        &s,
        &configured.config,
        &python,
        &cpython::ProgramOptions::default(),
        "orphans.py",
    )
    .unwrap();
    let path = Scratch::new("orphans.py");
    fs::write(&*path, program.text).unwrap();
    // A parent that is not gilscope and that nobody cleans up after: a shell, killed.
    let mut parent = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{} -E -s -B {} > /dev/null 2>&1 & wait",
            python.path.display(),
            path.display()
        ))
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = parent.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while group_members(pgid).len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(group_members(pgid).len() >= 4, "shell, main, two workers");
    parent.kill().unwrap();
    parent.wait().unwrap();
    assert_no_survivor(pgid);
}
