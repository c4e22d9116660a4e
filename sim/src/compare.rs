//! The same job under every runtime a Python developer weighs: threads with the GIL,
//! free-threaded threads, asyncio, processes (fork, spawn and forkserver), subinterpreters
//! (gil-model.md section 6), and the pools people use for them (`multiprocessing.Pool`,
//! `ProcessPoolExecutor`, `ThreadPoolExecutor`), side by side.

use crate::model::{Overrides, PythonVersion, Runtime, StartMethod};
use crate::run::{RunOptions, run_scenario};
use crate::scenario::Scenario;
use crate::stats::Stats;
use crate::sweep::SweepError;

/// A runtime's name in a comparison: the runtime, and its start method or build
/// ("multiprocessing (spawn)", "threads, free-threaded"); the version is for the caller to add
/// where it pins one.
pub fn runtime_name(o: &Overrides) -> String {
    let start = o.start_method.unwrap_or(StartMethod::Fork).name();
    match o.runtime.unwrap_or_default() {
        Runtime::Threads if o.free_threaded == Some(true) => "threads, free-threaded".to_owned(),
        Runtime::Threads => "threads (GIL)".to_owned(),
        Runtime::Asyncio => "asyncio".to_owned(),
        Runtime::Multiprocessing => format!("multiprocessing ({start})"),
        Runtime::Subinterpreters => "subinterpreters".to_owned(),
        Runtime::Pool => format!("multiprocessing.Pool ({start})"),
        Runtime::ProcessPool => format!("ProcessPoolExecutor ({start})"),
        Runtime::ThreadPool => "ThreadPoolExecutor".to_owned(),
    }
}

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
    let start =
        |runtime: Runtime, method: StartMethod| with(runtime, &|o| o.start_method = Some(method));
    let variants = [
        with(Runtime::Threads, &|_| {}),
        with(Runtime::Threads, &|o| {
            o.python = py314;
            o.free_threaded = Some(true);
        }),
        with(Runtime::Asyncio, &|_| {}),
        start(Runtime::Multiprocessing, StartMethod::Fork),
        start(Runtime::Multiprocessing, StartMethod::Spawn),
        start(Runtime::Multiprocessing, StartMethod::Forkserver),
        with(Runtime::Subinterpreters, &|o| o.python = py314),
        start(Runtime::Pool, StartMethod::Fork),
        start(Runtime::ProcessPool, StartMethod::Fork),
        with(Runtime::ThreadPool, &|_| {}),
    ];
    variants
        .into_iter()
        .map(|o| {
            let name = runtime_name(&o);
            let label = match (o.runtime, o.free_threaded) {
                (Some(Runtime::Threads), Some(true)) => format!("{name} 3.14t"),
                (Some(Runtime::Subinterpreters), _) => format!("{name} (3.14)"),
                _ => name,
            };
            (label, o)
        })
        .collect()
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
        let gil = rows[0].1.as_ref().unwrap();
        for (label, row) in &rows {
            let stats = row.as_ref().unwrap_or_else(|e| panic!("{label}: {e}"));
            assert!(stats.wall_ms > 0.0, "{label}");
            // Every runtime does the program's work, and only it: a pool's own messages (its
            // results written back) are not I/O calls of the program.
            assert!(
                crate::narration::headline::same_work(gil, stats),
                "{label} did other work than threads (GIL)"
            );
        }
    }
}
