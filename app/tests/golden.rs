//! Golden outputs: `gilscope run PRESET --json` for every preset at its defaults and at two other
//! settings, compared byte for byte with the files in `tests/golden/`. A change to the model or
//! the schema shows up here as a diff to review; regenerate deliberately with
//! `UPDATE_GOLDEN=1 cargo test -p gilscope --test golden` and say why in the commit.

use std::path::PathBuf;
use std::process::Command;

/// The settings each preset is run at, with the file-name suffix of its golden output.
const VARIANTS: [(&str, &[&str]); 3] = [
    ("defaults", &[]),
    ("1ms-4cores", &["--switch-interval", "1ms", "--cores", "4"]),
    ("1core-seed7", &["--cores", "1", "--seed", "7"]),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The binary's output for one run: stdout on success, or the exit status and stderr.
fn output_of(stem: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gilscope"))
        .args(["run", stem, "--json"])
        .args(args)
        .output()
        .expect("the binary runs");
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        format!(
            "exit {:?}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

#[test]
fn every_preset_matches_its_golden_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for (stem, _) in gilscope_sim::presets::PRESETS {
        for (suffix, args) in VARIANTS {
            let path = golden_dir().join(format!("{stem}.{suffix}.json"));
            let actual = output_of(stem, args);
            if update {
                std::fs::write(&path, &actual).expect("golden file written");
                continue;
            }
            let expected = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", path.display()));
            if expected != actual {
                differ.push(format!("{stem} {}", args.join(" ")));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "output differs from tests/golden for: {}\n(diff with `gilscope run STEM --json ARGS`; \
         regenerate with UPDATE_GOLDEN=1 if the change is deliberate)",
        differ.join("; ")
    );
}
