//! The discrete-event simulator: `CPython`'s GIL (`gil-model.md` rules 1–22) in virtual
//! nanoseconds, deterministic for a seed.
//!
//! Events are scheduled only where something can change: a thread's timer (its work reaching
//! the end or the next check point after a drop request, an I/O completing, a timed wait on
//! `cond` expiring, an OS wake-up finishing), a core's time slice, the end of the run. Never one
//! event per bytecode: bytecodes are counted from elapsed time.
//!
//! This file holds the engine's state, its construction and the event loop. The rules are in
//! one file each, every one an `impl SimEngine` block:
//! - [`program`]: a thread's program, op by op (rules 9, 12, 13);
//! - [`gil`]: the new GIL (rules 1–8);
//! - [`old_gil`]: the tick-based GIL of 3.1 and earlier (rule 15);
//! - [`gil_returns`]: a free-threaded run turning the GIL on at an import (rule 18);
//! - [`os`]: cores, the run queue, time slices and wake-ups (rule 7);
//! - [`bytecode`]: bytecode loops on a core and their check points (rules 9–11);
//! - [`locks`]: `threading.Lock` and deadlock detection;
//! - [`limits`]: the run's budget of events, virtual time and memory;
//! - [`contention`]: free-threaded threads contending for a shared object (rule 19b);
//! - [`stop_world`]: stop-the-world pauses of a free-threaded build (rules 18–19);
//! - [`event_loop`]: asyncio (rule 22);
//! - [`pool`]: a pool's tasks, its workers, and messages through the parent's pipes;
//! - [`recording`]: what the trace shows and how the run closes;
//! - [`thread`]: one thread's state and its id, [`Tid`].

mod bytecode;
mod contention;
mod event_loop;
mod gil;
mod gil_returns;
mod limits;
mod locks;
mod old_gil;
mod os;
mod pool;
mod program;
mod recording;
mod stop_world;
mod thread;

use super::race::RaceLog;
use super::runtime;
use super::timers::Timers;
use super::work::Divisor;
use super::{Engine, SimError};
use crate::meta::{EngineKind, RunMeta};
use crate::model::{Model, RunConfig, Runtime};
use crate::rng::SplitMix64;
use crate::scenario::{Op, Repeat, Scenario};
use crate::time::{Nanos, format_nanos};
use crate::trace::{DeltaCursor, ThreadInfo, Trace, TraceDelta};
use contention::Contention;
use event_loop::{EventLoop, Role};
use gil::Gil;
use locks::LockState;
use os::Core;
use pool::{Pipes, PoolState};
use std::collections::VecDeque;
use stop_world::StopWorld;
use thread::{Stage, Th, Threads, Tid};

/// The timer slot that ends the run.
const END_SLOT: usize = 0;
/// Events in a row at one instant before the run is declared stuck.
const STALL_LIMIT: u64 = 1_000_000;

/// The deterministic discrete-event engine.
#[derive(Debug, Clone)]
pub struct SimEngine {
    config: RunConfig,
    gil_on: bool,
    model: Model,
    ps: u64,
    /// `ps` as a divisor: the engine turns work into bytecodes at every re-timing.
    per_bytecode: Divisor,
    programs: Vec<(Vec<Op>, Repeat)>,
    threads: Threads,
    cores: Vec<Core>,
    run_queue: VecDeque<Tid>,
    /// One GIL per interpreter: one for threads, one per process or subinterpreter.
    gils: Vec<Gil>,
    locks: Vec<LockState>,
    lock_names: Vec<String>,
    counter_names: Vec<String>,
    module_names: Vec<String>,
    event_loop: EventLoop,
    contention: Contention,
    stop_world: StopWorld,
    /// A pool runtime's workers and chunks of tasks.
    pool: Option<PoolState>,
    /// The parent's readers of its children's pipes.
    pipes: Pipes,
    /// Pending timers: slot 0 ends the run, 1..=cores are time slices, then one per thread.
    timers: Timers,
    now: Nanos,
    rng: SplitMix64,
    trace: Trace,
    race: RaceLog,
    finite_left: usize,
    finished: bool,
    stalled: u64,
    processed: u64,
    cursor: DeltaCursor,
    /// A limit the run passed while it ended, reported by the event that ended it.
    failure: Option<SimError>,
}

