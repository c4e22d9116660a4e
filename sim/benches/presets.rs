//! Every preset at its defaults, simulated and summarized as `gilscope run PRESET --json` does
//! (`run_scenario`: the run, then `Stats::compute`), without the process around it: issue 14 asks for at
//! most 16 ms each, so that dragging a slider can re-simulate on every frame.
// A benchmark that cannot set up should stop loudly: unwrap is the clearest way.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use gilscope_sim::presets::{PRESETS, preset};
use gilscope_sim::{Overrides, RunOptions, run_scenario};
use std::hint::black_box;
use std::time::Duration;

fn every_preset(c: &mut Criterion) {
    let mut group = c.benchmark_group("preset");
    // `old-gil` takes a few hundred milliseconds a run: ten samples keep the whole set short.
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let options = RunOptions::default();
    for (stem, _) in PRESETS {
        let scenario = preset(stem).unwrap().unwrap();
        let config = scenario.config(&Overrides::default()).unwrap();
        group.bench_function(stem, |b| {
            b.iter(|| black_box(run_scenario(&scenario, &config, &options).unwrap().stats));
        });
    }
    group.finish();
}

criterion_group!(benches, every_preset);
criterion_main!(benches);
