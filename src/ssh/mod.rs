//! SSH target discovery: known_hosts lookups (ssh_config resolution and
//! `sshTargets` are issue #4's next parts).

pub mod known_hosts;
pub mod pattern;

use crate::args::{self, FileArg};
use crate::builtins::{Builtin, PathMode};
use crate::error::{Error, Result};
use crate::host::Host;
use serde_json::Value;

fn known_host_keys(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let o = args::attrs(&a[0], "the argument")?;
    args::only_attrs(o, &["knownHosts", "host", "port"], "the argument")?;
    let name = args::string(args::required(o, "host", "the argument")?, "host")?;
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ',') {
        return Err(Error::misuse(format!("host \"{name}\" is not a host name")));
    }
    let port = match args::optional(o, "port") {
        Some(p) => args::integer(p, "port")?,
        None => 22,
    };
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::misuse(format!("port {port} is not a TCP port")))?;
    let kh = args::required(o, "knownHosts", "the argument")?;
    let items: Vec<&Value> = match kh {
        Value::Array(xs) => xs.iter().collect(),
        v => vec![v],
    };
    let mut files = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let f = FileArg::from_json(item, &format!("knownHosts[{i}]"))?;
        files.push((f.display().to_string(), f.content(host)?));
    }
    Ok(known_hosts::lookup(&files, name, port))
}

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
    run: known_host_keys,
};
