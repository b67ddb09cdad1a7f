//! Phase timings of a builtin call, logged at `debug` level: run an
//! evaluation with `JEN_LOG=debug` to see where a call spends its time
//! (`bench/README.md` uses them to split a call into its phases). When
//! `debug` is off a phase costs one level check and reads no clock.

use std::time::Instant;

/// Are phase timings wanted? (`debug` logging on.)
pub fn enabled() -> bool {
    tracing::enabled!(tracing::Level::DEBUG)
}

/// Log that `phase` of `builtin` took `micros` microseconds.
pub fn record(builtin: &str, phase: &str, micros: u64) {
    tracing::debug!("{builtin}: {phase}: {:.1} ms", micros as f64 / 1000.0);
}

/// A phase timed from its creation to its drop.
pub struct Phase<'a> {
    builtin: &'a str,
    name: &'static str,
    start: Option<Instant>,
}

/// Start timing `name` of `builtin`; the time is logged when the result
/// is dropped.
pub fn phase<'a>(builtin: &'a str, name: &'static str) -> Phase<'a> {
    Phase {
        builtin,
        name,
        start: enabled().then(Instant::now),
    }
}

impl Drop for Phase<'_> {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            record(self.builtin, self.name, start.elapsed().as_micros() as u64);
        }
    }
}
