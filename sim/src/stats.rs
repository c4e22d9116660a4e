//! Stats of a run, computed from its trace alone, so every engine gets the same numbers.
//! The serialized form is the `gilscope run --json` schema (field names are fixed).

use crate::meta::EngineKind;
use crate::model::{PythonVersion, Runtime};
use crate::time::Nanos;
use crate::trace::{CounterResult, Lane, MarkerKind, NONE, ThreadInfo, ThreadState, Trace};
use serde::Serialize;

/// Mean and percentiles of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Summary {
    /// Summarizes durations in nanoseconds (nearest-rank percentiles); `None` if empty.
    pub fn of(mut values: Vec<Nanos>) -> Option<Summary> {
        Self::of_slice(&mut values)
    }

    /// [`Summary::of`] in place: the values are left reordered.
    pub fn of_slice(values: &mut [Nanos]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let ms = |v: Nanos| v as f64 / 1e6;
        let len = values.len();
        let rank = |p: f64| ((p * len as f64).ceil() as usize).clamp(1, len) - 1;
        let (i50, i90, i99) = (rank(0.50), rank(0.90), rank(0.99));
        let total: u128 = values.iter().map(|&v| u128::from(v)).sum();
        let max = values.iter().copied().max()?;
        // Order statistics from the top down, without sorting: each selection leaves the values
        // ranked below it on its left, where the next one is selected.
        let p99 = *values.select_nth_unstable(i99).1;
        let p90 = *values[..=i99].select_nth_unstable(i90).1;
        let p50 = *values[..=i90].select_nth_unstable(i50).1;
        Some(Summary {
            mean: total as f64 / len as f64 / 1e6,
            p50: ms(p50),
            p90: ms(p90),
            p99: ms(p99),
            max: ms(max),
        })
    }
}

/// Time a thread spent in each state, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct StateTimes {
    /// Running bytecode.
    pub running: f64,
    /// Waiting for the GIL.
    pub waiting_gil: f64,
    /// Forced off, waiting on `switch_cond`.
    pub forced_off: f64,
    /// In I/O or sleep, asleep in the kernel.
    pub io: f64,
    /// In system calls that did not block (on a core, GIL released).
    pub syscall: f64,
    /// Woken by the OS after a blocking call, not running yet.
    pub waking: f64,
    /// In C calls (with or without the GIL).
    pub c_call: f64,
    /// Blocked on a lock.
    pub lock: f64,
    /// Runnable with no free core.
    pub runnable: f64,
    /// asyncio: ready, waiting for the event loop.
    pub ready: f64,
    /// Old GIL: releasing and signalling a waiter (the GIL's overhead).
    pub signalling: f64,
    /// Free-threaded: running Python slowed by contention for a shared object.
    pub contended: f64,
    /// Paused by a stop-the-world.
    pub paused: f64,
    /// Running the garbage collector.
    pub collecting: f64,
    /// A process or subinterpreter booting its interpreter before its program.
    pub starting: f64,
    /// A pool's task waiting for a worker.
    pub queued: f64,
    /// Pickling or unpickling a message for another interpreter.
    pub pickling: f64,
    /// The part of `c_call` spent in C calls that kept the GIL.
    pub c_call_holding: f64,
}

impl StateTimes {
    /// Times from nanoseconds per state, indexed by `ThreadState as usize`.
    fn from_nanos(ns: &[Nanos; ThreadState::ALL.len()]) -> StateTimes {
        let of = |s: ThreadState| ms(ns[s as usize]);
        StateTimes {
            running: of(ThreadState::Running),
            waiting_gil: of(ThreadState::WaitingGil),
            forced_off: of(ThreadState::ForcedOff),
            io: of(ThreadState::Io),
            syscall: of(ThreadState::Syscall),
            waking: of(ThreadState::Waking),
            c_call: ms(
                ns[ThreadState::CCallReleased as usize] + ns[ThreadState::CCallHolding as usize]
            ),
            lock: of(ThreadState::Lock),
            runnable: of(ThreadState::Runnable),
            ready: of(ThreadState::Ready),
            signalling: of(ThreadState::Signalling),
            contended: of(ThreadState::Contended),
            paused: of(ThreadState::Paused),
            collecting: of(ThreadState::Collecting),
            starting: of(ThreadState::Starting),
            queued: of(ThreadState::Queued),
            pickling: of(ThreadState::Pickling),
            c_call_holding: of(ThreadState::CCallHolding),
        }
    }

