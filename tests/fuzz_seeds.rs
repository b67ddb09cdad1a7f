//! Replays the fuzz targets' seed corpora (`fuzz/seeds/<target>/`) through
//! the same entry points the fuzzer runs (`jen_builtins::fuzzing`), so every
//! seed, and every crash found and fixed (kept as a seed), stays a test.

use jen_builtins::builtins;
use std::path::PathBuf;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "{target}: too few seeds");
    out
}

fn replay(target: &str, f: fn(&[u8])) {
    for (name, data) in seeds(target) {
        let r = std::panic::catch_unwind(|| f(&data));
        assert!(r.is_ok(), "{target}/{name} fails");
    }
}

#[test]
fn ssh_config_seeds() {
    replay("ssh_config", jen_builtins::fuzzing::ssh_config);
}

#[test]
fn known_hosts_seeds() {
    replay("known_hosts", jen_builtins::fuzzing::known_hosts);
}

#[test]
fn store_path_seeds() {
    replay("store_path", jen_builtins::fuzzing::store_path);
}

#[test]
fn value_tree_seeds() {
    replay("value_tree", jen_builtins::fuzzing::value_tree);
    // Both sides of the check are seeded: trees it accepts (and the
    // target then reads every way) and trees it refuses.
    let accepted: Vec<String> = seeds("value_tree")
        .into_iter()
        .filter(|(_, data)| {
            let n = usize::from(u16::from_le_bytes([data[0], data[1]]));
            let (words, text) = data[2..].split_at(8 * n);
            let words: Vec<u64> = words
                .chunks_exact(8)
                .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
                .collect();
            jen_builtins::tree::Tree::new(&words, text).is_ok()
        })
        .map(|(name, _)| name)
        .collect();
    assert_eq!(accepted, ["nested", "network"]);
}

#[test]
fn json_conversion_seeds() {
    replay("json_conversion", jen_builtins::fuzzing::json_conversion);
    // Every builtin has a seed that reaches it (the target skips what the
    // shim could never send: a seed that is skipped tests nothing).
    let mut reached = Vec::new();
    for (name, data) in seeds("json_conversion") {
        let b = &builtins::all()[data[0] as usize % builtins::all().len()];
        let args: serde_json::Value = serde_json::from_slice(&data[1..])
            .unwrap_or_else(|e| panic!("json_conversion/{name}: {e}"));
        assert_eq!(
            args.as_array().map(Vec::len),
            Some(b.args.len()),
            "json_conversion/{name}: not an argument array for {}",
            b.name
        );
        reached.push(b.name);
    }
    for b in builtins::all() {
        assert!(reached.contains(&b.name), "no seed calls {}", b.name);
    }
}
