//! The jen data model and the Nix library, evaluated by the real Nix:
//! validateNetwork's defaults and all-at-once errors, schema files read
//! through Nix, the example network's plan, the missing-plugin message.

mod common;
use common::*;
use serde_json::{json, Value};

fn root() -> String {
    project_root().display().to_string()
}

#[test]
fn the_example_network_plans_with_defaults_mounts_and_units() {
    let nix = Nix::new();
    for (variant, host) in [
        ("ovh", "144.217.85.49"),
        ("hetzner", "46.4.72.243"),
        ("vbox", "www.lan"),
    ] {
        let mut c = nix.command("nix");
        c.args(["eval", "--json", "--file"])
            .arg(project_root().join("examples/jen"));
        c.args(["--arg", "variant", &format!("\"{variant}\"")]);
        c.args(["--arg", "pkgs"]).arg(format!(
            "import {}",
            project_root()
                .join("tests/data/stand-in-pkgs.nix")
                .display()
        ));
        c.arg("plan");
        let plan: serde_json::Value = serde_json::from_str(nix.run(c).expect_ok()).unwrap();
        let www = &plan["machines"]["www"];
        let t = &www["target"];
        assert_eq!(
            (t["host"].as_str(), t["port"].as_u64(), t["user"].as_str()),
            (Some(host), Some(22), Some("root")),
            "{variant}"
        );
        let host_key =
            std::fs::read_to_string(project_root().join("examples/jen/keys/www_host_ed25519.pub"))
                .unwrap();
        let host_key = bare_key(&host_key);
        assert_eq!(t["hostPublicKey"], json!(host_key), "{variant}");
        assert_eq!(t["lockout"], json!(false), "{variant}: {t}");
        assert!(t["identityFiles"][0]
            .as_str()
            .unwrap()
            .ends_with("examples/jen/keys/deploy_ed25519"));
        assert_eq!(www["backup"], json!(["/var/jekor.com", "/var/jekos.net"]));
        // jekor.com on overlayfs (its work directory excluded from
        // deploys, never backed up), jekos.net on unionfs-fuse.
        assert_eq!(
            www["exclude"],
            json!([
                "/var/jekor.com",
                "/www/jekor.com",
                "/var/jekor.com.overlay-work",
                "/var/jekos.net",
                "/www/jekos.net"
            ])
        );
        assert_eq!(
            www["mounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["union"].clone(), m["workDir"].clone()))
                .collect::<Vec<_>>(),
            [
                (json!("overlayfs"), json!("/var/jekor.com.overlay-work")),
                (json!("unionfs-fuse"), json!(null))
            ]
        );
        let jekos = www["units"]["www-mount-jekos.net"]["script"]
            .as_str()
            .unwrap();
        // No uid= option: the union shows the real owners.
        let unionfs = "-unionfs-fuse-3.6/bin/unionfs -o cow,allow_other,hide_meta_files '/var/jekos.net=rw:/nix/store/";
        assert!(
            jekos.starts_with("/nix/store/")
                && jekos.contains(unionfs)
                && jekos.ends_with("-jekos.net=ro' '/www/jekos.net'"),
            "{jekos}"
        );
        let unit = &www["units"]["www-mount-jekor.com"];
        let script = unit["script"].as_str().unwrap();
        let overlay = "-util-linux-2.39.4/bin/mount -t overlay -o 'lowerdir=/nix/store/";
        assert!(
            script.starts_with("/nix/store/") && script.contains(overlay),
            "{script}"
        );
        // The writable branch gets comments/ (dynamic "comments/**"), made
        // as the site's owner.
        let pre = unit["preStart"].as_str().unwrap();
        assert!(
            pre.contains("-util-linux-2.39.4/bin/runuser -u 'fsrest' -- /nix/store/")
                && pre
                    .contains("-coreutils-9.5/bin/mkdir -p -m 0755 -- '/var/jekor.com/comments'\n"),
            "{pre}"
        );
        assert!(
            script.ends_with(
                "-jekor.com,upperdir=/var/jekor.com,workdir=/var/jekor.com.overlay-work' -- overlay '/www/jekor.com'"
            ),
            "{script}"
        );
        let stop = unit["serviceConfig"]["ExecStop"].as_str().unwrap();
        assert!(
            stop.starts_with("/nix/store/")
                && stop.ends_with("-util-linux-2.39.4/bin/umount /www/jekor.com"),
            "{stop}"
        );
        assert!(unit["preStart"]
            .as_str()
            .unwrap()
            .contains("-coreutils-9.5/bin/chown -- 'fsrest' '/var/jekor.com'"));
        assert_eq!(
            www["machine"]["sites"]["minjs.com"]["writable"],
            json!(false)
        );
        assert_eq!(
            www["nixops4"]["ssh"],
            json!({"host": host, "user": "root", "opts": [], "hostPublicKey": host_key})
        );
        assert_eq!(www["units"].as_object().unwrap().len(), 2);
    }
}

#[test]
fn the_main_report_is_readable_text() {
    let nix = Nix::new();
    let mut c = nix.command("nix");
    c.args(["eval", "--raw", "--file"])
        .arg(project_root().join("examples/jen"))
        .arg("report");
    let r = nix.run(c);
    let out = r.expect_ok();
    assert!(out.contains("machine www (ovh)"), "{out}");
    assert!(out.contains("deploy   root@144.217.85.49 port 22"), "{out}");
    assert!(
        out.contains("backup   /var/jekor.com /var/jekos.net"),
        "{out}"
    );
    // What a deploy makes before the first start (lib.plan's stateDirs).
    assert!(
        out.contains("prepare  /var/jekor.com (fsrest 0755) /var/jekor.com/comments (fsrest 0755) /var/jekor.com.overlay-work (root 0700) /var/jekos.net (fsrest 0755)"),
        "{out}"
    );
    assert!(out.contains("vocabulink.com  proxy :8002"), "{out}");
    // A redirect says where it goes.
    assert!(out.contains("also: www.minjs.com -> minjs.com"), "{out}");
    // Both unions, each named.
    assert!(
        out.contains("static       overlayfs: /var/jekor.com (rw) over /nix/store/"),
        "{out}"
    );
    assert!(
        out.contains("proxy :8001  unionfs-fuse: /var/jekos.net (rw) over /nix/store/"),
        "{out}"
    );
}

#[test]
fn a_float_where_the_network_wants_a_whole_number_says_what_to_write() {
    let nix = Nix::new();
    let r = nix.eval_json_args(&format!(
        r#"let ex = import {}/examples/jen {{ }}; www = ex.network.machines.www; in
           builtins.jen.validateNetwork (ex.network // {{ machines.www = www // {{
             sites = www.sites // {{ "jekos.net" = www.sites."jekos.net" // {{ backend = {{ type = "proxy"; port = 8001.0; }}; }}; }};
           }}; }})"#,
        project_root().display()
    ), &["--impure"]);
    let err = r.expect_err();
    assert!(
        err.contains(
            "machines.www.sites.\"jekos.net\".backend.port: 8001.0 is a float, and the network's numbers are whole: write 8001"
        ),
        "{err}"
    );
}