    /// The time in `state` (none in [`ThreadState::Done`]): the one mapping from states to
    /// these fields.
    pub fn of(&self, state: ThreadState) -> f64 {
        match state {
            ThreadState::Running => self.running,
            ThreadState::WaitingGil => self.waiting_gil,
            ThreadState::ForcedOff => self.forced_off,
            ThreadState::Io => self.io,
            ThreadState::Syscall => self.syscall,
            ThreadState::Waking => self.waking,
            ThreadState::CCallReleased => (self.c_call - self.c_call_holding).max(0.0),
            ThreadState::CCallHolding => self.c_call_holding,
            ThreadState::Lock => self.lock,
            ThreadState::Runnable => self.runnable,
            ThreadState::Ready => self.ready,
            ThreadState::Signalling => self.signalling,
            ThreadState::Contended => self.contended,
            ThreadState::Paused => self.paused,
            ThreadState::Collecting => self.collecting,
            ThreadState::Starting => self.starting,
            ThreadState::Queued => self.queued,
            ThreadState::Pickling => self.pickling,
            ThreadState::Done => 0.0,
        }
    }

    /// The sum of all states: the thread's lifetime.
    pub fn total(&self) -> f64 {
        ThreadState::ALL.iter().map(|&s| self.of(s)).sum()
    }
}

/// Per-thread stats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadStats {
    /// `name` or `name-K`.
    pub name: String,
    /// When it finished, if it did.
    pub finished_ms: Option<f64>,
    /// Bytecodes it executed.
    pub bytecodes: u64,
    /// Time in each state.
    pub state_ms: StateTimes,
    /// `io` and `sleep` calls completed, each call once, blocking or not (and between
    /// processes, the pipe write of each `send`); not one cut by the end of the run, nor an
    /// asyncio task's await of an executor's job.
    pub io_ops: u64,
    /// From releasing the GIL for an `io`/`sleep` until holding it again.
    pub io_latency_ms: Option<Summary>,
    /// Completed I/O operations per second of the thread's lifetime.
    pub io_ops_per_s: f64,
    /// From each `io`/`sleep` completing until the thread runs again: the GIL convoy under
    /// threads, the event loop's lag under asyncio.
    pub resume_lag_ms: Option<Summary>,
    /// Time lost to contention for shared objects: its contended time less what its bytecodes
    /// there would have taken alone.
    pub contention_ms: f64,
}

/// GIL stats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GilStats {
    /// Times the holder changed.
    pub switches: u64,
    /// Drops forced by a drop request.
    pub forced_switches: u64,
    /// Drop requests set by waiters whose wait timed out.
    pub drop_requests: u64,
    /// Old GIL: wake-ups that found the GIL taken again.
    pub futile_wakeups: u64,
    /// Old GIL: releases at a tick check that the releaser took back itself. No switch (the
    /// holder did not change), so a trace of a real interpreter cannot see them.
    pub retakes: u64,
    /// Switches per second of wall time.
    pub switches_per_s: f64,
    /// Fraction of wall time the GIL was held.
    pub held_fraction: f64,
    /// Lengths of uninterrupted holds.
    pub slice_ms: Option<Summary>,
    /// From a thread starting to want the GIL until it holds it.
    pub acquire_latency_ms: Option<Summary>,
    /// Time the GIL sat free while some thread was waiting for it: the cost of handoffs
    /// (the waker's OS wake-up latency, waiting for a core), in milliseconds.
    pub handoff_ms: f64,
}

