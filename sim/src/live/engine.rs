//! [`LiveEngine`]: starts one OS thread per scenario thread, collects what they record into a
//! [`Trace`], and stops them on request, at the run's duration, or when one fails.

use super::LiveOptions;
use super::collect::Collector;
use super::gil::Gil;
use super::interp::Speed;
use super::locks::Locks;
use super::record::{Link, Recorder, RunClock};
use super::shared::{Control, Shared};
use super::worker::{Halt, Worker};
use crate::engine::runtime::expand;
use crate::engine::{Engine, SimError};
use crate::meta::{EngineKind, RunMeta};
use crate::model::{Model, RunConfig, Runtime};
use crate::scenario::{Op, Repeat, Scenario};
use crate::time::Nanos;
use crate::trace::{CounterResult, DeltaCursor, ThreadInfo, Trace, TraceDelta};
use crossbeam::channel::bounded;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Batches the channel holds before senders must wait.
const CHANNEL_BATCHES: usize = 1024;
/// How often a blocking run collects.
const POLL: Duration = Duration::from_millis(2);
/// How long [`Engine::stop`] waits for the threads to leave.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Stops a live run from anywhere (a Ctrl+C handler, another thread). Cloning is cheap.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<Shared>);

impl StopHandle {
    /// Asks the run to stop now; its threads leave within milliseconds.
    pub fn stop(&self) {
        self.0.stop(self.0.clock.now());
    }
}

/// A live run: real threads contending for a real GIL (or none, free-threaded).
#[derive(Debug)]
pub struct LiveEngine {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    timer: Option<JoinHandle<()>>,
    parked: Vec<Arc<AtomicBool>>,
    collector: Collector,
    cursor: DeltaCursor,
    counter_names: Vec<String>,
    notes: Vec<String>,
    finished: bool,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".to_owned())
}

/// Where the threads run: how many core lanes, and each thread's core when pinned.
struct Placement {
    lanes: usize,
    core_ids: Vec<core_affinity::CoreId>,
    pinned: Option<Vec<u32>>,
    notes: Vec<String>,
}

impl Placement {
    /// At most the machine's cores; thread `i` pinned to core `i % lanes` when pinning.
    fn new(threads: usize, config: &RunConfig, options: &LiveOptions) -> Self {
        let mut notes = Vec::new();
        let core_ids = core_affinity::get_core_ids().unwrap_or_default();
        let available = if core_ids.is_empty() {
            thread::available_parallelism().map_or(1, std::num::NonZero::get)
        } else {
            core_ids.len()
        };
        let lanes = (config.cores as usize).clamp(1, available);
        if config.cores as usize > available {
            notes.push(format!(
                "the run asks for {} cores but this machine offers {available}: the live run uses {available}",
                config.cores
            ));
        }
        let pin = options.pin.unwrap_or(lanes < available);
        let pinned = if pin && !core_ids.is_empty() {
            Some((0..threads).map(|i| (i % lanes) as u32).collect())
        } else {
            if pin {
                notes.push(
                    "this system does not let threads be pinned: the OS places them".to_owned(),
                );
            }
            None
        };
        Self {
            lanes,
            core_ids,
            pinned,
            notes,
        }
    }

    fn core_of(&self, thread: usize) -> Option<core_affinity::CoreId> {
        self.pinned
            .as_ref()
            .map(|p| self.core_ids[p[thread] as usize])
    }
}

/// The body of worker thread `index`: pin, run the program, report how it ended.
fn worker_main(
    shared: &Shared,
    index: u32,
    name: &str,
    link: Link,
    core: Option<core_affinity::CoreId>,
    ops: &[Op],
    repeat: Repeat,
) {
    if let Some(core) = core {
        core_affinity::set_for_current(core);
    }
    let rec = Recorder::new(index, shared.clock.clone(), link);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Worker::new(shared, rec, ops, repeat).run()
    }));
    match outcome {
        Ok(Ok(()) | Err(Halt::Stopped)) => {}
        Ok(Err(Halt::Failed(error))) => shared.fail(error),
        Err(payload) => shared.fail(SimError::Failed(format!(
            "live thread \"{name}\" panicked: {}",
            panic_message(payload.as_ref())
        ))),
    }
}

