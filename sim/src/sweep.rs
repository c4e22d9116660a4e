//! Switch-interval sweeps: the same scenario at many intervals, run in parallel across cores.

use crate::model::Overrides;
use crate::run::{RunError, RunOptions, run_scenario};
use crate::scenario::{Scenario, ScenarioError};
use crate::stats::Stats;
use crate::time::Nanos;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Why one point of a sweep failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// The settings at this point are invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The sweep was cancelled before this point ran.
    #[error("cancelled")]
    Cancelled,
}

/// `points` intervals from `from` to `to`, evenly spaced on a log scale, rounded to whole
/// microseconds as `CPython` stores them (duplicates removed).
pub fn log_spaced(from: Nanos, to: Nanos, points: usize) -> Vec<Nanos> {
    let (lo, hi) = (from.min(to).max(1) as f64, from.max(to).max(1) as f64);
    let mut out: Vec<Nanos> = (0..points.max(1))
        .map(|i| {
            let f = if points > 1 {
                i as f64 / (points - 1) as f64
            } else {
                0.0
            };
            let ns = (lo.ln() + f * (hi.ln() - lo.ln())).exp();
            ((ns / 1000.0).round().max(1.0) as Nanos) * 1000
        })
        .collect();
    out.dedup();
    out
}

/// Runs `scenario` once per interval with `base` settings, on up to `workers` named threads.
/// `cancel` stops workers between points; `progress` is called after each finished point with
/// the number done. Results are in the order of `intervals`.
pub fn sweep(
    scenario: &Scenario,
    base: &Overrides,
    intervals: &[Nanos],
    workers: usize,
    cancel: &AtomicBool,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Result<Stats, SweepError>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Stats, SweepError>>>> =
        Mutex::new(vec![None; intervals.len()]);
    let work = || {
        loop {
            if cancel.load(Ordering::Relaxed) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&interval) = intervals.get(i) else {
                return;
            };
            let overrides = Overrides {
                switch_interval: Some(interval),
                ..base.clone()
            };
            let outcome = scenario
                .config(&overrides)
                .map_err(SweepError::from)
                .and_then(|config| {
                    Ok(run_scenario(scenario, &config, &RunOptions::default())?.stats)
                });
            if let Ok(mut slots) = results.lock() {
                slots[i] = Some(outcome);
            }
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    };
    let workers = workers.clamp(1, intervals.len().max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .filter_map(|w| {
                std::thread::Builder::new()
                    .name(format!("gilscope-sweep-{w}"))
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        if handles.is_empty() {
            // Could not spawn any thread: run on this one.
            work();
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|slot| slot.unwrap_or(Err(SweepError::Cancelled)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use crate::time::{MS, US};

    #[test]
    fn log_spacing_covers_the_range_in_whole_microseconds() {
        let points = log_spaced(100 * US, 100 * MS, 4);
        assert_eq!(points, vec![100 * US, MS, 10 * MS, 100 * MS]);
        assert_eq!(log_spaced(1, 1, 5), vec![US]);
    }

    #[test]
    fn sweep_matches_single_runs_and_cancel_stops_it() {
        let scenario = preset("convoy").unwrap().unwrap();
        let base = Overrides {
            duration: Some(50 * MS),
            ..Overrides::default()
        };
        let intervals = [MS, 5 * MS];
        let never = AtomicBool::new(false);
        let results = sweep(&scenario, &base, &intervals, 2, &never, &|_| {});
        for (interval, result) in intervals.iter().zip(&results) {
            let config = scenario
                .config(&Overrides {
                    switch_interval: Some(*interval),
                    ..base.clone()
                })
                .unwrap();
            let single = Stats::compute(&crate::run::simulate(&scenario, &config).unwrap());
            assert_eq!(result.as_ref().unwrap(), &single);
        }
        let cancelled = AtomicBool::new(true);
        let results = sweep(&scenario, &base, &intervals, 2, &cancelled, &|_| {});
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(SweepError::Cancelled)))
        );
    }
}
