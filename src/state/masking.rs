//! What the writable branch of a union mount hides of the static content
//! (`jen masking`, run by each mount unit as it starts).
//!
//! A union mount shows the writable branch in front of the read-only one:
//! a file in the writable branch at the same relative path as a static
//! file hides ("masks") it (`shadowed`: a site's own file, or root's write
//! to a static file through the mount, which copies it up), and so does a
//! *whiteout*, the marker a union leaves in the branch when a static file
//! is deleted or renamed through the mount (`whiteout`), and an overlayfs
//! *opaque* directory, one that replaced a static directory and hides all
//! of it (`opaque`). After a deploy that adds a static file the site had
//! already written (or deleted) at that path, the new content never
//! shows; this finds every such path. Directories are merged, not hidden,
//! unless the static side has a file there or the directory is opaque.
//!
//! How each union records them ([`Union`]):
//!
//! - unionfs-fuse: `.unionfs-fuse/<path>_HIDDEN~` (`.unionfs/` in older
//!   releases) at the top of the branch, which the mount does not show;
//! - overlayfs: a character device 0/0 at `<path>`, or a file carrying a
//!   `trusted.overlay.whiteout` attribute (kernels from 6.7, for layered
//!   images); a directory with `trusted.overlay.opaque = "y"` is opaque
//!   (`user.overlay.*` for mounts made with `userxattr`).
//!
//! A branch written through the other union is an error, not masking:
//! overlayfs would serve unionfs-fuse's meta directory as files and bring
//! back what its whiteouts deleted; unionfs-fuse would serve overlayfs's
//! whiteouts as device files.
//!
//! Reads the local file system (it runs on the target, as root: the
//! `trusted.*` attributes are only visible to root); symbolic links are
//! not followed.

use super::union::Union;
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// unionfs-fuse's meta directories at the top of the writable branch.
pub const META_DIRS: &[&str] = &[".unionfs-fuse", ".unionfs"];
/// The suffix of a whiteout's name in a meta directory.
const WHITEOUT: &str = "_HIDDEN~";
/// overlayfs's attribute namespaces (`userxattr` mounts use the second).
const OVERLAY_XATTRS: &[&str] = &["trusted.overlay.", "user.overlay."];

/// How a static path is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// The writable branch has something at the same path.
    Shadowed,
    /// A whiteout marks it deleted.
    Whiteout,
    /// An opaque directory hides the static directory's content.
    Opaque,
}

impl How {
    /// How `jen masking` says it.
    pub fn describe(self) -> &'static str {
        match self {
            How::Shadowed => "shadowed",
            How::Whiteout => "deleted (whiteout)",
            How::Opaque => "opaque directory (hides the static directory's content)",
        }
    }
}

/// One hidden static path, relative to both branches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Masked {
    pub path: String,
    pub how: How,
}

/// One entry of the branch.
struct Entry {
    rel: String,
    abs: PathBuf,
    meta: Metadata,
}

/// Every entry below `dir`, relative, without following symbolic links;
/// `skip` names top-level entries to leave.
fn walk(dir: &Path, skip: &[&str]) -> io::Result<Vec<Entry>> {
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
            let meta = e.path().symlink_metadata()?;
            if meta.is_dir() {
                stack.push((e.path(), child.clone()));
            }
            out.push(Entry {
                rel: child,
                abs: e.path(),
                meta,
            });
        }
    }
    Ok(out)
}

