//! The window with a real interpreter as its engine, driven headless (`egui_kittest`): the
//! engine picker lists the interpreters, a run streams into the timeline as it goes, and Stop,
//! closing the window and changing a setting each end the interpreter's process (checked in
//! `/proc`). With no `python3` on the PATH each test says it was skipped.

#![allow(clippy::unwrap_used, reason = "tests")]

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gilscope::gui::interpreters::Interpreters;
use gilscope::gui::{CompareWith, EngineChoice, GilscopeApp, ScenarioSource, Settings, Speed};
use gilscope_sim::cpython::{self, DiscoverOptions, Interpreter};
use gilscope_sim::{EngineKind, ThreadState};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One interpreter at a time: the tests find "their" interpreter among this process's children.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn python3() -> Option<Interpreter> {
    let options = DiscoverOptions {
        cache_file: Some(std::env::temp_dir().join("gilscope-test-interpreters.json")),
        ..DiscoverOptions::from_env()
    };
    match cpython::select(Some("python3"), &options) {
        Ok(i) => Some(i),
        Err(e) => {
            println!("skipped: no usable python3 on the PATH ({e})");
            None
        }
    }
}

/// A scenario that runs until stopped: a minute of two threads computing and waiting.
fn forever() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gilscope-ui-cpython-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("forever.toml");
    std::fs::write(
        &path,
        "name = \"forever\"\n[settings]\nduration = \"60s\"\n[[threads]]\nname = \"spin\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 100_000 }, { io = \"1ms\" } ]\n",
    )
    .unwrap();
    path
}

fn harness(settings: Settings, found: Vec<Interpreter>) -> Harness<'static, GilscopeApp> {
    let app = GilscopeApp::with_interpreters(settings, Interpreters::known(found));
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut GilscopeApp| app.ui_contents(ui), app)
}

fn on(python: &Interpreter, scenario: ScenarioSource) -> Settings {
    let mut settings = Settings {
        scenario,
        speed: Speed::Fastest,
        ..Settings::default()
    };
    settings.set_engine(EngineChoice::Cpython(python.path.clone()));
    settings
}

/// This process's children running a generated program (`…/gilscope-cpython-…/scenario.py`).
fn interpreters_running() -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit_once(") ")
                .map(|(_, rest)| rest.split_whitespace().collect())
                .unwrap_or_default();
            let alive = fields.first().is_some_and(|s| *s != "Z" && *s != "X");
            let mine = fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(me);
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            alive && mine && String::from_utf8_lossy(&cmdline).contains("gilscope-cpython")
        })
        .collect()
}

