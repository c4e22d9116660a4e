//! Interpreter models and the resolved settings of one run.
//!
//! A scenario's `[settings]`, then any overrides from the CLI or the GUI, resolve into one
//! [`RunConfig`]; [`RunConfig::model`] says which rules of `gil-model.md` apply.

use crate::names::named_enum;
pub use crate::settings::Overrides;
use crate::size::format_bytes;
use crate::time::{MS, Nanos, SEC, US, format_nanos};
use crate::wake::WakeLatency;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A `CPython` version, major.minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PythonVersion {
    /// Major version (2 or 3).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl PythonVersion {
    /// Builds a version.
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }

    /// The default modelled version: a current `CPython`.
    pub const DEFAULT: Self = Self::new(3, 13);

    /// The first version with a free-threaded (`--disable-gil`) build.
    pub const FIRST_FREE_THREADED: Self = Self::new(3, 13);
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for PythonVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // On one line: a control character (a newline) is shown escaped.
        let shown: String = s
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_debug().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect();
        let bad = || {
            format!("python version \"{shown}\" is not a version like \"3.13\", \"3.9\" or \"2.7\"")
        };
        let (major, minor) = s.trim().split_once('.').ok_or_else(bad)?;
        let version = Self::new(
            major.parse().map_err(|_| bad())?,
            minor.parse().map_err(|_| bad())?,
        );
        let known = matches!(version.major, 2 if version.minor <= 7)
            || matches!(version.major, 3 if version.minor <= 15);
        if !known {
            return Err(format!(
                "python version \"{s}\" is not one gilscope models: use 2.7 or 3.0 to 3.15"
            ));
        }
        Ok(version)
    }
}

impl TryFrom<String> for PythonVersion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<PythonVersion> for String {
    fn from(v: PythonVersion) -> String {
        v.to_string()
    }
}

named_enum! {
    /// How the run's Python code is executed: threads in one interpreter, or an alternative.
    #[derive(Default)]
    pub enum Runtime ("runtime") {
        /// `threading.Thread`s in one interpreter (the GIL, or none when free-threaded).
        #[default]
        Threads = "threads",
        /// Tasks on one asyncio event loop.
        Asyncio = "asyncio",
        /// One process per thread, each with its own interpreter and GIL.
        Multiprocessing = "multiprocessing",
        /// One subinterpreter per thread, each with its own GIL (3.12+).
        Subinterpreters = "subinterpreters",
        /// `multiprocessing.Pool(workers).map` over the threads, now tasks: worker processes
        /// started at once, tasks and results pickled through pipes.
        Pool = "pool",
        /// `concurrent.futures.ProcessPoolExecutor(workers)`, one `submit` per thread (3.2+):
        /// a queue management thread and a feeder thread in the parent.
        ProcessPool = "process-pool",
        /// `concurrent.futures.ThreadPoolExecutor(workers)`, one `submit` per thread (3.2+):
        /// threads under the one GIL taking tasks from a queue.
        ThreadPool = "thread-pool",
    }
}

impl Runtime {
    /// Whether the scenario's threads are tasks submitted to a pool of workers.
    pub fn is_pool(self) -> bool {
        matches!(self, Self::Pool | Self::ProcessPool | Self::ThreadPool)
    }

    /// Whether the runtime runs Python in child processes (one interpreter and GIL each).
    pub fn uses_processes(self) -> bool {
        matches!(self, Self::Multiprocessing | Self::Pool | Self::ProcessPool)
    }

    /// Whether each thread (or each pool worker) has an interpreter of its own: its own
    /// globals and GIL, so that no two of them share a Python object (processes and
    /// subinterpreters); `false` when they share one interpreter's memory.
    pub fn separate_interpreters(self) -> bool {
        matches!(
            self,
            Self::Multiprocessing | Self::Subinterpreters | Self::Pool | Self::ProcessPool
        )
    }

