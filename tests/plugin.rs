//! The plugin loads into the real Nix and `builtins.jen` works end to end:
//! registration, the JSON round trip, the three error kinds, `:doc`.

mod common;
use common::*;
use serde_json::json;

#[test]
fn plugin_loads_and_reports_its_version() {
    let nix = Nix::new();
    let v = nix.value("builtins.jen.version");
    assert_eq!(v, json!(env!("CARGO_PKG_VERSION")));
}

#[test]
fn without_the_plugin_there_is_no_builtins_jen() {
    let nix = Nix::with_plugin(None);
    assert_eq!(nix.value("builtins ? jen"), json!(false));
    let nix = Nix::new();
    assert_eq!(nix.value("builtins ? jen"), json!(true));
    // A global `jen` would shadow nothing but pollutes the scope: only builtins.jen.
    let r = nix.eval_json("jen");
    assert!(
        r.expect_err().contains("undefined variable 'jen'"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_builtin_in_the_core_table_is_registered() {
    let nix = Nix::new();
    let names = nix.value("builtins.attrNames builtins.jen");
    let mut expected: Vec<String> = jen_builtins::builtins::all()
        .iter()
        .map(|b| b.name.to_string())
        .collect();
    expected.push("version".into());
    expected.push("nixParseStorePath".into()); // the C++-only test aid
    expected.sort();
    assert_eq!(names, json!(expected));
    for b in jen_builtins::builtins::all() {
        let arity = nix.value(&format!(
            "builtins.functionArgs builtins.jen.{} == {{}}",
            b.name
        ));
        assert_eq!(arity, json!(true), "{} is not a function", b.name);
    }
}

#[test]
fn json_round_trip_keeps_types() {
    let nix = Nix::new();
    let expr = r#"
      let v = {
        int = 42; neg = -7; big = 9223372036854775807; small = -9223372036854775807;
        float = 1.5; whole = 1.0; tiny = 1.0e-300;
        t = true; f = false; n = null;
        s = "héllo wörld ✓ 😀"; empty = ""; esc = "a\"b\\c\nd\te";
        list = [ 1 "two" [ 3 ] { four = 4; } ]; emptyList = [ ]; emptySet = { };
        nested.deeper.deepest = [ { x = 1; } ];
      };
          r = builtins.jen.echo v;
      in { same = r == v;
           types = builtins.mapAttrs (_: builtins.typeOf) r;
           inherit r; }
    "#;
    let out = nix.value(expr);
    assert_eq!(out["same"], json!(true), "{out:#}");
    assert_eq!(out["types"]["int"], "int");
    assert_eq!(out["types"]["whole"], "float");
    assert_eq!(out["types"]["float"], "float");
    assert_eq!(out["types"]["n"], "null");
    assert_eq!(out["types"]["emptySet"], "set");
    assert_eq!(out["types"]["emptyList"], "list");
    assert_eq!(out["r"]["big"], json!(i64::MAX));
    assert_eq!(out["r"]["s"], json!("héllo wörld ✓ 😀"));
}

#[test]
fn nix_instantiate_loads_the_plugin_too() {
    let nix = Nix::new();
    let r = nix.instantiate("builtins.jen.echo { a = [ 1 2.5 ]; }");
    assert_eq!(r.expect_ok().trim(), r#"{"a":[1,2.5]}"#);
}

#[test]
fn paths_become_strings_and_derivation_like_sets_their_out_path() {
    let nix = Nix::new();
    let out = nix.value(
        r#"builtins.jen.echo { p = /etc/hostname; d = { type = "derivation"; outPath = "/nix/store/x"; }; s = { __toString = _: "str"; }; }"#,
    );
    assert_eq!(
        out,
        json!({"p": "/etc/hostname", "d": "/nix/store/x", "s": "str"})
    );
}

#[test]
fn to_json_pretty_prints_sorted_indented_json() {
    let nix = Nix::new();
    let r = nix.eval_raw("builtins.jen.toJSONPretty { b = [ 1 2 ]; a = true; }");
    assert_eq!(
        r.expect_ok(),
        "{\n  \"a\": true,\n  \"b\": [\n    1,\n    2\n  ]\n}"
    );
}

#[test]
fn a_function_in_the_value_is_a_positioned_type_error() {
    let nix = Nix::new();
    let r = nix.eval_json_args("builtins.jen.echo { a.b = x: x; }", &["--show-trace"]);
    let err = r.expect_err();
    assert!(
        err.contains("«string»:1:27"),
        "the error points at the function: {err}"
    );
    assert!(
        err.contains("jen: echo: cannot convert a function to JSON: a value is expected here"),
        "{err}"
    );
    assert!(err.contains("while evaluating attribute 'b'"), "{err}");
    assert!(err.contains("builtins.jen.echo"), "{err}");
    // Type errors are not catchable, as for Nix's own builtins.
    let r = nix.eval_json("(builtins.tryEval (builtins.jen.echo (x: x))).success");
    r.expect_err();
}

#[test]
fn a_panic_in_rust_becomes_an_evaluation_error() {
    let mut nix = Nix::new();
    nix.extra_env
        .push(("JEN_BUILTINS_TEST_PANIC".into(), "echo".into()));
    let r = nix.eval_json("builtins.jen.echo 1");
    let err = r.expect_err();
    assert!(err.contains("jen: echo: internal error"), "{err}");
    assert!(err.contains("JEN_BUILTINS_TEST_PANIC"), "{err}");
    assert!(
        !err.contains("panicked at"),
        "Rust's panic banner leaked: {err}"
    );
    // The same process keeps evaluating other builtins after a panic.
    let r = nix.eval_json(
        "[ (builtins.tryEval (builtins.jen.echo 1)).success (builtins.jen.toJSONPretty 2) ]",
    );
    r.expect_err(); // internal errors are not catchable
    let r = nix.eval_json("builtins.jen.toJSONPretty 2");
    assert_eq!(r.expect_ok().trim(), "\"2\"");
}

/// `input` typed into `nix repl` with the plugin: what it printed, on
/// both streams.
fn repl(nix: &Nix, input: &str) -> String {
    use std::io::Write;
    let mut c = nix.command("nix");
    c.args(["repl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn repl_doc_shows_the_builtin_documentation() {
    let text = repl(
        &Nix::new(),
        ":doc builtins.jen.echo\n:doc builtins.jen.toJSONPretty\n",
    );
    assert!(text.contains("builtins.jen.echo"), "{text}");
    assert!(text.contains("round trip through jen-builtins"), "{text}");
    assert!(text.contains("indented JSON text"), "{text}");
}

#[test]
fn repl_doc_shows_the_library_documentation() {
    let fns = [
        ("plan", "Validate `network`"),
        ("formatPlan", "as a short text report"),
        ("mountUnit", "mounts one\nwritable site"),
        ("jobs", "One nix-eval-jobs job per machine"),
        ("typesFor", "Option types for nixpkgs' module system"),
        ("unitPrograms", "The programs a mount unit runs"),
        ("shellQuote", "single-quoted for the POSIX shell"),
        ("machineMounts", "The union mounts of a validated machine"),
    ];
    let mut input = format!("jen = import {}/nix {{ }}\n", project_root().display());
    for (f, _) in fns {
        input += &format!(":doc jen.lib.{f}\n");
    }
    let text = repl(&Nix::new(), &input);
    // The repl wraps paragraphs: compare with the text's words alone.
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let all = words(&text);
    for (f, doc) in fns {
        assert!(all.contains(&format!("Function `{f}`")), "{f}: {text}");
        assert!(all.contains(&words(doc)), "{f}: {doc:?} missing in {text}");
    }
}

#[test]
fn the_shim_writes_the_json_builtins_to_json_writes() {
    // The shim's own JSON writer against Nix's: the same values after a
    // round trip, for the cases a hand-written writer gets wrong.
    let nix = Nix::new();
    let expr = r#"
      let v = {
        floats = [ 0.1 1.0 (-0.0) 1.0e20 1.0e-7 123456789.125 2.5e300 (1.0 / 3) ];
        ints = [ 0 (-1) 9223372036854775807 (-9223372036854775807 - 1) ];
        control = builtins.fromJSON "\"x\\u0001\\u001f\\u007f\\b\\f\\n\\r\\t\"";
        quotes = "\" \\ / ${"$"}{x}";
        unicode = [ "é" "€" "𝄞" "\u{10FFFF}" ];
        "key \"quoted\"" = 1;
        "" = "empty key";
        list = [ [ ] { } [ [ ] ] ];
        drv = { outPath = { outPath = "nested"; }; };
        str = { __toString = self: "to ${self.x}"; x = "string"; };
        # The reader shares equal strings and caches keys: repeats, with
        # and without escapes, in keys and values.
        repeats = [ "same" "same" "a\nb" "a\nb" "" "" { "k\n" = "v"; k = "v"; } { "k\n" = "w"; k = "w"; } ];
      };
      in { same = builtins.jen.echo v == builtins.fromJSON (builtins.toJSON v);
           floats = builtins.jen.echo v.floats == v.floats;
           types = map builtins.typeOf (builtins.jen.echo v.floats); }
    "#;
    let out = nix.value(expr);
    assert_eq!(out["same"], json!(true), "{out}");
    assert_eq!(out["floats"], json!(true), "{out}");
    assert!(
        out["types"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t == "float"),
        "{out}"
    );
}

#[test]
fn a_string_that_is_not_utf8_is_a_type_error_naming_the_argument() {
    let nix = Nix::new();
    // substring cuts "é" in the middle of its two bytes.
    let r = nix.eval_json(r#"builtins.jen.echo { a = builtins.substring 0 1 "é"; }"#);
    let err = r.expect_err();
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(err.contains("the argument 'value'"), "{err}");
    assert!(err.contains("0xC3"), "{err}");
    let r = nix.eval_json(
        r#"(builtins.tryEval (builtins.jen.echo (builtins.substring 0 1 "é"))).success"#,
    );
    r.expect_err();
}
