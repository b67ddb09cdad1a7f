//! probeSsh against a real sshd on loopback, a closed port, and pure mode.

mod common;
use common::*;
use serde_json::json;

#[test]
fn probe_ssh_reads_a_real_servers_banner() {
    let sshd = Sshd::start();
    let nix = Nix::new();
    let expr = format!(
        r#"builtins.jen.probeSsh {{ host = "127.0.0.1"; port = {}; }}"#,
        sshd.port
    );
    let v = nix.value_impure(&expr);
    assert_eq!(v["reachable"], json!(true), "{v}");
    assert!(
        v["banner"]
            .as_str()
            .unwrap()
            .starts_with("SSH-2.0-OpenSSH_"),
        "{v}"
    );
    assert_eq!(v["address"], json!(format!("127.0.0.1:{}", sshd.port)));
    // Pure evaluation refuses to touch the network.
    let r = nix.eval_json(&expr);
    assert!(
        r.expect_err().contains(
            "jen: probeSsh: probeSsh opens a network connection, which pure evaluation forbids"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_closed_port_is_a_result_not_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nix = Nix::new();
    let v = nix.value_impure(&format!(
        r#"builtins.jen.probeSsh {{ host = "127.0.0.1"; port = {port}; timeoutMs = 500; }}"#
    ));
    assert_eq!(v["reachable"], json!(false), "{v}");
    assert!(v["error"].as_str().unwrap().contains("refused"), "{v}");
}
