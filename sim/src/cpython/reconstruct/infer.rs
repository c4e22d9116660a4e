//! How observed records become thread states, GIL holders and markers.
//!
//! Each lane's own records say what it does: stamps advancing inside a loop are *running*;
//! between the boundary stamps of an `io` or `sleep` it is *in I/O*, of a C call *in a C call*
//! (holding the GIL or not), of a blocked `acquire` *blocked on a lock*.
//!
//! Under a GIL shared by the lanes (threads, or asyncio's loop thread and its executors, on a
//! build whose GIL is on) at most one of them runs Python at a time, and every record is
//! written by Python code, so every record proves its lane held the GIL when it was stamped.
//! The GIL lane follows from that: when a record comes from another lane than the holder's,
//! the GIL changed hands in between. The new holder took it when it resumed: a loop's chunk
//! has a known uncontended length (calibration), so a lane whose stamp ends a chunk took the
//! GIL that long before it (and no earlier than the previous record of anyone); a lane whose
//! record ends a blocking call took it just before stamping. The previous holder stopped
//! running then, or earlier if its own chunk would have ended before — the gap is the handoff,
//! the GIL free while someone waits — and waits for the GIL from there (whether it was forced
//! off on `switch_cond` or merely lost the race cannot be told). The handoff is therefore
//! placed within one chunk, about [`ProgramOptions::chunk_us`](super::super::ProgramOptions).
//!
//! The part of an `io`, `sleep` or GIL-releasing C call after its nominal end is *waiting for
//! the GIL* when another lane held the GIL then (from the nominal end, or from when that lane
//! took it); when the GIL was free, the delay is the OS waking the thread and stays *in I/O*.
//! A GIL-releasing C call is sized by calibration to last its nominal time alone, so its part
//! past the nominal end is not its work but a slowdown (most often the call sharing a core):
//! it stays *in a C call* with `other` set to the lane itself, which stats leave out of the
//! CPU time and the sequential time (like the old GIL's release-and-signal).
//! An asyncio task whose `await` is over but has not resumed is *ready*, waiting for the loop.
//!
//! Without a shared GIL — a free-threaded build with the GIL off, one process or one
//! subinterpreter per lane — lanes stand alone: no GIL lane, no waiting for the GIL, and a
//! lane that stamps slower than alone is shown running, since what delayed it (another
//! thread on its core, a shared cache line) is not observed.

use crate::cpython::wire::{Calibration, Code, Hello, LaneRole, Record};
use crate::time::Nanos;
use crate::trace::{LaneId, MarkerKind, NONE, ThreadState, Trace};
use std::collections::BTreeMap;

/// What a lane is doing, as far as its records have said.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) enum Ctx {
    /// No record yet.
    #[default]
    NotStarted,
    /// Running Python between operations (or, for an executor, waiting for a job).
    Between,
    /// Inside a chunked loop.
    Loop(LoopCtx),
    /// In a call that releases the GIL, or blocked on a lock.
    Blocked {
        /// When the call's nominal duration is over.
        nominal_end: Nanos,
        /// What it is in: I/O, a C call that released the GIL, or a lock wait (which has no
        /// nominal end).
        state: ThreadState,
    },
    /// In C code that keeps the GIL (a C call, an import, a send between threads).
    Holding,
    /// Ended.
    Done,
}

/// A loop in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct LoopCtx {
    planned: u64,
    counted: u64,
    facts: LoopFacts,
    counter: Option<usize>,
}

/// A loop's calibration: iterations per chunk, its work per iteration, a chunk's time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LoopFacts {
    chunk: u64,
    /// An iteration's work in countdown bytecodes, the unit of `bytecode_ns` (the simulator's
    /// unit too): the countdown loop's instructions, and for any other loop its measured time
    /// per iteration over a countdown bytecode's. Counting `dis` instructions instead would
    /// make an increment (12 instructions that take 18–21 countdown bytecodes) look cheaper
    /// than it is, and the real run's speedup (sequential time over wall) too low.
    bytecodes: f64,
    chunk_ns: Nanos,
}

/// Per lane: its context, and when it last ran.
#[derive(Debug, Clone, Copy, Default)]
struct Timing {
    ctx: Ctx,
    /// When its current stretch of running began (or its last stamp).
    since: Nanos,
    /// Expected running time left in its current chunk.
    left: Nanos,
    /// Its lane's state, and since when.
    state: Option<(ThreadState, u32)>,
    set_at: Nanos,
}

