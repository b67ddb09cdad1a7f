//! Resource type `state_dirs`: the writable branches of union mounts,
//! created on the target over ssh.
//!
//! Inputs: `{ target = { host; port ? 22; user ? "root"; hostPublicKey;
//! identityFile ? null; sshConfigFile ? null; }; dirs = [ { path; owner ?
//! "root"; mode ? "0755"; } ]; }`. The connection accepts only
//! `hostPublicKey` (strict host key checking against that key alone, under
//! a fixed alias, whatever the user's known_hosts says).
//!
//! Each directory is created (with its parents) if missing, then given its
//! owner and mode: running it again changes nothing. A path that exists
//! and is not a directory, or is a symbolic link, is an error; nothing is
//! ever deleted (a directory dropped from `dirs` stays on the target, with
//! its data). Outputs: `{ dirs = [ { path; owner; group; mode; } ]; }` as
//! `stat` reads them on the target afterwards.

use super::protocol::Properties;
use super::remote::{self, HostKey, Target};
use crate::args;
use crate::state::mounts::{is_normalised, is_user_name};
use serde_json::{json, Value};

pub const NAME: &str = "state_dirs";

struct Dir {
    path: String,
    owner: String,
    mode: String,
}

fn err(e: crate::Error) -> String {
    e.message
}

fn target(v: &Value) -> Result<Target, String> {
    let what = "target";
    let t = args::attrs(v, what).map_err(err)?;
    args::only_attrs(
        t,
        &[
            "host",
            "port",
            "user",
            "hostPublicKey",
            "identityFile",
            "sshConfigFile",
        ],
        what,
    )
    .map_err(err)?;
    let s = |name: &str| -> Result<Option<String>, String> {
        args::optional(t, name)
            .map(|v| args::string(v, &format!("target.{name}")).map(str::to_string))
            .transpose()
            .map_err(err)
    };
    let host = s("host")?.ok_or("target is missing the attribute 'host'")?;
    remote::check_host(&host)?;
    let key = s("hostPublicKey")?.ok_or(
        "target is missing the attribute 'hostPublicKey' (an ssh_target resource's output)",
    )?;
    Ok(Target {
        host,
        port: match args::optional(t, "port") {
            Some(v) => args::port(v, "target.port").map_err(err)?,
            None => 22,
        },
        user: s("user")?.unwrap_or_else(|| "root".into()),
        host_key: HostKey::parse(&key).map_err(|e| format!("target.hostPublicKey: {e}"))?,
        identity_file: s("identityFile")?,
        ssh_config_file: s("sshConfigFile")?,
    })
}

fn is_owner(s: &str) -> bool {
    match s.split_once(':') {
        Some((u, g)) => is_user_name(u) && is_user_name(g),
        None => is_user_name(s),
    }
}

fn dirs(v: &Value) -> Result<Vec<Dir>, String> {
    let list = args::list(v, "dirs").map_err(err)?;
    let mut out: Vec<Dir> = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let what = format!("dirs.{i}");
        let o = args::attrs(d, &what).map_err(err)?;
        args::only_attrs(o, &["path", "owner", "mode"], &what).map_err(err)?;
        let path =
            args::string(args::required(o, "path", &what).map_err(err)?, &what).map_err(err)?;
        if !path.starts_with('/') || path == "/" || !is_normalised(path) || path.contains('\n') {
            return Err(format!(
                "{what}.path \"{path}\" must be an absolute, normalised path other than /"
            ));
        }
        if path.starts_with("/nix/store/") {
            return Err(format!(
                "{what}.path \"{path}\" is in the Nix store, which is never writable state"
            ));
        }
        if out.iter().any(|d| d.path == path) {
            return Err(format!("{what}.path \"{path}\" is listed twice"));
        }
        let owner = match args::optional(o, "owner") {
            Some(v) => args::string(v, &format!("{what}.owner"))
                .map_err(err)?
                .to_string(),
            None => "root".into(),
        };
        if !is_owner(&owner) {
            return Err(format!(
                "{what}.owner \"{owner}\" is not a user name or user:group"
            ));
        }
        let mode = match args::optional(o, "mode") {
            Some(v) => args::string(v, &format!("{what}.mode"))
                .map_err(err)?
                .to_string(),
            None => "0755".into(),
        };
        if !(3..=4).contains(&mode.len()) || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Err(format!(
                "{what}.mode \"{mode}\" is not an octal mode such as \"0750\""
            ));
        }
        out.push(Dir {
            path: path.into(),
            owner,
            mode,
        });
    }
    Ok(out)
}

