//! Every preset's narration and compare headline, assembled for a matrix of settings a user can
//! reach from the app's controls (Python 2.7, 3.9, 3.13, 3.14; the GIL and free-threaded; every
//! runtime; 1, 2 and 8 threads per group; 1, 2 and 8 cores), and read back like a skeptical
//! student would: every number quoted must be the stat it names, no sentence may name a thread
//! or core count, version, build or runtime other than the run's own, no "try X" may suggest
//! what is already selected, claims ("one at a time", "in parallel", "slower") must match the
//! numbers, and "N× faster" is said only of the same work.
//!
//! `NARRATION_DUMP=FILE` writes every narration and headline to FILE, for reading them all.

use gilscope_sim::engine::memory::interpreter_mib;
use gilscope_sim::narration::headline::same_work;
use gilscope_sim::narration::{Headline, Narrated, Quote, RunState, Side, Value, headline};
use gilscope_sim::presets::{PRESETS, preset};
use gilscope_sim::{
    Engine, Overrides, PythonVersion, Runtime, Scenario, SimEngine, Stats, Trace, format,
};
use regex::Regex;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One cell of the matrix: the settings changed over the preset's own.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    python: PythonVersion,
    free_threaded: bool,
    /// `PYTHON_GIL=1` in a free-threaded build: the GIL forced back on.
    gil_forced: bool,
    runtime: Runtime,
    threads: u32,
    cores: u32,
    /// A pool's workers (`None`: the pool's own default).
    workers: Option<u32>,
}

impl Cell {
    fn overrides(self) -> Overrides {
        Overrides {
            python: Some(self.python),
            free_threaded: Some(self.free_threaded),
            gil: self.gil_forced.then_some(true),
            runtime: Some(self.runtime),
            cores: Some(self.cores),
            workers: self.workers,
            ..Overrides::default()
        }
    }

    fn label(self) -> String {
        format!(
            "python {}{}{} {} threads/group {} cores {}{}",
            self.python,
            if self.free_threaded { "t" } else { "" },
            if self.gil_forced { " PYTHON_GIL=1" } else { "" },
            self.runtime,
            self.threads,
            self.cores,
            self.workers
                .map_or_else(String::new, |w| format!(" workers {w}"))
        )
    }
}

/// The matrix: every version and build (a free-threaded one also with `PYTHON_GIL=1`), every
/// runtime, 1/2/8 threads per group and 1/2/8 cores. Combinations the app refuses
/// (free-threaded 2.7, subinterpreters on 3.9) are left out by `Scenario::config`, as the
/// app's controls leave them out.
fn cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for (major, minor) in [(2, 7), (3, 9), (3, 13), (3, 14)] {
        let python = PythonVersion::new(major, minor);
        for (free_threaded, gil_forced) in [(false, false), (true, false), (true, true)] {
            for &runtime in <Runtime as gilscope_sim::Named>::ALL {
                for threads in [1, 2, 8] {
                    for cores in [1, 2, 8] {
                        cells.push(Cell {
                            python,
                            free_threaded,
                            gil_forced,
                            runtime,
                            threads,
                            cores,
                            workers: None,
                        });
                    }
                }
            }
        }
    }
    cells
}

/// A run of one cell: its trace, stats and narration (stopped runs: the part that ran).
struct Outcome {
    cell: Cell,
    trace: Trace,
    stats: Stats,
    narrated: Narrated,
    stopped: Option<String>,
}

/// Runs the scenario as the app does, one event at a time, keeping the trace of a run that
/// stops with an error (the span limit) so that its narration can be read too.
fn run(scenario: &Scenario, cell: Cell) -> Option<Outcome> {
    let mut scenario = scenario.clone();
    for group in 0..scenario.groups.len() {
        scenario = scenario.with_group_count(group, cell.threads);
    }
    let config = scenario.config(&cell.overrides()).ok()?;
    let mut engine = SimEngine::new(&scenario, &config);
    let stopped = loop {
        match engine.step() {
            Ok(Some(_)) => {}
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        }
    };
    let trace = engine.trace().clone();
    let stats = Stats::compute(&trace);
    let narrated = scenario
        .narration
        .narrate(&trace, &stats, stopped.as_deref());
    Some(Outcome {
        cell,
        trace,
        stats,
        narrated,
        stopped,
    })
}