/// Everything `gilscope run --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// The scenario's name.
    pub scenario: String,
    /// The engine that produced the trace.
    pub engine: EngineKind,
    /// How the threads ran: `"threads"`, `"asyncio"`, `"multiprocessing"` or
    /// `"subinterpreters"`.
    pub runtime: Runtime,
    /// Interpreters (each with its own GIL and memory): 1 for threads, one per process or
    /// subinterpreter otherwise — the memory-like cost of the choice.
    pub interpreters: u32,
    /// Estimated resident memory of the run's interpreters and threads, in MiB, from baselines
    /// measured on the local interpreters, by version (`engine::memory::resident_mib`).
    pub resident_mib: f64,
    /// Python version modelled.
    pub python: PythonVersion,
    /// A free-threaded build.
    pub free_threaded: bool,
    /// Whether the GIL was on.
    pub gil_enabled: bool,
    /// The switch interval.
    pub switch_interval_us: u64,
    /// Cores.
    pub cores: u32,
    /// Seed.
    pub seed: u64,
    /// Time until the run ended.
    pub wall_ms: f64,
    /// Bytecodes executed in total.
    pub bytecodes: u64,
    /// Time threads spent executing on cores (bytecode or C).
    pub cpu_ms: f64,
    /// `cpu_ms / wall_ms`: how many cores were busy on average; none for a run of no time.
    pub parallelism: Option<f64>,
    /// Bytecodes per second of wall time.
    pub bytecodes_per_s: f64,
    /// The same work done by one thread, one thing after another (same build).
    pub sequential_ms: f64,
    /// `sequential_ms / wall_ms`, where it is known to 1%: none for a run cut before any work,
    /// or so soon that the bytecodes in progress at the cut (each counted whole) weigh more.
    pub speedup: Option<f64>,
    /// Every `io`/`sleep` call of every thread, pooled: from releasing the GIL until holding
    /// it again.
    pub io_latency_ms: Option<Summary>,
    /// Every `io`/`sleep` call of every thread, pooled: from the call completing until the
    /// thread runs again.
    pub resume_lag_ms: Option<Summary>,
    /// GIL stats.
    pub gil: GilStats,
    /// Time every thread together lost to contention for shared objects (free-threaded).
    pub contention_ms: f64,
    /// Per thread.
    pub threads: Vec<ThreadStats>,
    /// Shared counters.
    pub counters: Vec<CounterResult>,
    /// Warnings the interpreter printed.
    pub warnings: Vec<String>,
    /// The sentences of the scenario's narration true for this run, with its numbers (see
    /// [`crate::narration`]); a run stopped by an error or by the user is narrated again by
    /// whoever stopped it, who knows why.
    pub narration: String,
    /// Whether the run was stopped before its end (in the JSON only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// What observing a real program cost (the `cpython` engine; absent from the JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observation: Option<crate::meta::Observation>,
}

/// A lane's spans up to `now`: the open one cut there, and any that a live engine recorded past
/// it cut there too (the simulator never records past `now`).
fn until(lane: &Lane, now: Nanos) -> impl Iterator<Item = crate::trace::Span> + Clone + '_ {
    lane.all(now)
        .filter(move |s| s.start <= now)
        .map(move |mut s| {
            s.end = s.end.min(now);
            s
        })
}

fn ms(n: Nanos) -> f64 {
    n as f64 / 1e6
}

fn holds_gil(state: ThreadState) -> bool {
    // A booting interpreter holds its own GIL; contended bytecode and a collection run
    // attached, holding the GIL where there is one.
    state.info().holds_gil
}

