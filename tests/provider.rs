//! `jen nixops4-provider` driven over its standard streams, exactly as
//! NixOps4 drives it, against a real OpenSSH server on loopback. Every line
//! it writes is checked against the official protocol schema's `Response`
//! definition (`../shared/conformance/nixops4-resource-v0/`), when present.

mod common;

use common::{bare_key, conformance, fingerprint, jen_bin, keygen, project_root, Sshd};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

fn conformance_dir() -> Option<PathBuf> {
    conformance("nixops4-resource-v0")
}

/// References resolve only to the protocol schema and a local JSON Patch
/// schema: nothing is fetched.
struct Local(Vec<(String, Value)>);

impl jsonschema::Retrieve for Local {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let want = uri.as_str().trim_end_matches('#');
        self.0
            .iter()
            .find(|(u, _)| u == want)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("{want} is not available offline").into())
    }
}

/// A validator for `#/definitions/<name>` of the protocol schema. (The
/// file's root combines `oneOf` with `additionalProperties: false` and no
/// `properties`, so it rejects every message: validate a definition.)
fn definition(name: &str) -> Option<jsonschema::Validator> {
    let dir = conformance_dir()?;
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("resource-schema-v0.json")).unwrap(),
    )
    .unwrap();
    let id = schema["$id"].as_str().unwrap().to_string();
    let patch: Value = serde_json::from_str(
        &std::fs::read_to_string(project_root().join("tests/data/json-patch.json")).unwrap(),
    )
    .unwrap();
    let wrapper = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$ref": format!("{id}#/definitions/{name}")
    });
    Some(
        jsonschema::options()
            .with_retriever(Local(vec![
                (id, schema),
                ("https://json.schemastore.org/json-patch.json".into(), patch),
            ]))
            .build(&wrapper)
            .unwrap(),
    )
}

/// The provider, started as nixops4 starts it.
struct Provider {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    schema: Option<jsonschema::Validator>,
}

impl Provider {
    fn start() -> Provider {
        let mut child = Command::new(jen_bin())
            .arg("nixops4-provider")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Provider {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            schema: definition("Response"),
        }
    }

    /// Send one raw line, read one response line, check it against the
    /// schema.
    fn line(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut out = String::new();
        self.stdout.read_line(&mut out).unwrap();
        let v: Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("the provider wrote a non-JSON line {out:?}: {e}"));
        if let Some(s) = &self.schema {
            let errors: Vec<String> = s.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{v} is no Response: {errors:?}");
        }
        v
    }

    fn send(&mut self, request: Value) -> Value {
        self.line(&request.to_string())
    }

    /// Close standard input; the provider must exit 0 with nothing more
    /// on standard output.
    fn finish(mut self) {
        drop(self.stdin);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).unwrap();
        assert_eq!(rest, "", "output after the last request");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "provider exited with {status}");
    }
}

fn error_message(v: &Value) -> String {
    v["errorResponse"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("not an errorResponse: {v}"))
        .to_string()
}

fn create(type_name: &str, inputs: Value, stateful: bool) -> Value {
    json!({ "createResourceRequest": { "type": type_name, "inputProperties": inputs, "isStateful": stateful } })
}

fn update(type_name: &str, old_inputs: Value, old_outputs: Value, inputs: Value) -> Value {
    json!({ "updateResourceRequest": {
        "resource": { "type": type_name, "inputProperties": old_inputs, "outputProperties": old_outputs },
        "inputProperties": inputs } })
}

#[test]
fn the_official_examples_are_answered() {
    let Some(dir) = conformance_dir() else { return };
    let mut p = Provider::start();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir.join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let example: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let key = format!("{}{}", name[..1].to_lowercase(), &name[1..]);
        let wrapped = json!({ key.clone(): example });
        if name.ends_with("Request") {
            // A request for a type jen does not provide: refused by name.
            let r = p.send(wrapped);
            let m = error_message(&r);
            assert!(m.contains("is not provided by jen"), "{name}: {m}");
        } else {
            // A response is a valid Response, and no request.
            let s = p.schema.as_ref().expect("the schema is present");
            assert!(
                s.is_valid(&wrapped),
                "{name} wrapped as {key} is no Response"
            );
            assert!(error_message(&p.send(wrapped)).contains("unknown request"));
        }
        // Unwrapped, an example is not a request line.
        assert!(error_message(&p.send(example)).contains("unknown request"));
        seen += 1;
    }
    assert!(seen >= 2, "no examples found");
    p.finish();
}

