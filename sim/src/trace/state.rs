//! Thread states and their one descriptor each (name, short name, meaning).

use serde::Serialize;

/// What a thread is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum ThreadState {
    /// Running bytecode on a core, holding the GIL (or with no GIL, free-threaded).
    Running,
    /// Waiting for the GIL on `cond` (or woken and about to check it).
    WaitingGil,
    /// Forced off: dropped the GIL on request and waits on `switch_cond` for a successor.
    ForcedOff,
    /// In a blocking call or `time.sleep`, GIL released, asleep in the kernel (`other`: the
    /// thread's call number modulo 2, so that two calls in a row stay two spans).
    Io,
    /// In a system call that does not block (the data was already there, the buffer had room,
    /// `sleep(0)` up to 3.10): on its core, GIL released (`other` as for [`Self::Io`]).
    Syscall,
    /// Woken by the OS after a blocking call, a sleep or a lock wait, not running yet: the
    /// OS wake-up latency (`gil-model.md` rule 24), not a wait for the GIL.
    Waking,
    /// In a C call that released the GIL (running on a core without it).
    CCallReleased,
    /// In a C call that keeps the GIL: no check point until it returns.
    CCallHolding,
    /// Blocked acquiring a `threading.Lock` (GIL released).
    Lock,
    /// Ready to run but no core is free (in the OS run queue).
    Runnable,
    /// asyncio: a task that is ready, waiting for the event loop to run it (`other` = the task
    /// running).
    Ready,
    /// Free-threaded: running Python, slowed by other cores contending for the cache line of a
    /// shared object it reads or mutates (`other` = the object): its reference count written
    /// with atomic operations, or its per-object lock.
    Contended,
    /// Paused by a stop-the-world (a garbage collection, the GIL being turned on) until the
    /// world restarts (`other` = the thread stopping it; itself while it waits for the others).
    Paused,
    /// Running the cyclic garbage collector (the world stopped, in a free-threaded build).
    Collecting,
    /// Old GIL: released at a tick check and signalling the thread blocked on the lock (a
    /// futex wake system call), the lock free meanwhile (`other` = the thread signalled): the
    /// GIL's own overhead, not the program's work.
    Signalling,
    /// A new process or subinterpreter booting its interpreter before its program (on its own
    /// core, with its own GIL): a cost of the runtime, not the program's work.
    Starting,
    /// A pool's task submitted and waiting in the pool's queue for a worker to take it (or for
    /// the task before it in its chunk to end): the pool's queueing, not the program's work.
    Queued,
    /// Pickling or unpickling a message for another interpreter (a `send`, a pool's task or
    /// its result), on its core with its own interpreter's GIL: a cost of the runtime.
    Pickling,
    /// Finished its program.
    Done,
}

impl ThreadState {
    /// Every state, in legend order.
    pub const ALL: [ThreadState; 19] = [
        Self::Running,
        Self::WaitingGil,
        Self::ForcedOff,
        Self::Io,
        Self::Syscall,
        Self::Waking,
        Self::CCallReleased,
        Self::CCallHolding,
        Self::Lock,
        Self::Runnable,
        Self::Ready,
        Self::Contended,
        Self::Paused,
        Self::Collecting,
        Self::Signalling,
        Self::Starting,
        Self::Queued,
        Self::Pickling,
        Self::Done,
    ];

    /// What the app, the CLI and the exports say about this state: its one descriptor.
    pub const fn info(self) -> &'static StateInfo {
        &STATE_INFO[self as usize]
    }

    /// Its name in the legend, tooltips, stats and exports ("C call holding the GIL").
    pub const fn label(self) -> &'static str {
        self.info().name
    }

    /// Whether a thread lane's span in this state names a thread in its `other` (the GIL holder
    /// waited for, the thread that forced the switch, the task the event loop runs).
    pub fn other_is_thread(self) -> bool {
        matches!(
            self,
            Self::WaitingGil | Self::ForcedOff | Self::Ready | Self::Paused
        )
    }

    /// Whether a thread in this state occupies a core.
    pub fn on_core(self) -> bool {
        matches!(
            self,
            Self::Running
                | Self::Syscall
                | Self::CCallReleased
                | Self::CCallHolding
                | Self::Contended
                | Self::Collecting
                | Self::Signalling
                | Self::Starting
                | Self::Pickling
        )
    }
}

