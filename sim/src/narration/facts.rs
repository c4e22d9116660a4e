//! The facts of one run that a narration may test and quote: its settings (runtime, build,
//! version, thread and core counts…), how far it got, and what its stats say (wall time,
//! speedup, lost updates…). One table, [`FACTS`], names each fact once with its kind, which
//! says how it is written and how a condition's value for it is read.

use super::RunState;
use crate::engine::memory::resident_mib;
use crate::engine::pool::PoolPlan;
use crate::format;
use crate::meta::EngineKind;
use crate::model::{Model, PythonVersion, Runtime};
use crate::names::Named as _;
use crate::stats::{Stats, Summary};
use crate::trace::{CounterResult, Trace};

/// What kind of value a fact has: how it is written in text and read in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number, written with grouped digits: `339,701`.
    Count,
    /// A per-second rate, written as a whole number: `199`.
    Rate,
    /// A duration (held in milliseconds), written with a unit: `5.07 ms`.
    Duration,
    /// A ratio, written `1.94×`.
    Ratio,
    /// A plain number with two decimals: `1.99`.
    Decimal,
    /// A fraction, written as a percentage: `42.5%`.
    Percent,
    /// A Python version: `3.13`.
    Version,
    /// One of a fixed set of names: `asyncio`.
    Word(&'static [&'static str]),
    /// True or false: tested in conditions, never quoted.
    Bool,
    /// Free text (a warning the interpreter printed).
    Text,
}

/// The value of a fact in one run.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A [`Kind::Count`], [`Kind::Rate`], [`Kind::Duration`] (ms), [`Kind::Ratio`],
    /// [`Kind::Decimal`] or [`Kind::Percent`] (a fraction).
    Number(f64),
    /// A [`Kind::Version`].
    Version(PythonVersion),
    /// A [`Kind::Word`] or [`Kind::Text`].
    Word(String),
    /// A [`Kind::Bool`].
    Bool(bool),
}

impl Value {
    /// The value as a narration writes it, in the style of [`crate::format`].
    pub fn write(&self, kind: Kind) -> String {
        match (self, kind) {
            (Self::Number(n), Kind::Count) => format::count(n.max(0.0).round() as u64),
            (Self::Number(n), Kind::Rate) => format::whole(*n),
            (Self::Number(n), Kind::Duration) => format::ms(*n),
            (Self::Number(n), Kind::Ratio) => format::ratio(*n),
            (Self::Number(n), Kind::Percent) => format::percent(*n),
            (Self::Number(n), _) => format::decimal(*n),
            (Self::Version(v), _) => v.to_string(),
            (Self::Word(w), _) => w.clone(),
            (Self::Bool(b), _) => b.to_string(),
        }
    }
}

/// What a qualified fact (`threads.worker`, `lost.hits`) is qualified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No qualifier.
    Run,
    /// A thread group of the scenario, by name.
    Group,
    /// A shared counter of the scenario, by name.
    Counter,
}

/// One fact a narration can use.
#[derive(Debug, Clone, Copy)]
pub struct Fact {
    /// Its name in conditions and `{placeholders}`.
    pub name: &'static str,
    /// What it is, for the README and error messages.
    pub help: &'static str,
    /// How it is written and compared.
    pub kind: Kind,
    /// What it may be qualified by.
    pub scope: Scope,
    /// Whether it is known before the run has ended (a setting), or only from its results.
    pub setting: bool,
    get: fn(&RunFacts<'_>, Option<usize>) -> Option<Value>,
}

/// The names of [`RunState`]s, as conditions write them.
const STATES: &[&str] = RunState::NAMES;
const RUNTIMES: &[&str] = <crate::model::Runtime as crate::names::Named>::NAMES;
const START_METHODS: &[&str] = <crate::model::StartMethod as crate::names::Named>::NAMES;
const ENGINES: &[&str] = &[
    EngineKind::Sim.name(),
    EngineKind::Live.name(),
    EngineKind::Cpython.name(),
];

#[allow(
    clippy::unnecessary_wraps,
    reason = "shaped like a fact's getter, which may have no value"
)]
fn number(v: f64) -> Option<Value> {
    Some(Value::Number(v))
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "shaped like a fact's getter, which may have no value"
)]
fn count(v: impl Into<u64>) -> Option<Value> {
    Some(Value::Number(v.into() as f64))
}

