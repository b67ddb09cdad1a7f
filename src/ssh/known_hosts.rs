//! known_hosts lookups as `ssh-keygen -F` does them (OpenSSH `hostfile.c`).
//!
//! A line is `[@cert-authority|@revoked] names keytype base64 [comment]`;
//! `names` is a pattern list (`*`, `?`, `!negation`, `[host]:port`) or one
//! hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. A host on
//! port 22 is looked up as `host`, on any other port as `[host]:port`.
//! Lines ssh would skip (bad marker, unknown key type, undecodable key,
//! bad hash) are skipped and reported as warnings.
//!
//! The `ssh-key` crate parses known_hosts entries but does no host
//! matching (patterns, negation, hashed names), which is the point here, so
//! the few lines of the format are read directly.

use super::pattern::{match_hostname, ListMatch};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

/// Key types OpenSSH 9 reads in known_hosts.
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
];

/// One usable line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub marker: Option<String>,
    pub names: String,
    pub key_type: String,
    pub key: String,
    pub line: usize,
}

/// The name a host on `port` is looked up by. The ssh client lowercases
/// the host name before any lookup (`ssh -G A.Example.Com` resolves
/// `hostname a.example.com`), so this does too.
pub fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// Is the base64 `key` a well-formed blob of type `key_type`?
fn key_blob_ok(key_type: &str, key: &str) -> bool {
    let Ok(blob) = B64.decode(key) else {
        return false;
    };
    if blob.len() < 4 {
        return false;
    }
    let n = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    blob.get(4..4 + n) == Some(key_type.as_bytes())
}

/// Parse `text`; `source` names it in warnings.
pub fn parse(text: &str, source: &str, warnings: &mut Vec<String>) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start_matches([' ', '\t']);
        if line.is_empty() || line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split_ascii_whitespace();
        let mut first = fields.next().unwrap_or_default();
        let marker = match first {
            "@cert-authority" | "@revoked" => {
                let m = first[1..].to_string();
                first = fields.next().unwrap_or_default();
                Some(m)
            }
            m if m.starts_with('@') => {
                warnings.push(format!("{source}:{}: unknown marker {m}", i + 1));
                continue;
            }
            _ => None,
        };
        let (Some(key_type), Some(key)) = (fields.next(), fields.next()) else {
            warnings.push(format!("{source}:{}: not a known_hosts entry", i + 1));
            continue;
        };
        if first.is_empty() || !KEY_TYPES.contains(&key_type) || !key_blob_ok(key_type, key) {
            warnings.push(format!("{source}:{}: no valid {key_type} key", i + 1));
            continue;
        }
        out.push(Entry {
            marker,
            names: first.to_string(),
            key_type: key_type.into(),
            key: key.into(),
            line: i + 1,
        });
    }
    out
}

/// Does the hashed name `|1|salt|hash` stand for `name`? `None` when the
/// field is not a well-formed hashed name.
fn hashed_matches(field: &str, name: &str) -> Option<bool> {
    let rest = field.strip_prefix("|1|")?;
    let (salt, hash) = rest.split_once('|')?;
    let salt = B64.decode(salt).ok()?;
    let hash = B64.decode(hash).ok()?;
    if salt.len() != 20 || hash.len() != 20 {
        return None;
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).ok()?;
    mac.update(name.as_bytes());
    Some(mac.verify_slice(&hash).is_ok())
}

/// Does the entry's name field match `name`?
pub fn entry_matches(e: &Entry, name: &str, warnings: &mut Vec<String>, source: &str) -> bool {
    if e.names.starts_with('|') {
        match hashed_matches(&e.names, name) {
            Some(m) => m,
            None => {
                warnings.push(format!("{source}:{}: malformed hashed name", e.line));
                false
            }
        }
    } else {
        match_hostname(name, &e.names) == ListMatch::Yes
    }
}

/// known_hosts files parsed once, for many lookups.
pub struct Files {
    /// (name, entries) per file, in order.
    files: Vec<(String, Vec<Entry>)>,
    /// What parsing said, reported with every lookup.
    warnings: Vec<String>,
}

impl Files {
    /// Parse `files` (name, content).
    pub fn parse(files: &[(String, String)]) -> Files {
        let mut warnings = Vec::new();
        let files = files
            .iter()
            .map(|(source, text)| (source.clone(), parse(text, source, &mut warnings)))
            .collect();
        Files { files, warnings }
    }

