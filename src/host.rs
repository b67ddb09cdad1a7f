//! What a builtin may ask of its surroundings: files, and facts about the
//! evaluation. The plugin answers through Nix (so `pure-eval` and
//! `restrict-eval` apply exactly as to `builtins.readFile`); the CLI and
//! unit tests answer from the local file system.

use crate::error::{Error, Result};
use std::path::Path;

/// The type of a directory entry or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    Other,
}

/// Where a value was written, as Nix prints positions
/// (`/home/me/net/www.nix:12:5`; `«string»` for `--expr` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Access to files and evaluation facts, as the caller allows it.
pub trait Host {
    /// The whole content of the file at the absolute path `path`.
    fn read_file(&self, path: &str) -> Result<String>;
    /// The entries of the directory at `path`, sorted by name.
    fn read_dir(&self, path: &str) -> Result<Vec<(String, FileType)>>;
    /// The type of the file at `path` (not following a final symlink), or
    /// `None` when nothing is there.
    fn file_type(&self, path: &str) -> Result<Option<FileType>>;
    /// True in pure evaluation: no environment, no `~`, no network.
    fn is_pure(&self) -> bool;
    /// The Nix store directory, e.g. `/nix/store`.
    fn store_dir(&self) -> String;
    /// The version of the Nix evaluating ("2.35.2"); `None` outside Nix.
    fn nix_version(&self) -> Option<String> {
        None
    }
    /// Can this host say where the arguments' values were written? The
    /// evaluator can; JSON (the CLI's input) carries no positions.
    fn knows_positions(&self) -> bool {
        false
    }
    /// Where the value at `path` inside argument number `arg` was written:
    /// the position of the definition of the attribute holding it, or of
    /// the nearest enclosing attribute that has one (a list element: its
    /// list's attribute). `None` when Nix keeps none (a set made by
    /// `builtins.fromJSON`). Each segment is an attribute name, or, where
    /// the value is a list, an index in decimal. Asked only when there are
    /// violations to report, so a valid value costs nothing. The first
    /// `skip` segments lead to the value the positions are taken in: the
    /// attributes on the way there (set up by a library, say) do not count.
    fn position(&self, _arg: usize, _path: &[String], _skip: usize) -> Option<Position> {
        None
    }
}

/// The local file system, for the CLI and tests. Never pure.
#[derive(Debug, Clone)]
pub struct FsHost {
    pub store_dir: String,
}

impl Default for FsHost {
    fn default() -> Self {
        FsHost {
            store_dir: std::env::var("NIX_STORE_DIR").unwrap_or_else(|_| "/nix/store".into()),
        }
    }
}

fn io_err(path: &str, e: std::io::Error) -> Error {
    Error::invalid(format!("cannot read '{path}': {e}"))
}

fn to_type(ft: std::fs::FileType) -> FileType {
    if ft.is_symlink() {
        FileType::Symlink
    } else if ft.is_dir() {
        FileType::Directory
    } else if ft.is_file() {
        FileType::Regular
    } else {
        FileType::Other
    }
}

impl Host for FsHost {
    fn read_file(&self, path: &str) -> Result<String> {
        std::fs::read_to_string(path).map_err(|e| io_err(path, e))
    }
    fn read_dir(&self, path: &str) -> Result<Vec<(String, FileType)>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| io_err(path, e))? {
            let entry = entry.map_err(|e| io_err(path, e))?;
            let ft = entry.file_type().map_err(|e| io_err(path, e))?;
            out.push((
                entry.file_name().to_string_lossy().into_owned(),
                to_type(ft),
            ));
        }
        out.sort();
        Ok(out)
    }
    fn file_type(&self, path: &str) -> Result<Option<FileType>> {
        match std::fs::symlink_metadata(Path::new(path)) {
            Ok(m) => Ok(Some(to_type(m.file_type()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(path, e)),
        }
    }
    fn is_pure(&self) -> bool {
        false
    }
    fn store_dir(&self) -> String {
        self.store_dir.clone()
    }
}

/// Files held in memory: for fuzzing and unit tests, where a builtin must
/// see exactly the files it is given and nothing of the machine.
#[derive(Debug, Clone, Default)]
pub struct MemHost {
    /// Absolute path → content. Directories are implied by the paths.
    pub files: std::collections::BTreeMap<String, String>,
    pub pure: bool,
    pub store_dir: String,
}

impl MemHost {
    /// A pure host over `files` with the store at `/nix/store`.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        MemHost {
            files: files
                .into_iter()
                .map(|(p, c)| (p.to_string(), c.to_string()))
                .collect(),
            pure: true,
            store_dir: "/nix/store".into(),
        }
    }

    fn is_dir(&self, path: &str) -> bool {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        self.files.keys().any(|p| p.starts_with(&prefix))
    }
}

impl Host for MemHost {
    fn read_file(&self, path: &str) -> Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| Error::invalid(format!("cannot read '{path}': no such file")))
    }
    fn read_dir(&self, path: &str) -> Result<Vec<(String, FileType)>> {
        if !self.is_dir(path) {
            return Err(Error::invalid(format!(
                "cannot read '{path}': not a directory"
            )));
        }
        let prefix = format!("{}/", path.trim_end_matches('/'));
        let mut out: Vec<(String, FileType)> = Vec::new();
        for p in self.files.keys() {
            if let Some(rest) = p.strip_prefix(&prefix) {
                let (name, kind) = match rest.split_once('/') {
                    Some((dir, _)) => (dir, FileType::Directory),
                    None => (rest, FileType::Regular),
                };
                if !name.is_empty() && !out.iter().any(|(n, _)| n == name) {
                    out.push((name.to_string(), kind));
                }
            }
        }
        out.sort();
        Ok(out)
    }
    fn file_type(&self, path: &str) -> Result<Option<FileType>> {
        Ok(if self.files.contains_key(path) {
            Some(FileType::Regular)
        } else if self.is_dir(path) {
            Some(FileType::Directory)
        } else {
            None
        })
    }
    fn is_pure(&self) -> bool {
        self.pure
    }
    fn store_dir(&self) -> String {
        self.store_dir.clone()
    }
}
