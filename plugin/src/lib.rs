//! The cxx bridge between the C++ shim (`cpp/plugin.cc`) and the core.
//!
//! The shim asks for the table of builtins ([`specs`]), writes each call's
//! arguments as a value tree ([`jen_builtins::tree`]: its words and its text) and
//! hands them to [`call`], which never unwinds: a
//! panic in the core is caught here and comes back as an internal error.
//! The core reaches files through the shim's `Host`, so Nix's own access
//! rules (pure evaluation, `restrict-eval`, allowed paths) apply.

use jen_builtins::builtin::{self, PathMode};
use jen_builtins::builtins;
use jen_builtins::error::{Error, ErrorKind, Result};
use jen_builtins::host::FileType;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

#[cxx::bridge(namespace = "jen")]
mod ffi {
    /// How a call ended; `Ok` carries the result, the others a message.
    enum Kind {
        Ok,
        Invalid,
        Misuse,
        Internal,
    }

    struct Outcome {
        kind: Kind,
        /// The message, or the text of the result tree.
        text: String,
        /// The result tree (`jen_builtins::tree`), whose anchored sets are sets
        /// of the arguments with attributes added (`model::defaults`).
        words: Vec<u64>,
    }

    /// One builtin as the shim registers it.
    struct Spec {
        name: String,
        args: Vec<String>,
        doc: String,
        files: Vec<String>,
        paths_to_store: bool,
    }

    /// Where a value was written; `line` 0 when Nix keeps no position.
    struct Position {
        file: String,
        line: u32,
        column: u32,
    }

    struct DirEntry {
        name: String,
        /// 1 regular, 2 directory, 3 symlink, 4 other.
        kind: u8,
    }

    extern "Rust" {
        fn specs() -> Vec<Spec>;
        fn version() -> &'static str;
        /// Call builtin `index` on the tree `words`/`text` (the list of
        /// its arguments).
        fn call(index: usize, words: &[u64], text: &[u8], host: &Host) -> Outcome;
        /// Are phase timings wanted (`JEN_LOG=debug`)?
        fn timing_enabled() -> bool;
        /// Log a phase of the shim (see `jen_builtins::timing`).
        fn timing_record(builtin: &str, phase: &str, micros: u64);
    }

    unsafe extern "C++" {
        include!("cpp/host.hh");

        /// The evaluation a builtin runs in (an `EvalState` and the call
        /// position).
        type Host;
        fn read_file(self: &Host, path: &str) -> Result<String>;
        fn read_dir(self: &Host, path: &str) -> Result<Vec<DirEntry>>;
        /// 0 when nothing is there, else as `DirEntry::kind`.
        fn file_type(self: &Host, path: &str) -> Result<u8>;
        fn is_pure(self: &Host) -> bool;
        fn store_dir(self: &Host) -> String;
        /// `nix::nixVersion`, e.g. "2.35.2".
        fn nix_version(self: &Host) -> String;
        /// Where the value at `path` inside argument `arg` was written
        /// (see `jen_builtins::host::Host::position`).
        fn position(self: &Host, arg: usize, path: &[String], skip: usize) -> Position;

        /// Register `builtins.jen` with Nix (before any evaluator exists).
        fn register_builtins();
    }
}

/// The backend's entry, called by the loader (`loader/jen-loader.c`, the
/// library users name in `plugin-files`) once it has made sure that this
/// is the Nix the backend was built for. Registers `builtins.jen` once.
///
/// The backend has no `nix_plugin_entry` on purpose: named directly in
/// `plugin-files`, it registers nothing, so that no path skips the
/// loader's check (a backend in the wrong Nix crashes it).
#[no_mangle]
pub extern "C" fn jen_backend_entry() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let registered = catch_unwind(|| {
            jen_builtins::diag::init_logging(None);
            install_panic_hook();
            ffi::register_builtins();
        });
        if registered.is_err() {
            eprintln!("jen-builtins: failed to register builtins.jen");
        }
    });
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keep panic messages for the error we raise instead of printing them:
/// a plugin must not write Rust's panic banner into the user's terminal.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!("panic: {payload}{at}");
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{payload}{at}")));
    }));
}

/// The builtin name for which `JEN_BUILTINS_TEST_PANIC` asks a panic, read
/// once at load: the integration tests' proof that a panic in the core
/// becomes an evaluation error. Unset, it costs one comparison.
fn test_panic_target() -> Option<&'static str> {
    static TARGET: OnceLock<Option<String>> = OnceLock::new();
    TARGET
        .get_or_init(|| std::env::var("JEN_BUILTINS_TEST_PANIC").ok())
        .as_deref()
}

