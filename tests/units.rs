//! The systemd units jen generates, as NixOS would run them: from
//! `lib.plan` (with the example network) and from
//! `nixosModules.unionMounts` evaluated by nixpkgs' real module system
//! (`lib.evalModules` from `JEN_NIXPKGS`, else "not run"; stub options for
//! what nixpkgs' `lib` alone lacks: `assertions`, `systemd.services`,
//! `programs.fuse`). Every command a unit runs must be an absolute store
//! path or a shell builtin, since a NixOS unit's PATH has none of
//! `mkdir`, `chown`, `id`, `unionfs` or `umount`.

mod common;
use common::*;
use serde_json::Value;

fn stand_in_pkgs() -> String {
    format!(
        "(import {})",
        project_root()
            .join("tests/data/stand-in-pkgs.nix")
            .display()
    )
}

/// Shell builtins and keywords a unit script may use by name.
const BUILTINS: &[&str] = &[
    "[", "echo", "exit", "if", "then", "fi", "test", "true", "false",
];

/// The first word of every command in the shell text `script`: lines,
/// `;`, `&&`, `||`, `|`, and `$( ... )` split commands; `if`, `then`,
/// `else`, `!` are skipped to reach the command they introduce.
fn command_words(script: &str) -> Vec<String> {
    // Command substitutions are commands of their own; in the outer one
    // they stand as a word.
    let mut text = script.to_string();
    let mut inner = Vec::new();
    while let Some(start) = text.find("$(") {
        let end = start + text[start..].find(')').expect("a closed $(");
        inner.push(text[start + 2..end].to_string());
        text.replace_range(start..=end, "SUBST");
    }
    text = format!("{text}\n{}", inner.join("\n"));
    // `;`, `&&`, `||` and `|` end a command outside single quotes (the
    // units quote with single quotes only).
    let mut split = String::new();
    let mut quoted = false;
    let mut prev = ' ';
    for c in text.chars() {
        match c {
            // shellQuote writes a quote inside a quoted word as '\'':
            // the escaped one outside quotes is a literal.
            '\'' if prev != '\\' || quoted => {
                quoted = !quoted;
                split.push(c);
            }
            // `>&2` is a redirection, not a separator.
            '&' if matches!(prev, '>' | '<') => split.push(c),
            ';' | '&' | '|' if !quoted => split.push('\n'),
            c => split.push(c),
        }
        prev = c;
    }
    let mut out = Vec::new();
    for line in split.lines() {
        let mut words = line.split_whitespace().map(|w| w.trim_matches('\''));
        let mut w = words.next();
        while let Some(k @ ("if" | "then" | "else" | "elif" | "!")) = w {
            let _ = k;
            w = words.next();
        }
        if let Some(w) = w {
            // Redirections, the `]` of a test and a variable assignment
            // (`masked=0`, `NAME=$?`) are not commands.
            let assignment = w.split_once('=').is_some_and(|(n, _)| {
                !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if !w.starts_with('>') && !w.starts_with('<') && w != "]" && !assignment {
                out.push(w.to_string());
            }
        }
    }
    out
}

/// Every command word of a unit (its `preStart`, `script`, `postStart`,
/// and the `Exec*` lines of `serviceConfig`) is a store path or a builtin.
fn assert_runnable_on_nixos(name: &str, unit: &Value) {
    let mut words = Vec::new();
    for k in ["preStart", "script", "postStart", "preStop", "postStop"] {
        if let Some(s) = unit[k].as_str() {
            words.extend(command_words(s));
        }
    }
    let sc = unit["serviceConfig"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (k, v) in sc {
        if k.starts_with("Exec") {
            let line = v.as_str().unwrap();
            let first = line.trim_start_matches(['-', '@', ':', '+', '!']);
            words.push(first.split_whitespace().next().unwrap().to_string());
        }
    }
    assert!(
        words.len() >= 5,
        "{name}: too few commands found: {words:?}"
    );
    for w in &words {
        assert!(
            (w.starts_with("/nix/store/") && w.contains("/bin/")) || BUILTINS.contains(&w.as_str()),
            "{name}: '{w}' is neither an absolute store path nor a shell builtin\n{unit:#}"
        );
    }
}

#[test]
fn the_command_checker_catches_bare_names() {
    // The check itself must be able to fail.
    let words = command_words(
        "mkdir -p /a\nif [ -L x ]; then echo 'y; z' >&2; fi\necho 'it'\\''s; here'\n/nix/store/h-u/bin/u -o uid=$(id -u a) 'a=rw' && /nix/store/h-c/bin/chown a b\nm=0\nrm x || m=$?",
    );
    assert_eq!(
        words,
        [
            "mkdir",
            "[",
            "echo",
            "fi",
            "echo",
            "/nix/store/h-u/bin/u",
            "/nix/store/h-c/bin/chown",
            "rm",
            "id"
        ]
    );
}

#[test]
fn every_command_of_every_plan_unit_is_from_the_store() {
    let nix = Nix::new();
    for variant in ["ovh", "hetzner", "vbox"] {
        let mut c = nix.command("nix");
        c.args(["eval", "--json", "--file"])
            .arg(project_root().join("examples/jen"))
            .args(["--arg", "variant", &format!("\"{variant}\"")])
            .args(["--arg", "pkgs", &stand_in_pkgs()])
            .args([
                "--apply",
                "p: builtins.mapAttrs (_: m: m.units) p.machines",
                "plan",
            ]);
        let units: Value = serde_json::from_str(nix.run(c).expect_ok()).unwrap();
        let mut n = 0;
        for (_, machine) in units.as_object().unwrap() {
            for (name, unit) in machine.as_object().unwrap() {
                assert_runnable_on_nixos(name, unit);
                n += 1;
            }
        }
        assert_eq!(n, 2, "{variant}: {units}");
    }
}

#[test]
fn without_pkgs_a_unit_says_what_it_needs() {
    let nix = Nix::new();
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--file"])
        .arg(project_root().join("examples/jen"))
        .args([
            "--apply",
            r#"p: p.machines.www.units."www-mount-jekor.com".script"#,
            "plan",
        ]);
    let err = nix.run(c).expect_err().to_string();
    assert!(
        err.contains("jen lib.plan: unit www-mount-jekor.com: the units run programs from the store; pass pkgs"),
        "{err}"
    );
}

#[test]
fn mount_unit_checks_and_quotes_what_it_is_given() {
    let nix = Nix::new();
    let lib = project_root().join("nix/lib.nix");
    let unit = |state: &str| {
        format!(
            r#"let jen = import {} {{ jen = builtins.jen; }}; in
               jen.mountUnit {} {{ name = "a"; static = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-s";
                                    stateDir = {}; mountPoint = "/www/a"; owner = "www"; }}"#,
            lib.display(),
            stand_in_pkgs(),
            nix_str(state)
        )
    };
    // A hostile state directory never reaches a unit.
    let r = nix.eval_json_args(
        &format!("({}).preStart", unit("/var/a b;rm -rf x")),
        &["--impure"],
    );
    let err = r.expect_err();
    assert!(
        err.contains("jen: checkStatePaths: the state paths are not safe"),
        "{err}"
    );
    assert!(
        err.contains(r#"mounts[0].stateDir: "/var/a b;rm -rf x" may hold only"#),
        "{err}"
    );
    // A good one is quoted; the script runs in a real shell as written.
    let v = nix.value_impure(&format!("({}).preStart", unit("/var/a")));
    let pre = v.as_str().unwrap();
    assert!(
        pre.contains("/bin/mkdir -p -m 0755 -- '/var/a' '/www/a'"),
        "{pre}"
    );
    let quote = nix.value_impure(&format!(
        r#"(import {} {{ jen = builtins.jen; }}).shellQuote "it's $(x) `y`\n""#,
        lib.display()
    ));
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s' {}", quote.as_str().unwrap()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "it's $(x) `y`\n");
}

/// `lib.evalModules` over the union-mounts module and `config`, with the
/// stub options; returns the JSON of `{ failed; units; }`.
fn eval_module(nix: &Nix, config: &str) -> Option<Run> {
    let nixpkgs_lib =
        nixpkgs_lib("tests/units.rs, module part (nixosModules.unionMounts in lib.evalModules)")?;
    let expr = format!(
        r#"let
             lib = import {lib};
             stubs = {stubs};
             eval = lib.evalModules {{
               modules = [ stubs {module} {{ config = {config}; }} ];
               specialArgs.pkgs = {pkgs};
             }};
             c = eval.config;
           in {{
             failed = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
             units = if builtins.any (a: !a.assertion) c.assertions then null else c.systemd.services;
             fuse = c.programs.fuse.userAllowOther;
           }}"#,
        lib = nixpkgs_lib.display(),
        module = project_root()
            .join("nix/modules/union-mounts.nix")
            .display(),
        pkgs = stand_in_pkgs(),
        stubs = MODULE_STUBS,
    );
    Some(nix.eval_json_args(&expr, &["--impure"]))
}

#[test]
fn the_nixos_module_through_the_real_module_system() {
    let nix = Nix::new();
    let site = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site";
    let Some(r) = eval_module(
        &nix,
        &format!(
            r#"{{ services.jen.unionMounts."jekor.com" = {{ static = "{site}"; owner = "fsrest"; }};
                  services.jen.unionMounts.other = {{ static = "{site}"; stateDir = "/srv/other"; mountPoint = "/www/o"; union = "unionfs-fuse"; }}; }}"#
        ),
    ) else {
        return;
    };
    let v: Value = serde_json::from_str(r.expect_ok()).unwrap();
    assert_eq!(v["failed"], serde_json::json!([]));
    assert_eq!(v["fuse"], serde_json::json!(true));
    let units = v["units"].as_object().unwrap();
    assert_eq!(
        units.keys().collect::<Vec<_>>(),
        ["www-mount-jekor.com", "www-mount-other"]
    );
    for (name, unit) in units {
        assert_runnable_on_nixos(name, unit);
    }
    let jekor = &units["www-mount-jekor.com"];
    // The defaults: overlayfs, /var/<name> over the static content on
    // /www/<name>, the work directory beside the state directory.
    assert!(jekor["script"].as_str().unwrap().contains(
        "-t overlay -o 'lowerdir=/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site,upperdir=/var/jekor.com,workdir=/var/jekor.com.overlay-work' -- overlay '/www/jekor.com'"
    ));
    assert_eq!(jekor["serviceConfig"]["Type"], "oneshot");
    // unionfs-fuse where asked (and FUSE's allow_other for it).
    let other = &units["www-mount-other"];
    assert!(other["script"]
        .as_str()
        .unwrap()
        .contains("'/srv/other=rw:/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site=ro' '/www/o'"));
    assert!(other["preStart"]
        .as_str()
        .unwrap()
        .contains("chown -- 'root' '/srv/other'"));
}

#[test]
fn a_bad_module_layout_fails_its_assertion_with_every_violation() {
    let nix = Nix::new();
    let site = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site";
    let Some(r) = eval_module(
        &nix,
        &format!(
            r#"{{ services.jen.unionMounts.a = {{ static = "{site}"; stateDir = "/etc/a"; owner = "Bad"; }};
                  services.jen.unionMounts.b = {{ static = "/home/me/site"; stateDir = "/var/a b"; mountPoint = "/www/a"; }}; }}"#
        ),
    ) else {
        return;
    };
    let v: Value = serde_json::from_str(r.expect_ok()).unwrap();
    let failed = v["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{v}");
    let m = failed[0].as_str().unwrap();
    for line in [
        "services.jen.unionMounts: the state paths are not safe (5 violation(s)):",
        r#"  mounts[0].owner: "Bad" is not a valid user name"#,
        r#"  mounts[0].stateDir: "/etc/a" is in /etc, which the system owns"#,
        r#"  mounts[1].mountPoint: "/www/a" is also mounts[0].mountPoint"#,
        r#"  mounts[1].stateDir: "/var/a b" may hold only"#,
        "  mounts[1].static: not a valid store path: path '/home/me/site' is not in the Nix store",
    ] {
        assert!(m.contains(line), "missing {line:?} in\n{m}");
    }
    assert_eq!(v["units"], Value::Null);
}
