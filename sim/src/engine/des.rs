//! The discrete-event simulator: `CPython`'s GIL (`gil-model.md` rules 1–14) in virtual
//! nanoseconds, deterministic for a seed.
//!
//! Events are scheduled only where something can change: a thread's timer (its work reaching
//! the end or the next check point after a drop request, an I/O completing, a timed wait on
//! `cond` expiring, an OS wake-up finishing), a core's time slice, the end of the run. Never one
//! event per bytecode: bytecodes are counted from elapsed time.

mod event_loop;

use super::race::{RaceLog, Segment};
use super::runtime;
use super::timers::Timers;
use super::work::{LoopShape, Work};
use super::{Engine, SimError};
use crate::meta::{EngineKind, RunMeta};
use crate::model::{Model, RunConfig, Runtime, SuccessorPolicy};
use crate::rng::SplitMix64;
use crate::scenario::{Op, Repeat, Scenario};
use crate::time::{Nanos, format_nanos};
use crate::trace::{
    DeltaCursor, LaneId, MarkerKind, NONE, ThreadInfo, ThreadState, Trace, TraceDelta,
};
use event_loop::{EventLoop, Role};
use std::collections::VecDeque;

/// The most spans a simulated trace may hold (about 1 GB).
pub const MAX_SPANS: usize = 30_000_000;
/// The timer slot that ends the run.
const END_SLOT: usize = 0;
/// Events in a row at one instant before the run is declared stuck.
const STALL_LIMIT: u64 = 1_000_000;

/// What a thread does once it holds the GIL again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    /// Start the current op (a check point first).
    Boundary,
    /// Continue the bytecode loop it was forced out of.
    Bytecode,
}

/// What a thread forced off does once a successor has taken the GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterSwitch {
    /// Ask for the GIL again (it was yielding at a check point).
    Retake(Resume),
    /// Go on with the GIL-free part of its op (the drop was for I/O, a C call or a lock).
    Block,
}

/// Where a thread is in its program and in the GIL protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    /// At the check point before the current op.
    Boundary,
    /// Running `take_gil` on a core; `woke` = (timed out, saved switch number) of the last wait.
    TakeGil {
        woke: Option<(bool, u64)>,
        then: Resume,
    },
    /// Blocked on `cond` for at most one interval.
    CondWait {
        saved: u64,
        then: Resume,
    },
    /// Blocked on `switch_cond` after a forced drop.
    SwitchWait {
        after: AfterSwitch,
    },
    /// About to start the GIL-free part of the current op.
    Block,
    /// Executing the bytecode loop of the current op.
    Bytecode,
    /// In a C call holding the GIL.
    CHold,
    /// In a C call with the GIL released.
    CFree,
    /// In I/O or sleep.
    Blocking,
    /// Waiting for a lock.
    LockWait(usize),
    /// Old GIL: released at a tick check, signalling; re-acquires when its timer fires.
    OldRelease,
    /// asyncio: a task in the ready queue, waiting for the loop.
    Ready,
    /// asyncio: an executor thread waiting for a job.
    ExecutorIdle,
    Done,
}

/// The thread as the OS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Off,
    Blocked,
    /// Woken; runnable once the wake-up latency has passed.
    Waking,
    /// In the run queue, no core free.
    Queued,
    /// Given a core; runs when its (same-instant) event fires.
    Dispatched(u32),
    OnCore(u32),
}

// Four independent flags of one simulated thread; an enum would conflate them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
struct Th {
    group: usize,
    op: usize,
    iteration: u64,
    op_serial: u64,
    stage: Stage,
    os: Os,
    holds_gil: bool,
    drop_request: bool,
    drop_requester: u32,
    last_core: Option<u32>,
    work: Option<Work>,
    /// Work target (ps) of the pending timer when it is a check point, not the op's end.
    check_target: Option<u64>,
    /// Time left of a C call, and when its current stretch on a core began.
    remaining: Nanos,
    stretch_start: Nanos,
    finite: bool,
    /// The interpreter (and so the GIL) this thread belongs to.
    interp: usize,
    /// Start-up work (a process or interpreter booting) still to do before the program.
    startup: Nanos,
    /// In that start-up work now (shown as a C call holding its own GIL).
    booting: bool,
    /// Thread, asyncio task, or executor worker.
    role: Role,
    /// An executor worker's job: (bytecodes, the task awaiting it).
    job: Option<(u64, u32)>,
}

