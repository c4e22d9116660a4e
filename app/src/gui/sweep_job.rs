//! The sweep's background job: a named thread that runs each plan's sweep in turn, every point
//! in parallel on the machine's cores but one (so the window stays fluid), and reports progress
//! and results through a bounded channel. The UI polls it and never blocks; cancelling (or
//! dropping the job) stops the workers after the points they are on.

use crossbeam::channel::{Receiver, Sender, TryRecvError, TrySendError, bounded};
use gilscope_sim::model::Overrides;
use gilscope_sim::sweep::{SweepError, sweep};
use gilscope_sim::{Nanos, Scenario, Stats};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// The name of the job's thread (its workers are `gilscope-sweep-N`).
pub const THREAD_NAME: &str = "gilscope-sweep";

/// How many messages may wait for the UI. Progress messages are dropped when it is full; the
/// final one waits for room.
const CAPACITY: usize = 64;

/// One sweep to run: its legend label, scenario and settings (the interval is swept).
#[derive(Debug, Clone)]
pub struct Plan {
    /// How the chart's legend names it.
    pub label: String,
    /// What runs.
    pub scenario: Scenario,
    /// The settings of every point, but for the switch interval.
    pub overrides: Overrides,
}

/// The points of one plan: its label and one result per interval, in interval order. A point
/// the job was cancelled before is [`SweepError::Cancelled`].
#[derive(Debug)]
pub struct PlanResult {
    /// The plan's label.
    pub label: String,
    /// Each point's stats, or why it has none.
    pub points: Vec<Result<Stats, SweepError>>,
}

/// Why a job could not be started or did not deliver its results.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The thread could not be spawned.
    #[error("could not start the sweep thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// The thread ended without sending its results (it panicked).
    #[error("the sweep thread stopped unexpectedly")]
    Lost,
}

/// Where a job stands after [`SweepJob::poll`].
#[derive(Debug)]
pub enum JobStatus {
    /// Still running.
    Running,
    /// Ended, with every plan's points.
    Finished(Vec<PlanResult>),
    /// Ended without results.
    Failed(JobError),
}

enum Message {
    Progress(usize),
    Done(Vec<PlanResult>),
}

/// A sweep running in the background.
pub struct SweepJob {
    cancel: Arc<AtomicBool>,
    messages: Receiver<Message>,
    handle: Option<JoinHandle<()>>,
    done: usize,
    total: usize,
}

impl SweepJob {
    /// Starts the sweeps of `plans` over `intervals` on a named thread; `repaint` is called
    /// whenever there is news for the UI.
    pub fn start(
        plans: Vec<Plan>,
        intervals: Vec<Nanos>,
        repaint: impl Fn() + Send + Sync + 'static,
    ) -> Result<SweepJob, JobError> {
        let total = intervals.len() * plans.len();
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = bounded::<Message>(CAPACITY);
        let flag = Arc::clone(&cancel);
        let handle = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || run_plans(&plans, &intervals, &flag, &tx, &repaint))?;
        Ok(SweepJob {
            cancel,
            messages: rx,
            handle: Some(handle),
            done: 0,
            total,
        })
    }

    /// `(done, total)` points.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.total)
    }

    /// Asks the workers to stop after the points they are on; the job then finishes with what
    /// it has, the rest [`SweepError::Cancelled`].
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Drains the waiting messages without blocking.
    pub fn poll(&mut self) -> JobStatus {
        loop {
            match self.messages.try_recv() {
                Ok(Message::Progress(done)) => self.done = self.done.max(done),
                Ok(Message::Done(results)) => {
                    if let Some(handle) = self.handle.take() {
                        // The thread has sent its last message; joining is immediate.
                        let _ = handle.join();
                    }
                    return JobStatus::Finished(results);
                }
                Err(TryRecvError::Empty) => return JobStatus::Running,
                Err(TryRecvError::Disconnected) => return JobStatus::Failed(JobError::Lost),
            }
        }
    }
}