impl SimEngine {
    /// Prepares a run; nothing happens until it is stepped or advanced.
    pub fn new(scenario: &Scenario, config: &RunConfig) -> Self {
        let threads_spec = scenario.threads();
        let infos = threads_spec
            .iter()
            .map(|(name, group)| ThreadInfo::new(name.clone(), *group))
            .collect();
        let separate = runtime::one_interpreter_per_thread(config);
        // A pool's tasks get their worker (and interpreter) when they are taken.
        let pooled = config.runtime.is_pool();
        let role = if config.runtime == Runtime::Asyncio {
            Role::Task
        } else {
            Role::Thread
        };
        let threads: Threads = threads_spec
            .iter()
            .enumerate()
            .map(|(index, (_, group))| Th {
                finite: scenario.groups[*group].repeat != Repeat::Forever,
                interp: if separate && !pooled { index } else { 0 },
                startup: if pooled {
                    0
                } else {
                    runtime::start_plan(config, index as u64).1
                },
                ..Th::new(*group, role)
            })
            .collect();
        let interpreters = if pooled && separate {
            crate::engine::pool::PoolPlan::new(config, threads.len())
                .workers
                .max(1)
        } else if separate {
            threads.len().max(1)
        } else {
            1
        };
        let threads_len = threads.len();
        let mut engine = SimEngine {
            gil_on: config.gil_enabled(),
            model: config.model(),
            ps: config.bytecode_ps(),
            per_bytecode: Divisor::new(config.bytecode_ps()),
            programs: scenario
                .groups
                .iter()
                .map(|g| (runtime::expand(&g.ops, config), g.repeat))
                .collect(),
            finite_left: threads.iter().filter(|(_, th)| th.finite).count(),
            threads,
            cores: vec![Core::default(); config.cores as usize],
            run_queue: VecDeque::new(),
            gils: vec![Gil::default(); interpreters],
            locks: vec![LockState::default(); scenario.locks.len()],
            lock_names: scenario.locks.clone(),
            counter_names: scenario.counters.clone(),
            module_names: scenario.modules.clone(),
            event_loop: EventLoop::default(),
            contention: Contention::default(),
            stop_world: StopWorld::default(),
            pool: None,
            pipes: Pipes::default(),
            timers: Timers::new(1 + config.cores as usize + threads_len),
            now: 0,
            rng: SplitMix64::new(config.seed),
            trace: Trace::new(
                RunMeta::new(scenario, EngineKind::Sim, config),
                infos,
                config.cores,
            ),
            race: RaceLog::new(scenario.counters.len()),
            finished: false,
            stalled: 0,
            processed: 0,
            cursor: DeltaCursor::default(),
            failure: None,
            config: config.clone(),
        };
        engine.add_executors(scenario, config);
        engine.add_pool(config);
        for t in engine.threads.ids() {
            let start = if engine.is_executor(t) || pooled {
                0
            } else {
                runtime::start_plan(config, u64::from(t.id())).0
            };
            engine.schedule(t, start);
        }
        if let Some(duration) = config.duration {
            engine.timers.set(END_SLOT, duration);
        }
        engine
    }

    /// The settings of this run.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs until the end.
    pub fn run_to_end(&mut self) -> Result<(), SimError> {
        while self.step_event()?.is_some() {}
        Ok(())
    }

    /// The finished trace.
    pub fn into_trace(self) -> Trace {
        self.trace
    }

    /// Events processed so far (stale timers excluded).
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    /// What `max_events` counts: the events processed and the increments the shared
    /// counters' replay goes through.
    pub fn events_counted(&self) -> u64 {
        self.processed + self.race.increments()
    }

    /// The timer slot of core `c`'s time slice.
    fn slice_slot(c: u32) -> usize {
        1 + c as usize
    }

    /// The timer slot of thread `t`.
    fn thread_slot(&self, t: Tid) -> usize {
        1 + self.cores.len() + t.index()
    }

    /// (Re)sets thread `t`'s single timer.
    fn schedule(&mut self, t: Tid, at: Nanos) {
        let slot = self.thread_slot(t);
        self.timers.set(slot, at);
    }

    fn cancel_timer(&mut self, t: Tid) {
        let slot = self.thread_slot(t);
        self.timers.cancel(slot);
    }

    /// Time of the next event.
    fn peek_time(&mut self) -> Option<Nanos> {
        self.timers.peek().map(|(time, _)| time)
    }

