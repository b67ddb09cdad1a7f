//! Purity: builtins read only what they are given. A HOME whose
//! `.ssh/config` and `known_hosts` would change the answer must not be
//! seen; with restrict-eval, file arguments outside the allowed paths are
//! refused the way builtins.readFile refuses them.
#![cfg(feature = "plugin")]

mod common;
use common::*;
use serde_json::json;

#[test]
fn the_users_ssh_files_are_never_read_implicitly() {
    let nix = Nix::new();
    let ssh = nix.path("home/.ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("config"), "Host *\n  Port 9999\n  User fromhome\n").unwrap();
    std::fs::write(ssh.join("known_hosts"), "web.lan ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2\n").unwrap();
    let local = format!(
        r#"{{ user = "me"; home = "{}"; hostname = "h"; }}"#,
        nix.path("home").display()
    );
    for mode in [&[][..], &["--impure"][..]] {
        let v: serde_json::Value = serde_json::from_str(
            nix.eval_json_args(
                &format!(
                    r#"(builtins.jen.sshTargets {{ network = {{ name = "n"; tld = "lan"; machines.web.provider.type = "virtualbox"; }}; local = {local}; }}).web"#
                ),
                mode,
            )
            .expect_ok(),
        )
        .unwrap();
        assert_eq!(
            (v["port"].clone(), v["user"].clone()),
            (json!(22), json!("root")),
            "{mode:?}: {v}"
        );
        assert_eq!(
            v["hostPublicKey"],
            json!(null),
            "{mode:?}: known_hosts must not be read implicitly"
        );
    }
}

#[test]
fn restrict_eval_refuses_file_arguments_like_read_file() {
    let nix = Nix::new();
    let dir = nix.path("site");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "x").unwrap();
    std::fs::write(nix.path("schema.json"), r#"{"type": "integer"}"#).unwrap();
    let args = ["--impure", "--option", "restrict-eval", "true"];
    let read_file = nix.eval_json_args(
        &format!("builtins.readFile {}", nix.path("schema.json").display()),
        &args,
    );
    let nix_says = read_file.expect_err();
    assert!(
        nix_says.contains("forbidden in restricted mode"),
        "{nix_says}"
    );
    for expr in [
        format!("builtins.jen.check {} 1", nix.path("schema.json").display()),
        format!(
            r#"builtins.jen.checkStaticTree {{ static = {}; dynamic = [ ]; }}"#,
            dir.display()
        ),
        format!(
            r#"builtins.jen.knownHostKeys {{ knownHosts = {}; host = "h"; }}"#,
            nix.path("schema.json").display()
        ),
    ] {
        let r = nix.eval_json_args(&expr, &args);
        let err = r.expect_err();
        assert!(
            err.contains("forbidden in restricted mode"),
            "{expr}: {err}"
        );
        assert!(err.contains("jen: "), "{expr}: {err}");
    }
}
