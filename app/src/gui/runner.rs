//! The engine thread: owns one [`Engine`], paces it against the wall clock, and streams
//! [`TraceDelta`]s and [`Stats`] to the UI through bounded channels. The UI sends
//! [`Command`]s and never blocks on this thread.
//!
//! Any engine plugs in through [`EngineSpec::build`]: the simulator today, the real-threads
//! engine later; the thread only uses the [`Engine`] trait.

use super::settings::Speed;
use crossbeam::channel::{
    self, Receiver, RecvTimeoutError, SendTimeoutError, Sender, TryRecvError,
};
use gilscope_sim::events::{EventKind, EventLog};
use gilscope_sim::time::Nanos;
use gilscope_sim::trace::TraceDelta;
use gilscope_sim::{Engine, EngineKind, RunConfig, SimError, Stats, Trace};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// The name of the engine thread (visible in debuggers and `top -H`).
pub const THREAD_NAME: &str = "gilscope-engine";

/// How many commands may wait for the engine thread.
const COMMAND_CAPACITY: usize = 256;
/// How many updates may wait for the UI: bounds memory when the UI falls behind.
const UPDATE_CAPACITY: usize = 64;
/// Engine steps between two looks at the commands while running to an event.
const STEPS_BETWEEN_LOOKS: u32 = 4096;
/// Real time between two deltas while paced (about one frame).
const FRAME: Duration = Duration::from_millis(16);
/// The most real time one batch of simulation may take before its delta is sent.
const BATCH: Duration = Duration::from_millis(20);
/// The most often stats are recomputed while a run goes.
const STATS_EVERY: Duration = Duration::from_millis(300);

/// Builds a fresh engine for a run (called again on every restart).
pub type EngineBuilder = Box<dyn Fn() -> Result<Box<dyn Engine>, SimError> + Send>;

/// What the engine thread needs to run (and re-run) one configuration.
pub struct EngineSpec {
    /// Which engine [`Self::build`] makes.
    pub engine: EngineKind,
    /// The resolved settings.
    pub config: RunConfig,
    /// Makes a new engine at the start of the run.
    pub build: EngineBuilder,
    /// The engine advances by itself in real time (a live run): it is polled once a frame
    /// instead of being paced by the speed setting.
    pub realtime: bool,
}

/// An order from the UI to the engine thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Run, paced by the speed.
    Play,
    /// Stop advancing (the run can continue).
    Pause,
    /// Pause and process exactly one event.
    Step,
    /// Pause and run to the next event of the run's event log (of `kind`, when given) later
    /// than `after`, then finish that instant: the state at that event.
    StepEvent {
        /// Only an event of this kind stops the run (any event when `None`).
        kind: Option<EventKind>,
        /// Events at or before this time do not count (`None`: every event counts).
        after: Option<Nanos>,
    },
    /// Pause and replay the run from time 0 with a fresh engine up to `time`, every event at
    /// `time` included (the simulator is deterministic, so this is exactly the state the run
    /// had there): a step back.
    ReplayTo(Nanos),
    /// Start the run again from time 0, with a fresh engine.
    Restart,
    /// Change the pace.
    SetSpeed(Speed),
    /// End the run now, keeping its trace (a real run's threads or process are stopped).
    End,
    /// End the thread.
    Stop,
}

/// A message from the engine thread to the UI, in order.
#[derive(Debug)]
pub enum Update {
    /// A (re)started run: the empty trace that the following deltas extend.
    Started(Box<Trace>),
    /// New spans and markers.
    Delta(TraceDelta),
    /// The stats of the trace as of the last delta.
    Stats(Box<Stats>),
    /// The run stopped with an error or a panic; the message is for the user.
    Failed(String),
}

/// The engine thread has ended (it only does when told to stop, or by a bug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the engine thread has ended")]
pub struct EngineGone;

