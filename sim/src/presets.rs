//! The preset scenarios shipped in `assets/scenarios/`, embedded so they work from any directory.

use crate::scenario::{Scenario, ScenarioError};
use crate::size::format_bytes;
use std::io::Read;

/// `(stem, TOML text)` of every preset, in the order a class would meet them.
pub const PRESETS: [(&str, &str); 15] = [
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
        "ft-shared-object",
        include_str!("../../assets/scenarios/ft-shared-object.toml"),
    ),
    (
        "ft-own-copies",
        include_str!("../../assets/scenarios/ft-own-copies.toml"),
    ),
    (
        "ft-shared-dict",
        include_str!("../../assets/scenarios/ft-shared-dict.toml"),
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

/// The largest scenario file read, in bytes. Presets are a few kilobytes; a file this big is not
/// a scenario, and reading stops here whatever the file is.
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Loads a scenario by preset name, or else from a file path.
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if let Some(result) = preset(name_or_path) {
        return result;
    }
    let text = read_scenario_file(name_or_path)?;
    Scenario::parse(&text, name_or_path)
}

/// The text of a scenario file: only a regular file (never a device, a pipe or a socket, which
/// could block or never end), of at most [`MAX_SCENARIO_BYTES`], in UTF-8.
fn read_scenario_file(path: &str) -> Result<String, ScenarioError> {
    let refuse = |message: String| ScenarioError::Read {
        file: path.to_owned(),
        message,
    };
    let metadata = std::fs::metadata(path).map_err(|e| {
        refuse(if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "no such file, and not a preset name (presets: {})",
                PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            e.to_string()
        })
    })?;
    if metadata.is_dir() {
        return Err(refuse(
            "it is a folder: give the path of a scenario's .toml file".into(),
        ));
    }
    if !metadata.is_file() {
        return Err(refuse(
            "it is not a regular file (a device, a pipe or a socket): give the path of a scenario's .toml file".into(),
        ));
    }
    let too_big = || {
        refuse(format!(
            "it is larger than a scenario file may be ({} at most)",
            format_bytes(MAX_SCENARIO_BYTES)
        ))
    };
    if metadata.len() > MAX_SCENARIO_BYTES {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| refuse(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(e.to_string()))?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        // It grew while being read.
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        refuse(format!(
            "it is not UTF-8 text (byte {} is not): save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
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

    #[test]
    fn devices_pipes_folders_and_huge_files_are_refused_without_reading_them() {
        let refused = |path: &str, needle: &str| {
            let started = std::time::Instant::now();
            let e = load(path).unwrap_err().to_string();
            assert!(e.contains(path) && e.contains(needle), "{path}: {e}");
            // Generous: a refusal reads nothing, so it takes microseconds.
            assert!(started.elapsed().as_secs() < 10, "{path}");
        };
        refused("/dev/zero", "not a regular file");
        refused(std::env::temp_dir().to_str().unwrap(), "folder");
        let dir = std::env::temp_dir().join(format!("gilscope-presets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let huge = dir.join("huge.toml");
        let file = std::fs::File::create(&huge).unwrap();
        // Sparse: no disk is used.
        file.set_len(MAX_SCENARIO_BYTES + 1).unwrap();
        refused(huge.to_str().unwrap(), "larger than a scenario file may be");
        let fifo = dir.join("fifo.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening a FIFO for reading would block until a writer comes: it is never opened.
            refused(fifo.to_str().unwrap(), "not a regular file");
        }
        let latin1 = dir.join("latin1.toml");
        std::fs::write(&latin1, b"name = \"caf\xe9\"\n").unwrap();
        refused(latin1.to_str().unwrap(), "UTF-8");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
