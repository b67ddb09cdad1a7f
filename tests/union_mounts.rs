//! The union mounts of a machine, run for real, for each union
//! (overlayfs and unionfs-fuse): the units `lib.plan` (and
//! `lib.mountUnit`) write are started and stopped as systemd would run
//! them (`preStart` and `script` with `bash -e`, `ExecStop` as its words),
//! as root, with the kernel's overlayfs, Debian's unionfs-fuse, coreutils
//! and util-linux standing in for the packages a unit takes its programs
//! from, and the jen CLI cargo built for `jen-builtins`. The static
//! content is in a real Nix store (a throwaway store whose store directory
//! is under /srv, so that its paths exist where the units look for them).
//!
//! For a machine with two writable sites: from no state directory the
//! first start works (an overlayfs work directory made root's, outside
//! the branch); the owner writes a comment and a `comments.json` through
//! the mounts and they land in the writable branches as the owner's; a
//! restart keeps them; neither site sees the other's files; a static file
//! cannot be written by the owner; a file that masks a static one, a
//! whiteout left by deleting one, root's write to a static file (a copy
//! up) and, on overlayfs, a directory root replaced (opaque) are reported
//! by `jen masking` and in the start's output, and gone once removed;
//! `onMasking = "refuse"` (`lib.mountUnit`'s, and the network's per site)
//! fails the start; stop unmounts; the store paths still verify; a branch
//! written through the other union is refused; a symbolic link at the
//! state directory, the work directory or the mount point is refused.

mod common;
use common::*;
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const OWNER: &str = "jenunion";

/// A Debian program, for the stand-in packages.
fn debian(program: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!("{program} is not installed (scripts/install-test-deps installs it)");
}

/// The machine: its root under /srv, the Nix whose store holds the
/// static content, the stand-in packages.
struct Machine {
    root: tempfile::TempDir,
    nix: Nix,
    union: Union,
}

/// The union under test.
#[derive(Clone, Copy, PartialEq)]
enum Union {
    Overlayfs,
    UnionfsFuse,
}

impl Union {
    fn name(self) -> &'static str {
        match self {
            Union::Overlayfs => "overlayfs",
            Union::UnionfsFuse => "unionfs-fuse",
        }
    }

    /// Where the union records that `rel` was deleted through the mount.
    fn whiteout(self, branch: &Path, rel: &str) -> PathBuf {
        match self {
            Union::Overlayfs => branch.join(rel),
            Union::UnionfsFuse => branch.join(format!(".unionfs-fuse/{rel}_HIDDEN~")),
        }
    }

    fn other(self) -> Union {
        match self {
            Union::Overlayfs => Union::UnionfsFuse,
            Union::UnionfsFuse => Union::Overlayfs,
        }
    }
}

