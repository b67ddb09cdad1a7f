//! sshTargets in the real Nix: addresses, ports, jump hosts, host keys
//! (found, missing, revoked) and the lockout check.

mod common;
use common::*;
use serde_json::json;

const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDKLS+BVdQUow3W5sTe+fS0Oo5rvUCblpzAOWIY0rNX2";
const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOeKUS6ScBYV6jIvV9guGeDTn9/x4nOgpon2ccg8wNDE";

fn targets(nix: &Nix, machines: &str, extra: &str) -> common::Run {
    let local = r#"{ user = "me"; home = "/nonexistent-home"; hostname = "laptop"; }"#;
    nix.eval_json_args(
        &format!(r#"builtins.jen.sshTargets {{ network = {{ name = "t"; tld = "lan"; machines = {machines}; }}; local = {local}; {extra} }}"#),
        &["--impure"],
    )
}

#[test]
fn addresses_ports_jumps_and_host_keys() {
    let nix = Nix::new();
    let kh = format!("[db.lan]:2222 {K2}\n10.0.0.1 {K1}\n");
    let machines = r#"{
        bastion = { provider = { type = "none"; address = "10.0.0.1"; }; };
        db = { provider.type = "virtualbox"; ssh = { port = 2222; user = "deploy"; via = "bastion"; }; };
        web = { provider.type = "virtualbox"; };
      }"#;
    let r = targets(&nix, machines, &format!("knownHosts = {};", nix_str(&kh)));
    let v: serde_json::Value = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(v["bastion"]["host"], "10.0.0.1");
    assert_eq!(v["bastion"]["hostPublicKey"], K1);
    assert_eq!(v["db"]["host"], "db.lan");
    assert_eq!(v["db"]["user"], "deploy");
    assert_eq!(v["db"]["proxyJump"], "root@10.0.0.1");
    assert_eq!(
        v["db"]["opts"],
        json!(["-p", "2222", "-J", "root@10.0.0.1"])
    );
    assert_eq!(v["db"]["hostPublicKey"], K2);
    assert!(v["db"]["storeUri"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ng://deploy@db.lan?base64-ssh-public-host-key="));
    assert_eq!(v["web"]["hostPublicKey"], json!(null));
    assert!(
        v["web"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no host key for web.lan"),
        "{}",
        v["web"]
    );
    assert_eq!(v["web"]["user"], "root");
}

#[test]
fn an_ssh_config_applies_under_the_networks_explicit_settings() {
    let nix = Nix::new();
    let cfg =
        "Host web.lan\n  HostName 192.0.2.7\n  User cfguser\n  Port 2200\n  HostKeyAlias web\n";
    let kh = format!("[web]:2200 {K2}\n");
    let machines = r#"{ web = { provider.type = "virtualbox"; }; api = { provider.type = "virtualbox"; ssh.user = "explicit"; }; }"#;
    let r = targets(
        &nix,
        machines,
        &format!(
            "sshConfig = {}; sshDir = \"/x\"; knownHosts = {};",
            nix_str(cfg),
            nix_str(&kh)
        ),
    );
    let v: serde_json::Value = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(v["web"]["host"], "192.0.2.7");
    assert_eq!(v["web"]["user"], "cfguser");
    assert_eq!(v["web"]["port"], 2200);
    assert_eq!(
        v["web"]["hostPublicKey"], K2,
        "looked up under the HostKeyAlias"
    );
    assert_eq!(
        v["web"]["opts"],
        json!(["-p", "2200", "-o", "HostKeyAlias=web"])
    );
    assert_eq!(v["api"]["user"], "explicit");
}

#[test]
fn a_target_word_that_would_split_or_be_an_option_is_refused() {
    let nix = Nix::new();
    for (config, says) in [
        (
            "Host *\n  User \"deploy user\"\n",
            "the user \"deploy user\" is not one safe ssh argument",
        ),
        (
            "Host *\n  HostName -oProxyCommand=x\n",
            "the host name \"-oproxycommand=x\" is not one safe ssh argument",
        ),
        (
            "Host *\n  HostKeyAlias $(id)\n",
            "the HostKeyAlias \"$(id)\" is not one safe ssh argument",
        ),
    ] {
        let r = targets(
            &nix,
            r#"{ web = { provider.type = "virtualbox"; }; }"#,
            &format!("sshConfig = {};", nix_str(config)),
        );
        let err = r.expect_err();
        assert!(
            err.contains(&format!("jen: sshTargets: machine web: {says}")),
            "{config}: {err}"
        );
    }
}

#[test]
fn only_revoked_keys_is_an_error() {
    let nix = Nix::new();
    let kh = format!("@revoked web.lan {K1}\n");
    let r = targets(
        &nix,
        r#"{ web = { provider.type = "virtualbox"; }; }"#,
        &format!("knownHosts = {};", nix_str(&kh)),
    );
    let err = r.expect_err();
    assert!(
        err.contains("jen: sshTargets: machine web: every known host key of web.lan is revoked"),
        "{err}"
    );
}

#[test]
fn a_lockout_is_refused_where_the_keys_were_written_unless_accepted() {
    let nix = Nix::new();
    let keys = project_root().join("examples/jen/keys");
    let cfg = format!(
        "Host *\n  IdentityFile {}/deploy_ed25519\n  IdentitiesOnly yes\n",
        keys.display()
    );
    let extra = format!("sshConfig = {}; sshDir = \"/x\";", nix_str(&cfg));
    let deploy = std::fs::read_to_string(keys.join("deploy_ed25519.pub")).unwrap();
    let machine = |authorized: &str, accept: &str| {
        format!(
            "{{ web = {{ provider.type = \"virtualbox\";\n  ssh.authorizedKeys = [ {} ];{accept} }}; }}",
            nix_str(authorized)
        )
    };
    // The deploying identity among the keys: no lockout, no warning.
    let r = targets(&nix, &machine(deploy.trim(), ""), &extra);
    let v: serde_json::Value = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(v["web"]["lockout"], json!(false), "{}", v["web"]);
    let lockout_warnings = |v: &serde_json::Value| -> Vec<String> {
        v["web"]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .filter(|w| w.starts_with("lockout"))
            .collect()
    };
    assert_eq!(lockout_warnings(&v), Vec::<String>::new(), "{}", v["web"]);
    // Only another key: refused, catchably, at the keys' definition
    // (line 2 of the machines' text, after `ssh.` on that line).
    let r = targets(&nix, &machine(K1, ""), &extra);
    let err = r.expect_err();
    let want = format!(
        "jen: sshTargets: a deploy would lock you out (1 violation):\n\n\
         \x20 machines.web.ssh.authorizedKeys: none of the identities ssh offers from here ({}/deploy_ed25519) is among root's authorizedKeys, so a deploy would lock you out: add the public key of one of them, or write ssh.acceptLockout = true if another identity deploys\n\
         \x20   at «string»:2:3",
        keys.display()
    );
    let plain = unindented(err);
    assert!(plain.contains(&want), "{want}\nnot in:\n{plain}");
    // Catchable, as a violation is.
    let r = nix.eval_json_args(
        &format!(
            r#"(builtins.tryEval (builtins.jen.sshTargets {{ network = {{ name = "t"; tld = "lan"; machines = {}; }}; local = {{ user = "me"; home = "/nonexistent-home"; hostname = "laptop"; }}; {extra} }})).success"#,
            machine(K1, "")
        ),
        &["--impure"],
    );
    assert_eq!(r.expect_ok().trim(), "false");
    // Accepted: planned, marked and warned.
    let r = targets(&nix, &machine(K1, " ssh.acceptLockout = true;"), &extra);
    let v: serde_json::Value = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(v["web"]["lockout"], json!(true), "{}", v["web"]);
    assert_eq!(
        lockout_warnings(&v),
        ["lockout (accepted): none of the 1 offered identities is among root's authorizedKeys"],
    );
}
