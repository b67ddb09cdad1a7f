//! Running the project's real Nix with the plugin, in a throwaway state
//! directory and store, for the integration tests.
//!
//! Nix comes from the prefix the plugin is built against
//! (`$JEN_NIX_PREFIX`, by default `/opt/jen-nix/$JEN_NIX_VERSION`, built
//! by `scripts/install-nix`), so a test never loads a plugin into another
//! release; the plugin and the `jen` CLI are the ones [`ensure_built`]
//! builds into the test binary's own target directory and profile.
#![allow(dead_code)]

pub mod ssh_corpus;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn nix_prefix() -> PathBuf {
    PathBuf::from(std::env::var("JEN_NIX_PREFIX").unwrap_or_else(|_| {
        format!(
            "/opt/jen-nix/{}",
            std::env::var("JEN_NIX_VERSION").unwrap_or_else(|_| "2.26.3".into())
        )
    }))
}

/// The Nix release under test: the prefix's last component
/// (`/opt/jen-nix/2.35.2`), as the install scripts name it.
pub fn nix_version() -> String {
    nix_prefix()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `target/<profile>/` of this test run: the test binary lies in its
/// `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

/// Build the plugin (`plugin/`) and the CLI (`cli/`) into this run's
/// target directory and profile, once per test binary: the integration
/// tests run them as users do, and cargo builds a package's tests, not
/// its workspace siblings. A no-op when they are current.
pub fn ensure_built() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let profile = profile_dir();
        let target = profile.parent().expect("target/");
        let mut args = vec!["-p", "jen-plugin", "-p", "jen-cli"];
        if profile.file_name().is_some_and(|n| n == "release") {
            args.push("--release");
        }
        cargo_build(target, &args);
    });
}

/// `cargo build --locked ARGS` of the project into `target`, or a panic
/// with cargo's message.
pub fn cargo_build(target: &std::path::Path, args: &[&str]) {
    let out = Command::new(env!("CARGO"))
        .args(["build", "--locked"])
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(project_root())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The plugin as users load it, for this test run: the loader in
/// `target/<profile>/jen-plugin/lib/` (plugin/build.rs lays it out),
/// whose `../libexec/jen-builtins/` holds the backend under its record.
/// Every test that loads the plugin goes through the loader.
pub fn plugin_path() -> PathBuf {
    ensure_built();
    let backend = backend_path();
    assert!(
        backend.exists(),
        "{} is missing (a dangling link to the backend)",
        backend.display()
    );
    profile_dir().join("jen-plugin/lib/libjen_builtins.so")
}

/// The backend for the Nix under test, under its record
/// (`libexec/jen-builtins/nix-2.26.3-libstdc++.so`, a link to the cdylib).
pub fn backend_path() -> PathBuf {
    ensure_built();
    profile_dir()
        .join("jen-plugin/libexec/jen-builtins")
        .join(format!("{}.so", backend_record()))
}

/// The backend's record, `nix-<version>-<c++ library>`: the one backend
/// this target directory holds (there is a target directory per Nix).
pub fn backend_record() -> &'static str {
    static RECORD: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RECORD.get_or_init(|| {
        ensure_built();
        let dir = profile_dir().join("jen-plugin/libexec/jen-builtins");
        let records: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".so").map(str::to_string)
            })
            .collect();
        assert_eq!(records.len(), 1, "{}: {records:?}", dir.display());
        records[0].clone()
    })
}

/// The `jen` CLI of this test run (`cli/`).
pub fn jen_bin() -> PathBuf {
    ensure_built();
    profile_dir().join("jen")
}

/// An error as Nix prints it, without the indentation Nix gives every line
/// of a message (seven spaces), so that a message's own layout can be
/// compared.
pub fn unindented(err: &str) -> String {
    err.lines()
        .map(|l| l.strip_prefix("       ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/conformance/<rel>` beside the project: the published test
/// suites and schemas the tests use (data, no third-party source). Without
/// it a test skips with a message, except under CI (`CI=true`), where it
/// fails: a green CI always means every test ran.
pub fn conformance(rel: &str) -> Option<PathBuf> {
    let p = project_root().join("../shared/conformance").join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is absent, and CI=true: this test must run", p.display());
    }
    eprintln!("SKIPPED: {} is absent", p.display());
    None
}

/// Say that `suite` did not run, and why: on stderr as
/// `not run: <suite>: <why>`, and in `$JEN_NOT_RUN_LOG` (scripts/test
/// lists that file at the end), so that a suite that checked nothing never
/// passes unnoticed.
pub fn not_run(suite: &str, why: &str) {
    use std::io::Write;
    let line = format!("{suite}: {why}");
    eprintln!("not run: {line}");
    if let Some(log) = std::env::var_os("JEN_NOT_RUN_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("{}: {e}", PathBuf::from(&log).display()));
        // One write of one line: O_APPEND keeps concurrent tests' lines whole.
        f.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
}

/// A client that no package registry serves (NixOps4, nix-eval-jobs,
/// nixpkgs), where the user points `var` at it, built against the Nix
/// under test. Unset (CI too): `not_run(suite, "set VAR=<what>")` and
/// `None`. Set to a path that does not exist: a failure, since a typo
/// must not pass as "not run".
pub fn provided(var: &str, suite: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v);
            assert!(p.exists(), "{var}={} does not exist", p.display());
            Some(p)
        }
        _ => {
            not_run(suite, &format!("set {var}=<{what}>"));
            None
        }
    }
}

