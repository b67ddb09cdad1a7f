//! The plugin inside nix-eval-jobs, the parallel evaluator Hydra-style CI
//! uses: `lib.jobs` gives one job per machine, nix-eval-jobs (the user's,
//! `JEN_NIX_EVAL_JOBS`, built against the Nix under test) evaluates them in
//! forked workers with `--option plugin-files`. Every good machine's job
//! succeeds, every broken one reports its own violations, a worker
//! restarted by `--max-memory-size` still has `builtins.jen`.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The nix-eval-jobs the user provides (`JEN_NIX_EVAL_JOBS`, built
/// against the Nix under test: no package registry serves it), or `None`
/// after saying the suite did not run.
fn nix_eval_jobs() -> Option<std::path::PathBuf> {
    provided(
        "JEN_NIX_EVAL_JOBS",
        "tests/eval_jobs.rs (lib.jobs in nix-eval-jobs workers)",
        "a nix-eval-jobs binary built against this Nix",
    )
}

/// Run nix-eval-jobs on `expr` with the plugin and `extra` arguments; one
/// JSON object per job, by attribute name.
fn eval_jobs(
    bin: &std::path::Path,
    nix: &Nix,
    expr: &str,
    extra: &[&str],
) -> BTreeMap<String, Value> {
    // A fresh store's database is created by the first process that opens
    // it; two workers doing that at once find it busy. Create it first.
    nix.eval_raw(r#"builtins.toFile "jen-test-init" """#)
        .expect_ok();
    let mut c = nix.command_at(bin);
    c.args(extra).arg("--expr").arg(expr);
    let r = nix.run(c);
    assert_eq!(
        r.signal, None,
        "nix-eval-jobs died of a signal:\n{}",
        r.stderr
    );
    assert_eq!(r.status, Some(0), "nix-eval-jobs failed:\n{}", r.stderr);
    r.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["attr"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

const LOCAL: &str = r#"{ user = "me"; home = "/nonexistent"; hostname = "ci"; }"#;

fn lib() -> String {
    format!(
        "(import {} {{ }}).lib",
        project_root().join("nix").display()
    )
}

#[test]
fn the_example_network_as_jobs() {
    let Some(bin) = nix_eval_jobs() else { return };
    let nix = Nix::new();
    let ex = project_root().join("examples/jen");
    let expr = format!(
        r#"{lib}.jobs {{
             network = import {ex}/network.nix {{ }};
             knownHosts = {ex}/known_hosts;
             local = {LOCAL};
           }}"#,
        lib = lib(),
        ex = ex.display()
    );
    let jobs = eval_jobs(&bin, &nix, &expr, &["--workers", "2", "--impure"]);
    assert_eq!(jobs.keys().collect::<Vec<_>>(), ["www"]);
    let www = &jobs["www"];
    assert!(www.get("error").is_none(), "{www}");
    assert!(
        www["drvPath"]
            .as_str()
            .unwrap()
            .ends_with("-jen-plan-www.drv"),
        "{www}"
    );
    // The job's derivation carries the machine's checked plan.
    let drv = nix.value_impure(&format!(
        r#"builtins.fromJSON (builtins.unsafeDiscardStringContext ({expr}).www.plan)"#
    ));
    assert_eq!(
        drv["backup"],
        serde_json::json!(["/var/jekor.com", "/var/jekos.net"])
    );
    assert!(drv["target"]["hostPublicKey"]
        .as_str()
        .unwrap()
        .starts_with("ssh-ed25519 "));
}

/// The benchmark network of `n` machines with three machines broken in
/// different ways and one that depends on a broken one.
fn broken_fleet(n: usize) -> String {
    format!(
        r#"let net = import {bench}/network.nix {{ n = {n}; }};
               m = net.machines;
           in net // {{ machines = m // {{
                m5 = m.m5 // {{ ssh = m.m5.ssh // {{ port = 70000; }}; }};
                m77 = m.m77 // {{ sites = m.m77.sites // {{ "s0.m77.example.com" = m.m77.sites."s0.m77.example.com" // {{ owner = "Bad Owner"; backend = {{ type = "proxy"; port = 70000; }}; }}; }}; }};
                m800 = m.m800 // {{ sites = m.m800.sites // {{ "s0.m800.example.com" = m.m800.sites."s0.m800.example.com" // {{ static = "/home/x"; }}; }}; }};
                m500 = m.m500 // {{ provider = {{ type = "hetzner"; }}; }};
                m600 = m.m600 // {{ ssh = m.m600.ssh // {{ via = "m5"; }}; }};
              }}; }}"#,
        bench = project_root().join("bench").display()
    )
}

