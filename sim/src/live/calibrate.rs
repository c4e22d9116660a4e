//! `gilscope calibrate`: measures this machine so the simulator's predictions describe it: the
//! OS wake-up latency of a blocked thread, what waking one costs the waker (a futex wake), a
//! system call that does not block, moving a cache line between two cores, the scheduler's time
//! slice, the live interpreter's speed and, where `python3` is on the PATH, `CPython`'s speed on
//! a countdown loop.

use super::interp::{COUNTDOWN_BODY, measure_ns_per_bytecode};
use crate::model::Overrides;
use crate::time::{Nanos, format_nanos, format_nanos_f};
use crate::wake::WakeLatency;
use serde::Serialize;
use std::fmt;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Round trips of the wake-up measurement: two wake-ups each, enough for a p99.9 from 40.
const PING_PONGS: usize = 20_000;
/// Multiples of the median whose tail shares the wake-up measurement reports.
const TAIL_MULTIPLES: [u64; 3] = [2, 4, 10];
/// Round trips of the system-call measurement (a byte written to a socket and read back).
const SYSCALL_ROUNDS: usize = 20_000;
/// Batches of round trips of the cache-line measurement, and round trips per batch.
const LINE_BATCHES: usize = 200;
const LINE_BATCH: u64 = 1_000;
/// How long two threads share one core to measure the time slice.
const SLICE_RUN: Duration = Duration::from_millis(400);
/// A pause longer than this in a spinning thread means it was switched out.
const SWITCHED_OUT: Nanos = 50_000;
/// How long `CPython` may take before the measurement is abandoned.
const PYTHON_TIMEOUT: Duration = Duration::from_secs(20);

/// The countdown loop timed in `CPython`; its bytecodes per iteration are counted by tracing
/// opcodes (`f_trace_opcodes`), so the figure is right for any version (8 on 3.11).
const PYTHON_SCRIPT: &str = r"
import sys, timeit
def countdown(n):
    while n > 0:
        n -= 1
def opcodes(n):
    count = 0
    def tracer(frame, event, arg):
        nonlocal count
        if frame.f_code is countdown.__code__:
            frame.f_trace_opcodes = True
            if event == 'opcode':
                count += 1
        return tracer
    sys.settrace(tracer)
    countdown(n)
    sys.settrace(None)
    return count
per_iteration = (opcodes(2000) - opcodes(1000)) / 1000
n = 2_000_000
best = min(timeit.repeat(lambda: countdown(n), number=1, repeat=5))
print(sys.version.split()[0], per_iteration, best / (n * per_iteration) * 1e9)
";

/// `CPython`'s speed on this machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PythonSpeed {
    /// `sys.version` (first word).
    pub version: String,
    /// Bytecodes per iteration of `while n > 0: n -= 1`.
    pub bytecodes_per_iteration: f64,
    /// Nanoseconds per bytecode (best of five runs).
    pub bytecode_ns: f64,
}

/// The share of wake-ups that took longer than a multiple of the median.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TailShare {
    /// The multiple of the median.
    pub times_median: u64,
    /// The share of wake-ups beyond it, 0 to 1.
    pub share: f64,
}

/// What `gilscope calibrate` measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Cores this process may run on.
    pub cores: usize,
    /// From notifying a condition variable to the blocked thread running: median.
    pub wake_latency_ns: Nanos,
    /// The same, 1st percentile.
    pub wake_latency_p1_ns: Nanos,
    /// The same, 90th percentile.
    pub wake_latency_p90_ns: Nanos,
    /// The same, 99th percentile.
    pub wake_latency_p99_ns: Nanos,
    /// The same, 99.9th percentile.
    pub wake_latency_p999_ns: Nanos,
    /// The same, the longest.
    pub wake_latency_max_ns: Nanos,
    /// The tail: the shares of wake-ups beyond 2, 4 and 10 times the median.
    pub wake_tail: Vec<TailShare>,
    /// What notifying a condition variable costs the notifier when a thread waits on it (a
    /// futex wake system call): median.
    pub futex_wake_ns: Nanos,
    /// A system call that does not block (half of writing one byte to a socket and reading it
    /// back): median; `None` where no socket pair could be made.
    pub syscall_ns: Option<Nanos>,
    /// Moving one cache line from one core to another (half a round trip of two threads on two
    /// cores passing a counter back and forth): `None` with one core or without pinning.
    pub cache_line_transfer_ns: Option<Nanos>,
    /// Median time a spinning thread keeps a core it shares with another spinning thread
    /// (`None` when threads cannot be pinned, or the OS never switched them).
    pub time_slice_ns: Option<Nanos>,
    /// The live interpreter's nanoseconds per bytecode, unpaced.
    pub live_bytecode_ns: f64,
    /// `CPython`'s speed, when `python3` could be run.
    pub python: Option<PythonSpeed>,
    /// Why `CPython` was not measured, if it was not.
    pub python_note: Option<String>,
    /// Settings for the simulator that describe this machine.
    pub settings: Overrides,
}