/// The words for one thread state, used everywhere it is named (timeline, legend, tooltips,
/// stats panel, CLI summary, Chrome-trace export). Its colour and pattern are the app theme's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateInfo {
    /// The state described.
    pub state: ThreadState,
    /// Its name: "waiting for the GIL".
    pub name: &'static str,
    /// A short name, for text inside spans and table columns: "wait GIL".
    pub short: &'static str,
    /// What it means, one sentence: why a thread is in it.
    pub meaning: &'static str,
    /// Whether the thread holds its interpreter's GIL meanwhile (where there is one).
    pub holds_gil: bool,
}

/// Every state's descriptor, in [`ThreadState`] order (`ThreadState::info` indexes it; a test
/// checks the order). A new state is a variant and one row here.
const STATE_INFO: [StateInfo; ThreadState::ALL.len()] = [
    StateInfo {
        state: ThreadState::Running,
        name: "running bytecode",
        short: "running",
        meaning: "running Python bytecode on a core",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::WaitingGil,
        name: "waiting for the GIL",
        short: "wait GIL",
        meaning: "waiting on the GIL's condition variable for the holder to let go",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::ForcedOff,
        name: "forced off (switch_cond)",
        short: "forced off",
        meaning: "dropped the GIL on a drop request and waits on switch_cond until another thread has taken it",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Io,
        name: "in I/O (GIL released)",
        short: "I/O",
        meaning: "in a blocking call (I/O or sleep): asleep in the kernel, with the GIL released",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Syscall,
        name: "in a system call that did not block (GIL released)",
        short: "syscall",
        meaning: "in a system call that did not block (its data was there, or its buffer had room): it keeps its core with the GIL released, and takes the GIL back at once if it is still free",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Waking,
        name: "woken by the OS, not running yet",
        short: "waking",
        meaning: "its call, sleep or lock wait is over: the OS is waking it up (a wake-up latency, not a wait for the GIL)",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::CCallReleased,
        name: "C call, GIL released",
        short: "C, no GIL",
        meaning: "in a C call that released the GIL: it runs alongside Python code",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::CCallHolding,
        name: "C call holding the GIL",
        short: "C, GIL",
        meaning: "in a C call that keeps the GIL: no check point, so no other thread runs Python until it returns",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::Lock,
        name: "blocked on a lock",
        short: "lock",
        meaning: "blocked acquiring a threading.Lock, with the GIL released",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Runnable,
        name: "runnable, no free core",
        short: "runnable",
        meaning: "ready to run, waiting for the OS to give it a core",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Ready,
        name: "ready, waiting for the event loop",
        short: "ready",
        meaning: "an asyncio task that is ready, waiting for the event loop to run it",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Contended,
        name: "running, slowed by contention for a shared object",
        short: "contended",
        meaning: "running Python, slowed by other cores contending for a shared object it uses (its reference count or its per-object lock)",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::Paused,
        name: "paused: the world is stopped",
        short: "paused",
        meaning: "paused by a stop-the-world (a garbage collection, the GIL being turned on) until the world restarts",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Collecting,
        name: "collecting garbage",
        short: "GC",
        meaning: "running the cyclic garbage collector while the world is stopped",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::Signalling,
        name: "releasing the GIL and signalling (old GIL)",
        short: "signal",
        meaning: "the old GIL's release at a tick check: signalling the thread blocked on the lock (a futex wake), the lock free meanwhile: the GIL's own overhead, not the program's work",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Starting,
        name: "starting its interpreter",
        short: "starting",
        meaning: "a new process or subinterpreter booting its own interpreter (with its own GIL) before its program runs",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::Queued,
        name: "queued for a worker",
        short: "queued",
        meaning: "a task submitted to a pool, waiting in its queue until a worker takes it (or the task before it in its chunk ends)",
        holds_gil: false,
    },
    StateInfo {
        state: ThreadState::Pickling,
        name: "pickling a message",
        short: "pickling",
        meaning: "pickling or unpickling a message for another interpreter (a send, a pool's task or its result), on its core with its own GIL",
        holds_gil: true,
    },
    StateInfo {
        state: ThreadState::Done,
        name: "done",
        short: "done",
        meaning: "finished its program",
        holds_gil: false,
    },
];