    /// The pool's class as a program names it (`multiprocessing.Pool`), for a pool runtime.
    pub fn pool_class(self) -> Option<&'static str> {
        match self {
            Self::Pool => Some("multiprocessing.Pool"),
            Self::ProcessPool => Some("ProcessPoolExecutor"),
            Self::ThreadPool => Some("ThreadPoolExecutor"),
            Self::Threads | Self::Asyncio | Self::Multiprocessing | Self::Subinterpreters => None,
        }
    }

    /// What holds each of its GILs, for "one GIL per ...": a process, a pool's worker process,
    /// a subinterpreter, or the one interpreter.
    pub fn interpreter_kind(self) -> &'static str {
        match self {
            Self::Multiprocessing => "process",
            Self::Pool | Self::ProcessPool => "worker process",
            Self::Subinterpreters => "subinterpreter",
            Self::Threads | Self::Asyncio | Self::ThreadPool => "interpreter",
        }
    }

    /// The first version that has it, where that is later than every version modelled.
    pub fn first_version(self) -> Option<PythonVersion> {
        match self {
            Self::Subinterpreters => Some(PythonVersion::new(3, 12)),
            Self::ProcessPool | Self::ThreadPool => Some(PythonVersion::new(3, 2)),
            Self::Asyncio => Some(PythonVersion::new(3, 4)),
            Self::Threads | Self::Multiprocessing | Self::Pool => None,
        }
    }
}

named_enum! {
    /// Which waiter the OS lets win when the GIL is released (`gil-model.md` rule 6).
    #[derive(Default)]
    pub enum SuccessorPolicy ("successor policy") {
        /// A seeded random choice among the threads waiting on `cond`.
        #[default]
        Random = "random",
        /// The thread that has waited longest.
        Fifo = "fifo",
        /// A waiter whose last core is idle, as a scheduler keeping cache affinity would pick.
        Affinity = "affinity",
    }
}

named_enum! {
    /// How `multiprocessing` starts a process (gil-model.md rule 21).
    pub enum StartMethod ("start method") {
        /// `os.fork()`: ~1–2 ms, the Linux default through 3.13.
        Fork = "fork",
        /// A fresh interpreter: ~50 ms, the default on macOS and Windows.
        Spawn = "spawn",
        /// Fork from a server started once (~50 ms), the Linux default from 3.14.
        Forkserver = "forkserver",
    }
}

impl StartMethod {
    /// The default of `python` on Linux.
    pub fn linux_default(python: PythonVersion) -> Self {
        if python >= PythonVersion::new(3, 14) {
            Self::Forkserver
        } else {
            Self::Fork
        }
    }
}

/// The rules that govern a run (which section of `gil-model.md` applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// The old tick-based GIL (2.7, 3.0, 3.1): release and re-acquire every `check_interval`
    /// ticks, no drop request, no forced switch.
    OldGil,
    /// The new GIL (3.2+) with check points only at back-edges, function entry and after calls
    /// into C (3.10 and later).
    NewGil310,
    /// The new GIL with a check point before nearly every instruction (3.2 to 3.9).
    NewGil32,
    /// No GIL: a free-threaded build with the GIL disabled.
    FreeThreaded,
}

impl Model {
    /// Whether threads contend for a GIL under this model.
    pub fn has_gil(self) -> bool {
        !matches!(self, Self::FreeThreaded)
    }
}