fn summary(s: Option<Summary>, pick: fn(&Summary) -> f64) -> Option<Value> {
    s.as_ref().map(|s| Value::Number(pick(s)))
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "shaped like a fact's getter, which may have no value"
)]
fn bool(b: bool) -> Option<Value> {
    Some(Value::Bool(b))
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "shaped like a fact's getter, which may have no value"
)]
fn word(w: &str) -> Option<Value> {
    Some(Value::Word(w.to_owned()))
}

macro_rules! fact {
    ($name:literal, $kind:expr, $scope:ident, $setting:literal, $help:literal, $get:expr) => {
        Fact {
            name: $name,
            help: $help,
            kind: $kind,
            scope: Scope::$scope,
            setting: $setting,
            get: $get,
        }
    };
}

/// Every fact, in the order the README lists them: settings first, then results.
pub const FACTS: &[Fact] = &[
    fact!(
        "runtime",
        Kind::Word(RUNTIMES),
        Run,
        true,
        "how the threads run: threads, asyncio, multiprocessing, subinterpreters, or a pool (pool, process-pool, thread-pool)",
        |f, _| word(f.stats.runtime.name())
    ),
    fact!(
        "python",
        Kind::Version,
        Run,
        true,
        "the Python version modelled, compared as a version (`python >= 3.10`)",
        |f, _| Some(Value::Version(f.stats.python))
    ),
    fact!(
        "free_threaded",
        Kind::Bool,
        Run,
        true,
        "a free-threaded (`--disable-gil`) build",
        |f, _| bool(f.stats.free_threaded)
    ),
    fact!(
        "gil",
        Kind::Bool,
        Run,
        true,
        "the GIL is on from the start: a default build, or a free-threaded one with PYTHON_GIL=1",
        |f, _| bool(f.trace.meta.config.gil_enabled())
    ),
    fact!(
        "gil_forced_off",
        Kind::Bool,
        Run,
        true,
        "PYTHON_GIL=0: the GIL stays off even if an extension asks for it",
        |f, _| bool(f.trace.meta.config.gil_override == Some(false))
    ),
    fact!(
        "old_gil",
        Kind::Bool,
        Run,
        true,
        "the old tick-based GIL of Python 2.7 and 3.0–3.1",
        |f, _| bool(f.trace.meta.config.model() == Model::OldGil)
    ),
    fact!(
        "interval",
        Kind::Duration,
        Run,
        true,
        "the switch interval (`sys.setswitchinterval`)",
        |f, _| number(f.stats.switch_interval_us as f64 / 1000.0)
    ),
    fact!(
        "check_interval",
        Kind::Count,
        Run,
        true,
        "the old GIL's check interval in ticks (`sys.setcheckinterval`)",
        |f, _| count(f.trace.meta.config.check_interval)
    ),
    fact!(
        "start_method",
        Kind::Word(START_METHODS),
        Run,
        true,
        "how multiprocessing starts a process: fork, spawn or forkserver",
        |f, _| word(f.trace.meta.config.start_method.name())
    ),
    fact!(
        "free_threaded_overhead",
        Kind::Percent,
        Run,
        true,
        "how much slower one thread runs bytecode on a free-threaded build (0 on a default build)",
        |f, _| number(if f.stats.free_threaded {
            f.trace.meta.config.free_threaded_overhead
        } else {
            0.0
        })
    ),
    fact!(
        "cores",
        Kind::Count,
        Run,
        true,
        "the cores the threads may run on",
        |f, _| count(f.stats.cores)
    ),
    fact!(
        "threads",
        Kind::Count,
        Group,
        true,
        "threads in the run; `threads.GROUP`: threads of that group",
        |f, group| count(f.thread_count(group))
    ),
    fact!(
        "interpreters",
        Kind::Count,
        Run,
        true,
        "interpreters, each with its own GIL: 1, or one per process or subinterpreter",
        |f, _| count(f.stats.interpreters)
    ),
    fact!(
        "workers",
        Kind::Count,
        Run,
        true,
        "a pool's workers (processes, or threads for thread-pool) that run the threads as tasks; 0 when the runtime is not a pool",
        |f, _| count(if f.stats.runtime.is_pool() {
            PoolPlan::new(&f.trace.meta.config, f.trace.threads.len()).workers as u64
        } else {
            0
        })
    ),
    fact!(
        "fork_start",
        Kind::Duration,
        Run,
        true,
        "what starting one process by fork costs (the `fork_start` setting)",
        |f, _| number(f.trace.meta.config.fork_start as f64 / 1e6)
    ),
    fact!(
        "spawn_start",
        Kind::Duration,
        Run,
        true,
        "what booting a fresh interpreter for a spawned process, or a forkserver, costs (the `spawn_start` setting)",
        |f, _| number(f.trace.meta.config.spawn_start as f64 / 1e6)
    ),
    fact!(
        "interpreter_start",
        Kind::Duration,
        Run,
        true,
        "what creating one subinterpreter costs (the `interpreter_start` setting)",
        |f, _| number(f.trace.meta.config.interpreter_start as f64 / 1e6)
    ),
    fact!(
        "max_workers",
        Kind::Count,
        Run,
        true,
        "a pool's size as set (`processes`, `max_workers`, by default from the cores); an executor that starts its workers on demand starts no more than it has tasks, so `workers` may be fewer; 0 when the runtime is not a pool",
        |f, _| count(f.trace.meta.config.pool_workers())
    ),
    fact!(
        "at_once",
        Kind::Count,
        Run,
        true,
        "threads that can be under way at once: every thread, but for a pool at most its workers (each runs its tasks one after another)",
        |f, _| count(f.at_once())
    ),
    fact!(
        "shared_memory",
        Kind::Bool,
        Run,
        true,
        "the threads share one interpreter's memory, its globals and objects (threads, asyncio, a thread pool); not when each process or subinterpreter has its own",
        |f, _| bool(!f.stats.runtime.separate_interpreters())
    ),
    fact!(
        "processes",
        Kind::Bool,
        Run,
        true,
        "the threads run in child processes, each with its own interpreter (multiprocessing, the process pools)",
        |f, _| bool(f.stats.runtime.uses_processes())
    ),
    fact!(
        "pool",
        Kind::Bool,
        Run,
        true,
        "the threads are tasks handed to a pool of workers (pool, process-pool, thread-pool)",
        |f, _| bool(f.stats.runtime.is_pool())
    ),
    fact!(
        "event_loop",
        Kind::Bool,
        Run,
        true,
        "the threads are tasks on one asyncio event loop, which switches only where a task awaits",
        |f, _| bool(f.stats.runtime == Runtime::Asyncio)
    ),
    fact!(
        "memory",
        Kind::Count,
        Run,
        true,
        "the run's estimated resident memory in MiB, from the baselines measured per interpreter, thread and child process",
        |f, _| count(f.stats.resident_mib.round() as u64)
    ),
    fact!(
        "threads_memory",
        Kind::Count,
        Run,
        true,
        "the same estimate, in MiB, for the run's threads as threads of one interpreter",
        |f, _| {
            let mut threads = f.trace.meta.config.clone();
            threads.runtime = Runtime::Threads;
            count(resident_mib(&threads, f.trace.threads.len()).round() as u64)
        }
    ),
    fact!(
        "engine",
        Kind::Word(ENGINES),
        Run,
        true,
        "the engine: sim (the simulator), live (real threads on this machine) or cpython (a real interpreter)",
        |f, _| word(f.stats.engine.name())
    ),
    fact!(
        "state",
        Kind::Word(STATES),
        Run,
        true,
        "how far the run got: running, ended, cut (at its duration) or stopped (by an error)",
        |f, _| word(f.state.name())
    ),
    fact!(
        "wall",
        Kind::Duration,
        Run,
        false,
        "the run's wall time",
        |f, _| number(f.stats.wall_ms)
    ),
    fact!(
        "sequential",
        Kind::Duration,
        Run,
        false,
        "the same work done by one thread, one thing after another",
        |f, _| number(f.stats.sequential_ms)
    ),
    fact!(
        "speedup",
        Kind::Ratio,
        Run,
        false,
        "sequential time over wall time",
        |f, _| f.stats.speedup.map(Value::Number)
    ),
    fact!(
        "parallelism",
        Kind::Decimal,
        Run,
        false,
        "cores busy on average (CPU time over wall time)",
        |f, _| f.stats.parallelism.map(Value::Number)
    ),
    fact!(
        "bytecode_parallelism",
        Kind::Decimal,
        Run,
        false,
        "threads running bytecode at once, on average (time running bytecode over wall time)",
        |f, _| number(if f.stats.wall_ms > 0.0 {
            f.stats
                .threads
                .iter()
                .map(|t| t.state_ms.running)
                .sum::<f64>()
                / f.stats.wall_ms
        } else {
            0.0
        })
    ),
    fact!(
        "cpu",
        Kind::Duration,
        Run,
        false,
        "time the threads spent on cores",
        |f, _| number(f.stats.cpu_ms)
    ),
    fact!(
        "contention",
        Kind::Duration,
        Run,
        false,
        "thread time lost to contention for shared objects (free-threaded)",
        |f, _| number(f.stats.contention_ms)
    ),
    fact!(
        "paused",
        Kind::Duration,
        Run,
        false,
        "thread time paused by stop-the-world pauses, all threads together",
        |f, _| number(f.stats.threads.iter().map(|t| t.state_ms.paused).sum())
    ),
    fact!(
        "bytecodes",
        Kind::Count,
        Run,
        false,
        "bytecodes executed in all",
        |f, _| count(f.stats.bytecodes)
    ),
    fact!(
        "switches",
        Kind::Count,
        Run,
        false,
        "times the GIL changed hands",
        |f, _| count(f.stats.gil.switches)
    ),
    fact!(
        "switches_per_s",
        Kind::Rate,
        Run,
        false,
        "GIL switches per second of wall time",
        |f, _| number(f.stats.gil.switches_per_s)
    ),
    fact!(
        "forced_switches",
        Kind::Count,
        Run,
        false,
        "drops of the GIL forced by a drop request",
        |f, _| count(f.stats.gil.forced_switches)
    ),
    fact!(
        "drop_requests",
        Kind::Count,
        Run,
        false,
        "drop requests set by waiters whose wait timed out",
        |f, _| count(f.stats.gil.drop_requests)
    ),
    fact!(
        "futile",
        Kind::Count,
        Run,
        false,
        "old GIL: wake-ups that found the GIL taken again",
        |f, _| count(f.stats.gil.futile_wakeups)
    ),
    fact!(
        "retakes",
        Kind::Count,
        Run,
        false,
        "old GIL: releases at a tick check that the releaser took back itself",
        |f, _| count(f.stats.gil.retakes)
    ),
    fact!(
        "held_pct",
        Kind::Percent,
        Run,
        false,
        "the share of wall time the GIL was held",
        |f, _| number(f.stats.gil.held_fraction)
    ),
    fact!(
        "slice_p50",
        Kind::Duration,
        Run,
        false,
        "the median uninterrupted hold of the GIL",
        |f, _| summary(f.stats.gil.slice_ms, |s| s.p50)
    ),
    fact!(
        "gil_wait_p99",
        Kind::Duration,
        Run,
        false,
        "the 99th percentile of waits for the GIL",
        |f, _| summary(f.stats.gil.acquire_latency_ms, |s| s.p99)
    ),
    fact!(
        "io_ops",
        Kind::Count,
        Run,
        false,
        "io and sleep calls completed, every thread's",
        |f, _| count(f.stats.threads.iter().map(|t| t.io_ops).sum::<u64>())
    ),
    fact!(
        "io_latency",
        Kind::Duration,
        Run,
        false,
        "the mean I/O latency (from releasing the GIL for an io or sleep call until holding it again)",
        |f, _| summary(f.stats.io_latency_ms, |s| s.mean)
    ),
    fact!(
        "io_latency_p50",
        Kind::Duration,
        Run,
        false,
        "the median I/O latency",
        |f, _| summary(f.stats.io_latency_ms, |s| s.p50)
    ),
    fact!(
        "io_latency_p99",
        Kind::Duration,
        Run,
        false,
        "the 99th percentile of I/O latency",
        |f, _| summary(f.stats.io_latency_ms, |s| s.p99)
    ),
    fact!(
        "io_latency_max",
        Kind::Duration,
        Run,
        false,
        "the longest I/O latency",
        |f, _| summary(f.stats.io_latency_ms, |s| s.max)
    ),
    fact!(
        "resume_lag",
        Kind::Duration,
        Run,
        false,
        "the mean time from an io or sleep call completing until its thread (or task) runs again",
        |f, _| summary(f.stats.resume_lag_ms, |s| s.mean)
    ),
    fact!(
        "resume_lag_p50",
        Kind::Duration,
        Run,
        false,
        "the median of that lag",
        |f, _| summary(f.stats.resume_lag_ms, |s| s.p50)
    ),
    fact!(
        "resume_lag_p99",
        Kind::Duration,
        Run,
        false,
        "the 99th percentile of that lag",
        |f, _| summary(f.stats.resume_lag_ms, |s| s.p99)
    ),
    fact!(
        "resume_lag_max",
        Kind::Duration,
        Run,
        false,
        "the longest such lag",
        |f, _| summary(f.stats.resume_lag_ms, |s| s.max)
    ),
    fact!(
        "expected",
        Kind::Count,
        Counter,
        false,
        "increments of the shared counters; `expected.COUNTER`: of that counter",
        |f, c| f.counter_sum(c, |c| c.expected)
    ),
    fact!(
        "lost",
        Kind::Count,
        Counter,
        false,
        "updates lost to races; `lost.COUNTER`: of that counter",
        |f, c| f.counter_sum(c, |c| c.lost)
    ),
    fact!(
        "lost_pct",
        Kind::Percent,
        Counter,
        false,
        "lost updates as a share of the increments; `lost_pct.COUNTER`: of that counter",
        |f, c| {
            let expected: u64 = f.counters(c).map(|c| c.expected).sum();
            let lost: u64 = f.counters(c).map(|c| c.lost).sum();
            (expected > 0).then(|| Value::Number(lost as f64 / expected as f64))
        }
    ),
    fact!(
        "gil_returned",
        Kind::Bool,
        Run,
        false,
        "a free-threaded run whose GIL came back (an extension that does not declare support)",
        |f, _| bool(f.stats.gil_enabled && !f.trace.meta.config.gil_enabled())
    ),
    fact!(
        "gil_returned_at",
        Kind::Duration,
        Run,
        false,
        "when the GIL came back",
        |f, _| f.gil_returned_at().map(Value::Number)
    ),
    fact!(
        "warnings",
        Kind::Count,
        Run,
        false,
        "warnings the interpreter printed",
        |f, _| count(f.stats.warnings.len() as u64)
    ),
    fact!(
        "warning",
        Kind::Text,
        Run,
        false,
        "the first warning the interpreter printed",
        |f, _| f.stats.warnings.first().map(|w| Value::Word(w.clone()))
    ),
];

