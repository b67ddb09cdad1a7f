//! Fuzz target: see `jen_builtins::fuzzing::ssh_config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jen_builtins::fuzzing::ssh_config(data));