#[test]
fn malformed_lines_get_an_error_and_the_loop_goes_on() {
    let mut p = Provider::start();
    for (line, says) in [
        ("{", "not JSON"),
        ("42", "not a JSON object"),
        (
            r#"{"createResourceRequest":{"type":"ssh_target"}}"#,
            "missing field",
        ),
        (
            r#"{"createResourceRequest":{},"updateResourceRequest":{}}"#,
            "exactly one",
        ),
        (
            r#"{"createResourceRequest":{"type":"ssh_target","inputProperties":{"host":"h","colour":1},"isStateful":true}}"#,
            "colour",
        ),
        (
            r#"{"createResourceRequest":{"type":"ssh_target","inputProperties":{"host":"-oProxyCommand=x"},"isStateful":true}}"#,
            "not a host name",
        ),
        (
            r#"{"createResourceRequest":{"type":"ssh_target","inputProperties":{"host":"h","keyTypes":["ed448"]},"isStateful":true}}"#,
            "unknown key type",
        ),
        (
            r#"{"stateResourceReadRequest":{"resource":{"type":"ssh_target","inputProperties":{}}}}"#,
            "no state-storage resource type",
        ),
    ] {
        let m = error_message(&p.line(line));
        assert!(m.starts_with("jen: ") && m.contains(says), "{line}: {m}");
    }
    // Still answering.
    assert!(error_message(&p.line("[]")).contains("not a JSON object"));
    p.finish();
}

#[test]
fn ssh_target_pins_the_servers_key_and_refuses_a_changed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let example_key = project_root().join("examples/jen/keys/www_host_ed25519");
    let sshd = Sshd::with(&example_key, "");
    let inputs = json!({ "host": "127.0.0.1", "port": sshd.port });
    let mut p = Provider::start();

    // Not stateful: the key could not be pinned.
    assert!(
        error_message(&p.send(create("ssh_target", inputs.clone(), false)))
            .contains("must be stateful")
    );

    let r = p.send(create("ssh_target", inputs.clone(), true));
    let out = &r["createResourceResponse"]["outputProperties"];
    let public = std::fs::read_to_string(example_key.with_extension("pub")).unwrap();
    assert_eq!(out["hostPublicKey"], bare_key(&public), "{r}");
    assert_eq!(
        out["fingerprint"],
        fingerprint(&example_key.with_extension("pub"))
    );
    let pinned = out.clone();

    // Same key: update agrees.
    let r = p.send(update(
        "ssh_target",
        inputs.clone(),
        pinned.clone(),
        inputs.clone(),
    ));
    assert_eq!(
        r["updateResourceResponse"]["outputProperties"], pinned,
        "{r}"
    );

    // The host key is replaced: update refuses, naming both fingerprints.
    drop(sshd);
    let (new_key, new_public) = keygen(tmp.path(), "new_host_key");
    let sshd = Sshd::with(&new_key, "");
    let inputs = json!({ "host": "127.0.0.1", "port": sshd.port });
    let m = error_message(&p.send(update(
        "ssh_target",
        inputs.clone(),
        pinned.clone(),
        inputs.clone(),
    )));
    let new_fp = fingerprint(&tmp.path().join("new_host_key.pub"));
    assert!(m.contains("changed since it was pinned"), "{m}");
    assert!(
        m.contains(pinned["fingerprint"].as_str().unwrap()) && m.contains(&new_fp),
        "{m}"
    );

    // Accepted on purpose: the new key is pinned.
    let mut accept = inputs.clone();
    accept["acceptChangedKey"] = json!(true);
    let r = p.send(update("ssh_target", inputs.clone(), pinned, accept));
    let out = &r["updateResourceResponse"]["outputProperties"];
    assert_eq!(out["hostPublicKey"], bare_key(&new_public), "{r}");
    assert_eq!(out["fingerprint"], new_fp);

    // Nobody listening: a clear error.
    drop(sshd);
    let m = error_message(&p.send(create("ssh_target", inputs, true)));
    assert!(m.contains("no ed25519 host key from 127.0.0.1"), "{m}");
    p.finish();
}

