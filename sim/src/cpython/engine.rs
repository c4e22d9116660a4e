//! [`CpythonEngine`]: runs the generated program on a real interpreter, reads its stamp stream
//! on a named thread into a bounded channel, and rebuilds the trace as the run goes.
//!
//! The program runs from a temporary directory, in a process group of its own, and dies with
//! gilscope: it asks the kernel for that (`PR_SET_PDEATHSIG`, which follows the *thread* that
//! started it: start the engine from a thread that outlives the run, such as the UI thread),
//! and gilscope kills its whole group when the engine is stopped or dropped.

use super::config::Configured;
use super::error::CpythonError;
use super::interpreter::Interpreter;
use super::process::{ChildGroup, describe_status, kill_group};
use super::program::{self, ProgramOptions};
use super::reconstruct::Reconstructor;
use super::wire::{Batch, BatchReader, Calibration, Hello, StreamError};
use crate::engine::object_loop::ObjectLoop;
use crate::engine::{Engine, SimError};
use crate::meta::{EngineKind, RunMeta};
use crate::model::RunConfig;
use crate::scenario::{Op, Repeat, Scenario};
use crate::time::Nanos;
use crate::trace::{DeltaCursor, Trace, TraceDelta};
use crossbeam::channel::{Receiver, RecvTimeoutError, bounded};
use std::fs;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Batches the channel holds before the reader (and then the program) waits.
const CHANNEL_BATCHES: usize = 256;
/// The end of the program's stderr kept for error messages.
const STDERR_TAIL: usize = 16 << 10;
/// Time allowed beyond the run itself: interpreter start-up, imports, calibration, teardown.
const MARGIN: Duration = Duration::from_secs(30);
/// How long, once the stream has ended, the interpreter may take to exit.
const EXIT_WAIT: Duration = Duration::from_secs(5);
/// How long [`Engine::stop`] reads what the killed program had already written.
const STOP_DRAIN: Duration = Duration::from_millis(100);

/// Settings of a run on a real interpreter beyond the scenario's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CpythonOptions {
    /// How the program observes itself.
    pub program: ProgramOptions,
    /// Kill the program after this long (default: the duration, or an estimate of the work
    /// done one thing after another, times four, plus a margin for start-up).
    pub time_limit: Option<Duration>,
}

/// What the reader thread passes on.
enum Incoming {
    Batch(Batch),
    End(Result<(), StreamError>),
}

/// A directory of its own for the program file, removed with the engine.
#[derive(Debug)]
struct ScriptDir(PathBuf);