/// Every setting of one run, resolved and validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunConfig {
    /// The `CPython` version modelled.
    pub python: PythonVersion,
    /// A `--disable-gil` build.
    pub free_threaded: bool,
    /// `PYTHON_GIL`: `Some(true)` forces the GIL on in a free-threaded build.
    pub gil_override: Option<bool>,
    /// `sys.setswitchinterval`, in whole microseconds as `CPython` stores it (at least 1).
    pub switch_interval_us: u64,
    /// Cores the OS may run threads on.
    pub cores: u32,
    /// Stop after this much virtual time, if set.
    pub duration: Option<Nanos>,
    /// Seed of every random choice (successor policy, race jitter).
    pub seed: u64,
    /// Time from a blocked thread being woken to it being able to run: its median.
    pub wake_latency: Nanos,
    /// Its 1st percentile.
    pub wake_latency_p1: Nanos,
    /// Its 90th percentile.
    pub wake_latency_p90: Nanos,
    /// Its 99th percentile.
    pub wake_latency_p99: Nanos,
    /// Its 99.9th percentile.
    pub wake_latency_p999: Nanos,
    /// The OS scheduler's time slice when runnable threads outnumber cores.
    pub time_slice: Nanos,
    /// How much more CPU than a woken thread an occupant must have used to be preempted by it.
    pub wakeup_granularity: Nanos,
    /// What waking a blocked thread costs the waker (a futex wake system call).
    pub futex_wake: Nanos,
    /// Moving one cache line between two cores.
    pub cache_line_transfer: Nanos,
    /// A system call that does not block (`sleep(0)` up to 3.10).
    pub syscall: Nanos,
    /// The OS timer slack added to every sleep (and all of `sleep(0)` from 3.11).
    pub timer_slack: Nanos,
    /// Time between two `Thread.start()` calls of the main thread.
    pub thread_start: Nanos,
    /// Who wins the GIL when it is released.
    pub successor: SuccessorPolicy,
    /// Cost of one bytecode on a default build, in nanoseconds.
    pub bytecode_ns: f64,
    /// Extra single-thread cost of a free-threaded build (0.4 = 40% slower).
    pub free_threaded_overhead: f64,
    /// How the threads are run.
    pub runtime: Runtime,
    /// Old GIL: ticks (bytecodes) between forced release-and-reacquire (`sys.setcheckinterval`).
    pub check_interval: u64,
    /// multiprocessing: how processes start.
    pub start_method: StartMethod,
    /// Pools: the workers asked for (`Pool(workers)`, `max_workers`); `None` is the pool's
    /// default, see [`RunConfig::pool_workers`].
    pub workers: Option<u32>,
    /// Subinterpreters: cost of creating one interpreter.
    pub interpreter_start: Nanos,
    /// multiprocessing with fork: the parent's cost of starting one child.
    pub fork_start: Nanos,
    /// multiprocessing: a fresh interpreter's boot (spawn; a forkserver's server).
    pub spawn_start: Nanos,
    /// A fresh interpreter's import of the program's main module: a child forked from a
    /// forkserver, and a subinterpreter before its lane runs.
    pub main_import: Nanos,
    /// The most events a simulated run may process.
    pub max_events: u64,
    /// The most virtual time (real time, live) a run may last.
    pub max_virtual_time: Nanos,
    /// The most bytes a run's trace may hold.
    pub memory_budget: u64,
    /// The most bytes an exported trace may take.
    pub export_budget: u64,
}

/// Default of `switch_interval`: `CPython`'s `sys.getswitchinterval()`, 5 ms.
pub const DEFAULT_SWITCH_INTERVAL: Nanos = 5 * MS;
/// Default of `check_interval` (the old GIL): `sys.getcheckinterval()`, 100 ticks.
pub const DEFAULT_CHECK_INTERVAL: u64 = 100;
/// The largest `check_interval` a run may have.
pub const MAX_CHECK_INTERVAL: u64 = 1_000_000;

/// Default of `max_events`: about a second of simulating and 100 MB of trace on a laptop
/// (a run refused at ten million took 2-4 s and 210-230 MB on the 2-core development
/// machine), twice what the largest preset needs (`old-gil`, 1.2 million).
pub const DEFAULT_MAX_EVENTS: u64 = 5_000_000;
/// Default of `max_virtual_time`: an hour.
pub const DEFAULT_MAX_VIRTUAL_TIME: Nanos = 3_600 * SEC;
/// Default of `memory_budget`: fits a laptop, and the largest preset's trace with room to spare.
pub const DEFAULT_MEMORY_BUDGET: u64 = 512_000_000;
/// Default of `export_budget`: a file Perfetto and `chrome://tracing` open without trouble.
pub const DEFAULT_EXPORT_BUDGET: u64 = 100_000_000;

/// The most workers a pool may have.
pub const MAX_WORKERS: u32 = 256;

/// Why a set of settings cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A setting has a value outside what is allowed.
    #[error("setting `{field}` = {value}: {allowed}")]
    Invalid {
        /// The setting's name, as written in scenario files.
        field: &'static str,
        /// The bad value, as the user wrote it.
        value: String,
        /// What is allowed instead.
        allowed: String,
    },
    /// A combination that the modelled interpreter also refuses, or that is not modelled yet.
    #[error("{0}")]
    Unsupported(String),
}

