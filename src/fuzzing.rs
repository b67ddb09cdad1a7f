//! Entry points of the fuzz targets (`fuzz/`), here so that the normal
//! test suite replays the committed seed corpora (`fuzz/seeds/`) through
//! exactly the code the fuzzer runs.
//!
//! Each function takes arbitrary bytes and panics only on a finding: a
//! panic inside the core, or a broken invariant checked here.

use crate::builtin;
use crate::builtins;
use crate::error::ErrorKind;
use crate::host::MemHost;
use crate::ssh::{config, known_hosts};
use crate::state::store_path;
use serde_json::Value;

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The ssh_config parser and resolver: `data` is the config file (with a
/// second file it may `Include`), resolved for a few hosts with and
/// without a user and port. Every outcome must be a result or an error
/// of the input kinds, never an internal error.
pub fn ssh_config(data: &[u8]) {
    let config_text = text(data);
    let host = MemHost::new([
        ("/home/u/.ssh/config", config_text.as_str()),
        ("/home/u/.ssh/extra", "Port 2200\nUser extra\n"),
    ]);
    let local = config::Local {
        user: "u".into(),
        home: "/home/u".into(),
        hostname: "fuzz.example".into(),
        uid: 1000,
    };
    for (name, user, port) in [
        ("www", None, None),
        ("10.0.0.1", Some("root"), Some(2222)),
        ("Host.Example.COM", None, Some(22)),
    ] {
        let req = config::Request {
            config: &config_text,
            config_name: "/home/u/.ssh/config",
            host: name,
            user,
            port,
            ssh_dir: Some("/home/u/.ssh"),
            default_user: None,
            local: &local,
        };
        match config::resolve(&host, &req) {
            Ok(v) => {
                assert!(v.is_object(), "resolve returned {v}");
                let p = &v["port"];
                assert!(
                    p.as_u64().is_some_and(|p| (1..=65535).contains(&p)),
                    "port {p} out of range"
                );
            }
            Err(e) => assert_ne!(e.kind, ErrorKind::Internal, "{}", e.message),
        }
    }
}

/// The known_hosts parser and lookup: every entry it keeps has a known key
/// type, and a lookup's keys are entries of the file.
pub fn known_hosts(data: &[u8]) {
    let file = text(data);
    let mut warnings = Vec::new();
    let entries = known_hosts::parse(&file, "fuzz", &mut warnings);
    for e in &entries {
        assert!(!e.names.is_empty() && !e.key.is_empty());
    }
    let files = vec![("fuzz".to_string(), file)];
    for (host, port) in [("www", 22), ("10.0.0.1", 2222), ("[::1]", 22)] {
        let found = known_hosts::lookup(&files, host, port);
        for k in found["keys"].as_array().into_iter().flatten() {
            assert!(
                entries.iter().any(|e| k["key"] == e.key),
                "lookup returned a key the parser did not keep: {k}"
            );
        }
    }
}

/// The store-path parser: a parsed path prints back to the text it came
/// from (but for the separator byte, see below) and parses again to the
/// same value.
pub fn store_path(data: &[u8]) {
    let s = text(data);
    for store_dir in ["/nix/store", "/gnu/store"] {
        match store_path::parse(store_dir, &s) {
            Ok(p) => {
                let mut again = p.base();
                if let Some(sub) = &p.sub_path {
                    again.push_str(sub);
                }
                // Nix 2.26 never checks the byte after the hash to be '-'
                // (libstore's quirk, kept): only that byte may differ.
                let sep = store_dir.len() + 1 + 32;
                let mut expect = s.as_bytes().to_vec();
                expect[sep] = b'-';
                assert_eq!(again.as_bytes(), expect, "parse then print differs");
                assert_eq!(store_path::parse(store_dir, &again).ok(), Some(p.clone()));
                assert_eq!(p.hash.len(), 32);
            }
            Err(e) => assert_ne!(e.kind, ErrorKind::Internal, "{}", e.message),
        }
    }
}

/// The JSON path from the shim into the core and back: `data` is the
/// argument array as the shim would send it, for the builtin its first
/// byte picks. Valid JSON must give a result or an input error, never an
/// internal error, and the result must be a well-formed tree whose
/// anchors name sets of the arguments.
pub fn json_conversion(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(args_json) = std::str::from_utf8(rest) else {
        return;
    };
    let all = builtins::all();
    let builtin = &all[pick as usize % all.len()];
    // Only what the shim can send: a JSON array of one value per argument.
    match serde_json::from_str::<Value>(args_json) {
        Ok(Value::Array(a)) if a.len() == builtin.args.len() => {}
        _ => return,
    }
    let host = MemHost::new([
        ("/cfg/ssh_config", "Host *\n  User deploy\n"),
        ("/cfg/known_hosts", "www ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0bHvlLpnNw3G8GqJCfmLqF2X2Wq3l2f9o8H1Wl3r1x\n"),
        ("/cfg/schema.json", r#"{"type":"object"}"#),
        ("/static/site/index.html", "<p>hi</p>"),
    ]);
    match builtin::call_json(builtin, &host, args_json) {
        Ok(result) => {
            let tree = result.tree().expect("the result is a well-formed tree");
            // Every anchor names a set of the arguments' tree (built as
            // call_json builds it).
            let args: Value = serde_json::from_str(args_json).expect("parsed above");
            let args = crate::tree::TreeBuf::from_value(&args);
            let args = args.tree().expect("the tree of a value is well formed");
            let sets: Vec<usize> = sets_of(args.root()).iter().map(|s| s.index()).collect();
            for s in sets_of(tree.root()) {
                let mark = s.mark() as usize;
                assert!(
                    mark == 0 || sets.contains(&(mark - 1)),
                    "an anchor to node {}, which is not a set of the arguments",
                    mark - 1
                );
            }
        }
        Err(e) => assert_ne!(e.kind, ErrorKind::Internal, "{}", e.message),
    }
}

/// The core's check of the value tree the shim sends (`crate::tree`):
/// `data` is a word count (two bytes, little-endian), that many 64-bit
/// words (little-endian) and the text. A tree [`Tree::new`] accepts must
/// be safe to read every way the core reads one (every accessor, its
/// value, its digest, a schema check); one it refuses must be refused as
/// an internal error (a shim bug) or, for nesting, a misuse.
///
/// [`Tree::new`]: crate::tree::Tree::new
pub fn value_tree(data: &[u8]) {
    use crate::tree::{Node, Tree};
    let Some((count, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let n = usize::from(u16::from_le_bytes(*count));
    if rest.len() < 8 * n {
        return;
    }
    let (words, text) = rest.split_at(8 * n);
    let words: Vec<u64> = words
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
        .collect();
    let tree = match Tree::new(&words, text) {
        Ok(t) => t,
        Err(e) => {
            assert!(
                matches!(e.kind, ErrorKind::Internal | ErrorKind::Misuse),
                "{}",
                e.message
            );
            return;
        }
    };
    let root = tree.root();
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        let _ = (
            v.kind(),
            v.as_bool(),
            v.as_i64(),
            v.as_float(),
            v.as_str(),
            v.mark(),
        );
        assert_eq!(v.members().count(), if v.is_set() { v.len() } else { 0 });
        for (k, m) in v.members() {
            assert_eq!(
                v.get(k).map(Node::index),
                Some(m.index()),
                "lookup of {k:?}"
            );
            stack.push(m);
        }
        assert!(v.get("\u{0}not a key").is_none() || v.is_set());
        stack.extend(v.elements());
    }
    let value = root.to_value();
    // A tree and the tree of its value say the same.
    crate::tree::of_value(&value, |again| {
        assert_eq!(again.to_value(), value);
        assert_eq!(
            crate::model::validated::digest(again),
            crate::model::validated::digest(root)
        );
    });
    let _ = crate::model::network::network_violations(root);
}

/// The sets under `v` (itself included).
fn sets_of(v: crate::tree::Node<'_>) -> Vec<crate::tree::Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        if v.is_set() {
            out.push(v);
        }
        stack.extend(v.members().map(|(_, m)| m));
        stack.extend(v.elements());
    }
    out
}
