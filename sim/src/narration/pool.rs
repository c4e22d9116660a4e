//! What every preset's narration gains under a pool runtime it does not narrate itself: a
//! scenario's threads become tasks handed to the pool's workers, and a sentence says so, so that
//! "4 workers each add…" beside a pool of 2 is read as four tasks on two workers.

use super::facts::RunFacts;
use super::template::Template;
use super::{Said, Sentence, reflow};
use crate::engine::pool::PoolPlan;

/// The sentence for `run`'s pool, unless `narrated` (the sentences already chosen) name the
/// pool's workers themselves; `None` outside the pool runtimes.
pub(super) fn pool_sentence(run: &RunFacts<'_>, narrated: &[&Sentence]) -> Option<Said> {
    let runtime = run.trace.meta.config.runtime;
    let class = runtime.pool_class()?;
    let workers = if runtime.uses_processes() {
        "{workers:worker process|worker processes}"
    } else {
        "{workers:worker thread}"
    };
    let names_workers = |s: &&Sentence| s.text.facts().any(|f| f.fact.name == "workers");
    if narrated.iter().any(names_workers) {
        return None;
    }
    let tasks = run.trace.threads.len();
    let config = &run.trace.meta.config;
    let started = PoolPlan::new(config, tasks).workers;
    // An executor that starts its workers on demand starts fewer than its max_workers when it
    // has fewer tasks: the header quotes the size set, so the sentence says both.
    let pool = if started < config.pool_workers() as usize {
        format!(
            "{class} with max_workers {{max_workers}}, which starts a worker only when a task finds none idle: {workers} here"
        )
    } else {
        format!("{class} of {workers}")
    };
    let text = if tasks == 1 {
        format!(
            "Here the one thread is a task handed to a {pool}, and the thread below is that task."
        )
    } else {
        let queue = if started < tasks {
            ": at most {workers} run at once, the others wait in the pool's queue until a worker is free,"
        } else {
            ", each task on a worker of its own,"
        };
        format!(
            "Here the {{threads:thread}} are tasks handed to a {pool}{queue} and each thread below is a task."
        )
    };
    let template = Template::parse(&text, &[], &[]).ok()?;
    let (text, quotes) = template.fill(run)?;
    Some(Said {
        text: reflow(&text),
        quotes,
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{Overrides, Runtime};
    use crate::presets::preset;
    use crate::run::{RunOptions, run_scenario};
    use crate::scenario::Scenario;

    /// The settings' header and the narration of `scenario` run with `overrides`.
    fn narrated(scenario: &Scenario, overrides: &Overrides) -> (String, String) {
        let config = scenario.config(overrides).unwrap();
        let finished = run_scenario(scenario, &config, &RunOptions::default()).unwrap();
        (config.describe(), finished.stats.narration)
    }

    fn narration(name: &str, runtime: Runtime, workers: u32) -> String {
        let overrides = Overrides {
            runtime: Some(runtime),
            workers: Some(workers),
            ..Overrides::default()
        };
        narrated(&preset(name).unwrap().unwrap(), &overrides).1
    }

    fn under_a_thread_pool(scenario: &Scenario) -> (String, String) {
        let overrides = Overrides {
            runtime: Some(Runtime::ThreadPool),
            ..Overrides::default()
        };
        narrated(scenario, &overrides)
    }

    #[test]
    fn a_preset_that_does_not_narrate_pools_says_its_threads_are_the_pools_tasks() {
        let text = narration("counter-race", Runtime::Pool, 2);
        assert!(
            text.contains(
                "Here the 4 threads are tasks handed to a multiprocessing.Pool of 2 worker processes: at most 2 run at once"
            ),
            "{text}"
        );
        let text = narration("cpu-bound", Runtime::ThreadPool, 1);
        assert!(
            text.contains("a ThreadPoolExecutor of 1 worker thread: at most 1 run at once"),
            "{text}"
        );
        let text = narration("cpu-bound", Runtime::ProcessPool, 2);
        assert!(
            text.contains(
                "Here the 2 threads are tasks handed to a ProcessPoolExecutor of 2 worker processes, each task on a worker of its own, and"
            ),
            "{text}"
        );
    }

    #[test]
    fn one_task_is_one_task() {
        let scenario = preset("counter-race")
            .unwrap()
            .unwrap()
            .with_group_count(0, 1);
        let (_, text) = under_a_thread_pool(&scenario);
        assert!(
            text.starts_with(
                "Here the one thread is a task handed to a ThreadPoolExecutor with max_workers 8, which starts a worker only when a task finds none idle: 1 worker thread here, and the thread below is that task."
            ),
            "{text}"
        );
        assert!(
            text.contains("With one task there is nobody to race with"),
            "{text}"
        );
    }

    #[test]
    fn an_executor_with_fewer_tasks_than_max_workers_is_told_as_the_header_tells_it() {
        // cpu-bound on 2 cores: max_workers = min(32, 2 + 4) = 6, the header's figure, but the
        // executor starts a thread for each of the 2 tasks only.
        let (header, text) = under_a_thread_pool(&preset("cpu-bound").unwrap().unwrap());
        assert!(
            header.starts_with("ThreadPoolExecutor (max_workers 6), "),
            "{header}"
        );
        assert!(
            text.starts_with(
                "Here the 2 threads are tasks handed to a ThreadPoolExecutor with max_workers 6, which starts a worker only when a task finds none idle: 2 worker threads here, each task on a worker of its own,"
            ),
            "{text}"
        );
        assert!(!text.contains("ThreadPoolExecutor of 2"), "{text}");
    }

    #[test]
    fn a_preset_that_narrates_its_pool_is_not_told_twice() {
        let text = narration("decision", Runtime::ProcessPool, 2);
        assert!(
            text.contains(
                "handed to a ProcessPoolExecutor (max_workers 2) that starts 2 worker processes for them"
            ),
            "{text}"
        );
        assert!(!text.contains("Here the"), "{text}");
    }
}