fn percentile(sorted: &[Nanos], p: f64) -> Nanos {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// Measures this machine; takes a few seconds.
pub fn calibrate() -> Calibration {
    let cores = core_affinity::get_core_ids()
        .map(|ids| ids.len())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let (mut wakes, mut notifies) = wake_latencies(PING_PONGS);
    wakes.sort_unstable();
    notifies.sort_unstable();
    let wake = WakeLatency {
        p1: percentile(&wakes, 0.01),
        median: percentile(&wakes, 0.5),
        p90: percentile(&wakes, 0.9),
        p99: percentile(&wakes, 0.99),
        p999: percentile(&wakes, 0.999),
    };
    let futex_wake_ns = percentile(&notifies, 0.5);
    let syscall_ns = syscall_cost(SYSCALL_ROUNDS);
    let cache_line_transfer_ns = cache_line_transfer(LINE_BATCHES, LINE_BATCH);
    let time_slice_ns = time_slice();
    let live_bytecode_ns = measure_ns_per_bytecode(0, 5_000_000, 5);
    let (python, python_note) = match python_speed() {
        Ok(speed) => (Some(speed), None),
        Err(note) => (None, Some(note)),
    };
    let settings = Overrides {
        wake_latency: Some(wake.median),
        wake_latency_p1: Some(wake.p1),
        wake_latency_p90: Some(wake.p90),
        wake_latency_p99: Some(wake.p99),
        wake_latency_p999: Some(wake.p999),
        futex_wake: Some(futex_wake_ns),
        syscall: syscall_ns,
        cache_line_transfer: cache_line_transfer_ns,
        time_slice: time_slice_ns,
        bytecode_ns: python
            .as_ref()
            .map(|p| (p.bytecode_ns * 100.0).round() / 100.0),
        ..Overrides::default()
    };
    Calibration {
        cores,
        wake_latency_ns: wake.median,
        wake_latency_p1_ns: wake.p1,
        wake_latency_p90_ns: wake.p90,
        wake_latency_p99_ns: wake.p99,
        wake_latency_p999_ns: wake.p999,
        wake_latency_max_ns: wakes.last().copied().unwrap_or(0),
        wake_tail: tail_shares(&wakes, wake.median),
        futex_wake_ns,
        syscall_ns,
        cache_line_transfer_ns,
        time_slice_ns,
        live_bytecode_ns,
        python,
        python_note,
        settings,
    }
}

/// The shares of `sorted` beyond each of [`TAIL_MULTIPLES`] times `median`.
fn tail_shares(sorted: &[Nanos], median: Nanos) -> Vec<TailShare> {
    TAIL_MULTIPLES
        .iter()
        .map(|&times| {
            let bound = median.saturating_mul(times);
            let beyond = sorted.len() - sorted.partition_point(|&x| x <= bound);
            TailShare {
                times_median: times,
                share: if sorted.is_empty() {
                    0.0
                } else {
                    beyond as f64 / sorted.len() as f64
                },
            }
        })
        .collect()
}

struct Turn {
    /// Which thread may run: 0 or 1.
    turn: usize,
    sent: Instant,
}

/// Two threads hand a turn back and forth through a condition variable; each measures how long
/// after the notification it was running, and how long its own `notify_one` took (the other
/// thread is then blocked waiting, so that is the waker's side of a futex wake).
fn wake_latencies(rounds: usize) -> (Vec<Nanos>, Vec<Nanos>) {
    let shared = Arc::new((
        Mutex::new(Turn {
            turn: 0,
            sent: Instant::now(),
        }),
        Condvar::new(),
    ));
    let handles: Vec<_> = (0..2)
        .map(|me| {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("calibrate-wake-{me}"))
                .spawn(move || {
                    let (lock, cond) = &*shared;
                    let mut samples = Vec::with_capacity(rounds);
                    let mut notifies = Vec::with_capacity(rounds);
                    let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
                    for round in 0..rounds {
                        while state.turn != me {
                            state = cond.wait(state).unwrap_or_else(PoisonError::into_inner);
                        }
                        if round > 0 || me == 1 {
                            samples.push(state.sent.elapsed().as_nanos() as Nanos);
                        }
                        state.turn = 1 - me;
                        state.sent = Instant::now();
                        cond.notify_one();
                        if round > 0 {
                            notifies.push(state.sent.elapsed().as_nanos() as Nanos);
                        }
                    }
                    (samples, notifies)
                })
        })
        .collect();
    let (mut wakes, mut notifies) = (Vec::new(), Vec::new());
    for (w, n) in handles.into_iter().filter_map(|h| h.ok()?.join().ok()) {
        wakes.extend(w);
        notifies.extend(n);
    }
    (wakes, notifies)
}

