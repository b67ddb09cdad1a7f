//! `jen nixops4-provider`: a NixOps4 resource provider (protocol v0).
//!
//! NixOps4 starts the provider and talks to it over its standard streams:
//! one JSON request per line on standard input, one JSON response per line
//! on standard output, logs on standard error; the provider exits 0 at the
//! end of its input. A line that cannot be understood gets an
//! `errorResponse` and the loop goes on; blank lines are ignored. Nothing
//! but response lines is ever written to standard output.
//!
//! Resource types (one module each, apart from this loop):
//! - [`ssh_target`]: a host's SSH host key, read from the live host and
//!   pinned;
//! - [`state_dirs`]: writable state directories created on a target over
//!   ssh, checked against its pinned host key.
//!
//! jen has no state-storage resource, so `stateResourceReadRequest` and
//! `stateResourceEvent` are answered with an error.

pub mod protocol;
pub mod remote;
pub mod ssh_target;
pub mod state_dirs;

use protocol::{error_response, Request};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The resource types this provider implements.
pub const RESOURCE_TYPES: [&str; 2] = [ssh_target::NAME, state_dirs::NAME];

fn unsupported(type_name: &str) -> String {
    format!(
        "resource type \"{type_name}\" is not provided by jen (it provides {})",
        RESOURCE_TYPES.join(", ")
    )
}

fn handle(req: Request) -> Result<Value, String> {
    match req {
        Request::Create(c) => {
            let out = match c.type_name.as_str() {
                ssh_target::NAME => ssh_target::create(&c.input_properties, c.is_stateful)?,
                state_dirs::NAME => state_dirs::create(&c.input_properties)?,
                t => return Err(unsupported(t)),
            };
            Ok(protocol::create_response(out))
        }
        Request::Update(u) => {
            let out = match u.resource.type_name.as_str() {
                ssh_target::NAME => {
                    ssh_target::update(u.resource.output_properties.as_ref(), &u.input_properties)?
                }
                state_dirs::NAME => state_dirs::update(&u.input_properties)?,
                t => return Err(unsupported(t)),
            };
            Ok(protocol::update_response(out))
        }
        Request::StateRead(_) | Request::StateEvent(_) => Err(
            "this provider has no state-storage resource type, so it answers no state request; \
             give stateful resources a state provider's resource (nixops4's local state_file)"
                .into(),
        ),
    }
}

/// The response to one line of input; never fails, never unwinds.
pub fn answer(line: &str) -> Value {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        protocol::parse_request(line).and_then(handle)
    }));
    match outcome {
        Ok(Ok(v)) => v,
        Ok(Err(message)) => {
            tracing::warn!("{message}");
            error_response(format!("jen: {message}"))
        }
        Err(_) => error_response(
            "jen: internal error (a bug in jen-builtins, please report it); see standard error",
        ),
    }
}

/// Answer every line of `input` on `output` until the end of the input.
pub fn serve(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.split(b'\n') {
        let line = line?;
        let response = match std::str::from_utf8(&line) {
            Ok(l) if l.trim().is_empty() => continue,
            Ok(l) => answer(l),
            Err(e) => error_response(format!("jen: the request is not UTF-8: {e}")),
        };
        writeln!(output, "{response}")?;
        output.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_every_line_and_goes_on() {
        let input = b"not json\n\n{\"createResourceRequest\":{\"type\":\"file\",\"inputProperties\":{},\"isStateful\":false}}\n\xff\n{\"stateResourceReadRequest\":{\"resource\":{\"type\":\"x\",\"inputProperties\":{}}}}";
        let mut out = Vec::new();
        serve(&input[..], &mut out).unwrap();
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        let msg = |i: usize| {
            lines[i]["errorResponse"]["message"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(msg(0).contains("not JSON"));
        assert!(msg(1).contains("\"file\" is not provided by jen"));
        assert!(msg(2).contains("UTF-8"));
        assert!(msg(3).contains("no state-storage resource type"));
        assert!(!msg(3).contains("jen: jen"), "{}", msg(3));
    }
}
