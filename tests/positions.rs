//! Where each violation was written, as the real Nix says it: a network
//! over several files (an imported machine, a `//` override, a `let`-bound
//! set, sets made by `builtins.listToAttrs` and `builtins.fromJSON`, a list),
//! checked by `validateNetwork` (the report), `checkNetwork` (the data) and
//! `sshTargets` (a network under an attribute), and a user schema's
//! violations through `check` and `validate`. The expected positions are
//! found in the files by the text of the definition, not written down.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

/// `file:line:column` of the first `needle` in `file` (1-based, as Nix
/// counts).
fn pos(file: &Path, needle: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()));
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{}:{line}:{column}", file.display())
}

/// `pos` as `checkNetwork` gives it.
fn pos_value(file: &Path, needle: &str) -> Value {
    let p = pos(file, needle);
    let mut parts = p.rsplitn(3, ':');
    let column: u64 = parts.next().unwrap().parse().unwrap();
    let line: u64 = parts.next().unwrap().parse().unwrap();
    json!({ "file": parts.next().unwrap(), "line": line, "column": column })
}

const WWW: &str = r#"{
  provider = {
    type = "none";
    address = "198.51.100.7";
  };
  ssh.port = 70000;
  sites."a.org" = {
    static = "/nix/store/00000000000000000000000000000000-a";
    aliases = [
      "ok.org"
      "b.org"
    ];
  };
}
"#;

const NET: &str = r#"let
  www = import ./machines/www.nix;
  common = {
    provider.type = "hetzner";
  };
in
{
  name = "demo";
  machines = {
    www = www // {
      ssh = www.ssh // {
        user = "Blog User";
      };
    };
    web = {
      provider = {
        type = "none";
        address = "198.51.100.8";
      };
      sites."b.org".static = "/nix/store/00000000000000000000000000000000-b";
    };
    mail = common;
    json = builtins.fromJSON ''{"provider": {"type": "nonesuch"}}'';
  }
  // builtins.listToAttrs [
    {
      name = "gen";
      value = {
        provider.type = "ovh";
      };
    }
  ];
}
"#;

struct Files {
    _dir: tempfile::TempDir,
    net: std::path::PathBuf,
    www: std::path::PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("machines")).unwrap();
    let www = dir.path().join("machines/www.nix");
    let net = dir.path().join("net.nix");
    std::fs::write(&www, WWW).unwrap();
    std::fs::write(&net, NET).unwrap();
    Files {
        _dir: dir,
        net,
        www,
    }
}

#[test]
fn every_fault_names_the_file_and_line_that_wrote_it() {
    let nix = Nix::new();
    let f = files();
    let r = nix.eval_json_args(
        &format!("builtins.jen.validateNetwork (import {})", f.net.display()),
        &["--impure"],
    );
    let err = r.expect_err();
    let blocks = [
        // listToAttrs: the definition inside the element's value.
        format!(
            "  machines.gen.provider: \"address\" is missing, and it is needed with type = \"ovh\"\n    at {}",
            pos(&f.net, "provider.type = \"ovh\"")
        ),
        // fromJSON keeps no positions: the nearest is the attribute it
        // was bound to.
        format!(
            "  machines.json.provider.type: \"nonesuch\" is not one of \"none\", \"ovh\", \"hetzner\" or \"virtualbox\"\n    at {}",
            pos(&f.net, "json =")
        ),
        // let-bound: where the set was written, not where it was used.
        format!(
            "  machines.mail.provider: \"mainIPv4\" is missing, and it is needed with type = \"hetzner\"\n    at {}",
            pos(&f.net, "provider.type = \"hetzner\"")
        ),
        // A list element: its list's attribute, in the imported file;
        // and the place it collides with, in the other file.
        format!(
            "  machines.www.sites.\"a.org\".aliases[1]: the name \"b.org\" is already served by machines.web.sites.\"b.org\"\n    at {}\n    machines.web.sites.\"b.org\" is at {}",
            pos(&f.www, "aliases ="),
            pos(&f.net, "sites.\"b.org\"")
        ),
        // Imported, and kept by the override.
        format!(
            "  machines.www.ssh.port: 70000 is not a port: a whole number from 1 to 65535\n    at {}",
            pos(&f.www, "ssh.port")
        ),
        // The overriding definition.
        format!(
            "  machines.www.ssh.user: \"Blog User\" is not a user name: lower-case letters, digits, \"_\" and \"-\", starting with a letter or \"_\", at most 32 characters (e.g. \"blog\")\n    at {}",
            pos(&f.net, "user = \"Blog User\"")
        ),
    ];
    assert!(
        err.contains("jen: validateNetwork: the network is not valid (6 violations):\n"),
        "{err}"
    );
    let plain = unindented(err);
    for b in &blocks {
        assert!(
            plain.contains(&format!("\n\n{b}")),
            "missing block:\n{b}\nin:\n{plain}"
        );
    }
}

