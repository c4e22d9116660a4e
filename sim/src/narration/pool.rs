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
    let text = if tasks == 1 {
        format!(
            "Here the one thread is a task handed to a {class} of {workers}, and the thread below is that task."
        )
    } else {
        let queue = if PoolPlan::new(&run.trace.meta.config, tasks).workers < tasks {
            ": at most {workers} run at once, the others wait in the pool's queue until a worker is free,"
        } else {
            ", each on a worker of its own,"
        };
        format!(
            "Here the {{threads:thread}} are tasks handed to a {class} of {workers}{queue} and each thread below is a task."
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

    fn narration(name: &str, runtime: Runtime, workers: u32) -> String {
        let scenario = preset(name).unwrap().unwrap();
        let overrides = Overrides {
            runtime: Some(runtime),
            workers: Some(workers),
            ..Overrides::default()
        };
        let config = scenario.config(&overrides).unwrap();
        run_scenario(&scenario, &config, &RunOptions::default())
            .unwrap()
            .stats
            .narration
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
                "Here the 2 threads are tasks handed to a ProcessPoolExecutor of 2 worker processes, each on a worker of its own, and"
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
        let overrides = Overrides {
            runtime: Some(Runtime::ThreadPool),
            ..Overrides::default()
        };
        let config = scenario.config(&overrides).unwrap();
        let text = run_scenario(&scenario, &config, &RunOptions::default())
            .unwrap()
            .stats
            .narration;
        assert!(
            text.starts_with(
                "Here the one thread is a task handed to a ThreadPoolExecutor of 1 worker thread, and the thread below is that task."
            ),
            "{text}"
        );
        assert!(
            text.contains("With one task there is nobody to race with"),
            "{text}"
        );
    }

    #[test]
    fn a_preset_that_narrates_its_pool_is_not_told_twice() {
        let text = narration("decision", Runtime::ProcessPool, 2);
        assert!(
            text.contains("handed to a ProcessPoolExecutor of 2"),
            "{text}"
        );
        assert!(!text.contains("Here the"), "{text}");
    }
}
