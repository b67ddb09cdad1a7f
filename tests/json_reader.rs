//! The shim's JSON reader (`cpp/json-reader.hh`, which brings every
//! builtin's answer back into Nix) against Nix's own `builtins.fromJSON`,
//! through the test aid `builtins.jen.shimFromJSON`: the same value for
//! every JSON file of `../shared/conformance` (skipped without it) and for
//! crafted edge cases, and an error for every text that serde_json, a
//! strict RFC 8259 parser, refuses.
#![cfg(feature = "plugin")]

mod common;
use common::*;
use serde_json::json;
use std::path::PathBuf;

/// `{ same; types; }` per text, all in one evaluation: the reader's value
/// against `builtins.fromJSON`'s. `texts` are Nix expressions of the texts
/// (string literals, or `builtins.readFile` of a file).
fn compare(nix: &Nix, list: &[String]) -> serde_json::Value {
    nix.value_impure(&format!(
        "map (t: let ours = builtins.jen.shimFromJSON t; theirs = builtins.fromJSON t; \
         in {{ same = ours == theirs; types = builtins.typeOf ours == builtins.typeOf theirs; }}) [ {} ]",
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
            "shimFromJSON and fromJSON differ on {t}"
        );
    }
}

#[test]
fn reads_what_builtins_from_json_reads() {
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
    // Deeper than the core's argument limit (1,000): the reader keeps its
    // stack on the heap. (Valid by construction; too deep for the oracle
    // on a test thread's stack.)
    let mut texts = texts;
    texts.push(format!("{}1{}", "[".repeat(2000), "]".repeat(2000)));
    let nix = Nix::new();
    let literals: Vec<String> = texts.iter().map(|t| nix_str(t)).collect();
    assert_all_same(&texts, &compare(&nix, &literals));
}

#[test]
fn refuses_what_is_not_json_with_a_catchable_error() {
    let bad = [
        "",
        " ",
        "01",
        "-01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "[1,]",
        "[,1]",
        "[1 2]",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#"{"a":}"#,
        "[",
        "]",
        "{",
        r#"{"a":1"#,
        r#""\x""#,
        r#""\u12""#,
        r#""\ud834""#,
        r#""\udd1e""#,
        r#""\ud834\u0041""#,
        "\"a\tb\"",
        "\"unterminated",
        r#""a"x"#,
        "{}{}",
        "tru",
        "nul",
        "falsey",
        "NaN",
        "Infinity",
        // Beyond what a Nix integer holds (Nix's fromJSON refuses it too).
        "9223372036854775808",
    ];
    let nix = Nix::new();
    let list: Vec<String> = bad.iter().map(|t| nix_str(t)).collect();
    let out = nix.value(&format!(
        "map (t: (builtins.tryEval (builtins.jen.shimFromJSON t)).success) [ {} ]",
        list.join(" ")
    ));
    for (t, ok) in bad.iter().zip(out.as_array().unwrap()) {
        assert_eq!(ok, &json!(false), "shimFromJSON accepted {t:?}");
        assert!(
            oracle(t).is_err() || *t == "9223372036854775808",
            "the oracle accepts {t:?}"
        );
    }
    // The message says where.
    let r = nix.eval_json(r#"builtins.jen.shimFromJSON "[1, 2,]""#);
    let err = r.expect_err();
    assert!(
        err.contains("jen: shimFromJSON: malformed JSON at byte 6"),
        "{err}"
    );
    // Misuse is a type error, as for builtins.fromJSON.
    let err = nix
        .eval_json("builtins.jen.shimFromJSON 1")
        .expect_err()
        .to_string();
    assert!(err.contains("expected a string"), "{err}");
}

#[test]
fn reads_every_conformance_file_as_builtins_from_json_does() {
    let Some(root) = conformance("") else {
        return;
    };
    let files = json_files(&root);
    // Nix strings cannot hold NUL, and Nix integers are 64-bit: texts
    // with either are left out (the reader refuses a NUL; fromJSON would
    // cut the string or fail).
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