fn invalid(
    field: &'static str,
    value: impl fmt::Display,
    allowed: impl Into<String>,
) -> ConfigError {
    ConfigError::Invalid {
        field,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

impl Overrides {
    /// Resolves into a validated [`RunConfig`], filling gaps with the documented defaults.
    pub fn resolve(&self) -> Result<RunConfig, ConfigError> {
        let python = self.python.unwrap_or(PythonVersion::DEFAULT);
        let free_threaded = self.free_threaded.unwrap_or(false);
        let runtime = self.runtime.unwrap_or_default();
        check_runtime(runtime, python)?;
        check_start_method(self.start_method, runtime, python)?;
        let check_interval = self.check_interval.unwrap_or(DEFAULT_CHECK_INTERVAL);
        if !(1..=MAX_CHECK_INTERVAL).contains(&check_interval) {
            return Err(invalid(
                "check_interval",
                check_interval,
                "between 1 and 1000000 ticks (sys.setcheckinterval; the default is 100)",
            ));
        }
        self.check_build(python, free_threaded)?;
        let switch_interval_us = self.switch_interval_us()?;
        let cores = self.cores.unwrap_or(2);
        if !(1..=256).contains(&cores) {
            return Err(invalid("cores", cores, "between 1 and 256"));
        }
        if self.duration == Some(0) {
            return Err(invalid("duration", "0", "more than 0, e.g. \"2s\""));
        }
        let bytecode_ns = self.bytecode_ns.unwrap_or(5.0);
        if !(0.05..=10_000.0).contains(&bytecode_ns) {
            return Err(invalid(
                "bytecode_ns",
                bytecode_ns,
                "between 0.05 and 10000 nanoseconds per bytecode",
            ));
        }
        let default_overhead = if python >= PythonVersion::new(3, 14) {
            0.08
        } else {
            0.40
        };
        let free_threaded_overhead = self.free_threaded_overhead.unwrap_or(default_overhead);
        if !(0.0..=10.0).contains(&free_threaded_overhead) {
            return Err(invalid(
                "free_threaded_overhead",
                free_threaded_overhead,
                "a fraction between 0 and 10 (0.4 means 40% slower than a default build)",
            ));
        }
        let time_slice = self.time_slice.unwrap_or(3 * MS);
        if time_slice < US {
            return Err(invalid(
                "time_slice",
                format_nanos(time_slice),
                "at least 1us",
            ));
        }
        let limits = self.limits()?;
        let wake = self.wake_latency()?;
        Ok(RunConfig {
            python,
            free_threaded,
            gil_override: self.gil,
            switch_interval_us,
            cores,
            duration: self.duration,
            seed: self.seed.unwrap_or(1),
            wake_latency: wake.median,
            wake_latency_p1: wake.p1,
            wake_latency_p90: wake.p90,
            wake_latency_p99: wake.p99,
            wake_latency_p999: wake.p999,
            time_slice,
            wakeup_granularity: self.wakeup_granularity.unwrap_or(MS),
            futex_wake: self.futex_wake.unwrap_or(2 * US),
            cache_line_transfer: self.cache_line_transfer.unwrap_or(85),
            syscall: self.syscall.unwrap_or(300),
            timer_slack: self.timer_slack.unwrap_or(50 * US),
            thread_start: self.thread_start.unwrap_or(40 * US),
            successor: self.successor.unwrap_or_default(),
            bytecode_ns,
            free_threaded_overhead,
            runtime,
            check_interval,
            start_method: self
                .start_method
                .unwrap_or_else(|| StartMethod::linux_default(python)),
            workers: self.workers()?,
            interpreter_start: self.interpreter_start.unwrap_or_else(|| {
                if python >= PythonVersion::new(3, 13) {
                    15 * MS
                } else {
                    11 * MS
                }
            }),
            fork_start: self.fork_start.unwrap_or(1_500 * US),
            spawn_start: self.spawn_start.unwrap_or(55 * MS),
            main_import: self.main_import.unwrap_or(20 * MS),
            max_events: limits.0,
            max_virtual_time: limits.1,
            memory_budget: limits.2,
            export_budget: limits.3,
        })
    }

    /// A free-threaded build needs 3.13, and `PYTHON_GIL=0` a free-threaded build.
    fn check_build(&self, python: PythonVersion, free_threaded: bool) -> Result<(), ConfigError> {
        if free_threaded && python < PythonVersion::FIRST_FREE_THREADED {
            return Err(invalid(
                "free_threaded",
                format!("true with python {python}"),
                "free-threaded builds (--disable-gil) exist from Python 3.13 on: choose python = \"3.13\" or later",
            ));
        }
        if self.gil == Some(false) && !free_threaded {
            return Err(invalid(
                "gil",
                0,
                "PYTHON_GIL=0 is only valid in a free-threaded build (the real interpreter stops with \"Fatal Python error: config_read_gil: Disabling the GIL is not supported by this build\"): set free_threaded = true or leave gil out",
            ));
        }
        Ok(())
    }

    /// The wake-up latency's quantiles: the median given or 5 µs, and each other quantile given
    /// or a multiple of the median (0.85 for p1, 1.2, 1.8 and 6 for p90, p99 and p99.9, from the
    /// quiet measurement in `gil-model.md` rule 24, or the quantile below if that is higher);
    /// each at least the one below.
    fn wake_latency(&self) -> Result<WakeLatency, ConfigError> {
        let median = self.wake_latency.unwrap_or(5 * US);
        let multiple = |hundredths: u64| median.saturating_mul(hundredths) / 100;
        // A quantile not given is its multiple of the median, or the one below it if higher
        // (p1: the median, if lower).
        let p1 = self.wake_latency_p1.unwrap_or_else(|| multiple(85));
        let p90 = self.wake_latency_p90.unwrap_or_else(|| multiple(120));
        let p99 = self
            .wake_latency_p99
            .unwrap_or_else(|| multiple(180).max(p90));
        let p999 = self
            .wake_latency_p999
            .unwrap_or_else(|| multiple(600).max(p99));
        let wake = WakeLatency {
            p1,
            median,
            p90,
            p99,
            p999,
        };
        if p1 > median {
            return Err(invalid(
                "wake_latency_p1",
                format_nanos(p1),
                format!(
                    "at most wake_latency (the median), which is {}{}: a lower quantile of the wake-up latency cannot be longer than a higher one",
                    format_nanos(median),
                    if self.wake_latency.is_some() {
                        ""
                    } else {
                        " (the default)"
                    }
                ),
            ));
        }
        // Each quantile against the one below it, and how that one came about.
        let given = |set: Option<Nanos>, default: &str| {
            if set.is_some() {
                String::new()
            } else {
                format!(" ({default})")
            }
        };
        let steps = [
            (
                "wake_latency_p90",
                wake.p90,
                "wake_latency (the median)",
                wake.median,
                given(self.wake_latency, "the default"),
            ),
            (
                "wake_latency_p99",
                wake.p99,
                "wake_latency_p90",
                wake.p90,
                given(self.wake_latency_p90, "by default 1.2 × wake_latency"),
            ),
            (
                "wake_latency_p999",
                wake.p999,
                "wake_latency_p99",
                wake.p99,
                given(
                    self.wake_latency_p99,
                    "by default 1.8 × wake_latency, or wake_latency_p90 if higher",
                ),
            ),
        ];
        for (field, value, below, floor, how) in steps {
            if value < floor {
                return Err(invalid(
                    field,
                    format_nanos(value),
                    format!(
                        "at least {below}, which is {}{how}: a higher quantile of the wake-up latency cannot be shorter than a lower one",
                        format_nanos(floor)
                    ),
                ));
            }
        }
        Ok(wake)
    }

    /// A pool's worker count, 1 to 256, if given.
    fn workers(&self) -> Result<Option<u32>, ConfigError> {
        match self.workers {
            Some(w) if !(1..=MAX_WORKERS).contains(&w) => Err(invalid(
                "workers",
                w,
                "between 1 and 256 workers (Pool(0) and max_workers=0 raise ValueError)",
            )),
            w => Ok(w),
        }
    }

    /// `sys.setswitchinterval` as `CPython` stores it: whole microseconds, at least 1.
    fn switch_interval_us(&self) -> Result<u64, ConfigError> {
        let interval = self.switch_interval.unwrap_or(DEFAULT_SWITCH_INTERVAL);
        if interval == 0 {
            return Err(invalid(
                "switch_interval",
                "0",
                "must be strictly positive, as sys.setswitchinterval raises ValueError for 0; the smallest effective value is 1us",
            ));
        }
        if interval > 10_000 * MS {
            return Err(invalid(
                "switch_interval",
                format_nanos(interval),
                "at most 10s",
            ));
        }
        // CPython stores whole microseconds and never waits less than 1 µs.
        Ok((interval / US).max(1))
    }

    /// `max_events`, `max_virtual_time`, `memory_budget` and `export_budget`, checked, and the
    /// duration within the virtual time allowed.
    fn limits(&self) -> Result<(u64, Nanos, u64, u64), ConfigError> {
        let max_events = self.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
        if !(1_000..=10_000_000_000).contains(&max_events) {
            return Err(invalid(
                "max_events",
                max_events,
                "between 1000 and 10000000000 events",
            ));
        }
        let max_virtual_time = self.max_virtual_time.unwrap_or(DEFAULT_MAX_VIRTUAL_TIME);
        if max_virtual_time < US {
            return Err(invalid(
                "max_virtual_time",
                format_nanos(max_virtual_time),
                "at least 1us (and at most 86400s)",
            ));
        }
        let memory_budget = self.memory_budget.unwrap_or(DEFAULT_MEMORY_BUDGET);
        if !(1_000_000..=1_000_000_000_000).contains(&memory_budget) {
            return Err(invalid(
                "memory_budget",
                format_bytes(memory_budget),
                "between 1MB and 1TB",
            ));
        }
        let export_budget = self.export_budget.unwrap_or(DEFAULT_EXPORT_BUDGET);
        if !(1_000_000..=1_000_000_000_000).contains(&export_budget) {
            return Err(invalid(
                "export_budget",
                format_bytes(export_budget),
                "between 1MB and 1TB",
            ));
        }
        if let Some(duration) = self.duration
            && duration > max_virtual_time
        {
            return Err(invalid(
                "duration",
                format_nanos(duration),
                format!(
                    "at most max_virtual_time, {}: raise that limit too (max_virtual_time in [settings], or --max-virtual-time)",
                    format_nanos(max_virtual_time)
                ),
            ));
        }
        Ok((max_events, max_virtual_time, memory_budget, export_budget))
    }
}

/// The runtime must exist in the modelled version, and be modelled.
fn check_runtime(runtime: Runtime, python: PythonVersion) -> Result<(), ConfigError> {
    match runtime.first_version() {
        Some(first) if python < first => Err(invalid(
            "runtime",
            format!("\"{runtime}\""),
            format!(
                "{}, not {python}: choose python = \"{first}\" or later",
                missing_runtime(runtime)
            ),
        )),
        _ => Ok(()),
    }
}

/// Why a version before the runtime's first lacks it.
pub fn missing_runtime(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::Subinterpreters => {
            "interpreters with their own GIL exist from Python 3.12 on (PEP 684)"
        }
        Runtime::ProcessPool | Runtime::ThreadPool => {
            "concurrent.futures exists from Python 3.2 on (PEP 3148)"
        }
        Runtime::Asyncio => "asyncio exists from Python 3.4 on (PEP 3156)",
        Runtime::Threads | Runtime::Multiprocessing | Runtime::Pool => {
            "every modelled version has it"
        }
    }
}

/// A start method other than fork must exist in the modelled version when processes are
/// started: `multiprocessing.set_start_method` and spawn and forkserver on Linux came in 3.4,
/// and before that a process on Linux is always forked.
fn check_start_method(
    method: Option<StartMethod>,
    runtime: Runtime,
    python: PythonVersion,
) -> Result<(), ConfigError> {
    let first = PythonVersion::new(3, 4);
    match method {
        Some(method)
            if method != StartMethod::Fork && runtime.uses_processes() && python < first =>
        {
            Err(invalid(
                "start_method",
                format!("\"{method}\""),
                format!(
                    "start methods other than fork exist from Python 3.4 on (multiprocessing.set_start_method), not {python}: choose start_method = \"fork\" or python = \"{first}\" or later"
                ),
            ))
        }
        _ => Ok(()),
    }
}

impl RunConfig {
    /// The OS wake-up latency's distribution (`gil-model.md` rule 24).
    pub fn wake_distribution(&self) -> WakeLatency {
        WakeLatency {
            p1: self.wake_latency_p1,
            median: self.wake_latency,
            p90: self.wake_latency_p90,
            p99: self.wake_latency_p99,
            p999: self.wake_latency_p999,
        }
    }

    /// Whether the GIL is on: always on a default build; on a free-threaded build only when
    /// `PYTHON_GIL=1` forces it.
    pub fn gil_enabled(&self) -> bool {
        !self.free_threaded || self.gil_override == Some(true)
    }

    /// The rules this run follows.
    pub fn model(&self) -> Model {
        if !self.gil_enabled() {
            Model::FreeThreaded
        } else if self.python < PythonVersion::new(3, 2) {
            Model::OldGil
        } else if self.python >= PythonVersion::new(3, 10) {
            Model::NewGil310
        } else {
            Model::NewGil32
        }
    }

    /// A pool's workers: the count asked for, else the pool's own default on a machine with
    /// `cores` cores: `os.cpu_count()` for `Pool` and `ProcessPoolExecutor`,
    /// `min(32, os.cpu_count() + 4)` for `ThreadPoolExecutor` from 3.8 (`cpu_count() * 5`
    /// before; `Lib/concurrent/futures/thread.py`). 0 for a runtime that is not a pool.
    pub fn pool_workers(&self) -> u32 {
        match self.runtime {
            Runtime::Pool | Runtime::ProcessPool => self.workers.unwrap_or(self.cores),
            Runtime::ThreadPool => self.workers.unwrap_or_else(|| {
                if self.python >= PythonVersion::new(3, 8) {
                    (self.cores + 4).min(32)
                } else {
                    self.cores * 5
                }
            }),
            Runtime::Threads
            | Runtime::Asyncio
            | Runtime::Multiprocessing
            | Runtime::Subinterpreters => 0,
        }
    }

    /// The switch interval in nanoseconds.
    pub fn switch_interval(&self) -> Nanos {
        self.switch_interval_us * US
    }

    /// Cost of one bytecode in picoseconds, including the free-threaded build's overhead.
    pub fn bytecode_ps(&self) -> u64 {
        let factor = if self.free_threaded {
            1.0 + self.free_threaded_overhead
        } else {
            1.0
        };
        ((self.bytecode_ns * factor * 1000.0).round() as u64).max(1)
    }

    /// A one-line description: "Python 3.13, GIL, 5.00 ms interval, 2 cores".
    pub fn describe(&self) -> String {
        let build = match (self.free_threaded, self.gil_enabled()) {
            _ if self.model() == Model::OldGil => {
                format!("old GIL, check interval {} ticks", self.check_interval)
            }
            (false, _) => "GIL".to_owned(),
            (true, false) => "free-threaded".to_owned(),
            (true, true) => "free-threaded build, PYTHON_GIL=1".to_owned(),
        };
        let runtime = match self.runtime {
            Runtime::Threads => String::new(),
            Runtime::Asyncio => "asyncio, ".to_owned(),
            Runtime::Multiprocessing => {
                format!("multiprocessing ({}), ", self.start_method)
            }
            Runtime::Subinterpreters => "subinterpreters, ".to_owned(),
            Runtime::Pool => format!("Pool of {} ({}), ", self.pool_workers(), self.start_method),
            Runtime::ProcessPool => format!(
                "ProcessPoolExecutor (max_workers {}, {}), ",
                self.pool_workers(),
                self.start_method
            ),
            Runtime::ThreadPool => {
                format!("ThreadPoolExecutor (max_workers {}), ", self.pool_workers())
            }
        };
        let interval = if self.model() == Model::OldGil {
            String::new()
        } else {
            format!(", {} interval", format_nanos(self.switch_interval()))
        };
        format!(
            "{runtime}Python {}, {build}{interval}, {} core{}",
            self.python,
            self.cores,
            if self.cores == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut Overrides)) -> Result<RunConfig, ConfigError> {
        let mut o = Overrides::default();
        f(&mut o);
        o.resolve()
    }

    #[test]
    fn defaults_follow_gil_model_table() {
        let c = with(|_| {}).unwrap();
        assert_eq!(c.switch_interval(), 5 * MS);
        assert_eq!(c.model(), Model::NewGil310);
        assert!(c.gil_enabled());
    }

    #[test]
    fn switch_interval_is_whole_microseconds_at_least_one() {
        assert_eq!(
            with(|o| o.switch_interval = Some(500))
                .unwrap()
                .switch_interval_us,
            1
        );
        assert_eq!(
            with(|o| o.switch_interval = Some(1_999))
                .unwrap()
                .switch_interval_us,
            1
        );
        let err = with(|o| o.switch_interval = Some(0))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("switch_interval") && err.contains("ValueError"),
            "{err}"
        );
    }

    #[test]
    fn free_threading_needs_313_and_gil_override_works() {
        let err = with(|o| {
            o.python = Some(PythonVersion::new(3, 12));
            o.free_threaded = Some(true);
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("3.13"), "{err}");
        let ft = with(|o| o.free_threaded = Some(true)).unwrap();
        assert_eq!(ft.model(), Model::FreeThreaded);
        assert!((ft.free_threaded_overhead - 0.4).abs() < 1e-9);
        let forced = with(|o| {
            o.free_threaded = Some(true);
            o.gil = Some(true);
        })
        .unwrap();
        assert_eq!(forced.model(), Model::NewGil310);
        assert!(with(|o| o.gil = Some(false)).is_err());
    }

    #[test]
    fn the_wake_up_quantiles_scale_with_the_median_and_rise() {
        let defaults = with(|_| {}).unwrap().wake_distribution();
        assert_eq!(
            (
                defaults.p1,
                defaults.median,
                defaults.p90,
                defaults.p99,
                defaults.p999
            ),
            (4_250, 5 * US, 6 * US, 9 * US, 30 * US)
        );
        let err = with(|o| o.wake_latency_p1 = Some(6 * US))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("wake_latency_p1")
                && err
                    .contains("at most wake_latency (the median), which is 5.00 µs (the default)"),
            "{err}"
        );
        let scaled = with(|o| o.wake_latency = Some(10 * US))
            .unwrap()
            .wake_distribution();
        assert_eq!((scaled.p90, scaled.p999), (12 * US, 60 * US));
        // A p90 above the default p99 lifts the quantiles not given.
        let wide = with(|o| o.wake_latency_p90 = Some(20 * US))
            .unwrap()
            .wake_distribution();
        assert_eq!((wide.p99, wide.p999), (20 * US, 30 * US));
        let err = with(|o| o.wake_latency_p90 = Some(3 * US))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("wake_latency_p90")
                && err.contains("3.00 µs")
                && err
                    .contains("at least wake_latency (the median), which is 5.00 µs (the default)"),
            "{err}"
        );
        let err = with(|o| {
            o.wake_latency_p99 = Some(8 * US);
            o.wake_latency_p999 = Some(7 * US);
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("wake_latency_p999")
                && err.contains("wake_latency_p99, which is 8.00 µs:"),
            "{err}"
        );
    }

    #[test]
    fn old_versions_and_runtimes_are_refused_clearly() {
        assert_eq!(
            with(|o| o.python = Some("2.7".parse().unwrap()))
                .unwrap()
                .model(),
            Model::OldGil
        );
        let err = with(|o| {
            o.python = Some("3.11".parse().unwrap());
            o.runtime = Some(Runtime::Subinterpreters);
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("3.12"), "{err}");
        assert!(with(|o| o.runtime = Some(Runtime::Asyncio)).is_ok());
        assert_eq!(
            with(|o| o.python = Some("3.9".parse().unwrap()))
                .unwrap()
                .model(),
            Model::NewGil32
        );
        assert!("3.99".parse::<PythonVersion>().is_err());
        assert!("three".parse::<PythonVersion>().is_err());
    }
}