/// Refuses, in words, what the live engine does not run: other runtimes than threads, the old
/// tick-based GIL, and an import that would turn the GIL on in the middle of a free-threaded run.
fn check_supported(scenario: &Scenario, config: &RunConfig) -> Result<(), SimError> {
    if config.runtime != Runtime::Threads {
        return Err(SimError::Failed(format!(
            "the live engine runs threads (runtime \"{}\") only; runtime \"{}\" is simulated only: use the simulated engine",
            Runtime::Threads,
            config.runtime
        )));
    }
    if scenario
        .groups
        .iter()
        .flat_map(|g| &g.ops)
        .any(|op| matches!(op, Op::Read { .. } | Op::Mutate { .. } | Op::Collect(_)))
    {
        return Err(SimError::Failed(
            "the live engine has no Python objects to share and no garbage collector: `read`, `mutate` and `collect` run on the simulated engine".to_owned(),
        ));
    }
    if config.model() == Model::OldGil {
        return Err(SimError::Failed(format!(
            "Python {}'s tick-based GIL is simulated only; the live engine runs the new GIL (3.2 and later) or free-threaded",
            config.python
        )));
    }
    if !config.gil_enabled() && config.gil_override != Some(false) {
        let unsupported = scenario
            .groups
            .iter()
            .flat_map(|g| &g.ops)
            .find_map(|op| match op {
                Op::Import {
                    module,
                    supports_free_threading: false,
                    ..
                } => Some(*module),
                _ => None,
            });
        if let Some(module) = unsupported {
            let name = scenario.modules.get(module).map_or("?", String::as_str);
            return Err(SimError::Failed(format!(
                "importing \"{name}\" would turn the GIL back on in the middle of a free-threaded run, which the live engine does not do: use the simulated engine, or set gil = 0 (PYTHON_GIL=0) to keep it off"
            )));
        }
    }
    Ok(())
}

impl LiveEngine {
    /// Starts the run at once: the threads begin executing before this returns. Fails, before
    /// starting anything, for what only the simulator runs (see the module documentation).
    pub fn start(
        scenario: &Scenario,
        config: &RunConfig,
        options: &LiveOptions,
    ) -> Result<Self, SimError> {
        check_supported(scenario, config)?;
        let spec = scenario.threads();
        let placement = Placement::new(spec.len(), config, options);
        let pad = if options.pace {
            Speed::get().pad_for(config.bytecode_ps() as f64 / 1000.0)
        } else {
            0
        };
        let infos = spec
            .iter()
            .map(|(name, group)| ThreadInfo::new(name.clone(), *group));
        let trace = Trace::new(
            RunMeta::new(scenario, EngineKind::Live, config),
            infos.collect(),
            placement.lanes as u32,
        );
        let (batches_tx, batches_rx) = bounded(CHANNEL_BATCHES);
        let (spare_tx, spare_rx) = bounded(CHANNEL_BATCHES);
        let clock = RunClock::start();
        let started = Instant::now();
        let finite = spec
            .iter()
            .filter(|(_, g)| scenario.groups[*g].repeat != Repeat::Forever)
            .count();
        let atomics = || {
            scenario
                .counters
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect()
        };
        let shared = Arc::new(Shared {
            gil: Gil::new(
                spec.len(),
                Duration::from_micros(config.switch_interval_us),
                config.gil_enabled(),
            ),
            locks: Locks::new(
                scenario.locks.clone(),
                spec.iter().map(|(n, _)| n.clone()).collect(),
            ),
            counters: atomics(),
            increments: atomics(),
            clock: clock.clone(),
            model: config.model(),
            pad,
            finite_left: AtomicUsize::new(finite),
            panic_thread: options.panic_thread,
            control: Control::default(),
        });
        let collector = Collector::new(
            trace,
            clock,
            batches_rx,
            spare_tx,
            placement.pinned.clone(),
            options.max_spans,
        );
        let mut engine = LiveEngine {
            shared,
            workers: Vec::with_capacity(spec.len()),
            timer: None,
            parked: spec
                .iter()
                .map(|_| Arc::new(AtomicBool::new(true)))
                .collect(),
            collector,
            cursor: DeltaCursor::default(),
            counter_names: scenario.counters.clone(),
            notes: placement.notes.clone(),
            finished: false,
        };
        let link = Link {
            batches: batches_tx,
            spare: spare_rx,
            parked: Arc::new(AtomicBool::new(true)),
        };
        let spawned = engine
            .spawn_workers(scenario, config, &spec, &placement, &link)
            .and_then(|()| match config.duration {
                Some(duration) => {
                    engine.spawn_timer(started + Duration::from_nanos(duration), duration)
                }
                None => Ok(()),
            });
        match spawned {
            Ok(()) => Ok(engine),
            Err(error) => {
                engine.stop();
                Err(error)
            }
        }
    }

    /// One named OS thread per scenario thread, in order (as the main thread would start them).
    fn spawn_workers(
        &mut self,
        scenario: &Scenario,
        config: &RunConfig,
        spec: &[(String, usize)],
        placement: &Placement,
        link: &Link,
    ) -> Result<(), SimError> {
        for (index, (name, group)) in spec.iter().enumerate() {
            let link = Link {
                parked: Arc::clone(&self.parked[index]),
                ..link.clone()
            };
            let core = placement.core_of(index);
            let shared = Arc::clone(&self.shared);
            let ops = expand(&scenario.groups[*group].ops, config);
            let repeat = scenario.groups[*group].repeat;
            let thread_name = name.clone();
            let handle = thread::Builder::new()
                .name(name.clone())
                .spawn(move || {
                    worker_main(
                        &shared,
                        index as u32,
                        &thread_name,
                        link,
                        core,
                        &ops,
                        repeat,
                    );
                })
                .map_err(|e| {
                    SimError::Failed(format!("cannot start live thread \"{name}\": {e}"))
                })?;
            self.workers.push(handle);
        }
        Ok(())
    }

