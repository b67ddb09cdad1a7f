//! checkStatePaths and checkStaticTree in the real Nix: Nix paths go to the
//! store, store strings with context are read where the store really is,
//! files are read under Nix's access rules, failures are catchable.

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
    assert_eq!(
        v["exclude"],
        json!(["/var/a", "/www/a", "/var/a.overlay-work"])
    );
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
        "mounts[1].mountPoint: \"/etc\" is in /etc, which the system owns",
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
    // The machine and the site, and the content as the network gives it.
    assert!(
        err.contains("jen: checkStaticTree: the static content of machines.www.sites.\"jekor.com\" (\"/nix/store/"),
        "{err}"
    );
    assert!(
        err.contains("-jekor.com\") holds 1 file under its dynamic paths, which a deploy would put over the writable data:\n"),
        "{err}"
    );
    assert!(err.contains("comments/test.json"), "{err}");
}

#[test]
fn unit_scripts_keep_the_static_content_as_a_dependency() {
    let nix = Nix::new();
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--file"])
        .arg(project_root().join("examples/jen"));
    c.args(["--arg", "pkgs"]).arg(format!(
        "import {}",
        project_root()
            .join("tests/data/stand-in-pkgs.nix")
            .display()
    ));
    c.args(["--apply", r#"p: map (site: let u = p.machines.www.units."www-mount-${site}"; in map (k: builtins.attrNames (builtins.getContext u.${k})) [ "script" "preStart" ]) [ "jekor.com" "jekos.net" ]"#, "plan"]);
    let v: serde_json::Value = serde_json::from_str(nix.run(c).expect_ok()).unwrap();
    let names = |site: usize, i: usize| -> Vec<String> {
        let mut n: Vec<String> = serde_json::from_value(v[site][i].clone()).unwrap();
        n.sort_by_key(|c| c.rsplit('-').next().unwrap().to_string());
        n
    };
    // The script: the static content, and what mounts it: mount for
    // jekor.com (overlayfs), unionfs for jekos.net (unionfs-fuse).
    for (i, site, mounter) in [
        (0, "-jekor.com", "-util-linux-2.39.4.drv"),
        (1, "-jekos.net", "-unionfs-fuse-3.6.drv"),
    ] {
        let script = names(i, 0);
        assert_eq!(script.len(), 2, "{v}");
        assert!(script.iter().any(|c| c.ends_with(site)), "{v}");
        assert!(script.iter().any(|c| c.ends_with(mounter)), "{v}");
        // The start: the static content (for jen masking) and the programs.
        let pre = names(i, 1);
        for want in [
            site,
            "-coreutils-9.5.drv",
            "-util-linux-2.39.4.drv",
            "-jen-builtins-0.1.0.drv",
        ] {
            assert!(pre.iter().any(|c| c.ends_with(want)), "{want}: {v}");
        }
    }
}

/// Generated hostile paths, each given as a state directory and as a mount
/// point in the real Nix: every one refused, by the rule that covers it,
/// with the path shown escaped; none reaches a unit.
#[test]
fn a_hostile_sweep_is_refused_rule_by_rule() {
    let nix = Nix::new();
    let mut cases: Vec<(String, &str)> = Vec::new();
    for base in ["/var/site", "/srv/a/b", "/www/x"] {
        for (p, rule) in [
            (format!("{base}/.."), "normalised"),
            (format!("{base}/../../etc"), "normalised"),
            (format!("{base}/./x"), "normalised"),
            (base.replacen('/', "//", 2), "normalised"),
            (format!("{base}/"), "normalised"),
            (base.trim_start_matches('/').to_string(), "normalised"),
            (format!("{base} x"), "characters"),
            (format!("{base}'x"), "characters"),
            (format!("{base}\"x"), "characters"),
            (format!("{base}$x"), "characters"),
            (format!("{base}`id`"), "characters"),
            (format!("{base}\nx"), "characters"),
            (format!("{base};x"), "characters"),
            (format!("{base}%i"), "characters"),
            (format!("{base}=rw:/etc=ro"), "characters"),
            (format!("{base}/-rf"), "characters"),
            (format!("{base}\u{2215}x"), "characters"),
            (format!("{base}\u{ff0f}x"), "characters"),
            (format!("{base}\u{200b}"), "characters"),
            (format!("{base}\u{a0}"), "characters"),
        ] {
            cases.push((p, rule));
        }
    }
    for (p, rule) in [
        ("/etc/nixos", "system-tree"),
        ("/nix/var/a", "system-tree"),
        ("/usr/local/a", "system-tree"),
        ("/boot/efi", "system-tree"),
        ("/proc/self", "system-tree"),
        ("/run/keys", "system-tree"),
        ("/var/lib/nixos", "system-tree"),
        ("/var/run/a", "system-tree"),
        ("/var/lib", "system-tree"),
        ("/", "system-tree"),
        ("/nix/store/x", "outside-store"),
        ("/opt/a", "allowed-tree"),
        ("/var", "allowed-tree"),
    ] {
        cases.push((p.to_string(), rule));
    }
    let file = nix.path("cases.json");
    let paths: Vec<&str> = cases.iter().map(|(p, _)| p.as_str()).collect();
    std::fs::write(&file, serde_json::to_string(&paths).unwrap()).unwrap();
    let s = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-s";
    let expr = format!(
        r#"map (p: builtins.jen.statePathViolations {{ mounts = [
             {{ name = "a"; static = "{s}"; stateDir = p; mountPoint = "/www/ok"; owner = "www"; }}
             {{ name = "b"; static = "{s}"; stateDir = "/var/ok"; mountPoint = p; owner = "www"; }} ]; }})
           (builtins.fromJSON (builtins.readFile {}))"#,
        nix_str(file.to_str().unwrap())
    );
    let v = nix.value_impure(&expr);
    let results = v.as_array().unwrap();
    assert_eq!(results.len(), cases.len());
    let shown = |p: &str| jen_builtins::path_policy::shown(p);
    for ((p, rule), got) in cases.iter().zip(results) {
        let got: Vec<&str> = got
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        for at in ["mounts[0].stateDir", "mounts[1].mountPoint"] {
            let line = got.iter().find(|l| l.starts_with(&format!("{at}: ")));
            let line = line.unwrap_or_else(|| panic!("{p:?} as {at} was accepted: {got:?}"));
            assert!(line.contains(&shown(p)), "{p:?}: {line}");
            let want = match *rule {
                "normalised" => "is not an absolute, normalised path",
                "characters" => "may hold only ASCII letters",
                "system-tree" => "the system owns",
                "outside-store" => "is in the read-only store",
                _ => "is not below one of the trees jen may write",
            };
            let want = if *rule == "system-tree" && (p == "/var/lib" || p == "/") {
                "is a system directory"
            } else {
                want
            };
            assert!(line.contains(want), "{p:?} ({rule}): {line}");
        }
    }
    // The same layouts raise in checkStatePaths, catchably.
    let v = nix.value_impure(&format!(
        "builtins.all (r: !r.success) (map (p: builtins.tryEval (builtins.jen.checkStatePaths {{ mounts = [ {{ name = \"a\"; static = \"{s}\"; stateDir = p; mountPoint = \"/www/ok\"; }} ]; }})) (builtins.fromJSON (builtins.readFile {})))",
        nix_str(file.to_str().unwrap())
    ));
    assert_eq!(v, json!(true));
}

