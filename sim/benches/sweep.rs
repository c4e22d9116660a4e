//! Switch-interval sweeps of the convoy preset, 10 s of virtual time per point, on all cores:
//! 20 points (the CLI's size in the engine issue) and 30 points (the app's sweep view), both
//! log-spaced from 0.1 ms to 100 ms.
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gilscope_sim::presets::preset;
use gilscope_sim::sweep::{log_spaced, sweep};
use gilscope_sim::time::{MS, SEC, US};
use gilscope_sim::{Overrides, Repeat};
use std::hint::black_box;
use std::sync::atomic::AtomicBool;

fn convoy_sweeps(c: &mut Criterion) {
    let mut scenario = preset("convoy").unwrap().unwrap();
    // The I/O thread repeats forever, so every point runs the full 10 s.
    scenario.groups[1].repeat = Repeat::Forever;
    let base = Overrides {
        duration: Some(10 * SEC),
        ..Overrides::default()
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("sweep_convoy_10s_per_point");
    group.sample_size(10);
    for points in [20, 30] {
        let intervals = log_spaced(100 * US, 100 * MS, points);
        assert_eq!(intervals.len(), points);
        group.bench_with_input(
            BenchmarkId::from_parameter(points),
            &intervals,
            |b, intervals| {
                b.iter(|| {
                    black_box(sweep(
                        &scenario,
                        &base,
                        intervals,
                        workers,
                        &AtomicBool::new(false),
                        &|_| {},
                    ))
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, convoy_sweeps);
criterion_main!(benches);