/// What the fact named `name` is in this run, read straight from the stats and the trace (not
/// through the narration's own table), and how the narration must write it.
fn expected(o: &Outcome, scenario: &Scenario, name: &str) -> Option<(Value, String)> {
    let (base, qualifier) = match name.split_once('.') {
        Some((b, q)) => (b, Some(q)),
        None => (name, None),
    };
    let value = setting_value(o, scenario, base, qualifier)
        .or_else(|| result_value(&o.stats, base, qualifier))
        .unwrap_or_else(|| panic!("the matrix test does not know fact `{base}`: add it"))?;
    let text = written(base, &value);
    Some((value, text))
}

/// A setting (or how far the run got); `None` when `base` names a result. The inner `None`:
/// the run has no such value.
#[allow(
    clippy::option_option,
    reason = "not a fact of this kind, or a fact with no value"
)]
fn setting_value(
    o: &Outcome,
    scenario: &Scenario,
    base: &str,
    qualifier: Option<&str>,
) -> Option<Option<Value>> {
    let stats = &o.stats;
    let config = &o.trace.meta.config;
    let number = |v: f64| Some(Some(Value::Number(v)));
    let word = |w: String| Some(Some(Value::Word(w)));
    match base {
        // What the cell set, not what the trace holds: an asyncio executor's workers are
        // threads of the run but not of the program.
        "threads" => {
            let groups = match qualifier {
                None => scenario.groups.len(),
                Some(q) => scenario.groups.iter().filter(|g| g.name == q).count(),
            };
            number(f64::from(o.cell.threads) * groups as f64)
        }
        "cores" => number(f64::from(stats.cores)),
        "interpreters" => number(f64::from(stats.interpreters)),
        // A process pool's workers are its interpreters; a thread pool starts one thread per
        // task up to its workers.
        "workers" => number(match stats.runtime {
            Runtime::Pool | Runtime::ProcessPool => f64::from(stats.interpreters),
            Runtime::ThreadPool => {
                f64::from(config.pool_workers()).min(o.trace.threads.len() as f64)
            }
            _ => 0.0,
        }),
        // The pool's size as set, which an executor may not fill.
        "max_workers" => number(f64::from(config.pool_workers())),
        "fork_start" => number(config.fork_start as f64 / 1e6),
        "spawn_start" => number(config.spawn_start as f64 / 1e6),
        "interpreter_start" => number(config.interpreter_start as f64 / 1e6),
        // A pool runs as many tasks at once as it has workers busy: never more than its tasks.
        "at_once" => {
            let tasks = o.trace.threads.len() as f64;
            number(match stats.runtime {
                Runtime::Pool | Runtime::ProcessPool => f64::from(stats.interpreters).min(tasks),
                Runtime::ThreadPool => f64::from(config.pool_workers()).min(tasks),
                _ => f64::from(o.cell.threads) * scenario.groups.len() as f64,
            })
        }
        "memory" => number(stats.resident_mib.round()),
        // The measured baselines: the version's interpreter, a thread 0.016 MiB.
        "threads_memory" => {
            number((interpreter_mib(config.python) + 0.016 * o.trace.threads.len() as f64).round())
        }
        "interval" => number(stats.switch_interval_us as f64 / 1000.0),
        "check_interval" => number(config.check_interval as f64),
        "free_threaded_overhead" => number(if stats.free_threaded {
            config.free_threaded_overhead
        } else {
            0.0
        }),
        "python" => Some(Some(Value::Version(stats.python))),
        "runtime" => word(stats.runtime.to_string()),
        "start_method" => word(config.start_method.to_string()),
        "engine" => word(stats.engine.to_string()),
        "state" => word(
            if o.stopped.is_some() {
                RunState::Stopped
            } else {
                RunState::of(&o.trace)
            }
            .to_string(),
        ),
        "gil_returned_at" => Some(
            o.trace
                .gil
                .spans
                .first()
                .map(|span| Value::Number(span.start as f64 / 1e6)),
        ),
        _ => None,
    }
}