/// The state of the inference, with the trace it writes.
#[derive(Debug, Clone)]
pub(super) struct Inference {
    /// The trace being built.
    pub(super) trace: Trace,
    /// Increments made, per counter.
    pub(super) increments: Vec<u64>,
    roles: Vec<LaneRole>,
    lanes: Vec<Timing>,
    loops: BTreeMap<String, LoopFacts>,
    shared_gil: bool,
    separate_processes: bool,
    /// Whether a `send` stamps its pickling's end (`Pickled`) before its write: the
    /// multiprocessing runtime's; a pool's `SimpleQueue.put` does both steps inside.
    stamps_pickling: bool,
    holder: Option<usize>,
    last_holder: Option<usize>,
    gil_since: Nanos,
    clock: Nanos,
}

/// asyncio tasks all run on the loop thread: one holder of the GIL among them.
const LOOP_THREAD: usize = usize::MAX;

impl Inference {
    pub(super) fn new(trace: Trace, roles: Vec<LaneRole>) -> Self {
        Self {
            lanes: vec![Timing::default(); roles.len()],
            roles,
            trace,
            increments: Vec::new(),
            loops: BTreeMap::new(),
            shared_gil: false,
            separate_processes: false,
            stamps_pickling: false,
            holder: None,
            last_holder: None,
            gil_since: 0,
            clock: 0,
        }
    }

    /// Takes the interpreter's description: whether its lanes share one GIL.
    pub(super) fn configure(&mut self, hello: &Hello) {
        self.shared_gil = hello.gil_enabled
            && matches!(
                hello.runtime.as_str(),
                "threads" | "asyncio" | "thread-pool"
            );
        self.separate_processes = matches!(
            hello.runtime.as_str(),
            "multiprocessing" | "pool" | "process-pool"
        );
        self.stamps_pickling = hello.runtime == "multiprocessing";
        self.increments = vec![0; hello.counters.len()];
    }

    /// Takes the loops' calibration.
    pub(super) fn calibrate(&mut self, calibration: &Calibration) {
        let countdown_ns = calibration
            .loops
            .get("compute")
            .filter(|l| l.instructions > 0 && l.ns_per_iteration > 0.0)
            .map(|l| l.ns_per_iteration / f64::from(l.instructions));
        self.loops = calibration
            .loops
            .iter()
            .map(|(name, l)| {
                let bytecodes = match countdown_ns {
                    Some(ns) if name != "compute" => l.ns_per_iteration / ns,
                    _ => f64::from(l.instructions),
                };
                let facts = LoopFacts {
                    chunk: l.chunk.max(1),
                    bytecodes,
                    chunk_ns: (l.ns_per_iteration * l.chunk as f64).round() as Nanos,
                };
                (name.clone(), facts)
            })
            .collect();
    }

    fn identity(&self, lane: usize) -> usize {
        if self.roles.get(lane) == Some(&LaneRole::Task) {
            LOOP_THREAD
        } else {
            lane
        }
    }

    fn set(&mut self, lane: usize, t: Nanos, next: Option<(ThreadState, u32)>) {
        let timing = &mut self.lanes[lane];
        let t = t.max(timing.set_at);
        timing.set_at = t;
        timing.state = next;
        self.trace.set(LaneId::Thread(lane as u32), t, next);
    }

    fn show(&mut self, lane: usize, t: Nanos, state: ThreadState, other: u32) {
        self.set(lane, t, Some((state, other)));
    }

    /// Makes sure the lane shows as running from `t` on.
    fn running(&mut self, lane: usize, t: Nanos) {
        if self.lanes[lane].state.map(|s| s.0) != Some(ThreadState::Running) {
            self.show(lane, t, ThreadState::Running, NONE);
        }
    }

    fn gil(&mut self, t: Nanos, holder: Option<usize>) {
        let t = t.max(self.gil_since);
        self.gil_since = t;
        self.holder = holder;
        self.trace.set(
            LaneId::Gil,
            t,
            holder.map(|h| (ThreadState::Running, h as u32)),
        );
    }

    /// The lane let the GIL go at `t` (a blocking call, an await, its end).
    fn release(&mut self, lane: usize, t: Nanos) {
        if self.shared_gil && self.holder == Some(lane) {
            self.gil(t, None);
        }
    }

