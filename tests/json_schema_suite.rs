//! The official JSON Schema Test Suite (draft 2020-12, not `optional/`),
//! run through the real Nix: every case's schema and data go through
//! `builtins.fromJSON` and `builtins.jen.checkWith`, and `valid` must match.
//!
//! `checkWith { assertFormats = false; }` is used because the suite tests
//! the standard's default (format is an annotation); `resources` carries
//! the suite's `remotes/` under `http://localhost:1234/`, since nothing is
//! ever fetched during evaluation. Skips when `../shared` is absent (fails instead under `CI=true`).

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn suite_dir() -> Option<PathBuf> {
    conformance("json-schema-test-suite/tests/draft2020-12")?;
    conformance("json-schema-test-suite")
}

/// Cases that cannot be stated in Nix at all, with the reason; for these
/// `builtins.fromJSON` fails before any builtin runs. Nix integers are
/// 64-bit, and Nix strings cannot hold NUL (const.json and enum.json each
/// have two such cases).
fn unrepresentable(v: &Value) -> Option<&'static str> {
    match v {
        Value::Number(n) if n.is_u64() && n.as_i64().is_none() => Some("integer beyond 64 bits"),
        Value::String(s) if s.contains('\0') => {
            Some("a NUL character, which Nix strings cannot hold")
        }
        Value::Array(a) => a.iter().find_map(unrepresentable),
        Value::Object(o) => o.values().find_map(unrepresentable),
        _ => None,
    }
}

fn remotes(dir: &Path) -> String {
    let root = dir.join("remotes");
    let mut entries: Vec<String> = json_files(&root)
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().to_str().unwrap();
            format!(
                "{} = builtins.fromJSON (builtins.readFile {});",
                nix_str(&format!("http://localhost:1234/{rel}")),
                nix_str(p.to_str().unwrap())
            )
        })
        .collect();
    entries.sort();
    format!("{{ {} }}", entries.join(" "))
}

#[test]
fn json_schema_test_suite_draft2020_12_through_nix() {
    let Some(dir) = suite_dir() else {
        return;
    };
    let nix = Nix::new();
    let resources = remotes(&dir);
    let mut files: Vec<_> = std::fs::read_dir(dir.join("tests/draft2020-12"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();

    let (mut passed, mut failed, mut skipped) = (0usize, Vec::new(), Vec::new());
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let mut items = Vec::new(); // (description, expected, nix expression)
        for case in &cases {
            for t in case["tests"].as_array().unwrap() {
                let desc = format!("{name}: {} / {}", case["description"], t["description"]);
                if let Some(why) = unrepresentable(&case["schema"]).or(unrepresentable(&t["data"]))
                {
                    skipped.push(format!("{desc} ({why})"));
                    continue;
                }
                let expr = format!(
                    "(builtins.jen.checkWith opts (builtins.fromJSON {}) (builtins.fromJSON {})).valid",
                    nix_str(&case["schema"].to_string()),
                    nix_str(&t["data"].to_string())
                );
                items.push((desc, t["valid"].as_bool().unwrap(), expr));
            }
        }
        let expr = format!(
            "let opts = {{ assertFormats = false; resources = {resources}; }}; in [ {} ]",
            items
                .iter()
                .map(|(_, _, e)| format!("({e})"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let r = nix.eval_json_args(&expr, &["--impure"]);
        if !r.ok() {
            // One case made the whole file fail: evaluate them one by one.
            for (desc, expected, e) in &items {
                let one = format!(
                    "let opts = {{ assertFormats = false; resources = {resources}; }}; in {e}"
                );
                let r = nix.eval_json_args(&one, &["--impure"]);
                match serde_json::from_str::<Value>(&r.stdout) {
                    Ok(Value::Bool(b)) if r.ok() && b == *expected => passed += 1,
                    _ => failed.push(format!(
                        "{desc}: expected valid={expected}, got {}{}",
                        r.stdout.trim(),
                        r.stderr.lines().last().unwrap_or("")
                    )),
                }
            }
            continue;
        }
        let got: Vec<bool> = serde_json::from_str(&r.stdout).unwrap();
        for ((desc, expected, _), g) in items.iter().zip(got) {
            if g == *expected {
                passed += 1;
            } else {
                failed.push(format!("{desc}: expected valid={expected}"));
            }
        }
    }
    let total = passed + failed.len();
    let pct = 100.0 * passed as f64 / total as f64;
    println!("JSON Schema Test Suite draft2020-12 through Nix: {passed}/{total} passed ({pct:.2}%), {} skipped", skipped.len());
    for s in &skipped {
        println!("  skipped: {s}");
    }
    for f in &failed {
        println!("  failed: {f}");
    }
    assert!(pct >= 99.0, "pass rate {pct:.2}% is below 99%");
}
