//! `lib.typesFor lib`: module-system option types backed by the plugin,
//! through nixpkgs' real `lib.evalModules` (from `JEN_NIXPKGS`). A
//! Fediversity-style data model declared as one `jsonSchema` option
//! reports every violation at once, where the module system's own types
//! stop at the first.

mod common;
use common::*;
use serde_json::json;

/// `lib.evalModules` with the option `fediversity.network` of `type` and
/// the module `config`; `body` is evaluated with `config` in scope.
fn eval(nix: &Nix, ty: &str, config: &str, body: &str) -> Option<Run> {
    let lib = nixpkgs_lib("tests/module_types.rs (lib.typesFor in nixpkgs' lib.evalModules)")?;
    let expr = format!(
        r#"let
             lib = import {lib};
             jenTypes = (import {jen} {{ }}).lib.typesFor lib;
             config = (lib.evalModules {{
               modules = [
                 {{ options.fediversity.network = lib.mkOption {{ type = {ty}; }}; }}
                 {config}
               ];
             }}).config;
           in {body}"#,
        lib = lib.display(),
        jen = project_root().join("nix").display(),
    );
    Some(nix.eval_json_args(&expr, &["--impure"]))
}

fn data_model() -> String {
    format!(
        "jenTypes.jsonSchema {}",
        project_root().join("nix/data-model.json").display()
    )
}

const NETWORK: &str = r#"{ fediversity.network = {
    name = "fedi"; tld = "example.org";
    machines.web = { provider = { type = "ovh"; address = "192.0.2.1"; }; sites."a.example.org".static = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a"; };
  }; }"#;

#[test]
fn a_valid_value_passes_and_definitions_merge() {
    let nix = Nix::new();
    let Some(r) = eval(
        &nix,
        &data_model(),
        &format!(
            r#"{{ imports = [ ({NETWORK}) ];
                 fediversity.network.machines.db = {{ provider = {{ type = "ovh"; address = "192.0.2.2"; }}; }}; }}"#
        ),
        "builtins.attrNames config.fediversity.network.machines",
    ) else {
        return;
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(r.expect_ok()).unwrap(),
        json!(["db", "web"])
    );
}

#[test]
fn every_violation_at_once_with_its_option_path() {
    let nix = Nix::new();
    let Some(r) = eval(
        &nix,
        &data_model(),
        r#"{ fediversity.network = {
              name = "Fedi Net"; tld = "example.org";
              machines.web = { provider = { type = "ovh"; address = "192.0.2.1"; }; ssh.port = 70000; };
              machines.db = { provider.type = "nonesuch"; };
            }; }"#,
        "config.fediversity.network",
    ) else {
        return;
    };
    let err = r.expect_err();
    assert!(
        err.contains("The option `fediversity.network' is not valid under its JSON Schema ("),
        "{err}"
    );
    for at in [
        "fediversity.network.name:",
        "fediversity.network.machines.web.ssh.port: 70000 is greater than the maximum of 65535",
        "fediversity.network.machines.db.provider",
    ] {
        assert!(err.contains(at), "missing {at:?} in\n{err}");
    }
    // Catchable, as the module system's own type errors are.
    let Some(r) = eval(
        &nix,
        &data_model(),
        r#"{ fediversity.network = { name = "x"; }; }"#,
        "(builtins.tryEval (builtins.deepSeq config.fediversity.network 1)).success",
    ) else {
        return;
    };
    assert_eq!(r.expect_ok().trim(), "false");
}

#[test]
fn the_module_system_alone_stops_at_the_first() {
    // The comparison the type exists for: the same two faults in
    // lib.types submodules; the module system reports one.
    let nix = Nix::new();
    let ty = r#"lib.types.submodule { options = {
        name = lib.mkOption { type = lib.types.strMatching "[a-z]+"; };
        port = lib.mkOption { type = lib.types.port; };
      }; }"#;
    let Some(r) = eval(
        &nix,
        ty,
        r#"{ fediversity.network = { name = "Fedi Net"; port = 70000; }; }"#,
        "builtins.deepSeq config.fediversity.network 1",
    ) else {
        return;
    };
    let err = r.expect_err();
    let named = ["fediversity.network.name", "fediversity.network.port"]
        .iter()
        .filter(|o| err.contains(&format!("`{o}'")))
        .count();
    assert_eq!(named, 1, "{err}");
    // jsonSchema with the same rules names both.
    let schema = r#"jenTypes.jsonSchema { type = "object"; properties = {
        name = { type = "string"; pattern = "^[a-z]+$"; };
        port = { type = "integer"; minimum = 0; maximum = 65535; }; }; }"#;
    let Some(r) = eval(
        &nix,
        schema,
        r#"{ fediversity.network = { name = "Fedi Net"; port = 70000; }; }"#,
        "builtins.deepSeq config.fediversity.network 1",
    ) else {
        return;
    };
    let err = r.expect_err();
    assert!(err.contains("(2 violations)"), "{err}");
    assert!(
        err.contains("fediversity.network.name:") && err.contains("fediversity.network.port:"),
        "{err}"
    );
}
