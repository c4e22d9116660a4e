//! The same job under every runtime a Python developer weighs: threads with the GIL,
//! free-threaded threads, asyncio, processes (fork, spawn and forkserver), subinterpreters
//! (gil-model.md section 6), and the pools people use for them (`multiprocessing.Pool`,
//! `ProcessPoolExecutor`, `ThreadPoolExecutor`), side by side.

use crate::model::{Overrides, PythonVersion, Runtime, StartMethod};
use crate::run::{RunOptions, run_scenario};
use crate::scenario::Scenario;
use crate::stats::Stats;
use crate::sweep::SweepError;

/// The runtimes compared, each as a label and the settings that select it (over `base`).
pub fn runtime_variants(base: &Overrides) -> Vec<(String, Overrides)> {
    let py314 = Some(PythonVersion::new(3, 14));
    let with = |runtime: Runtime, f: &dyn Fn(&mut Overrides)| {
        let mut o = Overrides {
            runtime: Some(runtime),
            free_threaded: Some(false),
            gil: None,
            ..base.clone()
        };
        f(&mut o);
        o
    };
    vec![
        ("threads (GIL)".to_owned(), with(Runtime::Threads, &|_| {})),
        (
            "threads, free-threaded 3.14t".to_owned(),
            with(Runtime::Threads, &|o| {
                o.python = py314;
                o.free_threaded = Some(true);
            }),
        ),
        ("asyncio".to_owned(), with(Runtime::Asyncio, &|_| {})),
        (
            "multiprocessing (fork)".to_owned(),
            with(Runtime::Multiprocessing, &|o| {
                o.start_method = Some(StartMethod::Fork);
            }),
        ),
        (
            "multiprocessing (spawn)".to_owned(),
            with(Runtime::Multiprocessing, &|o| {
                o.start_method = Some(StartMethod::Spawn);
            }),
        ),
        (
            "multiprocessing (forkserver)".to_owned(),
            with(Runtime::Multiprocessing, &|o| {
                o.start_method = Some(StartMethod::Forkserver);
            }),
        ),
        (
            "subinterpreters (3.14)".to_owned(),
            with(Runtime::Subinterpreters, &|o| o.python = py314),
        ),
        (
            "multiprocessing.Pool (fork)".to_owned(),
            with(Runtime::Pool, &|o| o.start_method = Some(StartMethod::Fork)),
        ),
        (
            "ProcessPoolExecutor (fork)".to_owned(),
            with(Runtime::ProcessPool, &|o| {
                o.start_method = Some(StartMethod::Fork);
            }),
        ),
        (
            "ThreadPoolExecutor".to_owned(),
            with(Runtime::ThreadPool, &|_| {}),
        ),
    ]
}

/// Runs `scenario` under every runtime of [`runtime_variants`].
pub fn compare_runtimes(
    scenario: &Scenario,
    base: &Overrides,
) -> Vec<(String, Result<Stats, SweepError>)> {
    runtime_variants(base)
        .into_iter()
        .map(|(label, overrides)| {
            let outcome = scenario
                .config(&overrides)
                .map_err(SweepError::from)
                .and_then(|config| {
                    Ok(run_scenario(scenario, &config, &RunOptions::default())?.stats)
                });
            (label, outcome)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    #[test]
    fn the_decision_preset_runs_under_every_runtime() {
        let scenario = preset("decision").unwrap().unwrap();
        let rows = compare_runtimes(&scenario, &Overrides::default());
        assert_eq!(rows.len(), 10);
        let wall = |label: &str| {
            rows.iter()
                .find(|(l, _)| l == label)
                .unwrap()
                .1
                .as_ref()
                .unwrap()
                .wall_ms
        };
        // Python in parallel beats the GIL; processes pay for spawning.
        assert!(wall("threads, free-threaded 3.14t") < wall("threads (GIL)"));
        assert!(wall("multiprocessing (fork)") < wall("multiprocessing (spawn)"));
        assert!(wall("multiprocessing (fork)") < wall("multiprocessing (forkserver)"));
        // A pool is its processes plus the pipes to and from them: never faster than them.
        assert!(wall("multiprocessing (fork)") <= wall("multiprocessing.Pool (fork)"));
        // A thread pool is threads under the one GIL.
        assert!(wall("threads, free-threaded 3.14t") < wall("ThreadPoolExecutor"));
        for (label, row) in &rows {
            let stats = row.as_ref().unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(stats.wall_ms > 0.0, "{label}");
        }
    }
}
