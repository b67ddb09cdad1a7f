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
use jen_builtins::args::{self, Port};
use jen_builtins::path_policy::{self, is_owner, shell_quote};
use serde::Deserialize;
use serde_json::{json, Value};

pub const NAME: &str = "state_dirs";

/// The resource's inputs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a set")]
struct Inputs {
    target: TargetArg,
    dirs: Vec<DirArg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct TargetArg {
    host: String,
    port: Option<Port>,
    user: Option<String>,
    host_public_key: Option<String>,
    identity_file: Option<String>,
    ssh_config_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a set")]
struct DirArg {
    path: String,
    owner: Option<String>,
    mode: Option<String>,
}

struct Dir {
    path: String,
    owner: String,
    mode: String,
}

fn target(t: TargetArg) -> Result<Target, String> {
    remote::check_host(&t.host)?;
    let key = t.host_public_key.ok_or(
        "target is missing the attribute 'hostPublicKey' (an ssh_target resource's output)",
    )?;
    Ok(Target {
        host: t.host,
        port: t.port.map_or(22, |p| p.0),
        user: t.user.unwrap_or_else(|| "root".into()),
        host_key: HostKey::parse(&key).map_err(|e| format!("target.hostPublicKey: {e}"))?,
        identity_file: t.identity_file,
        ssh_config_file: t.ssh_config_file,
    })
}

/// The directories, each checked by the state-path policy
/// ([`jen_builtins::path_policy`]): the provider creates, `chown`s and `chmod`s
/// them as root on the target, so nothing outside the allowed trees.
fn dirs(list: Vec<DirArg>) -> Result<Vec<Dir>, String> {
    let mut out: Vec<Dir> = Vec::new();
    for (i, d) in list.into_iter().enumerate() {
        let what = format!("dirs[{i}]");
        // The store directory of the target is not known here; its
        // default is refused by the policy as a system tree either way.
        path_policy::check_state_path(&d.path, "/nix/store")
            .map_err(|r| format!("{what}.path: {r}"))?;
        if out.iter().any(|o| o.path == d.path) {
            return Err(format!("{what}.path \"{}\" is listed twice", d.path));
        }
        let owner = d.owner.unwrap_or_else(|| "root".into());
        if !is_owner(&owner) {
            return Err(format!(
                "{what}.owner {} is not a user name or user:group",
                path_policy::shown(&owner)
            ));
        }
        let mode = d.mode.unwrap_or_else(|| "0755".into());
        if !(3..=4).contains(&mode.len()) || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return Err(format!(
                "{what}.mode {} is not an octal mode such as \"0750\"",
                path_policy::shown(&mode)
            ));
        }
        out.push(Dir {
            path: d.path,
            owner,
            mode,
        });
    }
    Ok(out)
}

/// The script run on the target: make each directory, set owner and
/// mode, then report what is there. A path whose existing part goes
/// through a symbolic link anywhere (`realpath -m` differs from the path)
/// is refused before anything is made (every path is checked first), so
/// that no link can lead the provider out of the allowed trees; each is
/// checked again once made, and owner and mode are set without following
/// links (`chown -h`; `chmod` on the directory just checked).
fn script(dirs: &[Dir]) -> String {
    let mut s = String::from(
        r#"set -eu
check() {
  real=$(realpath -m -- "$1")
  if [ "$real" != "$1" ]; then echo "$1 goes through a symbolic link (it leads to $real); nothing was done" >&2; exit 3; fi
  if [ -e "$1" ] && [ ! -d "$1" ]; then echo "$1 exists and is not a directory; nothing was done" >&2; exit 3; fi
}
ensure() {
  mkdir -p -- "$1"
  check "$1"
  chown -h -- "$2" "$1"
  chmod -- "$3" "$1"
}
"#,
    );
    for d in dirs {
        s.push_str(&format!("check {}\n", shell_quote(&d.path)));
    }
    for d in dirs {
        s.push_str(&format!(
            "ensure {} {} {}\n",
            shell_quote(&d.path),
            shell_quote(&d.owner),
            shell_quote(&d.mode)
        ));
    }
    for d in dirs {
        s.push_str(&format!(
            "stat -c 'jen-dir %U %G %a %n' -- {}\n",
            shell_quote(&d.path)
        ));
    }
    s
}

fn apply(p: &Properties) -> Result<Properties, String> {
    let inputs: Inputs =
        args::typed(&Value::Object(p.clone()), "state_dirs inputs").map_err(|e| e.message)?;
    let t = target(inputs.target)?;
    let ds = dirs(inputs.dirs)?;
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

    fn dirs_of(v: Value) -> Result<Vec<Dir>, String> {
        let list: Vec<DirArg> = args::typed(&v, "dirs").map_err(|e| e.message)?;
        dirs(list)
    }

    #[test]
    fn refuses_unsafe_dirs_and_quotes_the_rest() {
        for (d, says) in [
            (json!([{ "path": "var/x" }]), "normalised"),
            (json!([{ "path": "/var/../etc" }]), "normalised"),
            (json!([{ "path": "/" }]), "system-tree"),
            (json!([{ "path": "/nix/store/x" }]), "outside-store"),
            (
                json!([{ "path": "/etc/ssh" }]),
                "/etc, which the system owns",
            ),
            (json!([{ "path": "/usr/local/x" }]), "system-tree"),
            (json!([{ "path": "/opt/x" }]), "allowed-tree"),
            (json!([{ "path": "/var/a b" }]), "characters"),
            (json!([{ "path": "/var/a" }, { "path": "/var/a" }]), "twice"),
            (
                json!([{ "path": "/var/a", "owner": "x;rm" }]),
                "not a user name",
            ),
            (json!([{ "path": "/var/a", "mode": "0999" }]), "octal"),
            (
                json!([{ "path": "/var/a", "color": "red" }]),
                "has an unexpected attribute 'color' (expected: path, owner, mode)",
            ),
        ] {
            let e = dirs_of(d.clone()).err().unwrap_or_default();
            assert!(e.contains(says), "{d}: {e}");
        }
        let ds =
            dirs_of(json!([{ "path": "/var/it", "owner": "www:www", "mode": "750" }])).unwrap();
        let s = script(&ds);
        assert!(s.contains("ensure '/var/it' 'www:www' '750'"), "{s}");
        assert!(s.contains("check '/var/it'\nensure"), "{s}");
    }
}