/// nixpkgs' `lib` directory from `JEN_NIXPKGS` (a nixpkgs checkout, or
/// a nixpkgs.lib one: either has `lib/`; a `lib/` itself is taken as is).
pub fn nixpkgs_lib(suite: &str) -> Option<PathBuf> {
    let p = provided("JEN_NIXPKGS", suite, "a nixpkgs or nixpkgs.lib checkout")?;
    let lib = if p.join("lib/default.nix").exists() {
        p.join("lib")
    } else {
        p.clone()
    };
    assert!(
        lib.join("default.nix").exists() && lib.join("modules.nix").exists(),
        "JEN_NIXPKGS={}: neither it nor its lib/ is nixpkgs' lib (no default.nix and modules.nix)",
        p.display()
    );
    Some(lib)
}

/// Every `*.json` file under `dir`, recursively, sorted.
pub fn json_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// One throwaway Nix environment: state, store, config and HOME in a temp
/// dir; no substituters (these machines have no network), no build users.
pub struct Nix {
    pub dir: tempfile::TempDir,
    pub plugin: Option<PathBuf>,
    pub extra_env: Vec<(String, String)>,
}

/// What a Nix command did.
#[derive(Debug)]
pub struct Run {
    pub status: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        use std::os::unix::process::ExitStatusExt;
        Run {
            status: o.status.code(),
            signal: o.status.signal(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    pub fn ok(&self) -> bool {
        self.status == Some(0)
    }
    /// Standard output, then standard error, as one text.
    pub fn output_text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    /// The standard output of a successful run; panics with stderr otherwise.
    pub fn expect_ok(&self) -> &str {
        assert!(
            self.ok(),
            "nix failed ({:?}, signal {:?}):\n{}",
            self.status,
            self.signal,
            self.stderr
        );
        &self.stdout
    }
    /// The standard error of a failed run (exit 1, no signal); panics otherwise.
    pub fn expect_err(&self) -> &str {
        assert_eq!(self.signal, None, "nix died of a signal:\n{}", self.stderr);
        assert_eq!(
            self.status,
            Some(1),
            "expected exit 1, got {:?}; stdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.stderr
    }
}

impl Nix {
    pub fn new() -> Nix {
        Self::with_plugin(Some(plugin_path()))
    }

    pub fn with_plugin(plugin: Option<PathBuf>) -> Nix {
        let dir = tempfile::Builder::new()
            .prefix("jen-nix-test")
            .tempdir()
            .expect("tempdir");
        for d in ["state", "log", "conf", "home", "cache", "root"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(
            dir.path().join("conf/nix.conf"),
            format!(
                "experimental-features = nix-command flakes\n\
                 substituters =\n\
                 build-users-group =\n\
                 sandbox = false\n\
                 store = {}\n",
                dir.path().join("root").display()
            ),
        )
        .unwrap();
        Nix {
            dir,
            plugin,
            extra_env: Vec::new(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A Command for `bin` (e.g. `nix`, `nix-instantiate`) with the
    /// throwaway environment and the plugin option.
    pub fn command(&self, bin: &str) -> Command {
        self.command_at(&nix_prefix().join("bin").join(bin))
    }

    /// As `command`, for a program given by its path (a user-provided
    /// nix-eval-jobs, built against the Nix under test).
    pub fn command_at(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new(program);
        self.environ(&mut c);
        if let Some(p) = &self.plugin {
            c.arg("--option").arg("plugin-files").arg(p);
        }
        c
    }

    /// Give `c` the throwaway environment (state, store, configuration,
    /// home) and nothing else of the caller's: for programs that open
    /// the store themselves, as nixops4's evaluator does.
    pub fn environ(&self, c: &mut Command) {
        c.env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", nix_prefix().join("bin").display()),
            )
            .env("HOME", self.path("home"))
            .env("USER", "root")
            .env("NIX_STATE_DIR", self.path("state"))
            .env("NIX_LOG_DIR", self.path("log"))
            .env("NIX_CONF_DIR", self.path("conf"))
            .env("XDG_CONFIG_HOME", self.path("home/.config"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("NIX_PAGER", "cat")
            .env("TERM", "dumb")
            .stdin(Stdio::null());
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
    }

    pub fn run(&self, mut c: Command) -> Run {
        Run::from(c.output().expect("run nix"))
    }

    /// `nix eval --json --expr EXPR` (plus `extra` arguments).
    pub fn eval_json_args(&self, expr: &str, extra: &[&str]) -> Run {
        let mut c = self.command("nix");
        c.args(["eval", "--json"])
            .args(extra)
            .arg("--expr")
            .arg(expr);
        self.run(c)
    }

    pub fn eval_json(&self, expr: &str) -> Run {
        self.eval_json_args(expr, &[])
    }

    /// Evaluate EXPR and parse the JSON it prints; panics on failure.
    pub fn value(&self, expr: &str) -> serde_json::Value {
        let r = self.eval_json(expr);
        serde_json::from_str(r.expect_ok())
            .unwrap_or_else(|e| panic!("bad JSON from nix ({e}): {}", r.stdout))
    }

    /// `value` with `--impure`: for expressions that read the test's files.
    pub fn value_impure(&self, expr: &str) -> serde_json::Value {
        let r = self.eval_json_args(expr, &["--impure"]);
        serde_json::from_str(r.expect_ok())
            .unwrap_or_else(|e| panic!("bad JSON from nix ({e}): {}", r.stdout))
    }

    /// `nix eval --raw --expr EXPR`.
    pub fn eval_raw(&self, expr: &str) -> Run {
        let mut c = self.command("nix");
        c.args(["eval", "--raw", "--expr", expr]);
        self.run(c)
    }

    /// `nix-instantiate --eval --strict --json -E EXPR`.
    pub fn instantiate(&self, expr: &str) -> Run {
        let mut c = self.command("nix-instantiate");
        c.args(["--eval", "--strict", "--json", "-E", expr]);
        self.run(c)
    }
}

/// A Nix string literal for `s`.
pub fn nix_str(s: &str) -> String {
    serde_json::to_string(s).unwrap().replace("${", "\\${")
}

/// A real OpenSSH server on a free loopback port, with the example's test
/// host key, for as long as the value lives.
pub struct Sshd {
    pub port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Sshd {
    /// A server with the example host key and no authorized keys.
    pub fn start() -> Sshd {
        Sshd::with(
            &project_root().join("examples/jen/keys/www_host_ed25519"),
            "",
        )
    }

    /// A server on a free loopback port with the private host key at
    /// `host_key` (copied) and `authorized_keys` (OpenSSH format) for every
    /// user.
    pub fn with(host_key: &std::path::Path, authorized_keys: &str) -> Sshd {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Sshd::with_port(host_key, authorized_keys, port)
    }

    /// As [`Sshd::with`], on `port` (a server replaced by one with
    /// another host key, at the same address).
    pub fn with_port(host_key: &std::path::Path, authorized_keys: &str, port: u16) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("host_key");
        std::fs::copy(host_key, &key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(dir.path().join("authorized_keys"), authorized_keys).unwrap();
        std::fs::create_dir_all("/run/sshd").ok(); // privilege separation directory
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile none\nUsePAM no\nStrictModes no\n\
                 AuthorizedKeysFile {}/authorized_keys\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
                key.display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/sbin/sshd (openssh-server)");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < until,
                "sshd did not start on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Sshd {
            port,
            child,
            _dir: dir,
        }
    }
}

/// A new key pair made by `ssh-keygen -t ed25519` in `dir`: the private
/// key's path and the public key's line.
pub fn keygen(dir: &std::path::Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("run ssh-keygen (openssh-client)");
    assert!(out.status.success(), "ssh-keygen: {out:?}");
    let public = std::fs::read_to_string(format!("{}.pub", key.display())).unwrap();
    (key, public.trim().to_string())
}

/// An OpenSSH public key line without its comment: `"<type> <base64>"`,
/// the form `hostPublicKey` and known_hosts lookups give.
pub fn bare_key(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `SHA256:` fingerprint of a key (private or public) as
/// `ssh-keygen -lf` prints it: the oracle the provider's output is held to.
pub fn fingerprint(key: &std::path::Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(key)
        .output()
        .expect("ssh-keygen (openssh-client)");
    assert!(
        out.status.success(),
        "ssh-keygen -lf {}: {out:?}",
        key.display()
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator (xorshift64*) for the differential
/// tests' corpora: the same corpus on every run, so a disagreement
/// reproduces.
pub struct Gen(pub u64);

impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 33) as usize) % n
    }

    /// One of `xs`.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A system user `name` on this machine (made if missing; the tests that
/// need one run as root): the sites' owners on a target.
pub fn ensure_user(name: &str) {
    // Tests of one binary run in parallel: one useradd at a time.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let known = std::process::Command::new("id").arg(name).output().unwrap();
    if !known.status.success() {
        let made = std::process::Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
            ])
            .arg(name)
            .output()
            .expect("useradd (the test runs as root)");
        assert!(made.status.success(), "useradd {name}: {made:?}");
    }
}

pub fn uid_of(name: &str) -> u32 {
    let out = std::process::Command::new("id")
        .args(["-u", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// A module with the options nixosModules.unionMounts sets that nixpkgs'
/// `lib` alone lacks (`assertions`, `systemd.services`, `programs.fuse`),
/// for `lib.evalModules` without NixOS.
pub const MODULE_STUBS: &str = r#"{ lib, ... }: {
  options.assertions = lib.mkOption { type = lib.types.listOf lib.types.unspecified; default = [ ]; };
  options.systemd.services = lib.mkOption { type = lib.types.attrsOf lib.types.anything; default = { }; };
  options.programs.fuse.userAllowOther = lib.mkOption { type = lib.types.bool; default = false; };
}"#;
