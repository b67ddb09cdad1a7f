//! Differential test: `builtins.jen.knownHostKeys` against OpenSSH's
//! `ssh-keygen -F` over generated known_hosts files (patterns, negation,
//! `[host]:port`, several names per line, `@cert-authority`, `@revoked`),
//! each also hashed by `ssh-keygen -H`. The lookups run through the core
//! (as the plugin calls it, no Nix) in every `cargo test`, and with the
//! plugin also through the real nix, which must give the same answers.

mod common;
use common::*;
use serde_json::{json, Value};
use std::process::Command;

const NAMES: &[&str] = &[
    "a.example.com",
    "b.example.com",
    "10.0.0.1",
    "[a.example.com]:2222",
    "[10.0.0.1]:2222",
    "*.example.com",
    "?.example.com",
    "!b.example.com",
    "!*.example.org",
    "A.EXAMPLE.COM",
    "a.*",
    "*",
    "[*.example.com]:2222",
    "c.example.com",
];
const QUERIES: &[(&str, u16)] = &[
    ("a.example.com", 22),
    ("b.example.com", 22),
    ("c.example.com", 22),
    ("10.0.0.1", 22),
    ("x.example.org", 22),
    ("a.example.com", 2222),
    ("10.0.0.1", 2222),
    ("b.example.com", 2222),
    ("A.Example.Com", 22),
];

/// What ssh would find: `ssh-keygen -F` with the name the ssh client looks
/// up (it lowercases the host first; `ssh-keygen -F` hashes a name as given).
fn ssh_keygen_f(file: &std::path::Path, host: &str, port: u16) -> Value {
    let host = host.to_ascii_lowercase();
    let name = if port == 22 {
        host.clone()
    } else {
        format!("[{host}]:{port}")
    };
    let out = Command::new("ssh-keygen")
        .arg("-F")
        .arg(&name)
        .arg("-f")
        .arg(file)
        .output()
        .expect("ssh-keygen (openssh-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (mut found, mut revoked) = (Vec::new(), Vec::new());
    while let Some(l) = lines.next() {
        let Some(rest) = l.strip_prefix("# Host ") else {
            continue;
        };
        let tag = rest.rsplit(' ').next().unwrap_or("").trim();
        let tag = if rest.trim_end().ends_with("REVOKED") {
            "REVOKED"
        } else if rest.trim_end().ends_with(" CA") {
            "CA"
        } else {
            tag
        };
        let entry = lines.next().unwrap();
        let fields: Vec<&str> = entry.split_whitespace().collect();
        let off = if entry.starts_with('@') { 2 } else { 1 };
        let (t, k) = (fields[off], fields[off + 1]);
        match tag {
            "REVOKED" => revoked.push(json!({"type": t, "key": k})),
            "CA" => found.push(json!({"type": t, "key": k, "marker": "cert-authority"})),
            _ => found.push(json!({"type": t, "key": k, "marker": null})),
        }
    }
    found.retain(|k| !revoked.iter().any(|r| r["key"] == k["key"]));
    json!({"keys": found, "revoked": revoked})
}

#[test]
fn known_host_keys_agree_with_ssh_keygen() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("kh");
    std::fs::create_dir_all(&dir).unwrap();
    // Real keys of several types.
    let mut keys = Vec::new();
    for (i, (t, bits)) in [
        ("ed25519", ""),
        ("ed25519", ""),
        ("ecdsa", "256"),
        ("rsa", "1024"),
    ]
    .iter()
    .enumerate()
    {
        let f = dir.join(format!("key{i}"));
        let mut c = Command::new("ssh-keygen");
        c.args(["-q", "-N", "", "-t", t, "-f"]).arg(&f);
        if !bits.is_empty() {
            c.args(["-b", bits]);
        }
        assert!(c.status().unwrap().success());
        let pubkey = std::fs::read_to_string(f.with_extension("pub")).unwrap();
        keys.push(bare_key(&pubkey));
    }
    let mut g = Gen(0x6b6e6f776e);
    let mut files = Vec::new();
    for n in 0..40 {
        let mut text = String::new();
        for _ in 0..(3 + g.below(6)) {
            let count = 1 + g.below(3);
            let names: Vec<&str> = (0..count).map(|_| g.pick(NAMES)).collect();
            let marker = match g.below(10) {
                0 => "@cert-authority ",
                1 => "@revoked ",
                _ => "",
            };
            text.push_str(&format!(
                "{marker}{} {} c{n}\n",
                names.join(","),
                keys[g.below(keys.len())]
            ));
        }
        let plain = dir.join(format!("plain{n}"));
        std::fs::write(&plain, &text).unwrap();
        let hashed = dir.join(format!("hashed{n}"));
        std::fs::write(&hashed, &text).unwrap();
        let st = Command::new("ssh-keygen")
            .arg("-H")
            .arg("-f")
            .arg(&hashed)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        files.push(plain);
        files.push(hashed);
    }
    let hashed_lines = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("|1|"))
        .count();
    assert!(
        hashed_lines >= 20,
        "ssh-keygen -H hashed too little: {hashed_lines}"
    );

    let builtin = jen_builtins::builtins::find("knownHostKeys").unwrap();
    let host_fs = jen_builtins::host::FsHost::default();
    let mut calls = Vec::new();
    let mut expected = Vec::new();
    let mut core = Vec::new();
    for f in &files {
        for (host, port) in QUERIES {
            calls.push(format!(
                "(builtins.removeAttrs (builtins.jen.knownHostKeys {{ knownHosts = {}; host = \"{host}\"; port = {port}; }}) [ \"warnings\" ])",
                f.display()
            ));
            expected.push((
                format!("{} {host}:{port}", f.display()),
                ssh_keygen_f(f, host, *port),
            ));
            let args = json!({ "knownHosts": { "$path": f.to_str().unwrap() }, "host": host, "port": port });
            let mut v = jen_builtins::builtin::call(builtin, &host_fs, &[args])
                .unwrap_or_else(|e| panic!("{}: {}", f.display(), e.message));
            v.as_object_mut().unwrap().remove("warnings");
            core.push(v);
        }
    }
    let mut disagreements = Vec::new();
    let mut matched = 0;
    for ((what, want), have) in expected.iter().zip(&core) {
        if want != have {
            let file = what.split_whitespace().next().unwrap();
            disagreements.push(format!(
                "{what}:\n{}\n  ssh-keygen {want}\n  jen        {have}",
                std::fs::read_to_string(file).unwrap()
            ));
        }
        if !want["keys"].as_array().unwrap().is_empty()
            || !want["revoked"].as_array().unwrap().is_empty()
        {
            matched += 1;
        }
    }
    println!(
        "known_hosts: {} lookups ({matched} with entries) in {} files, {} disagreements",
        expected.len(),
        files.len(),
        disagreements.len()
    );
    assert!(matched > 100, "the corpus must find entries");
    assert!(
        disagreements.is_empty(),
        "{}",
        disagreements[..disagreements.len().min(10)].join("\n")
    );
    through_nix(&calls, &core);
}

/// The same lookups through the real nix with the plugin: the same answers.
fn through_nix(calls: &[String], core: &[Value]) {
    let nix = Nix::new();
    let r = nix.eval_json_args(&format!("[ {} ]", calls.join("\n")), &["--impure"]);
    let got: Vec<Value> = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(got.len(), core.len());
    for (i, (g, c)) in got.iter().zip(core).enumerate() {
        assert_eq!(g, c, "lookup {i}: {}", calls[i]);
    }
}