#[test]
fn check_network_gives_the_positions_as_data() {
    let nix = Nix::new();
    let f = files();
    let v = nix.value_impure(&format!(
        "map (e: {{ inherit (e) attrPath pos related; }}) (builtins.jen.checkNetwork (import {})).errors",
        f.net.display()
    ));
    let by_path = |p: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|e| e["attrPath"] == p)
            .unwrap_or_else(|| panic!("no {p} in {v:#}"))
            .clone()
    };
    assert_eq!(
        by_path("machines.www.ssh.port")["pos"],
        pos_value(&f.www, "ssh.port")
    );
    assert_eq!(by_path("machines.www.ssh.port")["related"], Value::Null);
    let twice = by_path("machines.www.sites.\"a.org\".aliases[1]");
    assert_eq!(twice["pos"], pos_value(&f.www, "aliases ="));
    assert_eq!(
        twice["related"],
        json!({
            "attrPath": "machines.web.sites.\"b.org\"",
            "path": ["machines", "web", "sites", "b.org"],
            "pointer": "/machines/web/sites/b.org",
            "pos": pos_value(&f.net, "sites.\"b.org\""),
        })
    );
}

#[test]
fn a_network_without_positions_says_so() {
    // All of it from JSON: Nix keeps no position anywhere inside.
    let nix = Nix::new();
    let v = nix.value(
        r#"(builtins.jen.checkNetwork (builtins.fromJSON ''{"name": "d", "machines": {"m": {"provider": {"type": "none"}, "ssh": {"port": 0}}}}'')).errors"#,
    );
    assert_eq!(v[0]["attrPath"], "machines.m.ssh.port");
    assert_eq!(v[0]["pos"], Value::Null);
    let r = nix.eval_json(
        r#"builtins.jen.validateNetwork (builtins.fromJSON ''{"name": "d", "machines": {"m": {"provider": {"type": "none"}, "ssh": {"port": 0}}}}'')"#,
    );
    assert!(
        r.expect_err().contains(
            "machines.m.ssh.port: 0 is not a port: a whole number from 1 to 65535\n           at: no position (Nix keeps none for it, e.g. a value made by builtins.fromJSON)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn both_places_of_each_two_place_rule() {
    let nix = Nix::new();
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.nix");
    std::fs::write(
        &net,
        r#"{
  name = "demo";
  machines = {
    a = {
      provider = { type = "none"; };
      ssh.via = "b";
      sites."x.org" = {
        static = "/s";
        writable = true;
        state = "/var/shared";
        backend = { type = "proxy"; port = 8001; };
      };
      sites."y.org" = {
        static = "/s";
        writable = true;
        state = "/var/shared";
        backend = { type = "proxy"; port = 8001; };
      };
    };
    b = {
      provider = { type = "none"; };
      ssh.via = "a";
    };
  };
}
"#,
    )
    .unwrap();
    let v = nix.value_impure(&format!(
        "map (e: {{ inherit (e) attrPath keyword pos related; }}) (builtins.jen.checkNetwork (import {})).errors",
        net.display()
    ));
    let text = std::fs::read_to_string(&net).unwrap();
    // The n-th (0-based) occurrence of `needle`.
    let nth = |needle: &str, n: usize| {
        let at = text.match_indices(needle).nth(n).unwrap().0;
        let line = text[..at].matches('\n').count() as u64 + 1;
        let column = (at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1) as u64;
        json!({ "file": net.display().to_string(), "line": line, "column": column })
    };
    let rule = |k: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|e| e["keyword"] == k)
            .unwrap_or_else(|| panic!("no {k} in {v:#}"))
            .clone()
    };
    for (keyword, needle) in [
        ("unique-state-dir", "state = "),
        ("unique-proxy-port", "port = 8001"),
    ] {
        let e = rule(keyword);
        assert_eq!(e["pos"], nth(needle, 1), "{keyword}: {e:#}");
        assert_eq!(e["related"]["pos"], nth(needle, 0), "{keyword}: {e:#}");
    }
    let e = rule("machine-reference");
    assert_eq!(e["attrPath"], "machines.a.ssh.via");
    assert_eq!(e["pos"], nth("ssh.via", 0));
    assert_eq!(e["related"]["attrPath"], "machines.b.ssh.via");
    assert_eq!(e["related"]["pos"], nth("ssh.via", 1));
}

