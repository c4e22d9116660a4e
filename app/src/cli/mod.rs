//! Headless subcommands: `scenarios`, `run`, `sweep`.
