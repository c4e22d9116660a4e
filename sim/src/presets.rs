//! The preset scenarios shipped in `assets/scenarios/`, embedded so they work from any directory.

use crate::scenario::{Scenario, ScenarioError};

/// `(stem, TOML text)` of every preset, in the order a class would meet them.
pub const PRESETS: [(&str, &str); 12] = [
    (
        "cpu-bound",
        include_str!("../../assets/scenarios/cpu-bound.toml"),
    ),
    ("convoy", include_str!("../../assets/scenarios/convoy.toml")),
    (
        "io-bound",
        include_str!("../../assets/scenarios/io-bound.toml"),
    ),
    (
        "c-release",
        include_str!("../../assets/scenarios/c-release.toml"),
    ),
    (
        "c-holding",
        include_str!("../../assets/scenarios/c-holding.toml"),
    ),
    (
        "counter-race",
        include_str!("../../assets/scenarios/counter-race.toml"),
    ),
    (
        "free-threaded-scaling",
        include_str!("../../assets/scenarios/free-threaded-scaling.toml"),
    ),
    (
        "old-gil",
        include_str!("../../assets/scenarios/old-gil.toml"),
    ),
    (
        "gil-returns",
        include_str!("../../assets/scenarios/gil-returns.toml"),
    ),
    (
        "asyncio",
        include_str!("../../assets/scenarios/asyncio.toml"),
    ),
    (
        "multiprocessing",
        include_str!("../../assets/scenarios/multiprocessing.toml"),
    ),
    (
        "decision",
        include_str!("../../assets/scenarios/decision.toml"),
    ),
];

/// Parses the preset named `stem`, if there is one.
pub fn preset(stem: &str) -> Option<Result<Scenario, ScenarioError>> {
    PRESETS
        .iter()
        .find(|(name, _)| *name == stem)
        .map(|(name, text)| Scenario::parse(text, name))
}

/// Loads a scenario by preset name, or else from a file path.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if let Some(result) = preset(name_or_path) {
        return result;
    }
    match std::fs::read_to_string(name_or_path) {
        Ok(text) => Scenario::parse(&text, name_or_path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ScenarioError::Read {
            file: name_or_path.to_owned(),
            message: format!(
                "no such file, and not a preset name (presets: {})",
                PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
        Err(e) => Err(ScenarioError::Read {
            file: name_or_path.to_owned(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Overrides;

    #[test]
    fn every_preset_parses_resolves_and_has_narration() {
        for (stem, _) in PRESETS {
            let s = preset(stem)
                .unwrap()
                .unwrap_or_else(|e| panic!("{stem}: {e}"));
            assert!(!s.narration.is_empty() && !s.summary.is_empty(), "{stem}");
            s.config(&Overrides::default())
                .unwrap_or_else(|e| panic!("{stem}: {e}"));
        }
        assert!(
            load("no-such-preset")
                .unwrap_err()
                .to_string()
                .contains("convoy")
        );
    }
}
