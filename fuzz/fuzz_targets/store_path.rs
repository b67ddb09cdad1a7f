//! Fuzz target: see `jen_builtins::fuzzing::store_path`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jen_builtins::fuzzing::store_path(data));
