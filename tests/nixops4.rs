//! `nixops4 apply` of examples/nixops4 with the real NixOps4 (CLI and
//! evaluator the user provides in `JEN_NIXOPS4`, built against the Nix
//! under test, else "not run"), the project's provider module and
//! `jen nixops4-provider`, against a real sshd on loopback:
//!
//! 1. the first apply reads and pins the host key and makes the state
//!    directories with their owner and mode;
//! 2. a second apply changes nothing (the state file is byte for byte the
//!    same, the directories too);
//! 3. with the host's key replaced, the next apply that connects (a mode
//!    change) is refused, naming both fingerprints, and changes nothing;
//! 4. `acceptChangedKey` pins the new key, and the pending change lands;
//! 5. an invalid network stops `nixops4 apply` in evaluation, with every
//!    violation, before any resource is touched.
//!
//! The deployment calls `builtins.jen` (lib.plan) inside nixops4's
//! evaluator, which is started through `nix/nixops4/nixops4-eval-with-jen`
//! (the plugin preloaded, since nixops4-eval never loads `plugin-files`).

mod common;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::Command;

/// The user's NixOps4 (`JEN_NIXOPS4`: a directory with
/// `bin/{nixops4,nixops4-eval,nixops4-resources-local}`, built against
/// the Nix under test, and nixops4's `nix/`) and nixpkgs' lib
/// (`JEN_NIXPKGS`), as `(bin, nixops4 dir, lib)`; `None` after saying the
/// suite did not run. No package registry serves either.
fn nixops4() -> Option<(PathBuf, PathBuf, PathBuf)> {
    const SUITE: &str = "tests/nixops4.rs (nixops4 apply of examples/nixops4)";
    let dir = provided(
        "JEN_NIXOPS4",
        SUITE,
        "a dir with bin/{nixops4,nixops4-eval,nixops4-resources-local} built against this Nix, and nixops4's nix/",
    )?;
    let lib = nixpkgs_lib(SUITE)?;
    for f in [
        "bin/nixops4",
        "bin/nixops4-eval",
        "bin/nixops4-resources-local",
        "nix/lib/lib.nix",
        "nix/providers/local.nix",
    ] {
        assert!(
            dir.join(f).exists(),
            "JEN_NIXOPS4={} has no {f}",
            dir.display()
        );
    }
    Some((dir.join("bin"), dir, lib))
}

struct Apply {
    ok: bool,
    out: String,
}

/// One deployment directory (nixops4.nix, the state file), its throwaway
/// Nix environment, a deploy key and a state root under /srv.
struct Deployment {
    nix: Nix,
    work: tempfile::TempDir,
    bin: PathBuf,
    src: PathBuf,
    lib: PathBuf,
    keys: tempfile::TempDir,
    key: PathBuf,
    user_pub: String,
    state_root: tempfile::TempDir,
}

impl Deployment {
    fn new(bin: PathBuf, src: PathBuf, lib: PathBuf) -> Deployment {
        let keys = tempfile::tempdir().unwrap();
        let (key, user_pub) = keygen(keys.path(), "deploy");
        // The state directories are made under /srv (an allowed tree), as
        // root: the target is this machine.
        std::fs::create_dir_all("/srv").unwrap();
        let state_root = tempfile::Builder::new()
            .prefix("jen-nixops4-")
            .tempdir_in("/srv")
            .unwrap();
        Deployment {
            nix: Nix::new(),
            work: tempfile::tempdir().unwrap(),
            bin,
            src,
            lib,
            keys,
            key,
            user_pub,
            state_root,
        }
    }

    /// A new host key pair in the deployment's key directory: the private
    /// key's path and the public key as `hostPublicKey` gives it.
    fn host_key(&self, name: &str) -> (PathBuf, String) {
        let (key, public) = keygen(self.keys.path(), name);
        (key, bare_key(&public))
    }

    /// Both sites' state directories are there, owned by `fsrest`, with
    /// `mode`; `when` says after what.
    fn assert_sites(&self, mode: u32, when: &str) {
        for site in ["jekor.com", "jekos.net"] {
            let dir = self.state_root.path().join(format!("var/{site}"));
            let m = std::fs::metadata(&dir)
                .unwrap_or_else(|e| panic!("{}: {e} ({when})", dir.display()));
            assert!(m.is_dir(), "{site} is not a directory ({when})");
            assert_eq!(m.uid(), uid_of("fsrest"), "{site} owner ({when})");
            assert_eq!(
                m.permissions().mode() & 0o7777,
                mode,
                "{site} mode ({when})"
            );
        }
    }