impl Stats {
    /// The stats of `trace`, from the trace alone (its [`crate::RunMeta`] says which run it
    /// was). A live run's speedup counts its bytecodes at the speed the machine achieved, not
    /// the nominal one.
    pub fn compute(trace: &Trace) -> Stats {
        let meta = &trace.meta;
        let config = &meta.config;
        let bytecode_ps = match meta.engine {
            EngineKind::Live => crate::live::achieved_bytecode_ns(trace)
                .map_or(config.bytecode_ps(), |ns| {
                    ((ns * 1000.0).round() as u64).max(1)
                }),
            // The CPython engine's settings carry the speed the interpreter achieved.
            EngineKind::Sim | EngineKind::Cpython => config.bytecode_ps(),
        };
        let wall = trace.now;
        let wall_s = (wall as f64 / 1e9).max(1e-12);
        let mut samples = Samples {
            slices: gil_slices(trace),
            ..Samples::default()
        };
        let AllThreads {
            threads,
            pool,
            sequential,
            retakes,
            sole_io,
        } = all_threads(trace, bytecode_ps);
        let Pool {
            io_latencies,
            acquire_latencies,
            resume_lags,
            waiting,
        } = pool;
        samples.io_latency = io_latencies;
        samples.acquire_latency = acquire_latencies;
        let cpu = cpu_time(trace);
        // A thread still running at the cut has its bytecode in progress counted whole.
        let unfinished = trace
            .threads
            .iter()
            .filter(|t| t.finished.is_none())
            .count() as u128;
        let rounding = unfinished * u128::from(bytecode_ps) / 1000;
        let known = wall > 0 && sequential > 0 && rounding * 100 <= u128::from(sequential);
        let bytecodes = threads.iter().map(|t| t.bytecodes).sum();
        let Samples {
            io_latency,
            acquire_latency,
            slices,
        } = samples;
        let mut stats = Stats {
            scenario: meta.scenario.clone(),
            engine: meta.engine,
            runtime: config.runtime,
            interpreters: match config.runtime {
                Runtime::Threads | Runtime::Asyncio | Runtime::ThreadPool => 1,
                Runtime::Multiprocessing | Runtime::Subinterpreters => trace.threads.len() as u32,
                Runtime::Pool | Runtime::ProcessPool => {
                    crate::engine::pool::PoolPlan::new(config, trace.threads.len()).workers as u32
                }
            },
            resident_mib: crate::engine::memory::resident_mib(config, trace.threads.len()),
            python: config.python,
            free_threaded: config.free_threaded,
            // A free-threaded run whose GIL came back (an old extension) did use it.
            gil_enabled: config.gil_enabled()
                || !trace.gil.spans.is_empty()
                || trace.gil.open.is_some(),
            switch_interval_us: config.switch_interval_us,
            cores: config.cores,
            seed: config.seed,
            wall_ms: ms(wall),
            bytecodes,
            cpu_ms: ms(cpu),
            parallelism: (wall > 0).then(|| cpu as f64 / wall as f64),
            bytecodes_per_s: bytecodes as f64 / wall_s,
            sequential_ms: ms(sequential),
            speedup: known.then(|| sequential as f64 / wall as f64),
            // One thread's calls alone are the pool: its summaries are the pool's.
            io_latency_ms: sole_io.map_or_else(|| Summary::of(io_latency), |own| own.io_latency),
            resume_lag_ms: sole_io.map_or_else(|| Summary::of(resume_lags), |own| own.resume_lag),
            gil: gil_stats(
                trace,
                Holds {
                    slices,
                    acquire_latency,
                    retakes,
                    waiting,
                },
            ),
            contention_ms: threads.iter().map(|t| t.contention_ms).sum(),
            threads,
            counters: trace.counters.clone(),
            warnings: trace.warnings.iter().map(|(_, w)| w.clone()).collect(),
            narration: String::new(),
            interrupted: trace.interrupted,
            observation: meta.observation,
        };
        stats.narration = meta.narration.narrate(trace, &stats, None).text();
        stats
    }

    /// Whether `counter`'s increments went to copies of their own, one per process,
    /// subinterpreter or pool worker, which the parent never sees: its copy keeps
    /// `counter.actual`, and `counter.lost` counts the increments it misses, none of them lost
    /// to a race. (Under these runtimes only shared memory, a `multiprocessing.Value`, reaches
    /// the parent, and loses nothing.)
    pub fn in_own_copies(&self, counter: &CounterResult) -> bool {
        self.runtime.separate_interpreters() && counter.lost > 0
    }

    /// Where the increments went under [`Stats::in_own_copies`]: "the own copies of the 4
    /// processes", "the one worker process's own copy" (a pool's workers that ran a task:
    /// never more than its tasks).
    pub fn own_copies(&self) -> String {
        let kind = self.runtime.interpreter_kind();
        let n = u64::from(self.interpreters).min(self.threads.len() as u64);
        if n == 1 {
            return format!("the one {kind}'s own copy");
        }
        let plural = format!("{kind}{}", if kind.ends_with('s') { "es" } else { "s" });
        format!(
            "the own copies of the {}",
            crate::format::counted(n, kind, &plural)
        )
    }

    /// The I/O latency over every `io`/`sleep` call of every thread, if any.
    pub fn io_latency(&self) -> Option<Summary> {
        self.io_latency_ms
    }
}

/// The raw samples behind the distributions in [`Stats`]: the same values its summaries are
/// computed from, for histograms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    /// Every completed `io`/`sleep` call's latency (release until holding the GIL again),
    /// all threads pooled, in thread order.
    pub io_latency: Vec<Nanos>,
    /// Every GIL acquisition's wait (from starting to want it until holding it).
    pub acquire_latency: Vec<Nanos>,
    /// Every uninterrupted hold of the GIL.
    pub slices: Vec<Nanos>,
}

