//! The sweep the app runs from its sweep view, at the size the issue sets: 30 log-spaced
//! intervals (0.1 ms to 100 ms) of the convoy preset, 10 s of virtual time each, on all cores.
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use gilscope_sim::presets::preset;
use gilscope_sim::sweep::{log_spaced, sweep};
use gilscope_sim::time::{MS, SEC, US};
use gilscope_sim::{Overrides, Repeat};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;

fn convoy_sweep_30_points(c: &mut Criterion) {
    let mut scenario = preset("convoy").unwrap().unwrap();
    // The I/O thread repeats forever, so every point runs the full 10 s.
    scenario.groups[1].repeat = Repeat::Forever;
    let base = Overrides {
        duration: Some(10 * SEC),
        ..Overrides::default()
    };
    let intervals = log_spaced(100 * US, 100 * MS, 30);
    assert_eq!(intervals.len(), 30);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("convoy_30_points_10s_each", |b| {
        b.iter(|| {
            let rows = sweep(
                &scenario,
                &base,
                &intervals,
                workers,
                &AtomicBool::new(false),
                &|_| {},
            );
            black_box(rows)
        });
    });
    group.finish();
}

criterion_group!(benches, convoy_sweep_30_points);
criterion_main!(benches);
