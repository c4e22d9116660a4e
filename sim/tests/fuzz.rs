//! The fuzz and invariant suite, on the library: seeded cases from `fuzz/generate.rs` (presets
//! mutated field by field, scenarios from scratch, broken bytes, odd flags) go through parsing,
//! the settings, the run's limits and the simulator. Whatever happens, nothing panics, every
//! run is bounded by its events and its memory (never by wall time), every refusal is a
//! message in the user's words, and every run that completes keeps the output's invariants:
//! finite non-negative numbers, per-thread state times that add up to the lifetime, the
//! program's bytecodes, increments and I/O calls all accounted for, parallelism within the
//! cores, ordered percentiles, unique thread names, and the same output for the same seed.
//!
//! `cargo test` runs a short, fixed run. The long run is a documented command (README):
//! `GILSCOPE_FUZZ_CASES=20000 cargo test --release -p gilscope-sim --test fuzz`, with
//! `GILSCOPE_FUZZ_SEED` for the first seed. A failing case is written to
//! `target/fuzz-failures/`; every failure found is kept in `fuzz/regressions/` and replayed
//! here.

#[path = "../../fuzz/generate.rs"]
mod generate;

use generate::Case;
use gilscope_sim::engine::increment::PythonLoop;
use gilscope_sim::engine::object_loop::ObjectLoop;
use gilscope_sim::export::{ChromeExport, write_chrome_trace};
use gilscope_sim::presets::PRESETS;
use gilscope_sim::settings::setting;
use gilscope_sim::stats::Summary;
use gilscope_sim::{
    Finished, Op, Overrides, Repeat, RunConfig, RunOptions, Runtime, SETTINGS, Scenario,
    run_scenario,
};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Cases of the short run in `cargo test`.
const SHORT_RUN: u64 = 1_000;
/// Every run's bound: events (so no case can hang) and memory.
const MAX_EVENTS: u64 = 200_000;
const MEMORY_BUDGET: u64 = 64_000_000;
/// The file name cases are parsed as, which every file error must name.
const FILE: &str = "fuzz.toml";

/// Words a message in the user's terms never contains: Rust types, serde's and the engine's
/// vocabulary, debug formatting.
const PROGRAM_WORDS: [&str; 12] = [
    "struct",
    "u64",
    "i64",
    "f64",
    "u32",
    "usize",
    "invalid type",
    "LockWait",
    "Stage",
    "Some(",
    "ParseIntError",
    "panicked",
];

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The scenario file was refused.
    File,
    /// A flag was refused.
    Flag,
    /// The settings, or the run's limits known before it starts, were refused.
    Settings,
    /// The run stopped with an error (a limit, a deadlock).
    Run,
    /// The run ended, cut by its duration.
    Cut,
    /// The run ended with every thread's program done: totals checked too.
    Complete,
}

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A refusal: non-empty, in words, on one line and short enough to read, naming `must_name`
/// when given.
fn check_message(message: &str, must_name: Option<&str>) -> Result<(), String> {
    if message.trim().is_empty() {
        return Err("an empty message".into());
    }
    if let Some(name) = must_name
        && !message.contains(name)
    {
        return Err(format!("the message does not name {name}: {message}"));
    }
    if let Some(word) = PROGRAM_WORDS.iter().find(|w| message.contains(*w)) {
        return Err(format!("the message says {word}: {message}"));
    }
    if message.trim_end().contains('\n') {
        return Err(format!("a message of several lines: {message}"));
    }
    if message.chars().count() > 2_000 {
        return Err(format!(
            "a message of {} characters",
            message.chars().count()
        ));
    }
    Ok(())
}

/// The overrides the case's flags give, the scenario with its `--threads`, or the refusal.
fn apply_flags(case: &Case, mut scenario: Scenario) -> Result<(Scenario, Overrides), String> {
    let mut overrides = Overrides::default();
    let mut args = case.flags.iter();
    while let Some(flag) = args.next() {
        let name = flag.trim_start_matches("--");
        if name == "threads" {
            let value = args.next().cloned().unwrap_or_default();
            let (group, count) = value.split_once('=').unwrap_or((&value, ""));
            let Ok(count) = count.parse::<u32>() else {
                return Err(format!(
                    "--threads {value}: the count must be a whole number"
                ));
            };
            let Some(index) = scenario.groups.iter().position(|g| g.name == group) else {
                return Err(format!(
                    "--threads {value}: no thread group named \"{group}\""
                ));
            };
            scenario = scenario.set_group_count(index, count)?;
            continue;
        }
        let (key, value) = match name.split_once('=') {
            Some((key, value)) => (key.replace('-', "_"), value.to_owned()),
            None => (
                name.replace('-', "_"),
                args.next().cloned().unwrap_or_default(),
            ),
        };
        let row =
            setting(&key).ok_or_else(|| format!("the generator made an unknown flag {flag}"))?;
        let given = row.parse(&value)?;
        overrides = given.or(&overrides);
    }
    Ok((scenario, overrides))
}

