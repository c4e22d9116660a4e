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
use crate::engine::{Engine, SimError};
use crate::model::RunConfig;
use crate::scenario::{Repeat, Scenario};
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

impl LiveEngine {
    /// Starts the run at once: the threads begin executing before this returns.
    pub fn start(scenario: &Scenario, config: &RunConfig, options: &LiveOptions) -> Result<Self, SimError> {
        let spec = scenario.threads();
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
        let pinned: Option<Vec<u32>> = if options.pin && !core_ids.is_empty() {
            Some((0..spec.len()).map(|i| (i % lanes) as u32).collect())
        } else {
            if options.pin {
                notes.push("this system does not let threads be pinned: the OS places them".to_owned());
            }
            None
        };
        let speed = Speed::get();
        let pad = if options.pace { speed.pad_for(config.bytecode_ps() as f64 / 1000.0) } else { 0 };
        let infos =
            spec.iter().map(|(name, group)| ThreadInfo { name: name.clone(), group: *group, started: None, finished: None });
        let trace = Trace::new(infos.collect(), lanes as u32);
        let (batches_tx, batches_rx) = bounded(CHANNEL_BATCHES);
        let (spare_tx, spare_rx) = bounded(CHANNEL_BATCHES);
        let parked: Vec<Arc<AtomicBool>> = spec.iter().map(|_| Arc::new(AtomicBool::new(true))).collect();
        let clock = RunClock::start();
        let started = Instant::now();
        let finite = spec.iter().filter(|(_, g)| scenario.groups[*g].repeat != Repeat::Forever).count();
        let shared = Arc::new(Shared {
            gil: Gil::new(spec.len(), Duration::from_micros(config.switch_interval_us), config.gil_enabled()),
            locks: Locks::new(scenario.locks.clone(), spec.iter().map(|(n, _)| n.clone()).collect()),
            counters: scenario.counters.iter().map(|_| AtomicU64::new(0)).collect(),
            increments: scenario.counters.iter().map(|_| AtomicU64::new(0)).collect(),
            clock: clock.clone(),
            model: config.model(),
            pad,
            finite_left: AtomicUsize::new(finite),
            panic_thread: options.panic_thread,
            control: Control::default(),
        });
        let collector = Collector::new(trace, clock, batches_rx, spare_tx, pinned.clone(), options.max_spans);
        let mut engine = LiveEngine {
            shared,
            workers: Vec::with_capacity(spec.len()),
            timer: None,
            parked,
            collector,
            cursor: DeltaCursor::default(),
            counter_names: scenario.counters.clone(),
            notes,
            finished: false,
        };
        for (index, (name, group)) in spec.iter().enumerate() {
            let link = Link { batches: batches_tx.clone(), spare: spare_rx.clone(), parked: Arc::clone(&engine.parked[index]) };
            let core = pinned.as_ref().map(|p| core_ids[p[index] as usize]);
            let shared = Arc::clone(&engine.shared);
            let ops = scenario.groups[*group].ops.clone();
            let repeat = scenario.groups[*group].repeat;
            let thread_name = name.clone();
            let spawned = thread::Builder::new().name(name.clone()).spawn(move || {
                if let Some(core) = core {
                    core_affinity::set_for_current(core);
                }
                let rec = Recorder::new(index as u32, shared.clock.clone(), link);
                let outcome = catch_unwind(AssertUnwindSafe(|| Worker::new(&shared, rec, &ops, repeat).run()));
                match outcome {
                    Ok(Ok(()) | Err(Halt::Stopped)) => {}
                    Ok(Err(Halt::Failed(error))) => shared.fail(error),
                    Err(payload) => shared.fail(SimError::Failed(format!(
                        "live thread \"{thread_name}\" panicked: {}",
                        panic_message(payload.as_ref())
                    ))),
                }
            });
            match spawned {
                Ok(handle) => engine.workers.push(handle),
                Err(error) => {
                    engine.stop();
                    return Err(SimError::Failed(format!("cannot start live thread \"{name}\": {error}")));
                }
            }
        }
        if let Some(duration) = config.duration {
            let shared = Arc::clone(&engine.shared);
            let deadline = started + Duration::from_nanos(duration);
            let timer = thread::Builder::new().name("gilscope-timer".to_owned()).spawn(move || {
                if !shared.control.sleep_until(deadline) {
                    shared.stop(duration);
                }
            });
            match timer {
                Ok(handle) => engine.timer = Some(handle),
                Err(error) => {
                    engine.stop();
                    return Err(SimError::Failed(format!("cannot start the live run's timer thread: {error}")));
                }
            }
        }
        Ok(engine)
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
                self.shared.fail(SimError::Failed("a live thread ended abnormally".to_owned()));
            }
        }
        if let Some(timer) = self.timer.take() {
            // The timer only sleeps, and the stop above woke it.
            let _ = timer.join();
        }
        self.close();
    }

    fn close(&mut self) {
        let end = self.shared.control.end().unwrap_or_else(|| self.shared.clock.now());
        let counters = self
            .counter_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let expected = self.shared.increments[i].load(Ordering::SeqCst);
                let actual = self.shared.counters[i].load(Ordering::SeqCst);
                CounterResult { name: name.clone(), expected, actual, lost: expected.saturating_sub(actual) }
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
