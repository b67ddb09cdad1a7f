//! The loader (`loader/jen-loader.c`), the library users name in
//! `plugin-files`: it links nothing of Nix, loads the backend built for
//! the Nix it finds itself in, and in any other Nix loads nothing, says so
//! in one line and lets Nix go on.
//!
//! With the real Nix under test: through the loader everything is there
//! (every other suite runs through it too); a loader whose `jen-builtins/`
//! holds the real backend recorded as another series, or for another C++
//! library, declines and `nix eval`, `nix-instantiate --eval` and `nix
//! repl` run unharmed; one recorded as another patch release of the same
//! series loads with a warning; the preload path (nixops4's evaluator)
//! registers the builtins too. With stand-in hosts (small programs that
//! export `nix::nixVersion` as a libstdc++ or libc++ string, or nothing,
//! and load the plugin as Nix does) and stand-in backends: a Nix whose
//! version cannot be read, Determinate Nix, Lix and a libc++ Nix are
//! told apart, and a backend that fails to load or has no entry is
//! declined without harm.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A package's layout: a copy of the loader in `lib/` and, in
/// `libexec/jen-builtins/`, links named by the given records
/// (`nix-2.26.3-libstdc++`) to backends.
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new(backends: &[(&str, &Path)]) -> Layout {
        Self::with_backends_in("libexec/jen-builtins", backends)
    }
    /// The same with the backends in `sub` (relative to the layout).
    fn with_backends_in(sub: &str, backends: &[(&str, &Path)]) -> Layout {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir(&lib).unwrap();
        std::fs::copy(plugin_path(), lib.join("libjen_builtins.so")).unwrap();
        let at = dir.path().join(sub);
        std::fs::create_dir_all(&at).unwrap();
        for (record, target) in backends {
            std::os::unix::fs::symlink(target, at.join(format!("{record}.so"))).unwrap();
        }
        Layout { dir }
    }
    fn lib(&self) -> PathBuf {
        self.dir.path().join("lib")
    }
    fn loader(&self) -> PathBuf {
        self.lib().join("libjen_builtins.so")
    }
}

/// The real backend, resolved (the layout's link is relative).
fn real_backend() -> PathBuf {
    std::fs::canonicalize(backend_path()).unwrap()
}

/// This Nix's version and C++ library, from the backend's record.
fn running() -> (String, String) {
    let rest = backend_record().strip_prefix("nix-").unwrap();
    let (v, lib) = rest.split_once('-').unwrap();
    (v.to_string(), lib.to_string())
}

/// The lines the plugin wrote (it prefixes every line with "jen-builtins:").
fn jen_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("jen-builtins:"))
        .collect()
}

