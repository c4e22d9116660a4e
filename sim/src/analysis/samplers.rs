//! Ground truth against what sampling monitors report from the same run.
//!
//! Two kinds of tool are modelled, each looking at the run only at sample instants:
//!
//! - **gil_load-style**: at each instant, "is the GIL held?"; the estimate is the share of
//!   samples that found it held. Its error against the true held fraction is sampling noise,
//!   plus aliasing when samples are periodic and the workload has a period of its own (the
//!   switch interval).
//! - **py-spy-style `--gil`**: at each instant the tool reads which thread the interpreter
//!   last recorded as the GIL holder (`last_holder`, which keeps naming a thread after it
//!   released the GIL) and asks the OS whether that thread is idle (blocked in a system call,
//!   a condition-variable wait or a lock). It attributes the sample to that thread unless it
//!   looks idle, in which case the sample is dropped. The truth is who holds the GIL at that
//!   instant. A thread that released the GIL for C code (`NumPy`, `hashlib`) is still on a core,
//!   so the tool credits it with the GIL while another thread is about to take it, or while
//!   nobody holds it at all.
//!
//! Sample instants come from a seeded [`SplitMix64`], so a rate and seed always give the same
//! estimate.

use crate::rng::SplitMix64;
use crate::time::Nanos;
use crate::trace::{NONE, ThreadState, Trace};

/// The most samples one run may take (a rate too high for the run is an error, not a hang).
pub const MAX_SAMPLES: u64 = 10_000_000;

/// How sample instants are spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// A Poisson process: exponential gaps with mean `1 / rate`.
    #[default]
    Random,
    /// Every `1 / rate`, starting half a period in (prone to aliasing).
    Periodic,
}

/// A sampler's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplerSettings {
    /// Samples per second of the run's (virtual) time.
    pub rate_hz: f64,
    /// Seed of the random instants.
    pub seed: u64,
    /// How the instants are spread.
    pub timing: Timing,
}

impl Default for SamplerSettings {
    fn default() -> Self {
        Self {
            rate_hz: 1000.0,
            seed: 1,
            timing: Timing::Random,
        }
    }
}

/// Why a sampler could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplerError {
    /// The rate is zero, negative or not a number.
    #[error("the sample rate must be a positive number of samples per second (got {0})")]
    BadRate(f64),
    /// The run is too long for the rate.
    #[error("{0} samples would be taken; lower the sample rate (at most {MAX_SAMPLES})")]
    TooMany(u64),
    /// The trace is empty or so short that no sample fell inside it.
    #[error("no sample fell inside the run: it is empty or shorter than one sample period")]
    NoSamples,
}

/// The instants at which a tool samples `[0, end)`.
pub fn instants(settings: &SamplerSettings, end: Nanos) -> Result<Vec<Nanos>, SamplerError> {
    let rate = settings.rate_hz;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(SamplerError::BadRate(rate));
    }
    let period = 1e9 / rate;
    let expected = (end as f64 / period).ceil();
    if expected > MAX_SAMPLES as f64 {
        return Err(SamplerError::TooMany(expected as u64));
    }
    let mut out = Vec::with_capacity(expected as usize + 1);
    match settings.timing {
        Timing::Periodic => {
            let mut t = period / 2.0;
            while t < end as f64 {
                out.push(t as Nanos);
                t += period;
            }
        }
        Timing::Random => {
            let mut rng = SplitMix64::new(settings.seed);
            let mut t = 0.0;
            loop {
                // 1 - unit() is in (0, 1]: the logarithm is finite.
                t += -(1.0 - rng.unit()).ln() * period;
                if t >= end as f64 || out.len() as u64 >= MAX_SAMPLES {
                    break;
                }
                out.push(t as Nanos);
            }
        }
    }
    if out.is_empty() {
        return Err(SamplerError::NoSamples);
    }
    Ok(out)
}

/// What a gil_load-style sampler concluded, beside the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilLoadReport {
    /// Samples taken.
    pub samples: usize,
    /// Samples that found the GIL held.
    pub held_samples: usize,
    /// The tool's estimate of the held fraction: `held_samples / samples`.
    pub estimate: f64,
    /// The true held fraction over the run.
    pub truth: f64,
    /// `estimate - truth` (positive: the tool over-reports).
    pub error: f64,
}

