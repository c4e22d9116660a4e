//! Engine benchmarks: simulated events per second, and a 20-point convoy sweep over 10 s of
//! virtual time each (run on all cores, as `gilscope sweep` does).
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gilscope_sim::presets::preset;
use gilscope_sim::sweep::{log_spaced, sweep};
use gilscope_sim::time::{MS, SEC, US};
use gilscope_sim::{Overrides, SimEngine};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;

fn events_per_second(c: &mut Criterion) {
    // Four CPU-bound threads switching every 10 µs for 200 ms of virtual time: ~20k switches,
    // each a handful of events (timeouts, drop requests, forced drops, wake-ups).
    let scenario = preset("cpu-bound").unwrap().unwrap().with_group_count(0, 4);
    let config = scenario
        .config(&Overrides {
            switch_interval: Some(10 * US),
            duration: Some(200 * MS),
            ..Overrides::default()
        })
        .unwrap();
    let mut probe = SimEngine::new(&scenario, &config);
    probe.run_to_end().unwrap();
    let events = probe.events_processed();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(events));
    group.bench_function("cpu_bound_4_threads_10us_interval", |b| {
        b.iter(|| {
            let mut engine = SimEngine::new(&scenario, &config);
            engine.run_to_end().unwrap();
            black_box(engine.events_processed())
        });
    });
    group.finish();
}

fn convoy_sweep(c: &mut Criterion) {
    let scenario = preset("convoy").unwrap().unwrap();
    // 10 s of virtual time at every interval: the I/O thread repeats forever.
    let mut scenario = scenario;
    scenario.groups[1].repeat = gilscope_sim::Repeat::Forever;
    let base = Overrides {
        duration: Some(10 * SEC),
        ..Overrides::default()
    };
    let intervals = log_spaced(100 * US, 100 * MS, 20);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("convoy_20_points_10s_each", |b| {
        b.iter(|| {
            black_box(sweep(
                &scenario,
                &base,
                &intervals,
                workers,
                &AtomicBool::new(false),
                &|_| {},
            ))
        });
    });
    group.finish();
}

criterion_group!(benches, events_per_second, convoy_sweep);
criterion_main!(benches);
