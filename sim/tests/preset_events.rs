//! Every preset's default run finishes within a bound of simulated events (issue 14): the
//! bound is on the engine's own count (`SimEngine::events_counted`: its events and the shared
//! counters' replayed increments, what `max_events` limits), not on wall time, so
//! it holds on a busy machine and fails when a preset's model grows an event per tick.

use gilscope_sim::presets::{PRESETS, preset};
use gilscope_sim::{Engine, Overrides, SimEngine};

/// Events a preset's default run may take. At their defaults every preset but two counts under
/// 10,000; `counter-race` counts about 800,000 (the increments its counters' replay goes
/// through) and `old-gil` about 1.2 M (an event per 100-tick release and per futile wake-up),
/// so the bound is about twice the largest: it catches a model that starts paying an event per
/// bytecode or per tick, and must come down once those two stop paying per increment and per
/// tick (issue 14's 16 ms per run is about 150,000 events at today's speed).
const EVENT_BOUND: u64 = 2_500_000;

#[test]
fn every_preset_default_run_finishes_within_the_event_bound() {
    let mut over = Vec::new();
    for (stem, _) in PRESETS {
        let scenario = preset(stem)
            .expect("a listed preset exists")
            .expect("the preset parses");
        let config = scenario
            .config(&Overrides::default())
            .expect("the preset's defaults are valid");
        let mut engine = SimEngine::new(&scenario, &config);
        engine
            .run_to_end()
            .expect("the preset's default run completes");
        let events = engine.events_counted();
        assert!(engine.is_finished(), "{stem} did not finish");
        eprintln!("{stem}: {events} events");
        if events > EVENT_BOUND {
            over.push(format!("{stem}: {events} events"));
        }
    }
    assert!(
        over.is_empty(),
        "presets over {EVENT_BOUND} events at their defaults: {}",
        over.join(", ")
    );
}
