//! One simulated thread: the id that names it ([`Tid`]), where it is in its program and in the
//! GIL protocol ([`Stage`]), what the OS sees of it ([`Os`]), and the table of all of them
//! ([`Threads`]). Data only; the rules that move a thread between stages live in the files
//! named after them.

use super::event_loop::Role;
use crate::engine::work::Work;
use crate::time::Nanos;
use crate::trace::{NONE, ThreadId};
use std::ops::{Index, IndexMut};

/// A simulated thread: its index in the engine's thread table, which is also its id in the
/// trace ([`ThreadId`]). It becomes that id, with [`Tid::id`], wherever the engine records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Tid(u32);

impl Tid {
    /// The thread at `index` of the table.
    pub(super) fn from_index(index: usize) -> Self {
        Tid(index as u32)
    }

    /// Its index in the engine's and the trace's thread tables.
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }

    /// Its id in the trace.
    pub(super) fn id(self) -> ThreadId {
        self.0
    }
}

/// The trace's id of `t`, or [`NONE`] for no thread.
pub(super) fn id_or_none(t: Option<Tid>) -> ThreadId {
    t.map_or(NONE, Tid::id)
}

/// What a thread does once it holds the GIL again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resume {
    /// Start the current op (a check point first).
    Boundary,
    /// Continue the bytecode loop it was forced out of.
    Bytecode,
}

impl Resume {
    /// The stage it goes on in.
    pub(super) fn stage(self) -> Stage {
        match self {
            Resume::Boundary => Stage::Boundary,
            Resume::Bytecode => Stage::Bytecode,
        }
    }
}

/// What a thread forced off does once a successor has taken the GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterSwitch {
    /// Ask for the GIL again (it was yielding at a check point).
    Retake(Resume),
    /// Go on with the GIL-free part of its op (the drop was for I/O, a C call or a lock).
    Block,
}

/// Where a thread is in its program and in the GIL protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
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
    /// In I/O or sleep, asleep in the kernel.
    Blocking,
    /// In a system call that does not block, on its core, GIL released.
    Syscall,
    /// Waiting for a lock.
    LockWait(usize),
    /// Old GIL: released at a tick check, signalling; re-acquires when its timer fires.
    OldRelease,
    /// Old GIL: a woken waiter that found the lock taken, in the `futex_wait` system call that
    /// puts it back to sleep; `posts` is the lock's count of releases when the call began (a
    /// release meanwhile makes the call return at once, `EAGAIN`, and it looks again).
    OldResleep {
        posts: u64,
        then: Resume,
    },
    /// asyncio: a task in the ready queue, waiting for the loop.
    Ready,
    /// Stopping the world: blocked until every other attached thread has paused.
    StoppingWorld,
    /// Paused by another thread's stop-the-world; goes on as [`Th::parked`] says once woken.
    Parked,
    /// Running a garbage collection (the world stopped, in a free-threaded build).
    Collecting,
    /// asyncio: an executor thread waiting for a job.
    ExecutorIdle,
    /// A pool's task waiting for a worker (or for the task before it in its chunk).
    Queued,
    /// Writing a message to a pipe: copying its next buffer in, on a core, GIL released.
    PipeCopy,
    /// Writing a message to a pipe: asleep in the kernel on the full pipe until the reader
    /// takes the buffer; then woken, it copies the next one.
    PipeWrite,
    /// A task's result written, on its way to the parent until it has been read.
    Delivering,
    Done,
}

impl Stage {
    /// Running `take_gil` with no wait behind it yet, then going on as `then` says.
    pub(super) fn take_gil(then: Resume) -> Self {
        Stage::TakeGil { woke: None, then }
    }
}

/// A runtime's own work on a thread's core, holding its interpreter's GIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overhead {
    /// A new process or interpreter booting before the program.
    Booting,
    /// Pickling or unpickling a message; then writing it to a pipe, if `write` says so, or
    /// going on to the next op if `next_op`, else starting the current one.
    Pickling {
        write: Option<PipeMessage>,
        next_op: bool,
    },
}

/// A message for the parent's pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PipeMessage {
    /// Its pickled size.
    pub(super) bytes: u64,
    /// A task's result (read by the pool's result handler, which unpickles it) rather than a
    /// `send`.
    pub(super) result: bool,
}

/// A message being written to the parent's pipe, a buffer at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Writing {
    /// The message.
    pub(super) message: PipeMessage,
    /// Its bytes not yet in the pipe.
    pub(super) left: u64,
    /// The `other` of its I/O span.
    pub(super) other: u32,
}

/// The thread as the OS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Os {
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

impl Os {
    /// The core it runs on.
    pub(super) fn core(self) -> Option<u32> {
        match self {
            Os::OnCore(c) => Some(c),
            _ => None,
        }
    }

    /// Whether it runs on a core.
    pub(super) fn is_on_core(self) -> bool {
        matches!(self, Os::OnCore(_))
    }

    /// The core it runs on or has been given.
    pub(super) fn assigned_core(self) -> Option<u32> {
        match self {
            Os::OnCore(c) | Os::Dispatched(c) => Some(c),
            _ => None,
        }
    }
}