fn whoami() -> (String, String) {
    let id = |flag: &str| {
        let out = Command::new("id").arg(flag).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    (id("-un"), id("-gn"))
}

#[test]
fn state_dirs_creates_directories_with_owner_and_mode_over_ssh() {
    let tmp = tempfile::tempdir().unwrap();
    let (client_key, client_public) = keygen(tmp.path(), "deploy");
    let host_key = project_root().join("examples/jen/keys/www_host_ed25519");
    let host_public = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
    let sshd = Sshd::with(&host_key, &client_public);
    let (me, my_group) = whoami();
    // As root (CI), hand the directory to another user; else keep our own.
    let (owner, group) = if me == "root" {
        ("nobody".to_string(), "nogroup".to_string())
    } else {
        (me.clone(), my_group.clone())
    };
    // The provider writes only below the allowed trees (path_policy), so
    // the directories are made in one of them: /srv, as root.
    std::fs::create_dir_all("/srv").expect("state_dirs is tested as root: /srv must be writable");
    let srv = tempfile::Builder::new()
        .prefix("jen-test-")
        .tempdir_in("/srv")
        .expect("state_dirs is tested as root: /srv must be writable");
    let site = srv.path().join("var/jekor.com");
    let logs = srv.path().join("var/jekor.com/logs");
    let target = json!({
        "host": "127.0.0.1", "port": sshd.port, "user": me,
        "hostPublicKey": host_public.trim(),
        "identityFile": client_key, "sshConfigFile": "/dev/null",
    });
    let inputs = json!({ "target": target, "dirs": [
        { "path": site, "owner": format!("{owner}:{group}"), "mode": "0750" },
        { "path": logs, "mode": "700", "owner": me },
    ]});
    let mut p = Provider::start();
    let r = p.send(create("state_dirs", inputs.clone(), false));
    let out = r["createResourceResponse"]["outputProperties"].clone();
    assert_eq!(
        out["dirs"],
        json!([
            { "path": site, "owner": owner, "group": group, "mode": "0750" },
            { "path": logs, "owner": me, "group": my_group, "mode": "0700" },
        ]),
        "{r}"
    );
    // What the target really has.
    let m = std::fs::metadata(&site).unwrap();
    assert!(m.is_dir());
    assert_eq!(m.mode() & 0o7777, 0o750);
    let uid = |name: &str| {
        let out = Command::new("id").args(["-u", name]).output().unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse::<u32>()
            .unwrap()
    };
    assert_eq!(m.uid(), uid(&owner));
    assert_eq!(std::fs::metadata(&logs).unwrap().mode() & 0o7777, 0o700);

    // Idempotent: the same again changes nothing; data inside survives.
    std::fs::write(logs.join("access.log"), "kept").unwrap();
    let r = p.send(update(
        "state_dirs",
        inputs.clone(),
        out.clone(),
        inputs.clone(),
    ));
    assert_eq!(r["updateResourceResponse"]["outputProperties"], out, "{r}");
    assert_eq!(
        std::fs::read_to_string(logs.join("access.log")).unwrap(),
        "kept"
    );

    // A file where a directory should be: refused, named.
    let file = srv.path().join("var/file");
    std::fs::write(&file, "x").unwrap();
    let mut bad = inputs.clone();
    bad["dirs"] = json!([{ "path": file }]);
    let m = error_message(&p.send(create("state_dirs", bad, false)));
    assert!(m.contains("exists and is not a directory"), "{m}");

    // A symbolic link on the way (here into /tmp, outside the allowed
    // trees): refused before anything is made, nothing made where it leads.
    std::os::unix::fs::symlink(tmp.path(), srv.path().join("var/link")).unwrap();
    let mut linked = inputs.clone();
    linked["dirs"] = json!([{ "path": srv.path().join("var/link/evil") }]);
    let m = error_message(&p.send(create("state_dirs", linked, false)));
    assert!(m.contains("goes through a symbolic link"), "{m}");
    assert!(!tmp.path().join("evil").exists());
    // The link itself as the directory: the same.
    let mut linked = inputs.clone();
    linked["dirs"] = json!([{ "path": srv.path().join("var/link") }]);
    let m = error_message(&p.send(create("state_dirs", linked, false)));
    assert!(m.contains("goes through a symbolic link"), "{m}");

    // Outside the allowed trees, or in a system tree: refused by the
    // policy before ssh is run.
    for (path, says) in [
        ("/etc/jen-test", "is in /etc, which the system owns"),
        (
            "/opt/jen-test",
            "is not below one of the trees jen may write",
        ),
        ("/srv/a b", "may hold only ASCII letters"),
    ] {
        let mut out = inputs.clone();
        out["dirs"] = json!([{ "path": path }]);
        let m = error_message(&p.send(create("state_dirs", out, false)));
        assert!(m.contains(says), "{path}: {m}");
        assert!(!std::path::Path::new(path).exists());
    }

    // A target presenting another host key: nothing is done.
    let other = srv.path().join("var/other");
    let mut wrong = inputs.clone();
    wrong["target"]["hostPublicKey"] = json!(keygen(tmp.path(), "impostor").1);
    wrong["dirs"] = json!([{ "path": other }]);
    let m = error_message(&p.send(create("state_dirs", wrong, false)));
    assert!(m.contains("host key verification failed"), "{m}");
    assert!(
        m.contains(&fingerprint(&host_key.with_extension("pub"))),
        "{m}"
    );
    assert!(!other.exists());
    p.finish();
}
