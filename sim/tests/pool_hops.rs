//! Behaviour tests: a process pool's task round trip is the hops between the caller, the
//! pool's threads in the parent and the worker, each a wake-up and a turn on the parent's GIL
//! (`engine/pool/parent.rs`, from 3.13's `concurrent/futures/process.py` 383–452 and 791–808,
//! `multiprocessing/pool.py` 453–467 and 528–598, `multiprocessing/queues.py` 84–103 and
//! 230–270).
//!
//! Figures from `scripts/measure/executor_hops.py` on this 2-core VM, 3.13.0 (3.9.18), two
//! workers, fork, `/proc/loadavg` 1.6–5.8 (other engineers compiling):
//! - one `apply_async(f).get()`: 41–42 µs median, 70–71 µs p90 (3.9: 52 / 76); one
//!   `ProcessPoolExecutor.submit(f).result()`: 132–139 µs median, 156–174 µs p90 (3.9: 170 /
//!   316); `ThreadPoolExecutor`: 21–24 µs. (`pipe_costs.py` at load 4–8: 38–78 µs and
//!   143–281 µs; 3.9.18 at load 7.5–8.2: 95 and 289 µs.)
//! - CPU per task of each thread of the parent: `Pool`'s caller 8.7–10.3 µs, task handler
//!   8.5–9.1, result handler 13.4–14.9; the executor's caller 18.5–19.7, manager thread
//!   68.6–72.6 (on a core 4.7–5.9 times a task), feeder 21.1–22.4; workers 14.3–17.2 (`Pool`)
//!   and 31.7–33.6 (executor).
//! - `map` of 400 tasks that return at once, per task: the executor 154–224 µs (3.9: 329),
//!   `Pool` with its own chunksize 2.0–3.9 µs, with chunksize 1 46–47 µs.

use gilscope_sim::model::{Runtime, StartMethod};
use gilscope_sim::time::{Nanos, US};
use gilscope_sim::{Overrides, ThreadState, Trace, simulate};
use std::fmt::Write;

mod common;

use common::scenario;

/// `tasks` tasks that each return at once (one bytecode), on a machine of `cores` cores (in
/// groups of at most 200, a group's limit being 256).
fn tiny(tasks: usize, cores: u32) -> String {
    let mut text = format!("name = \"tiny\"\n[settings]\ncores = {cores}\n");
    for (g, start) in (0..tasks).step_by(200).enumerate() {
        let count = (tasks - start).min(200);
        writeln!(
            text,
            "[[threads]]\nname = \"t{g}\"\ncount = {count}\nops = [ {{ compute = 1 }} ]"
        )
        .expect("writing to a String");
    }
    text
}

fn pool(runtime: Runtime, workers: u32) -> Overrides {
    Overrides {
        runtime: Some(runtime),
        workers: Some(workers),
        start_method: Some(StartMethod::Fork),
        ..Overrides::default()
    }
}

fn run(text: &str, overrides: &Overrides) -> Trace {
    let s = scenario(text);
    let config = s.config(overrides).expect("valid settings");
    simulate(&s, &config).expect("run completes")
}

/// When the parent submits the tasks: its workers forked (`fork_start` each) and its own
/// threads started (three for `Pool`, two for the executor), as `PoolPlan` has it.
fn submitted(overrides: &Overrides, workers: u32) -> Nanos {
    let threads = if overrides.runtime == Some(Runtime::Pool) {
        3
    } else {
        2
    };
    Nanos::from(workers) * 1_500 * US + threads * 40 * US
}

/// One task's round trip, from its submission to the caller having its result.
fn round_trip(overrides: &Overrides) -> Nanos {
    let trace = run(&tiny(1, 2), overrides);
    let finished = trace.threads[0].finished.expect("the task finishes");
    finished - submitted(overrides, 1)
}

/// One task's round trip comes out near the measured one for each pool, and the executor's
/// is about three times `Pool`'s (3.2× measured): two more hops in the parent (the manager
/// thread wakes twice, then the feeder thread pickles and writes) and more Python in each.
#[test]
fn a_round_trip_costs_what_the_local_313_measures() {
    let pool_trip = round_trip(&pool(Runtime::Pool, 1));
    let executor_trip = round_trip(&pool(Runtime::ProcessPool, 1));
    assert!(
        (38 * US..=78 * US).contains(&pool_trip),
        "Pool round trip {pool_trip} ns, measured 41-71 us"
    );
    assert!(
        (132 * US..=174 * US).contains(&executor_trip),
        "executor round trip {executor_trip} ns, measured 132-174 us"
    );
    assert!(
        executor_trip > 2 * pool_trip,
        "{executor_trip} vs {pool_trip}"
    );
}