/// A result of the run from its stats; `None` when `base` names no result.
#[allow(
    clippy::option_option,
    reason = "not a fact of this kind, or a fact with no value"
)]
fn result_value(stats: &Stats, base: &str, qualifier: Option<&str>) -> Option<Option<Value>> {
    let number = |v: f64| Some(Some(Value::Number(v)));
    let summary = |s: Option<gilscope_sim::stats::Summary>,
                   pick: fn(&gilscope_sim::stats::Summary) -> f64| {
        Some(s.map(|x| Value::Number(pick(&x))))
    };
    let counters: Vec<_> = stats
        .counters
        .iter()
        .filter(|c| qualifier.is_none_or(|q| q == c.name))
        .collect();
    let expected: u64 = counters.iter().map(|c| c.expected).sum();
    let lost: u64 = counters.iter().map(|c| c.lost).sum();
    let gil = &stats.gil;
    match base {
        "wall" => number(stats.wall_ms),
        "sequential" => number(stats.sequential_ms),
        "speedup" => Some(stats.speedup.map(Value::Number)),
        "parallelism" => Some(stats.parallelism.map(Value::Number)),
        "bytecode_parallelism" => number(bytecode_parallelism(stats)),
        "cpu" => number(stats.cpu_ms),
        "contention" => number(stats.threads.iter().map(|t| t.contention_ms).sum()),
        "paused" => number(stats.threads.iter().map(|t| t.state_ms.paused).sum()),
        "bytecodes" => number(stats.bytecodes as f64),
        "switches" => number(gil.switches as f64),
        "switches_per_s" => number(gil.switches_per_s),
        "forced_switches" => number(gil.forced_switches as f64),
        "drop_requests" => number(gil.drop_requests as f64),
        "futile" => number(gil.futile_wakeups as f64),
        "retakes" => number(gil.retakes as f64),
        "held_pct" => number(gil.held_fraction),
        "slice_p50" => summary(gil.slice_ms, |x| x.p50),
        "gil_wait_p99" => summary(gil.acquire_latency_ms, |x| x.p99),
        "io_ops" => number(stats.threads.iter().map(|t| t.io_ops).sum::<u64>() as f64),
        "io_latency" => summary(stats.io_latency_ms, |x| x.mean),
        "io_latency_p50" => summary(stats.io_latency_ms, |x| x.p50),
        "io_latency_p99" => summary(stats.io_latency_ms, |x| x.p99),
        "io_latency_max" => summary(stats.io_latency_ms, |x| x.max),
        "resume_lag" => summary(stats.resume_lag_ms, |x| x.mean),
        "resume_lag_p50" => summary(stats.resume_lag_ms, |x| x.p50),
        "resume_lag_p99" => summary(stats.resume_lag_ms, |x| x.p99),
        "resume_lag_max" => summary(stats.resume_lag_ms, |x| x.max),
        "expected" => number(expected as f64),
        "lost" => number(lost as f64),
        "lost_pct" => number(lost as f64 / expected as f64),
        "warning" => Some(stats.warnings.first().map(|w| Value::Word(w.clone()))),
        "warnings" => number(stats.warnings.len() as f64),
        _ => None,
    }
}

/// How the narration must write `value` of the fact `base`.
fn written(base: &str, value: &Value) -> String {
    let durations = [
        "wall",
        "sequential",
        "cpu",
        "contention",
        "paused",
        "slice_p50",
        "gil_wait_p99",
        "interval",
        "gil_returned_at",
        "fork_start",
        "spawn_start",
        "interpreter_start",
    ];
    match value {
        Value::Number(v) if durations.contains(&base) => format::ms(*v),
        Value::Number(v) if base.starts_with("io_latency") || base.starts_with("resume_lag") => {
            format::ms(*v)
        }
        Value::Number(v) if base == "speedup" => format::ratio(*v),
        Value::Number(v) if base.ends_with("parallelism") => format::decimal(*v),
        Value::Number(v) if base.ends_with("_pct") || base == "free_threaded_overhead" => {
            format::percent(*v)
        }
        Value::Number(v) if base == "switches_per_s" => format::whole(*v),
        Value::Number(v) => format::count(*v as u64),
        Value::Version(v) => v.to_string(),
        Value::Word(w) => w.clone(),
        Value::Bool(b) => b.to_string(),
    }
}

/// Threads running bytecode at once, on average.
fn bytecode_parallelism(s: &Stats) -> f64 {
    if s.wall_ms > 0.0 {
        s.threads.iter().map(|t| t.state_ms.running).sum::<f64>() / s.wall_ms
    } else {
        0.0
    }
}

/// Checks one quote against the run: the value is the stat it names, written in its style, and
/// the sentence really contains it.
fn check_quote(
    problems: &mut Vec<String>,
    o: &Outcome,
    scenario: &Scenario,
    said: &str,
    q: &Quote,
) {
    match expected(o, scenario, &q.fact) {
        None => problems.push(format!(
            "quotes `{}`, which this run does not have: {said}",
            q.fact
        )),
        Some((value, text)) => {
            if value != q.value {
                problems.push(format!(
                    "`{}` = {:?}, but the stats say {value:?}: {said}",
                    q.fact, q.value
                ));
            }
            if text != q.text {
                problems.push(format!(
                    "`{}` written {:?}, expected {text:?}: {said}",
                    q.fact, q.text
                ));
            }
        }
    }
    if !said.contains(&q.text) {
        problems.push(format!(
            "the sentence does not contain its quote {:?}: {said}",
            q.text
        ));
    }
}

