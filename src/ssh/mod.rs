//! SSH target discovery: ssh_config resolution and known_hosts lookups,
//! as OpenSSH does them (`sshTargets` is issue #4's next part).

pub mod config;
pub mod known_hosts;
pub mod pattern;
pub mod probe;
pub mod targets;

use crate::args::{self, FileArg, FileList, Port};
use crate::builtin::{Builtin, PathMode, ResultMode, Run};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::model::violation::Source;
use crate::tree::Node;
use serde::Deserialize;
use serde_json::Value;

/// `knownHostKeys`'s argument.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct KnownHostKeysArgs {
    known_hosts: FileList,
    host: String,
    port: Option<Port>,
}

/// `resolveSshConfig`'s argument.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct ResolveArgs {
    config: FileArg,
    host: String,
    user: Option<String>,
    port: Option<Port>,
    ssh_dir: Option<FileArg>,
    local: Option<LocalArg>,
}

/// `sshTargets`'s argument. The network is read where it is (it can be
/// large), after this checked that it is there.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct SshTargetsArgs {
    #[allow(dead_code)]
    network: serde::de::IgnoredAny,
    ssh_config: Option<FileArg>,
    known_hosts: Option<FileList>,
    ssh_dir: Option<FileArg>,
    local: Option<LocalArg>,
}

/// `probeSsh`'s argument.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct ProbeArgs {
    host: String,
    port: Option<Port>,
    timeout_ms: Option<i64>,
}

/// `local = { user; home; hostname; uid; }`, each optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, expecting = "a set")]
struct LocalArg {
    user: Option<String>,
    home: Option<String>,
    hostname: Option<String>,
    uid: Option<i64>,
}

fn known_host_keys(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let args: KnownHostKeysArgs = args::typed(&a[0], "the argument")?;
    let name = args.host.as_str();
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ',') {
        return Err(Error::misuse(format!("host \"{name}\" is not a host name")));
    }
    let port = args.port.map_or(22, |p| p.0);
    let files = file_list(host, &args.known_hosts)?;
    Ok(known_hosts::lookup(&files, name, port))
}

/// The files of a file list: `(name, content)` each.
fn file_list(host: &dyn Host, list: &FileList) -> Result<Vec<(String, String)>> {
    list.0
        .iter()
        .map(|f| Ok((f.display().to_string(), f.content(host)?)))
        .collect()
}

/// `sshDir`, where relative `Include`s are found: given (a path or a
/// string), else the directory of the config file, else unknown (a
/// relative `Include` is then an error).
fn ssh_dir_arg(v: Option<FileArg>, config_path: Option<&str>) -> Option<String> {
    match (v, config_path) {
        (Some(FileArg::Path(d) | FileArg::Text(d)), _) => Some(d),
        (None, Some(p)) => Some(match p.rsplit_once('/') {
            Some(("", _)) | None => "/".to_string(),
            Some((d, _)) => d.to_string(),
        }),
        (None, None) => None,
    }
}

/// The local facts: from `local` when given, else (impure evaluation
/// only) from the process: its uid, `$USER` (else the uid's passwd entry),
/// the passwd home (as ssh uses it, else `$HOME`), the kernel's host name.
fn local_facts(host: &dyn Host, given: Option<LocalArg>) -> Result<config::Local> {
    let given = given.unwrap_or_default();
    let get = |k: &str,
               v: &Option<String>,
               from_env: &dyn Fn() -> Option<String>|
     -> Result<String> {
        if let Some(v) = v {
            return Ok(v.clone());
        }
        if host.is_pure() {
            return Err(Error::misuse(format!(
                "local.{k} is needed: in pure evaluation the local user, home and host name must be passed as `local`"
            )));
        }
        from_env()
            .ok_or_else(|| Error::misuse(format!("local.{k} is not given and cannot be found out")))
    };
    let uid = match given.uid {
        Some(u) => u32::try_from(u).map_err(|_| Error::misuse("local.uid is not a uid"))?,
        None if host.is_pure() => 0,
        None => std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0),
    };
    // The passwd entry of the uid, as ssh itself looks the user up.
    let passwd = || -> Option<(String, String)> {
        let text = std::fs::read_to_string("/etc/passwd").ok()?;
        text.lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 5 && f[2] == uid.to_string())
            .map(|f| (f[0].to_string(), f[5].to_string()))
    };
    let user = get("user", &given.user, &|| {
        std::env::var("USER").ok().or_else(|| passwd().map(|p| p.0))
    })?;
    let home = get("home", &given.home, &|| {
        passwd().map(|p| p.1).or_else(|| std::env::var("HOME").ok())
    })?;
    let hostname = get("hostname", &given.hostname, &|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_string())
    })?;
    Ok(config::Local {
        user,
        home,
        hostname,
        uid,
    })
}