fn specs() -> Vec<ffi::Spec> {
    builtins::all()
        .iter()
        .map(|b| ffi::Spec {
            name: b.name.into(),
            args: b.args.iter().map(|s| s.to_string()).collect(),
            doc: b.doc.into(),
            files: b.files.iter().map(|s| s.to_string()).collect(),
            paths_to_store: b.paths == PathMode::ToStore,
        })
        .collect()
}

fn timing_enabled() -> bool {
    jen_builtins::timing::enabled()
}

fn timing_record(builtin: &str, phase: &str, micros: u64) {
    jen_builtins::timing::record(builtin, phase, micros)
}

fn version() -> &'static str {
    jen_builtins::VERSION
}

fn call(index: usize, words: &[u64], text: &[u8], host: &ffi::Host) -> ffi::Outcome {
    let outcome = catch_unwind(AssertUnwindSafe(|| call_inner(index, words, text, host)));
    let result = match outcome {
        Ok(r) => r,
        Err(payload) => {
            // The hook's record (with the location), or, for a panic on a
            // helper thread (recorded there, re-raised here), the payload.
            let what = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let name = builtins::all().get(index).map_or("?", |b| b.name);
            Err(Error::internal(format!(
                "jen: {name}: internal error (a bug in jen-builtins, please report it): panic: {what}"
            )))
        }
    };
    match result {
        Ok(tree) => {
            let (words, text) = tree.into_parts();
            ffi::Outcome {
                kind: ffi::Kind::Ok,
                text,
                words,
            }
        }
        Err(e) => {
            let kind = match e.kind {
                ErrorKind::Invalid => ffi::Kind::Invalid,
                ErrorKind::Misuse => ffi::Kind::Misuse,
                ErrorKind::Internal => ffi::Kind::Internal,
            };
            tracing::debug!("{}: {}", builtin::kind_name(e.kind), e.message);
            ffi::Outcome {
                kind,
                text: e.message,
                words: Vec::new(),
            }
        }
    }
}

/// [`builtin::call_tree`] with the shim's host, after the test trigger.
fn call_inner(
    index: usize,
    words: &[u64],
    text: &[u8],
    host: &ffi::Host,
) -> Result<jen_builtins::tree::TreeBuf> {
    let builtin = builtins::all()
        .get(index)
        .ok_or_else(|| Error::internal(format!("jen: no builtin number {index}")))?;
    if test_panic_target() == Some(builtin.name) {
        panic!(
            "JEN_BUILTINS_TEST_PANIC asked builtins.jen.{} to panic",
            builtin.name
        );
    }
    let _span = tracing::debug_span!("builtin", name = builtin.name).entered();
    let tree = {
        let _t = jen_builtins::timing::phase(builtin.name, "check the argument tree");
        jen_builtins::tree::Tree::new(words, text)
    }
    .map_err(|e| Error {
        kind: e.kind,
        message: format!("jen: {}: {}", builtin.name, e.message),
    })?;
    builtin::call_tree(builtin, &NixHost(host), &tree)
}

/// The core's [`jen_builtins::host::Host`] over the shim's.
struct NixHost<'a>(&'a ffi::Host);

fn host_err(e: cxx::Exception) -> Error {
    Error::invalid(e.what().to_string())
}

fn file_type_of(code: u8) -> FileType {
    match code {
        1 => FileType::Regular,
        2 => FileType::Directory,
        3 => FileType::Symlink,
        _ => FileType::Other,
    }
}

impl jen_builtins::host::Host for NixHost<'_> {
    fn read_file(&self, path: &str) -> Result<String> {
        self.0.read_file(path).map_err(host_err)
    }
    fn read_dir(&self, path: &str) -> Result<Vec<(String, FileType)>> {
        let mut v: Vec<_> = self
            .0
            .read_dir(path)
            .map_err(host_err)?
            .into_iter()
            .map(|e| (e.name, file_type_of(e.kind)))
            .collect();
        v.sort();
        Ok(v)
    }
    fn file_type(&self, path: &str) -> Result<Option<FileType>> {
        let code = self.0.file_type(path).map_err(host_err)?;
        Ok((code != 0).then(|| file_type_of(code)))
    }
    fn is_pure(&self) -> bool {
        self.0.is_pure()
    }
    fn store_dir(&self) -> String {
        self.0.store_dir()
    }
    fn nix_version(&self) -> Option<String> {
        Some(self.0.nix_version())
    }
    fn knows_positions(&self) -> bool {
        true
    }
    fn position(
        &self,
        arg: usize,
        path: &[String],
        skip: usize,
    ) -> Option<jen_builtins::host::Position> {
        let p = self.0.position(arg, path, skip);
        (p.line > 0).then_some(jen_builtins::host::Position {
            file: p.file,
            line: p.line,
            column: p.column,
        })
    }
}
