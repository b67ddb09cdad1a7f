//! Static content that would be deployed over writable data
//! (`builtins.jen.checkStaticTree`).
//!
//! A union mount shows the writable branch over the static content, but
//! a deploy that ships test data under a dynamic path (say a
//! `comments/` directory) puts it in front of, or mixes it with, the
//! production data. The static tree must therefore hold no file under the
//! declared dynamic globs. The tree is walked through the host, so Nix's
//! access rules apply; symbolic links are not followed.

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

/// `{ static; files; }` (the number of files checked), or an invalid-input
/// error listing the offending files (the first [`MAX_LISTED`] and a count).
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

    let mut files = 0usize;
    let mut offending = Vec::new();
    match host.file_type(if root.is_empty() { "/" } else { &root })? {
        None => {
            return Err(Error::invalid(format!(
                "the static content '{root}' does not exist"
            )))
        }
        Some(FileType::Directory) => {}
        Some(_) => return Ok(json!({ "static": root, "files": 1 })), // one file: nothing below it
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
                stack.push(child);
            } else {
                files += 1;
                if matches(&set, &child) {
                    offending.push(child);
                }
            }
        }
    }
    if offending.is_empty() {
        return Ok(json!({ "static": root, "files": files }));
    }
    offending.sort();
    let n = offending.len();
    let mut msg = format!(
        "the static content '{root}' holds {n} file{} under its dynamic paths, which a deploy would put over the writable data:",
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