// Five independent flags of one simulated thread; an enum would conflate them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub(super) struct Th {
    pub(super) group: usize,
    pub(super) op: usize,
    pub(super) iteration: u64,
    pub(super) op_serial: u64,
    pub(super) stage: Stage,
    pub(super) os: Os,
    pub(super) holds_gil: bool,
    pub(super) drop_request: bool,
    pub(super) drop_requester: Option<Tid>,
    pub(super) last_core: Option<u32>,
    pub(super) work: Option<Work>,
    /// Work target (ps) of the pending timer when it is a check point, not the op's end.
    pub(super) check_target: Option<u64>,
    /// Time left of a C call, and when its current stretch on a core began.
    pub(super) remaining: Nanos,
    pub(super) stretch_start: Nanos,
    pub(super) finite: bool,
    /// The interpreter (and so the GIL) this thread belongs to.
    pub(super) interp: usize,
    /// Start-up work (a process or interpreter booting) still to do before the program.
    pub(super) startup: Nanos,
    /// A pool's task: unpickling it on the worker, still to do before the program.
    pub(super) unpickle: Nanos,
    /// In a runtime's own work now (booting, pickling), on its core with its own GIL.
    pub(super) overhead: Option<Overhead>,
    /// A pickled message to write to a pipe once the GIL is released.
    pub(super) pipe: Option<PipeMessage>,
    /// The message it is writing to a pipe, while it does.
    pub(super) writing: Option<Writing>,
    /// Thread, asyncio task, or executor worker.
    pub(super) role: Role,
    /// An executor worker's job: (bytecodes, the task awaiting it).
    pub(super) job: Option<(u64, Tid)>,
    /// I/O calls started, so that two calls in a row show as two spans.
    pub(super) io_calls: u32,
    /// Asked to pause at its next check point: another thread is stopping the world.
    pub(super) stop_requested: bool,
    /// Paused by a stop-the-world: the stage it goes on in once the world restarts.
    pub(super) parked: Option<Stage>,
    /// CPU time used on cores before the current stretch (the scheduler's virtual runtime).
    pub(super) cpu: Nanos,
    /// When the current stretch on a core began.
    pub(super) core_since: Nanos,
}

impl Th {
    /// A thread that has not started, of `group`, that runs forever unless told otherwise.
    pub(super) fn new(group: usize, role: Role) -> Self {
        Th {
            group,
            op: 0,
            iteration: 0,
            op_serial: 0,
            stage: Stage::NotStarted,
            os: Os::Off,
            holds_gil: false,
            drop_request: false,
            drop_requester: None,
            last_core: None,
            work: None,
            check_target: None,
            remaining: 0,
            stretch_start: 0,
            finite: false,
            interp: 0,
            startup: 0,
            unpickle: 0,
            overhead: None,
            pipe: None,
            writing: None,
            role,
            job: None,
            io_calls: 0,
            stop_requested: false,
            parked: None,
            cpu: 0,
            core_since: 0,
        }
    }

    /// Whether it is running bytecode on a core now (its timer is then a bytecode count).
    pub(super) fn runs_bytecode_on_core(&self) -> bool {
        self.stage == Stage::Bytecode && self.os.is_on_core()
    }

    /// A new I/O call begins: the `other` of its span (its number modulo 2).
    pub(super) fn next_io_call(&mut self) -> u32 {
        self.io_calls = self.io_calls.wrapping_add(1);
        self.io_calls % 2
    }

    /// The current op is over; the thread goes on to the next one in `next`.
    pub(super) fn advance_op(&mut self, next: Stage) {
        self.op += 1;
        self.stage = next;
    }

    /// Starts `duration` of work on a core in `stage` ([`Stage::CHold`], [`Stage::CFree`] or
    /// [`Stage::Syscall`], [`Stage::PipeCopy`]).
    pub(super) fn enter_c_call(&mut self, duration: Nanos, stage: Stage) {
        self.remaining = duration;
        self.stage = stage;
    }
}

/// Every simulated thread, indexed by [`Tid`].
#[derive(Debug, Clone)]
pub(super) struct Threads(Vec<Th>);

impl Threads {
    /// How many there are.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds a thread at the end.
    pub(super) fn push(&mut self, th: Th) {
        self.0.push(th);
    }

    /// Every thread's id, in order (not borrowing the table, so the loop may change it).
    pub(super) fn ids(&self) -> impl Iterator<Item = Tid> + use<> {
        (0..self.0.len()).map(Tid::from_index)
    }

    /// Every thread with its id, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Tid, &Th)> {
        self.0
            .iter()
            .enumerate()
            .map(|(index, th)| (Tid::from_index(index), th))
    }
}

impl FromIterator<Th> for Threads {
    fn from_iter<I: IntoIterator<Item = Th>>(iter: I) -> Self {
        Threads(iter.into_iter().collect())
    }
}

impl Index<Tid> for Threads {
    type Output = Th;

    fn index(&self, t: Tid) -> &Th {
        &self.0[t.index()]
    }
}

impl IndexMut<Tid> for Threads {
    fn index_mut(&mut self, t: Tid) -> &mut Th {
        &mut self.0[t.index()]
    }
}