/// The UI's handle on an engine thread. Dropping it stops the thread (without waiting).
pub struct Runner {
    commands: Sender<Command>,
    updates: Receiver<Update>,
}

impl Runner {
    /// Starts the engine thread. `repaint` is called whenever an update is sent.
    pub fn spawn(
        spec: EngineSpec,
        speed: Speed,
        playing: bool,
        repaint: impl Fn() + Send + 'static,
    ) -> std::io::Result<Runner> {
        let (command_tx, command_rx) = channel::bounded(COMMAND_CAPACITY);
        let (update_tx, update_rx) = channel::bounded(UPDATE_CAPACITY);
        let worker = Worker {
            spec,
            engine: None,
            speed,
            playing,
            anchor: (Instant::now(), 0),
            chunk: 10_000,
            failed: false,
            last_stats: None,
            log: EventLog::default(),
            pending: VecDeque::new(),
            commands: command_rx,
            updates: update_tx,
            repaint: Box::new(repaint),
        };
        std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || worker.run())?;
        Ok(Runner {
            commands: command_tx,
            updates: update_rx,
        })
    }

    /// Sends a command without blocking; `false` if the thread is gone or swamped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// The next update, if one is waiting; an error when the thread has ended.
    pub fn try_recv(&self) -> Result<Option<Update>, EngineGone> {
        match self.updates.try_recv() {
            Ok(update) => Ok(Some(update)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(EngineGone),
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // The thread also ends when it sees the channels disconnected.
        let _ = self.commands.try_send(Command::Stop);
    }
}

/// Why the worker loop ends.
struct Exit;

struct Worker {
    spec: EngineSpec,
    engine: Option<Box<dyn Engine>>,
    speed: Speed,
    playing: bool,
    /// (real instant, virtual time) that pacing counts from.
    anchor: (Instant, Nanos),
    /// Virtual time advanced per `advance` call when unpaced, adapted to take a few ms.
    chunk: Nanos,
    failed: bool,
    last_stats: Option<Instant>,
    /// The run's events so far, to know when a step has reached the next one.
    log: EventLog,
    /// Commands that arrived while an update was waiting to be sent.
    pending: VecDeque<Command>,
    commands: Receiver<Command>,
    updates: Sender<Update>,
    repaint: Box<dyn Fn() + Send>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

impl Worker {
    fn run(mut self) {
        let _ = self.main_loop();
        if let Some(engine) = self.engine.as_mut() {
            engine.stop();
        }
    }

    fn main_loop(&mut self) -> Result<(), Exit> {
        self.start()?;
        loop {
            let active = self.playing && self.running();
            let command = if let Some(command) = self.pending.pop_front() {
                Some(command)
            } else if !active {
                Some(self.commands.recv().map_err(|_| Exit)?)
            } else if self.speed == Speed::Fastest && !self.spec.realtime {
                match self.commands.try_recv() {
                    Ok(command) => Some(command),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return Err(Exit),
                }
            } else {
                match self.commands.recv_timeout(FRAME) {
                    Ok(command) => Some(command),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return Err(Exit),
                }
            };
            if let Some(command) = command {
                self.handle(command)?;
            } else {
                self.tick()?;
            }
        }
    }

    fn running(&self) -> bool {
        !self.failed && self.engine.as_ref().is_some_and(|e| !e.is_finished())
    }

    fn now(&self) -> Nanos {
        self.engine.as_ref().map_or(0, |e| e.now())
    }

    fn reanchor(&mut self) {
        self.anchor = (Instant::now(), self.now());
    }

    fn handle(&mut self, command: Command) -> Result<(), Exit> {
        match command {
            Command::Play => {
                self.playing = true;
                self.reanchor();
            }
            Command::Pause => self.playing = false,
            Command::SetSpeed(speed) => {
                self.speed = speed;
                self.reanchor();
            }
            Command::Restart => self.start()?,
            Command::End => {
                if let Some(engine) = self.engine.as_mut()
                    && !engine.is_finished()
                {
                    engine.stop();
                    self.publish()?;
                }
            }
            Command::Step => {
                self.playing = false;
                if self.running() {
                    self.guarded(|engine| engine.step().map(|_| ()))?;
                    self.publish_paused()?;
                }
            }
            Command::StepEvent { kind, after } => {
                self.playing = false;
                if self.running() && !self.spec.realtime {
                    self.step_to_event(kind, after)?;
                    self.publish_paused()?;
                }
            }
            Command::ReplayTo(time) => {
                self.playing = false;
                if !self.spec.realtime {
                    self.start()?;
                    self.guarded(|engine| engine.advance(time))?;
                    self.publish_paused()?;
                }
            }
            Command::Stop => return Err(Exit),
        }
        Ok(())
    }

    /// Steps the engine until its trace has an event of `kind` later than `after`, then
    /// processes the rest of that instant. Looks at the commands now and then: a `Stop` ends
    /// the thread, others wait their turn.
    fn step_to_event(&mut self, kind: Option<EventKind>, after: Option<Nanos>) -> Result<(), Exit> {
        let Some(engine) = self.engine.as_ref() else {
            return Ok(());
        };
        self.log.update(engine.trace());
        let mut found = self.log.count_after(kind, after) > 0;
        let mut steps = 0u32;
        while !found && self.running() {
            self.guarded(|engine| engine.step().map(|_| ()))?;
            let Some(engine) = self.engine.as_ref() else {
                return Ok(());
            };
            found = match self.log.update(engine.trace()) {
                Some(new) => self.log.events()[new]
                    .iter()
                    .any(|e| after.is_none_or(|a| e.time > a) && kind.is_none_or(|k| e.kind == k)),
                None => self.log.count_after(kind, after) > 0,
            };
            steps += 1;
            if steps.is_multiple_of(STEPS_BETWEEN_LOOKS) {
                self.look_at_commands()?;
            }
        }
        if self.running() {
            self.guarded(|engine| {
                let now = engine.now();
                engine.advance(now)
            })?;
        }
        Ok(())
    }

    /// Queues the commands waiting (they are handled after the current one); `Stop` exits.
    fn look_at_commands(&mut self) -> Result<(), Exit> {
        loop {
            match self.commands.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return Err(Exit),
                Ok(command) => self.pending.push_back(command),
                Err(TryRecvError::Empty) => return Ok(()),
            }
        }
    }

    /// Builds a fresh engine and announces its empty trace.
    fn start(&mut self) -> Result<(), Exit> {
        if let Some(mut old) = self.engine.take() {
            old.stop();
        }
        self.failed = false;
        self.last_stats = None;
        self.chunk = 10_000;
        let built = catch_unwind(AssertUnwindSafe(|| (self.spec.build)()));
        match built {
            Ok(Err(error)) => {
                self.failed = true;
                self.send(Update::Failed(format!(
                    "the engine could not start: {error}"
                )))
            }
            Ok(Ok(mut engine)) => {
                let trace = engine.trace().clone();
                // The empty trace is the base; drop what the cursor would resend.
                let _ = engine.take_delta();
                self.engine = Some(engine);
                self.reanchor();
                self.send(Update::Started(Box::new(trace)))
            }
            Err(payload) => {
                self.failed = true;
                self.send(Update::Failed(format!(
                    "the engine could not start: {}",
                    panic_message(&*payload)
                )))
            }
        }
    }

    /// Runs `f` on the engine, turning an error or a panic into a [`Update::Failed`].
    fn guarded(
        &mut self,
        f: impl FnOnce(&mut dyn Engine) -> Result<(), gilscope_sim::SimError>,
    ) -> Result<(), Exit> {
        let Some(engine) = self.engine.as_mut() else {
            return Ok(());
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| f(engine.as_mut())));
        let message = match outcome {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error.to_string(),
            Err(payload) => format!("the engine crashed: {}", panic_message(&*payload)),
        };
        self.failed = true;
        self.publish()?;
        self.send(Update::Failed(message))
    }

    /// Advances the engine as far as the pace allows (or for one batch when unpaced).
    fn tick(&mut self) -> Result<(), Exit> {
        if self.spec.realtime {
            self.guarded(|engine| engine.advance(Nanos::MAX))?;
            return self.publish();
        }
        let started = Instant::now();
        let target = match self.speed.ns_per_second() {
            Some(rate) => {
                let elapsed = self.anchor.0.elapsed().as_secs_f64();
                self.anchor.1.saturating_add((elapsed * rate) as Nanos)
            }
            None => Nanos::MAX,
        };
        while self.running() && self.now() < target && started.elapsed() < BATCH {
            let until = self.now().saturating_add(self.chunk).min(target);
            let call = Instant::now();
            self.guarded(|engine| engine.advance(until))?;
            let took = call.elapsed();
            if took < Duration::from_millis(2) {
                self.chunk = self.chunk.saturating_mul(2).min(Nanos::MAX / 4);
            } else if took > Duration::from_millis(8) {
                self.chunk = (self.chunk / 2).max(1);
            }
        }
        if self.speed.ns_per_second().is_some() && self.now() < target {
            // The engine could not keep up: do not pile up a debt of virtual time.
            self.reanchor();
        }
        self.publish()
    }

    /// After a step, with the run paused: what is new and the stats at once, whenever the last
    /// were sent (a paused run sends nothing more, so stats held back now would stay stale).
    fn publish_paused(&mut self) -> Result<(), Exit> {
        self.last_stats = None;
        self.publish()
    }

    /// Sends what is new, and the stats when due.
    fn publish(&mut self) -> Result<(), Exit> {
        let Some(engine) = self.engine.as_mut() else {
            return Ok(());
        };
        // An engine that just panicked may panic again: then there is nothing more to show.
        let Ok(delta) = catch_unwind(AssertUnwindSafe(|| engine.take_delta())) else {
            return Ok(());
        };
        let finished = delta.finished || self.failed;
        self.send(Update::Delta(delta))?;
        let due = self.last_stats.is_none_or(|at| at.elapsed() >= STATS_EVERY);
        if (finished || due)
            && let Some(engine) = self.engine.as_ref()
        {
            let stats = catch_unwind(AssertUnwindSafe(|| Stats::compute(engine.trace())));
            self.last_stats = Some(Instant::now());
            if let Ok(stats) = stats {
                self.send(Update::Stats(Box::new(stats)))?;
            }
        }
        Ok(())
    }

    /// Sends an update, waiting while the UI catches up but still obeying `Stop`.
    fn send(&mut self, update: Update) -> Result<(), Exit> {
        let mut update = update;
        loop {
            match self.updates.send_timeout(update, FRAME) {
                Ok(()) => {
                    (self.repaint)();
                    return Ok(());
                }
                Err(SendTimeoutError::Disconnected(_)) => return Err(Exit),
                Err(SendTimeoutError::Timeout(back)) => {
                    update = back;
                    (self.repaint)();
                    self.look_at_commands()?;
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use gilscope_sim::{Overrides, SimEngine};

    fn spec(preset: &str) -> (EngineSpec, Trace) {
        let scenario = gilscope_sim::presets::preset(preset).unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        let expected = gilscope_sim::simulate(&scenario, &config).unwrap();
        let build_config = config.clone();
        let build: EngineBuilder =
            Box::new(move || Ok(Box::new(SimEngine::new(&scenario, &build_config))));
        (
            EngineSpec {
                engine: EngineKind::Sim,
                config,
                build,
                realtime: false,
            },
            expected,
        )
    }

    /// Drains updates into a trace until the run ends (generous deadline for loaded machines).
    fn drain(runner: &Runner, trace: &mut Trace) -> Stats {
        let deadline = Instant::now() + Duration::from_mins(2);
        while Instant::now() < deadline {
            match runner.try_recv() {
                Ok(Some(Update::Started(t))) => *trace = *t,
                Ok(Some(Update::Delta(d))) => trace.apply(d),
                Ok(Some(Update::Stats(s))) => {
                    if trace.finished {
                        return *s;
                    }
                }
                Ok(Some(Update::Failed(m))) => panic!("{m}"),
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("{e}"),
            }
        }
        panic!("run did not finish in time")
    }

    #[test]
    fn streamed_trace_equals_the_direct_run_and_restart_repeats_it() {
        let (spec, expected) = spec("convoy");
        let runner = Runner::spawn(spec, Speed::Fastest, true, || {}).unwrap();
        let mut trace = expected.placeholder();
        let stats = drain(&runner, &mut trace);
        assert_eq!(trace, expected);
        assert_eq!(stats, Stats::compute(&expected));
        assert!(runner.send(Command::Restart));
        let mut again = expected.placeholder();
        drain(&runner, &mut again);
        assert_eq!(again, expected);
    }

    #[test]
    fn paused_runner_steps_one_event_at_a_time() {
        let (spec, expected) = spec("cpu-bound");
        let runner = Runner::spawn(spec, Speed::REAL_TIME, false, || {}).unwrap();
        let mut trace = expected.placeholder();
        let mut deltas = 0;
        runner.send(Command::Step);
        runner.send(Command::Step);
        let deadline = Instant::now() + Duration::from_mins(1);
        while deltas < 2 && Instant::now() < deadline {
            match runner.try_recv().unwrap() {
                Some(Update::Started(t)) => trace = *t,
                Some(Update::Delta(d)) => {
                    trace.apply(d);
                    deltas += 1;
                }
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        assert_eq!(deltas, 2);
        assert!(!trace.finished);
        assert!(trace.span_count() > 0);
    }

    /// Applies updates until `deltas` deltas have arrived (generous deadline).
    fn apply_deltas(runner: &Runner, trace: &mut Trace, deltas: usize) {
        let deadline = Instant::now() + Duration::from_mins(1);
        let mut seen = 0;
        while seen < deltas {
            assert!(Instant::now() < deadline, "the runner did not answer");
            match runner.try_recv().unwrap() {
                Some(Update::Started(t)) => *trace = *t,
                Some(Update::Delta(d)) => {
                    trace.apply(d);
                    seen += 1;
                }
                Some(Update::Failed(m)) => panic!("{m}"),
                Some(Update::Stats(_)) => {}
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// Steps a paused runner `n` events forward; returns the time of each event reached.
    fn step_events(runner: &Runner, trace: &mut Trace, n: usize) -> Vec<Nanos> {
        let mut reached = Vec::new();
        for _ in 0..n {
            let after = reached.last().copied();
            runner.send(Command::StepEvent { kind: None, after });
            apply_deltas(runner, trace, 1);
            let log = EventLog::of(trace);
            let next = log
                .next_after(None, |e| after.is_none_or(|a| e.time > a))
                .unwrap();
            reached.push(log.events()[next].time);
        }
        reached
    }

    #[test]
    fn stepping_forward_n_then_back_m_is_stepping_forward_n_minus_m() {
        let (spec_a, expected) = spec("convoy");
        let (spec_b, _) = spec("convoy");
        let (n, m) = (40, 15);
        let a = Runner::spawn(spec_a, Speed::REAL_TIME, false, || {}).unwrap();
        let mut trace_a = expected.placeholder();
        apply_deltas_started(&a, &mut trace_a);
        let times = step_events(&a, &mut trace_a, n);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        a.send(Command::ReplayTo(times[n - m - 1]));
        apply_deltas(&a, &mut trace_a, 1);
        let b = Runner::spawn(spec_b, Speed::REAL_TIME, false, || {}).unwrap();
        let mut trace_b = expected.placeholder();
        apply_deltas_started(&b, &mut trace_b);
        let times_b = step_events(&b, &mut trace_b, n - m);
        assert_eq!(times_b, times[..n - m]);
        assert_eq!(trace_a, trace_b);
        assert!(!trace_a.finished && trace_a.now == times[n - m - 1]);
    }

    /// Waits for the empty trace a runner starts with.
    fn apply_deltas_started(runner: &Runner, trace: &mut Trace) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            assert!(Instant::now() < deadline, "the runner did not start");
            if let Some(Update::Started(t)) = runner.try_recv().unwrap() {
                *trace = *t;
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// A stand-in for a live engine: ignores `until` and moves on by 1 ms per poll.
    struct SelfPaced(SimEngine);
    impl Engine for SelfPaced {
        fn advance(&mut self, _: Nanos) -> Result<(), gilscope_sim::SimError> {
            let next = self.0.now() + 1_000_000;
            self.0.advance(next)
        }
        fn step(&mut self) -> Result<Option<Nanos>, gilscope_sim::SimError> {
            self.0.step()
        }
        fn take_delta(&mut self) -> TraceDelta {
            self.0.take_delta()
        }
        fn trace(&self) -> &Trace {
            self.0.trace()
        }
        fn take_trace(&mut self) -> Trace {
            self.0.take_trace()
        }
        fn now(&self) -> Nanos {
            self.0.now()
        }
        fn is_finished(&self) -> bool {
            self.0.is_finished()
        }
        fn stop(&mut self) {
            self.0.stop();
        }
    }

    #[test]
    fn a_realtime_engine_is_polled_once_a_frame_and_streams_the_same_trace() {
        let (mut spec, expected) = spec("io-bound");
        let scenario = gilscope_sim::presets::preset("io-bound").unwrap().unwrap();
        let config = spec.config.clone();
        spec.build = Box::new(move || Ok(Box::new(SelfPaced(SimEngine::new(&scenario, &config)))));
        spec.realtime = true;
        let runner = Runner::spawn(spec, Speed::Fastest, true, || {}).unwrap();
        let mut trace = expected.placeholder();
        drain(&runner, &mut trace);
        assert_eq!(trace, expected);
    }

    struct Exploding(Trace);
    impl Engine for Exploding {
        fn advance(&mut self, _: Nanos) -> Result<(), gilscope_sim::SimError> {
            panic!("boom")
        }
        fn step(&mut self) -> Result<Option<Nanos>, gilscope_sim::SimError> {
            Err(gilscope_sim::SimError::Failed("no".into()))
        }
        fn take_delta(&mut self) -> TraceDelta {
            TraceDelta::default()
        }
        fn trace(&self) -> &Trace {
            &self.0
        }
        fn take_trace(&mut self) -> Trace {
            self.0.placeholder()
        }
        fn now(&self) -> Nanos {
            0
        }
        fn is_finished(&self) -> bool {
            false
        }
        fn stop(&mut self) {}
    }

    #[test]
    fn a_panicking_engine_is_reported_and_the_thread_survives() {
        let (mut spec, expected) = spec("convoy");
        let empty = expected.placeholder();
        spec.build = Box::new(move || Ok(Box::new(Exploding(empty.placeholder()))));
        let runner = Runner::spawn(spec, Speed::Fastest, true, || {}).unwrap();
        let deadline = Instant::now() + Duration::from_mins(1);
        let mut failures = Vec::new();
        while failures.len() < 2 && Instant::now() < deadline {
            match runner.try_recv().unwrap() {
                Some(Update::Failed(m)) => {
                    failures.push(m);
                    runner.send(if failures.len() == 1 {
                        Command::Restart
                    } else {
                        Command::Stop
                    });
                }
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        assert!(failures[0].contains("boom"), "{failures:?}");
        assert_eq!(failures.len(), 2, "a restart after a crash runs again");
    }
}
