//! Differential test: `builtins.jen.resolveSshConfig` against the real
//! `ssh -G -F <config> [-l user] <host>` (openssh-client) over a corpus of
//! ssh_config files, each resolved for several hosts. The listed options
//! must agree exactly; a config ssh rejects must be rejected too.

mod common;
use common::ssh_corpus::*;
use common::*;
use serde_json::{json, Value};

#[test]
fn resolve_ssh_config_agrees_with_ssh_g() {
    let nix = Nix::new();
    let dir = nix.path("ssh");
    write_includes(&dir);
    let (user, home, hostname, uid) = local();
    let local = format!(
        "{{ user = {}; home = {}; hostname = {}; uid = {uid}; }}",
        nix_str(&user),
        nix_str(&home),
        nix_str(&hostname)
    );

    let mut calls = Vec::new();
    let mut expected = Vec::new();
    let configs = corpus();
    assert!(configs.len() >= 40);
    for (i, text) in configs.iter().enumerate() {
        let file = dir.join(format!("config{i}"));
        std::fs::write(&file, text.replace("@DIR@", dir.to_str().unwrap())).unwrap();
        for host in HOSTS {
            for u in [None, Some("deploy")] {
                let user_arg = u.map_or(String::new(), |u| format!("user = \"{u}\";"));
                calls.push(format!(
                    "(let r = builtins.tryEval (builtins.jen.resolveSshConfig {{ config = {}; host = \"{host}\"; {user_arg} local = {local}; }}); in if r.success then r.value else null)",
                    file.display()
                ));
                // What the core says for the same call (sshDir defaults to
                // the config's directory in both).
                let mut args = serde_json::json!({
                    "config": { "$path": file.to_str().unwrap() },
                    "host": host,
                    "local": { "user": user, "home": home, "hostname": hostname, "uid": uid },
                });
                if let Some(u) = u {
                    args["user"] = serde_json::json!(u);
                }
                let core = jen_builtins::builtin::call(
                    jen_builtins::builtins::find("resolveSshConfig").unwrap(),
                    &jen_builtins::host::FsHost::default(),
                    &[args],
                );
                expected.push((
                    format!("config{i} {host} -l {u:?}:\n{text}"),
                    ssh_g(&file, host, u),
                    core.err().is_some_and(|e| documented(&e.message)),
                ));
            }
        }
    }
    let expr_file = nix.path("resolve.nix");
    std::fs::write(&expr_file, format!("[ {} ]", calls.join("\n"))).unwrap();
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--impure", "--file"])
        .arg(&expr_file);
    let r = nix.run(c);
    let got: Vec<Value> = serde_json::from_str(r.expect_ok()).unwrap();
    let mut disagreements = Vec::new();
    for ((what, want, refused), have) in expected.iter().zip(&got) {
        // Refused by design in evaluation (commands, DNS, the environment),
        // as the core refuses it (tests/ssh_parity.rs holds the core to
        // ssh -G): the builtin must refuse too.
        let want = if *refused {
            Value::Null
        } else {
            want.clone().unwrap_or(Value::Null)
        };
        if &want != have {
            let diff: Vec<String> = match (&want, have) {
                (Value::Object(w), Value::Object(h)) => w
                    .iter()
                    .filter(|(k, v)| h.get(*k) != Some(v))
                    .map(|(k, v)| {
                        format!("{k}: ssh {v} / jen {}", h.get(k).unwrap_or(&Value::Null))
                    })
                    .collect(),
                _ => vec![format!("ssh {want} / jen {have}")],
            };
            disagreements.push(format!("{what}  {}", diff.join("\n  ")));
        }
    }
    println!(
        "ssh_config: {} configs (40 generated) x {} hosts x 2 users = {} resolutions, {} refused by ssh, {} disagreements",
        configs.len(),
        HOSTS.len(),
        expected.len(),
        expected.iter().filter(|(_, w, _)| w.is_none()).count(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{}",
        disagreements[..disagreements.len().min(12)].join("\n\n")
    );
}

#[test]
fn relative_includes_use_ssh_dir_and_pure_mode_needs_local() {
    let nix = Nix::new();
    let dir = nix.path("dotssh");
    std::fs::create_dir_all(dir.join("config.d")).unwrap();
    std::fs::write(
        dir.join("config"),
        "Include config.d/*\nHost *\n  Port 2222\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.d/www"),
        "Host www\n  HostName 144.217.85.49\n  User deploy\n",
    )
    .unwrap();
    let local = r#"local = { user = "me"; home = "/home/me"; hostname = "laptop.lan"; };"#;
    // sshDir defaults to the config's directory.
    let v = nix.value_impure(&format!(
        "builtins.jen.resolveSshConfig {{ config = {}; host = \"www\"; {local} }}",
        dir.join("config").display()
    ));
    assert_eq!(
        (
            v["hostname"].as_str(),
            v["user"].as_str(),
            v["port"].as_u64()
        ),
        (Some("144.217.85.49"), Some("deploy"), Some(2222))
    );
    assert_eq!(
        v["userknownhostsfile"],
        json!(["/home/me/.ssh/known_hosts", "/home/me/.ssh/known_hosts2"])
    );
    // A string config needs sshDir for relative Includes.
    let r = nix.eval_json(&format!(
        "builtins.jen.resolveSshConfig {{ config = \"Include x\"; host = \"www\"; {local} }}"
    ));
    assert!(r.expect_err().contains("sshDir is needed"), "{}", r.stderr);
    // Pure evaluation: no local facts from the process.
    let r = nix.eval_json(
        "builtins.jen.resolveSshConfig { config = \"Port 2\"; host = \"www\"; sshDir = \"/x\"; }",
    );
    assert!(
        r.expect_err()
            .contains("in pure evaluation the local user, home and host name must be passed"),
        "{}",
        r.stderr
    );
    // Match exec is refused, catchably.
    let v = nix.value(&format!(
        "(builtins.tryEval (builtins.jen.resolveSshConfig {{ config = \"Match exec true\\n  User x\"; host = \"www\"; sshDir = \"/x\"; {local} }})).success"
    ));
    assert_eq!(v, json!(false));
}