impl ScriptDir {
    fn create() -> std::io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        loop {
            let dir = std::env::temp_dir().join(format!(
                "gilscope-cpython-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(Self(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for ScriptDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Stops a run from another thread (a Ctrl+C handler) while [`CpythonEngine::run_to_end`]
/// blocks: the program is killed and the run ends as if [`Engine::stop`] had been called.
#[derive(Debug, Clone)]
pub struct StopHandle {
    pgid: u32,
    requested: Arc<AtomicBool>,
}

impl StopHandle {
    /// Kills the program's process group now; the run ends with the trace observed so far.
    pub fn stop(&self) {
        if !self.requested.swap(true, Ordering::SeqCst) {
            kill_group(self.pgid);
        }
    }
}

/// A run of a scenario on a real interpreter.
#[derive(Debug)]
pub struct CpythonEngine {
    child: ChildGroup,
    incoming: Receiver<Incoming>,
    reconstructor: Reconstructor,
    cursor: DeltaCursor,
    stderr: StderrTail,
    started: Instant,
    limit: Duration,
    stream_ended: bool,
    stopped: bool,
    stop_requested: Arc<AtomicBool>,
    finished: bool,
    failure: Option<CpythonError>,
    config: RunConfig,
    notes: Vec<String>,
    _dir: ScriptDir,
}

/// A finished run: its trace and what stats need to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct CpythonRun {
    /// The trace observed.
    pub trace: Trace,
    /// The run's settings, `bytecode_ns` as the program measured it just before the run.
    pub config: RunConfig,
    /// What the program measured before the run.
    pub calibration: Option<Calibration>,
    /// Things the user should know, one sentence each (see [`CpythonEngine::notes`]).
    pub notes: Vec<String>,
}

/// The work of the finite threads done one thing after another on `interpreter`.
fn sequential_estimate(scenario: &Scenario, interpreter: &Interpreter) -> Duration {
    let ns = interpreter.facts.bytecode_ns.max(0.1);
    let total: f64 = scenario
        .groups
        .iter()
        .filter_map(|g| match g.repeat {
            Repeat::Times(n) => Some((g, n as f64 * f64::from(g.count))),
            Repeat::Forever => None,
        })
        .map(|(g, times)| {
            let once: f64 = g
                .ops
                .iter()
                .map(|op| match *op {
                    Op::Compute { bytecodes, .. } | Op::Offload(bytecodes) => bytecodes as f64 * ns,
                    Op::Increment { times, .. } => times as f64 * 20.0 * ns,
                    Op::Io { duration: d, .. } | Op::Sleep(d) | Op::Collect(d) => d as f64,
                    Op::CCall { duration, .. } | Op::Import { duration, .. } => duration as f64,
                    Op::Send(bytes) => bytes as f64,
                    Op::Read { .. } | Op::Mutate { .. } => {
                        ObjectLoop::of(op, interpreter.version.python)
                            .map_or(0.0, |l| l.bytecodes() as f64 * ns)
                    }
                    Op::Lock(_) | Op::Unlock(_) => 0.0,
                })
                .sum();
            once * times
        })
        .sum();
    Duration::from_nanos(total.min(1e15) as u64)
}

/// The end of the program's stderr, filled by its reader thread.
type StderrTail = Arc<Mutex<Vec<u8>>>;

fn spawn_readers(child: &mut ChildGroup) -> Result<(Receiver<Incoming>, StderrTail), String> {
    let stdout = child.take_stdout().ok_or("no stdout")?;
    let mut stderr = child.take_stderr().ok_or("no stderr")?;
    let (tx, rx) = bounded(CHANNEL_BATCHES);
    thread::Builder::new()
        .name("gilscope-cpython-stamps".to_owned())
        .spawn(move || {
            let mut reader = BatchReader::new(stdout);
            loop {
                let message = match reader.next_batch() {
                    Ok(Some(batch)) => Incoming::Batch(batch),
                    Ok(None) => Incoming::End(Ok(())),
                    Err(e) => Incoming::End(Err(e)),
                };
                let last = matches!(message, Incoming::End(_));
                if tx.send(message).is_err() || last {
                    return;
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let tail = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&tail);
    thread::Builder::new()
        .name("gilscope-cpython-stderr".to_owned())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let mut kept = keep.lock().unwrap_or_else(PoisonError::into_inner);
                kept.extend_from_slice(&buf[..n]);
                let excess = kept.len().saturating_sub(STDERR_TAIL);
                kept.drain(..excess);
            }
        })
        .map_err(|e| e.to_string())?;
    Ok((rx, tail))
}

impl CpythonEngine {
    /// Starts `scenario` on `interpreter` with `configured` (from
    /// [`configure`](super::configure)): generates the program and starts it. Refuses what has
    /// no honest counterpart on this interpreter before starting anything.
    pub fn start(
        scenario: &Scenario,
        configured: &Configured,
        interpreter: &Interpreter,
        options: &CpythonOptions,
    ) -> Result<Self, CpythonError> {
        let config = &configured.config;
        check_config(config, interpreter)?;
        let program = program::generate(
            scenario,
            config,
            interpreter,
            &options.program,
            "scenario.py",
        )?;
        let start_error = |reason: String| CpythonError::Start {
            path: interpreter.path.clone(),
            reason,
        };
        let dir = ScriptDir::create().map_err(|e| start_error(e.to_string()))?;
        let script = dir.0.join("scenario.py");
        fs::write(&script, &program.text).map_err(|e| start_error(e.to_string()))?;
        let mut command = Command::new(&interpreter.path);
        command
            .args(program::arguments(
                config,
                interpreter,
                &script.to_string_lossy(),
            ))
            .current_dir(&dir.0)
            .env("GILSCOPE_STAMPS", "1")
            .env("GILSCOPE_PARENT", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = ChildGroup::spawn(&mut command).map_err(|e| start_error(e.to_string()))?;
        let (incoming, stderr) = spawn_readers(&mut child).map_err(start_error)?;
        let limit = options.time_limit.unwrap_or_else(|| {
            config.duration.map_or_else(
                || sequential_estimate(scenario, interpreter) * 4 + MARGIN,
                |d| Duration::from_nanos(d) + MARGIN,
            )
        });
        Ok(Self {
            child,
            incoming,
            reconstructor: Reconstructor::new(
                RunMeta {
                    interpreter: Some(interpreter.describe()),
                    ..RunMeta::new(scenario, EngineKind::Cpython, config)
                },
                Some(program.lanes),
            ),
            cursor: DeltaCursor::default(),
            stderr,
            started: Instant::now(),
            limit,
            stream_ended: false,
            stopped: false,
            stop_requested: Arc::new(AtomicBool::new(false)),
            finished: false,
            failure: None,
            config: config.clone(),
            notes: configured.notes.clone(),
            _dir: dir,
        })
    }

    /// A handle that stops this run from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            pgid: self.child.id(),
            requested: Arc::clone(&self.stop_requested),
        }
    }

    /// The program's process id (its process group's too).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the interpreter said about itself, once it has.
    pub fn hello(&self) -> Option<&Hello> {
        self.reconstructor.hello()
    }

    /// What the program measured before the run (instructions per iteration, the cost of a
    /// stamp, the C calls' speeds), once known.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.reconstructor.calibration()
    }

    /// The run's settings. `bytecode_ns` is what this interpreter achieved on this machine
    /// now, so that stats compute the run's sequential time honestly: the faster of the
    /// program's calibration (the countdown loop alone and unobserved, just before the run)
    /// and the speed its lanes ran at in the trace (running time over bytecodes). On a busy
    /// machine either can be measured in a slow moment; the faster is the closer to the
    /// interpreter's own speed.
    pub fn config(&self) -> RunConfig {
        let mut config = self.config.clone();
        let calibrated = self
            .calibration()
            .and_then(|c| c.loops.get("compute"))
            .filter(|l| l.instructions > 0)
            .map(|l| l.ns_per_iteration / f64::from(l.instructions));
        let achieved = crate::live::achieved_bytecode_ns(self.trace());
        let best = match (calibrated, achieved) {
            (Some(c), Some(a)) => Some(c.min(a)),
            (one, other) => one.or(other),
        };
        if let Some(ns) = best {
            config.bytecode_ns = ns.clamp(0.05, 10_000.0);
        }
        config
    }

    /// Things the user should know: settings that do not apply, a version that differs from
    /// the scenario's, settings the interpreter could not apply; one sentence each.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        if let Some(hello) = self.hello() {
            notes.extend(hello.notes.iter().cloned());
        }
        notes
    }

    fn stderr_tail(&self) -> String {
        let kept = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&kept).into_owned()
    }

    fn partial(&self) -> Box<Trace> {
        Box::new(self.reconstructor.trace().clone())
    }

    /// Takes in what has arrived; returns whether anything did.
    fn drain(&mut self) -> bool {
        let mut any = false;
        while let Ok(message) = self.incoming.try_recv() {
            any = true;
            self.take(message);
        }
        any
    }

    fn take(&mut self, message: Incoming) {
        match message {
            Incoming::Batch(batch) => {
                if let Err(detail) = self.reconstructor.push(batch) {
                    self.fail_stream(detail);
                }
            }
            Incoming::End(Ok(())) => self.stream_ended = true,
            Incoming::End(Err(e)) => {
                self.stream_ended = true;
                self.fail_stream(e.to_string());
            }
        }
    }

    fn fail_stream(&mut self, detail: String) {
        self.notice_stop();
        if self.failure.is_none() && !self.stopped {
            self.child.kill();
            self.close_trace();
            self.failure = Some(CpythonError::Stream {
                detail,
                partial: self.partial(),
            });
            self.finished = true;
        }
    }

    /// A [`StopHandle`] was used: the run ends as stopped, not failed.
    fn notice_stop(&mut self) {
        if self.stop_requested.load(Ordering::SeqCst) {
            self.stopped = true;
        }
    }

    /// The run is over: the stream has ended and the interpreter has exited (or must).
    /// Ends the reconstruction; the trace then describes the run at the speed it achieved.
    fn close_trace(&mut self) {
        self.reconstructor.finish();
        let achieved = self.config();
        self.reconstructor.set_config(achieved);
    }

    fn conclude(&mut self) {
        self.notice_stop();
        let status = self
            .child
            .wait_until(Instant::now() + EXIT_WAIT)
            .or_else(|| self.child.kill());
        self.close_trace();
        self.finished = true;
        if self.stopped || self.failure.is_some() {
            return;
        }
        let stderr = self.stderr_tail();
        let errors = self.reconstructor.errors();
        let failed = self.reconstructor.end_reason() == Some("failed");
        self.failure = if !errors.is_empty() || failed {
            let message = errors
                .first()
                .and_then(|e| {
                    e.lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .map(str::trim)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "a lane failed".to_owned());
            Some(CpythonError::Raised {
                message,
                stderr,
                partial: self.partial(),
            })
        } else {
            match status {
                Some(s) if s.success() && self.reconstructor.end_reason().is_some() => None,
                Some(s) if s.success() => Some(CpythonError::Ended {
                    how: "ended without reporting the end of its run".to_owned(),
                    stderr,
                    partial: self.partial(),
                }),
                Some(s) => Some(CpythonError::Ended {
                    how: describe_status(s),
                    stderr,
                    partial: self.partial(),
                }),
                None => Some(CpythonError::Ended {
                    how: "could not be waited for".to_owned(),
                    stderr,
                    partial: self.partial(),
                }),
            }
        };
    }

    fn check_time(&mut self) {
        if !self.finished && self.started.elapsed() > self.limit {
            self.child.kill();
            self.drain_for(STOP_DRAIN);
            self.close_trace();
            self.failure = Some(CpythonError::Hung {
                seconds: self.limit.as_secs_f64(),
                partial: self.partial(),
            });
            self.finished = true;
        }
    }

    /// Reads what is left in the channel until the stream ends or `time` passes.
    fn drain_for(&mut self, time: Duration) {
        let deadline = Instant::now() + time;
        while !self.stream_ended {
            match self.incoming.recv_deadline(deadline) {
                Ok(message) => self.take(message),
                Err(_) => break,
            }
        }
    }

    /// One step of progress: take what arrived, rebuild up to the watermark, and notice the end.
    fn progress(&mut self) {
        if self.finished {
            return;
        }
        self.drain();
        if self.finished {
            return;
        }
        self.reconstructor.advance();
        if self.stream_ended {
            self.conclude();
        } else if self.child.try_wait().is_some() {
            // Its group is gone, so the stream ends at once; read it to the end.
            self.drain_for(EXIT_WAIT);
            if !self.finished {
                self.conclude();
            }
        } else {
            self.check_time();
        }
    }

    /// Blocks until the run ends and returns it, or what went wrong (with the trace observed
    /// until then).
    pub fn run_to_end(mut self) -> Result<CpythonRun, CpythonError> {
        while !self.finished {
            match self.incoming.recv_timeout(Duration::from_millis(50)) {
                Ok(message) => self.take(message),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
            }
            self.progress();
        }
        match self.failure.take() {
            Some(error) => Err(error),
            None => Ok(CpythonRun {
                trace: self.reconstructor.trace().clone(),
                config: self.config(),
                calibration: self.calibration().cloned(),
                notes: self.notes(),
            }),
        }
    }
}

