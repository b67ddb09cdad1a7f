//! Fuzz target: see `jen_builtins::fuzzing::known_hosts`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jen_builtins::fuzzing::known_hosts(data));
