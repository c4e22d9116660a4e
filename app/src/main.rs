//! The `gilscope` binary.

fn main() {}
