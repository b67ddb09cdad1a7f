//! Store paths parsed exactly as the Nix this plugin runs in parses them.
//!
//! `nix-compat` on crates.io is an empty placeholder, so the rules are
//! written here, from libstore (`StoreDirConfig::toStorePath`,
//! `parseStorePath`, `StorePath::StorePath`, `checkName`) of each supported
//! release, and proven against the running one by a differential test
//! through `builtins.jen.nixParseStorePath`. The releases differ ([`Dialect`]);
//! [`parse`] is Nix 2.26.3's, [`parse_as`] any of them.
//!
//! A path `<storeDir>/<hash>?<name>[/<subPath>]`:
//!
//! 1. starts with the store directory and a `/`, with at least one more
//!    character; the first component is not empty, `.` or `..`;
//! 2. the component has at least 33 bytes; the first 32 are Nix base-32
//!    (`0-9a-z` without `e o u t`); byte 33 is skipped *unchecked* (Nix
//!    2.26 does not require it to be `-`);
//! 3. the name (from byte 34) follows [`NAME_RULES`].
//!
//! Everything is checked on bytes, as Nix does: a multi-byte character can
//! straddle the hash and the name.

use crate::error::{Error, Result};
use serde_json::{json, Value};

/// Length of the hash part, in bytes.
pub const HASH_LEN: usize = 32;

/// The name rules of the Nix release the plugin targets. Newer Nix
/// releases may reject more names that start with `.`; a port to one of
/// them changes this one place.
pub struct NameRules {
    /// Longest name, in bytes.
    pub max_len: usize,
    /// Reject `.` and `..`, and names whose first dash-separated
    /// component is `.` or `..` (Nix 2.26 accepts other leading dots).
    pub reject_dot_components: bool,
}

/// Nix 2.26.3.
pub const NAME_RULES: NameRules = NameRules {
    max_len: 211,
    reject_dot_components: true,
};

/// A parsed store path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePath {
    pub store_dir: String,
    pub hash: String,
    pub name: String,
    /// What follows the store path itself, from its `/`; `None` when nothing.
    pub sub_path: Option<String>,
}

impl StorePath {
    /// `{ storeDir; hash; name; subPath; }` (`subPath` null when absent).
    pub fn to_json(&self) -> Value {
        json!({ "storeDir": self.store_dir, "hash": self.hash, "name": self.name, "subPath": self.sub_path })
    }

    /// The store path without its sub-path.
    pub fn base(&self) -> String {
        format!("{}/{}-{}", self.store_dir, self.hash, self.name)
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Is `c` one of Nix's base-32 digits?
pub fn is_base32(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'a'..=b'z') && !matches!(c, b'e' | b'o' | b'u' | b't')
}

/// Check a store path name; the message says which rule failed.
pub fn check_name(name: &[u8]) -> std::result::Result<(), String> {
    let shown = lossy(name);
    if name.is_empty() {
        return Err("name must not be empty".into());
    }
    if name.len() > NAME_RULES.max_len {
        return Err(format!(
            "name '{shown}' must be no longer than {} characters",
            NAME_RULES.max_len
        ));
    }
    if NAME_RULES.reject_dot_components && name[0] == b'.' {
        match name {
            [b'.'] | [b'.', b'.'] => return Err(format!("name '{shown}' is not valid")),
            [b'.', b'-', ..] => {
                return Err(format!(
                    "name '{shown}' is not valid: first dash-separated component must not be '.'"
                ))
            }
            [b'.', b'.', b'-', ..] => {
                return Err(format!(
                    "name '{shown}' is not valid: first dash-separated component must not be '..'"
                ))
            }
            _ => {}
        }
    }
    if let Some(&c) = name
        .iter()
        .find(|&&c| !(c.is_ascii_alphanumeric() || b"+-._?=".contains(&c)))
    {
        return Err(format!(
            "name '{shown}' contains illegal character '{}'",
            lossy(&[c])
        ));
    }
    Ok(())
}

/// How a Nix release splits a store path; each is proven against that
/// release's libstore by `tests/store_path.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// 2.26 and 2.28: `isInDir` compares bytes; the byte after the hash is
    /// not checked; the sub-path is handed out as written.
    Nix2_26,
    /// 2.31: `isInDir` is `std::filesystem`'s `lexically_relative`, and the
    /// path relative to the store must not start with a `.` character.
    Nix2_31,
    /// 2.35: `lexically_relative` whose first component is not `.` or `..`;
    /// the hash must be followed by `-`; the sub-path is canonicalised
    /// (`CanonPath`: `//`, `.` and `..` folded, `/` alone is no sub-path).
    Nix2_35,
}