/// Samples "is the GIL held?" over the whole run.
pub fn gil_load(trace: &Trace, settings: &SamplerSettings) -> Result<GilLoadReport, SamplerError> {
    let at = instants(settings, trace.now)?;
    let held_samples = at
        .iter()
        .filter(|&&t| trace.gil.at(t, trace.now).is_some_and(|s| t < s.end))
        .count();
    let held: Nanos = trace.gil.all(trace.now).map(|s| s.duration()).sum();
    let truth = held as f64 / trace.now as f64;
    let estimate = held_samples as f64 / at.len() as f64;
    Ok(GilLoadReport {
        samples: at.len(),
        held_samples,
        estimate,
        truth,
        error: estimate - truth,
    })
}

/// One thread as a py-spy-style `--gil` sampler sees it, beside the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadReading {
    /// The thread's name.
    pub name: String,
    /// Share of all samples the tool attributed to this thread as holding the GIL.
    pub estimate: f64,
    /// Share of the run's time the thread really held the GIL.
    pub truth: f64,
    /// `estimate - truth`.
    pub error: f64,
}

/// What a py-spy-style `--gil` sampler concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct PySpyReport {
    /// Samples taken.
    pub samples: usize,
    /// Per thread, in trace order.
    pub threads: Vec<ThreadReading>,
    /// Samples where the tool named a thread other than the true holder (or named one when
    /// the GIL was free, or none when it was held).
    pub misread: usize,
}

impl PySpyReport {
    /// `misread / samples`.
    pub fn misread_fraction(&self) -> f64 {
        self.misread as f64 / self.samples.max(1) as f64
    }
}

/// Whether the OS would show a thread in `state` as idle (blocked, not on a core or in the
/// run queue).
fn looks_idle(state: ThreadState) -> bool {
    matches!(
        state,
        ThreadState::Io
            | ThreadState::WaitingGil
            | ThreadState::ForcedOff
            | ThreadState::Lock
            | ThreadState::Done
    )
}

/// The thread the tool credits with the GIL at `t`: the holder at `t`, or the last holder
/// before it (a stale `last_holder`), unless that thread looks idle.
fn tool_reading(trace: &Trace, t: Nanos) -> u32 {
    let gil = &trace.gil;
    let covering = gil.at(t, trace.now).filter(|s| t < s.end);
    let last_holder = covering.map(|s| s.other).or_else(|| {
        let before = gil.spans.partition_point(|s| s.start <= t);
        let open_before = gil.open.filter(|s| s.start <= t);
        open_before
            .or_else(|| before.checked_sub(1).and_then(|i| gil.spans.get(i)))
            .map(|s| s.other)
    });
    let Some(thread) = last_holder.filter(|&h| h != NONE) else {
        return NONE;
    };
    let idle = trace
        .thread_lanes
        .get(thread as usize)
        .and_then(|lane| lane.at(t, trace.now))
        .is_none_or(|s| looks_idle(s.state));
    if idle { NONE } else { thread }
}