impl Th {
    /// A thread that has not started, of `group`, that runs forever unless told otherwise.
    fn new(group: usize, role: Role) -> Self {
        Th {
            group,
            op: 0,
            iteration: 0,
            op_serial: 0,
            stage: Stage::NotStarted,
            os: Os::Off,
            holds_gil: false,
            drop_request: false,
            drop_requester: NONE,
            last_core: None,
            work: None,
            check_target: None,
            remaining: 0,
            stretch_start: 0,
            finite: false,
            interp: 0,
            startup: 0,
            booting: false,
            role,
            job: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Core {
    occupant: Option<u32>,
    since: Nanos,
}

#[derive(Debug, Clone, Default)]
struct Gil {
    locked: bool,
    holder: Option<u32>,
    last_holder: Option<u32>,
    switch_number: u64,
    /// Threads blocked on `cond`, with when they began waiting.
    cond: Vec<(u32, Nanos)>,
    /// Threads blocked on `switch_cond`.
    switch_cond: VecDeque<u32>,
}

#[derive(Debug, Clone, Default)]
struct LockState {
    holder: Option<u32>,
    waiters: VecDeque<u32>,
}

/// The deterministic discrete-event engine.
#[derive(Debug, Clone)]
pub struct SimEngine {
    config: RunConfig,
    gil_on: bool,
    model: Model,
    ps: u64,
    programs: Vec<(Vec<Op>, Repeat)>,
    threads: Vec<Th>,
    cores: Vec<Core>,
    run_queue: VecDeque<u32>,
    /// One GIL per interpreter: one for threads, one per process or subinterpreter.
    gils: Vec<Gil>,
    locks: Vec<LockState>,
    lock_names: Vec<String>,
    counter_names: Vec<String>,
    module_names: Vec<String>,
    event_loop: EventLoop,
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
}

/// Runs a scenario to the end and returns its trace.
pub fn run(scenario: &Scenario, config: &RunConfig) -> Result<Trace, SimError> {
    let mut engine = SimEngine::new(scenario, config);
    engine.run_to_end()?;
    Ok(engine.into_trace())
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
        let role = if config.runtime == Runtime::Asyncio {
            Role::Task
        } else {
            Role::Thread
        };
        let threads: Vec<Th> = threads_spec
            .iter()
            .enumerate()
            .map(|(index, (_, group))| Th {
                finite: scenario.groups[*group].repeat != Repeat::Forever,
                interp: if separate { index } else { 0 },
                startup: runtime::start_plan(config, index as u64).1,
                ..Th::new(*group, role)
            })
            .collect();
        let interpreters = if separate { threads.len().max(1) } else { 1 };
        let threads_len = threads.len();
        let mut engine = SimEngine {
            gil_on: config.gil_enabled(),
            model: config.model(),
            ps: config.bytecode_ps(),
            programs: scenario
                .groups
                .iter()
                .map(|g| (runtime::expand(&g.ops, config), g.repeat))
                .collect(),
            finite_left: threads.iter().filter(|t| t.finite).count(),
            threads,
            cores: vec![Core::default(); config.cores as usize],
            run_queue: VecDeque::new(),
            gils: vec![Gil::default(); interpreters],
            locks: vec![LockState::default(); scenario.locks.len()],
            lock_names: scenario.locks.clone(),
            counter_names: scenario.counters.clone(),
            module_names: scenario.modules.clone(),
            event_loop: EventLoop::default(),
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
            config: config.clone(),
        };
        engine.add_executors(scenario, config);
        for t in 0..engine.threads.len() as u32 {
            let start = if engine.is_executor(t) {
                0
            } else {
                runtime::start_plan(config, u64::from(t)).0
            };
            engine.schedule(t, start);
        }
        if let Some(duration) = config.duration {
            engine.timers.set(END_SLOT, duration);
        }
        engine
    }

    /// asyncio: `ThreadPoolExecutor` workers for the tasks that offload work, at most
    /// `min(32, cores + 4)` as Python's default.
    fn add_executors(&mut self, scenario: &Scenario, config: &RunConfig) {
        if config.runtime != Runtime::Asyncio {
            return;
        }
        let offloading: u32 = scenario
            .groups
            .iter()
            .filter(|g| g.ops.iter().any(|op| matches!(op, Op::Offload(_))))
            .map(|g| g.count)
            .sum();
        let workers = offloading.min(32.min(config.cores + 4));
        for k in 0..workers {
            self.threads.push(Th::new(0, Role::Executor));
            self.trace
                .threads
                .push(ThreadInfo::new(format!("executor-{k}"), 0));
            self.trace.thread_lanes.push(crate::trace::Lane::default());
        }
        self.timers.grow(1 + self.cores.len() + self.threads.len());
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

    fn thread_slot(&self, t: u32) -> usize {
        1 + self.cores.len() + t as usize
    }

    /// (Re)sets thread `t`'s single timer.
    fn schedule(&mut self, t: u32, at: Nanos) {
        let slot = self.thread_slot(t);
        self.timers.set(slot, at);
    }

    fn cancel_timer(&mut self, t: u32) {
        let slot = self.thread_slot(t);
        self.timers.cancel(slot);
    }

    /// Time of the next event.
    fn peek_time(&self) -> Option<Nanos> {
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
            s => self.on_timer((s - 1 - cores) as u32)?,
        }
        if self.processed.is_multiple_of(1 << 16) && self.trace.span_count() > MAX_SPANS {
            return Err(SimError::TooLarge {
                limit: MAX_SPANS,
                at: format_nanos(self.now),
            });
        }
        Ok(Some(time))
    }

    fn all_blocked(&self) -> SimError {
        let waiting: Vec<String> = self
            .threads
            .iter()
            .enumerate()
            .filter(|(_, th)| th.stage != Stage::Done)
            .map(|(i, th)| format!("{} ({:?})", self.trace.thread_name(i as u32), th.stage))
            .collect();
        SimError::Failed(format!(
            "every thread is blocked with nothing left to wake it at {}: {}",
            format_nanos(self.now),
            waiting.join(", ")
        ))
    }

    // ----- trace helpers -------------------------------------------------------------------

    fn show(&mut self, t: u32, state: ThreadState, other: u32) {
        self.trace
            .set(LaneId::Thread(t), self.now, Some((state, other)));
        if let Os::OnCore(c) = self.threads[t as usize].os
            && state.on_core()
        {
            self.trace.set(LaneId::Core(c), self.now, Some((state, t)));
        }
    }

    fn holder_or_none(&self, t: u32) -> u32 {
        self.gils[self.threads[t as usize].interp]
            .holder
            .unwrap_or(NONE)
    }

    // ----- the OS: cores, run queue, wake-ups ----------------------------------------------

    /// Wakes a blocked thread: it can run after the OS wake-up latency.
    fn wake(&mut self, t: u32) {
        self.threads[t as usize].os = Os::Waking;
        let state = match self.threads[t as usize].stage {
            Stage::TakeGil { .. } => ThreadState::WaitingGil,
            _ => ThreadState::Runnable,
        };
        let other = if state == ThreadState::WaitingGil {
            self.holder_or_none(t)
        } else {
            NONE
        };
        self.show(t, state, other);
        let latency = self.wake_latency();
        self.schedule(t, self.now + latency);
    }

    /// One OS wake-up latency: uniform in [0.5, 1.5) × the setting, seeded. Real futex
    /// wake-ups jitter; without it, identical timed waits phase-lock and one waiter can lose
    /// every barging race forever, which no real machine does.
    fn wake_latency(&mut self) -> Nanos {
        let mean = self.config.wake_latency;
        if mean == 0 {
            return 0;
        }
        mean / 2 + self.rng.below(mean)
    }

    /// The thread wants a core: take a free one (its last one first) or queue.
    fn want_core(&mut self, t: u32) -> Result<(), SimError> {
        let last = self.threads[t as usize].last_core;
        let free = last
            .filter(|&c| self.cores[c as usize].occupant.is_none())
            .or_else(|| {
                (0..self.cores.len() as u32).find(|&c| self.cores[c as usize].occupant.is_none())
            });
        if let Some(c) = free {
            self.assign(t, c);
            self.threads[t as usize].os = Os::OnCore(c);
            self.run(t)
        } else {
            self.threads[t as usize].os = Os::Queued;
            self.run_queue.push_back(t);
            self.show(t, ThreadState::Runnable, NONE);
            self.arm_slices();
            Ok(())
        }
    }

    fn assign(&mut self, t: u32, c: u32) {
        let core = &mut self.cores[c as usize];
        core.occupant = Some(t);
        core.since = self.now;
        self.timers.cancel(1 + c as usize);
        self.threads[t as usize].last_core = Some(c);
        if !self.run_queue.is_empty() {
            self.arm_slices();
        }
    }

    fn arm_slices(&mut self) {
        for c in 0..self.cores.len() {
            let core = &self.cores[c];
            if core.occupant.is_some() && !self.timers.is_armed(1 + c) {
                let at = self.now.max(core.since + self.config.time_slice);
                self.timers.set(1 + c, at);
            }
        }
    }

    /// The thread stops using its core (it blocks or ends); the queue's head gets the core.
    fn leave_core(&mut self, t: u32, os: Os) {
        let previous = std::mem::replace(&mut self.threads[t as usize].os, os);
        if let Os::OnCore(c) | Os::Dispatched(c) = previous {
            self.free_core(c);
        }
    }

    fn free_core(&mut self, c: u32) {
        let core = &mut self.cores[c as usize];
        core.occupant = None;
        self.timers.cancel(1 + c as usize);
        self.trace.set(LaneId::Core(c), self.now, None);
        if let Some(next) = self.run_queue.pop_front() {
            self.assign(next, c);
            self.threads[next as usize].os = Os::Dispatched(c);
            self.schedule(next, self.now);
        }
    }

    fn on_slice(&mut self, c: u32) {
        let Some(t) = self.cores[c as usize].occupant else {
            return;
        };
        if self.run_queue.is_empty() || self.threads[t as usize].os != Os::OnCore(c) {
            return;
        }
        // Preempt: settle what it did, keep its place in the program, queue it.
        self.pause_work(t);
        self.cancel_timer(t);
        self.leave_core(t, Os::Queued);
        self.run_queue.push_back(t);
        self.show(t, ThreadState::Runnable, NONE);
        self.arm_slices();
    }

    /// Settles progress of on-core work at `now` (before leaving the core).
    fn pause_work(&mut self, t: u32) {
        match self.threads[t as usize].stage {
            Stage::Bytecode => self.settle(t, None),
            Stage::CHold | Stage::CFree => {
                let th = &mut self.threads[t as usize];
                th.remaining = th.remaining.saturating_sub(self.now - th.stretch_start);
            }
            _ => {}
        }
    }

    // ----- the GIL (gil-model.md rules 1-8) -------------------------------------------------

    fn acquire(&mut self, t: u32) {
        let i = self.threads[t as usize].interp;
        let gil = &mut self.gils[i];
        gil.locked = true;
        gil.holder = Some(t);
        self.threads[t as usize].holds_gil = true;
        if gil.last_holder != Some(t) {
            let previous = gil.last_holder.unwrap_or(NONE);
            gil.last_holder = Some(t);
            gil.switch_number += 1;
            self.trace.mark(self.now, MarkerKind::Handoff, previous, t);
        }
        // COND_SIGNAL(switch_cond): a thread forced off may go on now that someone else holds it.
        if let Some(w) = self.gils[i].switch_cond.pop_front() {
            let after = match self.threads[w as usize].stage {
                Stage::SwitchWait { after } => after,
                _ => AfterSwitch::Block,
            };
            self.threads[w as usize].stage = match after {
                AfterSwitch::Retake(then) => Stage::TakeGil { woke: None, then },
                AfterSwitch::Block => Stage::Block,
            };
            self.wake(w);
        }
        self.threads[t as usize].drop_request = false;
        self.gil_lane(Some(t));
    }

    /// The GIL lane shows the holder of the one shared GIL (none with one GIL per process).
    fn gil_lane(&mut self, holder: Option<u32>) {
        if self.gils.len() == 1 {
            self.trace.set(
                LaneId::Gil,
                self.now,
                holder.map(|t| (ThreadState::Running, t)),
            );
        }
    }

    /// The GIL `t` holds becomes free and one waiter on `cond` is signalled; returns the
    /// interpreter whose GIL it was.
    fn unlock_and_signal(&mut self, t: u32) -> usize {
        let i = self.threads[t as usize].interp;
        self.gils[i].locked = false;
        self.gils[i].holder = None;
        self.threads[t as usize].holds_gil = false;
        self.gil_lane(None);
        self.signal_cond(i);
        i
    }

    /// `drop_gil`: release, signal one waiter on `cond`. Returns whether the thread must now wait
    /// on `switch_cond` (a drop request was pending and `final_release` is false).
    fn drop_gil(&mut self, t: u32, final_release: bool) -> bool {
        let i = self.unlock_and_signal(t);
        let th = &mut self.threads[t as usize];
        if th.drop_request && !final_release && self.gils[i].last_holder == Some(t) {
            th.drop_request = false;
            let requester = th.drop_requester;
            self.trace
                .mark(self.now, MarkerKind::ForcedSwitch, t, requester);
            self.gils[i].switch_cond.push_back(t);
            self.show(t, ThreadState::ForcedOff, requester);
            true
        } else {
            th.drop_request = false;
            false
        }
    }

    /// `COND_SIGNAL(cond)`: the OS wakes one waiter, chosen by the successor policy.
    fn signal_cond(&mut self, i: usize) {
        if self.gils[i].cond.is_empty() {
            return;
        }
        let index = match self.config.successor {
            SuccessorPolicy::Random => self.rng.below(self.gils[i].cond.len() as u64) as usize,
            SuccessorPolicy::Fifo => self.oldest_waiter(i, 0..self.gils[i].cond.len()),
            SuccessorPolicy::Affinity => {
                let idle: Vec<usize> = (0..self.gils[i].cond.len())
                    .filter(|&k| {
                        let (w, _) = self.gils[i].cond[k];
                        self.threads[w as usize]
                            .last_core
                            .is_some_and(|c| self.cores[c as usize].occupant.is_none())
                    })
                    .collect();
                if idle.is_empty() {
                    self.rng.below(self.gils[i].cond.len() as u64) as usize
                } else {
                    self.oldest_waiter(i, idle.into_iter())
                }
            }
        };
        let (w, _) = self.gils[i].cond.swap_remove(index);
        if let Stage::CondWait { saved, then } = self.threads[w as usize].stage {
            self.threads[w as usize].stage = Stage::TakeGil {
                woke: Some((false, saved)),
                then,
            };
        }
        self.wake(w);
    }

    fn oldest_waiter(&self, i: usize, candidates: impl Iterator<Item = usize>) -> usize {
        candidates
            .min_by_key(|&k| (self.gils[i].cond[k].1, self.gils[i].cond[k].0))
            .unwrap_or(0)
    }

    /// A waiter's timed wait expired with no switch meanwhile: `SET_GIL_DROP_REQUEST` on the holder.
    fn request_drop(&mut self, requester: u32) {
        let i = self.threads[requester as usize].interp;
        let Some(holder) = self.gils[i].holder else {
            return;
        };
        self.trace
            .mark(self.now, MarkerKind::DropRequest, holder, requester);
        let th = &mut self.threads[holder as usize];
        if th.drop_request {
            return;
        }
        th.drop_request = true;
        th.drop_requester = requester;
        // A holder running bytecode on a core will notice at its next check point.
        if th.stage == Stage::Bytecode && matches!(th.os, Os::OnCore(_)) {
            self.settle(holder, Some(()));
            self.schedule_work(holder);
        }
    }

    /// Yields at a check point: drop (forced), wait on `switch_cond`, then retake.
    fn yield_gil(&mut self, t: u32, then: Resume) {
        let forced = self.drop_gil(t, false);
        if forced {
            self.threads[t as usize].stage = Stage::SwitchWait {
                after: AfterSwitch::Retake(then),
            };
            self.leave_core(t, Os::Blocked);
        } else {
            self.threads[t as usize].stage = Stage::TakeGil { woke: None, then };
        }
    }

    // ----- the old GIL (gil-model.md rule 15) ------------------------------------------------

    /// Old GIL `take`: a plain lock. Returns whether it was taken; if not, the thread now waits
    /// on the lock (no timeout, no drop request). `retry` marks a woken waiter that lost again:
    /// a futile wake-up, which on another core stalls the holder (the "GIL battle").
    fn take_old_gil(&mut self, t: u32, retry: bool) -> bool {
        let i = self.threads[t as usize].interp;
        if !self.gils[i].locked {
            self.acquire(t);
            return true;
        }
        let holder = self.gils[i].holder.unwrap_or(NONE);
        if retry {
            self.trace
                .mark(self.now, MarkerKind::FutileWakeup, t, holder);
            if holder != NONE && matches!(self.threads[holder as usize].os, Os::OnCore(_)) {
                self.stall(holder, self.config.old_gil_contention);
            }
        }
        self.gils[i].cond.push((t, self.now));
        self.show(t, ThreadState::WaitingGil, holder);
        self.leave_core(t, Os::Blocked);
        self.cancel_timer(t);
        // The holder now has a waiter: its tick checks begin.
        if holder != NONE
            && self.threads[holder as usize].stage == Stage::Bytecode
            && matches!(self.threads[holder as usize].os, Os::OnCore(_))
        {
            self.settle(holder, Some(()));
            self.schedule_work(holder);
        }
        false
    }

    /// Old GIL tick check with a waiter: release (signalling one blocked waiter, which costs the
    /// releaser `old_gil_signal` while the lock is free), then re-acquire.
    fn old_gil_release(&mut self, t: u32) {
        self.unlock_and_signal(t);
        let th = &mut self.threads[t as usize];
        th.stage = Stage::OldRelease;
        // Signalling is C code running without the GIL; `other` = itself marks it as the GIL's
        // own overhead, not the program's work.
        self.show(t, ThreadState::CCallReleased, t);
        self.schedule(t, self.now + self.config.old_gil_signal);
    }

    /// Whether a thread other than `holder` wants GIL `i` (blocked on it, or woken and about to
    /// try).
    fn contended(&self, i: usize, holder: u32) -> bool {
        self.threads.iter().enumerate().any(|(k, th)| {
            k as u32 != holder
                && th.interp == i
                && matches!(
                    th.stage,
                    Stage::TakeGil { .. } | Stage::CondWait { .. } | Stage::OldRelease
                )
        })
    }

    /// The holder makes no progress for `cost` (its current segment is pushed back).
    fn stall(&mut self, holder: u32, cost: Nanos) {
        if self.threads[holder as usize].stage != Stage::Bytecode {
            return;
        }
        self.settle(holder, Some(()));
        let now = self.now;
        if let Some(work) = self.threads[holder as usize].work.as_mut() {
            work.segment = Some((now + cost, work.done_ps));
        }
        self.schedule_work(holder);
    }

    // ----- the GIL coming back (gil-model.md rule 18) ---------------------------------------

    /// An extension that does not declare free-threading support is imported: the GIL is
    /// enabled for the rest of the run. The importer takes it; every other thread attaches at
    /// its next check point.
    fn enable_gil(&mut self, t: u32, module: usize) {
        let name = self.module_names.get(module).cloned().unwrap_or_default();
        self.trace.warnings.push((
            self.now,
            format!(
                "RuntimeWarning: The global interpreter lock (GIL) has been enabled to load module '{name}', which has not declared that it can run safely without the GIL. To override this behavior and keep the GIL disabled (at your own risk), run with PYTHON_GIL=0 or -Xgil=0."
            ),
        ));
        self.gil_on = true;
        self.model = Model::NewGil310;
        self.acquire(t);
        for other in 0..self.threads.len() as u32 {
            let th = &self.threads[other as usize];
            if other != t && th.stage == Stage::Bytecode && matches!(th.os, Os::OnCore(_)) {
                self.settle(other, Some(()));
                self.schedule_work(other);
            }
        }
    }

    // ----- work on a core --------------------------------------------------------------------

    /// Counts the bytecodes done so far in the current segment and records it (for counters).
    /// With `Some(())` the segment continues from now; with `None` it closes.
    fn settle(&mut self, t: u32, keep: Option<()>) {
        self.settle_upto(t, keep, u64::MAX);
    }

    /// Like [`Self::settle`], with the work done capped at `cap_ps` (a check point reached).
    fn settle_upto(&mut self, t: u32, keep: Option<()>, cap_ps: u64) {
        let ps = self.ps;
        let now = self.now;
        let th = &mut self.threads[t as usize];
        let Some(work) = th.work.as_mut() else { return };
        let Some((start, from)) = work.segment else {
            return;
        };
        let done = work.done_at(now, ps).min(cap_ps).max(from);
        work.done_ps = done;
        work.segment = keep.map(|()| (now.max(start), done));
        let bytecodes = Work::position(done, ps) - Work::position(from, ps);
        let counter = work.counter.map(|c| (c, work.shape.body, work.call_inside));
        let serial = th.op_serial;
        let core = match th.os {
            Os::OnCore(c) => Some(c),
            _ => None,
        };
        self.trace.add_bytecodes(LaneId::Thread(t), bytecodes);
        if let Some(c) = core {
            self.trace.add_bytecodes(LaneId::Core(c), bytecodes);
        }
        if let Some((counter, body, call_inside)) = counter {
            self.race.record(
                counter,
                Segment {
                    thread: t,
                    start,
                    from_ps: from,
                    to_ps: done,
                    ps,
                    body,
                    call_inside,
                    op_serial: serial,
                },
            );
        }
    }

    fn start_segment(&mut self, t: u32) {
        let now = self.now;
        if let Some(work) = self.threads[t as usize].work.as_mut() {
            work.segment = Some((now, work.done_ps));
        }
        self.show(t, ThreadState::Running, NONE);
        self.schedule_work(t);
    }

    /// Timer for the work: its end, or its next check point if a drop request is pending.
    fn schedule_work(&mut self, t: u32) {
        let ps = self.ps;
        let now = self.now;
        let th = &self.threads[t as usize];
        let Some(work) = th.work else { return };
        let end = work.total * ps;
        let done = work.done_at(now, ps);
        let must_attach = self.gil_on && !th.holds_gil;
        let target = if th.drop_request || must_attach {
            let check = work.shape.next_check(Work::position(done, ps), work.total) * ps;
            (check < end).then_some(check)
        } else if self.model == Model::OldGil && th.holds_gil && self.contended(th.interp, t) {
            // Every `check_interval` ticks the holder releases and re-acquires the GIL.
            let interval = self.config.check_interval;
            let tick = (Work::position(done, ps) / interval + 1) * interval;
            (tick < work.total).then_some(tick * ps)
        } else {
            None
        };
        self.threads[t as usize].check_target = target;
        let at = work.time_of(target.unwrap_or(end)).max(now);
        self.schedule(t, at);
    }

    fn on_work_timer(&mut self, t: u32) -> Result<(), SimError> {
        let th = &mut self.threads[t as usize];
        let target = th.check_target.take();
        if let Some(target) = target.filter(|_| self.gil_on && !th.holds_gil) {
            // The GIL came back on: attach at this check point.
            self.settle_upto(t, None, target);
            self.threads[t as usize].stage = Stage::TakeGil {
                woke: None,
                then: Resume::Bytecode,
            };
            return self.run(t);
        }
        if let Some(target) = target.filter(|_| self.model == Model::OldGil) {
            self.settle_upto(t, None, target);
            self.old_gil_release(t);
            return Ok(());
        }
        let th = &self.threads[t as usize];
        let check = target.filter(|_| th.drop_request);
        if let Some(target) = check {
            // At the check point exactly: the bytecode after it has not started. Yield.
            self.settle_upto(t, None, target);
            self.yield_gil(t, Resume::Bytecode);
            if matches!(self.threads[t as usize].stage, Stage::TakeGil { .. }) {
                return self.run(t);
            }
            return Ok(());
        }
        self.settle(t, Some(()));
        let th = &mut self.threads[t as usize];
        let Some(work) = th.work else { return Ok(()) };
        if work.done_ps >= work.total * self.ps {
            self.settle(t, None);
            if self.is_executor(t) {
                self.job_done(t);
                return self.run(t);
            }
            let th = &mut self.threads[t as usize];
            th.work = None;
            th.op_serial += 1;
            th.op += 1;
            th.stage = Stage::Boundary;
            return self.run(t);
        }
        self.schedule_work(t);
        Ok(())
    }

    // ----- the thread's program -------------------------------------------------------------

    fn on_timer(&mut self, t: u32) -> Result<(), SimError> {
        let th = &self.threads[t as usize];
        match th.os {
            Os::Waking => return self.want_core(t),
            Os::Dispatched(c) => {
                self.threads[t as usize].os = Os::OnCore(c);
                return self.run(t);
            }
            _ => {}
        }
        match th.stage {
            Stage::NotStarted if self.is_task(t) => {
                self.trace.threads[t as usize].started = Some(self.now);
                self.make_ready(t);
                Ok(())
            }
            Stage::NotStarted if self.is_executor(t) => {
                self.trace.threads[t as usize].started = Some(self.now);
                self.executor_idle(t);
                Ok(())
            }
            Stage::NotStarted => {
                self.trace.threads[t as usize].started = Some(self.now);
                self.threads[t as usize].stage = Stage::TakeGil {
                    woke: None,
                    then: Resume::Boundary,
                };
                self.show(t, ThreadState::WaitingGil, self.holder_or_none(t));
                self.want_core(t)
            }
            Stage::Bytecode => self.on_work_timer(t),
            Stage::CHold => {
                let th = &mut self.threads[t as usize];
                if th.booting {
                    th.booting = false;
                } else {
                    th.op += 1;
                }
                th.stage = Stage::Boundary;
                self.run(t)
            }
            Stage::CFree => {
                let th = &mut self.threads[t as usize];
                th.op += 1;
                th.stage = Stage::TakeGil {
                    woke: None,
                    then: Resume::Boundary,
                };
                self.run(t)
            }
            Stage::Blocking if self.is_task(t) => {
                // The awaited I/O or sleep completed: the task is ready.
                self.threads[t as usize].op += 1;
                self.make_ready(t);
                Ok(())
            }
            Stage::Blocking => {
                let th = &mut self.threads[t as usize];
                th.op += 1;
                th.stage = Stage::TakeGil {
                    woke: None,
                    then: Resume::Boundary,
                };
                self.wake(t);
                Ok(())
            }
            Stage::OldRelease => {
                let th = &mut self.threads[t as usize];
                th.stage = Stage::TakeGil {
                    woke: None,
                    then: Resume::Bytecode,
                };
                if self.gils[th.interp].locked {
                    // A waiter took the GIL while this thread was signalling.
                    self.trace.mark(
                        self.now,
                        MarkerKind::FutileWakeup,
                        t,
                        self.holder_or_none(t),
                    );
                }
                self.run(t)
            }
            Stage::CondWait { saved, then } => {
                // The timed wait expired.
                let i = self.threads[t as usize].interp;
                self.gils[i].cond.retain(|&(w, _)| w != t);
                self.threads[t as usize].stage = Stage::TakeGil {
                    woke: Some((true, saved)),
                    then,
                };
                self.wake(t);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Executes instantaneous steps on a core until the thread blocks or starts timed work.
    fn run(&mut self, t: u32) -> Result<(), SimError> {
        for _ in 0..STALL_LIMIT {
            let stage = self.threads[t as usize].stage;
            match stage {
                Stage::TakeGil { woke, then } => {
                    let next = match then {
                        Resume::Boundary => Stage::Boundary,
                        Resume::Bytecode => Stage::Bytecode,
                    };
                    let i = self.threads[t as usize].interp;
                    if !self.gil_on || self.threads[t as usize].holds_gil {
                        self.threads[t as usize].stage = next;
                        continue;
                    }
                    if self.model == Model::OldGil {
                        if !self.take_old_gil(t, woke.is_some()) {
                            self.threads[t as usize].stage = Stage::CondWait { saved: 0, then };
                            return Ok(());
                        }
                        self.threads[t as usize].stage = next;
                        continue;
                    }
                    if let Some((true, saved)) = woke
                        && self.gils[i].locked
                        && self.gils[i].switch_number == saved
                    {
                        self.request_drop(t);
                    }
                    if !self.gils[i].locked {
                        self.acquire(t);
                        self.threads[t as usize].stage = next;
                        continue;
                    }
                    let saved = self.gils[i].switch_number;
                    self.threads[t as usize].stage = Stage::CondWait { saved, then };
                    self.gils[i].cond.push((t, self.now));
                    self.show(t, ThreadState::WaitingGil, self.holder_or_none(t));
                    self.leave_core(t, Os::Blocked);
                    self.schedule(t, self.now + self.config.switch_interval());
                    return Ok(());
                }
                Stage::Boundary => {
                    if !self.at_boundary(t) {
                        return Ok(());
                    }
                }
                Stage::Block => {
                    if !self.start_blocking(t)? {
                        return Ok(());
                    }
                }
                Stage::Bytecode => {
                    self.start_segment(t);
                    return Ok(());
                }
                Stage::CHold | Stage::CFree => {
                    let shown = if stage == Stage::CHold {
                        ThreadState::CCallHolding
                    } else {
                        ThreadState::CCallReleased
                    };
                    self.threads[t as usize].stretch_start = self.now;
                    self.show(t, shown, NONE);
                    let remaining = self.threads[t as usize].remaining;
                    self.schedule(t, self.now + remaining);
                    return Ok(());
                }
                Stage::NotStarted
                | Stage::CondWait { .. }
                | Stage::SwitchWait { .. }
                | Stage::Blocking
                | Stage::LockWait(_)
                | Stage::Ready
                | Stage::ExecutorIdle
                | Stage::Done => return Ok(()),
                // Preempted while signalling: back on a core, it re-acquires.
                Stage::OldRelease => {
                    self.threads[t as usize].stage = Stage::TakeGil {
                        woke: None,
                        then: Resume::Bytecode,
                    };
                }
            }
        }
        Err(SimError::NoProgress {
            at: format_nanos(self.now),
            detail: format!(
                "thread {} repeats operations that take no time forever: give it some compute, or an operation with a duration",
                self.trace.thread_name(t)
            ),
        })
    }

    /// The check point before an op, then the op's start. Returns whether to keep running.
    fn at_boundary(&mut self, t: u32) -> bool {
        if self.is_executor(t) {
            return self.executor_boundary(t);
        }
        let group = self.threads[t as usize].group;
        let (len, repeat) = (self.programs[group].0.len(), self.programs[group].1);
        let th = &mut self.threads[t as usize];
        if th.startup > 0 && (th.holds_gil || !self.gil_on) {
            // A new process or interpreter boots first, on its own core with its own GIL.
            th.remaining = std::mem::take(&mut th.startup);
            th.booting = true;
            th.stage = Stage::CHold;
            return true;
        }
        if self.threads[t as usize].op >= len {
            let th = &mut self.threads[t as usize];
            th.iteration += 1;
            th.op = 0;
            if repeat == Repeat::Times(th.iteration) {
                self.finish_thread(t);
                return false;
            }
        }
        let th = &self.threads[t as usize];
        if th.holds_gil && th.drop_request {
            self.yield_gil(t, Resume::Boundary);
            return matches!(self.threads[t as usize].stage, Stage::TakeGil { .. });
        }
        if self.gil_on && !th.holds_gil {
            self.threads[t as usize].stage = Stage::TakeGil {
                woke: None,
                then: Resume::Boundary,
            };
            return true;
        }
        self.start_op(t)
    }

    /// Starts the current op (the GIL held where one is on). Returns whether to keep running.
    fn start_op(&mut self, t: u32) -> bool {
        let th = &self.threads[t as usize];
        let op = self.programs[th.group].0[th.op].clone();
        if self.is_task(t)
            && let Some(keep_running) = self.start_task_await(t, &op)
        {
            return keep_running;
        }
        match op {
            Op::Compute {
                bytecodes,
                loop_body,
            } => {
                self.begin_work(
                    t,
                    bytecodes,
                    LoopShape::compute(loop_body, self.model),
                    None,
                    false,
                );
                false
            }
            Op::Increment {
                counter,
                times,
                call_inside,
                ..
            } => {
                let shape = LoopShape::increment(call_inside, self.model);
                self.begin_work(
                    t,
                    times * u64::from(shape.body),
                    shape,
                    Some(counter),
                    call_inside,
                );
                false
            }
            Op::CCall {
                duration,
                releases_gil: false,
            } => {
                let th = &mut self.threads[t as usize];
                th.remaining = duration;
                th.stage = Stage::CHold;
                true
            }
            Op::CCall {
                releases_gil: true, ..
            }
            | Op::Io(_)
            | Op::Sleep(_) => self.release_for_call(t),
            Op::Lock(lock) => {
                if self.locks[lock].holder.is_none() {
                    self.take_lock(t, lock);
                    self.threads[t as usize].op += 1;
                    true
                } else {
                    self.trace
                        .mark(self.now, MarkerKind::LockBlocked, t, lock as u32);
                    self.release_for_call(t)
                }
            }
            Op::Unlock(lock) => {
                self.release_lock(t, lock);
                self.threads[t as usize].op += 1;
                true
            }
            Op::Import {
                module,
                supports_free_threading,
                duration,
            } => {
                if !self.gil_on
                    && !supports_free_threading
                    && self.config.gil_override != Some(false)
                {
                    self.enable_gil(t, module);
                }
                let th = &mut self.threads[t as usize];
                th.remaining = duration;
                th.stage = Stage::CHold;
                true
            }
            // `send` is expanded into C calls and I/O when the engine is built, and `offload`
            // runs inline except under asyncio.
            Op::Send(_) | Op::Offload(_) => {
                self.threads[t as usize].op += 1;
                true
            }
        }
    }

    /// `Py_BEGIN_ALLOW_THREADS` before a blocking call. Returns whether to keep running.
    fn release_for_call(&mut self, t: u32) -> bool {
        if self.threads[t as usize].holds_gil && self.drop_gil(t, false) {
            self.threads[t as usize].stage = Stage::SwitchWait {
                after: AfterSwitch::Block,
            };
            self.leave_core(t, Os::Blocked);
            return false;
        }
        self.threads[t as usize].stage = Stage::Block;
        true
    }

    fn begin_work(
        &mut self,
        t: u32,
        total: u64,
        shape: LoopShape,
        counter: Option<usize>,
        call_inside: bool,
    ) {
        self.threads[t as usize].work = Some(Work {
            total,
            done_ps: 0,
            segment: None,
            shape,
            counter,
            call_inside,
        });
        self.threads[t as usize].stage = Stage::Bytecode;
        self.start_segment(t);
    }

    /// The GIL-free part of an op. Returns whether to keep running.
    fn start_blocking(&mut self, t: u32) -> Result<bool, SimError> {
        if self.is_executor(t) {
            self.executor_idle(t);
            return Ok(false);
        }
        let th = &self.threads[t as usize];
        let op = self.programs[th.group].0[th.op].clone();
        match op {
            Op::Io(d) | Op::Sleep(d) => {
                self.threads[t as usize].stage = Stage::Blocking;
                self.show(t, ThreadState::Io, NONE);
                self.leave_core(t, Os::Blocked);
                self.schedule(t, self.now + d);
                Ok(false)
            }
            Op::CCall { duration, .. } => {
                let th = &mut self.threads[t as usize];
                th.remaining = duration;
                th.stage = Stage::CFree;
                if matches!(th.os, Os::OnCore(_)) {
                    Ok(true)
                } else {
                    // Woken from switch_cond: it needs a core for the C code.
                    self.want_core(t)?;
                    Ok(false)
                }
            }
            Op::Lock(lock) => {
                if self.locks[lock].holder.is_none() {
                    self.take_lock(t, lock);
                    let th = &mut self.threads[t as usize];
                    th.op += 1;
                    th.stage = Stage::TakeGil {
                        woke: None,
                        then: Resume::Boundary,
                    };
                    return Ok(true);
                }
                self.threads[t as usize].stage = Stage::LockWait(lock);
                self.locks[lock].waiters.push_back(t);
                self.show(t, ThreadState::Lock, lock as u32);
                self.leave_core(t, Os::Blocked);
                self.check_deadlock(t, lock)?;
                Ok(false)
            }
            _ => Ok(true),
        }
    }

    fn take_lock(&mut self, t: u32, lock: usize) {
        self.locks[lock].holder = Some(t);
        self.trace
            .mark(self.now, MarkerKind::LockAcquired, t, lock as u32);
    }

    fn release_lock(&mut self, t: u32, lock: usize) {
        self.locks[lock].holder = None;
        self.trace
            .mark(self.now, MarkerKind::LockReleased, t, lock as u32);
        if let Some(w) = self.locks[lock].waiters.pop_front() {
            self.take_lock(w, lock);
            if self.is_task(w) {
                self.threads[w as usize].op += 1;
                self.make_ready(w);
                return;
            }
            let th = &mut self.threads[w as usize];
            th.op += 1;
            th.stage = Stage::TakeGil {
                woke: None,
                then: Resume::Boundary,
            };
            self.wake(w);
        }
    }

    fn check_deadlock(&self, t: u32, lock: usize) -> Result<(), SimError> {
        let mut chain = vec![(t, lock)];
        let mut waiting_for = lock;
        while let Some(holder) = self.locks[waiting_for].holder {
            if holder == t {
                let cycle = chain
                    .iter()
                    .map(|&(th, l)| {
                        let holder = self.locks[l].holder.unwrap_or(NONE);
                        format!(
                            "thread {} waits for lock \"{}\" held by thread {}",
                            self.trace.thread_name(th),
                            self.lock_names[l],
                            self.trace.thread_name(holder)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(SimError::Deadlock {
                    at: format_nanos(self.now),
                    cycle,
                });
            }
            match self.threads[holder as usize].stage {
                Stage::LockWait(next) => {
                    chain.push((holder, next));
                    waiting_for = next;
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn finish_thread(&mut self, t: u32) {
        if self.is_task(t) {
            self.release_loop(t);
        }
        if self.threads[t as usize].holds_gil {
            // Thread exit releases the GIL for good: no wait on switch_cond.
            self.drop_gil(t, true);
        }
        self.cancel_timer(t);
        let th = &mut self.threads[t as usize];
        th.stage = Stage::Done;
        let finite = th.finite;
        self.trace.threads[t as usize].finished = Some(self.now);
        self.show(t, ThreadState::Done, NONE);
        self.leave_core(t, Os::Off);
        if finite {
            self.finite_left -= 1;
            if self.finite_left == 0 {
                self.end_run();
            }
        }
    }

    fn end_run(&mut self) {
        if self.finished {
            return;
        }
        for t in 0..self.threads.len() as u32 {
            if self.threads[t as usize].stage == Stage::Bytecode
                && matches!(self.threads[t as usize].os, Os::OnCore(_))
            {
                self.settle(t, None);
            }
        }
        self.trace.close(self.now);
        let jitter = if self.gil_on {
            0
        } else {
            (self.ps / 1000).max(1)
        };
        let mut counters = self
            .race
            .resolve(&self.counter_names, self.config.seed, jitter);
        if runtime::one_interpreter_per_thread(&self.config) {
            // Every process or interpreter has its own copy of a global: the parent's counter
            // only sees increments made through shared memory.
            for (index, counter) in counters.iter_mut().enumerate() {
                let shared = self.programs.iter().flat_map(|(ops, _)| ops).any(|op| matches!(op, Op::Increment { counter: c, shared: true, .. } if *c == index));
                counter.actual = if shared { counter.expected } else { 0 };
                counter.lost = counter.expected - counter.actual;
            }
        }
        self.trace.counters = counters;
        self.finished = true;
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