    /// `{ keys = [ { type; key; marker; } ]; revoked = [ { type; key; } ]; warnings; }`
    /// for `host` on `port`, in file order.
    pub fn lookup(&self, host: &str, port: u16) -> Value {
        let name = lookup_name(host, port);
        let (mut keys, mut revoked) = (Vec::new(), Vec::new());
        let mut warnings = self.warnings.clone();
        for (source, entries) in &self.files {
            for e in entries {
                if !entry_matches(e, &name, &mut warnings, source) {
                    continue;
                }
                if e.marker.as_deref() == Some("revoked") {
                    revoked.push(json!({ "type": e.key_type, "key": e.key }));
                } else {
                    keys.push(json!({ "type": e.key_type, "key": e.key, "marker": e.marker }));
                }
            }
        }
        // A revoked key is never offered, whichever line names it.
        keys.retain(|k| !revoked.iter().any(|r| r["key"] == k["key"]));
        json!({ "keys": keys, "revoked": revoked, "warnings": warnings })
    }
}

/// [`Files::lookup`] over files parsed for this one lookup.
pub fn lookup(files: &[(String, String)], host: &str, port: u16) -> Value {
    Files::parse(files).lookup(host, port)
}

#[cfg(test)]
mod tests {
    use super::*;
    const K1: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2";
    const K2: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIOeKUS6ScBYV6jIvV9guGeDTn9/x4nOgpon2ccg8wNDE";

    fn file(text: String) -> Vec<(String, String)> {
        vec![("kh".into(), text)]
    }

    #[test]
    fn finds_plain_pattern_marked_and_revoked_entries() {
        let f = file(format!(
            "www.example.com,10.0.0.1 ssh-ed25519 {K1}\n@revoked www.example.com ssh-ed25519 {K2}\n\
             @cert-authority *.example.com ssh-ed25519 {K2}\n*.example.com,!bad.example.com ssh-ed25519 {K1} c\n\
             [www.example.com]:2222 ssh-ed25519 {K2}\n# c\n\nbroken line\n"
        ));
        let v = lookup(&f, "WWW.example.com", 22);
        assert_eq!(v["revoked"], json!([{"type": "ssh-ed25519", "key": K2}]));
        // K2 as cert-authority is revoked too, so it is not offered.
        assert_eq!(
            v["keys"],
            json!([{"type": "ssh-ed25519", "key": K1, "marker": null}, {"type": "ssh-ed25519", "key": K1, "marker": null}])
        );
        assert_eq!(v["warnings"], json!(["kh:8: not a known_hosts entry"]));
        let v = lookup(&f, "bad.example.com", 22);
        assert_eq!(
            v["keys"],
            json!([{"type": "ssh-ed25519", "key": K2, "marker": "cert-authority"}])
        );
        let v = lookup(&f, "www.example.com", 2222);
        assert_eq!(
            v["keys"],
            json!([{"type": "ssh-ed25519", "key": K2, "marker": null}])
        );
    }

    #[test]
    fn hashed_names_match_their_host_only() {
        // HMAC-SHA1 of "www.example.com" with a fixed salt.
        let salt = [7u8; 20];
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"www.example.com");
        let field = format!(
            "|1|{}|{}",
            B64.encode(salt),
            B64.encode(mac.finalize().into_bytes())
        );
        let f = file(format!(
            "{field} ssh-ed25519 {K1}\n|1|bad|x ssh-ed25519 {K1}\n"
        ));
        assert_eq!(
            lookup(&f, "www.example.com", 22)["keys"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(lookup(&f, "other.example.com", 22)["keys"], json!([]));
        assert_eq!(
            lookup(&f, "x", 22)["warnings"],
            json!(["kh:2: malformed hashed name"])
        );
    }

    #[test]
    fn keys_must_decode_to_their_type() {
        let f = file(format!(
            "h ssh-rsa {K1}\nh ssh-ed25519 !!!\nh ssh-foo {K1}\n"
        ));
        let v = lookup(&f, "h", 22);
        assert_eq!(v["keys"], json!([]));
        assert_eq!(v["warnings"].as_array().unwrap().len(), 3);
    }
}
