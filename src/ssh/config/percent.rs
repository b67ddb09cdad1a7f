//! `%` tokens as OpenSSH 9.2's `default_client_percent_expand`.
use super::{Resolver, HEX};
use crate::error::{Error, Result};

impl Resolver<'_> {
    /// `%` tokens as `default_client_percent_expand` in OpenSSH 9.2.
    /// Each token is computed only where it is used (`%C` is a SHA-1).
    pub(super) fn expand(&self, s: &str, host: &str, port: u16, user: &str) -> Result<String> {
        use std::fmt::Write as _;
        if s.contains("${") {
            return Err(Error::invalid(format!(
                "'{s}': ${{VAR}} environment expansion is unsupported in evaluation"
            )));
        }
        let local = self.req.local;
        let mut out = String::with_capacity(s.len() + 32);
        let mut rest = s;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let mut chars = rest[at + 1..].chars();
            let t = chars
                .next()
                .ok_or_else(|| Error::invalid(format!("'{s}': a lone % at the end")))?;
            rest = chars.as_str();
            match t {
                '%' => out.push('%'),
                'C' => {
                    use sha1::Digest;
                    let mut h = sha1::Sha1::new();
                    h.update(local.hostname.as_bytes());
                    h.update(host.as_bytes());
                    h.update(port.to_string().as_bytes());
                    h.update(user.as_bytes());
                    for b in h.finalize() {
                        out.push(char::from(HEX[usize::from(b >> 4)]));
                        out.push(char::from(HEX[usize::from(b & 15)]));
                    }
                }
                'd' => out.push_str(&local.home),
                'h' => out.push_str(host),
                'i' => {
                    let _ = write!(out, "{}", local.uid);
                }
                // The jump host alone (ssh's `jump_host`).
                'j' => {
                    if let Some(super::jump::JumpValue::Hops(j)) = &self.o.jump {
                        out.push_str(&j.host);
                    }
                }
                'k' => out.push_str(self.o.host_key_alias.as_deref().unwrap_or(self.req.host)),
                'L' => out.push_str(local.hostname.split('.').next().unwrap_or_default()),
                'l' => out.push_str(&local.hostname),
                'n' => out.push_str(self.req.host),
                'p' => {
                    let _ = write!(out, "{port}");
                }
                'r' => out.push_str(user),
                'u' => out.push_str(&local.user),
                _ => return Err(Error::invalid(format!("'{s}': unknown token %{t}"))),
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}
