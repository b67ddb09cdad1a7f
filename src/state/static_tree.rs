//! Static content that would be deployed over writable data
//! (`builtins.jen.checkStaticTree`).
//!
//! A union mount shows the writable branch over the static content, but
//! a deploy that ships test data under a dynamic path (say a
//! `comments/` directory) puts it in front of, or mixes it with, the
//! production data. The static tree must therefore hold no file under the
//! declared dynamic globs. The tree is walked through the host, so Nix's
//! access rules apply; symbolic links are not followed.
//!
//! The same walk says which directories the writable branch must hold
//! before the mount comes up (`writableDirs`): the site writes its dynamic
//! files through the union, and a directory that only the read-only store
//! has shows as the store's (root's, 0555), where the site's user cannot
//! create anything. For each glob these are the directories its files may
//! appear in: the glob's literal leading directories (`comments` of
//! `comments/**`), every directory of the static tree its directory part
//! matches (each directory, for `**/comments.json`; all below `comments`,
//! for `comments/**`), and their parents. A glob without wildcards
//! (`uploads`, `feed.xml`) may name a file, so only its parents are made,
//! and itself (with what is below it) where the tree has it as a
//! directory.
//! A static *file* where such a directory must go is refused: the
//! directory in the writable branch would hide it.

use crate::args::{self, FileArg};
use crate::error::{Error, Result};
use crate::host::{FileType, Host};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{json, Value};

/// How many offending files a report lists before it only counts.
pub const MAX_LISTED: usize = 100;

/// The argument of `checkStaticTree`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a set")]
struct Args {
    #[serde(rename = "static")]
    static_: FileArg,
    dynamic: Vec<String>,
    /// What messages call the content instead of its path on disk
    /// (`machines.www.sites."jekor.com" ("/nix/store/...-jekor.com")`).
    at: Option<String>,
}

fn globs(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for (i, p) in patterns.iter().enumerate() {
        let p = p.trim_start_matches('/');
        let glob = Glob::new(p)
            .map_err(|e| Error::misuse(format!("dynamic[{i}] \"{p}\" is not a glob: {e}")))?;
        b.add(glob);
    }
    b.build()
        .map_err(|e| Error::misuse(format!("the dynamic globs: {e}")))
}

/// Does `rel` (a file path relative to the tree) or one of its parent
/// directories match?
fn matches(set: &GlobSet, rel: &str) -> bool {
    let mut at = rel;
    loop {
        if set.is_match(at) {
            return true;
        }
        match at.rfind('/') {
            Some(i) => at = &at[..i],
            None => return false,
        }
    }
}

/// Whether a pattern component holds a glob wildcard.
fn is_wild(component: &str) -> bool {
    component.contains(['*', '?', '[', '{'])
}

/// `path` and its parent directories, shortest first ("a", "a/b").
fn with_parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(move |(i, _)| &path[..i])
        .chain(std::iter::once(path))
        .filter(|p| !p.is_empty())
}

/// The directories, relative to the tree, that files of `pattern` may be
/// written in, given the tree's own directories `dirs` (see the module
/// header).
fn dirs_for(pattern: &str, dirs: &[String]) -> Result<Vec<String>> {
    let comps: Vec<&str> = pattern.split('/').collect();
    let Some(first_wild) = comps.iter().position(|c| is_wild(c)) else {
        let mut out: Vec<String> = with_parents(&comps[..comps.len() - 1].join("/"))
            .map(str::to_string)
            .collect();
        // A literal the tree has as a directory: files go below it.
        let under = format!("{pattern}/");
        out.extend(
            dirs.iter()
                .filter(|d| **d == pattern || d.starts_with(&under))
                .cloned(),
        );
        return Ok(out);
    };
    let prefix = comps[..first_wild].join("/");
    let mut out: Vec<String> = with_parents(&prefix).map(str::to_string).collect();
    let last = comps[comps.len() - 1];
    let parent = comps[..comps.len() - 1].join("/");
    let qualifies: Box<dyn Fn(&str) -> bool> = if last == "**" {
        // Anything below the prefix, at any depth.
        let under = format!("{prefix}/");
        Box::new(move |d: &str| prefix.is_empty() || d == prefix || d.starts_with(&under))
    } else if parent.is_empty() {
        // Files directly in the tree's top: the branch's own root.
        Box::new(|_: &str| false)
    } else {
        let glob = Glob::new(&parent)
            .map_err(|e| Error::misuse(format!("\"{pattern}\" is not a glob: {e}")))?
            .compile_matcher();
        Box::new(move |d: &str| glob.is_match(d))
    };
    for d in dirs.iter().filter(|d| qualifies(d)) {
        out.extend(with_parents(d).map(str::to_string));
    }
    Ok(out)
}