/// A system call that does not block: one byte written to a socket and read back at once,
/// timed in batches; half the median round trip.
fn syscall_cost(rounds: usize) -> Option<Nanos> {
    const BATCH: usize = 100;
    let (mut a, mut b) = UnixStream::pair().ok()?;
    let mut byte = [0u8; 1];
    let mut batches = Vec::new();
    for _ in 0..rounds / BATCH {
        let start = Instant::now();
        for _ in 0..BATCH {
            a.write_all(&[1]).ok()?;
            b.read_exact(&mut byte).ok()?;
        }
        batches.push(start.elapsed().as_nanos() as Nanos / (2 * BATCH as Nanos));
    }
    batches.sort_unstable();
    Some(percentile(&batches, 0.5).max(1))
}

/// Two threads pinned to two cores pass a counter back and forth through one atomic: each
/// hand-over moves its cache line to the other core. Half the round trip of the median batch
/// (a batch in which the OS switched a thread out is an outlier, not a transfer).
fn cache_line_transfer(batches: usize, batch: u64) -> Option<Nanos> {
    let ids = core_affinity::get_core_ids()?;
    let (first, second) = (*ids.first()?, *ids.get(1)?);
    let line = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [(first, 0u64), (second, 1u64)]
        .into_iter()
        .map(|(core, parity)| {
            let line = Arc::clone(&line);
            let barrier = Arc::clone(&barrier);
            thread::Builder::new()
                .name(format!("calibrate-line-{parity}"))
                .spawn(move || {
                    let pinned = core_affinity::set_for_current(core);
                    barrier.wait();
                    if !pinned {
                        return None;
                    }
                    let mut times = Vec::with_capacity(batches);
                    let mut k = 0;
                    for _ in 0..batches {
                        let start = Instant::now();
                        for _ in 0..batch {
                            let mine = 2 * k + parity;
                            while line.load(Ordering::Acquire) != mine {
                                std::hint::spin_loop();
                            }
                            line.store(mine + 1, Ordering::Release);
                            k += 1;
                        }
                        times.push(start.elapsed().as_nanos() as Nanos / (2 * batch));
                    }
                    Some(times)
                })
        })
        .collect();
    let mut times = Vec::new();
    for handle in handles {
        times.extend(handle.ok()?.join().ok()??);
    }
    times.sort_unstable();
    Some(percentile(&times, 0.5).max(1))
}

/// Two threads spin on one core; the lengths of their uninterrupted runs are the OS time slice.
fn time_slice() -> Option<Nanos> {
    let core = *core_affinity::get_core_ids()?.last()?;
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            thread::Builder::new()
                .name(format!("calibrate-slice-{i}"))
                .spawn(move || {
                    let pinned = core_affinity::set_for_current(core);
                    barrier.wait();
                    if !pinned {
                        return None;
                    }
                    let start = Instant::now();
                    let mut runs = Vec::new();
                    let mut run_start = start;
                    let mut previous = start;
                    loop {
                        let now = Instant::now();
                        if now.duration_since(previous).as_nanos() as Nanos > SWITCHED_OUT {
                            if run_start != start {
                                runs.push(previous.duration_since(run_start).as_nanos() as Nanos);
                            }
                            run_start = now;
                        }
                        previous = now;
                        if now.duration_since(start) >= SLICE_RUN {
                            return Some(runs);
                        }
                    }
                })
        })
        .collect();
    let mut runs: Vec<Nanos> = Vec::new();
    for handle in handles {
        runs.extend(handle.ok()?.join().ok()??);
    }
    runs.sort_unstable();
    (!runs.is_empty()).then(|| percentile(&runs, 0.5))
}