/// The work a thread of `group` plans: bytecodes, increments per counter, I/O calls.
#[derive(Debug, Default)]
struct Planned {
    bytecodes: u64,
    increments: BTreeMap<usize, u64>,
    io_calls: u64,
}

fn planned(scenario: &Scenario, group: usize, config: &RunConfig) -> Option<Planned> {
    let g = &scenario.groups[group];
    let Repeat::Times(repeat) = g.repeat else {
        return None;
    };
    let mut plan = Planned::default();
    for op in &g.ops {
        match *op {
            Op::Compute { bytecodes, .. } | Op::Offload(bytecodes) => plan.bytecodes += bytecodes,
            Op::Increment {
                counter,
                times,
                call_inside,
                ..
            } => {
                let body = PythonLoop::increment(config.python, call_inside).body;
                plan.bytecodes += times * u64::from(body);
                *plan.increments.entry(counter).or_default() += times;
            }
            Op::Read { .. } | Op::Mutate { .. } => {
                plan.bytecodes += ObjectLoop::of(op, config.python).map_or(0, |l| l.bytecodes());
            }
            Op::Io { .. } | Op::Sleep(_) => plan.io_calls += 1,
            // Between processes a message is pickled and written to a pipe: an I/O call.
            Op::Send(_) if config.runtime == Runtime::Multiprocessing => plan.io_calls += 1,
            _ => {}
        }
    }
    plan.bytecodes *= repeat;
    plan.io_calls *= repeat;
    for n in plan.increments.values_mut() {
        *n *= repeat;
    }
    Some(plan)
}

/// Every number of the JSON output is finite and not negative.
fn check_numbers(value: &serde_json::Value, path: &str) -> Result<(), String> {
    match value {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(()),
            _ => Err(format!("{path} = {n}")),
        },
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_numbers(v, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| check_numbers(v, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

fn check_summary(summary: Option<Summary>, what: &str) -> Result<(), String> {
    let Some(s) = summary else { return Ok(()) };
    let ordered =
        s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.max && s.mean <= s.max * (1.0 + 1e-12);
    if ordered {
        Ok(())
    } else {
        Err(format!("{what} out of order: {s:?}"))
    }
}

/// The output invariants of a run that ended.
fn check_run(
    scenario: &Scenario,
    config: &RunConfig,
    finished: &Finished,
) -> Result<Outcome, String> {
    let stats = &finished.stats;
    let trace = &finished.trace;
    let json = serde_json::to_value(stats).map_err(|e| e.to_string())?;
    check_numbers(&json, "stats")?;
    let mut names: Vec<&str> = stats.threads.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if let Some([name, _]) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two threads are named {name}"));
    }
    let cores = f64::from(stats.cores);
    if stats.parallelism.is_some_and(|p| p > cores + 1e-9) {
        return Err(format!(
            "parallelism {:?} on {cores} cores",
            stats.parallelism
        ));
    }
    if stats.cpu_ms > stats.wall_ms * cores * (1.0 + 1e-9) + 1e-9 {
        return Err(format!(
            "cpu {} ms in {} ms on {cores} cores",
            stats.cpu_ms, stats.wall_ms
        ));
    }
    check_summary(stats.io_latency_ms, "io latency")?;
    check_summary(stats.resume_lag_ms, "resume lag")?;
    check_summary(stats.gil.slice_ms, "GIL slices")?;
    check_summary(stats.gil.acquire_latency_ms, "GIL acquire latency")?;
    for (t, info) in stats.threads.iter().zip(&trace.threads) {
        check_summary(t.io_latency_ms, &t.name)?;
        check_summary(t.resume_lag_ms, &t.name)?;
        let start = info.started.unwrap_or(0) as f64 / 1e6;
        let lifetime = info.finished.map_or(stats.wall_ms, |f| f as f64 / 1e6) - start;
        let lifetime = if info.started.is_some() {
            lifetime
        } else {
            0.0
        };
        let total = t.state_ms.total();
        if (total - lifetime).abs() > 1e-6 * lifetime.max(1.0) {
            return Err(format!(
                "thread {}: its states add up to {total} ms of a {lifetime} ms lifetime",
                t.name
            ));
        }
    }
    let threads = scenario.threads();
    let complete = !finished.interrupted
        && trace.threads[..threads.len()]
            .iter()
            .all(|t| t.finished.is_some());
    if !complete {
        return Ok(Outcome::Cut);
    }
    let mut bytecodes = 0;
    let mut increments: BTreeMap<usize, u64> = BTreeMap::new();
    for (i, (name, group)) in threads.iter().enumerate() {
        let Some(plan) = planned(scenario, *group, config) else {
            // A thread that repeats forever ended with the others: no total to compare.
            return Ok(Outcome::Cut);
        };
        bytecodes += plan.bytecodes;
        for (c, n) in plan.increments {
            *increments.entry(c).or_default() += n;
        }
        let io_ops = stats.threads[i].io_ops;
        if io_ops != plan.io_calls {
            return Err(format!(
                "thread {name}: {io_ops} I/O calls counted of the {} it made",
                plan.io_calls
            ));
        }
    }
    if stats.bytecodes != bytecodes {
        return Err(format!(
            "{} bytecodes counted of the {bytecodes} the program runs",
            stats.bytecodes
        ));
    }
    for (c, counter) in stats.counters.iter().enumerate() {
        let planned = increments.get(&c).copied().unwrap_or(0);
        if counter.expected != planned || counter.actual > counter.expected {
            return Err(format!(
                "counter {}: expected {}, actual {}, of {planned} increments planned",
                counter.name, counter.expected, counter.actual
            ));
        }
    }
    Ok(Outcome::Complete)
}

/// One case, from the text to the run's output.
fn check_case(case: &Case) -> Result<Outcome, String> {
    let scenario = match Scenario::parse(&case.text, FILE) {
        Ok(s) => s,
        Err(e) => return check_message(&e.to_string(), Some(FILE)).map(|()| Outcome::File),
    };
    let (scenario, flags) = match apply_flags(case, scenario) {
        Ok(applied) => applied,
        Err(e) => return check_message(&e, None).map(|()| Outcome::Flag),
    };
    let bounds = Overrides {
        max_events: Some(MAX_EVENTS),
        memory_budget: Some(MEMORY_BUDGET),
        ..Overrides::default()
    };
    let config = match scenario.config(&bounds.or(&flags)) {
        Ok(c) => c,
        Err(e) => return check_message(&e.to_string(), Some(FILE)).map(|()| Outcome::Settings),
    };
    let finished = match run_scenario(&scenario, &config, &RunOptions::default()) {
        Ok(f) => f,
        Err(e) => return check_message(&e.to_string(), None).map(|()| Outcome::Run),
    };
    let outcome = check_run(&scenario, &config, &finished)?;
    if case.seed.is_multiple_of(8) {
        let again = run_scenario(&scenario, &config, &RunOptions::default())
            .map_err(|e| format!("the second run failed: {e}"))?;
        if again.stats != finished.stats {
            return Err("the same seed gave different stats".into());
        }
        let plan = ChromeExport::plan(&finished.trace, 2_000_000);
        let mut json = Vec::new();
        write_chrome_trace(&finished.trace, &plan, &mut json).map_err(|e| e.to_string())?;
        serde_json::from_slice::<serde_json::Value>(&json)
            .map_err(|e| format!("the exported trace is not JSON: {e}"))?;
    }
    Ok(outcome)
}

/// Runs `case`, turning a panic into a failure.
fn run_case(case: &Case) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| check_case(case))).unwrap_or_else(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Err(format!("panic: {text}"))
    })
}