impl Samples {
    /// The samples of `trace` (closed spans plus the spans in progress, cut at `now`).
    pub fn of(trace: &Trace) -> Samples {
        let mut samples = Samples {
            slices: gil_slices(trace),
            ..Samples::default()
        };
        let mut pool = Pool::default();
        for (id, (info, lane)) in trace.threads.iter().zip(&trace.thread_lanes).enumerate() {
            scan_thread(id as u32, info, lane, trace.now, &mut pool);
        }
        samples.io_latency = pool.io_latencies;
        samples.acquire_latency = pool.acquire_latencies;
        samples
    }
}

/// What the threads' scans found of the GIL, for [`gil_stats`].
struct Holds {
    /// Every uninterrupted hold (the GIL lane's spans).
    slices: Vec<Nanos>,
    /// Every acquisition's wait.
    acquire_latency: Vec<Nanos>,
    /// Old-GIL releases the releaser took back.
    retakes: u64,
    /// Every thread's waits for the GIL (start, end), each lane's in order, lane after lane.
    waiting: Vec<(Nanos, Nanos)>,
}

/// The GIL's stats from the trace's markers and what the threads' scans found.
fn gil_stats(trace: &Trace, holds: Holds) -> GilStats {
    let Holds {
        slices,
        acquire_latency,
        retakes,
        waiting,
    } = holds;
    let wall = trace.now;
    let wall_s = (wall as f64 / 1e9).max(1e-12);
    let held: Nanos = slices.iter().sum();
    let count = |kind: MarkerKind| trace.markers.iter().filter(|m| m.kind == kind).count() as u64;
    let switches = trace
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Handoff && m.thread != NONE)
        .count() as u64;
    GilStats {
        switches,
        forced_switches: count(MarkerKind::ForcedSwitch),
        drop_requests: count(MarkerKind::DropRequest),
        futile_wakeups: count(MarkerKind::FutileWakeup),
        retakes,
        switches_per_s: switches as f64 / wall_s,
        held_fraction: if wall > 0 {
            held as f64 / wall as f64
        } else {
            0.0
        },
        slice_ms: Summary::of(slices),
        acquire_latency_ms: Summary::of(acquire_latency),
        handoff_ms: ms(handoff_time(trace, waiting)),
    }
}

/// Time spent on cores: the core lanes' spans; in a trace without core lanes (an engine that
/// cannot see cores), the threads' spans in states that occupy a core, less the time marked
/// as not the program's work (a C call past its calibrated length, see [`crate::trace::Span`]).
fn cpu_time(trace: &Trace) -> Nanos {
    if !trace.cores.is_empty() {
        return trace
            .cores
            .iter()
            .flat_map(|l| until(l, trace.now))
            .map(|s| s.duration())
            .sum();
    }
    trace
        .thread_lanes
        .iter()
        .enumerate()
        .flat_map(|(id, lane)| {
            until(lane, trace.now).filter(move |s| {
                s.state.on_core()
                    && !(s.state == ThreadState::CCallReleased && s.other == id as u32)
            })
        })
        .map(|s| s.duration())
        .sum()
}

fn gil_slices(trace: &Trace) -> Vec<Nanos> {
    // Sized for every span at once: growing by doubling copies and faults the samples in again.
    let mut slices = Vec::with_capacity(trace.gil.spans.len() + 1);
    slices.extend(until(&trace.gil, trace.now).map(|s| s.duration()));
    slices
}

/// Total time the GIL lane is empty while at least one thread waits for the GIL, from every
/// thread's `waiting` spans (see [`ThreadScan::waiting`]).
fn handoff_time(trace: &Trace, mut waiting: Vec<(Nanos, Nanos)>) -> Nanos {
    // Each lane's spans are in order: a stable sort merges the runs (the same order as any sort).
    #[expect(
        clippy::stable_sort_primitive,
        reason = "the vector is a few sorted runs, which a stable sort merges in linear passes"
    )]
    waiting.sort();
    // Merge into a disjoint union.
    let mut union: Vec<(Nanos, Nanos)> = Vec::with_capacity(waiting.len());
    for (start, end) in waiting {
        match union.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => union.push((start, end)),
        }
    }
    // The holds, read in place: `held` stands at the first that ends after the interval's
    // start, and a copy of it walks on from there.
    let mut held = until(&trace.gil, trace.now)
        .map(|s| (s.start, s.end))
        .peekable();
    // Waiting time minus the part of it during which the GIL was held.
    let mut total: Nanos = union.iter().map(|(a, b)| b - a).sum();
    for &(start, end) in &union {
        while held.next_if(|&(_, e)| e <= start).is_some() {}
        for (s, e) in held.clone() {
            if s >= end {
                break;
            }
            total -= e.min(end) - s.max(start);
        }
    }
    total
}