#[test]
fn a_long_domain_widens_the_reports_column() {
    let nix = Nix::new();
    let root = project_root();
    let out = nix.value_impure(&format!(
        r#"let
             jen = import {root}/nix {{ }};
             ex = import {root}/examples/jen {{ }};
             www = ex.network.machines.www;
             network = ex.network // {{
               machines.www = www // {{
                 sites = www.sites // {{ "a-long-domain.example.org".static = www.sites."minjs.com".static; }};
               }};
             }};
           in jen.lib.formatPlan (jen.lib.plan {{ inherit network; local = {{ user = "me"; home = "/nonexistent"; hostname = "ci"; }}; }})"#,
        root = root.display()
    ));
    let out = out.as_str().unwrap();
    assert!(
        out.contains("    a-long-domain.example.org  static       /nix/store/"),
        "{out}"
    );
    assert!(
        out.contains("    vocabulink.com             proxy :8002"),
        "{out}"
    );
}

#[test]
fn the_invalid_example_reports_every_fault_at_once() {
    let nix = Nix::new();
    let mut c = nix.command("nix");
    c.args(["eval", "--file"])
        .arg(project_root().join("examples/invalid"))
        .arg("report");
    let r = nix.run(c);
    let err = r.expect_err();
    assert!(
        err.contains("jen: validateNetwork: the network is not valid (7 violations):"),
        "{err}"
    );
    for line in [
        "machines.db.ssh.via: there is no machine \"gateway\" in the network",
        "machines.mail.provider: \"mainIPv4\" is missing, and it is needed with type = \"hetzner\"",
        "machines.www.sites.\"jekor.com\".state: \"var/jekor.com\" is not an absolute path",
        "machines.www.sites.\"jekos.net\".mountPoint: \"/www/jekor.com\" is already the mountPoint of machines.www.sites.\"jekor.com\" (its default)",
        "machines.www.sites.\"minjs.com\".aliases[0]: the name \"www.jekor.com\" is already served by",
        "machines.www.sites.\"vocabulink.com\".backend.port: port 8002 is already the backend of",
        "machines.www.ssh.port: 70000 is not a port: a whole number from 1 to 65535",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
}

#[test]
fn validation_failures_are_catchable_and_misuse_is_not() {
    let nix = Nix::new();
    let v = nix.value(
        r#"[ (builtins.tryEval (builtins.jen.validateNetwork { name = "x"; machines = { }; })).success
             (builtins.tryEval (builtins.jen.validate { type = "string"; } 1)).success
             (builtins.tryEval (builtins.jen.validate { type = "string"; } "a")).value ]"#,
    );
    assert_eq!(v, json!([false, false, "a"]));
    let r = nix.eval_json("(builtins.tryEval (builtins.jen.validateNetwork 42)).success");
    let err = r.expect_err();
    assert!(
        err.contains("jen: validateNetwork: the network must be a set, but it is an integer"),
        "{err}"
    );
    let r = nix.eval_json("builtins.jen.check { type = 12; } 1");
    assert!(
        r.expect_err()
            .contains("jen: check: the schema is not valid"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_network_returns_errors_as_data() {
    let nix = Nix::new();
    let v = nix.value(
        r#"builtins.jen.checkNetwork { name = "n"; machines.a = { provider = { type = "none"; }; ssh.via = "a"; }; }"#,
    );
    assert_eq!(v["valid"], json!(false));
    assert_eq!(v["network"], json!(null));
    assert_eq!(
        v["errors"][0]["path"],
        json!(["machines", "a", "ssh", "via"])
    );
    assert_eq!(v["errors"][0]["keyword"], "machine-reference");
}

#[test]
fn a_schema_file_is_read_through_nix() {
    let nix = Nix::new();
    let model = format!("{}/nix/data-model.json", root());
    let expr =
        format!(r#"(builtins.jen.check {model} {{ name = "n"; machines = {{ }}; }}).errors"#);
    // Impure: the path is readable.
    let v: serde_json::Value =
        serde_json::from_str(nix.eval_json_args(&expr, &["--impure"]).expect_ok()).unwrap();
    assert_eq!(v[0]["keyword"], "minProperties", "{v}");
    // Pure: Nix refuses the file exactly as it refuses builtins.readFile.
    let r = nix.eval_json(&expr);
    let err = r.expect_err();
    assert!(err.contains("forbidden in pure evaluation mode"), "{err}");
    assert!(err.contains("jen: check:"), "{err}");
}

#[test]
fn without_the_plugin_the_library_says_how_to_load_it() {
    let nix = Nix::with_plugin(None);
    let mut c = nix.command("nix");
    c.args(["eval", "--file"])
        .arg(project_root().join("examples/jen"))
        .arg("report");
    let r = nix.run(c);
    let err = r.expect_err();
    assert!(err.contains("builtins.jen is not loaded"), "{err}");
    assert!(err.contains("--option plugin-files"), "{err}");
}

#[test]
fn validate_and_check_network_share_the_original_values_and_their_context() {
    let nix = Nix::new();
    let v = nix.value(
        r#"let
             net = { name = "n"; machines.a = { provider.type = "none"; sites."a.com" = { static = "${builtins.toFile "x" "y"}"; writable = true; }; }; };
             out = builtins.jen.validateNetwork net;
             site = out.machines.a.sites."a.com";
           in {
             context = builtins.length (builtins.attrNames (builtins.getContext site.static));
             checked = builtins.length (builtins.attrNames (builtins.getContext
               (builtins.jen.checkNetwork net).network.machines.a.sites."a.com".static));
             inherit (site) state mountPoint owner writable;
             ssh = out.machines.a.ssh;
             same = site.static == net.machines.a.sites."a.com".static;
           }"#,
    );
    assert_eq!(v["context"], json!(1), "{v}");
    assert_eq!(v["checked"], json!(1), "{v}");
    assert_eq!(v["same"], json!(true));
    assert_eq!(
        (
            v["state"].clone(),
            v["mountPoint"].clone(),
            v["owner"].clone()
        ),
        (json!("/var/a.com"), json!("/www/a.com"), json!("root"))
    );
    assert_eq!(
        v["ssh"],
        json!({"authorizedKeys": [], "port": 22, "user": "root"})
    );
}

#[test]
fn validate_network_merges_exactly_the_defaults_the_core_computes() {
    // validateNetwork and checkNetwork merge the additions into the Nix
    // value in the shim (tree-merge); the core's own path (the jen CLI:
    // the network as JSON, the defaults merged into a serde value) must
    // give the same network, on the example and on a generated network
    // with every default shape.
    let nix = Nix::new();
    let root = root();
    for net in [
        format!("(import {root}/examples/jen {{ }}).network"),
        format!("import {root}/bench/network.nix {{ n = 40; }}"),
        r#"{ name = "n"; machines = { a = { provider.type = "none"; }; b = { provider.type = "none"; ssh = { }; sites = { }; }; }; }"#.to_string(),
    ] {
        let eval = |e: String| -> Value {
            let r = nix.eval_json_args(&e, &["--impure"]);
            serde_json::from_str(r.expect_ok().trim()).unwrap()
        };
        let merged = eval(format!("builtins.jen.validateNetwork ({net})"));
        let checked = eval(format!("(builtins.jen.checkNetwork ({net})).network"));
        let plain = eval(net.clone());
        let mut cli = std::process::Command::new(jen_bin())
            .args(["--json", "check-network", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            cli.stdin.take().unwrap().write_all(plain.to_string().as_bytes()).unwrap();
        }
        let out = cli.wait_with_output().unwrap();
        let core: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(core["valid"], json!(true), "{net}");
        assert_eq!(merged, core["network"], "{net}");
        assert_eq!(checked, core["network"], "{net}");
    }
}

/// The phase log of `r` shows one check of the network (its schema and
/// its rules) and one call that found it valid already.
fn assert_checked_once(r: &Run) {
    let count = |s: &str| r.stderr.matches(s).count();
    assert_eq!(count("network: check the schema"), 1, "{}", r.stderr);
    assert_eq!(count("network: check the rules"), 1, "{}", r.stderr);
    assert_eq!(
        count("network: already found valid in this process; not checked again"),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn a_plan_validates_its_network_once() {
    // lib.plan validates the network (validateNetwork), then sshTargets
    // gets the same network: the phase log shows one check, and the
    // second call finding it valid already.
    let mut nix = Nix::new();
    nix.extra_env.push(("JEN_LOG".into(), "debug".into()));
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--file"])
        .arg(project_root().join("examples/jen"))
        .arg("plan.machines.www.target.host");
    let r = nix.run(c);
    assert_eq!(r.expect_ok().trim(), "\"144.217.85.49\"");
    assert_checked_once(&r);
    // The same for a plan of 10,000 machines (bench/network.nix), its
    // targets forced for every machine.
    let r = nix.eval_json_args(
        &format!(
            "let jen = import {} {{ }}; p = jen.lib.plan {{ network = import {} {{ n = 10000; }}; \
             local = {{ user = \"me\"; home = \"/home/me\"; hostname = \"laptop\"; }}; }}; \
             in builtins.foldl' (n: m: builtins.seq m.target.host (n + 1)) 0 (builtins.attrValues p.machines)",
            project_root().join("nix").display(),
            project_root().join("bench/network.nix").display()
        ),
        &["--impure"],
    );
    assert_eq!(r.expect_ok().trim(), "10000");
    assert_checked_once(&r);
    // A network not validated before is checked, and its violations
    // reported, by sshTargets itself.
    let r = nix.eval_json_args(
        &format!(
            "builtins.jen.sshTargets {{ network = (import {}).network; }}",
            project_root().join("examples/invalid").display()
        ),
        &["--impure"],
    );
    assert!(
        r.expect_err().contains("the network is not valid"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_warning_several_machines_share_is_said_once() {
    let nix = Nix::new();
    let out = nix.value_impure(&format!(
        r#"let jen = import {}/nix {{ }}; in jen.lib.formatPlan (jen.lib.plan {{
             network = {{ name = "n"; tld = "lan"; machines = {{
               a = {{ provider.type = "virtualbox"; ssh.port = 2222; }};
               b = {{ provider.type = "virtualbox"; ssh.port = 2222; }};
               c = {{ provider.type = "virtualbox"; }};
             }}; }};
             local = {{ user = "me"; home = "/nonexistent"; hostname = "ci"; }}; }})"#,
        project_root().display()
    ));
    let out = out.as_str().unwrap();
    let store_uri = "storeUri cannot carry the port or jump host";
    assert_eq!(out.matches(store_uri).count(), 1, "{out}");
    assert!(
        out.ends_with(&format!("\n\nwarning for machines a, b:\n  {store_uri}: `nix copy --to <storeUri>` takes them from NIX_SSHOPTS; set it to the target's opts\n")),
        "{out}"
    );
    // A warning of one machine stays in its block.
    for m in ["a", "b", "c"] {
        assert!(
            out.contains(&format!(
                "  warning  no host key for {}{m}.lan",
                if m == "c" { "" } else { "[" }
            )),
            "{m}: {out}"
        );
    }
}
