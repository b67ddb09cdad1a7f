//! The `jen` CLI on good and bad files: output, `--json`, exit status
//! (0 valid, 1 invalid, 2 usage or I/O error).

mod common;
use common::jen_bin;
use serde_json::{json, Value};
use std::process::{Command, Stdio};

fn jen(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(jen_bin());
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn network(port: u64) -> Value {
    json!({
        "name": "n", "tld": "lan",
        "machines": { "www": { "provider": { "type": "none", "address": "144.217.85.49" }, "ssh": { "port": port },
            "sites": { "a.com": { "static": "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a", "writable": true } } } }
    })
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.display().to_string()
}

#[test]
fn check_network_good_bad_json_and_stdin() {
    let d = tempfile::tempdir().unwrap();
    let good = write(&d, "good.json", &network(22));
    let bad = write(&d, "bad.json", &network(70000));
    let (code, out, _) = jen(&["check-network", &good], None);
    assert_eq!((code, out.trim().ends_with(": valid")), (0, true), "{out}");
    let (code, out, _) = jen(&["check-network", &bad], None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "1 violation:\n  machines.www.ssh.port: 70000 is not a port: a whole number from 1 to 65535"
        ),
        "{out}"
    );
    let (code, out, _) = jen(&["--json", "check-network", &bad], None);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, v["valid"].clone(), v["errors"][0]["keyword"].clone()),
        (1, json!(false), json!("maximum"))
    );
    let (code, _, _) = jen(&["check-network", "-"], Some(&network(22).to_string()));
    assert_eq!(code, 0);
}

#[test]
fn validate_with_a_schema_file() {
    let d = tempfile::tempdir().unwrap();
    let model = root().join("nix/data-model.json");
    let (code, _, _) = jen(
        &[
            "validate",
            "--schema",
            model.to_str().unwrap(),
            &write(&d, "n.json", &network(22)),
        ],
        None,
    );
    assert_eq!(code, 0);
    let (code, out, _) = jen(
        &[
            "validate",
            "--schema",
            model.to_str().unwrap(),
            &write(&d, "x.json", &json!({"name": "n"})),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(out.contains("\"machines\" is a required property"), "{out}");
}

#[test]
fn ssh_targets_with_example_known_hosts() {
    let d = tempfile::tempdir().unwrap();
    let kh = root().join("examples/jen/known_hosts");
    let (code, out, err) = jen(
        &[
            "ssh-targets",
            "--known-hosts",
            kh.to_str().unwrap(),
            &write(&d, "n.json", &network(2222)),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("www: root@144.217.85.49 port 2222"), "{out}");
    // The example's known_hosts has www on port 22 only.
    assert!(out.contains("hostkey unknown"), "{out}");
    let (code, out, _) = jen(
        &[
            "--json",
            "ssh-targets",
            "--known-hosts",
            kh.to_str().unwrap(),
            &write(&d, "m.json", &network(22)),
        ],
        None,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["www"]["hostPublicKey"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ed25519 "));
}

#[test]
fn check_state_good_and_bad() {
    let d = tempfile::tempdir().unwrap();
    let m = |state: &str| json!({"mounts": [{"name": "a", "static": "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a", "stateDir": state, "mountPoint": "/www/a", "owner": "www"}]});
    let (code, out, _) = jen(&["check-state", &write(&d, "g.json", &m("/var/a"))], None);
    assert_eq!(code, 0);
    assert!(out.contains("backup:  /var/a"), "{out}");
    let (code, _, err) = jen(&["check-state", &write(&d, "b.json", &m("/etc"))], None);
    assert_eq!(code, 1);
    assert!(err.contains("jen: checkStatePaths: the state paths are not safe (1 violation):\n  mounts[0].stateDir: \"/etc\" is in /etc, which the system owns"), "{err}");
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(jen(&["check-network", "/nonexistent/x.json"], None).0, 2);
    assert_eq!(jen(&["no-such-command"], None).0, 2);
    let d = tempfile::tempdir().unwrap();
    assert_eq!(
        jen(&["check-network", &write(&d, "n.json", &json!(42))], None).0,
        2,
        "misuse"
    );
    let (code, out, _) = jen(&["--help"], None);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:"), "{out}");
}

#[test]
fn a_closed_output_ends_quietly() {
    // `jen ... | head -1`: the reader goes away after the first line.
    let machines: serde_json::Map<String, Value> = (0..2000)
        .map(|i| {
            (
                format!("m{i}"),
                json!({ "provider": { "type": "none", "address": format!("10.0.{}.{}", i / 256, i % 256) } }),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("net.json");
    std::fs::write(
        &file,
        json!({ "name": "n", "machines": machines }).to_string(),
    )
    .unwrap();
    let mut child = Command::new(jen_bin())
        .args(["ssh-targets", "--json", file.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    use std::io::Read;
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}
