//! Helpers shared by the behaviour tests (each test file uses some of them).
#![allow(dead_code)]

use gilscope_sim::live::LiveOptions;
use gilscope_sim::{
    EngineKind, Overrides, RunConfig, RunError, RunOptions, Scenario, SimError, Stats, Trace,
    run_scenario,
};

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

/// Runs `s` with `config` on real threads (the live engine) and returns its trace.
pub fn live_trace(s: &Scenario, config: &RunConfig, live: LiveOptions) -> Result<Trace, SimError> {
    let options = RunOptions {
        engine: EngineKind::Live,
        live,
        ..RunOptions::default()
    };
    run_scenario(s, config, &options)
        .map(|finished| finished.trace)
        .map_err(|e| match e {
            RunError::Engine(e) => e,
            other => panic!("the live engine failed outside the engine: {other}"),
        })
}