/// Every thread's stats, and what their scans found together.
struct AllThreads {
    threads: Vec<ThreadStats>,
    pool: Pool,
    /// The work of them all done one thing after another.
    sequential: Nanos,
    /// Old-GIL releases the releaser took back.
    retakes: u64,
    /// The own summaries of the one thread that completed I/O calls, when only one did.
    sole_io: Option<Own>,
}

/// Scans every thread's lane once. Each scan adds to the pooled samples; the thread's own
/// summaries are taken over its part of them, in place (a summary does not depend on the
/// values' order).
fn all_threads(trace: &Trace, bytecode_ps: u64) -> AllThreads {
    // A span adds at most one sample of each kind, and a thread's end one more: room for them
    // all at once (growing by doubling copies and faults the samples in again), up to
    // `PRESIZED_SAMPLES`: room for every span in each of the four vectors would reserve about
    // 1.2 GB of address space at the 30 M-span limit before a sample is taken.
    let room = trace
        .thread_lanes
        .iter()
        .map(|lane| lane.spans.len() + 2)
        .sum::<usize>()
        .min(PRESIZED_SAMPLES);
    let mut all = AllThreads {
        threads: Vec::with_capacity(trace.threads.len()),
        pool: Pool::with_room(room),
        sequential: 0,
        retakes: 0,
        sole_io: None,
    };
    let mut with_io = 0;
    let pool = &mut all.pool;
    for (id, (info, lane)) in trace.threads.iter().zip(&trace.thread_lanes).enumerate() {
        let (io_from, lags_from) = (pool.io_latencies.len(), pool.resume_lags.len());
        let scan = scan_thread(id as u32, info, lane, trace.now, pool);
        all.retakes += scan.retakes;
        let own = Own {
            io_latency: Summary::of_slice(&mut pool.io_latencies[io_from..]),
            resume_lag: Summary::of_slice(&mut pool.resume_lags[lags_from..]),
        };
        if pool.io_latencies.len() > io_from || pool.resume_lags.len() > lags_from {
            with_io += 1;
            all.sole_io = (with_io == 1).then_some(own);
        }
        let (thread, alone) = thread_stats(info, scan, own, trace.now, bytecode_ps);
        all.sequential += alone;
        all.threads.push(thread);
    }
    all
}

/// The most samples of each kind [`all_threads`] makes room for before it scans: 1 M (8 MB a
/// kind, 16 MB for the waits); a longer run's vectors grow as they fill.
const PRESIZED_SAMPLES: usize = 1 << 20;

/// What the threads' scans pool: every thread's samples, lane after lane.
#[derive(Default)]
struct Pool {
    /// Every completed I/O call's latency.
    io_latencies: Vec<Nanos>,
    /// Every acquisition's wait.
    acquire_latencies: Vec<Nanos>,
    /// Every completed I/O call's lag until the thread ran again.
    resume_lags: Vec<Nanos>,
    /// Every wait for the GIL that took time, (start, end), each lane's in order.
    waiting: Vec<(Nanos, Nanos)>,
}

impl Pool {
    /// Empty, with room for `samples` of each kind.
    fn with_room(samples: usize) -> Self {
        Self {
            io_latencies: Vec::with_capacity(samples),
            acquire_latencies: Vec::with_capacity(samples),
            resume_lags: Vec::with_capacity(samples),
            waiting: Vec::with_capacity(samples),
        }
    }
}

/// A thread's own summaries of its part of the [`Pool`].
#[derive(Clone, Copy)]
struct Own {
    io_latency: Option<Summary>,
    resume_lag: Option<Summary>,
}

/// What one pass over a thread's lane finds (its samples go to the [`Pool`]).
#[derive(Clone, Copy)]
struct ThreadScan {
    /// Time per state, indexed by `ThreadState as usize`.
    times: [Nanos; ThreadState::ALL.len()],
    bytecodes: u64,
    /// `io` and `sleep` calls completed (not the one cut by the end of the run).
    io_ops: u64,
    /// Time marked as not the program's work: a real C call past its calibrated length.
    overhead: Nanos,
    /// Bytecodes executed while contended.
    contended_bytecodes: u64,
    /// Old-GIL releases the thread took back: a *signalling* span followed by one that holds
    /// the GIL.
    retakes: u64,
}