/// Older names of facts, still read in scenario files: `(old, current)`.
pub const RENAMED: &[(&str, &str)] = &[
    ("loop_lag", "resume_lag"),
    ("loop_lag_p99", "resume_lag_p99"),
];

/// The fact named `name` (or once named so).
pub fn fact(name: &str) -> Option<&'static Fact> {
    let name = RENAMED
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |(_, new)| new);
    FACTS.iter().find(|f| f.name == name)
}

/// A fact with its qualifier resolved: a group or counter index where the fact takes one.
#[derive(Debug, Clone, Copy)]
pub struct FactRef {
    /// The fact.
    pub fact: &'static Fact,
    /// The group or counter it is about, if qualified.
    pub index: Option<usize>,
}

impl PartialEq for FactRef {
    fn eq(&self, other: &Self) -> bool {
        self.fact.name == other.fact.name && self.index == other.index
    }
}

impl FactRef {
    /// The value in `run`, if the run has one (no I/O latency without I/O calls).
    pub fn value(&self, run: &RunFacts<'_>) -> Option<Value> {
        (self.fact.get)(run, self.index)
    }
}

/// One run, as the facts read it.
#[derive(Debug, Clone, Copy)]
pub struct RunFacts<'a> {
    /// The trace (settings, thread groups, warnings).
    pub trace: &'a Trace,
    /// Its stats.
    pub stats: &'a Stats,
    /// How far it got.
    pub state: RunState,
}