/// overlayfs's attribute `name` (`whiteout`, `opaque`) on `p`, in either
/// namespace; none where the file system keeps no attributes.
fn overlay_xattr(p: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    for ns in OVERLAY_XATTRS {
        match xattr::get(p, format!("{ns}{name}")) {
            Ok(Some(v)) => return Ok(Some(v)),
            Ok(None) => {}
            Err(e) if e.kind() == io::ErrorKind::Unsupported => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Is this entry an overlayfs whiteout (a character device 0/0)?
fn is_device_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Is this entry an overlayfs whiteout: a character device 0/0, or an
/// empty file with the `whiteout` attribute?
fn is_overlay_whiteout(e: &Entry) -> io::Result<bool> {
    Ok(is_device_whiteout(&e.meta)
        || (e.meta.is_file() && e.meta.len() == 0 && overlay_xattr(&e.abs, "whiteout")?.is_some()))
}

fn refused(state: &Path, why: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{} was written through {why}", state.display()),
    )
}

/// The static paths that `state` (the writable branch of a `union` mount)
/// hides of `static_` (the read-only one), sorted. An error when `state`
/// was written through the other union.
pub fn find(state: &Path, static_: &Path, union: Union) -> io::Result<Vec<Masked>> {
    let skip = match union {
        Union::UnionfsFuse => META_DIRS,
        Union::Overlayfs => {
            if let Some(m) = META_DIRS.iter().find(|m| state.join(m).is_dir()) {
                return Err(refused(
                    state,
                    format!(
                        "unionfs-fuse: it holds {m}/, whose whiteouts overlayfs does not \
                         honour and which it would serve as files; mount it with \
                         union = \"unionfs-fuse\", or recreate the deletions its \
                         *_HIDDEN~ files record and remove {m}/ first"
                    ),
                ));
            }
            &[][..]
        }
    };
    let mut found = Vec::new();
    for e in walk(state, skip)? {
        let there = match static_.join(&e.rel).symlink_metadata() {
            Ok(m) => Some(m),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => return Err(err),
        };
        if is_device_whiteout(&e.meta) && union == Union::UnionfsFuse {
            return Err(refused(
                state,
                format!(
                    "overlayfs: {} is an overlayfs whiteout, which unionfs-fuse would \
                     serve as a device file; mount it with union = \"overlayfs\"",
                    e.rel
                ),
            ));
        }
        let Some(there) = there else { continue };
        let how = if union == Union::Overlayfs && is_overlay_whiteout(&e)? {
            Some(How::Whiteout)
        } else if e.meta.is_dir() && there.is_dir() {
            // A directory over a directory merges, unless it is opaque
            // and there was something to hide.
            let opaque = union == Union::Overlayfs
                && overlay_xattr(&e.abs, "opaque")?.as_deref() == Some(b"y");
            (opaque && std::fs::read_dir(static_.join(&e.rel))?.next().is_some())
                .then_some(How::Opaque)
        } else {
            Some(How::Shadowed)
        };
        if let Some(how) = how {
            found.push(Masked { path: e.rel, how });
        }
    }
    if union == Union::UnionfsFuse {
        for meta in META_DIRS {
            let dir = state.join(meta);
            if !dir.is_dir() {
                continue;
            }
            for e in walk(&dir, &[])? {
                let Some(hidden) = e.rel.strip_suffix(WHITEOUT) else {
                    continue;
                };
                if !e.meta.is_dir() && static_.join(hidden).symlink_metadata().is_ok() {
                    found.push(Masked {
                        path: hidden.to_string(),
                        how: How::Whiteout,
                    });
                }
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

    fn masked(path: &str, how: How) -> Masked {
        Masked {
            path: path.into(),
            how,
        }
    }

    /// A static tree, and a branch that shadows some of it.
    fn branches() -> (tempfile::TempDir, tempfile::TempDir) {
        let st = tempfile::tempdir().unwrap();
        let rw = tempfile::tempdir().unwrap();
        for f in ["index.html", "about.html", "posts/a/index.html", "logo"] {
            write(st.path(), f);
        }
        std::fs::create_dir_all(st.path().join("comments")).unwrap();
        // Hides: a file over a file, a directory over a file.
        write(rw.path(), "index.html");
        std::fs::create_dir_all(rw.path().join("logo")).unwrap();
        // Does not: new files, a directory over a directory.
        write(rw.path(), "comments/c1.txt");
        write(rw.path(), "posts/a/comments.json");
        (st, rw)
    }

    #[test]
    fn unionfs_fuse_files_and_whiteouts_over_static_files_are_found_and_nothing_else() {
        let (st, rw) = branches();
        write(rw.path(), ".unionfs-fuse/posts/a/index.html_HIDDEN~");
        // A whiteout of something the static side lacks hides nothing.
        write(rw.path(), ".unionfs-fuse/gone.html_HIDDEN~");
        let found = find(rw.path(), st.path(), Union::UnionfsFuse).unwrap();
        assert_eq!(
            found,
            [
                masked("index.html", How::Shadowed),
                masked("logo", How::Shadowed),
                masked("posts/a/index.html", How::Whiteout),
            ]
        );
        std::fs::remove_file(rw.path().join("index.html")).unwrap();
        assert_eq!(
            find(rw.path(), st.path(), Union::UnionfsFuse)
                .unwrap()
                .len(),
            2
        );
        // The same branch is refused as an overlayfs upper directory.
        let e = find(rw.path(), st.path(), Union::Overlayfs).unwrap_err();
        assert!(
            e.to_string().contains("written through unionfs-fuse"),
            "{e}"
        );
    }

    /// overlayfs's markers need root: a device node and `trusted.*`
    /// attributes (tests/union_mounts.rs makes them through a real mount).
    #[test]
    fn overlayfs_whiteouts_and_opaque_directories_are_found_as_root() {
        if !is_root() {
            eprintln!("not run: overlayfs markers need root (tests/union_mounts.rs runs as root)");
            return;
        }
        let (st, rw) = branches();
        mknod_whiteout(&rw.path().join("about.html"));
        // A whiteout of something the static side lacks hides nothing.
        mknod_whiteout(&rw.path().join("gone.html"));
        // An attribute whiteout, and an opaque directory over posts/.
        write(rw.path(), "posts/a/index.html");
        std::fs::write(rw.path().join("posts/a/index.html"), "").unwrap();
        xattr::set(
            rw.path().join("posts/a/index.html"),
            "trusted.overlay.whiteout",
            b"",
        )
        .unwrap();
        xattr::set(rw.path().join("posts"), "trusted.overlay.opaque", b"y").unwrap();
        // An opaque directory over an empty one hides nothing.
        std::fs::create_dir_all(rw.path().join("comments")).unwrap();
        xattr::set(rw.path().join("comments"), "trusted.overlay.opaque", b"y").unwrap();
        let found = find(rw.path(), st.path(), Union::Overlayfs).unwrap();
        assert_eq!(
            found,
            [
                masked("about.html", How::Whiteout),
                masked("index.html", How::Shadowed),
                masked("logo", How::Shadowed),
                masked("posts", How::Opaque),
                masked("posts/a/index.html", How::Whiteout),
            ]
        );
        // The same branch is refused as a unionfs-fuse branch.
        let e = find(rw.path(), st.path(), Union::UnionfsFuse).unwrap_err();
        assert!(e.to_string().contains("written through overlayfs"), "{e}");
    }

    fn is_root() -> bool {
        std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
    }

    /// A character device 0/0, as overlayfs leaves one.
    fn mknod_whiteout(p: &Path) {
        let ok = std::process::Command::new("mknod")
            .arg(p)
            .args(["c", "0", "0"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "mknod {}", p.display());
    }

    #[test]
    fn a_missing_branch_is_an_error() {
        let st = tempfile::tempdir().unwrap();
        for u in Union::ALL {
            assert!(find(&st.path().join("absent"), st.path(), u).is_err());
        }
    }
}