/// An I/O call in progress during a scan: its number (the span's `other`), since when it
/// released the GIL, and when it completed (once it has).
struct PendingCall {
    number: u32,
    released_at: Nanos,
    completed: Option<Nanos>,
}

/// Walks the lane of thread `me` once: time in each state, bytecodes, time that is not the
/// program's work; its I/O and acquire latencies, resume lags and waits for the GIL go to
/// `pool`. An I/O call ends when the thread holds the GIL again, starts its next call (which it
/// can only do holding it), or finishes.
fn scan_thread(me: u32, info: &ThreadInfo, lane: &Lane, now: Nanos, pool: &mut Pool) -> ThreadScan {
    let mut scan = ThreadScan {
        times: [0; ThreadState::ALL.len()],
        bytecodes: 0,
        io_ops: 0,
        overhead: 0,
        contended_bytecodes: 0,
        retakes: 0,
    };
    let mut previous = None;
    let mut released_at = info.started.unwrap_or(0);
    let mut call: Option<PendingCall> = None;
    let mut wanting_since: Option<Nanos> = None;
    for span in until(lane, now) {
        scan.bytecodes += span.bytecodes;
        if previous == Some(ThreadState::Signalling) && holds_gil(span.state) {
            scan.retakes += 1;
        }
        previous = Some(span.state);
        if span.state == ThreadState::WaitingGil && span.end > span.start {
            pool.waiting.push((span.start, span.end));
        }
        if span.state == ThreadState::CCallReleased && span.other == me {
            // Not the program's work (see `Span::other`).
            scan.overhead += span.duration();
        }
        scan.times[span.state as usize] += span.duration();
        if span.state == ThreadState::Contended {
            scan.contended_bytecodes += span.bytecodes;
        }
        // A runtime's own message (a pool's results) is neither an I/O call of the program nor
        // a wait that ends in one.
        let io =
            matches!(span.state, ThreadState::Io | ThreadState::Syscall) && !span.runtime_message();
        let next_call = io && call.as_ref().is_some_and(|c| c.number != span.other);
        // A wait for the GIL that ends in a new I/O call was won at the call's start: the
        // thread held the GIL too briefly to be a span (a thread whose first op is a `sleep`,
        // issue 11's ft-shared-dict janitor), so the call released it there, not when the
        // thread started or last held it.
        let won_into_call = io && call.is_none() && wanting_since.is_some();
        if holds_gil(span.state) || next_call || won_into_call {
            // Holding the GIL again ends a pending I/O call's latency and any wait for the GIL.
            if let Some(done) = call.take() {
                pool.io_latencies.push(span.start - done.released_at);
                pool.resume_lags
                    .push(span.start - done.completed.unwrap_or(span.start));
            }
            if let Some(since) = wanting_since.take() {
                pool.acquire_latencies.push(span.start - since);
            }
            released_at = if next_call || won_into_call {
                span.start
            } else {
                span.end
            };
        }
        if io {
            if call.is_none() && !span.awaits_executor() {
                // A new I/O call; the one still in progress at the cut is not done.
                let cut = span.end >= now && info.finished.is_none();
                scan.io_ops += u64::from(!cut);
            }
            let pending = call.get_or_insert(PendingCall {
                number: span.other,
                released_at,
                completed: None,
            });
            pending.completed = Some(span.end);
        } else if span.state == ThreadState::WaitingGil {
            wanting_since.get_or_insert(span.start);
        }
    }
    // A thread finishes holding the GIL (it returns from its function), so finishing ends a
    // call still pending, even where that last hold is too short to be a span (a process's
    // final `send`, with its GIL free).
    if let Some(finished) = info.finished.filter(|&f| f <= now) {
        if let Some(done) = call.take() {
            pool.io_latencies
                .push(finished.saturating_sub(done.released_at));
            pool.resume_lags
                .push(finished.saturating_sub(done.completed.unwrap_or(finished)));
        }
        if let Some(since) = wanting_since.take() {
            pool.acquire_latencies.push(finished.saturating_sub(since));
        }
    }
    scan
}