/// Runs `CPython` on a countdown loop.
fn python_speed() -> Result<PythonSpeed, String> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_SCRIPT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("python3 could not be started ({e}): CPython's speed was not measured")
        })?;
    let deadline = Instant::now() + PYTHON_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "python3 took more than {} s: CPython's speed was not measured",
                    PYTHON_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("python3 could not be waited for ({e})")),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    if !status.success() {
        return Err(format!("python3 failed ({status}): {}", err.trim()));
    }
    let fields: Vec<&str> = out.split_whitespace().collect();
    let parsed = match fields.as_slice() {
        [version, per, ns] => per
            .parse::<f64>()
            .ok()
            .zip(ns.parse::<f64>().ok())
            .map(|(per, ns)| (version, per, ns)),
        _ => None,
    };
    match parsed {
        Some((version, per, ns)) if per > 0.0 && ns > 0.0 => Ok(PythonSpeed {
            version: (*version).to_owned(),
            bytecodes_per_iteration: per,
            bytecode_ns: ns,
        }),
        _ => Err(format!(
            "python3 printed something unexpected: {:?}",
            out.trim()
        )),
    }
}

impl Calibration {
    /// The wake-up latency's quantiles and its tail, two lines.
    fn write_wake_latency(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "OS wake-up latency of a blocked thread (condition variable ping-pong): p1 {}, median {}, p90 {}, p99 {}, p99.9 {}, max {}",
            format_nanos(self.wake_latency_p1_ns),
            format_nanos(self.wake_latency_ns),
            format_nanos(self.wake_latency_p90_ns),
            format_nanos(self.wake_latency_p99_ns),
            format_nanos(self.wake_latency_p999_ns),
            format_nanos(self.wake_latency_max_ns)
        )?;
        let tail: Vec<String> = self
            .wake_tail
            .iter()
            .map(|t| {
                format!(
                    "{:.2}% beyond {}× the median",
                    t.share * 100.0,
                    t.times_median
                )
            })
            .collect();
        writeln!(f, "  its tail: {}", tail.join(", "))
    }
}

