//! What the writable branch of a union mount hides of the static content
//! (`jen masking`, run by each mount unit as it starts).
//!
//! A union mount shows the writable branch in front of the read-only one:
//! a file in the writable branch at the same relative path as a static
//! file hides ("masks") it, and so does a unionfs-fuse whiteout, the
//! marker it leaves in the branch's meta directory when a static file is
//! deleted or renamed through the mount (`.unionfs-fuse/<path>_HIDDEN~`,
//! or `.unionfs/` in older releases). After a deploy that adds a static
//! file the site had already written (or deleted) at that path, the new
//! content never shows; this finds every such path. Directories are
//! merged, not hidden, unless the static side has a file there.
//!
//! Reads the local file system (it runs on the target); symbolic links
//! are not followed.

use std::io;
use std::path::{Path, PathBuf};

/// unionfs-fuse's meta directories at the top of the writable branch.
pub const META_DIRS: &[&str] = &[".unionfs-fuse", ".unionfs"];
/// The suffix of a whiteout's name in a meta directory.
const WHITEOUT: &str = "_HIDDEN~";

/// How a static path is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// The writable branch has something at the same path.
    Shadowed,
    /// A whiteout marks it deleted.
    Whiteout,
}

/// One hidden static path, relative to both branches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Masked {
    pub path: String,
    pub how: How,
}

/// Whether anything (not following a final symbolic link) is at `p`.
fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

/// Every entry below `dir`, relative, without following symbolic links,
/// and whether it is a directory; `skip` names top-level entries to leave.
fn walk(dir: &Path, skip: &[&str]) -> io::Result<Vec<(String, bool)>> {
    let mut out = Vec::new();
    let mut stack = vec![(PathBuf::from(dir), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        for e in std::fs::read_dir(&abs)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if rel.is_empty() && skip.contains(&name.as_str()) {
                continue;
            }
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let is_dir = e.file_type()?.is_dir();
            if is_dir {
                stack.push((e.path(), child.clone()));
            }
            out.push((child, is_dir));
        }
    }
    Ok(out)
}

/// The static paths that `state` (the writable branch) hides of `static_`
/// (the read-only one), sorted.
pub fn find(state: &Path, static_: &Path) -> io::Result<Vec<Masked>> {
    let mut found = Vec::new();
    for (rel, is_dir) in walk(state, META_DIRS)? {
        let there = static_.join(&rel);
        // A directory over a directory merges; anything else hides.
        let hides = match there.symlink_metadata() {
            Ok(m) => !(is_dir && m.is_dir()),
            Err(_) => false,
        };
        if hides {
            found.push(Masked {
                path: rel,
                how: How::Shadowed,
            });
        }
    }
    for meta in META_DIRS {
        let dir = state.join(meta);
        if !dir.is_dir() {
            continue;
        }
        for (rel, is_dir) in walk(&dir, &[])? {
            let Some(hidden) = rel.strip_suffix(WHITEOUT) else {
                continue;
            };
            if !is_dir && exists(&static_.join(hidden)) {
                found.push(Masked {
                    path: hidden.to_string(),
                    how: How::Whiteout,
                });
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }

    #[test]
    fn files_and_whiteouts_over_static_files_are_found_and_nothing_else() {
        let st = tempfile::tempdir().unwrap();
        let rw = tempfile::tempdir().unwrap();
        for f in ["index.html", "about.html", "posts/a/index.html", "logo"] {
            write(st.path(), f);
        }
        std::fs::create_dir_all(st.path().join("comments")).unwrap();
        // Hides: a file over a file, a whiteout, a directory over a file.
        write(rw.path(), "index.html");
        write(rw.path(), ".unionfs-fuse/posts/a/index.html_HIDDEN~");
        std::fs::create_dir_all(rw.path().join("logo")).unwrap();
        // Does not: new files, a directory over a directory, a whiteout of
        // something the static side lacks.
        write(rw.path(), "comments/c1.txt");
        write(rw.path(), "posts/a/comments.json");
        write(rw.path(), ".unionfs-fuse/gone.html_HIDDEN~");
        let found = find(rw.path(), st.path()).unwrap();
        assert_eq!(
            found,
            [
                Masked {
                    path: "index.html".into(),
                    how: How::Shadowed
                },
                Masked {
                    path: "logo".into(),
                    how: How::Shadowed
                },
                Masked {
                    path: "posts/a/index.html".into(),
                    how: How::Whiteout
                },
            ]
        );
        std::fs::remove_file(rw.path().join("index.html")).unwrap();
        assert_eq!(find(rw.path(), st.path()).unwrap().len(), 2);
    }

    #[test]
    fn a_missing_branch_is_an_error() {
        let st = tempfile::tempdir().unwrap();
        assert!(find(&st.path().join("absent"), st.path()).is_err());
    }
}