    /// The thread that ends the run at its duration (`end`, in nanoseconds).
    fn spawn_timer(&mut self, deadline: Instant, end: Nanos) -> Result<(), SimError> {
        let shared = Arc::clone(&self.shared);
        let timer = thread::Builder::new()
            .name("gilscope-timer".to_owned())
            .spawn(move || {
                if !shared.control.sleep_until(deadline) {
                    shared.stop(end);
                }
            })
            .map_err(|e| {
                SimError::Failed(format!("cannot start the live run's timer thread: {e}"))
            })?;
        self.timer = Some(timer);
        Ok(())
    }

    /// A handle that stops this run from another thread (a Ctrl+C handler).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(Arc::clone(&self.shared))
    }

    /// Things the user should know about how this machine ran the scenario (fewer cores than
    /// asked, no pinning), one sentence each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Padding units per bytecode the interpreter runs with (0: unpaced).
    pub fn pad(&self) -> u32 {
        self.shared.pad
    }

    /// Blocks until the run ends (its threads finish, its duration passes, or a
    /// [`StopHandle`] stops it) and returns its trace, or the first error.
    pub fn run_to_end(mut self) -> Result<Trace, SimError> {
        let mut error = None;
        loop {
            if let Err(e) = self.advance(0) {
                error.get_or_insert(e);
            }
            if self.finished {
                break;
            }
            thread::sleep(POLL);
        }
        if let Some(e) = self.shared.control.take_failure() {
            error.get_or_insert(e);
        }
        match error {
            Some(e) => Err(e),
            None => Ok(self.collector.take_trace()),
        }
    }

    fn collect(&mut self) {
        let end = self.shared.control.end();
        if let Err(error) = self.collector.collect(&self.parked, &self.shared.gil, end) {
            self.shared.fail(error);
        }
    }

    /// Joins the threads (all have left) and closes the trace.
    fn finalize(&mut self) {
        self.shared.stop(self.shared.clock.now());
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                self.shared.fail(SimError::Failed(
                    "a live thread ended abnormally".to_owned(),
                ));
            }
        }
        if let Some(timer) = self.timer.take() {
            // The timer only sleeps, and the stop above woke it.
            let _ = timer.join();
        }
        self.close();
    }

    fn close(&mut self) {
        let end = self
            .shared
            .control
            .end()
            .unwrap_or_else(|| self.shared.clock.now());
        let counters = self
            .counter_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let expected = self.shared.increments[i].load(Ordering::SeqCst);
                let actual = self.shared.counters[i].load(Ordering::SeqCst);
                CounterResult {
                    name: name.clone(),
                    expected,
                    actual,
                    lost: expected.saturating_sub(actual),
                }
            })
            .collect();
        self.collector.finish(end, counters);
        self.finished = true;
    }
}

impl Engine for LiveEngine {
    /// Collects what the threads recorded so far; `until` is ignored (real time runs by
    /// itself). Returns a worker's failure once.
    fn advance(&mut self, _until: Nanos) -> Result<(), SimError> {
        if !self.finished {
            self.collect();
            if self.workers.iter().all(JoinHandle::is_finished) {
                self.finalize();
            }
        }
        self.shared.control.take_failure().map_or(Ok(()), Err)
    }

    /// A live run cannot be stepped one event at a time: this collects like
    /// [`Engine::advance`] and returns how far the trace reaches (`None` once finished).
    fn step(&mut self) -> Result<Option<Nanos>, SimError> {
        self.advance(0)?;
        Ok((!self.finished).then(|| self.collector.trace().now))
    }

    fn take_delta(&mut self) -> TraceDelta {
        self.cursor.take(self.collector.trace())
    }

    fn trace(&self) -> &Trace {
        self.collector.trace()
    }

    fn take_trace(&mut self) -> Trace {
        self.collector.take_trace()
    }

    fn now(&self) -> Nanos {
        self.collector.trace().now
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    /// Stops the threads (within milliseconds), waits for them and closes the trace.
    fn stop(&mut self) {
        if self.finished {
            return;
        }
        self.shared.stop(self.shared.clock.now());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !self.workers.iter().all(JoinHandle::is_finished) && Instant::now() < deadline {
            // Keep draining: a thread may be waiting for room in the channel to leave.
            self.collect();
            thread::sleep(Duration::from_millis(1));
        }
        if self.workers.iter().all(JoinHandle::is_finished) {
            self.finalize();
        } else {
            self.shared.fail(SimError::Failed(format!(
                "live threads did not stop within {} s; the trace ends where they were",
                STOP_TIMEOUT.as_secs()
            )));
            // Leave them detached rather than hang the caller.
            self.workers.clear();
            self.close();
        }
    }
}

impl Drop for LiveEngine {
    fn drop(&mut self) {
        self.stop();
    }
}
