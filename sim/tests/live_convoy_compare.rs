//! Side by side on this machine: the convoy preset's I/O latency predicted by the simulator
//! (with its default settings, and with the settings `calibrate()` measured) and measured on
//! real threads, at 1, 5 and 20 ms switch intervals. Takes about ten seconds, so it is ignored
//! by default: `cargo test -p gilscope-sim --release --test live_convoy_compare -- --ignored
//! --nocapture`.

mod common;

use common::live_trace;
use gilscope_sim::live::{self, LiveOptions};
use gilscope_sim::presets::preset;
use gilscope_sim::time::MS;
use gilscope_sim::{Overrides, Stats};

#[test]
#[ignore = "prints a comparison table; about ten seconds of real time"]
fn convoy_simulated_and_live() {
    let scenario = preset("convoy").expect("preset").expect("parses");
    let calibration = live::calibrate();
    println!("{calibration}");
    println!(
        "interval | sim default mean / p99 | sim calibrated mean / p99 | live mean / p99 (ms)"
    );
    let mut live_means = Vec::new();
    for interval in [MS, 5 * MS, 20 * MS] {
        let base = Overrides {
            switch_interval: Some(interval),
            ..Overrides::default()
        };
        let latency = |overrides: &Overrides, live_run: bool| {
            let config = scenario.config(overrides).expect("config");
            let trace = if live_run {
                live_trace(&scenario, &config, LiveOptions::default()).expect("live run")
            } else {
                gilscope_sim::simulate(&scenario, &config).expect("sim run")
            };
            Stats::compute(&trace).io_latency().expect("I/O")
        };
        let sim = latency(&base, false);
        let calibrated = latency(&calibration.settings.or(&base), false);
        let real = latency(&base, true);
        println!(
            "{:>5} ms | {:>8.3} / {:>8.3} | {:>8.3} / {:>8.3} | {:>8.3} / {:>8.3}",
            interval / MS,
            sim.mean,
            sim.p99,
            calibrated.mean,
            calibrated.p99,
            real.mean,
            real.p99
        );
        live_means.push(real.mean);
    }
    assert!(
        live_means[2] > live_means[0],
        "live latency grows with the interval: {live_means:?}"
    );
}