impl Dialect {
    /// The dialect of the Nix release `version` ("2.31.5"): releases before
    /// 2.31 speak 2.26's, 2.31 its own, later ones 2.35's (2.32-2.34 are
    /// not supported releases and were not tested). Without a version (the
    /// CLI, no Nix), the newest.
    pub fn of_version(version: Option<&str>) -> Dialect {
        let Some(v) = version else {
            return Dialect::Nix2_35;
        };
        let mut parts = v
            .split(|c: char| !c.is_ascii_digit())
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        match (major, minor) {
            (2, m) if m < 31 => Dialect::Nix2_26,
            (2, 31) => Dialect::Nix2_31,
            _ => Dialect::Nix2_35,
        }
    }
}

/// Parse `path` as the given Nix release does. See [`parse`].
pub fn parse_as(dialect: Dialect, store_dir: &str, path: &str) -> Result<StorePath> {
    match dialect {
        Dialect::Nix2_26 => parse(store_dir, path),
        Dialect::Nix2_31 | Dialect::Nix2_35 => parse_lexical(dialect, store_dir, path),
    }
}

/// The elements `std::filesystem::path` iterates over in an absolute POSIX
/// path: the root `/`, each non-empty component, and an empty last element
/// when the path ends with `/`.
fn fs_elements(path: &str) -> Vec<&str> {
    let mut out = vec!["/"];
    let rest = path.trim_start_matches('/');
    out.extend(rest.split('/').filter(|c| !c.is_empty()));
    if !rest.is_empty() && path.ends_with('/') {
        out.push("");
    }
    out
}

/// Nix 2.31+'s `isInDir(path, dir)`: the first element of
/// `path.lexically_relative(dir)`, or `None` when that is empty, `.` or
/// starts with `..` (outside `dir`). `dir` is canonical.
fn lexical_first_inside<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    if !path.starts_with('/') {
        return None; // relative against absolute: an empty path
    }
    let (p, d) = (fs_elements(path), fs_elements(dir));
    let i = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if i < d.len() {
        return None; // "../..."
    }
    match p.get(i) {
        None | Some(&"") => None, // "."
        Some(first) => Some(first),
    }
}

/// Nix's `canonPath` (no symlinks): `//` and `.` dropped, `..` pops.
fn canon_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Nix 2.31 and 2.35 (see [`Dialect`]).
fn parse_lexical(dialect: Dialect, store_dir: &str, path: &str) -> Result<StorePath> {
    let not_in_store = || Error::invalid(format!("path '{path}' is not in the Nix store"));
    let first = lexical_first_inside(path, store_dir).ok_or_else(not_in_store)?;
    let inside = match dialect {
        Dialect::Nix2_31 => !first.starts_with('.'),
        _ => first != "." && first != "..",
    };
    if !inside {
        return Err(not_in_store());
    }
    // toStorePath splits at the first `/` after the store directory's
    // length, in the path as written.
    let (base_path, sub) = match path.get(store_dir.len() + 1..).and_then(|r| r.find('/')) {
        Some(i) => path.split_at(store_dir.len() + 1 + i),
        None => (path, ""),
    };
    // parseStorePath: canonical, directly in the store directory.
    let canon = canon_path(base_path);
    let base = match canon.rsplit_once('/') {
        Some((parent, base)) if (if parent.is_empty() { "/" } else { parent }) == store_dir => base,
        _ => {
            return Err(Error::invalid(format!(
                "path '{canon}' is not in the Nix store"
            )))
        }
    };
    let b = base.as_bytes();
    if b.len() < HASH_LEN + 1 {
        return Err(Error::invalid(format!(
            "'{base}' is too short to be a valid store path"
        )));
    }
    if dialect == Dialect::Nix2_35 && b[HASH_LEN] != b'-' {
        return Err(Error::invalid(format!(
            "'{base}' can't name a store path because the hash part is not followed by a '-'"
        )));
    }
    if let Some(&c) = b[..HASH_LEN].iter().find(|&&c| !is_base32(c)) {
        return Err(Error::invalid(format!(
            "store path '{base}' contains illegal base-32 character '{}'",
            lossy(&[c])
        )));
    }
    let name = &b[HASH_LEN + 1..];
    check_name(name)
        .map_err(|why| Error::invalid(format!("path '{base}' is not a valid store path: {why}")))?;
    let sub_path = match (dialect, sub) {
        (_, "") => None,
        (Dialect::Nix2_35, s) => Some(canon_path(s)).filter(|c| c != "/"),
        (_, s) => Some(s.to_string()),
    };
    Ok(StorePath {
        store_dir: store_dir.to_string(),
        hash: lossy(&b[..HASH_LEN]),
        name: lossy(name),
        sub_path,
    })
}

