//! The old GIL at a long check interval: a waiter woken by a release comes back one wake-up
//! latency later, in the middle of the next hold, and goes back to sleep; it can win only where
//! its wake-up is late enough to land in a later release's window (the lock free during the
//! holder's `futex_wake`), that is in the wake-up latency's tail (`gil-model.md` rules 15a and
//! 24). So at a check interval of 1000 ticks switches happen, but rarely, where at 100 (a hold
//! shorter than a wake-up) the waiter wins nearly every other release; without the tail it never
//! wins at 1000.

mod common;

use common::stats;
use gilscope_sim::Overrides;
use gilscope_sim::presets::preset;

const SEEDS: u64 = 12;

/// Switches per second of the `old-gil` preset (two countdown threads, two cores, 2.7) at
/// `check_interval`, and the switches beyond the one at the first thread's end, over seeds
/// 1 to [`SEEDS`], with `tail` settings on top.
fn switches(check_interval: u64, tail: &Overrides) -> (f64, u64) {
    let scenario = preset("old-gil")
        .expect("the old-gil preset")
        .expect("the preset parses");
    let (mut per_s, mut extra) = (0.0, 0);
    for seed in 1..=SEEDS {
        let overrides = Overrides {
            check_interval: Some(check_interval),
            seed: Some(seed),
            ..tail.clone()
        };
        let s = stats(&scenario, &overrides);
        per_s += s.gil.switches_per_s / SEEDS as f64;
        extra += s.gil.switches.saturating_sub(1);
    }
    (per_s, extra)
}

#[test]
fn at_a_check_interval_of_1000_the_waiter_wins_rarely_and_only_through_the_tail() {
    let measured = Overrides::default();
    let (every_100, _) = switches(100, &measured);
    let (every_1000, won_1000) = switches(1000, &measured);
    assert!(every_100 > 10_000.0, "check interval 100: {every_100}/s");
    assert!(
        won_1000 > 0,
        "check interval 1000: the waiter never won in {SEEDS} runs"
    );
    assert!(
        every_1000 < every_100 / 100.0,
        "check interval 1000: {every_1000}/s against {every_100}/s at 100"
    );
    // Without a tail (p99 and p99.9 at p90, 6 µs: every wake-up within the next hold) the
    // waiter never wins at 1000.
    let no_tail = Overrides {
        wake_latency_p99: Some(6_000),
        wake_latency_p999: Some(6_000),
        ..Overrides::default()
    };
    let (_, won_without_tail) = switches(1000, &no_tail);
    assert_eq!(won_without_tail, 0);
}
