//! Live-engine benchmarks: the cost of recording one event, the time of one forced GIL switch
//! between two real threads, and free-threaded speedup of N CPU-bound threads on N cores.
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam::channel::bounded;
use gilscope_sim::live::gil::{DROP_REQUEST, Gil, GilHooks, STOP};
use gilscope_sim::live::record::{Batch, Event, Link, Recorder, RunClock};
use gilscope_sim::live::{LiveEngine, LiveOptions};
use gilscope_sim::{Overrides, Scenario, ThreadState};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// A recorder whose batches a drainer thread receives and recycles, as the collector does.
fn recorder() -> (Recorder, thread::JoinHandle<()>) {
    let (batches, received) = bounded::<Batch>(1024);
    let (spare_tx, spare) = bounded::<Vec<Event>>(1024);
    let drainer = thread::Builder::new()
        .name("bench-drainer".into())
        .spawn(move || {
            for mut batch in received {
                batch.events.clear();
                let _ = spare_tx.try_send(batch.events);
            }
        })
        .unwrap();
    let link = Link {
        batches,
        spare,
        parked: Arc::new(AtomicBool::new(false)),
    };
    (Recorder::new(0, RunClock::start(), link), drainer)
}

fn recording(c: &mut Criterion) {
    let mut group = c.benchmark_group("live_record");
    group.throughput(Throughput::Elements(1));
    let clock = RunClock::start();
    group.bench_function("clock_read", |b| b.iter(|| black_box(clock.raw())));
    group.bench_function("state_change_event", |b| {
        b.iter_custom(|iters| {
            let (mut rec, drainer) = recorder();
            let start = Instant::now();
            for i in 0..iters {
                let state = if i % 2 == 0 {
                    ThreadState::Running
                } else {
                    ThreadState::WaitingGil
                };
                black_box(rec.state(state, 1));
            }
            let elapsed = start.elapsed();
            drop(rec);
            drainer.join().unwrap();
            elapsed
        });
    });
    group.finish();
}

/// Hooks that record nothing: the GIL alone.
struct Bare(RunClock);

impl GilHooks for Bare {
    fn stamp(&mut self) -> u64 {
        self.0.raw()
    }
    fn waiting(&mut self, _: u64, _: u32) {}
    fn drop_requested(&mut self, _: u64, _: u32) {}
    fn acquired(&mut self, _: u64, _: u32) {}
    fn released(&mut self, _: u64) {}
    fn forced_off(&mut self, _: u64, _: u32) {}
    fn park(&mut self) {}
    fn unpark(&mut self) {}
}

/// Two threads hold the GIL in turn, each running until the other's timed wait (1 µs, the
/// smallest interval) expires and asks it to drop: returns the time per forced switch.
fn forced_switches(switches: u64) -> Duration {
    let gil = Arc::new(Gil::new(2, Duration::from_micros(1), true));
    let count = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2u32)
        .map(|me| {
            let (gil, count, barrier) =
                (Arc::clone(&gil), Arc::clone(&count), Arc::clone(&barrier));
            let body = move || {
                let mut hooks = Bare(RunClock::start());
                barrier.wait();
                if gil.take(me, &mut hooks).is_err() {
                    return;
                }
                loop {
                    let bits = gil.breaker(me).load(Ordering::Relaxed);
                    if bits & STOP != 0 {
                        return;
                    }
                    if bits & DROP_REQUEST != 0 {
                        count.fetch_add(1, Ordering::Relaxed);
                        if gil.release(me, false, &mut hooks).is_err()
                            || gil.take(me, &mut hooks).is_err()
                        {
                            return;
                        }
                    }
                    std::hint::spin_loop();
                }
            };
            thread::Builder::new()
                .name(format!("bench-switcher-{me}"))
                .spawn(body)
                .unwrap()
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    while count.load(Ordering::Relaxed) < switches {
        thread::sleep(Duration::from_micros(200));
    }
    let elapsed = start.elapsed();
    let done = count.load(Ordering::Relaxed);
    gil.stop();
    for t in threads {
        t.join().unwrap();
    }
    elapsed.mul_f64(switches as f64 / done as f64)
}

fn gil_switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("live_gil");
    group.sample_size(20);
    group.bench_function("forced_switch_cycle_1us_interval", |b| {
        b.iter_custom(forced_switches);
    });
    group.finish();
}

fn cpu_bound(threads: usize) -> Scenario {
    Scenario::parse(
        &format!(
            "name = \"scaling\"\n[[threads]]\nname = \"w\"\ncount = {threads}\nops = [ {{ compute = 10_000_000 }} ]\n"
        ),
        "bench",
    )
    .unwrap()
}

fn free_threaded_speedup(c: &mut Criterion) {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let overrides = Overrides {
        free_threaded: Some(true),
        free_threaded_overhead: Some(0.0),
        cores: Some(cores as u32),
        ..Overrides::default()
    };
    let mut group = c.benchmark_group("live_free_threaded");
    group.sample_size(10);
    for n in [1, cores] {
        let scenario = cpu_bound(n);
        let config = scenario.config(&overrides).unwrap();
        // The same work per thread: N threads on N cores take as long as one if they scale.
        group.bench_function(format!("{n}_threads_10M_bytecodes_each"), |b| {
            b.iter(|| {
                let engine = LiveEngine::start(&scenario, &config, &LiveOptions::default());
                black_box(engine.unwrap().run_to_end().unwrap())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, recording, gil_switch, free_threaded_speedup);
criterion_main!(benches);