/// The settings must be those [`configure`](super::configure) made for this interpreter.
fn check_config(config: &RunConfig, interpreter: &Interpreter) -> Result<(), CpythonError> {
    if config.python != interpreter.version.python
        || config.free_threaded != interpreter.facts.free_threaded
    {
        return Err(CpythonError::Config(format!(
            "these settings are for Python {}{}, but the interpreter is {}: resolve them with cpython::configure",
            config.python,
            if config.free_threaded { "t" } else { "" },
            interpreter.label()
        )));
    }
    Ok(())
}

impl Engine for CpythonEngine {
    /// Takes what the program has sent so far; `until` is ignored (the run goes in real time).
    /// Returns the run's failure once.
    fn advance(&mut self, _until: Nanos) -> Result<(), SimError> {
        self.progress();
        self.failure
            .take()
            .map_or(Ok(()), |e| Err(SimError::Failed(e.to_string())))
    }

    /// A real run cannot be stepped: this takes what arrived, like [`Engine::advance`].
    fn step(&mut self) -> Result<Option<Nanos>, SimError> {
        self.advance(0)?;
        Ok((!self.finished).then(|| self.reconstructor.trace().now))
    }

    fn take_delta(&mut self) -> TraceDelta {
        self.cursor.take(self.reconstructor.trace())
    }

    fn trace(&self) -> &Trace {
        self.reconstructor.trace()
    }

    fn take_trace(&mut self) -> Trace {
        self.reconstructor.take_trace()
    }

    fn now(&self) -> Nanos {
        self.reconstructor.trace().now
    }

    fn is_finished(&self) -> bool {
        self.finished
    }

    /// Kills the program at once (its whole process group) and keeps what it had sent.
    fn stop(&mut self) {
        if self.finished {
            return;
        }
        self.stop_requested.store(true, Ordering::SeqCst);
        self.stopped = true;
        self.child.kill();
        self.drain_for(STOP_DRAIN);
        self.close_trace();
        self.finished = true;
    }
}

/// Runs `scenario` on `interpreter` to its end (for the CLI).
pub fn run(
    scenario: &Scenario,
    configured: &Configured,
    interpreter: &Interpreter,
    options: &CpythonOptions,
) -> Result<CpythonRun, CpythonError> {
    CpythonEngine::start(scenario, configured, interpreter, options)?.run_to_end()
}
