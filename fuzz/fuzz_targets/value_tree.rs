//! Fuzz target: see `jen_builtins::fuzzing::value_tree`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jen_builtins::fuzzing::value_tree(data));