impl Machine {
    fn new(union: Union) -> Machine {
        ensure_user(OWNER);
        std::fs::create_dir_all("/srv").unwrap();
        let root = tempfile::Builder::new()
            .prefix("jen-union-")
            .tempdir_in("/srv")
            .unwrap();
        let r = root.path();
        // The owner must reach the branches and mount points.
        std::fs::set_permissions(r, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let nix = Nix::new();
        let store = r.join("nix/store");
        std::fs::write(
            nix.path("conf/nix.conf"),
            format!(
                "experimental-features = nix-command flakes\n\
                 substituters =\n\
                 build-users-group =\n\
                 sandbox = false\n\
                 store = local?store={}&state={}&log={}\n",
                store.display(),
                r.join("nix/var").display(),
                r.join("nix/log").display()
            ),
        )
        .unwrap();
        // Stand-in packages: bin/ with Debian's programs under nixpkgs' names.
        for (pkg, programs) in [
            ("coreutils", &["mkdir", "chown", "rm", "rmdir", "stat"][..]),
            (
                "util-linux",
                &["mount", "mountpoint", "umount", "runuser"][..],
            ),
            ("unionfs-fuse", &["unionfs"][..]),
        ] {
            let bin = r.join("pkgs").join(pkg).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            for p in programs {
                std::os::unix::fs::symlink(debian(p), bin.join(p)).unwrap();
            }
        }
        let bin = r.join("pkgs/jen-builtins/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(jen_bin(), bin.join("jen")).unwrap();
        // Two sites' static content.
        for (site, files, dirs) in [
            (
                "a.test",
                &["index.html", "about.html", "posts/p1/index.html"][..],
                &["comments"][..],
            ),
            ("b.test", &["index.html", "posts/q/index.html"][..], &[][..]),
        ] {
            let src = r.join("src").join(site);
            for f in files {
                let p = src.join(f);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, format!("{site} {f}\n")).unwrap();
            }
            for d in dirs {
                std::fs::create_dir_all(src.join(d)).unwrap();
            }
        }
        Machine { root, nix, union }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// `pkgs` for lib.plan: the stand-in packages by their directories.
    fn pkgs(&self) -> String {
        let p = |n: &str| nix_str(&self.path(&format!("pkgs/{n}")).to_string_lossy());
        format!(
            "{{ coreutils = {}; util-linux = {}; unionfs-fuse = {}; jen-builtins = {}; }}",
            p("coreutils"),
            p("util-linux"),
            p("unionfs-fuse"),
            p("jen-builtins")
        )
    }

    /// The network: machine `box` with the two writable sites.
    fn network(&self) -> String {
        let r = self.root.path().display();
        let key =
            std::fs::read_to_string(project_root().join("examples/jen/keys/deploy_ed25519.pub"))
                .unwrap();
        let union = self.union.name();
        let site = |name: &str, dynamic: &str, extra: &str| {
            format!(
                r#""{name}" = {{
                  static = "${{builtins.path {{ path = {r}/src/{name}; name = "{name}"; }}}}";
                  writable = true;
                  union = "{union}";
                  owner = "{OWNER}";
                  dynamic = [ {dynamic} ];
                  {extra}
                  state = "{r}/var/{name}";
                  mountPoint = "{r}/www/{name}";
                }};"#
            )
        };
        format!(
            r#"{{
              name = "union";
              tld = "test";
              machines.box = {{
                provider = {{ type = "ovh"; address = "127.0.0.1"; }};
                ssh = {{ user = "root"; authorizedKeys = [ {key} ]; }};
                sites = {{
                  {a}
                  {b}
                }};
              }};
            }}"#,
            key = nix_str(key.trim()),
            a = site("a.test", r#""comments/**""#, ""),
            b = site(
                "b.test",
                r#""**/comments.json""#,
                r#"onMasking = "refuse";"#
            ),
        )
    }

    /// `expr` over `plan` (lib.plan of the network) and `jen` (the library).
    fn eval(&self, expr: &str) -> Value {
        let full = format!(
            r#"let
                 jen = import {lib} {{ }};
                 plan = (jen.lib.plan {{
                   network = {network};
                   pkgs = {pkgs};
                   local = {{ user = "me"; home = "/nonexistent"; hostname = "ci"; }};
                 }}).machines.box;
                 pkgs = {pkgs};
               in {expr}"#,
            lib = project_root().join("nix").display(),
            network = self.network(),
            pkgs = self.pkgs(),
        );
        let r = self.nix.eval_json_args(&full, &["--impure"]);
        serde_json::from_str(r.expect_ok()).unwrap()
    }
}

/// What running part of a unit did.
struct Ran {
    ok: bool,
    out: String,
}

fn sh(script: &str) -> Ran {
    let o = Command::new(debian("bash"))
        .args(["-e", "-c", script])
        .env_clear()
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let r = Run::from(o);
    Ran {
        ok: r.ok(),
        out: r.output_text(),
    }
}

