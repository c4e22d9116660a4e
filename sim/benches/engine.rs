//! Engine benchmark: simulated events per second (sweeps are in `benches/sweep.rs`).
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gilscope_sim::presets::preset;
use gilscope_sim::time::{MS, US};
use gilscope_sim::{Overrides, Scenario, SimEngine};
use std::hint::black_box;

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

/// The `SimPy` comparison's workload (`benches/simpy/convoy.toml`): 20,000 I/O requests beside a
/// busy thread at a 0.1 ms interval, about 40,000 GIL switches.
fn convoy_events_per_second(c: &mut Criterion) {
    let text = include_str!("../../benches/simpy/convoy.toml");
    let scenario = Scenario::parse(text, "convoy.toml").unwrap();
    let config = scenario.config(&Overrides::default()).unwrap();
    let mut probe = SimEngine::new(&scenario, &config);
    probe.run_to_end().unwrap();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(probe.events_processed()));
    group.bench_function("convoy_20k_requests_0_1ms_interval", |b| {
        b.iter(|| {
            let mut engine = SimEngine::new(&scenario, &config);
            engine.run_to_end().unwrap();
            black_box(engine.events_processed())
        });
    });
    group.finish();
}

criterion_group!(benches, events_per_second, convoy_events_per_second);
criterion_main!(benches);