/// The directories the writable branch needs for the globs `dynamic`,
/// given the tree's directories `dirs` and other files `non_dirs`
/// (relative), or an invalid-input error naming every one that cannot be
/// made: a static file is there, or it has characters the state-path
/// policy refuses.
fn writable_dirs(
    content: &str,
    dynamic: &[String],
    dirs: &[String],
    non_dirs: &std::collections::BTreeSet<String>,
) -> Result<std::collections::BTreeSet<String>> {
    let mut needed = std::collections::BTreeSet::new();
    let mut clashes = Vec::new();
    for (i, p) in dynamic.iter().enumerate() {
        for d in dirs_for(p.trim_start_matches('/'), dirs)? {
            if non_dirs.contains(&d) {
                clashes.push(format!(
                    "dynamic[{i}] \"{p}\" needs the directory '{d}' in the writable branch, but the static content has a file there, which that directory would hide"
                ));
            }
            // It becomes a state path (a unit makes it, a deploy too):
            // the state-path policy's characters only.
            if !d
                .chars()
                .all(|c| c == '/' || crate::path_policy::is_safe_char(c))
            {
                clashes.push(format!(
                    "dynamic[{i}] \"{p}\" needs the directory {} in the writable branch, which may hold only letters, digits and . _ - + @ (the state-path policy)",
                    crate::path_policy::shown(&d)
                ));
            }
            needed.insert(d);
        }
    }
    if clashes.is_empty() {
        return Ok(needed);
    }
    clashes.dedup();
    Err(Error::invalid(format!(
        "{content} and its dynamic paths do not fit:\n  {}",
        clashes.join("\n  ")
    )))
}

