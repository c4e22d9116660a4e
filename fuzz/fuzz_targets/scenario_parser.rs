//! libFuzzer target: any bytes as a scenario file, through parsing, the settings and the
//! run's limits (see `gilscope_fuzz::scenario_parser`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gilscope_fuzz::scenario_parser(data));
