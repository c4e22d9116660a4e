//! Helpers shared by the behaviour tests.

use gilscope_sim::{Overrides, RunOptions, Scenario, Stats, run_scenario};

/// Parses a scenario written in a test.
pub fn scenario(text: &str) -> Scenario {
    Scenario::parse(text, "test.toml").expect("test scenario parses")
}

/// Runs `s` with `overrides` in the simulator and returns its stats.
pub fn stats(s: &Scenario, overrides: &Overrides) -> Stats {
    let config = s.config(overrides).expect("valid settings");
    run_scenario(s, &config, &RunOptions::default())
        .expect("run completes")
        .stats
}
