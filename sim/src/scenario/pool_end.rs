//! Whether a pool run without a duration can end. A task that repeats `"forever"` runs until
//! every finite task has finished, so under a pool it keeps its worker to the end; a pool hands
//! out its tasks in submission order, a chunk at a time (`Pool.map` cuts them into chunks, the
//! executors submit one at a time), to whichever worker is free, and runs a chunk's tasks one
//! after another. The run can never end when a finite task waits behind the endless ones:
//! after an endless task in its own chunk, or in a chunk that comes when the endless tasks
//! taken so far hold every worker. A real pool hangs the same way; this refuses it before the
//! run, naming the tasks and the least workers that let it end.

use super::{Repeat, Scenario, ScenarioError};
use crate::engine::pool::PoolPlan;
use crate::model::{MAX_WORKERS, RunConfig};

/// A finite task that would wait for ever, and what holds it up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Starved {
    /// The task that would never start (an index into the tasks).
    task: usize,
    /// The endless tasks holding the workers, or the one ahead of it in its chunk.
    held_by: Vec<usize>,
    /// Whether it waits behind an endless task of its own chunk (rather than for a worker).
    same_chunk: bool,
}

/// The first finite task that would never start when the tasks (`forever`: whether each
/// repeats forever, in submission order) go to `workers` workers in chunks of `chunksize`.
fn starved(forever: &[bool], workers: usize, chunksize: usize) -> Option<Starved> {
    let mut held = Vec::new();
    for (k, chunk) in forever.chunks(chunksize.max(1)).enumerate() {
        let first = k * chunksize.max(1);
        if held.len() >= workers {
            // No worker ever takes this chunk, nor any after it.
            if let Some(i) = chunk.iter().position(|f| !f) {
                return Some(Starved {
                    task: first + i,
                    held_by: held,
                    same_chunk: false,
                });
            }
            continue;
        }
        if let Some(endless) = chunk.iter().position(|f| *f) {
            if let Some(i) = chunk[endless + 1..].iter().position(|f| !f) {
                return Some(Starved {
                    task: first + endless + 1 + i,
                    held_by: vec![first + endless],
                    same_chunk: true,
                });
            }
            held.push(first + endless);
        }
    }
    None
}

/// The first finite task that would never start under `config`, with its pool's plan.
fn starved_under(config: &RunConfig, forever: &[bool]) -> Option<(Starved, PoolPlan)> {
    let plan = PoolPlan::new(config, forever.len());
    starved(forever, plan.workers, plan.chunksize).map(|s| (s, plan))
}

/// Refuses a pool run without a duration whose endless tasks would keep a finite task waiting
/// for ever: the task, the endless ones, the workers, and the least workers that let it end.
pub(super) fn check(scenario: &Scenario, config: &RunConfig) -> Result<(), ScenarioError> {
    let Some(pool) = config.runtime.pool_class() else {
        return Ok(());
    };
    if config.duration.is_some() {
        return Ok(());
    }
    let threads = scenario.threads();
    let forever: Vec<bool> = threads
        .iter()
        .map(|(_, g)| scenario.groups[*g].repeat == Repeat::Forever)
        .collect();
    let Some((starved, plan)) = starved_under(config, &forever) else {
        return Ok(());
    };
    let name = |i: usize| format!("\"{}\"", threads[i].0);
    let workers = crate::format::counted(plan.workers as u64, "worker", "workers");
    let endless: Vec<String> = starved.held_by.iter().map(|&i| name(i)).collect();
    let endless = match endless.as_slice() {
        [one] => format!("task {one} repeats"),
        many => format!("tasks {} repeat", many.join(", ")),
    };
    let why = if starved.same_chunk {
        format!(
            "map cuts the tasks into chunks of {} and task {} comes after {endless} \"forever\" in the same chunk: a chunk's tasks run one after another, and an endless one runs until every other task has finished, so its worker never reaches {}",
            plan.chunksize,
            name(starved.task),
            name(starved.task)
        )
    } else {
        let hold = if plan.workers == 1 {
            "holds the only worker".to_owned()
        } else if starved.held_by.len() == 1 {
            format!("holds a worker ({} in all)", plan.workers)
        } else {
            format!("hold all {} workers", plan.workers)
        };
        format!(
            "{endless} \"forever\" (it runs until every other task has finished) and {hold}, so task {} never leaves the pool's queue",
            name(starved.task)
        )
    };
    let least = (config.pool_workers() + 1..=MAX_WORKERS).find(|&n| {
        let mut more = config.clone();
        more.workers = Some(n);
        starved_under(&more, &forever).is_none()
    });
    let allowed = least.map_or_else(
        || "use another runtime".to_owned(),
        |n| {
            format!(
                "use at least {n} workers (workers = {n} in [settings], or --workers {n}) or another runtime"
            )
        },
    );
    Err(ScenarioError::Invalid {
        file: scenario.source.clone(),
        message: format!(
            "under runtime \"{}\" (a {pool} of {workers}), {why}, and the run would never end (a real pool hangs the same way): {allowed}, or set a duration to cut the run",
            config.runtime
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finite_task_behind_endless_ones_that_hold_every_worker_waits_for_ever() {
        // convoy: the endless busy thread first, then the I/O thread.
        assert_eq!(
            starved(&[true, false], 1, 1),
            Some(Starved {
                task: 1,
                held_by: vec![0],
                same_chunk: false
            })
        );
        assert_eq!(starved(&[true, false], 2, 1), None);
        // Finite tasks first: they finish, and the endless one takes a freed worker.
        assert_eq!(starved(&[false, true], 1, 1), None);
        assert_eq!(
            starved(&[false, false, true, true, false], 2, 1)
                .unwrap()
                .task,
            4
        );
        assert_eq!(
            starved(&[false, true, false, true, false], 2, 1)
                .unwrap()
                .task,
            4
        );
        assert_eq!(starved(&[false, true, false, true, false], 3, 1), None);
        // An endless task at the end of the queue never starts, and nothing waits for it.
        assert_eq!(starved(&[false, false, true], 1, 1), None);
    }

    #[test]
    fn a_finite_task_after_an_endless_one_in_its_chunk_is_never_reached() {
        let s = starved(&[true, false, false, false], 4, 2).unwrap();
        assert_eq!((s.task, s.same_chunk), (1, true));
        assert_eq!(starved(&[false, true, false, false], 4, 2), None);
    }
}
