//! Every builtin's answer crosses back as a value tree (`src/tree`, read
//! by `cpp/tree-merge.cc`, the shim's one reader of results). Through
//! `builtins.jen.echo`, whose answer is its argument after the whole round
//! trip (written as a tree, read by the core, written again as the result
//! tree, read back into Nix), every value `builtins.fromJSON` makes of the
//! JSON files of `../shared/conformance` (skipped without it, failing
//! under CI) and of crafted edge cases comes back equal, of the same types.

mod common;
use common::*;
use serde_json::json;
use std::path::PathBuf;

/// `{ same; types; }` per text, all in one evaluation: the value after the
/// round trip against `builtins.fromJSON`'s, and their types to the
/// leaves (`==` holds between 1 and 1.0). `texts` are Nix expressions of
/// the texts (string literals, or `builtins.readFile` of a file).
fn compare(nix: &Nix, list: &[String]) -> serde_json::Value {
    nix.value_impure(&format!(
        "let types = v: let t = builtins.typeOf v; in \
           if t == \"set\" then builtins.mapAttrs (_: types) v \
           else if t == \"list\" then map types v else t; \
         in map (t: let theirs = builtins.fromJSON t; ours = builtins.jen.echo theirs; \
         in {{ same = ours == theirs; types = types ours == types theirs; }}) [ {} ]",
        list.join(" ")
    ))
}

/// serde_json as the oracle of what is JSON, without its nesting limit.
fn oracle(text: &str) -> serde_json::Result<serde_json::Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v = serde::Deserialize::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

fn assert_all_same(what: &[String], out: &serde_json::Value) {
    let rows = out.as_array().expect("a list");
    assert_eq!(rows.len(), what.len());
    for (t, row) in what.iter().zip(rows) {
        assert_eq!(
            row,
            &json!({"same": true, "types": true}),
            "the round trip changed {t}"
        );
    }
}

#[test]
fn crafted_values_come_back_as_they_went() {
    let texts: Vec<String> = [
        r#""\ud834\udd1e and \u00e9\u20ac \/ \" \\ \b\f\n\r\t \u0001""#,
        r#""𝄞 raw é""#,
        "-0",
        "-0.0",
        "0",
        "1E5",
        "1e-5",
        "2.5E+3",
        "0.1",
        "123456789.125",
        "9223372036854775807",
        "-9223372036854775808",
        "[]",
        "{}",
        " \t\r\n [ 1 , 2 ,\n 3 ] \n",
        r#"{"a":1,"b":{"c":[true,false,null,{"":""}]},"é":{"\n":[[[]]]}}"#,
        r#"{"k":"v","k2":"v","x":["v","v","a\nb","a\nb"]}"#,
        r#"[{"same":1},{"same":2},{"same\u0020key":3}]"#,
        // A key twice: the last one counts, as in builtins.fromJSON.
        r#"{"a":1,"b":0,"a":2,"a":{"c":3}}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in &texts {
        oracle(t).unwrap_or_else(|e| panic!("the oracle refuses {t}: {e}"));
    }
    // As deep as an argument may be (the shim's and the core's limit,
    // 1,000 levels, the list itself included), and a string of 1 MB.
    let mut texts = texts;
    texts.push(format!("{}1{}", "[".repeat(999), "]".repeat(999)));
    let nix = Nix::new();
    let mut literals: Vec<String> = texts.iter().map(|t| nix_str(t)).collect();
    // Too long for a command line: from a file.
    let big = nix.path("big.json");
    std::fs::write(&big, format!("\"{}\"", "é".repeat(1 << 19))).unwrap();
    texts.push("a string of 1 MB".into());
    literals.push(format!(
        "(builtins.readFile {})",
        nix_str(&big.display().to_string())
    ));
    assert_all_same(&texts, &compare(&nix, &literals));
}

#[test]
fn every_conformance_file_comes_back_as_it_went() {
    let Some(root) = conformance("") else {
        return;
    };
    let files = json_files(&root);
    // Nix strings cannot hold NUL, and Nix integers are 64-bit: texts
    // with either are left out (fromJSON would cut the string or fail).
    let (kept, skipped): (Vec<PathBuf>, Vec<PathBuf>) = files.into_iter().partition(|f| {
        let t = std::fs::read_to_string(f).unwrap();
        !t.contains("\\u0000") && !has_huge_integer(&t)
    });
    assert!(kept.len() > 100, "only {} conformance files", kept.len());
    eprintln!(
        "{} conformance files compared, {} left out (NUL or integers beyond 64 bits): {skipped:?}",
        kept.len(),
        skipped.len()
    );
    let names: Vec<String> = kept.iter().map(|f| f.display().to_string()).collect();
    let reads: Vec<String> = names
        .iter()
        .map(|f| format!("(builtins.readFile {})", nix_str(f)))
        .collect();
    let nix = Nix::new();
    assert_all_same(&names, &compare(&nix, &reads));
}

fn has_huge_integer(text: &str) -> bool {
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) => n.is_u64() && n.as_i64().is_none(),
            serde_json::Value::Array(a) => a.iter().any(walk),
            serde_json::Value::Object(o) => o.values().any(walk),
            _ => false,
        }
    }
    oracle(text).map_or(true, |v| walk(&v))
}
