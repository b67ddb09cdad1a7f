//! SSH targets of a network's machines (`builtins.jen.sshTargets`),
//! shaped for nixops4-nixos (`ssh.host`, `ssh.user`, `ssh.opts`,
//! `ssh.hostPublicKey`).
//!
//! For each machine: the address in the seed's order (`targetHost`, the
//! provider's address, `<machine>.<tld>`, the bare name); the network's
//! explicit `ssh.user`/`ssh.port` act as `ssh -l`/`-p` over an optional
//! ssh_config, resolved as `ssh -G` does; `ssh.via` becomes the ProxyJump
//! (unless the config sets one); the host key comes from known_hosts
//! (under `HostKeyAlias` when set).

use super::config::{self, Local};
use super::known_hosts;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::model::attr_path::AttrPath;
use crate::model::violation::{report, Source, Violation};
use crate::tree::Node;
use base64::Engine as _;
use serde_json::{json, Map, Value};

fn str_at<'t>(v: Node<'t>, path: &[&str]) -> Option<&'t str> {
    v.at(path).and_then(Node::as_str)
}

/// A port (or other non-negative integer) at `path` under `v`.
fn u64_at(v: Node<'_>, path: &[&str]) -> Option<u64> {
    v.at(path)
        .and_then(Node::as_i64)
        .and_then(|p| u64::try_from(p).ok())
}

/// The address a machine is deployed to (see the module doc).
pub fn address(network: Node<'_>, name: &str, m: Node<'_>) -> String {
    str_at(m, &["targetHost"])
        .or_else(|| str_at(m, &["provider", "address"]))
        .or_else(|| str_at(m, &["provider", "mainIPv4"]))
        .map(str::to_string)
        .or_else(|| str_at(network, &["tld"]).map(|t| format!("{name}.{t}")))
        .unwrap_or_else(|| name.to_string())
}

/// Everything the targets depend on besides the network.
pub struct Inputs<'a> {
    pub ssh_config: Option<(&'a str, &'a str)>, // (content, name)
    pub ssh_dir: Option<&'a str>,
    pub known_hosts: Vec<(String, String)>,
    pub local: &'a Local,
}

fn pub_keys(host: &dyn Host, files: &[String], home: &str) -> (Vec<String>, usize) {
    let mut keys = Vec::new();
    let mut readable = 0;
    for f in files {
        let path = match f.strip_prefix("~/") {
            Some(rest) => format!("{}/{rest}", home.trim_end_matches('/')),
            None => f.clone(),
        };
        if let Ok(text) = host.read_file(&format!("{path}.pub")) {
            readable += 1;
            let mut parts = text.split_whitespace();
            if let (Some(t), Some(k)) = (parts.next(), parts.next()) {
                keys.push(format!("{t} {k}"));
            }
        }
    }
    (keys, readable)
}