#[test]
fn a_thousand_machines_with_broken_ones_in_two_workers() {
    let Some(bin) = nix_eval_jobs() else { return };
    let nix = Nix::new();
    let expr = format!(
        "{}.jobs {{ network = {}; local = {LOCAL}; }}",
        lib(),
        broken_fleet(1000)
    );
    let jobs = eval_jobs(&bin, &nix, &expr, &["--workers", "2"]);
    assert_eq!(jobs.len(), 1000);
    let failed: BTreeMap<&str, &str> = jobs
        .iter()
        .filter_map(|(k, v)| v.get("error").map(|e| (k.as_str(), e.as_str().unwrap())))
        .collect();
    assert_eq!(
        failed.keys().copied().collect::<Vec<_>>(),
        ["m5", "m500", "m600", "m77", "m800"],
        "{failed:#?}"
    );
    for (k, v) in &jobs {
        if !failed.contains_key(k.as_str()) {
            assert!(
                v["drvPath"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("-jen-plan-{k}.drv")),
                "{v}"
            );
        }
    }
    let has = |m: &str, what: &[&str]| {
        for w in what {
            assert!(
                failed[m].contains(w),
                "{m}: missing {w:?} in\n{}",
                failed[m]
            );
        }
    };
    has(
        "m5",
        &[
            "jen lib.jobs: machine m5 is not valid (1 violation):",
            "machines.m5.ssh.port:",
        ],
    );
    // Every violation of the machine, each with its attribute path.
    has(
        "m77",
        &[
            "jen lib.jobs: machine m77 is not valid (2 violations):",
            r#"machines.m77.sites."s0.m77.example.com".backend.port:"#,
            r#"machines.m77.sites."s0.m77.example.com".owner:"#,
        ],
    );
    // Valid in the data model, but its state paths are not: the job's
    // own checkStatePaths fails it.
    has(
        "m800",
        &[
            "jen: checkStatePaths: the state paths are not safe",
            "not a valid store path",
        ],
    );
    has(
        "m500",
        &[
            "jen lib.jobs: machine m500 is not valid",
            "machines.m500.provider",
        ],
    );
    // m600 is fine itself, but its jump host m5 is left out.
    has(
        "m600",
        &[
            "jen lib.jobs: machine m600 is not valid",
            "machines.m600.ssh.via:",
            "m5",
        ],
    );
}

#[test]
fn restarted_workers_still_have_the_plugin() {
    let Some(bin) = nix_eval_jobs() else { return };
    let nix = Nix::new();
    // Each job records the process that evaluated it (its task ids:
    // /proc/self/stat reads as empty through Nix). With a 1 MB limit
    // every worker exits after one job (its RSS is always larger) and the
    // collector forks a new one from the process that loaded the plugin.
    let expr = |n| {
        format!(
            r#"builtins.mapAttrs (_: d: d // {{ worker = toString (builtins.attrNames (builtins.readDir "/proc/self/task")); }})
                 ({}.jobs {{ network = import {}/network.nix {{ n = {n}; }}; local = {LOCAL}; }})"#,
            lib(),
            project_root().join("bench").display()
        )
    };
    let pids = |jobs: &BTreeMap<String, Value>| -> BTreeSet<String> {
        for (k, v) in jobs {
            assert!(v.get("error").is_none(), "{k}: {v}");
            assert!(v["drvPath"].is_string(), "{k}: {v}");
        }
        jobs.values()
            .map(|v| v["extraValue"]["worker"].as_str().unwrap().to_string())
            .collect()
    };
    let apply = "d: { worker = d.worker; }";
    let restarted = eval_jobs(
        &bin,
        &nix,
        &expr(12),
        &[
            "--workers",
            "2",
            "--max-memory-size",
            "1",
            "--impure",
            "--apply",
            apply,
        ],
    );
    assert_eq!(restarted.len(), 12);
    let n_restarted = pids(&restarted).len();
    let steady = eval_jobs(
        &bin,
        &nix,
        &expr(12),
        &["--workers", "2", "--impure", "--apply", apply],
    );
    let n_steady = pids(&steady).len();
    assert!(
        n_steady <= 2,
        "two workers without restarts: {n_steady} processes"
    );
    assert!(
        n_restarted >= 10,
        "with --max-memory-size 1 every job should run in a new worker: {n_restarted} processes"
    );
}

#[test]
fn a_jobs_target_is_the_whole_plans_target() {
    // lib.jobs resolves each machine's SSH target alone (with its jump
    // hosts); lib.plan resolves the whole network at once. They agree,
    // jump chains included. (Plain nix eval: no nix-eval-jobs needed.)
    let nix = Nix::new();
    let net = format!(
        r#"let net = import {}/network.nix {{ n = 20; }}; m = net.machines; in
           net // {{ machines = m // {{
             m3 = m.m3 // {{ ssh = m.m3.ssh // {{ via = "m2"; }}; }};
             m2 = m.m2 // {{ ssh = m.m2.ssh // {{ via = "m1"; port = 2222; }}; }}; }}; }}"#,
        project_root().join("bench").display()
    );
    let v = nix.value_impure(&format!(
        r#"let lib = {lib}; args = {{ network = {net}; local = {LOCAL}; }};
               jobs = lib.jobs args; plan = lib.plan args;
           in builtins.mapAttrs (name: j: {{
                job = (builtins.fromJSON (builtins.unsafeDiscardStringContext j.plan)).target;
                plan = plan.machines.${{name}}.target; }}) jobs"#,
        lib = lib()
    ));
    let machines = v.as_object().unwrap();
    assert_eq!(machines.len(), 20);
    for (name, t) in machines {
        assert_eq!(t["job"], t["plan"], "{name}");
    }
    assert_eq!(
        v["m3"]["job"]["proxyJump"], "root@10.0.0.2:2222",
        "{}",
        v["m3"]
    );
}
