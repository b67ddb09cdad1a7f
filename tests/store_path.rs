//! Differential test: `builtins.jen.parseStorePath` (Rust) against
//! `builtins.jen.nixParseStorePath` (Nix's own libstore parser) over a
//! generated corpus: valid paths, edge cases, and every single-character
//! substitution, deletion and insertion of several valid paths. Both run in
//! the same evaluation; they must agree on acceptance and on every part.

mod common;
use common::*;
use serde_json::Value;

const B32: &[u8] = b"0123456789abcdfghijklmnpqrsvwxyz";
const NAME: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";

fn corpus() -> Vec<String> {
    let mut g = Gen(0x6a656e2d6275696c);
    let hash = |g: &mut Gen| (0..32).map(|_| g.pick(B32) as char).collect::<String>();
    let mut out = Vec::new();

    // Random valid paths, some with sub-paths.
    for i in 0..300 {
        let len = 1 + g.below(if i % 10 == 0 { 215 } else { 40 });
        let name: String = (0..len).map(|_| g.pick(NAME) as char).collect();
        let sub = match i % 4 {
            0 => "/bin/x".to_string(),
            1 => "/".to_string(),
            _ => String::new(),
        };
        out.push(format!("/nix/store/{}-{name}{sub}", hash(&mut g)));
    }

    // Edge cases.
    let h = hash(&mut g);
    for tail in [
        "",
        "-",
        "-.",
        "-..",
        "-.-x",
        "-..-x",
        "-.x",
        "-...",
        "-..x",
        "-a.",
        "_x",
        "/x",
        "-x//y",
        "-x/../y",
        "-x/.",
        "-x/..",
        "-x/../",
        "-x/a/../..",
        "-x/../z",
        "é",
        "-é",
        "-?=+._",
        "-a b",
    ] {
        out.push(format!("/nix/store/{h}{tail}"));
    }
    out.push(format!("/nix/store/{h}-{}", "n".repeat(211)));
    out.push(format!("/nix/store/{h}-{}", "n".repeat(212)));
    for other in [
        "/nix/store",
        "/nix/store/",
        "/nix/store//x",
        "/nix/store/.",
        "/nix/store/..",
        "/nix/store/../store/x",
        "nix/store/x",
        "",
        "/",
        "/nix/storex/abc",
        "/nix/stor",
        "//nix/store/x",
    ] {
        out.push(other.to_string());
    }
    out.push(format!("/nix/store/./{h}-x"));
    out.push(format!("/nix/store/{}", &h[..31]));
    out.push(format!("/nix/store/{}-x", &h[..31]));

    // Every single-character mutation of a few valid paths.
    let mut alphabet: Vec<char> = (0x20u8..0x7f).map(|b| b as char).collect();
    alphabet.extend(['\n', '\t', '\u{1}', 'é', 'ü', '€']);
    let seeds = [
        format!("/nix/store/{}-hello-2.12", hash(&mut g)),
        format!("/nix/store/{}-.dotfile/sub", hash(&mut g)),
        format!("/nix/store/{}-a", hash(&mut g)),
        format!("/nix/store/{}-x?=+_.-y/", hash(&mut g)),
    ];
    for seed in &seeds {
        let chars: Vec<char> = seed.chars().collect();
        for i in 0..chars.len() {
            for &c in &alphabet {
                let mut m = chars.clone();
                m[i] = c;
                out.push(m.into_iter().collect());
            }
            let mut d = chars.clone();
            d.remove(i);
            out.push(d.into_iter().collect());
            for c in ['/', '.', '-'] {
                let mut ins = chars.clone();
                ins.insert(i, c);
                out.push(ins.into_iter().collect());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn parse_store_path_agrees_with_nix_on_every_generated_path() {
    let nix = Nix::new();
    let corpus = corpus();
    let file = nix.path("corpus.json");
    std::fs::write(&file, serde_json::to_string(&corpus).unwrap()).unwrap();
    let expr = format!(
        r#"let xs = builtins.fromJSON (builtins.readFile {});
               t = f: s: let r = builtins.tryEval (f s); in if r.success then r.value else null;
           in map (s: [ (t builtins.jen.parseStorePath s) (t builtins.jen.nixParseStorePath s) ]) xs"#,
        nix_str(file.to_str().unwrap())
    );
    let r = nix.eval_json_args(&expr, &["--impure"]);
    let results: Vec<[Value; 2]> = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(results.len(), corpus.len());
    let accepted = results.iter().filter(|[_, n]| !n.is_null()).count();
    // The one deliberate difference: a sub-path that leaves its store
    // object, which Nix accepts and jen refuses.
    let leaves = |p: &str, theirs: &Value| {
        let sp = jen_builtins::state::store_path::StorePath {
            store_dir: theirs["storeDir"].as_str().unwrap().into(),
            hash: theirs["hash"].as_str().unwrap().into(),
            name: theirs["name"].as_str().unwrap().into(),
            sub_path: None,
        };
        jen_builtins::state::store_path::check_stays_inside(p, &sp).is_err()
    };
    let refused_on_purpose = corpus
        .iter()
        .zip(&results)
        .filter(|(p, [ours, theirs])| ours.is_null() && !theirs.is_null() && leaves(p, theirs))
        .count();
    let disagreements: Vec<String> = corpus
        .iter()
        .zip(&results)
        .filter(|(p, [ours, theirs])| {
            ours != theirs && !(ours.is_null() && !theirs.is_null() && leaves(p, theirs))
        })
        .map(|(p, [ours, theirs])| format!("{p:?}: ours {ours}, nix {theirs}"))
        .collect();
    println!(
        "store paths: {} generated, {accepted} accepted and {} rejected by Nix, \
         {refused_on_purpose} refused by jen only (the sub-path leaves its store object), {} disagreements",
        corpus.len(),
        corpus.len() - accepted,
        disagreements.len()
    );
    assert!(
        refused_on_purpose >= 2,
        "the corpus must hold sub-paths that leave their object"
    );
    assert!(
        accepted > 500 && corpus.len() - accepted > 2000,
        "the corpus must exercise both sides"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
}

#[test]
fn rejections_are_catchable_and_say_why() {
    let nix = Nix::new();
    let r = nix.eval_json(r#"builtins.jen.parseStorePath "/nix/store/abc""#);
    let err = r.expect_err();
    assert!(
        err.contains("jen: parseStorePath: 'abc' is too short to be a valid store path"),
        "{err}"
    );
    let v = nix.value(r#"(builtins.tryEval (builtins.jen.parseStorePath "/tmp/x")).success"#);
    assert_eq!(v, Value::Bool(false));
    let v = nix.value(
        r#"builtins.jen.parseStorePath { path = "/gnu/store/0123456789abcdfghijklmnpqrsvwxyz-x/y"; storeDir = "/gnu/store"; }"#,
    );
    assert_eq!(v["subPath"], "/y");
    assert_eq!(v["storeDir"], "/gnu/store");
    let r = nix.eval_json(r#"builtins.jen.parseStorePath 3"#);
    assert!(
        r.expect_err().contains("must be a string or a set"),
        "{}",
        r.stderr
    );
}