/// `{ <machine> = { host; hostname; port; user; identityFiles; proxyJump;
/// opts; hostPublicKey; storeUri; lockout; warnings; }; }`.
/// `network` must be valid (`model::network::assert_valid`).
/// A lockout (authorized keys without any offered identity) is refused
/// with the machine's `ssh.authorizedKeys` position in `source`, unless
/// the machine says `ssh.acceptLockout = true`.
pub fn ssh_targets(
    host: &dyn Host,
    network: Node<'_>,
    inputs: &Inputs,
    source: Source,
) -> Result<Value> {
    let machines = network.get("machines");
    let known = known_hosts::Files::parse(&inputs.known_hosts);
    // One config for every machine: split into lines once.
    let config_cache = config::ConfigCache::default();
    let mut out = Map::new();
    let mut revoked_only = Vec::new();
    let mut lockouts = Vec::new();
    for (name, m) in machines.into_iter().flat_map(Node::members) {
        let addr = address(network, name, m);
        let (cfg_text, cfg_name) = inputs.ssh_config.unwrap_or(("", "<no ssh_config>"));
        let req = config::Request {
            config: cfg_text,
            config_name: cfg_name,
            host: &addr,
            user: str_at(m, &["ssh", "user"]),
            port: u64_at(m, &["ssh", "port"]).and_then(|p| u16::try_from(p).ok()),
            ssh_dir: inputs.ssh_dir,
            // The data model's default deploy user, not the local one.
            default_user: Some("root"),
            local: inputs.local,
        };
        let r = config::resolve_cached(host, &req, &config_cache).map_err(|e| Error {
            kind: e.kind,
            message: format!("machine {name}: {}", e.message),
        })?;
        let mut warnings = Vec::new();
        let config::Resolved {
            user,
            hostname,
            port,
            proxy_jump,
            host_key_alias,
            identity_files: identity,
            ..
        } = r;
        let via = str_at(m, &["ssh", "via"]).and_then(|via| Some((via, machines?.get(via)?)));
        let jump = match (proxy_jump.as_deref(), via) {
            (Some(j), _) => Some(j.to_string()),
            (None, Some((via, vm))) => {
                let vport = u64_at(vm, &["ssh", "port"]).unwrap_or(22);
                let vuser = str_at(vm, &["ssh", "user"]).unwrap_or("root");
                let vaddr = address(network, via, vm);
                Some(if vport == 22 {
                    format!("{vuser}@{vaddr}")
                } else {
                    format!("{vuser}@{vaddr}:{vport}")
                })
            }
            (None, None) => None,
        };
        let alias =
            host_key_alias.or_else(|| str_at(m, &["ssh", "hostKeyAlias"]).map(str::to_string));
        let lookup = alias.clone().unwrap_or_else(|| hostname.clone());
        let found = known.lookup(&lookup, port);
        let key = found["keys"]
            .as_array()
            .and_then(|ks| ks.iter().find(|k| k["marker"].is_null()))
            .map(|k| {
                format!(
                    "{} {}",
                    k["type"].as_str().unwrap_or(""),
                    k["key"].as_str().unwrap_or("")
                )
            });
        if key.is_none() {
            if !found["revoked"].as_array().is_none_or(|r| r.is_empty()) {
                revoked_only.push(format!(
                    "machine {name}: every known host key of {} is revoked",
                    known_hosts::lookup_name(&lookup, port)
                ));
            } else {
                warnings.push(format!(
                    "no host key for {} in knownHosts: hostPublicKey is null",
                    known_hosts::lookup_name(&lookup, port)
                ));
            }
        }
        // Lockout: authorized keys declared, and no offered identity among them.
        let authorized: Vec<String> = m
            .at(&["ssh", "authorizedKeys"])
            .into_iter()
            .flat_map(Node::elements)
            .filter_map(Node::as_str)
            .map(|k| k.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect();
        let lockout = if authorized.is_empty() {
            Value::Null
        } else {
            let (offered, readable) = pub_keys(host, &identity, &inputs.local.home);
            if readable == 0 {
                warnings.push("cannot check for lockout: no public half (<identityfile>.pub) of an offered identity is readable".into());
                Value::Null
            } else {
                let locked = !offered.iter().any(|k| authorized.contains(k));
                let accepted = m
                    .at(&["ssh", "acceptLockout"])
                    .and_then(Node::as_bool)
                    .unwrap_or(false);
                if locked && accepted {
                    warnings.push(format!(
                        "lockout (accepted): none of the {} offered identities is among {user}'s authorizedKeys",
                        offered.len()
                    ));
                } else if locked {
                    lockouts.push(Violation::rule(
                        AttrPath::root()
                            .join("machines")
                            .join(name)
                            .join("ssh")
                            .join("authorizedKeys"),
                        "lockout",
                        format!(
                            "none of the identities ssh offers from here ({}) is among {user}'s authorizedKeys, so a deploy would lock you out: add the public key of one of them, or write ssh.acceptLockout = true if another identity deploys",
                            identity.join(", ")
                        ),
                    ));
                }
                json!(locked)
            }
        };

        // Each of these becomes one ssh argument: one checked policy.
        for (what, w) in [
            ("the user", Some(&user)),
            ("the host name", Some(&hostname)),
            ("the jump host", jump.as_ref()),
            ("the HostKeyAlias", alias.as_ref()),
        ] {
            if let Some(w) = w {
                crate::path_policy::check_ssh_word(what, w)
                    .map_err(|e| Error::invalid(format!("machine {name}: {e}")))?;
            }
        }
        let mut opts = Vec::new();
        if port != 22 {
            opts.extend(["-p".to_string(), port.to_string()]);
        }
        if let Some(j) = &jump {
            opts.extend(["-J".to_string(), j.clone()]);
        }
        if let Some(a) = &alias {
            opts.extend(["-o".to_string(), format!("HostKeyAlias={a}")]);
        }
        let mut params = Vec::new();
        if let Some(k) = &key {
            params.push(format!(
                "base64-ssh-public-host-key={}",
                base64::engine::general_purpose::STANDARD.encode(k)
            ));
        }
        if port != 22 || jump.is_some() {
            warnings.push(
                "storeUri cannot carry the port or jump host: `nix copy --to <storeUri>` takes them from NIX_SSHOPTS; set it to the target's opts".into(),
            );
        }
        let store_uri = format!(
            "ssh-ng://{user}@{hostname}{}{}",
            if params.is_empty() { "" } else { "?" },
            params.join("&")
        );
        out.insert(
            name.to_string(),
            json!({
                "host": hostname,
                "hostname": hostname,
                "port": port,
                "user": user,
                "identityFiles": identity,
                "proxyJump": jump,
                "opts": opts,
                "hostPublicKey": key,
                "storeUri": store_uri,
                "lockout": lockout,
                "warnings": warnings,
            }),
        );
    }
    if !revoked_only.is_empty() {
        return Err(Error::invalid(revoked_only.join("\n")));
    }
    if !lockouts.is_empty() {
        source.locate(&mut lockouts);
        return Err(Error::invalid(report(
            "a deploy would lock you out",
            &lockouts,
        )));
    }
    Ok(Value::Object(out))
}