/// Number words a narration might write for a count.
fn number_word(word: &str) -> Option<u64> {
    let words = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve",
    ];
    let lower = word.to_lowercase();
    words
        .iter()
        .position(|w| *w == lower)
        .map(|i| i as u64)
        .or_else(|| lower.replace(',', "").parse().ok())
}

/// Words that, between a number and "threads", show that the number counts something else.
const NOT_ADJECTIVES: &[&str] = &[
    "ms", "µs", "ns", "s", "with", "of", "on", "in", "and", "or", "the", "a", "an", "for", "per",
    "by", "to", "at", "as", "from", "than", "more", "fewer", "other", "times", "million",
];

/// The run's own settings, as sentences may name them.
struct Named {
    counts: Vec<u64>,
    cores: u64,
    python: PythonVersion,
    free_threaded: bool,
    gil_enabled: bool,
    runtime: Runtime,
    /// A pool's workers (processes, or threads of a thread pool), which its narration counts.
    workers: Option<u64>,
}

fn named(o: &Outcome) -> Named {
    let mut counts: Vec<u64> = vec![o.trace.threads.len() as u64];
    for g in 0..o.trace.meta.groups.len() {
        counts.push(o.trace.threads.iter().filter(|t| t.group == g).count() as u64);
    }
    Named {
        counts,
        cores: u64::from(o.stats.cores),
        python: o.stats.python,
        free_threaded: o.stats.free_threaded,
        gil_enabled: o.trace.meta.config.gil_enabled(),
        runtime: o.stats.runtime,
        workers: match o.stats.runtime {
            Runtime::Pool | Runtime::ProcessPool => Some(u64::from(o.stats.interpreters)),
            Runtime::ThreadPool => Some(
                u64::from(o.trace.meta.config.pool_workers()).min(o.trace.threads.len() as u64),
            ),
            _ => None,
        },
    }
}

/// One sentence being read: what comes before a "try" is a statement about this run, what
/// follows is a suggestion, which must name something other than the current setting.
struct Reading<'a> {
    o: &'a Outcome,
    run: Named,
    said: &'a str,
    statement: &'a str,
    suggestion: &'a str,
    lower: String,
    suggested: String,
    problems: Vec<String>,
}

/// Checks what a sentence says about the run's settings and results.
fn check_sentence(problems: &mut Vec<String>, o: &Outcome, said: &str) {
    let split = said.to_lowercase().find("try ").unwrap_or(said.len());
    let (statement, suggestion) = (&said[..split], &said[split..]);
    let mut reading = Reading {
        o,
        run: named(o),
        said,
        statement,
        suggestion,
        lower: statement.to_lowercase(),
        suggested: suggestion.to_lowercase(),
        problems: Vec::new(),
    };
    reading.counts();
    reading.versions();
    reading.runtimes();
    reading.builds();
    if o.stopped.is_none() && RunState::of(&o.trace) == RunState::Ended {
        reading.claims();
    }
    problems.extend(reading.problems);
}