    /// The lane stamped at `t` while holding the GIL: if someone else held it, it changed
    /// hands in between (see the module documentation).
    fn acquire(&mut self, lane: usize, t: Nanos) {
        let me = self.identity(lane);
        if let Some(holder) = self.holder
            && self.identity(holder) == me
        {
            if holder != lane {
                // Another task on the loop thread: the loop ran it, no GIL handoff.
                self.gil(self.clock.max(self.gil_since), Some(lane));
            }
            return;
        }
        let timing = self.lanes[lane];
        let before = match timing.ctx {
            Ctx::Loop(_) => timing.left,
            _ => 0,
        };
        let taken = t.saturating_sub(before).max(self.clock).min(t);
        if let Some(previous) = self.holder {
            let p = self.lanes[previous];
            let stopped = match p.ctx {
                Ctx::Loop(_) => taken.min(p.since + p.left),
                _ => taken,
            }
            .max(p.since.min(taken));
            let p = &mut self.lanes[previous];
            p.left = p.left.saturating_sub(stopped.saturating_sub(p.since));
            p.since = stopped;
            if p.state.map(|s| s.0) == Some(ThreadState::Running) {
                self.show(previous, stopped, ThreadState::WaitingGil, lane as u32);
            }
            if stopped < taken {
                self.gil(stopped, None);
            }
        }
        self.gil(taken, Some(lane));
        if self.last_holder.map(|h| self.identity(h)) != Some(me) {
            let from = self.last_holder.map_or(NONE, |h| h as u32);
            self.trace
                .mark(taken, MarkerKind::Handoff, from, lane as u32);
        }
        self.last_holder = Some(lane);
        if matches!(timing.ctx, Ctx::Loop(_) | Ctx::Between | Ctx::NotStarted) {
            self.show(lane, taken, ThreadState::Running, NONE);
            self.lanes[lane].since = taken;
        }
    }

    /// A blocking call (or lock wait) returned at `t`: what the time after its nominal end was.
    fn unblock(&mut self, lane: usize, t: Nanos, nominal_end: Nanos, state: ThreadState) {
        if state == ThreadState::Lock || t <= nominal_end {
            return;
        }
        let c_call = state == ThreadState::CCallReleased;
        if c_call {
            // The C call was sized to last its nominal time alone: what it took beyond is not
            // its work but a slowdown (most often sharing a core with other threads), marked
            // as not the program's work (`other` = the lane itself) so that stats count the
            // call's work, not its wall time, in CPU time and the sequential time.
            self.show(lane, nominal_end, ThreadState::CCallReleased, lane as u32);
        }
        if !self.shared_gil {
            return;
        }
        if self.roles[lane] == LaneRole::Task && !c_call {
            self.show(lane, nominal_end, ThreadState::Ready, NONE);
            return;
        }
        if let Some(holder) = self.holder
            && self.identity(holder) != self.identity(lane)
        {
            let from = nominal_end.max(self.gil_since);
            if from < t {
                self.show(lane, from, ThreadState::WaitingGil, holder as u32);
            }
        }
    }

    fn begin_loop(
        &mut self,
        lane: usize,
        t: Nanos,
        name: &str,
        planned: f64,
        counter: Option<usize>,
    ) {
        let facts = self.loops.get(name).copied().unwrap_or(LoopFacts {
            chunk: 1,
            bytecodes: 1.0,
            chunk_ns: 0,
        });
        let timing = &mut self.lanes[lane];
        timing.ctx = Ctx::Loop(LoopCtx {
            planned: planned.max(0.0) as u64,
            counted: 0,
            facts,
            counter,
        });
        timing.left = facts.chunk_ns;
        timing.since = t;
        self.running(lane, t);
    }

    fn end_loop(&mut self, lane: usize, t: Nanos, done: f64) {
        if let Ctx::Loop(l) = self.lanes[lane].ctx {
            let done = done.max(0.0) as u64;
            self.add_iterations(lane, done.saturating_sub(l.counted), l.facts.bytecodes);
            if let Some(total) = l.counter.and_then(|c| self.increments.get_mut(c)) {
                *total += done;
            }
        }
        self.lanes[lane].ctx = Ctx::Between;
        self.running(lane, t);
    }

    /// The lane enters a call that releases the GIL (or a lock wait) at `t`.
    fn block(&mut self, lane: usize, t: Nanos, state: (ThreadState, u32), nominal_end: Nanos) {
        self.set(lane, t, Some(state));
        self.lanes[lane].ctx = Ctx::Blocked {
            nominal_end,
            state: state.0,
        };
        self.release(lane, t);
    }

    fn add_iterations(&mut self, lane: usize, iterations: u64, bytecodes: f64) {
        let work = (iterations as f64 * bytecodes).round() as u64;
        self.trace.add_bytecodes(LaneId::Thread(lane as u32), work);
    }

    /// A `send`'s stamps. Between processes, the multiprocessing runtime's pickling, holding
    /// the process's own GIL, as the simulator shows it, then (`Pickled`) a pipe write that
    /// blocks until the main process has read all but the last buffer; a pool's send is both
    /// at once, shown as the write. Between threads or subinterpreters, C work that keeps the
    /// GIL.
    fn send(&mut self, lane: usize, t: Nanos, code: Code) {
        if code == Code::Send && self.stamps_pickling {
            self.show(lane, t, ThreadState::Pickling, NONE);
            self.lanes[lane].ctx = Ctx::Holding;
        } else if self.separate_processes {
            self.block(lane, t, (ThreadState::Io, NONE), t);
        } else {
            self.show(lane, t, ThreadState::CCallHolding, NONE);
            self.lanes[lane].ctx = Ctx::Holding;
        }
    }

