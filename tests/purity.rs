//! Purity: builtins read only what they are given. A HOME whose
//! `.ssh/config` and `known_hosts` would change the answer must not be
//! seen; with restrict-eval, file arguments outside the allowed paths are
//! refused the way builtins.readFile refuses them.

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

/// In a flake evaluation (pure by default): the user's `~/.ssh` and the
/// environment are never consulted, `probeSsh` refuses without opening a
/// socket, files inside the flake are readable and files outside it are
/// refused exactly as `builtins.readFile` refuses them.
#[test]
fn a_flake_evaluation_stays_pure() {
    let nix = Nix::new();
    let ssh = nix.path("home/.ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2";
    std::fs::write(ssh.join("config"), "Host *\n  Port 9999\n  User fromhome\n").unwrap();
    std::fs::write(ssh.join("known_hosts"), format!("web.lan {key}\n")).unwrap();
    std::fs::write(nix.path("outside.json"), r#"{"type": "integer"}"#).unwrap();
    // A listener the probe would reach if it opened a socket.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();

    let flake = nix.path("flake");
    std::fs::create_dir_all(&flake).unwrap();
    std::fs::write(flake.join("known_hosts"), format!("web.lan {key}\n")).unwrap();
    let network = r#"{ name = "n"; tld = "lan"; machines.web.provider.type = "virtualbox"; }"#;
    let outside = nix.path("outside.json");
    std::fs::write(
        flake.join("flake.nix"),
        format!(
            r#"{{
  outputs = {{ self }}: {{
    targets = (builtins.jen.sshTargets {{ network = {network}; local = {{ user = "me"; home = "/home/me"; hostname = "h"; }}; }}).web;
    noLocal = (builtins.jen.sshTargets {{ network = {network}; }}).web;
    probe = builtins.jen.probeSsh {{ host = "127.0.0.1"; port = {port}; }};
    inside = builtins.jen.knownHostKeys {{ knownHosts = ./known_hosts; host = "web.lan"; }};
    outside = builtins.jen.check {outside} 1;
    outsideReadFile = builtins.readFile {outside};
  }};
}}"#,
            outside = outside.display()
        ),
    )
    .unwrap();
    let eval = |attr: &str| {
        let mut c = nix.command("nix");
        c.args(["eval", "--json"])
            .arg(format!("path:{}#{attr}", flake.display()));
        nix.run(c)
    };

    let t: serde_json::Value = serde_json::from_str(eval("targets").expect_ok()).unwrap();
    assert_eq!(
        (t["port"].clone(), t["user"].clone()),
        (json!(22), json!("root")),
        "{t}"
    );
    assert_eq!(t["hostPublicKey"], json!(null), "{t}");

    let no_local = eval("noLocal");
    let err = no_local.expect_err();
    assert!(
        err.contains("jen: sshTargets") && err.contains("local"),
        "{err}"
    );

    let probe = eval("probe");
    let err = probe.expect_err();
    assert!(
        err.contains("jen: probeSsh") && err.contains("pure"),
        "{err}"
    );
    assert!(
        listener.accept().is_err(),
        "probeSsh connected in a pure evaluation"
    );

    let inside: serde_json::Value = serde_json::from_str(eval("inside").expect_ok()).unwrap();
    assert_eq!(inside["keys"][0]["type"], "ssh-ed25519", "{inside}");

    let nix_says = eval("outsideReadFile");
    let jen_says = eval("outside");
    let (nix_err, jen_err) = (nix_says.expect_err(), jen_says.expect_err());
    let refusal = "is forbidden in pure evaluation mode";
    assert!(nix_err.contains(refusal), "{nix_err}");
    assert!(
        jen_err.contains(refusal) && jen_err.contains("jen: check"),
        "{jen_err}"
    );
}
