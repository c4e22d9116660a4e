//! libFuzzer target: any bytes as a duration or a size (see `gilscope_fuzz::duration_parser`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gilscope_fuzz::duration_parser(data));