impl Reading<'_> {
    /// Counts of threads, tasks, processes, workers and cores.
    fn counts(&mut self) {
        let (run, said, statement) = (&self.run, self.said, self.statement);
        let problems = &mut self.problems;
        // Up to two words between number and noun: "four client tasks", "two CPU-bound threads".
        let counted = Regex::new(
        r"(?i)\b(\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+((?:[a-z][\w-]*\s+){0,2}?)(threads?|tasks?|process(?:es)?|workers?|subinterpreters?|cores?)\b",
    )
    .expect("regex");
        for m in counted.captures_iter(statement) {
            let Some(n) = number_word(&m[1]) else {
                continue;
            };
            // "100 ms with threads" counts milliseconds, not threads.
            let between = m[2].to_lowercase();
            if between
                .split_whitespace()
                .any(|w| NOT_ADJECTIVES.contains(&w))
            {
                continue;
            }
            let noun = m[3].to_lowercase();
            // "one thread at a time" is how many a core runs at once, not how many there are.
            let at_a_time = statement[m.get(0).map_or(0, |w| w.end())..]
                .trim_start()
                .starts_with("at a time");
            let ok = if at_a_time {
                n <= run.cores
            } else if noun.starts_with("core") {
                n == run.cores
            } else if noun.starts_with("worker") {
                // A pool's workers are its own (all of them, or those busy at once: at most
                // one per task); its threads are tasks, never "workers".
                match run.workers {
                    Some(workers) => n == workers || n == workers.min(run.counts[0]),
                    None => run.counts.contains(&n),
                }
            } else if noun.starts_with("process") {
                run.counts.contains(&n) || run.workers == Some(n)
            } else {
                run.counts.contains(&n)
            };
            if !ok {
                problems.push(format!(
                "names {} {noun}, but the run has {:?} threads (total, per group) on {} cores: {said}",
                &m[1], run.counts, run.cores
            ));
            }
        }
    }

    /// Versions: "Python 3.13", "3.14t" (a bare "3.10" is history, not a setting).
    fn versions(&mut self) {
        let (run, said, statement, suggestion) =
            (&self.run, self.said, self.statement, self.suggestion);
        let problems = &mut self.problems;
        let version = Regex::new(r"\b(?:Python |python )?([23])\.(\d{1,2})(t?)\b").expect("regex");
        let versions = |text: &str| -> Vec<(String, PythonVersion, bool)> {
            version
                .captures_iter(text)
                .filter(|m| m[0].to_lowercase().starts_with("python") || !m[3].is_empty())
                .map(|m| {
                    let v = PythonVersion::new(
                        m[1].parse().expect("digit"),
                        m[2].parse().expect("digits"),
                    );
                    (m[0].to_owned(), v, !m[3].is_empty())
                })
                .collect()
        };
        for (text, v, t) in versions(statement) {
            if v != run.python || (t && !run.free_threaded) {
                problems.push(format!(
                    "names {text}, but the run is Python {}{}: {said}",
                    run.python,
                    if run.free_threaded { "t" } else { "" }
                ));
            }
        }
        for (text, v, t) in versions(suggestion) {
            if v == run.python && t == run.free_threaded {
                problems.push(format!("suggests {text}, which is selected: {said}"));
            }
        }
    }

    /// Runtimes: a statement names only the run's own; a suggestion only another. Processes
    /// are named by every runtime that runs them (multiprocessing and the process pools), a
    /// pool by every pool.
    fn runtimes(&mut self) {
        let (run, said, lower, suggested) = (&self.run, self.said, &self.lower, &self.suggested);
        let problems = &mut self.problems;
        let mentions = [
            (Runtime::Asyncio, ["event loop", "asyncio"].as_slice()),
            (
                Runtime::Multiprocessing,
                ["process", "multiprocessing"].as_slice(),
            ),
            (Runtime::Subinterpreters, ["subinterpreter"].as_slice()),
            (
                Runtime::Pool,
                [
                    "pool of",
                    "pool.map",
                    "processpoolexecutor",
                    "multiprocessing.pool",
                ]
                .as_slice(),
            ),
        ];
        let names_own = |runtime: Runtime| {
            runtime == run.runtime
                || (runtime == Runtime::Multiprocessing && run.runtime.uses_processes())
                || (runtime == Runtime::Pool && run.runtime.is_pool())
        };
        for (runtime, words) in mentions {
            if !names_own(runtime) && words.iter().any(|w| lower.contains(w)) {
                problems.push(format!(
                    "names {runtime}, but the run uses {}: {said}",
                    run.runtime
                ));
            }
            if runtime == run.runtime && words.iter().any(|w| suggested.contains(w)) {
                problems.push(format!("suggests {runtime}, which is selected: {said}"));
            }
        }
        if suggested.contains("free-threaded") && run.free_threaded {
            problems.push(format!(
                "suggests a free-threaded build, which is selected: {said}"
            ));
        }
    }

    /// Builds: no GIL at work in a run without one; no free-threaded build in a default one.
    fn builds(&mut self) {
        let (o, run, said, lower) = (self.o, &self.run, self.said, &self.lower);
        let problems = &mut self.problems;
        let has_gil = o.stats.gil_enabled;
        for claim in [
            "with the gil",
            "holds the gil",
            "holding the gil",
            "under the gil",
            "for the gil",
        ] {
            let negated = ["without", "no gil", "would"]
                .iter()
                .any(|n| lower.contains(n));
            if lower.contains(claim) && !has_gil && !negated {
                problems.push(format!("says \"{claim}\" of a run without a GIL: {said}"));
            }
        }
        if lower.contains("free-threaded") && !run.free_threaded && !lower.contains("would") {
            problems.push(format!(
                "speaks of a free-threaded build in a default build's run: {said}"
            ));
        }
        let no_gil = ["no gil", "without the gil", "without a gil"]
            .iter()
            .any(|c| lower.contains(c));
        if no_gil && run.gil_enabled && !lower.contains("would") {
            problems.push(format!("says there is no GIL in a run with one: {said}"));
        }
    }

    /// Claims about the results, checked against the numbers of a run that ended.
    fn claims(&mut self) {
        let (o, said, lower) = (self.o, self.said, &self.lower);
        let problems = &mut self.problems;
        // A run too short to tell its work apart has no parallelism: nothing to check against.
        let Some(p) = o.stats.parallelism else {
            return;
        };
        let python = bytecode_parallelism(&o.stats);
        for claim in [
            "one at a time",
            "take turns",
            "took turns",
            "only one of them runs",
        ] {
            if lower.contains(claim) && !lower.contains("not ") && p > 1.3 && python > 1.1 {
                problems.push(format!(
                    "claims \"{claim}\" with parallelism {p:.2} ({python:.2} running bytecode): {said}"
                ));
            }
        }
        for claim in ["in parallel", "side by side", "all at once"] {
            let negated = ["not ", "never ", "no ", "cannot ", "would"]
                .iter()
                .any(|n| lower.contains(n));
            if lower.contains(claim) && !negated && p < 1.2 {
                problems.push(format!(
                    "claims \"{claim}\" with parallelism {p:.2}: {said}"
                ));
            }
        }
        let slower = [
            "slower than a single",
            "made it slower",
            "slower than doing",
        ];
        if let Some(speedup) = o.stats.speedup
            && slower.iter().any(|c| lower.contains(c))
            && speedup >= 1.0
        {
            problems.push(format!("claims slower with speedup {speedup:.2}: {said}"));
        }
    }
}