/// Where failing cases are written, to be kept in `fuzz/regressions/`.
fn failures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures")
}

#[test]
fn generated_cases_keep_every_invariant() {
    let cases = env_u64("GILSCOPE_FUZZ_CASES", SHORT_RUN);
    let first = env_u64("GILSCOPE_FUZZ_SEED", 0);
    let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    let mut tally: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for seed in first..first + cases {
        let case = generate::case(seed, &PRESETS, &keys);
        match run_case(&case) {
            Ok(outcome) => *tally.entry(outcome).or_default() += 1,
            Err(problem) => failures.push((case, problem)),
        }
    }
    eprintln!(
        "fuzz: {cases} cases from seed {first}: {tally:?}; {} failed",
        failures.len()
    );
    if !failures.is_empty() {
        let dir = failures_dir();
        let _ = std::fs::create_dir_all(&dir);
        for (case, _) in &failures {
            let _ = std::fs::write(
                dir.join(format!("{}.toml", case.seed)),
                case.to_regression(),
            );
        }
    }
    let report: Vec<String> = failures
        .iter()
        .take(5)
        .map(|(case, problem)| {
            format!(
                "seed {} ({}): {problem}\n{}",
                case.seed, case.kind, case.text
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed (written to {}):\n{}",
        failures.len(),
        failures_dir().display(),
        report.join("\n---\n")
    );
    // The short run must reach every stage, or it tests less than it claims.
    if cases >= SHORT_RUN {
        for outcome in [
            Outcome::File,
            Outcome::Settings,
            Outcome::Cut,
            Outcome::Complete,
        ] {
            assert!(
                tally.contains_key(&outcome),
                "no case ended as {outcome:?}: {tally:?}"
            );
        }
    }
}

/// Every failure the fuzzing ever found, and the cases of issue 15, replayed.
#[test]
fn every_kept_case_still_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fuzz/regressions exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a regression file is text");
        let flags = text
            .lines()
            .next()
            .and_then(|l| l.split_once("flags:"))
            .map(|(_, f)| f.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let case = Case {
            seed: 0,
            kind: "kept",
            text,
            flags,
        };
        if let Err(problem) = run_case(&case) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_generator_is_deterministic() {
    let keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
    for seed in 0..50 {
        let a = generate::case(seed, &PRESETS, &keys);
        let b = generate::case(seed, &PRESETS, &keys);
        assert_eq!((a.text, a.flags), (b.text, b.flags));
    }
}
