//! What the `cargo fuzz` targets check, as plain functions: the targets call them with
//! libFuzzer's inputs, and the tests below replay the checked-in corpus with them on stable.

use gilscope_sim::size::{format_bytes, parse_size};
use gilscope_sim::time::{MAX_DURATION, format_nanos, parse_duration};
use gilscope_sim::{Overrides, Scenario};

/// Every run the target makes is bounded by its events, so an input cannot hang it.
const MAX_EVENTS: u64 = 20_000;

/// Any bytes as a scenario file: parsing never panics; a scenario that parses resolves its
/// settings or refuses them in words, and when it runs, it ends within its events.
pub fn scenario_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scenario = match Scenario::parse(text, "fuzz.toml") {
        Ok(scenario) => scenario,
        Err(error) => {
            assert!(error.to_string().starts_with("fuzz.toml"), "{error}");
            return;
        }
    };
    let bounds = Overrides {
        max_events: Some(MAX_EVENTS),
        memory_budget: Some(16_000_000),
        ..Overrides::default()
    };
    let Ok(config) = scenario.config(&bounds) else {
        return;
    };
    if let Ok(trace) = gilscope_sim::simulate(&scenario, &config) {
        let stats = gilscope_sim::Stats::compute(&trace);
        assert!(stats.wall_ms.is_finite() && stats.wall_ms >= 0.0);
        assert!(stats.parallelism.is_none_or(|p| p <= f64::from(stats.cores) + 1e-9));
    }
}

/// Any bytes as a duration and as a size: parsing never panics, what it accepts is within the
/// limits, and formatting it back never panics.
pub fn duration_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(nanos) = parse_duration(text) {
        assert!(nanos <= MAX_DURATION, "{text} gave {nanos}");
        let _ = format_nanos(nanos);
    }
    if let Ok(bytes) = parse_size(text) {
        let _ = format_bytes(bytes);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every file of a target's corpus, replayed.
    fn replay(target: &str, check: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("the corpus is checked in") {
            let path = entry.expect("a corpus entry").path();
            check(&std::fs::read(&path).expect("a corpus file"));
            count += 1;
        }
        assert!(count > 0, "{} is empty", dir.display());
    }

    #[test]
    fn the_scenario_corpus_replays() {
        replay("scenario_parser", super::scenario_parser);
    }

    #[test]
    fn the_duration_corpus_replays() {
        replay("duration_parser", super::duration_parser);
    }
}