/// Steps frames until an interpreter runs and its run has streamed some trace.
fn until_streaming(h: &mut Harness<'_, GilscopeApp>) -> u32 {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        h.step();
        let pids = interpreters_running();
        let now = h.state().runs().first().map_or(0, |r| r.trace.now);
        if let [pid] = pids[..]
            && now > 50_000_000
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "no run streamed within a minute");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How long until `pid` is gone (or `None` after 5 s).
fn time_until_gone(pid: u32, from: Instant) -> Option<Duration> {
    while from.elapsed() < Duration::from_secs(5) {
        if !interpreters_running().contains(&pid) {
            return Some(from.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

#[test]
fn the_engine_picker_lists_the_interpreters_and_a_run_streams_into_the_timeline() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let settings = Settings {
        scenario: ScenarioSource::Preset("convoy".into()),
        speed: Speed::Fastest,
        ..Settings::default()
    };
    let mut h = harness(settings, vec![python.clone()]);
    h.step();
    h.get_by_role_and_label(Role::ComboBox, "Engine").click();
    h.run_steps(2);
    h.get_by_label("Simulated");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    h.get_by_label(&format!(
        "Real threads on this machine ({cores} core{})",
        if cores == 1 { "" } else { "s" }
    ));
    h.get_by_label(&format!("CPython {}", python.label()))
        .click();
    h.run_steps(2);
    assert_eq!(
        h.state().settings.engine(),
        EngineChoice::Cpython(python.path.clone())
    );
    // The run streams: part of the trace is on screen before it ends.
    let mut seen_partial = false;
    let deadline = Instant::now() + Duration::from_mins(2);
    while !h.state().is_finished() {
        assert!(Instant::now() < deadline, "the run did not finish");
        let run = &h.state().runs()[0];
        seen_partial |= run.trace.now > 0 && !run.trace.finished && run.trace.span_count() > 0;
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run_steps(3);
    assert!(seen_partial, "the trace only appeared at the end");
    let run = &h.state().runs()[0];
    assert!(run.error.is_none(), "{:?}", run.error);
    assert!(
        run.title.contains(&format!("CPython {}", python.label())),
        "{}",
        run.title
    );
    let stats = run.stats.as_ref().unwrap();
    assert_eq!(stats.engine, EngineKind::Cpython);
    assert_eq!(stats.threads[1].io_ops, 200);
    assert!(run.trace.cores.is_empty());
    // What a real interpreter cannot show is said, and its settings without a knob too.
    h.get_by_label("Not observed by the cpython engine");
    h.get_by_label("not applicable");
    assert!(h.query_all_by_label("not observed").next().is_some());
    assert!(interpreters_running().is_empty());
}

#[test]
fn stop_ends_the_interpreter_and_keeps_the_trace() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let mut h = harness(
        on(
            &python,
            ScenarioSource::File(forever().display().to_string()),
        ),
        vec![python],
    );
    let pid = until_streaming(&mut h);
    let clicked = Instant::now();
    h.get_by_label("Stop").click();
    h.step();
    let took = time_until_gone(pid, clicked).expect("the interpreter outlived Stop by 5 s");
    println!(
        "Stop ended the interpreter {} ms after the click",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !h.state().is_finished() {
        assert!(Instant::now() < deadline, "the stopped run never ended");
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    let run = &h.state().runs()[0];
    assert!(run.error.is_none(), "{:?}", run.error);
    assert!(run.trace.finished && run.trace.now > 50_000_000);
    let lane: Vec<ThreadState> = run.trace.thread_lanes[0]
        .spans
        .iter()
        .map(|s| s.state)
        .collect();
    assert!(lane.contains(&ThreadState::Running), "{lane:?}");
    h.get_by_label("Play again");
}

#[test]
fn closing_the_window_mid_run_ends_the_interpreter() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let mut h = harness(
        on(
            &python,
            ScenarioSource::File(forever().display().to_string()),
        ),
        vec![python],
    );
    let pid = until_streaming(&mut h);
    let closed = Instant::now();
    drop(h);
    let took = time_until_gone(pid, closed).expect("the interpreter outlived the window by 5 s");
    println!(
        "closing ended the interpreter {} ms after",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn changing_a_setting_mid_run_ends_the_interpreter_and_starts_another() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let mut h = harness(
        on(
            &python,
            ScenarioSource::File(forever().display().to_string()),
        ),
        vec![python],
    );
    let first = until_streaming(&mut h);
    let changed = Instant::now();
    h.state_mut().settings.overrides.switch_interval = Some(1_000_000);
    h.step();
    let took =
        time_until_gone(first, changed).expect("the old interpreter outlived the change by 5 s");
    assert!(took < Duration::from_secs(1), "{took:?}");
    let second = until_streaming(&mut h);
    assert_ne!(first, second);
    assert!(
        h.state().runs()[0].title.contains("1.00 ms interval"),
        "{}",
        h.state().runs()[0].title
    );
    h.get_by_label("Stop").click();
    h.step();
    assert!(time_until_gone(second, Instant::now()).is_some());
}

#[test]
fn compare_puts_the_simulation_of_the_interpreter_beside_its_real_run() {
    let _serial = serial();
    let Some(python) = python3() else { return };
    let settings = Settings {
        scenario: ScenarioSource::Preset("cpu-bound".into()),
        speed: Speed::Fastest,
        compare: true,
        compare_with: CompareWith::RealInterpreter,
        ..Settings::default()
    };
    let mut h = harness(settings, vec![python.clone()]);
    let deadline = Instant::now() + Duration::from_mins(2);
    h.step();
    while !h.state().is_finished() {
        assert!(Instant::now() < deadline, "the runs did not finish");
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run_steps(3);
    let runs = h.state().runs();
    assert_eq!(runs.len(), 2);
    let (a, b) = (
        runs[0].stats.as_ref().unwrap(),
        runs[1].stats.as_ref().unwrap(),
    );
    assert_eq!((a.engine, b.engine), (EngineKind::Sim, EngineKind::Cpython));
    // A models B's interpreter: its version and build.
    assert_eq!((a.python, a.free_threaded), (b.python, b.free_threaded));
    let headline = h.state().compare_headline().unwrap();
    assert!(
        headline.contains(&format!("CPython {}", python.label())),
        "{headline}"
    );
    assert!(headline.contains("imulated"), "{headline}");
}

#[test]
fn with_no_interpreter_the_engine_is_unavailable_and_says_why() {
    let mut h = harness(Settings::default(), Vec::new());
    h.step();
    h.get_by_role_and_label(Role::ComboBox, "Engine").click();
    h.run_steps(2);
    h.get_by_label("CPython: unavailable");
}