/// One thread's stats from its scan and its summaries, and its share of the sequential time.
fn thread_stats(
    info: &ThreadInfo,
    scan: ThreadScan,
    own: Own,
    now: Nanos,
    bytecode_ps: u64,
) -> (ThreadStats, Nanos) {
    let ThreadScan {
        times,
        bytecodes,
        io_ops,
        overhead,
        contended_bytecodes,
        retakes: _,
    } = scan;
    let lifetime = info
        .finished
        .unwrap_or(now)
        .saturating_sub(info.started.unwrap_or(0));
    let stats = ThreadStats {
        name: info.name.clone(),
        finished_ms: info.finished.map(ms),
        bytecodes,
        state_ms: StateTimes::from_nanos(&times),
        io_ops,
        io_latency_ms: own.io_latency,
        resume_lag_ms: own.resume_lag,
        io_ops_per_s: if lifetime > 0 {
            io_ops as f64 / (lifetime as f64 / 1e9)
        } else {
            0.0
        },
        contention_ms: ms(times[ThreadState::Contended as usize]
            .saturating_sub(contended_bytecodes * bytecode_ps / 1000)),
    };
    // Alone, the thread would spend exactly its bytecodes' cost, its I/O (with the OS waking it
    // after each blocking call), its C calls and its collections (not the old GIL's signalling,
    // a stop-the-world pause or the boot of a process or interpreter: those are the runtime's
    // costs, not the work; nor a real C call's time past its calibrated length).
    let of = |state: ThreadState| times[state as usize];
    let alone = (bytecodes * bytecode_ps / 1000
        + of(ThreadState::Io)
        + of(ThreadState::Syscall)
        + of(ThreadState::Waking)
        + of(ThreadState::CCallReleased)
        + of(ThreadState::CCallHolding)
        + of(ThreadState::Collecting))
    .saturating_sub(overhead);
    (stats, alone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::test_support::untitled;

    #[test]
    fn percentiles_use_nearest_rank() {
        let s = Summary::of((1..=100).map(|v| v * 1_000_000).collect()).unwrap();
        assert_eq!((s.p50, s.p90, s.p99, s.max), (50.0, 90.0, 99.0, 100.0));
        assert!((s.mean - 50.5).abs() < 1e-9);
        assert!(Summary::of(vec![]).is_none());
    }

    #[test]
    fn percentiles_of_unordered_values_with_ties_are_their_ranks_in_order() {
        // Scrambled (a multiplicative walk modulo a prime), with every value three times.
        let values: Vec<Nanos> = (1..=301u64).map(|k| (k * 97 % 307) / 3 * 1000).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let at = |p: f64| {
            sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1] as f64
                / 1e6
        };
        let s = Summary::of(values).unwrap();
        assert_eq!(
            (s.p50, s.p90, s.p99, s.max),
            (
                at(0.5),
                at(0.9),
                at(0.99),
                sorted[sorted.len() - 1] as f64 / 1e6
            )
        );
        let one = Summary::of(vec![7]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7e-6, 7e-6, 7e-6));
    }

    #[test]
    fn handoff_time_is_free_gil_while_someone_waits() {
        use crate::trace::LaneId;
        let info = |name: &str| ThreadInfo::new(name, 0).started_at(0);
        let mut t = untitled(vec![info("a"), info("b"), info("c")], 2);
        let run = |t: u32| Some((ThreadState::Running, t));
        t.set(LaneId::Gil, 0, run(0));
        t.set(LaneId::Gil, 10, None);
        t.set(LaneId::Gil, 12, run(1));
        t.set(LaneId::Gil, 20, None);
        t.set(LaneId::Gil, 30, run(2));
        // b waits [5, 12): 2 ns of it with the GIL free. c waits [8, 11) (inside b's wait)
        // and again [25, 30): 5 ns free. Free time with nobody waiting ([20, 25)) is not lost.
        t.set(LaneId::Thread(1), 5, Some((ThreadState::WaitingGil, 0)));
        t.set(LaneId::Thread(1), 12, Some((ThreadState::Running, NONE)));
        t.set(LaneId::Thread(2), 8, Some((ThreadState::WaitingGil, 0)));
        t.set(LaneId::Thread(2), 11, Some((ThreadState::Io, NONE)));
        t.set(LaneId::Thread(2), 25, Some((ThreadState::WaitingGil, NONE)));
        t.set(LaneId::Thread(2), 30, Some((ThreadState::Running, NONE)));
        t.close(40);
        let mut pool = Pool::default();
        for (id, (info, lane)) in t.threads.iter().zip(&t.thread_lanes).enumerate() {
            scan_thread(id as u32, info, lane, t.now, &mut pool);
        }
        assert_eq!(handoff_time(&t, pool.waiting), 7);
    }
}