/// Parse `path` as a path in the store `store_dir` (absolute, canonical,
/// no trailing `/`) by Nix 2.26.3's rules. Failures are invalid input with
/// Nix's reason.
pub fn parse(store_dir: &str, path: &str) -> Result<StorePath> {
    let dir = store_dir.as_bytes();
    let p = path.as_bytes();
    // isInDir(path, storeDir)
    let in_store = p.first() == Some(&b'/')
        && p.starts_with(dir)
        && p.len() >= dir.len() + 2
        && p[dir.len()] == b'/';
    if !in_store {
        return Err(Error::invalid(format!(
            "path '{path}' is not in the Nix store"
        )));
    }
    let start = dir.len() + 1;
    let end = p[start..]
        .iter()
        .position(|&c| c == b'/')
        .map_or(p.len(), |i| start + i);
    let base = &p[start..end];
    // parseStorePath canonicalises <storeDir>/<base>: an empty, '.' or '..'
    // component leaves the store directory.
    if base.is_empty() || base == b"." || base == b".." {
        let canon = match base {
            b".." => parent(store_dir),
            _ => store_dir.to_string(),
        };
        return Err(Error::invalid(format!(
            "path '{canon}' is not in the Nix store"
        )));
    }
    if base.len() < HASH_LEN + 1 {
        return Err(Error::invalid(format!(
            "'{}' is too short to be a valid store path",
            lossy(base)
        )));
    }
    if let Some(&c) = base[..HASH_LEN].iter().find(|&&c| !is_base32(c)) {
        return Err(Error::invalid(format!(
            "store path '{}' contains illegal base-32 character '{}'",
            lossy(base),
            lossy(&[c])
        )));
    }
    let name = &base[HASH_LEN + 1..];
    check_name(name).map_err(|why| {
        Error::invalid(format!(
            "path '{}' is not a valid store path: {why}",
            lossy(base)
        ))
    })?;
    // Every byte checked is ASCII from here, except byte 33 (never read).
    Ok(StorePath {
        store_dir: store_dir.to_string(),
        hash: lossy(&base[..HASH_LEN]),
        name: lossy(name),
        sub_path: (end < p.len()).then(|| path[end..].to_string()),
    })
}

/// Refuse a path whose sub-path leaves its store object: a `..` that
/// climbs above `<storeDir>/<hash>-<name>` (`/nix/store/<hash>-x/..` is
/// the store directory itself, `/nix/store/<hash>-x/../<other>` another
/// object). Nix's parser accepts these and hands out the sub-path as
/// written (to 2.31) or folds it away (2.35); jen never hands one out.
pub fn check_stays_inside(path: &str, parsed: &StorePath) -> Result<()> {
    let level = parsed
        .store_dir
        .split('/')
        .filter(|c| !c.is_empty())
        .count()
        + 1;
    let mut depth = 0usize;
    let mut reached = false;
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => depth = depth.saturating_sub(1),
            _ => depth += 1,
        }
        if depth >= level {
            reached = true;
        } else if reached {
            return Err(Error::invalid(format!(
                "the sub-path of '{path}' leaves its store object {} ('..' climbs out of it)",
                parsed.base()
            )));
        }
    }
    Ok(())
}