/// Samples which thread is on the GIL over the whole run, the way py-spy's `--gil` mode does.
pub fn py_spy(trace: &Trace, settings: &SamplerSettings) -> Result<PySpyReport, SamplerError> {
    let at = instants(settings, trace.now)?;
    let threads = trace.threads.len();
    let mut credited = vec![0usize; threads];
    let mut misread = 0;
    for &t in &at {
        let truth = trace
            .gil
            .at(t, trace.now)
            .filter(|s| t < s.end)
            .map_or(NONE, |s| s.other);
        let read = tool_reading(trace, t);
        if read != truth {
            misread += 1;
        }
        if let Some(count) = credited.get_mut(read as usize) {
            *count += 1;
        }
    }
    let mut held = vec![0 as Nanos; threads];
    for s in trace.gil.all(trace.now) {
        if let Some(h) = held.get_mut(s.other as usize) {
            *h += s.duration();
        }
    }
    let readings = trace
        .threads
        .iter()
        .zip(credited.iter().zip(&held))
        .map(|(info, (&count, &held))| {
            let estimate = count as f64 / at.len() as f64;
            let truth = held as f64 / trace.now.max(1) as f64;
            ThreadReading {
                name: info.name.clone(),
                estimate,
                truth,
                error: estimate - truth,
            }
        })
        .collect();
    Ok(PySpyReport {
        samples: at.len(),
        threads: readings,
        misread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::test_support::{info, untitled};

    use crate::trace::LaneId;

    /// 1 s of run, repeated 100 times: `py` holds the GIL for 6 ms running bytecode, then
    /// calls C code that releases the GIL for 4 ms (still on a core). `io` takes the GIL for
    /// the last 1 ms of that C call and is in I/O the rest of the time.
    /// Truth: held 70% (`py` 60%, `io` 10%); free 30%, while `py` runs C code.
    fn synthetic() -> Trace {
        let mut t = untitled(vec![info("py"), info("io")], 2);
        let ms = 1_000_000;
        for k in 0..100 {
            let base = k * 10 * ms;
            t.set(LaneId::Thread(0), base, Some((ThreadState::Running, NONE)));
            t.set(LaneId::Gil, base, Some((ThreadState::Running, 0)));
            t.set(LaneId::Thread(1), base, Some((ThreadState::Io, NONE)));
            t.set(
                LaneId::Thread(0),
                base + 6 * ms,
                Some((ThreadState::CCallReleased, NONE)),
            );
            t.set(LaneId::Gil, base + 6 * ms, None);
            t.set(
                LaneId::Thread(1),
                base + 9 * ms,
                Some((ThreadState::Running, NONE)),
            );
            t.set(LaneId::Gil, base + 9 * ms, Some((ThreadState::Running, 1)));
        }
        t.close(1000 * ms);
        t
    }

    #[test]
    fn periodic_gil_load_reads_the_truth_on_a_clean_grid() {
        let trace = synthetic();
        let settings = SamplerSettings {
            rate_hz: 10_000.0,
            seed: 0,
            timing: Timing::Periodic,
        };
        let r = gil_load(&trace, &settings).unwrap();
        assert_eq!((r.samples, r.held_samples), (10_000, 7_000));
        assert!((r.truth - 0.7).abs() < 1e-12);
        assert!(r.error.abs() < 1e-12);
    }

    #[test]
    fn periodic_sampling_aliases_with_the_workload() {
        // One sample per 10 ms period, always 5 ms into it: the GIL is always held then.
        let trace = synthetic();
        let settings = SamplerSettings {
            rate_hz: 100.0,
            seed: 0,
            timing: Timing::Periodic,
        };
        let r = gil_load(&trace, &settings).unwrap();
        assert_eq!((r.samples, r.held_samples), (100, 100));
        assert!((r.error - 0.3).abs() < 1e-12);
    }

    #[test]
    fn random_gil_load_gives_the_known_estimate_for_a_seed() {
        let trace = synthetic();
        let settings = SamplerSettings {
            rate_hz: 1000.0,
            seed: 42,
            timing: Timing::Random,
        };
        let r = gil_load(&trace, &settings).unwrap();
        assert_eq!((r.samples, r.held_samples), (KNOWN_SAMPLES, KNOWN_HELD));
        assert_eq!(r, gil_load(&trace, &settings).unwrap());
        assert!(r.error.abs() < 0.05, "{r:?}");
        let other = gil_load(
            &trace,
            &SamplerSettings {
                seed: 43,
                ..settings
            },
        )
        .unwrap();
        assert_ne!(other.held_samples, r.held_samples);
    }

    /// Fixed by `SplitMix64`'s stream for seed 42: 695 of 1020 samples (68.1% against 70%).
    const KNOWN_SAMPLES: usize = 1020;
    const KNOWN_HELD: usize = 695;

    #[test]
    fn py_spy_credits_the_stale_holder_during_c_calls() {
        let trace = synthetic();
        let settings = SamplerSettings {
            rate_hz: 10_000.0,
            seed: 0,
            timing: Timing::Periodic,
        };
        let r = py_spy(&trace, &settings).unwrap();
        assert_eq!(r.samples, 10_000);
        let (py, io) = (&r.threads[0], &r.threads[1]);
        // The tool credits `py` for its 6 ms of bytecode plus the 3 ms of C code while the GIL
        // is free (last_holder is still `py`, and it is on a core): 90% instead of 60%.
        assert!((py.truth - 0.6).abs() < 1e-12 && (py.estimate - 0.9).abs() < 1e-12);
        assert!((io.truth - 0.1).abs() < 1e-12 && (io.estimate - 0.1).abs() < 1e-12);
        assert!((py.error - 0.3).abs() < 1e-12);
        assert_eq!(r.misread, 3_000);
        assert!((r.misread_fraction() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn bad_rates_and_empty_runs_are_errors() {
        let trace = synthetic();
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let s = SamplerSettings {
                rate_hz: rate,
                ..SamplerSettings::default()
            };
            assert!(matches!(
                gil_load(&trace, &s),
                Err(SamplerError::BadRate(_))
            ));
        }
        let s = SamplerSettings {
            rate_hz: 1e12,
            ..SamplerSettings::default()
        };
        assert!(matches!(py_spy(&trace, &s), Err(SamplerError::TooMany(_))));
        let empty = untitled(vec![info("a")], 1);
        assert_eq!(
            gil_load(&empty, &SamplerSettings::default()),
            Err(SamplerError::NoSamples)
        );
    }
}