/// Checks a headline: its quotes are the runs' stats, "faster" only for the same work.
fn check_headline(problems: &mut Vec<String>, h: &Headline, a: &Stats, b: &Stats) {
    for q in &h.quotes {
        let (tag, fact) = q.fact.split_once('.').expect("a.FACT or b.FACT");
        let s = if tag == "a" { a } else { b };
        let value = match fact {
            "wall" => s.wall_ms,
            "io_latency" => s.io_latency_ms.map_or(f64::NAN, |x| x.mean),
            "bytecodes_per_s" => s.bytecodes_per_s,
            "contention" => s.contention_ms,
            "lost" => s.counters.iter().map(|c| c.lost).sum::<u64>() as f64,
            "expected" => s.counters.iter().map(|c| c.expected).sum::<u64>() as f64,
            "lost_pct" => {
                s.counters.iter().map(|c| c.lost).sum::<u64>() as f64
                    / s.counters.iter().map(|c| c.expected).sum::<u64>() as f64
            }
            other => panic!("the matrix test does not know headline fact `{other}`"),
        };
        if q.value != Value::Number(value) {
            problems.push(format!(
                "headline quotes {} = {:?}, the stats say {value}: {}",
                q.fact, q.value, h.text
            ));
        }
        if !h.text.contains(&q.text) {
            problems.push(format!("headline lacks its quote {:?}: {}", q.text, h.text));
        }
    }
    let equal = (a.bytecodes as f64 - b.bytecodes as f64).abs()
        <= 0.001 * a.bytecodes.max(b.bytecodes) as f64
        && a.threads.iter().map(|t| t.io_ops).sum::<u64>()
            == b.threads.iter().map(|t| t.io_ops).sum::<u64>()
        && a.counters.iter().map(|c| c.expected).sum::<u64>()
            == b.counters.iter().map(|c| c.expected).sum::<u64>();
    assert_eq!(equal, same_work(a, b));
    if h.text.contains("faster") && !equal {
        problems.push(format!(
            "headline says faster of different work: {}",
            h.text
        ));
    }
}

/// How the compare view names a run by what the other run changes.
fn side_label(what: &str, o: &Outcome) -> String {
    match what {
        "cores" => format!(
            "on {}",
            format::counted(u64::from(o.stats.cores), "core", "cores")
        ),
        _ if o.stats.free_threaded => "free-threaded".to_owned(),
        _ => "with the GIL".to_owned(),
    }
}

