//! The provider's two ways of talking to a target, both through OpenSSH's
//! own programs (openssh-client): `ssh-keyscan` to read a host's keys, and
//! `ssh` with strict host key checking against a pinned key to run a
//! script. Their names can be overridden with `JEN_SSH_KEYSCAN` and
//! `JEN_SSH`.

use ssh_key::{HashAlg, PublicKey};
use std::io::Write;
use std::process::{Command, Stdio};

/// A host key as OpenSSH writes it (`type base64`), with its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    /// `ssh-ed25519 AAAA...`, no comment.
    pub openssh: String,
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub algorithm: String,
}

impl HostKey {
    /// Parse `type base64 [comment]`.
    pub fn parse(text: &str) -> Result<HostKey, String> {
        let key = PublicKey::from_openssh(text.trim())
            .map_err(|e| format!("\"{}\" is not an SSH public key: {e}", text.trim()))?;
        let mut bare = key.clone();
        bare.set_comment("");
        let openssh = bare
            .to_openssh()
            .map_err(|e| format!("cannot print a public key: {e}"))?;
        Ok(HostKey {
            openssh: openssh.trim().to_string(),
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            algorithm: key.algorithm().to_string(),
        })
    }
}

/// The `ssh-keyscan -t` names and the key algorithms each stands for.
pub const KEY_TYPES: &[(&str, &[&str])] = &[
    ("ed25519", &["ssh-ed25519"]),
    (
        "ecdsa",
        &[
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
        ],
    ),
    ("rsa", &["ssh-rsa"]),
    ("dsa", &["ssh-dss"]),
    ("ed25519-sk", &["sk-ssh-ed25519@openssh.com"]),
    ("ecdsa-sk", &["sk-ecdsa-sha2-nistp256@openssh.com"]),
];

fn program(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// Is `host` safe to hand to ssh and ssh-keyscan as a host name: one
/// safe ssh argument ([`jen_builtins::path_policy::check_ssh_word`]), and no list
/// (`,`) or user (`@`) in it?
pub fn check_host(host: &str) -> Result<(), String> {
    if jen_builtins::path_policy::check_ssh_word("host", host).is_err() || host.contains([',', '@'])
    {
        return Err(format!(
            "{} is not a host name or address",
            jen_builtins::path_policy::shown(host)
        ));
    }
    Ok(())
}

/// The host keys `host:port` offers, of the `ssh-keyscan -t` types
/// `key_types`, in that order.
pub fn scan(
    host: &str,
    port: u16,
    key_types: &[String],
    timeout_s: u32,
) -> Result<Vec<HostKey>, String> {
    check_host(host)?;
    let keyscan = program("JEN_SSH_KEYSCAN", "ssh-keyscan");
    let out = Command::new(&keyscan)
        .args(["-T", &timeout_s.to_string(), "-p", &port.to_string(), "-t"])
        .arg(key_types.join(","))
        .arg(host)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {keyscan} (from openssh-client): {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for line in stdout.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // `name type base64`
        let Some((_, key)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        found.push(HostKey::parse(key)?);
    }
    let mut keys = Vec::new();
    for t in key_types {
        let algs = KEY_TYPES
            .iter()
            .find(|(n, _)| n == t)
            .map(|(_, a)| *a)
            .unwrap_or_default();
        keys.extend(
            found
                .iter()
                .filter(|k| algs.contains(&k.algorithm.as_str()))
                .cloned(),
        );
    }
    if keys.is_empty() {
        let why: Vec<&str> = std::str::from_utf8(&out.stderr)
            .unwrap_or("")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        return Err(format!(
            "no {} host key from {host} port {port}{}",
            key_types.join("/"),
            if why.is_empty() {
                " (no answer)".to_string()
            } else {
                format!(": {}", why.join("; "))
            }
        ));
    }
    Ok(keys)
}

/// How to reach a target over ssh.
#[derive(Debug, Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub host_key: HostKey,
    pub identity_file: Option<String>,
    pub ssh_config_file: Option<String>,
}

/// The alias the pinned key is recorded under, so that whatever name or
/// address the connection takes, only that key is accepted.
const ALIAS: &str = "jen-pinned-target";

/// Run the POSIX shell `script` on `target` (as `/bin/sh -s`, the script
/// on standard input), accepting only the pinned host key. Returns the
/// script's standard output; an error carries its standard error.
pub fn run_script(target: &Target, script: &str) -> Result<String, String> {
    check_host(&target.host)?;
    if jen_builtins::path_policy::check_ssh_word("user", &target.user).is_err()
        || target.user.contains('@')
    {
        return Err(format!(
            "{} is not a user name",
            jen_builtins::path_policy::shown(&target.user)
        ));
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("{ALIAS} {}\n", target.host_key.openssh),
    )
    .map_err(|e| format!("cannot write {}: {e}", known_hosts.display()))?;
    let ssh = program("JEN_SSH", "ssh");
    let mut cmd = Command::new(&ssh);
    if let Some(f) = &target.ssh_config_file {
        cmd.arg("-F").arg(f);
    }
    if let Some(i) = &target.identity_file {
        cmd.arg("-i").arg(i).args(["-o", "IdentitiesOnly=yes"]);
    }
    for o in [
        "StrictHostKeyChecking=yes".to_string(),
        format!("UserKnownHostsFile={}", known_hosts.display()),
        "GlobalKnownHostsFile=/dev/null".into(),
        format!("HostKeyAlias={ALIAS}"),
        format!("HostKeyAlgorithms={}", target.host_key.algorithm),
        "UpdateHostKeys=no".into(),
        "BatchMode=yes".into(),
        "ConnectTimeout=10".into(),
        "ServerAliveInterval=10".into(),
        "ServerAliveCountMax=3".into(),
        "LogLevel=ERROR".into(),
    ] {
        cmd.arg("-o").arg(o);
    }
    cmd.args(["-p", &target.port.to_string(), "-l", &target.user])
        .arg("--")
        .arg(&target.host)
        .arg("/bin/sh -s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {ssh} (from openssh-client): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A failed write shows as ssh's own error below.
        let _ = stdin.write_all(script.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for {ssh}: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("Host key verification failed") {
        let offered = stderr
            .split_whitespace()
            .find(|w| w.starts_with("SHA256:"))
            .map(|w| w.trim_end_matches('.'))
            .unwrap_or("another key");
        return Err(format!(
            "host key verification failed: {} port {} presents {offered}, not the pinned {} ({}); \
             nothing was done on it",
            target.host, target.port, target.host_key.fingerprint, target.host_key.algorithm
        ));
    }
    if !out.status.success() {
        return Err(format!(
            "ssh {}@{} port {} failed ({}): {}",
            target.user,
            target.host,
            target.port,
            out.status,
            stderr.trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_as_ssh_keygen_does() {
        // ssh-keygen -lf examples/jen/keys/www_host_ed25519.pub
        let k = HostKey::parse(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2 www",
        )
        .unwrap();
        assert_eq!(
            k.openssh,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2"
        );
        assert_eq!(
            k.fingerprint,
            "SHA256:Vw1fayBy3no5nJVcqpsOdr2GFpE8bSwmFvLMFL0nQcU"
        );
        assert!(HostKey::parse("ssh-ed25519 AAAA").is_err());
        for bad in ["", "-oProxyCommand=x", "a b", "a,b", "u@h"] {
            assert!(check_host(bad).is_err(), "{bad}");
        }
    }
}