    /// Write nixops4.nix for the example with these extra site settings.
    fn site(&self, port: u16, extra: &str) {
        let site = format!(
            r#"import {deployment} {{
  nixpkgsLib = {lib};
  nixops4 = {src};
  nixops4ResourcesLocal = {local};
  jen = {jen};
  identityFile = {key};
  reach.www = {{ host = "127.0.0.1"; port = {port}; }};
  stateRoot = {root};
  {extra}
}}
"#,
            deployment = project_root()
                .join("examples/nixops4/deployment.nix")
                .display(),
            lib = self.lib.display(),
            src = self.src.display(),
            local = nix_str(&self.bin.join("nixops4-resources-local").to_string_lossy()),
            jen = nix_str(&jen_bin().display().to_string()),
            key = nix_str(&self.key.to_string_lossy()),
            root = nix_str(&self.state_root.path().to_string_lossy()),
        );
        std::fs::write(self.work.path().join("nixops4.nix"), site).unwrap();
    }

    fn apply(&self) -> Apply {
        let mut c = Command::new(self.bin.join("nixops4"));
        self.nix.environ(&mut c);
        c.env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                self.bin.display(),
                nix_prefix().join("bin").display()
            ),
        )
        .env(
            "_NIXOPS4_EVAL",
            project_root().join("nix/nixops4/nixops4-eval-with-jen"),
        )
        .env("JEN_NIXOPS4_EVAL", self.bin.join("nixops4-eval"))
        .env("JEN_PLUGIN", plugin_path())
        .current_dir(self.work.path())
        .args(["apply", "jekor"]);
        let out = c.output().expect("run nixops4");
        let status = out.status;
        let r = Run::from(out);
        eprintln!("nixops4 apply: {status}\n{}", r.output_text());
        Apply {
            ok: r.ok(),
            out: r.output_text(),
        }
    }

    fn state_file(&self) -> Option<String> {
        std::fs::read_to_string(self.work.path().join("jekor-state.json")).ok()
    }
}

#[test]
fn nixops4_apply_pins_the_key_makes_the_state_dirs_and_refuses_a_changed_key() {
    let Some((bin, src, lib)) = nixops4() else {
        return;
    };
    ensure_user("fsrest");
    let d = Deployment::new(bin, src, lib);
    let (host_a, host_a_bare) = d.host_key("host-a");
    let (host_b, host_b_bare) = d.host_key("host-b");
    let fp_a = fingerprint(&host_a);
    let fp_b = fingerprint(&host_b);
    let user_pub = d.user_pub.clone();

    // 1. First apply: key pinned, directories made.
    let sshd = Sshd::with(&host_a, &user_pub);
    let port = sshd.port;
    d.site(port, "");
    let first = d.apply();
    assert!(first.ok, "first apply failed:\n{}", first.out);
    let state = d.state_file().expect("the state file is written");
    assert!(
        state.contains(&host_a_bare),
        "the state pins the host's key {host_a_bare}:\n{state}"
    );
    d.assert_sites(0o755, "the first apply");

    // 2. Second apply: nothing changes.
    let second = d.apply();
    assert!(second.ok, "second apply failed:\n{}", second.out);
    assert_eq!(
        d.state_file().unwrap(),
        state,
        "a second apply changed the state"
    );
    d.assert_sites(0o755, "the second apply");

    // 3. The host's key replaced, the deployment unchanged: nixops4 skips
    //    the unchanged ssh_target, and state_dirs (stateless, so run on
    //    every apply) connects against the pinned key and is refused,
    //    naming both fingerprints; nothing changes.
    assert!(
        second.out.contains("Skipping update for resource jekor.www-host-key"),
        "nixops4 no longer skips an unchanged ssh_target; docs/provider.md's account of the pin is out of date:\n{}",
        second.out
    );
    drop(sshd);
    let sshd = Sshd::with_port(&host_b, &user_pub, port);
    let refused = d.apply();
    assert!(
        !refused.ok,
        "apply with a replaced host key succeeded:\n{}",
        refused.out
    );
    assert!(
        refused.out.contains(&fp_a) && refused.out.contains(&fp_b),
        "the refusal names the pinned ({fp_a}) and the offered ({fp_b}) fingerprint:\n{}",
        refused.out
    );
    assert_eq!(
        d.state_file().unwrap(),
        state,
        "a refused apply changed the state"
    );
    d.assert_sites(0o755, "a refused apply");

    // 4. acceptChangedKey: the new key is pinned, and a change lands.
    d.site(port, r#"mode = "0770"; acceptChangedKey = true;"#);
    let accepted = d.apply();
    assert!(
        accepted.ok,
        "apply with acceptChangedKey failed:\n{}",
        accepted.out
    );
    let state = d.state_file().unwrap();
    assert!(
        state.contains(&host_b_bare),
        "the new key is pinned:\n{state}"
    );
    d.assert_sites(0o770, "the apply with acceptChangedKey");
    drop(sshd);
}

#[test]
fn nixops4_apply_of_an_invalid_network_stops_in_evaluation_with_every_violation() {
    let Some((bin, src, lib)) = nixops4() else {
        return;
    };
    let d = Deployment::new(bin, src, lib);
    let (host, _) = d.host_key("host");
    let sshd = Sshd::with(&host, &d.user_pub);
    d.site(
        sshd.port,
        &format!(
            "network = (import {}).network;",
            project_root().join("examples/invalid").display()
        ),
    );
    let r = d.apply();
    assert!(!r.ok, "an invalid network was applied:\n{}", r.out);
    for path in [
        "the network is not valid (7 violations)",
        "machines.db.ssh.via",
        "machines.mail.provider",
        "machines.www.sites.\"jekor.com\".state",
        "machines.www.sites.\"jekos.net\".mountPoint",
        "machines.www.sites.\"minjs.com\".aliases[0]",
        "machines.www.sites.\"vocabulink.com\".backend.port",
        "machines.www.ssh.port",
    ] {
        assert!(r.out.contains(path), "{path} is not reported:\n{}", r.out);
    }
    // Nothing was touched: no state file, no directory, no provider run.
    assert!(d.state_file().is_none(), "a state file was written");
    assert_eq!(
        std::fs::read_dir(d.state_root.path()).unwrap().count(),
        0,
        "something was made on the target"
    );
    assert!(
        !r.out.contains("Applying resource"),
        "a resource was applied:\n{}",
        r.out
    );
}