#[test]
fn ssh_targets_and_user_schemas_point_at_their_definitions() {
    let nix = Nix::new();
    let f = files();
    // sshTargets checks the network under its `network` attribute.
    let r = nix.eval_json_args(
        &format!(
            "builtins.jen.sshTargets {{ network = import {}; }}",
            f.net.display()
        ),
        &["--impure"],
    );
    assert!(
        r.expect_err().contains(&format!(
            "machines.www.ssh.port: 70000 is not a port: a whole number from 1 to 65535\n           at {}",
            pos(&f.www, "ssh.port")
        )),
        "{}",
        r.stderr
    );
    // A user schema keeps the validator's words, with positions.
    let v = nix.value_impure(&format!(
        "(builtins.jen.check {{ properties.machines.properties.www.properties.ssh.properties.port.maximum = 100; }} (import {})).errors",
        f.net.display()
    ));
    assert_eq!(v[0]["message"], "70000 is greater than the maximum of 100");
    assert_eq!(v[0]["pos"], pos_value(&f.www, "ssh.port"));
    let r = nix.eval_json(
        "builtins.jen.validate { type = \"object\"; properties.port.maximum = 100; } {\n  port = 700;\n}",
    );
    assert!(
        r.expect_err()
            .contains("port: 700 is greater than the maximum of 100\n           at «string»:2:3"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_valid_network_never_asks_where_anything_was_written() {
    // The phase log (JEN_LOG=debug) shows the position lookup only where
    // there are violations.
    let mut nix = Nix::new();
    nix.extra_env.push(("JEN_LOG".into(), "debug".into()));
    let phase = "find where they were written";
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--file"])
        .arg(project_root().join("examples/jen"))
        .arg("plan.machines.www.target.host");
    let r = nix.run(c);
    r.expect_ok();
    assert!(!r.stderr.contains(phase), "{}", r.stderr);
    let mut c = nix.command("nix");
    c.args(["eval", "--file"])
        .arg(project_root().join("examples/invalid"))
        .arg("report");
    let r = nix.run(c);
    r.expect_err();
    assert!(r.stderr.contains(phase), "{}", r.stderr);
}

#[test]
fn a_plans_state_path_faults_point_at_the_network() {
    // A work directory on another site's state directory passes the data
    // model and is refused by lib.plan's state-path check: reported at the
    // network's attributes, each where the network wrote it (a default at
    // its site).
    let nix = Nix::new();
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.nix");
    std::fs::write(
        &net,
        r#"{
  name = "demo";
  machines.www = {
    provider = { type = "none"; address = "198.51.100.7"; };
    sites."a.org" = {
      static = "/nix/store/00000000000000000000000000000000-a";
      writable = true;
      workDir = "/var/b.org";
    };
    sites."b.org" = {
      static = "/nix/store/00000000000000000000000000000000-b";
      writable = true;
    };
  };
}
"#,
    )
    .unwrap();
    let r = nix.eval_json_args(
        &format!(
            "(import {}/nix {{ }}).lib.plan {{ network = import {}; local = {{ user = \"me\"; home = \"/nonexistent\"; hostname = \"ci\"; }}; }}",
            project_root().display(),
            net.display()
        ),
        &["--impure"],
    );
    let plain = unindented(r.expect_err());
    let want = format!(
        "  machines.www.sites.\"b.org\".state: \"/var/b.org\" is also machines.www.sites.\"a.org\".workDir\n    at {}\n    machines.www.sites.\"a.org\".workDir is at {}",
        pos(&net, "sites.\"b.org\""),
        pos(&net, "workDir = ")
    );
    assert!(plain.contains(&want), "{want}\nnot in:\n{plain}");
}