    /// Processes one record of `lane`, stamped at `t` (records arrive in time order).
    pub(super) fn process(&mut self, lane: usize, t: Nanos, record: Record) {
        if let (Ctx::Blocked { nominal_end, state }, Record::Event { code, .. }) =
            (self.lanes[lane].ctx, record)
            && matches!(code, Code::OpEnd | Code::LockTaken)
        {
            self.unblock(lane, t, nominal_end, state);
            self.lanes[lane].ctx = Ctx::Between;
        }
        if self.shared_gil {
            self.acquire(lane, t);
        }
        self.apply(lane, t, record);
        self.clock = self.clock.max(t);
        self.trace.now = self.trace.now.max(t);
    }

    fn apply(&mut self, lane: usize, t: Nanos, record: Record) {
        let (code, a, b) = match record {
            Record::Chunk(_) => {
                if let Ctx::Loop(mut l) = self.lanes[lane].ctx {
                    let n = l.facts.chunk.min(l.planned.saturating_sub(l.counted));
                    l.counted += n;
                    self.add_iterations(lane, n, l.facts.bytecodes);
                    let timing = &mut self.lanes[lane];
                    timing.ctx = Ctx::Loop(l);
                    timing.left = l.facts.chunk_ns;
                    timing.since = t;
                    self.running(lane, t);
                }
                return;
            }
            Record::Event { code, a, b, .. } => (code, a, b),
        };
        let seconds = |s: f64| (s.max(0.0) * 1e9).round() as Nanos;
        match code {
            Code::ThreadStart => {
                self.trace.threads[lane].started = Some(t);
                self.lanes[lane].ctx = Ctx::Between;
                self.running(lane, t);
            }
            Code::ThreadEnd => {
                if a == 0.0 {
                    self.trace.threads[lane].finished = Some(t);
                }
                self.release(lane, t);
                self.lanes[lane].ctx = Ctx::Done;
                self.show(lane, t, ThreadState::Done, NONE);
            }
            Code::Compute => self.begin_loop(lane, t, "compute", a, None),
            Code::Increment | Code::IncrementCall | Code::IncrementShared => {
                let counter = b as usize;
                let name = match code {
                    Code::Increment => format!("increment_{counter}"),
                    Code::IncrementCall => format!("increment_call_{counter}"),
                    _ => format!("increment_shared_{counter}"),
                };
                self.begin_loop(lane, t, &name, a, Some(counter));
            }
            Code::Read => self.begin_loop(lane, t, &format!("read_{}", b as usize), a, None),
            Code::Mutate => self.begin_loop(lane, t, &format!("mutate_{}", b as usize), a, None),
            Code::LoopEnd => self.end_loop(lane, t, a),
            Code::Io | Code::Sleep | Code::Offload => {
                // An executor job has no nominal end: the task awaits it until it resumes.
                let end = if code == Code::Offload {
                    Nanos::MAX
                } else {
                    t + seconds(a)
                };
                self.block(lane, t, (ThreadState::Io, NONE), end);
            }
            Code::CCallRelease => {
                let end = t + seconds(a);
                self.block(lane, t, (ThreadState::CCallReleased, NONE), end);
            }
            Code::Send | Code::Pickled => self.send(lane, t, code),
            Code::CCallHold | Code::Import => {
                self.show(lane, t, ThreadState::CCallHolding, NONE);
                self.lanes[lane].ctx = Ctx::Holding;
            }
            // `gc.collect()`: C work that keeps the GIL, shown as the simulator shows it.
            Code::Collect => {
                self.show(lane, t, ThreadState::Collecting, NONE);
                self.lanes[lane].ctx = Ctx::Holding;
            }
            Code::OpEnd => {
                self.lanes[lane].ctx = Ctx::Between;
                if self.lanes[lane].state.map(|s| s.0) != Some(ThreadState::Running) {
                    self.show(lane, t, ThreadState::Running, NONE);
                }
            }
            Code::LockWait => {
                let lock = a as u32;
                self.trace
                    .mark(t, MarkerKind::LockBlocked, lane as u32, lock);
                self.block(lane, t, (ThreadState::Lock, lock), t);
            }
            Code::LockTaken => {
                self.trace
                    .mark(t, MarkerKind::LockAcquired, lane as u32, a as u32);
                self.running(lane, t);
            }
            Code::Unlock => {
                self.trace
                    .mark(t, MarkerKind::LockReleased, lane as u32, a as u32);
            }
            Code::Idle => {
                self.lanes[lane].ctx = Ctx::Between;
                self.release(lane, t);
                self.set(lane, t, None);
            }
        }
    }
}