impl fmt::Display for Calibration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "This machine: {} core{}",
            self.cores,
            if self.cores == 1 { "" } else { "s" }
        )?;
        self.write_wake_latency(f)?;
        writeln!(
            f,
            "Waking it, for the waker (notify_one, a futex wake): median {}",
            format_nanos(self.futex_wake_ns)
        )?;
        match self.syscall_ns {
            Some(syscall) => writeln!(
                f,
                "A system call that does not block (a byte through a socket): median {}",
                format_nanos(syscall)
            )?,
            None => writeln!(f, "System call: not measured (no socket pair)")?,
        }
        match self.cache_line_transfer_ns {
            Some(line) => writeln!(
                f,
                "A cache line moving between two cores (two pinned threads passing a counter): {}",
                format_nanos(line)
            )?,
            None => writeln!(
                f,
                "Cache-line transfer: not measured (one core, or threads cannot be pinned)"
            )?,
        }
        match self.time_slice_ns {
            Some(slice) => writeln!(
                f,
                "OS time slice (two spinning threads on one core): median {}",
                format_nanos(slice)
            )?,
            None => writeln!(
                f,
                "OS time slice: not measured (threads cannot be pinned, or were never switched)"
            )?,
        }
        writeln!(
            f,
            "Live interpreter: {} per bytecode unpaced (countdown loop, {COUNTDOWN_BODY} bytecodes per iteration)",
            format_nanos_f(self.live_bytecode_ns)
        )?;
        match (&self.python, &self.python_note) {
            (Some(p), _) => writeln!(
                f,
                "CPython {}: {} per bytecode (countdown loop, {} bytecodes per iteration)",
                p.version,
                format_nanos_f(p.bytecode_ns),
                p.bytecodes_per_iteration
            )?,
            (None, Some(note)) => writeln!(f, "CPython: {note}")?,
            (None, None) => {}
        }
        writeln!(
            f,
            "\nSettings for the simulator ([settings] of a scenario):"
        )?;
        let wake = [
            ("wake_latency", self.settings.wake_latency),
            ("wake_latency_p1", self.settings.wake_latency_p1),
            ("wake_latency_p90", self.settings.wake_latency_p90),
            ("wake_latency_p99", self.settings.wake_latency_p99),
            ("wake_latency_p999", self.settings.wake_latency_p999),
        ];
        for (key, value) in wake {
            if let Some(ns) = value {
                writeln!(f, "{key} = \"{ns}ns\"")?;
            }
        }
        if let Some(futex) = self.settings.futex_wake {
            writeln!(f, "futex_wake = \"{futex}ns\"")?;
        }
        if let Some(syscall) = self.settings.syscall {
            writeln!(f, "syscall = \"{syscall}ns\"")?;
        }
        if let Some(line) = self.settings.cache_line_transfer {
            writeln!(f, "cache_line_transfer = \"{line}ns\"")?;
        }
        if let Some(slice) = self.settings.time_slice {
            writeln!(f, "time_slice = \"{}us\"", slice / 1000)?;
        }
        if let Some(ns) = self.settings.bytecode_ns {
            writeln!(f, "bytecode_ns = {ns}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_shares_count_what_lies_beyond_each_multiple_of_the_median() {
        // 1000 wake-ups: 990 at 5 µs, 6 at 15 µs, 3 at 30 µs, one at 2 ms.
        let mut wakes = vec![5_000; 990];
        wakes.extend([15_000; 6]);
        wakes.extend([30_000; 3]);
        wakes.push(2_000_000);
        let median = percentile(&wakes, 0.5);
        assert_eq!(median, 5_000);
        assert_eq!(percentile(&wakes, 0.999), 30_000);
        let shares: Vec<(u64, f64)> = tail_shares(&wakes, median)
            .iter()
            .map(|t| (t.times_median, t.share))
            .collect();
        assert_eq!(shares, [(2, 0.010), (4, 0.004), (10, 0.001)]);
        assert!(tail_shares(&[], 0).iter().all(|t| t.share == 0.0));
    }

    #[test]
    fn the_suggested_settings_include_the_wake_up_quantiles_and_resolve() {
        let calibration = Calibration {
            cores: 2,
            wake_latency_ns: 4_920,
            wake_latency_p1_ns: 4_300,
            wake_latency_p90_ns: 5_800,
            wake_latency_p99_ns: 9_100,
            wake_latency_p999_ns: 31_000,
            wake_latency_max_ns: 900_000,
            wake_tail: tail_shares(&[4_920, 40_000], 4_920),
            futex_wake_ns: 2_100,
            syscall_ns: None,
            cache_line_transfer_ns: None,
            time_slice_ns: None,
            live_bytecode_ns: 4.0,
            python: None,
            python_note: None,
            settings: Overrides {
                wake_latency: Some(4_920),
                wake_latency_p1: Some(4_300),
                wake_latency_p90: Some(5_800),
                wake_latency_p99: Some(9_100),
                wake_latency_p999: Some(31_000),
                ..Overrides::default()
            },
        };
        let text = calibration.to_string();
        assert!(
            text.contains("p1 4.30 µs, median 4.92 µs, p90 5.80 µs, p99 9.10 µs, p99.9 31.0 µs"),
            "{text}"
        );
        assert!(text.contains("50.00% beyond 2× the median"), "{text}");
        for line in [
            "wake_latency = \"4920ns\"",
            "wake_latency_p1 = \"4300ns\"",
            "wake_latency_p90 = \"5800ns\"",
            "wake_latency_p99 = \"9100ns\"",
            "wake_latency_p999 = \"31000ns\"",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        let resolved = calibration.settings.resolve().unwrap();
        let resolved = resolved.wake_distribution();
        assert_eq!((resolved.p1, resolved.p999), (4_300, 31_000));
    }
}
