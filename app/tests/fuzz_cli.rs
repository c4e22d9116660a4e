//! The fuzz suite against the binary: generated cases (`fuzz/generate.rs`) run as
//! `gilscope run FILE FLAGS`, bounded by `--max-events`. Whatever the input, the binary exits
//! with 0 and its output (one JSON document, or the text report), or with 2 and one message;
//! never a panic (101), a signal or a hang. `sim/tests/fuzz.rs` checks the numbers; this checks
//! the process. `GILSCOPE_FUZZ_CLI_CASES` sets how many cases (a long run: thousands).

// Shared with the library's suite and the cargo-fuzz targets; this test uses only part of it.
#[allow(dead_code)]
#[path = "../../fuzz/generate.rs"]
mod generate;

use gilscope_sim::SETTINGS;
use gilscope_sim::presets::PRESETS;
use std::process::Command;

/// Cases of the short run in `cargo test`: each is a process, so fewer than the library's.
const SHORT_RUN: u64 = 80;

/// The settings a case's flags may not set: this test sets them, to bound every run.
const BOUNDS: [&str; 2] = ["max_events", "memory_budget"];

#[test]
fn the_binary_exits_cleanly_whatever_it_is_given() {
    let cases = std::env::var("GILSCOPE_FUZZ_CLI_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SHORT_RUN);
    let keys: Vec<&str> = SETTINGS
        .iter()
        .map(|s| s.key)
        .filter(|k| !BOUNDS.contains(k))
        .collect();
    let dir = std::env::temp_dir().join(format!("gilscope-fuzz-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let mut failures = Vec::new();
    let mut statuses = [0u64; 2];
    for seed in 0..cases {
        let case = generate::case(seed, &PRESETS, &keys);
        let path = dir.join(format!("{seed}.toml"));
        std::fs::write(&path, &case.text).expect("a case file");
        let mut args = vec![
            "run".to_owned(),
            path.to_string_lossy().into_owned(),
            "--max-events".to_owned(),
            "200000".to_owned(),
            "--memory-budget".to_owned(),
            "64MB".to_owned(),
        ];
        if seed % 2 == 0 {
            args.push("--json".to_owned());
        }
        args.extend(case.flags.iter().cloned());
        let out = Command::new(env!("CARGO_BIN_EXE_gilscope"))
            .args(&args)
            .output()
            .expect("the binary runs");
        let err = String::from_utf8_lossy(&out.stderr);
        let problem = match out.status.code() {
            Some(0) if seed % 2 == 0 => serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .err()
                .map(|e| format!("not one JSON document: {e}")),
            Some(0) => (!String::from_utf8_lossy(&out.stdout).contains("wall "))
                .then(|| "no report".to_owned()),
            Some(2) if err.starts_with("error: ") && !err.contains("panicked") => None,
            other => Some(format!("exit {other:?}: {err}")),
        };
        match problem {
            Some(problem) => failures.push(format!(
                "seed {seed} ({}), gilscope {}: {problem}\n{}",
                case.kind,
                args.join(" "),
                case.text
            )),
            None => statuses[usize::from(!out.status.success())] += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "fuzz (binary): {cases} cases, {} ran, {} refused",
        statuses[0], statuses[1]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    assert!(statuses[0] > 0 && statuses[1] > 0, "{statuses:?}");
}