fn resolve_ssh_config(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let args: ResolveArgs = args::typed(&a[0], "the argument")?;
    let cfg = args.config;
    let text = cfg.content(host)?;
    let ssh_dir = ssh_dir_arg(args.ssh_dir, cfg.path());
    let local = local_facts(host, args.local)?;
    let req = config::Request {
        config: &text,
        config_name: cfg.display(),
        host: &args.host,
        user: args.user.as_deref(),
        port: args.port.map(|p| p.0),
        ssh_dir: ssh_dir.as_deref(),
        default_user: None,
        local: &local,
    };
    config::resolve(host, &req)
}

pub const RESOLVE_SSH_CONFIG: Builtin = Builtin {
    name: "resolveSshConfig",
    args: &["args"],
    doc: r#"
    Resolve an ssh_config for a host as OpenSSH 9.2's
    `ssh -G -F <config> [-l user] [-p port] <host>` does:
    `{ config; host; user ? null; port ? null; sshDir ? <dir of config>; local ? { user; home; hostname; uid; }; }`
    → `{ hostname; port; user; identityfile; certificatefile; proxyjump;
    proxycommand; identitiesonly; stricthostkeychecking; userknownhostsfile;
    hostkeyalias; forwardagent; controlpath; controlmaster;
    serveraliveinterval; connecttimeout; }` (unset ones `null`).

    `config` is a path or a string of content. Semantics as OpenSSH: the
    first obtained value wins; `Host` and `Match` (`all host originalhost
    user localuser canonical final`); `Include` with globs, relative to
    `sshDir` (OpenSSH: `~/.ssh`); `%` tokens and `~` expanded where
    `ssh -G` expands them (`controlpath`, `userknownhostsfile`,
    `forwardagent` socket paths; not `identityfile`). Every keyword of
    OpenSSH's table (aliases, deprecated ones) is known, and values are
    checked as ssh checks them, in blocks that do not apply too (not yet
    the forwarding, environment, `IPQoS` and `RekeyLimit` forms); a `HostName` that is an
    address takes ssh's canonical form (`10.1` is `10.0.0.1`);
    `proxyjump` is printed as `ssh -G` prints it.

    Refused, with the reason: `Match exec` where ssh would run the
    command, `CanonicalizeHostname` where ssh would ask the DNS, `${VAR}`,
    a `Port` given as a service name, a scoped IPv6 address.

    `local` gives the local user, home, host name and uid (`%u %d %l %L %i`,
    `~`, `Match localuser`, the default user). In impure evaluation they
    default to the process's own; in pure evaluation they must be given.

    ```nix
    nix-repl> (builtins.jen.resolveSshConfig {
                config = "Host www
  HostName 144.217.85.49
  Port 2222
";
                host = "www"; sshDir = "/home/me/.ssh";
                local = { user = "me"; home = "/home/me"; hostname = "laptop"; };
              }).port
    2222
    ```
    "#,
    files: &["args.config", "args.sshDir"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(resolve_ssh_config),
};

fn ssh_targets(host: &dyn Host, a: &[Node<'_>]) -> Result<Value> {
    // The network is read in place; the other arguments as values (the
    // network's place holds null there, for the check that it is given).
    let arg = match a[0].is_set() {
        true => Value::Object(
            a[0].members()
                .map(|(k, v)| {
                    let v = if k == "network" {
                        Value::Null
                    } else {
                        v.to_value()
                    };
                    (k.to_string(), v)
                })
                .collect(),
        ),
        false => a[0].to_value(),
    };
    let args: SshTargetsArgs = args::typed(&arg, "the argument")?;
    let network = a[0]
        .get("network")
        .ok_or_else(|| Error::internal("the argument has no network"))?;
    // Validated as it crossed (or found valid before, as `lib.plan`'s
    // network is); the defaults the targets depend on (ssh.user, ssh.port)
    // are applied where they are read, without a defaulted copy.
    let source = Source {
        under: Some("network"),
        ..Source::arg(host, 0)
    };
    crate::model::network::assert_valid(network, source)?;
    let cfg = args.ssh_config;
    let cfg_text = cfg.as_ref().map(|c| c.content(host)).transpose()?;
    let ssh_dir = ssh_dir_arg(args.ssh_dir, cfg.as_ref().and_then(FileArg::path));
    let known = match &args.known_hosts {
        Some(kh) => file_list(host, kh)?,
        None => Vec::new(),
    };
    let local = local_facts(host, args.local)?;
    let inputs = targets::Inputs {
        ssh_config: cfg_text
            .as_deref()
            .map(|t| (t, cfg.as_ref().map_or("<string>", FileArg::display))),
        ssh_dir: ssh_dir.as_deref(),
        known_hosts: known,
        local: &local,
    };
    targets::ssh_targets(host, network, &inputs, source)
}

pub const SSH_TARGETS: Builtin = Builtin {
    name: "sshTargets",
    args: &["args"],
    doc: r#"
    The SSH target of every machine of a network,
    `{ network; sshConfig ? null; knownHosts ? [ ]; sshDir ? <sshConfig's dir>; local ? { ... }; }`
    → `{ <machine> = { host; hostname; port; user; identityFiles; proxyJump;
    opts; hostPublicKey; storeUri; lockout; warnings; }; }`.

    The network is validated first (`builtins.jen.validateNetwork`). The
    address is the machine's `targetHost`, else its provider's address
    (hetzner `mainIPv4`), else `<machine>.<tld>`. The network's explicit
    `ssh.user` and `ssh.port` act as `ssh -l` and `-p` over `sshConfig`,
    resolved as `builtins.jen.resolveSshConfig` does (the user defaults to
    `root`, the data model's default); `ssh.via` becomes the jump host.
    `hostPublicKey` (`"type base64"`) is the first plain key `knownHosts`
    has for the host (or its `HostKeyAlias`), or `null` with a warning; a
    host whose only keys are revoked is an error.

    `host`, `user`, `opts` and `hostPublicKey` plug into nixops4-nixos's
    `ssh.host`, `ssh.user`, `ssh.opts` and `ssh.hostPublicKey`.
    A machine that declares `authorizedKeys` none of which is among the
    identities ssh would offer from here (their readable `.pub` halves) is
    refused, catchably, with where its `authorizedKeys` were written: a
    deploy would lock you out. `ssh.acceptLockout = true` on the machine
    accepts it (another identity deploys): then `lockout = true`, with a
    warning. `lockout` is `false` when an offered identity is authorized,
    `null` when it cannot be told (no `authorizedKeys`, or no readable
    `.pub`, with a warning).
    `local` is as for `resolveSshConfig` (required in pure evaluation).

    ```nix
    nix-repl> (builtins.jen.sshTargets { network = import ./network.nix { };
                knownHosts = ./known_hosts; local = { user = "me"; home = "/home/me"; hostname = "laptop"; }; }).www.hostPublicKey
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA..."
    ```
    "#,
    files: &["args.sshConfig", "args.knownHosts", "args.sshDir"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Tree(ssh_targets),
};

fn probe_ssh(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let args: ProbeArgs = args::typed(&a[0], "the argument")?;
    let name = args.host.as_str();
    let port = args.port.map_or(22, |p| p.0);
    let ms = match args.timeout_ms {
        Some(t) => u64::try_from(t)
            .ok()
            .filter(|t| (1..=60_000).contains(t))
            .ok_or_else(|| Error::misuse("timeoutMs must be 1 to 60000"))?,
        None => 3000,
    };
    if host.is_pure() {
        return Err(Error::misuse(
            "probeSsh opens a network connection, which pure evaluation forbids (use --impure)",
        ));
    }
    probe::probe(name, port, std::time::Duration::from_millis(ms))
}

pub const PROBE_SSH: Builtin = Builtin {
    name: "probeSsh",
    args: &["args"],
    doc: r#"
    Ask whether an SSH server answers, `{ host; port ? 22; timeoutMs ? 3000; }`:
    a TCP connection and the server's identification line, no key exchange
    and no login. Returns `{ reachable; banner; address; error; }`; an
    unreachable host is a result (`reachable = false` with the reason), not
    an error. The only builtin that touches the network: it refuses in
    pure evaluation.

    ```nix
    nix-repl> builtins.jen.probeSsh { host = "127.0.0.1"; port = 2222; }
    { address = "127.0.0.1:2222"; banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10"; error = null; reachable = true; }
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(probe_ssh),
};

pub const KNOWN_HOST_KEYS: Builtin = Builtin {
    name: "knownHostKeys",
    args: &["args"],
    doc: r#"
    The host keys known for a host, `{ knownHosts; host; port ? 22; }`, as
    `ssh-keygen -F` finds them: `{ keys = [ { type; key; marker; } ];
    revoked = [ { type; key; } ]; warnings = [ ... ]; }`, in file order.

    `knownHosts` is a path, a string of known_hosts content, or a list of
    them. The host is lowercased first, as the ssh client does; on another
    port than 22 it is looked up as `[host]:port`.
    Hashed names (`|1|salt|hmac`), patterns (`*`, `?`), negation (`!`) and
    several names per line work as in OpenSSH. `@cert-authority` keys come
    back with `marker = "cert-authority"`; `@revoked` keys are listed in
    `revoked` and never in `keys`. Lines OpenSSH would skip are skipped and
    named in `warnings`.

    ```nix
    nix-repl> (builtins.jen.knownHostKeys { knownHosts = ./known_hosts; host = "www.example.com"; }).keys
    [ { key = "AAAAC3NzaC1lZDI1NTE5AAAA..."; marker = null; type = "ssh-ed25519"; } ]
    ```
    "#,
    files: &["args.knownHosts"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(known_host_keys),
};