/// `{ static; files; writableDirs; }` (the number of files checked, the
/// directories the writable branch needs, sorted, parents first), or an
/// invalid-input error listing the offending files (the first
/// [`MAX_LISTED`] and a count).
pub fn check_static_tree(host: &dyn Host, arg: &Value) -> Result<Value> {
    let a: Args = args::typed(arg, "the argument")?;
    let root = match a.static_ {
        FileArg::Path(p) | FileArg::Text(p) => p,
    };
    if !root.starts_with('/') {
        return Err(Error::misuse(format!(
            "static must be a path or an absolute path string, not \"{root}\""
        )));
    }
    let set = globs(&a.dynamic)?;
    let root = root.trim_end_matches('/').to_string();
    let content = match &a.at {
        Some(at) => format!("the static content of {at}"),
        None => format!("the static content '{root}'"),
    };

    let mut files = 0usize;
    let mut offending = Vec::new();
    // The tree's directories and other files, relative, for writableDirs.
    let mut dirs: Vec<String> = Vec::new();
    let mut non_dirs: std::collections::BTreeSet<String> = Default::default();
    match host.file_type(if root.is_empty() { "/" } else { &root })? {
        None => return Err(Error::invalid(format!("{content} does not exist"))),
        Some(FileType::Directory) => {}
        // One file: nothing below it, nothing to prepare.
        Some(_) => return Ok(json!({ "static": root, "files": 1, "writableDirs": [] })),
    }
    // Depth-first, in name order, without recursion (trees can be deep).
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.clone()
        } else {
            format!("{root}/{rel}")
        };
        let mut entries = host.read_dir(&dir)?;
        entries.reverse();
        for (name, ft) in entries {
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if ft == FileType::Directory {
                dirs.push(child.clone());
                stack.push(child);
            } else {
                files += 1;
                if matches(&set, &child) {
                    offending.push(child.clone());
                }
                non_dirs.insert(child);
            }
        }
    }
    if offending.is_empty() {
        let needed = writable_dirs(&content, &a.dynamic, &dirs, &non_dirs)?;
        return Ok(json!({ "static": root, "files": files, "writableDirs": needed }));
    }
    offending.sort();
    let n = offending.len();
    let mut msg = format!(
        "{content} holds {n} file{} under its dynamic paths, which a deploy would put over the writable data:",
        if n == 1 { "" } else { "s" }
    );
    for f in offending.iter().take(MAX_LISTED) {
        msg.push_str(&format!("\n  {f}"));
    }
    if n > MAX_LISTED {
        msg.push_str(&format!("\n  ... and {} more", n - MAX_LISTED));
    }
    Err(Error::invalid(msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::FsHost;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        d
    }

    fn check(d: &tempfile::TempDir, dynamic: Value) -> Result<Value> {
        check_static_tree(
            &FsHost::default(),
            &json!({"static": {"$path": d.path().to_str().unwrap()}, "dynamic": dynamic}),
        )
    }

    #[test]
    fn a_clean_tree_passes() {
        let d = tree(&["index.html", "css/site.css", "posts/a/index.html"]);
        let out = check(&d, json!(["comments/**", "uploads"])).unwrap();
        assert_eq!(out["files"], 3);
    }

    /// A tree with these files and these (possibly empty) directories.
    fn tree_with_dirs(files: &[&str], empty: &[&str]) -> tempfile::TempDir {
        let d = tree(files);
        for e in empty {
            std::fs::create_dir_all(d.path().join(e)).unwrap();
        }
        d
    }

    fn writable_dirs(d: &tempfile::TempDir, dynamic: Value) -> Vec<String> {
        serde_json::from_value(check(d, dynamic).unwrap()["writableDirs"].clone()).unwrap()
    }

    #[test]
    fn the_writable_branch_gets_the_directories_dynamic_files_go_in() {
        let d = tree_with_dirs(
            &[
                "index.html",
                "posts/a/index.html",
                "posts/b/x/index.html",
                "css/s.css",
            ],
            &["comments/2024", "uploads"],
        );
        // comments/**: the literal directory and everything the tree has below it.
        assert_eq!(
            writable_dirs(&d, json!(["comments/**"])),
            ["comments", "comments/2024"]
        );
        // **/comments.json: every directory of the tree.
        assert_eq!(
            writable_dirs(&d, json!(["**/comments.json"])),
            [
                "comments",
                "comments/2024",
                "css",
                "posts",
                "posts/a",
                "posts/b",
                "posts/b/x",
                "uploads"
            ]
        );
        // posts/*/comments.json: the directories that part matches, and their parents.
        assert_eq!(
            writable_dirs(&d, json!(["posts/*/comments.json"])),
            ["posts", "posts/a", "posts/b", "posts/b/x"]
        );
        // A literal may be a file (feed.xml) or a directory: its parents,
        // and itself where the tree has that directory (uploads).
        assert_eq!(
            writable_dirs(&d, json!(["uploads", "feeds/feed.xml"])),
            ["feeds", "uploads"]
        );
        // A literal directory the tree lacks is still made: the site writes there.
        assert_eq!(writable_dirs(&d, json!(["media/*.png"])), ["media"]);
        assert_eq!(writable_dirs(&d, json!([])), Vec::<String>::new());
    }

    #[test]
    fn a_writable_directory_outside_the_policys_characters_is_refused() {
        let d = tree(&["my posts/a/index.html"]);
        let e = check(&d, json!(["**/comments.json"])).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
        assert!(
            e.message.contains(
                "needs the directory \"my posts\" in the writable branch, which may hold only"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_static_file_where_a_writable_directory_must_go_is_refused() {
        let d = tree(&["index.html", "comments"]);
        let e = check(&d, json!(["comments/*.txt"])).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
        assert!(
            e.message
                .contains("dynamic[0] \"comments/*.txt\" needs the directory 'comments'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn files_under_dynamic_paths_are_listed() {
        let d = tree(&[
            "index.html",
            "comments/1.json",
            "comments/deep/2.json",
            "uploads/x.png",
            "posts/a/comments.json",
        ]);
        let e = check(&d, json!(["comments/**", "uploads", "**/comments.json"])).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
        let lines: Vec<_> = e.message.lines().skip(1).map(str::trim).collect();
        assert_eq!(
            lines,
            [
                "comments/1.json",
                "comments/deep/2.json",
                "posts/a/comments.json",
                "uploads/x.png"
            ]
        );
        assert!(
            e.message.contains("holds 4 files under its dynamic paths"),
            "{}",
            e.message
        );
    }

    #[test]
    fn long_reports_are_cut_at_100() {
        let names: Vec<String> = (0..150).map(|i| format!("comments/{i:03}.json")).collect();
        let d = tree(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let e = check(&d, json!(["comments/**"])).unwrap_err();
        assert_eq!(e.message.lines().count(), 1 + 100 + 1);
        assert!(e.message.ends_with("... and 50 more"));
    }

    #[test]
    fn bad_arguments_are_misuse_and_missing_trees_invalid() {
        let d = tree(&["a"]);
        assert_eq!(
            check(&d, json!(["[bad"])).unwrap_err().kind,
            crate::ErrorKind::Misuse
        );
        assert_eq!(
            check(&d, json!("x")).unwrap_err().kind,
            crate::ErrorKind::Misuse
        );
        let e = check_static_tree(
            &FsHost::default(),
            &json!({"static": "/nonexistent/jen", "dynamic": []}),
        )
        .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
    }
}
