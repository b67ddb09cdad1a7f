//! `builtins.jen.probeSsh`: is an SSH server answering? A TCP connection
//! and the server's identification line (RFC 4253 §4.2), nothing more:
//! no key exchange, no authentication. The only builtin that touches the
//! network, so it refuses in pure evaluation.

use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The longest identification line RFC 4253 allows, and how much of the
/// lines a server may send before it we read.
const MAX_LINE: usize = 255;
const MAX_PREAMBLE: usize = 8192;

/// `{ reachable; banner; address; error; }` for `host:port`.
pub fn probe(host: &str, port: u16, timeout: Duration) -> Result<Value> {
    let deadline = Instant::now() + timeout;
    let addrs: Vec<_> = match (host, port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            return Ok(
                json!({ "reachable": false, "banner": null, "address": null, "error": format!("cannot resolve {host}: {e}") }),
            )
        }
    };
    let mut last_err = format!("{host} has no address");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last_err = "timed out".into();
            break;
        }
        let mut stream = match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => s,
            Err(e) => {
                last_err = format!("{addr}: {e}");
                continue;
            }
        };
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(
                    json!({ "reachable": true, "banner": null, "address": addr.to_string(), "error": "no SSH identification before the timeout" }),
                );
            }
            stream
                .set_read_timeout(Some(left))
                .map_err(|e| Error::internal(e.to_string()))?;
            match stream.read(&mut byte) {
                Ok(0) => {
                    return Ok(
                        json!({ "reachable": true, "banner": null, "address": addr.to_string(), "error": "connection closed before an SSH identification" }),
                    )
                }
                Ok(_) => {}
                Err(e) => {
                    return Ok(
                        json!({ "reachable": true, "banner": null, "address": addr.to_string(), "error": format!("reading the identification: {e}") }),
                    )
                }
            }
            buf.push(byte[0]);
            if byte[0] == b'\n' {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                if line.starts_with("SSH-") {
                    return Ok(
                        json!({ "reachable": true, "banner": line, "address": addr.to_string(), "error": null }),
                    );
                }
                buf.clear();
            }
            if buf.len() > MAX_LINE || buf.len() > MAX_PREAMBLE {
                return Ok(
                    json!({ "reachable": true, "banner": null, "address": addr.to_string(), "error": "the server does not speak SSH" }),
                );
            }
        }
    }
    Ok(json!({ "reachable": false, "banner": null, "address": null, "error": last_err }))
}