/// Single-quote `s` for the POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The script run on the target: make each directory, set owner and
/// mode, then report what is there.
fn script(dirs: &[Dir]) -> String {
    let mut s = String::from(
        r#"set -eu
ensure() {
  if [ -L "$1" ]; then echo "$1 is a symbolic link, not a directory" >&2; exit 3; fi
  if [ -e "$1" ] && [ ! -d "$1" ]; then echo "$1 exists and is not a directory" >&2; exit 3; fi
  mkdir -p -- "$1"
  chown -- "$2" "$1"
  chmod -- "$3" "$1"
}
"#,
    );
    for d in dirs {
        s.push_str(&format!(
            "ensure {} {} {}\n",
            quote(&d.path),
            quote(&d.owner),
            quote(&d.mode)
        ));
    }
    for d in dirs {
        s.push_str(&format!(
            "stat -c 'jen-dir %U %G %a %n' -- {}\n",
            quote(&d.path)
        ));
    }
    s
}

fn apply(p: &Properties) -> Result<Properties, String> {
    args::only_attrs(p, &["target", "dirs"], "state_dirs inputs").map_err(err)?;
    let t = target(args::required(p, "target", "state_dirs inputs").map_err(err)?)?;
    let ds = dirs(args::required(p, "dirs", "state_dirs inputs").map_err(err)?)?;
    tracing::info!(
        "state_dirs: {} director{} on {}@{} port {}",
        ds.len(),
        if ds.len() == 1 { "y" } else { "ies" },
        t.user,
        t.host,
        t.port
    );
    let out = if ds.is_empty() {
        String::new()
    } else {
        remote::run_script(&t, &script(&ds)).map_err(|e| format!("state_dirs: {e}"))?
    };
    let mut found = Vec::new();
    for line in out.lines() {
        let Some(rest) = line.strip_prefix("jen-dir ") else {
            continue;
        };
        let mut f = rest.splitn(4, ' ');
        let (Some(owner), Some(group), Some(mode), Some(path)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(format!(
                "state_dirs: unexpected answer from the target: {line}"
            ));
        };
        found.push(
            json!({ "path": path, "owner": owner, "group": group, "mode": format!("{mode:0>4}") }),
        );
    }
    if found.len() != ds.len() {
        return Err(format!(
            "state_dirs: the target reported {} of {} directories",
            found.len(),
            ds.len()
        ));
    }
    let mut o = Properties::new();
    o.insert("dirs".into(), Value::Array(found));
    Ok(o)
}

pub fn create(p: &Properties) -> Result<Properties, String> {
    apply(p)
}

pub fn update(p: &Properties) -> Result<Properties, String> {
    apply(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unsafe_dirs_and_quotes_the_rest() {
        for (d, says) in [
            (json!([{ "path": "var/x" }]), "absolute"),
            (json!([{ "path": "/var/../etc" }]), "normalised"),
            (json!([{ "path": "/" }]), "other than /"),
            (json!([{ "path": "/nix/store/x" }]), "Nix store"),
            (json!([{ "path": "/a" }, { "path": "/a" }]), "twice"),
            (
                json!([{ "path": "/a", "owner": "x;rm" }]),
                "not a user name",
            ),
            (json!([{ "path": "/a", "mode": "0999" }]), "octal"),
            (json!([{ "path": "/a", "color": "red" }]), "color"),
        ] {
            let e = dirs(&d).err().unwrap_or_default();
            assert!(e.contains(says), "{d}: {e}");
        }
        let ds =
            dirs(&json!([{ "path": "/var/it's" , "owner": "www:www", "mode": "750" }])).unwrap();
        assert!(script(&ds).contains(r"ensure '/var/it'\''s' 'www:www' '750'"));
    }
}