impl Drop for SweepJob {
    /// A sweep nobody will read stops: its workers finish the points they are on and exit.
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The job thread's body: each plan in turn, all points in parallel.
fn run_plans(
    plans: &[Plan],
    intervals: &[Nanos],
    cancel: &AtomicBool,
    tx: &Sender<Message>,
    repaint: &(dyn Fn() + Send + Sync),
) {
    // One core stays with the UI, so the window stays fluid while the sweep runs.
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .saturating_sub(1)
        .max(1);
    let mut results = Vec::with_capacity(plans.len());
    for (k, plan) in plans.iter().enumerate() {
        let offset = k * intervals.len();
        let progress = |done: usize| {
            if let Err(TrySendError::Disconnected(_)) =
                tx.try_send(Message::Progress(offset + done))
            {
                cancel.store(true, Ordering::Relaxed);
            }
            repaint();
        };
        let points = sweep(
            &plan.scenario,
            &plan.overrides,
            intervals,
            workers,
            cancel,
            &progress,
        );
        results.push(PlanResult {
            label: plan.label.clone(),
            points,
        });
    }
    // The UI may have gone away: then there is nobody to tell.
    let _ = tx.send(Message::Done(results));
    repaint();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use gilscope_sim::time::{MS, SEC};
    use std::time::{Duration, Instant};

    fn plan(preset: &str) -> Plan {
        Plan {
            label: preset.to_owned(),
            scenario: gilscope_sim::presets::preset(preset).unwrap().unwrap(),
            overrides: Overrides::default(),
        }
    }

    /// Polls until the job ends (generous deadline for a loaded 2-core machine).
    fn finish(job: &mut SweepJob) -> JobStatus {
        let deadline = Instant::now() + Duration::from_mins(2);
        loop {
            match job.poll() {
                JobStatus::Running => {
                    assert!(Instant::now() < deadline, "the sweep did not end");
                    std::thread::sleep(Duration::from_millis(5));
                }
                status => return status,
            }
        }
    }

    #[test]
    fn a_job_delivers_every_point_of_every_plan() {
        let intervals = vec![MS, 5 * MS];
        let mut job =
            SweepJob::start(vec![plan("convoy"), plan("cpu-bound")], intervals, || {}).unwrap();
        let JobStatus::Finished(results) = finish(&mut job) else {
            panic!("the job failed");
        };
        assert_eq!(job.progress().1, 4);
        let labels: Vec<&str> = results.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["convoy", "cpu-bound"]);
        for r in &results {
            let intervals: Vec<u64> = r
                .points
                .iter()
                .map(|p| p.as_ref().unwrap().switch_interval_us)
                .collect();
            assert_eq!(intervals, [1000, 5000]);
        }
    }

    #[test]
    fn cancelled_points_are_typed_as_cancelled() {
        // Long points (two threads switching for 100 s of virtual time each, ~0.1 s to
        // simulate), so cancelling at once leaves most of them unrun.
        let scenario = gilscope_sim::Scenario::parse(
            "name = \"long\"\n[[threads]]\nname = \"w\"\ncount = 2\nrepeat = \"forever\"\nops = [ { compute = 1_000_000 } ]\n",
            "long.toml",
        )
        .unwrap();
        let long = Plan {
            label: "long".to_owned(),
            scenario,
            overrides: Overrides {
                duration: Some(100 * SEC),
                ..Overrides::default()
            },
        };
        let mut job = SweepJob::start(vec![long], vec![MS; 8], || {}).unwrap();
        job.cancel();
        let JobStatus::Finished(results) = finish(&mut job) else {
            panic!("the job failed");
        };
        // Workers may have taken a point each before they saw the flag; the rest never ran.
        let points = &results[0].points;
        assert_eq!(points.len(), 8);
        assert!(
            points
                .iter()
                .any(|p| matches!(p, Err(SweepError::Cancelled)))
        );
        assert!(
            points
                .iter()
                .all(|p| matches!(p, Ok(_) | Err(SweepError::Cancelled)))
        );
    }
}