/// `nix repl` with `input` on its standard input.
fn repl(nix: &Nix, input: &str) -> Run {
    use std::io::Write;
    let mut c = nix.command("nix");
    c.arg("repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

/// Nix with this loader declines: one line naming both Nixes, and every
/// entry point runs unharmed without `builtins.jen`.
fn assert_declined_unharmed(loader: &Path, built_for: &str) {
    let (version, lib) = running();
    let nix = Nix::with_plugin(Some(loader.to_path_buf()));
    let r = nix.eval_json("1 + 1");
    assert_eq!(r.expect_ok().trim(), "2");
    let lines = jen_lines(&r.stderr);
    assert_eq!(lines.len(), 1, "one line:\n{}", r.stderr);
    let line = lines[0];
    assert!(line.starts_with("jen-builtins: not loaded: "), "{line}");
    assert!(
        line.contains(&format!("this is Nix {version} ({lib})")),
        "{line}"
    );
    assert!(line.contains(built_for), "{line}");
    assert!(line.contains("remove it from plugin-files"), "{line}");

    let mut c = nix.command("nix-instantiate");
    c.args(["--eval", "--expr", "builtins ? jen"]);
    let r = nix.run(c);
    assert_eq!(r.expect_ok().trim(), "false");
    assert_eq!(jen_lines(&r.stderr).len(), 1, "{}", r.stderr);

    let r = repl(&nix, "builtins ? jen\n1 + 2\n");
    assert_eq!(r.signal, None, "nix repl died:\n{}", r.stderr);
    assert_eq!(r.status, Some(0), "nix repl:\n{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("false"), "{}", r.stdout);
    assert!(r.stdout.contains('3'), "{}", r.stdout);

    // The library says that builtins.jen is not loaded, and why.
    let mut c = nix.command("nix");
    c.args(["eval", "--impure", "--file"])
        .arg(project_root().join("examples/jen"))
        .arg("report");
    let err = nix.run(c).expect_err().to_string();
    assert!(err.contains("builtins.jen is not loaded"), "{err}");
    assert!(err.contains("declined to load in this Nix"), "{err}");
    assert!(err.contains(built_for), "{err}");
}

#[test]
fn the_loader_links_nothing_of_nix_nor_a_cxx_library() {
    let loader = plugin_path();
    let ldd = Command::new("ldd").arg(&loader).output().unwrap();
    let ldd = String::from_utf8_lossy(&ldd.stdout).into_owned();
    for line in ldd.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(
            name.starts_with("linux-vdso")
                || name.starts_with("libc.so")
                || name.contains("ld-linux"),
            "the loader needs {name}:\n{ldd}"
        );
    }
    let nm = |flag: &str| {
        let o = Command::new("nm")
            .args(["-D", flag])
            .arg(&loader)
            .output()
            .unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let undefined = nm("--undefined-only");
    assert!(
        !undefined.contains("_Z"),
        "the loader uses C++ symbols:\n{undefined}"
    );
    assert!(!undefined.contains("nix"), "{undefined}");
    let defined: Vec<String> = nm("--defined-only")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect();
    assert_eq!(defined, ["nix_plugin_entry"], "exported: {defined:?}");
    // The backend is the one with Nix's libraries.
    let backend = Command::new("ldd").arg(real_backend()).output().unwrap();
    assert!(String::from_utf8_lossy(&backend.stdout).contains("libnixexpr"));
}

#[test]
fn through_the_loader_the_backend_for_this_nix_loads_silently() {
    let nix = Nix::new();
    let r = nix.eval_raw("builtins.jen.version");
    assert!(!r.expect_ok().trim().is_empty());
    assert_eq!(jen_lines(&r.stderr), Vec::<&str>::new(), "{}", r.stderr);
}

#[test]
fn plugin_files_may_name_the_packages_lib_directory() {
    // Nix loads every entry of a directory in plugin-files: lib/ holds the
    // loader alone, the backends are in libexec/.
    let layout = Layout::new(&[(backend_record(), &real_backend())]);
    let nix = Nix::with_plugin(Some(layout.lib()));
    let r = nix.eval_raw("builtins.jen.version");
    assert!(!r.expect_ok().trim().is_empty());
    assert_eq!(jen_lines(&r.stderr), Vec::<&str>::new(), "{}", r.stderr);
}

#[test]
fn backends_beside_the_loader_in_jen_builtins_load_too() {
    let layout =
        Layout::with_backends_in("lib/jen-builtins", &[(backend_record(), &real_backend())]);
    let nix = Nix::with_plugin(Some(layout.loader()));
    assert_eq!(nix.eval_json("builtins ? jen").expect_ok().trim(), "true");
}

#[test]
fn a_backend_named_directly_in_plugin_files_registers_nothing() {
    // The backend has no nix_plugin_entry: no path skips the loader.
    let nix = Nix::with_plugin(Some(real_backend()));
    assert_eq!(nix.eval_json("builtins ? jen").expect_ok().trim(), "false");
}

#[test]
fn a_backend_recorded_for_another_series_is_not_loaded() {
    let (_, lib) = running();
    let layout = Layout::new(&[(&format!("nix-2.19.9-{lib}"), &real_backend())]);
    assert_declined_unharmed(&layout.loader(), &format!("built for Nix 2.19.9 ({lib})"));
}

#[test]
fn a_backend_recorded_for_another_cxx_library_is_not_loaded() {
    let (version, lib) = running();
    let other = if lib == "libc++" {
        "libstdc++"
    } else {
        "libc++"
    };
    let layout = Layout::new(&[(&format!("nix-{version}-{other}"), &real_backend())]);
    assert_declined_unharmed(
        &layout.loader(),
        &format!("built for Nix {version} ({other})"),
    );
}

#[test]
fn no_backend_at_all_is_declined() {
    let layout = Layout::new(&[]);
    assert_declined_unharmed(&layout.loader(), "no backend lies beside the loader");
}

#[test]
fn another_patch_release_of_the_series_loads_with_a_warning() {
    let (version, lib) = running();
    let mut parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    // Another patch release: one below (or above, for .0).
    parts[2] = if parts[2] > 0 { parts[2] - 1 } else { 1 };
    let other = format!("{}.{}.{}", parts[0], parts[1], parts[2]);
    let layout = Layout::new(&[
        (&format!("nix-{other}-{lib}"), &real_backend()),
        // Never chosen: another series.
        (&format!("nix-2.19.9-{lib}"), &real_backend()),
    ]);
    let nix = Nix::with_plugin(Some(layout.loader()));
    let r = nix.eval_json("builtins ? jen");
    assert_eq!(r.expect_ok().trim(), "true");
    let lines = jen_lines(&r.stderr);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].starts_with(&format!(
            "jen-builtins: warning: built for Nix {other} ({lib}), this is Nix {version} ({lib}): the same series"
        )),
        "{}",
        lines[0]
    );
}

#[test]
fn the_exact_release_wins_over_another_patch_release() {
    let (version, lib) = running();
    let layout = Layout::new(&[
        (&format!("nix-{version}-{lib}"), &real_backend()),
        // A stand-in that would say so if it were chosen.
        (&format!("nix-{version}9-{lib}"), &stand_in_backend(&[])),
    ]);
    let nix = Nix::with_plugin(Some(layout.loader()));
    let r = nix.eval_raw("builtins.jen.version");
    r.expect_ok();
    assert_eq!(jen_lines(&r.stderr), Vec::<&str>::new(), "{}", r.stderr);
    assert!(!r.stdout.contains(ENTERED), "{}", r.stdout);
}

#[test]
fn preloaded_as_for_nixops4s_evaluator_the_loader_registers_the_builtins() {
    // No plugin-files: LD_PRELOAD and JEN_BUILTINS_PRELOAD, as
    // nix/nixops4/nixops4-eval-with-jen starts nixops4-eval.
    let mut nix = Nix::with_plugin(None);
    nix.extra_env = vec![
        ("LD_PRELOAD".into(), plugin_path().display().to_string()),
        ("JEN_BUILTINS_PRELOAD".into(), "1".into()),
    ];
    let r = nix.eval_raw("builtins.jen.version");
    assert!(!r.expect_ok().trim().is_empty(), "{}", r.stderr);
    // The variables are gone for the evaluator's children.
    let mut c = nix.command("nix");
    c.args([
        "eval",
        "--impure",
        "--raw",
        "--expr",
        r#"builtins.getEnv "LD_PRELOAD" + "|" + builtins.getEnv "JEN_BUILTINS_PRELOAD""#,
    ]);
    assert_eq!(nix.run(c).expect_ok(), "|");
}

// --- Stand-in hosts and backends ----------------------------------------

/// Compile `src` (under tests/data/loader) with `cmd` and `args` into `out`.
fn compile(cmd: &str, args: &[&str], src: &str, out: &Path) {
    let o = Command::new(cmd)
        .args(args)
        .arg(project_root().join("tests/data/loader").join(src))
        .arg("-o")
        .arg(out)
        .arg("-ldl")
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (scripts/install-test-deps installs it)"));
    assert!(
        o.status.success(),
        "{cmd} {src}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A stand-in backend (tests/data/loader/backend.c) with `defines`.
fn stand_in_backend(defines: &[&str]) -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let out = dir.join("backend.so");
    let mut args = vec!["-shared", "-fPIC"];
    args.extend(defines);
    compile("cc", &args, "backend.c", &out);
    out
}

/// A stand-in host (tests/data/loader/host.cc) built with `cxx` (and its
/// C++ library) and `defines`; returns what it printed and its status.
fn run_host(cxx: &[&str], defines: &[String], loader: &Path) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host");
    let mut args: Vec<&str> = cxx[1..].to_vec();
    args.push("-rdynamic");
    args.extend(defines.iter().map(String::as_str));
    compile(cxx[0], &args, "host.cc", &host);
    Run::from(
        Command::new(&host)
            .arg(loader)
            .env_remove("JEN_BUILTINS_NOT_LOADED")
            .output()
            .unwrap(),
    )
}

const GXX: &[&str] = &["g++"];
const CLANG_LIBCXX: &[&str] = &["clang++-19", "-stdlib=libc++"];

fn define(name: &str, value: &str) -> String {
    format!("-D{name}=\"{value}\"")
}

/// The host ran to its end; the lines the plugin wrote.
fn assert_survived(r: &Run) -> Vec<&str> {
    assert_eq!(r.signal, None, "the host died:\n{}", r.stderr);
    assert_eq!(r.status, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("host survived"), "{}", r.stdout);
    jen_lines(&r.stderr)
}

/// The host survived, and the plugin wrote exactly one line, which holds
/// every one of `wanted`.
fn assert_one_line(r: &Run, wanted: &[&str]) {
    let lines = assert_survived(r);
    assert_eq!(lines.len(), 1, "one line:\n{}", r.stderr);
    for w in wanted {
        assert!(lines[0].contains(w), "no {w:?} in: {}", lines[0]);
    }
}

const ENTERED: &str = "stand-in backend entered";

#[test]
fn a_nix_whose_version_cannot_be_read_is_declined() {
    let layout = Layout::new(&[("nix-2.26.3-libstdc++", &stand_in_backend(&[]))]);
    // No nix::nixVersion at all; then one that is not a version.
    for defines in [vec![], vec![define("NIX_VERSION", "unknown")]] {
        let r = run_host(GXX, &defines, &layout.loader());
        assert_one_line(&r, &["this is a Nix whose version cannot be read"]);
        assert!(!r.stdout.contains(ENTERED));
    }
}

#[test]
fn determinate_nix_and_lix_are_told_apart_and_declined() {
    let layout = Layout::new(&[("nix-2.35.2-libstdc++", &stand_in_backend(&[]))]);
    let r = run_host(
        GXX,
        &[
            define("NIX_VERSION", "2.35.2"),
            define("DETERMINATE_VERSION", "3.22.2"),
        ],
        &layout.loader(),
    );
    assert_one_line(
        &r,
        &["this is Determinate Nix 3.22.2 (Nix 2.35.2, libstdc++)"],
    );
    assert!(!r.stdout.contains(ENTERED));

    let r = run_host(GXX, &[define("NIX_VERSION", "2.95.3")], &layout.loader());
    assert_one_line(
        &r,
        &[
            "this is Lix 2.95.3 (libstdc++)",
            "built for Nix 2.35.2 (libstdc++)",
        ],
    );
    assert!(!r.stdout.contains(ENTERED));
}

#[test]
fn a_libcxx_nix_is_read_in_libcxxs_layout_and_gets_its_backend() {
    let layout = Layout::new(&[
        ("nix-2.34.8-libc++", &stand_in_backend(&[])),
        ("nix-2.34.8-libstdc++", &stand_in_backend(&["-DNO_ENTRY"])),
    ]);
    // Short (in the object): the exact release, silently.
    let r = run_host(
        CLANG_LIBCXX,
        &[define("NIX_VERSION", "2.34.8")],
        &layout.loader(),
    );
    assert_eq!(assert_survived(&r), Vec::<&str>::new(), "{}", r.stderr);
    assert!(r.stdout.contains(ENTERED), "{}", r.stdout);
    // Long (on the heap): another build of the series, with the warning.
    let v = "2.34.8pre20261201_0123456789abcdef";
    let r = run_host(CLANG_LIBCXX, &[define("NIX_VERSION", v)], &layout.loader());
    assert_one_line(&r, &["warning", &format!("this is Nix {v} (libc++)")]);
    assert!(r.stdout.contains(ENTERED), "{}", r.stdout);
    // The same version, libstdc++: the libc++ backend is not for it.
    let r = run_host(GXX, &[define("NIX_VERSION", "2.34.8")], &layout.loader());
    assert_one_line(&r, &["has no jen_backend_entry"]);
    assert!(!r.stdout.contains(ENTERED));
}

#[test]
fn a_backend_that_fails_to_load_is_declined_without_harm() {
    let layout = Layout::new(&[("nix-2.26.3-libstdc++", &stand_in_backend(&["-DUNRESOLVED"]))]);
    let r = run_host(GXX, &[define("NIX_VERSION", "2.26.3")], &layout.loader());
    assert_one_line(&r, &["failed to load", "nix_symbol_of_another_release"]);
}

// --- Two Nix prefixes ------------------------------------------------------

/// Every other Nix installed by scripts/install-nix whose plugin is built
/// (target/nix-<version>/debug/jen-plugin/libexec/jen-builtins):
/// `(prefix, backend)`.
fn other_builds() -> Vec<(PathBuf, PathBuf)> {
    let mine = nix_prefix();
    let Ok(entries) = std::fs::read_dir("/opt/jen-nix") else {
        return vec![];
    };
    let mut found = vec![];
    for e in entries.flatten() {
        let prefix = e.path();
        let v = e.file_name().to_string_lossy().into_owned();
        if prefix == mine || !prefix.join("bin/nix").exists() {
            continue;
        }
        let backends = project_root().join(format!(
            "target/nix-{v}/debug/jen-plugin/libexec/jen-builtins"
        ));
        if let Some(b) = std::fs::read_dir(&backends)
            .into_iter()
            .flatten()
            .flatten()
            .map(|b| b.path())
            .find(|b| b.exists())
        {
            found.push((prefix, b));
        }
    }
    found
}

#[test]
fn each_build_in_the_other_nix_steps_aside_and_one_loader_serves_both() {
    let others = other_builds();
    if others.is_empty() {
        not_run(
            "tests/loader.rs, the real cross-load between two Nix series",
            "install and test a second series (JEN_NIX_VERSION=2.34 scripts/test) beside this one",
        );
        return;
    }
    for (prefix, backend) in others {
        let record = backend.file_stem().unwrap().to_string_lossy().into_owned();
        let theirs = std::fs::canonicalize(&backend).unwrap();
        // This Nix with a loader holding only the other build.
        let layout = Layout::new(&[(&record, &theirs)]);
        let nix = Nix::with_plugin(Some(layout.loader()));
        let r = nix.eval_json("1 + 1");
        assert_eq!(r.expect_ok().trim(), "2");
        assert_eq!(jen_lines(&r.stderr).len(), 1, "{}", r.stderr);
        // Both builds: each Nix loads its own.
        let both = Layout::new(&[(&record, &theirs), (backend_record(), &real_backend())]);
        let nix = Nix::with_plugin(Some(both.loader()));
        assert_eq!(nix.eval_json("builtins ? jen").expect_ok().trim(), "true");
        let mut c = nix.command_at(&prefix.join("bin/nix"));
        c.args(["--option", "plugin-files"])
            .arg(both.loader())
            .args(["eval", "--raw", "--expr", "builtins.jen.version"]);
        let r = nix.run(c);
        r.expect_ok();
        assert_eq!(jen_lines(&r.stderr), Vec::<&str>::new(), "{}", r.stderr);
        // The other Nix with only this build: declines, unharmed.
        let mine = Layout::new(&[(backend_record(), &real_backend())]);
        let mut c = nix.command_at(&prefix.join("bin/nix"));
        c.args(["--option", "plugin-files"])
            .arg(mine.loader())
            .args(["eval", "--expr", "1 + 1"]);
        let r = nix.run(c);
        assert_eq!(r.expect_ok().trim(), "2");
        assert_eq!(jen_lines(&r.stderr).len(), 1, "{}", r.stderr);
    }
}
