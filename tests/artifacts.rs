//! The plugin, the core and the CLI are packages of one workspace
//! (`plugin/`, `.`, `cli/`), so that building one never replaces another's
//! output. Before the split, `cargo build --release --bin jen` after the
//! plugin's build rebuilt the one crate's cdylib without the plugin, in
//! the file the loader's backend links to, and every `nix` with the
//! plugin then printed "has no jen_backend_entry".
//!
//! Here, in a target directory of its own (under this run's target
//! directory, kept between runs): the plugin is built, then the CLI, the
//! core and the CLI again by its bin name, as a user would; the backend is
//! the same file, byte for byte, and the real `nix` still loads it.

mod common;
use common::*;

#[test]
fn building_the_cli_after_the_plugin_leaves_the_plugin_loading() {
    let target = profile_dir()
        .parent()
        .expect("target/")
        .join("artifacts-check");
    cargo_build(&target, &["-p", "jen-plugin"]);
    let plugin = target.join("debug/jen-plugin/lib/libjen_builtins.so");
    let backends = target.join("debug/jen-plugin/libexec/jen-builtins");
    let backend = std::fs::read_dir(&backends)
        .unwrap()
        .next()
        .expect("a backend")
        .unwrap()
        .path();
    let before = std::fs::read(std::fs::canonicalize(&backend).unwrap()).unwrap();

    cargo_build(&target, &["-p", "jen-cli"]);
    cargo_build(&target, &["-p", "jen-builtins"]);
    cargo_build(&target, &["--bin", "jen"]);
    assert!(target.join("debug/jen").exists());

    let after = std::fs::read(std::fs::canonicalize(&backend).unwrap()).unwrap();
    assert!(
        before == after,
        "a build of the CLI or the core changed the backend"
    );
    let nix = Nix::with_plugin(Some(plugin));
    let r = nix.eval_json("builtins.jen.version");
    assert_eq!(
        r.expect_ok().trim(),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
    assert!(!r.stderr.contains("not loaded"), "{}", r.stderr);
}