/// Assembles and checks the narration of preset `stem` for every cell of the matrix, and its
/// headline against the same run on other cores and on the other build.
fn check_preset(stem: &str) {
    let dump = std::env::var_os("NARRATION_DUMP")
        .map(|dir| std::path::PathBuf::from(dir).join(format!("{stem}.txt")));
    let mut text = String::new();
    let mut problems = Vec::new();
    let scenario = preset(stem).expect("a preset").expect("it parses");
    let outcomes: Vec<Outcome> = cells()
        .into_iter()
        .filter_map(|cell| run(&scenario, cell))
        .collect();
    assert!(
        outcomes.len() > 100,
        "{stem}: only {} cells run",
        outcomes.len()
    );
    for o in &outcomes {
        problems.extend(
            check_narration(o, &scenario)
                .into_iter()
                .map(|p| format!("[{}]: {p}", o.cell.label())),
        );
        if dump.is_some() {
            dump_narration(&mut text, o);
        }
    }
    let by_cell: BTreeMap<String, &Outcome> =
        outcomes.iter().map(|o| (o.cell.label(), o)).collect();
    for o in outcomes.iter().filter(|o| o.stopped.is_none()) {
        let others = [
            (
                "cores",
                Cell {
                    cores: if o.cell.cores == 8 { 1 } else { 8 },
                    ..o.cell
                },
            ),
            (
                "build",
                Cell {
                    free_threaded: !o.cell.free_threaded,
                    ..o.cell
                },
            ),
        ];
        for (what, other) in others {
            let Some(b) = by_cell.get(&other.label()).filter(|b| b.stopped.is_none()) else {
                continue;
            };
            let (la, lb) = (side_label(what, o), side_label(what, b));
            let a_side = Side {
                label: &la,
                stats: &o.stats,
            };
            let b_side = Side {
                label: &lb,
                stats: &b.stats,
            };
            let h = headline(scenario.purpose, a_side, b_side);
            let mut found = Vec::new();
            check_headline(&mut found, &h, &o.stats, &b.stats);
            if dump.is_some() && o.cell.threads == 2 {
                let (la, lb) = (o.cell.label(), b.cell.label());
                let _ = writeln!(text, "## headline | {la} vs {lb}\n{}\n", h.text);
            }
            problems.extend(
                found
                    .into_iter()
                    .map(|p| format!("[{} vs {}]: {p}", o.cell.label(), b.cell.label())),
            );
        }
    }
    if let Some(path) = dump {
        std::fs::write(path, &text).expect("dump written");
    }
    assert!(
        problems.is_empty(),
        "{stem}: {} problems, the first 40:\n{}",
        problems.len(),
        problems
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// What is wrong with the narration of one run.
fn check_narration(o: &Outcome, scenario: &Scenario) -> Vec<String> {
    let mut found = Vec::new();
    if o.narrated.sentences.is_empty() {
        found.push("says nothing".to_owned());
    }
    for said in &o.narrated.sentences {
        for q in &said.quotes {
            check_quote(&mut found, o, scenario, &said.text, q);
        }
        check_sentence(&mut found, o, &said.text);
    }
    if let Some(why) = &o.stopped
        && !o.narrated.text().starts_with("The run stopped at")
    {
        found.push(format!(
            "stopped ({why}) but not said: {}",
            o.narrated.text()
        ));
    }
    let waited = o
        .stats
        .threads
        .iter()
        .any(|t| t.state_ms.waiting_gil > 0.0 || t.state_ms.forced_off > 0.0);
    if !o.stats.gil_enabled && waited {
        found.push("a run without a GIL has time waiting for the GIL".to_owned());
    }
    let held = o
        .stats
        .threads
        .iter()
        .any(|t| t.state_ms.c_call_holding > 0.0);
    // Unless an extension turned the GIL back on (gil-returns): the interpreter says so.
    let returned = o
        .stats
        .warnings
        .iter()
        .any(|w| w.contains("has been enabled"));
    if !o.stats.gil_enabled && !returned && held {
        found.push("a run without a GIL has a C call holding the GIL".to_owned());
    }
    found
}

/// Appends the narration of one run, under a line of its numbers, to `text`.
fn dump_narration(text: &mut String, o: &Outcome) {
    let s = &o.stats;
    let _ = writeln!(
        text,
        "## {} | wall {} seq {} speedup {} par {} io {} lost {} switches {}{}\n{}\n",
        o.cell.label(),
        format::ms(s.wall_ms),
        format::ms(s.sequential_ms),
        s.speedup.map_or("-".into(), format::ratio),
        s.parallelism.map_or("-".into(), format::decimal),
        s.io_latency_ms.map_or("-".into(), |x| format::ms(x.mean)),
        s.counters.iter().map(|c| c.lost).sum::<u64>(),
        s.gil.switches,
        o.stopped
            .as_ref()
            .map_or(String::new(), |e| format!(" | STOPPED: {e}")),
        o.narrated.text()
    );
}

/// One test per preset, so the harness runs them side by side.
macro_rules! presets {
    ($($test:ident = $stem:literal,)+) => {
        $(
            #[test]
            fn $test() {
                check_preset($stem);
            }
        )+

        #[test]
        fn every_preset_is_in_the_matrix() {
            let tested = [$($stem),+];
            for (stem, _) in PRESETS {
                assert!(tested.contains(&stem), "add `{stem}` to the presets! list of narration_matrix.rs");
            }
        }
    };
}

presets! {
    cpu_bound = "cpu-bound",
    convoy = "convoy",
    io_bound = "io-bound",
    c_release = "c-release",
    c_holding = "c-holding",
    counter_race = "counter-race",
    free_threaded_scaling = "free-threaded-scaling",
    old_gil = "old-gil",
    gil_returns = "gil-returns",
    asyncio = "asyncio",
    multiprocessing = "multiprocessing",
    decision = "decision",
    ft_shared_object = "ft-shared-object",
    ft_own_copies = "ft-own-copies",
    ft_shared_dict = "ft-shared-dict",
}

#[test]
fn a_preset_that_only_suits_its_defaults_is_caught() {
    // The old cpu-bound narration, written for two threads on two cores with the GIL.
    let text = r#"
name = "old"
[[narration]]
text = "Two threads each count down 20 million bytecodes, on two cores. With the GIL only one of them runs bytecode at any moment. Try Python 3.13."
[[threads]]
name = "worker"
count = 2
ops = [ { compute = 2_000_000 } ]
"#;
    let scenario = Scenario::parse(text, "old.toml").expect("parses");
    let problems = |cell: Cell| {
        let o = run(&scenario, cell).expect("runs");
        let mut problems = Vec::new();
        for said in &o.narrated.sentences {
            check_sentence(&mut problems, &o, &said.text);
        }
        problems.join("\n")
    };
    let processes = Cell {
        python: PythonVersion::new(3, 13),
        free_threaded: false,
        gil_forced: false,
        runtime: Runtime::Multiprocessing,
        threads: 8,
        cores: 8,
        workers: None,
    };
    let all = problems(processes);
    assert!(all.contains("names Two threads"), "{all}");
    assert!(all.contains("names two cores"), "{all}");
    assert!(all.contains("suggests Python 3.13"), "{all}");
    assert!(all.contains("only one of them runs"), "{all}");
    let free = Cell {
        free_threaded: true,
        runtime: Runtime::Threads,
        threads: 2,
        cores: 2,
        ..processes
    };
    let all = problems(free);
    assert!(
        all.contains("\"with the gil\" of a run without a GIL"),
        "{all}"
    );
    assert!(!all.contains("names Two threads"), "{all}");
}

#[test]
fn a_pool_with_fewer_workers_than_tasks_is_narrated_as_that_pool() {
    for stem in ["decision", "multiprocessing"] {
        let scenario = preset(stem).expect("a preset").expect("it parses");
        for runtime in [Runtime::Pool, Runtime::ProcessPool, Runtime::ThreadPool] {
            let cell = Cell {
                python: PythonVersion::new(3, 13),
                free_threaded: false,
                gil_forced: false,
                runtime,
                threads: 4,
                cores: 4,
                workers: Some(2),
            };
            let o = run(&scenario, cell).expect("runs");
            let problems = check_narration(&o, &scenario);
            assert!(
                problems.is_empty(),
                "{stem} [{}]: {problems:#?}",
                cell.label()
            );
            let text: Vec<&str> = o
                .narrated
                .sentences
                .iter()
                .map(|s| s.text.as_str())
                .collect();
            let text = text.join(" ");
            assert!(
                text.contains("of 2 worker") || text.contains("starts 2 worker"),
                "{stem} [{}] does not name its pool of 2: {text}",
                cell.label()
            );
            assert!(
                !text.contains("4 workers"),
                "{stem} [{}] calls its 4 tasks workers: {text}",
                cell.label()
            );
        }
    }
}

#[test]
fn a_count_of_one_is_narrated_in_the_singular() {
    // A check interval of 1,000 ticks: the old GIL changes hands once in the whole run.
    let scenario = preset("old-gil").expect("a preset").expect("it parses");
    let overrides = Overrides {
        check_interval: Some(1000),
        ..Overrides::default()
    };
    let config = scenario.config(&overrides).expect("valid settings");
    let mut engine = SimEngine::new(&scenario, &config);
    while engine.step().expect("runs").is_some() {}
    let trace = engine.trace().clone();
    let stats = Stats::compute(&trace);
    assert_eq!(stats.gil.switches, 1, "the case this test is for");
    let narrated = scenario.narration.narrate(&trace, &stats, None);
    let text: Vec<&str> = narrated.sentences.iter().map(|s| s.text.as_str()).collect();
    let text = text.join(" ");
    assert!(text.contains("changed hands 1 time."), "{text}");
    let plural = Regex::new(r"(^|[^\d.,])1 times\b").expect("a regex");
    assert!(!plural.is_match(&text), "{text}");
}