#[test]
fn a_misspelt_attribute_is_a_type_error_naming_it_and_the_builtin() {
    let nix = Nix::new();
    let s = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-s";
    for (expr, want) in [
        (
            format!(r#"builtins.jen.checkStatePaths {{ mounts = [ {{ name = "a"; static = "{s}"; stateDir = "/var/a"; mountpoint = "/www/a"; }} ]; }}"#),
            "jen: checkStatePaths: mounts[0] has an unexpected attribute 'mountpoint': did you mean 'mountPoint'? (expected: name, static, stateDir, mountPoint, owner, union, workDir, at)",
        ),
        (
            r#"builtins.jen.checkStatePaths { mount = [ ]; }"#.to_string(),
            "jen: checkStatePaths: the argument has an unexpected attribute 'mount': did you mean 'mounts'? (expected: mounts, storeDir, machine)",
        ),
        (
            r#"builtins.jen.checkStaticTree { static = "/x"; dynamic = [ 1 ]; }"#.to_string(),
            "jen: checkStaticTree: dynamic[0] must be a string, but it is an integer",
        ),
        (
            r#"builtins.jen.parseStorePath { path = "/x"; storedir = "/y"; }"#.to_string(),
            "jen: parseStorePath: the argument has an unexpected attribute 'storedir': did you mean 'storeDir'? (expected: path, storeDir)",
        ),
        (
            r#"builtins.jen.knownHostKeys { knownHosts = [ "" 3 ]; host = "a"; }"#.to_string(),
            "jen: knownHostKeys: knownHosts[1] must be a path or a string, but it is an integer",
        ),
        (
            r#"builtins.jen.resolveSshConfig { config = ""; host = "a"; local = { user = "me"; homedir = "/h"; }; }"#.to_string(),
            "jen: resolveSshConfig: local has an unexpected attribute 'homedir': did you mean 'home'? (expected: user, home, hostname, uid)",
        ),
        (
            r#"builtins.jen.checkStatePaths [ [ ] ]"#.to_string(),
            "jen: checkStatePaths: the argument must be a set, but it is a list",
        ),
    ] {
        let r = nix.eval_json(&expr);
        let err = r.expect_err();
        assert!(err.contains(want), "{expr}\nwant {want}\ngot {err}");
        // A type error, as Nix's own builtins raise: tryEval does not catch it.
        let r = nix.eval_json(&format!("builtins.tryEval ({expr})"));
        assert!(r.expect_err().contains(want), "{expr}");
    }
}
