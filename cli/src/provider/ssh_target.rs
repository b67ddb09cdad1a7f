//! Resource type `ssh_target`: a host's SSH host key, read from the live
//! host at deploy time and pinned in the deployment's state.
//!
//! Inputs: `{ host; port ? 22; keyTypes ? [ "ed25519" ]; acceptChangedKey ? false; }`.
//! Outputs: `{ hostPublicKey; fingerprint; hostPublicKeys; }`, the first
//! key of the wanted types (`"ssh-ed25519 AAAA..."`), its `SHA256:`
//! fingerprint, and every key found as `{ publicKey; fingerprint; }`.
//!
//! Create needs a stateful resource (the key is pinned in the state).
//! Update reads the keys again and refuses when the pinned key is no longer
//! among them, unless `acceptChangedKey = true`.

use super::protocol::Properties;
use super::remote::{self, HostKey, KEY_TYPES};
use jen_builtins::args::{self, Port};
use serde::Deserialize;
use serde_json::{json, Value};

pub const NAME: &str = "ssh_target";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct InputsArg {
    host: String,
    port: Option<Port>,
    key_types: Option<Vec<String>>,
    accept_changed_key: Option<bool>,
}

struct Inputs {
    host: String,
    port: u16,
    key_types: Vec<String>,
    accept_changed_key: bool,
}

fn inputs(p: &Properties) -> Result<Inputs, String> {
    let a: InputsArg =
        args::typed(&Value::Object(p.clone()), "ssh_target inputs").map_err(|e| e.message)?;
    remote::check_host(&a.host)?;
    let key_types = a.key_types.unwrap_or_else(|| vec!["ed25519".to_string()]);
    if key_types.is_empty() {
        return Err("keyTypes must be a non-empty list of key types".into());
    }
    if let Some(t) = key_types
        .iter()
        .find(|t| !KEY_TYPES.iter().any(|(n, _)| n == t))
    {
        return Err(format!(
            "keyTypes: unknown key type \"{t}\" (known: {})",
            KEY_TYPES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Inputs {
        host: a.host,
        port: a.port.map_or(22, |p| p.0),
        key_types,
        accept_changed_key: a.accept_changed_key.unwrap_or(false),
    })
}

fn outputs(keys: &[HostKey]) -> Properties {
    let all: Vec<Value> = keys
        .iter()
        .map(|k| json!({ "publicKey": k.openssh, "fingerprint": k.fingerprint }))
        .collect();
    let mut o = Properties::new();
    o.insert("hostPublicKey".into(), json!(keys[0].openssh));
    o.insert("fingerprint".into(), json!(keys[0].fingerprint));
    o.insert("hostPublicKeys".into(), Value::Array(all));
    o
}

fn scan(i: &Inputs) -> Result<Vec<HostKey>, String> {
    tracing::info!(
        "ssh_target: reading the host keys of {} port {}",
        i.host,
        i.port
    );
    remote::scan(&i.host, i.port, &i.key_types, 5)
}

pub fn create(p: &Properties, is_stateful: bool) -> Result<Properties, String> {
    let i = inputs(p)?;
    if !is_stateful {
        return Err(format!(
            "ssh_target {}: the resource pins the host key, so it must be stateful \
             (give the deployment a state resource for it)",
            i.host
        ));
    }
    Ok(outputs(&scan(&i)?))
}

pub fn update(old_outputs: Option<&Properties>, p: &Properties) -> Result<Properties, String> {
    let i = inputs(p)?;
    let mut keys = scan(&i)?;
    let pinned = old_outputs
        .and_then(|o| o.get("hostPublicKey"))
        .and_then(Value::as_str);
    if let Some(pinned) = pinned {
        let pinned = HostKey::parse(pinned)
            .map_err(|e| format!("ssh_target {}: the pinned key is unreadable: {e}", i.host))?;
        if !keys.iter().any(|k| k.openssh == pinned.openssh) && !i.accept_changed_key {
            return Err(format!(
                "ssh_target {} port {}: the host key changed since it was pinned: pinned {} ({}), \
                 the host now offers {}. This is what a man-in-the-middle looks like; if the host \
                 was reinstalled or its key rotated on purpose, verify the new fingerprint out of \
                 band and set acceptChangedKey = true for one deployment",
                i.host,
                i.port,
                pinned.fingerprint,
                pinned.algorithm,
                keys.iter()
                    .map(|k| format!("{} ({})", k.fingerprint, k.algorithm))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(at) = keys.iter().position(|k| k.openssh == pinned.openssh) {
            // The pinned key stays the one the target is reached by.
            let k = keys.remove(at);
            keys.insert(0, k);
        } else {
            tracing::warn!(
                "ssh_target {}: host key changed from {} to {}, accepted (acceptChangedKey)",
                i.host,
                pinned.fingerprint,
                keys[0].fingerprint
            );
        }
    }
    Ok(outputs(&keys))
}