    /// Processes one event; returns its time, or `None` once the run has ended.
    fn step_event(&mut self) -> Result<Option<Nanos>, SimError> {
        if self.finished {
            return Ok(None);
        }
        let Some(time) = self.peek_time() else {
            return Err(self.all_blocked());
        };
        self.check_virtual_time(time)?;
        let Some((_, slot)) = self.timers.pop() else {
            return Ok(None);
        };
        if time == self.now {
            self.stalled += 1;
            if self.stalled > STALL_LIMIT {
                return Err(SimError::NoProgress {
                    at: format_nanos(self.now),
                    detail: "a thread loops without using any time: give its ops a non-zero duration or some compute, or a non-zero wake_latency".into(),
                });
            }
        } else {
            self.stalled = 0;
        }
        self.now = time;
        self.processed += 1;
        let cores = self.cores.len();
        match slot {
            END_SLOT => self.end_run(),
            s if s <= cores => self.on_slice(s as u32 - 1),
            s => self.on_timer(Tid::from_index(s - 1 - cores))?,
        }
        if let Some(over) = self.failure.take() {
            return Err(over);
        }
        if self.processed.is_multiple_of(limits::CHECK_EVERY) {
            self.check_growth()?;
        }
        Ok(Some(time))
    }

    fn all_blocked(&self) -> SimError {
        let waiting: Vec<String> = self
            .threads
            .iter()
            .filter(|(_, th)| th.stage != Stage::Done)
            .map(|(t, th)| {
                format!(
                    "{} {}",
                    self.trace.thread_name(t.id()),
                    self.stage_in_words(th.stage)
                )
            })
            .collect();
        let deadlock = if self
            .threads
            .iter()
            .any(|(_, th)| matches!(th.stage, Stage::LockWait(_)))
        {
            " (a deadlock: the locks are waited for in a cycle; take them in one order everywhere)"
        } else {
            ""
        };
        SimError::Failed(format!(
            "every thread is blocked with nothing left to wake it at {}{deadlock}: {}",
            format_nanos(self.now),
            waiting.join("; ")
        ))
    }

    /// Where a thread is stuck, in the words of a Python program.
    fn stage_in_words(&self, stage: Stage) -> String {
        match stage {
            Stage::LockWait(lock) => {
                let holder = self.locks[lock].holder.map_or_else(
                    || "nobody".to_owned(),
                    |h| self.trace.thread_name(h.id()).to_owned(),
                );
                format!(
                    "waits for lock \"{}\", held by {holder}",
                    self.lock_names[lock]
                )
            }
            Stage::NotStarted => "has not started".into(),
            Stage::Ready => "is ready, waiting for the event loop".into(),
            Stage::ExecutorIdle => "is an idle executor thread".into(),
            Stage::Queued => "waits in the pool's queue for a worker".into(),
            Stage::PipeCopy => "copies a message into a pipe".into(),
            Stage::PipeWrite => "waits for the parent to empty the pipe it writes to".into(),
            Stage::Delivering => {
                "waits for the parent's threads to read its result and wake the caller".into()
            }
            Stage::Blocking => "is in I/O or a sleep".into(),
            Stage::CondWait { .. } | Stage::TakeGil { .. } | Stage::OldResleep { .. } => {
                "waits for the GIL".into()
            }
            Stage::SwitchWait { .. } => "was forced off the GIL and waits for a successor".into(),
            _ => "is running".into(),
        }
    }
}

impl Engine for SimEngine {
    fn advance(&mut self, until: Nanos) -> Result<(), SimError> {
        while !self.finished {
            match self.peek_time() {
                Some(time) if time <= until => {
                    self.step_event()?;
                }
                Some(_) => break,
                None => return Err(self.all_blocked()),
            }
        }
        if !self.finished {
            self.trace.now = self.trace.now.max(until);
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Nanos>, SimError> {
        self.step_event()
    }

    fn take_delta(&mut self) -> TraceDelta {
        self.cursor.take(&self.trace)
    }

    fn trace(&self) -> &Trace {
        &self.trace
    }

    fn take_trace(&mut self) -> Trace {
        let empty = self.trace.placeholder();
        std::mem::replace(&mut self.trace, empty)
    }

    fn now(&self) -> Nanos {
        self.trace.now
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    fn stop(&mut self) {
        self.end_run();
    }
}