impl RunFacts<'_> {
    /// The scenario's threads (of `group`, or of all groups): an asyncio executor's workers,
    /// which belong to no group, are not the program's threads.
    fn thread_count(&self, group: Option<usize>) -> u64 {
        let groups = self.trace.meta.groups.len();
        self.trace
            .threads
            .iter()
            .filter(|t| group.map_or(t.group < groups, |g| t.group == g))
            .count() as u64
    }

    /// The threads that can be under way at once: all of them, but under a pool only as many
    /// as it has workers for (a worker runs its chunks of tasks one after another).
    fn at_once(&self) -> u64 {
        let threads = self.thread_count(None);
        if !self.stats.runtime.is_pool() {
            return threads;
        }
        let tasks = self.trace.threads.len();
        let plan = PoolPlan::new(&self.trace.meta.config, tasks);
        threads.min(plan.workers.min(plan.chunks(tasks)) as u64)
    }

    fn counters(&self, counter: Option<usize>) -> impl Iterator<Item = &CounterResult> {
        let name = counter.and_then(|c| self.trace.meta.counters.get(c));
        self.stats
            .counters
            .iter()
            .filter(move |c| name.is_none_or(|n| *n == c.name))
    }

    /// The sum of `field` over the counters (all, or the one named); `None` without any.
    fn counter_sum(
        &self,
        counter: Option<usize>,
        field: fn(&CounterResult) -> u64,
    ) -> Option<Value> {
        let mut any = false;
        let sum = self
            .counters(counter)
            .inspect(|_| any = true)
            .map(field)
            .sum::<u64>();
        any.then_some(Value::Number(sum as f64))
    }

    fn gil_returned_at(&self) -> Option<f64> {
        let returned = self.stats.gil_enabled && !self.trace.meta.config.gil_enabled();
        let first = self.trace.gil.spans.first().or(self.trace.gil.open);
        returned
            .then(|| first.map(|s| s.start as f64 / 1e6))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_fact() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split_once("### Narration")
            .map(|(_, rest)| rest)
            .expect("the README has a Narration section");
        for fact in FACTS {
            assert!(
                section.contains(&format!("`{}`", fact.name)),
                "the README's Narration section does not list `{}`",
                fact.name
            );
        }
        for (old, _) in RENAMED {
            assert!(section.contains(&format!("`{old}`")), "{old}");
        }
    }
}