/// The round trip is made of wake-ups: with a slower OS wake-up (25 µs instead of 5) each hop
/// of a sleeping thread costs more: `Pool`'s task handler and caller, the executor's manager,
/// feeder and caller in turn. Not 20 µs each: a woken thread that would have waited for the
/// GIL anyway (the manager still finishing its turn, building its next `connection.wait`)
/// loses less.
#[test]
fn each_hop_is_a_wake_up() {
    let slow = |runtime| Overrides {
        wake_latency: Some(25 * US),
        ..pool(runtime, 1)
    };
    let pool_more = round_trip(&slow(Runtime::Pool)) - round_trip(&pool(Runtime::Pool, 1));
    let executor_more =
        round_trip(&slow(Runtime::ProcessPool)) - round_trip(&pool(Runtime::ProcessPool, 1));
    assert!(pool_more >= 2 * 20 * US, "Pool: {pool_more} ns more");
    assert!(
        executor_more >= 2 * 20 * US,
        "executor: {executor_more} ns more"
    );
}

/// Many small tasks submitted at once (250 here, a scenario's most): the executor's parent, one GIL for its caller, manager
/// and feeder threads, hands on one task at a time whatever the workers (154-224 us a task
/// measured with two workers); `Pool.map` sends them in chunks (2.0-3.9 us a task).
#[test]
fn many_small_tasks_wait_for_the_busy_parent() {
    let per_task = |runtime, workers, cores| {
        let trace = run(&tiny(250, cores), &pool(runtime, workers));
        let end = trace
            .threads
            .iter()
            .filter_map(|t| t.finished)
            .max()
            .expect("tasks finish");
        (end - submitted(&pool(runtime, workers), workers)) / 250
    };
    let executor = per_task(Runtime::ProcessPool, 2, 2);
    let wider = per_task(Runtime::ProcessPool, 8, 8);
    let mapped = per_task(Runtime::Pool, 2, 2);
    assert!(
        (50 * US..=230 * US).contains(&executor),
        "executor {executor} ns a task, measured 154-224 us"
    );
    // Four times the workers and cores: the parent is the bottleneck, not the workers.
    assert!(
        wider * 10 >= executor * 8,
        "8 workers {wider} vs 2 workers {executor}"
    );
    assert!(
        mapped <= 10 * US,
        "Pool.map {mapped} ns a task, measured 2.0-3.9 us"
    );
}

/// A large message holds the parent's GIL while its reader unpickles it (1 ns a byte): a
/// small task's result that arrives meanwhile waits for the manager thread to get the GIL.
/// The small task computes for about 2 ms, so that its result comes while the 1 MB message
/// (pickled for 1 ms, then written for 0.8 ms) is being unpickled, not before it is read.
#[test]
fn a_large_message_in_the_parent_delays_other_results() {
    let text = |bytes: u64| {
        format!(
            "name = \"large\"\n[settings]\ncores = 4\n[[threads]]\nname = \"sender\"\nops = [ {{ send = {bytes} }} ]\n[[threads]]\nname = \"small\"\nops = [ {{ compute = 400_000 }} ]\n"
        )
    };
    let small_done = |bytes| {
        run(&text(bytes), &pool(Runtime::ProcessPool, 2)).threads[1]
            .finished
            .expect("the small task finishes")
    };
    let delayed = small_done(1_000_000) - small_done(100);
    assert!(delayed >= 300 * US, "delayed by {delayed} ns");
}

/// The timeline shows the hops in the task's own lane, in states that exist: *queued* from its
/// submission until its worker reads it (the caller's `submit`, the manager's and the feeder's
/// turns, the pipe), then its run on the worker, then its results on their way back as the
/// pool's own I/O (not the program's) until the caller has them (the pipe, the manager's turn,
/// the caller's wake-up): each longer in the executor than in `Pool`.
#[test]
fn the_hops_are_shown_as_queued_and_the_results_way_back() {
    let ways = |runtime| {
        let trace = run(&tiny(1, 2), &pool(runtime, 1));
        let spans: Vec<_> = trace.thread_lanes[0].all(trace.now).collect();
        let queued = spans
            .iter()
            .find(|s| s.state == ThreadState::Queued)
            .expect("the task waits in the pool's queue");
        let back = spans
            .iter()
            .rev()
            .find(|s| s.state != ThreadState::Done)
            .expect("the task ran");
        assert!(back.runtime_message(), "{runtime:?}: {back:?}");
        (
            queued.end - submitted(&pool(runtime, 1), 1),
            back.duration(),
        )
    };
    let (pool_there, pool_back) = ways(Runtime::Pool);
    let (executor_there, executor_back) = ways(Runtime::ProcessPool);
    assert!(
        pool_there >= 20 * US && pool_back >= 20 * US,
        "{pool_there} {pool_back}"
    );
    assert!(
        executor_there > pool_there + 30 * US,
        "{executor_there} vs {pool_there}"
    );
    assert!(
        executor_back > pool_back + 20 * US,
        "{executor_back} vs {pool_back}"
    );
}
