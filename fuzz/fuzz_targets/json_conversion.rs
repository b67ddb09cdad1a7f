//! Fuzz target: see `jen_builtins::fuzzing::json_conversion`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jen_builtins::fuzzing::json_conversion(data));
