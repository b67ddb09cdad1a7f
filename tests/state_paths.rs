//! checkStatePaths and checkStaticTree in the real Nix: Nix paths go to the
//! store, store strings with context are read where the store really is,
//! files are read under Nix's access rules, failures are catchable.
#![cfg(feature = "plugin")]

mod common;
use common::*;
use serde_json::json;

fn site(nix: &Nix, files: &[&str]) -> String {
    let root = nix.path("site");
    for f in files {
        let p = root.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    root.display().to_string()
}

#[test]
fn a_nix_path_as_static_goes_to_the_store() {
    let nix = Nix::new();
    let dir = site(&nix, &["index.html"]);
    let v = nix.value_impure(&format!(
        r#"(builtins.jen.checkStatePaths {{ mounts = [ {{ name = "a"; static = {dir}; stateDir = "/var/a"; mountPoint = "/www/a"; owner = "www"; }} ]; }})"#
    ));
    let stat = v["mounts"][0]["static"].as_str().unwrap();
    assert!(
        stat.starts_with("/nix/store/") && stat.ends_with("-site"),
        "{stat}"
    );
    assert_eq!(v["backup"], json!(["/var/a"]));
    assert_eq!(v["exclude"], json!(["/var/a", "/www/a"]));
}

#[test]
fn every_layout_fault_is_reported_and_catchable() {
    let nix = Nix::new();
    let s = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-s";
    let expr = format!(
        r#"builtins.jen.checkStatePaths {{ mounts = [
             {{ name = "a"; static = "{s}"; stateDir = "/var/a"; mountPoint = "/nix/store/x"; }}
             {{ name = "b"; static = "/tmp/s"; stateDir = "/var/a"; mountPoint = "/etc"; owner = "Bad"; }} ]; }}"#
    );
    let r = nix.eval_json(&expr);
    let err = r.expect_err();
    assert!(
        err.contains("jen: checkStatePaths: the state paths are not safe (5 violations):"),
        "{err}"
    );
    for line in [
        "mounts[0].mountPoint: \"/nix/store/x\" is in the read-only store /nix/store",
        "mounts[1].mountPoint: \"/etc\" is a system directory",
        "mounts[1].owner: \"Bad\" is not a valid user name",
        "mounts[1].stateDir: \"/var/a\" is also mounts[0].stateDir",
        "mounts[1].static: not a valid store path: path '/tmp/s' is not in the Nix store",
    ] {
        assert!(err.contains(line), "missing {line:?} in\n{err}");
    }
    let v = nix.value(&format!("(builtins.tryEval ({expr})).success"));
    assert_eq!(v, json!(false));
}

#[test]
fn static_trees_are_read_through_nix_and_checked() {
    let nix = Nix::new();
    let dir = site(
        &nix,
        &["index.html", "comments/1.json", "posts/x/comments.json"],
    );
    // A path, read through Nix.
    let r = nix.eval_json_args(
        &format!(r#"builtins.jen.checkStaticTree {{ static = {dir}; dynamic = [ "comments/**" "**/comments.json" ]; }}"#),
        &["--impure"],
    );
    let err = r.expect_err();
    assert!(
        err.contains("holds 2 files under its dynamic paths"),
        "{err}"
    );
    assert!(
        err.contains("\n         comments/1.json\n         posts/x/comments.json"),
        "{err}"
    );
    // A store path with context, in this test's chroot store.
    let v = nix.value_impure(&format!(
        r#"(builtins.jen.checkStaticTree {{ static = "${{{dir}}}"; dynamic = [ "uploads/**" ]; }}).files"#
    ));
    assert_eq!(v, json!(3));
    // Pure evaluation: the directory is refused as builtins.readDir would be.
    let r = nix.eval_json(&format!(
        r#"builtins.jen.checkStaticTree {{ static = "{dir}"; dynamic = [ ]; }}"#
    ));
    let err = r.expect_err();
    assert!(err.contains("forbidden in pure evaluation mode"), "{err}");
}

#[test]
fn the_example_plan_checks_static_trees() {
    let nix = Nix::new();
    // Copy the example and ship a comment in jekor.com's static content.
    let copy = nix.path("ex");
    let status = std::process::Command::new("cp")
        .args([
            "-r",
            project_root().join("examples").to_str().unwrap(),
            copy.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::create_dir_all(copy.join("jen/sites/jekor.com/comments")).unwrap();
    std::fs::write(copy.join("jen/sites/jekor.com/comments/test.json"), "{}").unwrap();
    std::fs::create_dir_all(nix.path("nix")).unwrap();
    for f in ["default.nix", "lib.nix", "data-model.json"] {
        std::fs::copy(project_root().join("nix").join(f), nix.path("nix").join(f)).unwrap();
    }
    let mut c = nix.command("nix");
    c.args(["eval", "--raw", "--file"])
        .arg(copy.join("jen"))
        .arg("report");
    let r = nix.run(c);
    let err = r.expect_err();
    assert!(err.contains("jen: checkStaticTree:"), "{err}");
    assert!(err.contains("comments/test.json"), "{err}");
}

#[test]
fn unit_scripts_keep_the_static_content_as_a_dependency() {
    let nix = Nix::new();
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--file"])
        .arg(project_root().join("examples/jen"));
    c.args(["--apply", r#"p: builtins.attrNames (builtins.getContext p.machines.www.units."www-mount-jekor.com".script)"#, "plan"]);
    let v: serde_json::Value = serde_json::from_str(nix.run(c).expect_ok()).unwrap();
    let ctx = v.as_array().unwrap();
    assert_eq!(ctx.len(), 1, "{v}");
    assert!(ctx[0].as_str().unwrap().ends_with("-jekor.com"), "{v}");
}