/// Start a unit as systemd does: preStart, then the (forking) script.
fn start(unit: &Value) -> Ran {
    let pre = sh(unit["preStart"].as_str().unwrap());
    if !pre.ok {
        return pre;
    }
    let main = sh(unit["script"].as_str().unwrap());
    Ran {
        ok: main.ok,
        out: pre.out + &main.out,
    }
}

/// Stop it: ExecStop, a systemd command line of plain words.
fn stop(unit: &Value) {
    let words: Vec<&str> = unit["serviceConfig"]["ExecStop"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    let o = Command::new(words[0]).args(&words[1..]).output().unwrap();
    assert!(o.status.success(), "ExecStop: {o:?}");
}

fn mounted(point: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mounts")
        .unwrap()
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(point.to_str().unwrap()))
}

/// Run `script` with sh as root; true when it succeeded.
fn as_root(script: &str) -> bool {
    Command::new(debian("sh"))
        .args(["-c", script])
        .status()
        .unwrap()
        .success()
}

/// Run `script` with sh as the owner; true when it succeeded.
fn as_owner(script: &str) -> bool {
    Command::new(debian("runuser"))
        .args(["-u", OWNER, "--", "sh", "-c", script])
        .status()
        .unwrap()
        .success()
}

/// `jen masking` of a branch for `union`: its exit status, and its
/// standard output followed by its standard error.
fn jen_masking(union: Union, stat: &str, state: &Path, json: bool) -> (i32, String) {
    let mut c = Command::new(jen_bin());
    if json {
        c.arg("--json");
    }
    let o = c
        .args(["masking", "--union", union.name(), "--static", stat])
        .arg(state)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// A start that masking makes refuse (onMasking = "refuse"): it fails,
/// says why, and mounts nothing at `point`.
fn assert_refused(unit: &Value, point: &Path) -> Ran {
    let r = start(unit);
    assert!(!r.ok, "{}", r.out);
    assert!(
        r.out.contains("not mounting (onMasking = refuse)"),
        "{}",
        r.out
    );
    assert!(!mounted(point));
    r
}

/// Unmounts whatever the test left mounted, even when it fails.
struct Unmount(Vec<PathBuf>);
impl Drop for Unmount {
    fn drop(&mut self) {
        for p in &self.0 {
            if mounted(p) {
                let _ = Command::new(debian("umount")).arg(p).status();
            }
        }
    }
}

#[test]
fn overlayfs_sites_mount_take_their_owners_writes_and_report_masking() {
    two_writable_sites(Union::Overlayfs);
}

#[test]
fn unionfs_fuse_sites_mount_take_their_owners_writes_and_report_masking() {
    if !Path::new("/dev/fuse").exists() {
        panic!("/dev/fuse is missing: the unionfs-fuse scenario needs FUSE");
    }
    two_writable_sites(Union::UnionfsFuse);
}

/// The whole scenario, for one union.
fn two_writable_sites(union: Union) {
    let m = Machine::new(union);
    let v = m.eval(
        "{ inherit (plan) units stateDirs mounts exclude backup; static = map (x: x.static) plan.mounts; }",
    );
    let a = &v["units"]["www-mount-a.test"];
    let b = &v["units"]["www-mount-b.test"];
    let (mp_a, mp_b) = (m.path("www/a.test"), m.path("www/b.test"));
    let (st_a, st_b) = (m.path("var/a.test"), m.path("var/b.test"));
    let _cleanup = Unmount(vec![mp_a.clone(), mp_b.clone()]);
    let statics: Vec<String> = serde_json::from_value(v["static"].clone()).unwrap();
    let static_a = statics
        .iter()
        .find(|s| s.ends_with("-a.test"))
        .unwrap()
        .clone();
    let under = |rel: &str| m.path(rel).display().to_string();
    let overlay = union == Union::Overlayfs;
    let work = |site: &str| under(&format!("var/{site}.overlay-work"));

    // What a deploy prepares: both branches, and a.test's comments/; b.test's
    // every static directory (posts, posts/q), for **/comments.json; and
    // on overlayfs each work directory, root's.
    let dirs: Vec<(String, String, String)> = v["stateDirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap().to_string();
            (s("path"), s("owner"), s("mode"))
        })
        .collect();
    let branch = |rel: &str| (under(rel), OWNER.to_string(), "0755".to_string());
    let workdir = |site: &str| (work(site), "root".to_string(), "0700".to_string());
    let mut want = vec![branch("var/a.test"), branch("var/a.test/comments")];
    if overlay {
        want.push(workdir("a.test"));
    }
    want.extend([
        branch("var/b.test"),
        branch("var/b.test/posts"),
        branch("var/b.test/posts/q"),
    ]);
    if overlay {
        want.push(workdir("b.test"));
    }
    assert_eq!(dirs, want);
    // The work directory is excluded from deploys and never backed up.
    let list = |k: &str| -> Vec<String> { serde_json::from_value(v[k].clone()).unwrap() };
    assert_eq!(list("backup"), [under("var/a.test"), under("var/b.test")]);
    assert_eq!(list("exclude").contains(&work("a.test")), overlay);
    for mnt in v["mounts"].as_array().unwrap() {
        assert_eq!(mnt["union"], union.name());
    }

    // From nothing: no state directory, no mount point.
    assert!(!m.path("var").exists() && !m.path("www").exists());
    for u in [a, b] {
        let r = start(u);
        assert!(r.ok, "start:\n{}", r.out);
        assert!(r.out.contains("hides nothing"), "{}", r.out);
    }
    assert!(mounted(&mp_a) && mounted(&mp_b));
    assert_eq!(
        std::fs::read_to_string(mp_a.join("index.html")).unwrap(),
        "a.test index.html\n"
    );
    // True owners: the store's files stay root's and read-only.
    let shown = std::fs::metadata(mp_a.join("index.html")).unwrap();
    assert_eq!(shown.uid(), 0);
    assert_eq!(shown.mode() & 0o222, 0);
    if overlay {
        // The work directory: root's alone, beside the branch.
        let w = std::fs::metadata(work("a.test")).unwrap();
        assert_eq!((w.uid(), w.mode() & 0o777), (0, 0o700));
    } else {
        // The meta directory is not shown.
        assert!(!mp_a.join(".unionfs-fuse").exists());
    }
    // A second start while mounted is refused, not stacked.
    let r = start(a);
    assert!(!r.ok && r.out.contains("is already mounted"), "{}", r.out);

    // The owner writes through the mounts; it lands in the branches, as the owner's.
    assert!(as_owner(&format!(
        "echo hello > {}/comments/c1.txt",
        mp_a.display()
    )));
    assert!(as_owner(&format!(
        "echo '[]' > {}/posts/q/comments.json",
        mp_b.display()
    )));
    for f in [
        st_a.join("comments/c1.txt"),
        st_b.join("posts/q/comments.json"),
    ] {
        let md = std::fs::metadata(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(md.uid(), uid_of(OWNER), "{}", f.display());
    }
    // A static file cannot be written by the owner (it is the store's, read-only).
    assert!(!as_owner(&format!(
        "echo x > {}/index.html",
        mp_a.display()
    )));
    assert_eq!(
        std::fs::read_to_string(mp_a.join("index.html")).unwrap(),
        "a.test index.html\n"
    );
    // Neither site sees the other's files.
    assert!(!mp_b.join("comments/c1.txt").exists());
    assert!(!mp_a.join("posts/q/comments.json").exists());
    assert!(!st_b.join("comments").exists());

    // A restart keeps them.
    stop(a);
    assert!(!mounted(&mp_a));
    let r = start(a);
    assert!(r.ok, "restart:\n{}", r.out);
    assert_eq!(
        std::fs::read_to_string(mp_a.join("comments/c1.txt")).unwrap(),
        "hello\n"
    );

    // Masking: the owner deletes a static file through the mount (a
    // whiteout), root writes another (a copy-up), and, while unmounted, a
    // file lands at a third's path.
    assert!(as_owner(&format!("rm {}/about.html", mp_a.display())));
    assert!(!mp_a.join("about.html").exists());
    assert!(as_root(&format!(
        "echo root > {}/posts/p1/index.html",
        mp_a.display()
    )));
    assert!(st_a.join("posts/p1/index.html").is_file());
    stop(a);
    std::fs::write(st_a.join("index.html"), "stale\n").unwrap();
    let (code, text) = jen_masking(union, &static_a, &st_a, false);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("hides 3 static paths"), "{text}");
    assert!(text.contains("  index.html: shadowed"), "{text}");
    assert!(text.contains("  posts/p1/index.html: shadowed"), "{text}");
    assert!(text.contains("  about.html: deleted (whiteout)"), "{text}");
    let (code, json) = jen_masking(union, &static_a, &st_a, true);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["masked"],
        serde_json::json!([
            { "path": "about.html", "how": "whiteout" },
            { "path": "index.html", "how": "shadowed" },
            { "path": "posts/p1/index.html", "how": "shadowed" }
        ])
    );
    // Read as the other union's branch, it is refused (exit 2), not
    // reported as masking.
    let (code, text) = jen_masking(union.other(), &static_a, &st_a, false);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!("was written through {}", union.name())),
        "{text}"
    );
    // The start says so, and mounts (onMasking = "warn").
    let r = start(a);
    assert!(r.ok, "{}", r.out);
    assert!(r.out.contains("index.html: shadowed"), "{}", r.out);
    assert!(r.out.contains("jen: warning:"), "{}", r.out);
    assert_eq!(
        std::fs::read_to_string(mp_a.join("index.html")).unwrap(),
        "stale\n"
    );
    stop(a);
    // onMasking = "refuse": the same unit from lib.mountUnit fails to start.
    let refusing = m.eval(&format!(
        r#"jen.lib.mountUnit pkgs {{
             name = "a.test";
             static = builtins.elemAt (map (x: x.static) plan.mounts) 0;
             stateDir = "{}";
             mountPoint = "{}";
             owner = "{OWNER}";
             union = "{}";
             dynamic = [ "comments/**" ];
             onMasking = "refuse";
           }}"#,
        st_a.display(),
        mp_a.display(),
        union.name()
    ));
    assert_eq!(refusing["script"], a["script"]);
    assert_refused(&refusing, &mp_a);
    // Removed, the masking is gone.
    for f in [
        st_a.join("index.html"),
        st_a.join("posts/p1/index.html"),
        union.whiteout(&st_a, "about.html"),
    ] {
        std::fs::remove_file(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    assert_eq!(jen_masking(union, &static_a, &st_a, false).0, 0);
    let r = start(&refusing);
    assert!(r.ok, "{}", r.out);
    assert_eq!(
        std::fs::read_to_string(mp_a.join("about.html")).unwrap(),
        "a.test about.html\n"
    );
    assert_eq!(
        std::fs::read_to_string(mp_a.join("posts/p1/index.html")).unwrap(),
        "a.test posts/p1/index.html\n"
    );

    // The network's onMasking = "refuse" (b.test) makes its unit refuse:
    // on overlayfs, for a directory root replaced through the mount (an
    // opaque directory hides every static file under it; handed back to
    // the owner, as a restore would); on unionfs-fuse, for a file at a
    // static file's path.
    let removed = if overlay {
        assert!(as_root(&format!(
            "rm -r {0}/posts/q && mkdir {0}/posts/q && chown {OWNER} {0}/posts/q",
            mp_b.display()
        )));
        assert!(!mp_b.join("posts/q/index.html").exists());
        stop(b);
        "posts/q"
    } else {
        stop(b);
        std::fs::write(st_b.join("index.html"), "stale\n").unwrap();
        "index.html"
    };
    let r = assert_refused(b, &mp_b);
    let how = if overlay {
        "posts/q: opaque directory"
    } else {
        "index.html: shadowed"
    };
    assert!(r.out.contains(how), "{}", r.out);
    let gone = st_b.join(removed);
    if gone.is_dir() {
        std::fs::remove_dir_all(&gone).unwrap();
    } else {
        std::fs::remove_file(&gone).unwrap();
    }
    let r = start(b);
    assert!(r.ok, "{}", r.out);
    assert!(mp_b.join("posts/q/index.html").exists());

    // Stop unmounts; the store is untouched.
    stop(&refusing);
    stop(b);
    assert!(!mounted(&mp_a) && !mounted(&mp_b));
    for s in &statics {
        let mut c = m.nix.command("nix-store");
        c.args(["--verify-path", s]);
        m.nix.run(c).expect_ok();
    }

    // A symbolic link at the state directory, the mount point or the work
    // directory: refused.
    let moved = m.path("var/a.test.real");
    std::fs::rename(&st_a, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &st_a).unwrap();
    assert_link_refused(a);
    std::fs::remove_file(&st_a).unwrap();
    std::fs::rename(&moved, &st_a).unwrap();
    std::fs::remove_dir(&mp_b).unwrap();
    std::os::unix::fs::symlink(m.path("www/a.test"), &mp_b).unwrap();
    assert_link_refused(b);
    if overlay {
        let w = PathBuf::from(work("a.test"));
        std::fs::remove_dir_all(&w).unwrap();
        std::os::unix::fs::symlink(m.path("var/a.test/comments"), &w).unwrap();
        assert_link_refused(a);
        std::fs::remove_file(&w).unwrap();
        // A work directory that holds something else is not emptied.
        std::fs::create_dir(&w).unwrap();
        std::fs::write(w.join("data"), "keep\n").unwrap();
        let r = start(a);
        assert!(!r.ok && r.out.contains("not emptying it"), "{}", r.out);
        assert_eq!(std::fs::read_to_string(w.join("data")).unwrap(), "keep\n");
    }
    assert!(!mounted(&mp_a) && !mounted(&mp_b));
}

/// A start refused for a symbolic link, mounting nothing.
fn assert_link_refused(unit: &Value) {
    let r = start(unit);
    assert!(
        !r.ok && r.out.contains("is a symbolic link; not mounting"),
        "{}",
        r.out
    );
}

#[test]
fn the_nixos_modules_units_run_the_same_way() {
    let Some(lib) = nixpkgs_lib("tests/union_mounts.rs, the NixOS module's units run for real")
    else {
        return;
    };
    let m = Machine::new(Union::Overlayfs);
    let r = m.root.path().display();
    let v = m.eval(&format!(
        r#"let
             lib = import {lib};
             stubs = {stubs};
             c = (lib.evalModules {{
               modules = [ stubs {module} {{
                 config.services.jen.unionMounts."a.test" = {{
                   static = builtins.elemAt (map (x: x.static) plan.mounts) 0;
                   stateDir = "{r}/var/a.test";
                   mountPoint = "{r}/www/a.test";
                   owner = "{OWNER}";
                   dynamic = [ "comments/**" ];
                 }};
               }} ];
               specialArgs.pkgs = pkgs;
             }}).config;
           in c.systemd.services."www-mount-a.test""#,
        lib = lib.display(),
        module = project_root()
            .join("nix/modules/union-mounts.nix")
            .display(),
        stubs = MODULE_STUBS,
    ));
    let mp = m.path("www/a.test");
    let _cleanup = Unmount(vec![mp.clone()]);
    let s = start(&v);
    assert!(s.ok, "{}", s.out);
    assert!(as_owner(&format!(
        "echo hi > {}/comments/c.txt",
        mp.display()
    )));
    assert_eq!(
        std::fs::metadata(m.path("var/a.test/comments/c.txt"))
            .unwrap()
            .uid(),
        uid_of(OWNER)
    );
    stop(&v);
    assert!(!mounted(&mp));
}