fn parent(dir: &str) -> String {
    match dir.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => dir[..i].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const H: &str = "0123456789abcdfghijklmnpqrsvwxyz";

    #[test]
    fn parses_store_paths_and_sub_paths() {
        let p = parse("/nix/store", &format!("/nix/store/{H}-hello-2.12")).unwrap();
        assert_eq!(
            (p.hash.as_str(), p.name.as_str(), p.sub_path.as_deref()),
            (H, "hello-2.12", None)
        );
        let p = parse("/nix/store", &format!("/nix/store/{H}-hello/bin/hello")).unwrap();
        assert_eq!(p.sub_path.as_deref(), Some("/bin/hello"));
        assert_eq!(p.base(), format!("/nix/store/{H}-hello"));
        let p = parse("/nix/store", &format!("/nix/store/{H}-x/")).unwrap();
        assert_eq!(p.sub_path.as_deref(), Some("/"));
    }

    #[test]
    fn dialects_follow_their_release() {
        assert_eq!(Dialect::of_version(Some("2.26.3")), Dialect::Nix2_26);
        assert_eq!(Dialect::of_version(Some("2.28.7")), Dialect::Nix2_26);
        assert_eq!(Dialect::of_version(Some("2.31.5")), Dialect::Nix2_31);
        assert_eq!(Dialect::of_version(Some("2.35.2")), Dialect::Nix2_35);
        assert_eq!(Dialect::of_version(Some("2.35.2pre")), Dialect::Nix2_35);
        assert_eq!(Dialect::of_version(None), Dialect::Nix2_35);
        let p = |d, s: String| parse_as(d, "/nix/store", &s);
        // The byte after the hash: unchecked before 2.35.
        for d in [Dialect::Nix2_26, Dialect::Nix2_31] {
            assert_eq!(p(d, format!("/nix/store/{H}_x")).unwrap().name, "x");
        }
        assert!(p(Dialect::Nix2_35, format!("/nix/store/{H}_x"))
            .unwrap_err()
            .message
            .contains("not followed by a '-'"));
        // Sub-paths: as written, or canonical from 2.35.
        let sub = |d, s: &str| p(d, format!("/nix/store/{H}-x{s}")).unwrap().sub_path;
        assert_eq!(sub(Dialect::Nix2_31, "//a/../b/"), Some("//a/../b/".into()));
        assert_eq!(sub(Dialect::Nix2_35, "//a/../b/"), Some("/b".into()));
        assert_eq!(sub(Dialect::Nix2_35, "/"), None);
        assert_eq!(sub(Dialect::Nix2_35, "/.."), None);
        // 2.31: nothing whose first character is '.' is inside the store.
        let dot = format!("/nix/store/.{}-x", &H[1..]);
        assert!(p(Dialect::Nix2_31, dot.clone())
            .unwrap_err()
            .message
            .contains("not in the Nix store"));
        assert!(p(Dialect::Nix2_35, dot)
            .unwrap_err()
            .message
            .contains("base-32"));
        // A doubled slash is folded by std::filesystem, then split as written.
        assert!(p(Dialect::Nix2_35, format!("/nix//store/{H}-x")).is_err());
        assert!(p(Dialect::Nix2_35, "nix/store/x".into()).is_err());
    }

    #[test]
    fn sub_paths_never_leave_their_store_object() {
        let inside = |s: &str| {
            let p = format!("/nix/store/{H}-x{s}");
            for d in [Dialect::Nix2_26, Dialect::Nix2_31, Dialect::Nix2_35] {
                let parsed = parse_as(d, "/nix/store", &p).unwrap();
                let r = check_stays_inside(&p, &parsed);
                if let Err(e) = &r {
                    assert!(
                        e.message.contains("leaves its store object"),
                        "{}",
                        e.message
                    );
                }
                assert_eq!(
                    r.is_ok(),
                    check_stays_inside(&p, &parse_as(Dialect::Nix2_26, "/nix/store", &p).unwrap())
                        .is_ok()
                );
            }
            check_stays_inside(&p, &parse("/nix/store", &p).unwrap()).is_ok()
        };
        for ok in [
            "",
            "/",
            "/a",
            "/a/..",
            "/a/../b",
            "/./a",
            "//a",
            "/a/b/../../c",
        ] {
            assert!(inside(ok), "{ok}");
        }
        for bad in ["/..", "/../", "/a/../..", "/a/../../y", "/../x", "/./.."] {
            assert!(!inside(bad), "{bad}");
        }
    }

    #[test]
    fn rejects_with_nix_reasons() {
        let e = |s: String| parse("/nix/store", &s).unwrap_err().message;
        assert_eq!(
            e("/nix/stor/x".into()),
            "path '/nix/stor/x' is not in the Nix store"
        );
        assert_eq!(
            e("/nix/store/".into()),
            "path '/nix/store/' is not in the Nix store"
        );
        assert_eq!(
            e("/nix/store/..".into()),
            "path '/nix' is not in the Nix store"
        );
        assert_eq!(
            e("/nix/store/abc".into()),
            "'abc' is too short to be a valid store path"
        );
        assert!(e(format!("/nix/store/{}e-x", &H[..31])).contains("illegal base-32 character 'e'"));
        assert!(e(format!("/nix/store/{H}-a b")).contains("contains illegal character ' '"));
        assert!(e(format!("/nix/store/{H}-.")).ends_with("name '.' is not valid"));
        assert!(e(format!("/nix/store/{H}-..-x")).contains("must not be '..'"));
        assert!(e(format!("/nix/store/{H}-{}", "a".repeat(212))).contains("no longer than 211"));
    }

    #[test]
    fn keeps_nix_2_26_quirks() {
        // The byte after the hash is not checked.
        assert_eq!(
            parse("/nix/store", &format!("/nix/store/{H}_x"))
                .unwrap()
                .name,
            "x"
        );
        // Leading dots are fine unless the first component is . or ..
        assert_eq!(
            parse("/nix/store", &format!("/nix/store/{H}-.x"))
                .unwrap()
                .name,
            ".x"
        );
        assert_eq!(
            parse("/nix/store", &format!("/nix/store/{H}-..."))
                .unwrap()
                .name,
            "..."
        );
        // A multi-byte character straddling hash and name does not panic.
        assert!(parse("/nix/store", &format!("/nix/store/{H}éx")).is_err());
        assert!(parse("/nix/store", &format!("/nix/store/{}é-x", &H[..31])).is_err());
    }
}
