//! `ssh -G` parity through the core, no Nix: `resolveSshConfig` called
//! the way the plugin calls it (`builtin::call`, the real filesystem)
//! against the real `ssh -G -F <config> [-l user] <host>` of
//! openssh-client, over the hand-written corpus, the generated one and
//! the real-world one (tests/data/ssh-corpus), each for several hosts
//! and users.
//!
//! Every case ends one of four ways: both resolve and agree; both refuse;
//! ssh resolves and jen refuses as documented (it would run a command,
//! ask the DNS, read the environment, /etc/services or the network
//! interfaces); or they disagree, which fails the test. A floor on the
//! agreed resolutions keeps a corpus that silently stops resolving from
//! passing. The figures are printed and quoted in docs/builtins.md.

mod common;
use common::ssh_corpus::*;

use jen_builtins::builtins;
use jen_builtins::host::FsHost;
use serde_json::{json, Value};

struct Tally {
    cases: usize,
    agreed: usize,
    both_refused: usize,
    documented: usize,
    /// Each config's documented refusals, once.
    reasons: std::collections::BTreeSet<String>,
    disagreements: Vec<String>,
}

fn run(corpus: &[(String, String)], dir: &std::path::Path, t: &mut Tally) {
    let (user, home, hostname, uid) = local();
    let local = json!({ "user": user, "home": home, "hostname": hostname, "uid": uid });
    let builtin = builtins::find("resolveSshConfig").unwrap();
    let host_fs = FsHost::default();
    for (name, text) in corpus {
        let file = dir.join(name.replace('/', "_"));
        std::fs::write(&file, text.replace("@DIR@", dir.to_str().unwrap())).unwrap();
        for host in &hosts_for(text) {
            let host = host.as_str();
            for u in [None, Some("deploy")] {
                t.cases += 1;
                let mut args = json!({
                    "config": { "$path": file.to_str().unwrap() },
                    "host": host,
                    "local": local,
                    "sshDir": format!("{home}/.ssh"),
                });
                if let Some(u) = u {
                    args["user"] = json!(u);
                }
                let want = ssh_g(&file, host, u);
                let have = jen_builtins::builtin::call(builtin, &host_fs, &[args]);
                let what = format!("{name} {host} -l {u:?}");
                match (want, have) {
                    (Some(w), Ok(h)) if w == h => t.agreed += 1,
                    (None, Err(_)) => t.both_refused += 1,
                    (Some(_), Err(e)) if documented(&e.message) => {
                        t.documented += 1;
                        t.reasons.insert(format!("{name}: {}", e.message));
                    }
                    (w, h) => {
                        let diff = match (&w, &h) {
                            (Some(Value::Object(w)), Ok(Value::Object(h))) => w
                                .iter()
                                .filter(|(k, v)| h.get(*k) != Some(v))
                                .map(|(k, v)| {
                                    format!(
                                        "{k}: ssh {v} / jen {}",
                                        h.get(k).unwrap_or(&Value::Null)
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n  "),
                            _ => format!(
                                "ssh {} / jen {}",
                                w.map_or("refuses".into(), |w| w.to_string()),
                                match h {
                                    Ok(v) => v.to_string(),
                                    Err(e) => format!("refuses: {}", e.message),
                                }
                            ),
                        };
                        t.disagreements.push(format!("{what}:\n{text}\n  {diff}"));
                    }
                }
            }
        }
    }
}

#[test]
fn resolve_ssh_config_agrees_with_ssh_g_on_every_corpus() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    write_includes(dir);
    let mut corpora: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    corpora.push((
        "hand-written",
        hand_written()
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("hand{i}"), t.to_string()))
            .collect(),
    ));
    corpora.push((
        "generated",
        generated(400)
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("gen{i}"), t))
            .collect(),
    ));
    corpora.push(("real-world", real_world()));
    let mut report = Vec::new();
    let mut all_disagreements = Vec::new();
    let mut agreed_total = 0;
    for (label, corpus) in &corpora {
        let mut t = Tally {
            cases: 0,
            agreed: 0,
            both_refused: 0,
            documented: 0,
            reasons: Default::default(),
            disagreements: Vec::new(),
        };
        run(corpus, dir, &mut t);
        report.push(format!(
            "{label}: {} configs, {} cases: {} agreed, {} refused by both, {} refused as documented, {} disagreed",
            corpus.len(),
            t.cases,
            t.agreed,
            t.both_refused,
            t.documented,
            t.disagreements.len()
        ));
        for r in &t.reasons {
            report.push(format!("  refused as documented: {r}"));
        }
        agreed_total += t.agreed;
        all_disagreements.extend(t.disagreements);
    }
    println!("ssh -G parity:\n  {}", report.join("\n  "));
    // The floor: most cases must be real resolutions that agree.
    assert!(
        agreed_total >= 4000,
        "only {agreed_total} agreed resolutions; a corpus stopped resolving:\n{}",
        report.join("\n")
    );
    assert!(
        all_disagreements.is_empty(),
        "{} disagreements with ssh -G:\n{}",
        all_disagreements.len(),
        all_disagreements[..all_disagreements.len().min(15)].join("\n\n")
    );
}
