//! Union-mount layouts (`builtins.jen.checkStatePaths`): each mount serves
//! read-only `static` store content with a writable `stateDir` over it on
//! `mountPoint` (`unionfs -o cow <stateDir>=rw:<static>=ro <mountPoint>`).
//!
//! Mistakes here are silent at deploy time, so every one is reported at
//! once, with the attribute path of the offending value:
//!
//! - `stateDir` and `mountPoint` absolute and normalised (no `.`, `..`,
//!   `//` or trailing `/`), outside the store, and not a system directory
//!   (`/`, `/nix`, `/etc`, `/proc`, `/sys`, `/dev`, `/run`, `/boot`, `/usr`,
//!   `/var`);
//! - `static` a valid store path (a sub-path of one is fine);
//! - no two mounts share a state directory or mount point, and none of
//!   these paths lies inside another (its own mount's included);
//! - `owner` a valid user name; `name` present and unique.
//!
//! Warnings (not errors): a writable branch on a tmpfs (`/run`, `/tmp`),
//! which does not survive a reboot, and a branch left owned by root.

use super::store_path;
use crate::args;
use crate::error::{Error, Result};
use crate::model::attr_path::AttrPath;
use crate::model::violation::{document_order, report, Violation};
use serde_json::{json, Map, Value};

/// Directories that must never be a writable branch or a mount point.
pub const SYSTEM_DIRS: &[&str] = &[
    "/", "/nix", "/etc", "/proc", "/sys", "/dev", "/run", "/boot", "/usr", "/var",
];

/// Directories whose content does not survive a reboot.
const VOLATILE_DIRS: &[&str] = &["/run", "/tmp"];

/// Is `p` an absolute, normalised path?
pub fn is_normalised(p: &str) -> bool {
    p == "/"
        || (p.starts_with('/')
            && !p.ends_with('/')
            && p[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."))
}

/// Is `inner` strictly inside `outer` (both normalised)?
pub fn is_inside(inner: &str, outer: &str) -> bool {
    inner.len() > outer.len()
        && inner.starts_with(outer)
        && (outer == "/" || inner.as_bytes()[outer.len()] == b'/')
}

/// A valid POSIX user name as NixOS accepts it.
pub fn is_user_name(s: &str) -> bool {
    let b = s.strip_suffix('$').unwrap_or(s).as_bytes();
    !b.is_empty()
        && b.len() <= 31
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// One mount, normalised.
#[derive(Debug, Clone)]
struct Mount {
    name: String,
    static_: String,
    state_dir: String,
    mount_point: String,
    owner: Option<String>,
}

/// `{ mounts; backup; exclude; warnings; }`, or every violation at once.
pub fn check_state_paths(arg: &Value, default_store_dir: &str) -> Result<Value> {
    let o = args::attrs(arg, "the argument")?;
    args::only_attrs(o, &["mounts", "storeDir"], "the argument")?;
    let store_dir = match args::optional(o, "storeDir") {
        Some(d) => args::string(d, "storeDir")?.to_string(),
        None => default_store_dir.to_string(),
    };
    store_path::check_store_dir(&store_dir)?;
    let list = args::list(args::required(o, "mounts", "the argument")?, "mounts")?;

    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let mut mounts = Vec::new();
    let root = AttrPath::root().join("mounts");
    for (i, m) in list.iter().enumerate() {
        let at = root.join(i);
        let what = format!("mounts[{i}]");
        let mo = args::attrs(m, &what)?;
        args::only_attrs(
            mo,
            &["name", "static", "stateDir", "mountPoint", "owner"],
            &what,
        )?;
        let field = |k: &str| -> Result<String> {
            Ok(args::string(args::required(mo, k, &what)?, &format!("{what}.{k}"))?.to_string())
        };
        let mount = Mount {
            name: field("name")?,
            static_: field("static")?,
            state_dir: field("stateDir")?,
            mount_point: field("mountPoint")?,
            owner: args::optional(mo, "owner")
                .map(|v| args::string(v, &format!("{what}.owner")).map(str::to_string))
                .transpose()?,
        };

        if mount.name.is_empty() {
            found.push(Violation::rule(
                at.join("name"),
                "name",
                "the name must not be empty",
            ));
        }
        if let Err(e) = store_path::parse(&store_dir, &mount.static_) {
            found.push(Violation::rule(
                at.join("static"),
                "store-path",
                format!("not a valid store path: {}", e.message),
            ));
        }
        for (k, p) in [
            ("stateDir", &mount.state_dir),
            ("mountPoint", &mount.mount_point),
        ] {
            let fat = at.join(k);
            if !is_normalised(p) {
                found.push(Violation::rule(
                    fat,
                    "normalised",
                    format!("\"{p}\" is not an absolute, normalised path (no '.', '..', '//' or trailing '/')"),
                ));
                continue;
            }
            if p == &store_dir || is_inside(p, &store_dir) {
                found.push(Violation::rule(
                    fat,
                    "outside-store",
                    format!("\"{p}\" is in the read-only store {store_dir}"),
                ));
            } else if SYSTEM_DIRS.contains(&p.as_str()) {
                found.push(Violation::rule(
                    fat,
                    "system-dir",
                    format!("\"{p}\" is a system directory"),
                ));
            } else if let Some(v) = VOLATILE_DIRS.iter().find(|v| is_inside(p, v)) {
                if k == "stateDir" {
                    warnings.push(format!(
                        "{}: \"{p}\" is under {v}, which does not survive a reboot",
                        fat
                    ));
                }
            }
        }
        match &mount.owner {
            Some(u) if !is_user_name(u) => found.push(Violation::rule(
                at.join("owner"),
                "user-name",
                format!("\"{u}\" is not a valid user name"),
            )),
            None => warnings.push(format!(
                "{}: no owner, the writable branch stays owned by root",
                at.join("stateDir")
            )),
            _ => {}
        }
        mounts.push(mount);
    }

    // Names unique; no shared or nested state dirs and mount points.
    for (i, m) in mounts.iter().enumerate() {
        if let Some(j) = mounts[..i].iter().position(|o| o.name == m.name) {
            found.push(Violation::rule(
                root.join(i).join("name"),
                "unique-name",
                format!("the name \"{}\" is already used by mounts[{j}]", m.name),
            ));
        }
    }
    let paths: Vec<(AttrPath, &str)> = mounts
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            [
                (root.join(i).join("stateDir"), m.state_dir.as_str()),
                (root.join(i).join("mountPoint"), m.mount_point.as_str()),
            ]
        })
        .filter(|(_, p)| is_normalised(p))
        .collect();
    for (a, (pa, a_path)) in paths.iter().enumerate() {
        for (pb, b_path) in &paths[..a] {
            if a_path == b_path {
                found.push(Violation::rule(
                    pa.clone(),
                    "shared-path",
                    format!("\"{a_path}\" is also {pb}"),
                ));
            } else if is_inside(a_path, b_path) {
                found.push(Violation::rule(
                    pa.clone(),
                    "nested-path",
                    format!("\"{a_path}\" is inside {pb} (\"{b_path}\")"),
                ));
            } else if is_inside(b_path, a_path) {
                found.push(Violation::rule(
                    pb.clone(),
                    "nested-path",
                    format!("\"{b_path}\" is inside {pa} (\"{a_path}\")"),
                ));
            }
        }
    }

    if !found.is_empty() {
        return Err(Error::invalid(report(
            "the state paths are not safe",
            &document_order(found),
        )));
    }
    let as_json = |m: &Mount| {
        let mut o = Map::new();
        o.insert("name".into(), json!(m.name));
        o.insert("static".into(), json!(m.static_));
        o.insert("stateDir".into(), json!(m.state_dir));
        o.insert("mountPoint".into(), json!(m.mount_point));
        o.insert("owner".into(), json!(m.owner));
        Value::Object(o)
    };
    Ok(json!({
        "mounts": mounts.iter().map(as_json).collect::<Vec<_>>(),
        "backup": mounts.iter().map(|m| m.state_dir.clone()).collect::<Vec<_>>(),
        "exclude": mounts.iter().flat_map(|m| [m.state_dir.clone(), m.mount_point.clone()]).collect::<Vec<_>>(),
        "warnings": warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site";

    fn mount(name: &str, state: &str, point: &str) -> Value {
        json!({"name": name, "static": S, "stateDir": state, "mountPoint": point, "owner": "www"})
    }

    fn faults(mounts: Vec<Value>) -> Vec<String> {
        match check_state_paths(&json!({ "mounts": mounts }), "/nix/store") {
            Ok(_) => vec![],
            Err(e) => e
                .message
                .lines()
                .skip(1)
                .map(|l| l.trim().to_string())
                .collect(),
        }
    }

    #[test]
    fn a_good_layout_gives_manifests() {
        let out = check_state_paths(
            &json!({"mounts": [mount("a.com", "/var/a.com", "/www/a.com"), mount("b.com", "/srv/b", "/www/b.com")]}),
            "/nix/store",
        )
        .unwrap();
        assert_eq!(out["backup"], json!(["/var/a.com", "/srv/b"]));
        assert_eq!(
            out["exclude"],
            json!(["/var/a.com", "/www/a.com", "/srv/b", "/www/b.com"])
        );
        assert_eq!(out["warnings"], json!([]));
    }

    /// One fault per row: the layout and the one line it must report.
    #[test]
    fn each_row_reports_exactly_its_fault() {
        let rows: Vec<(Vec<Value>, &str)> = vec![
            (
                vec![mount("a", "var/a", "/www/a")],
                "mounts[0].stateDir: \"var/a\" is not an absolute, normalised path",
            ),
            (
                vec![mount("a", "/var/a/", "/www/a")],
                "mounts[0].stateDir: \"/var/a/\" is not an absolute, normalised path",
            ),
            (
                vec![mount("a", "/var//a", "/www/a")],
                "mounts[0].stateDir: \"/var//a\" is not",
            ),
            (
                vec![mount("a", "/var/./a", "/www/a")],
                "mounts[0].stateDir: \"/var/./a\" is not",
            ),
            (
                vec![mount("a", "/var/a", "/www/../a")],
                "mounts[0].mountPoint: \"/www/../a\" is not",
            ),
            (
                vec![mount("a", "/nix/store/x", "/www/a")],
                "mounts[0].stateDir: \"/nix/store/x\" is in the read-only store",
            ),
            (
                vec![mount("a", "/var/a", "/nix/store")],
                "mounts[0].mountPoint: \"/nix/store\" is in the read-only store",
            ),
            (
                vec![mount("a", "/var", "/www/a")],
                "mounts[0].stateDir: \"/var\" is a system directory",
            ),
            (
                vec![mount("a", "/var/a", "/etc")],
                "mounts[0].mountPoint: \"/etc\" is a system directory",
            ),
            (
                vec![mount("a", "/var/a", "/boot")],
                "mounts[0].mountPoint: \"/boot\" is a system directory",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/a", "/www/b"),
                ],
                "mounts[1].stateDir: \"/var/a\" is also mounts[0].stateDir",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/b", "/www/a"),
                ],
                "mounts[1].mountPoint: \"/www/a\" is also mounts[0].mountPoint",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/a/b", "/www/b"),
                ],
                "mounts[1].stateDir: \"/var/a/b\" is inside mounts[0].stateDir",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/b", "/var/a/m"),
                ],
                "mounts[1].mountPoint: \"/var/a/m\" is inside mounts[0].stateDir",
            ),
            (
                vec![mount("a", "/var/a", "/var/a/m")],
                "mounts[0].mountPoint: \"/var/a/m\" is inside mounts[0].stateDir",
            ),
            (
                vec![mount("a", "/www/a/s", "/www/a")],
                "mounts[0].stateDir: \"/www/a/s\" is inside mounts[0].mountPoint",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("a", "/var/b", "/www/b"),
                ],
                "mounts[1].name: the name \"a\" is already used by mounts[0]",
            ),
        ];
        for (layout, expected) in rows {
            let got = faults(layout.clone());
            assert_eq!(got.len(), 1, "{layout:?}: {got:#?}");
            assert!(
                got[0].starts_with(expected),
                "{layout:?}:\n  got      {}\n  expected {expected}",
                got[0]
            );
        }
        let mut bad_static = mount("a", "/var/a", "/www/a");
        bad_static["static"] = json!("/home/me/site");
        assert_eq!(faults(vec![bad_static]), vec!["mounts[0].static: not a valid store path: path '/home/me/site' is not in the Nix store"]);
        let mut bad_owner = mount("a", "/var/a", "/www/a");
        bad_owner["owner"] = json!("Bad User");
        assert_eq!(
            faults(vec![bad_owner]),
            vec!["mounts[0].owner: \"Bad User\" is not a valid user name"]
        );
    }

    #[test]
    fn several_faults_are_all_reported() {
        let mut m2 = mount("b", "/var/a", "/etc");
        m2["owner"] = json!("9x");
        let got = faults(vec![
            mount("a", "/var/a", "/nix/store/w"),
            m2,
            mount("c", "x", "/www/c"),
        ]);
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(
            got[0].starts_with("mounts[0].mountPoint: \"/nix/store/w\" is in the read-only store")
        );
        assert!(got[1].starts_with("mounts[1].mountPoint: \"/etc\" is a system directory"));
        assert!(got[2].starts_with("mounts[1].owner"));
        assert!(got[3].starts_with("mounts[1].stateDir: \"/var/a\" is also mounts[0].stateDir"));
        assert!(got[4].starts_with("mounts[2].stateDir: \"x\""));
    }

    #[test]
    fn volatile_and_unowned_branches_warn() {
        let mut m = mount("a", "/run/a", "/www/a");
        m.as_object_mut().unwrap().remove("owner");
        let out = check_state_paths(&json!({ "mounts": [m] }), "/nix/store").unwrap();
        let w = out["warnings"].as_array().unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].as_str().unwrap().contains("does not survive a reboot"));
        assert!(w[1].as_str().unwrap().contains("owned by root"));
    }

    #[test]
    fn wrong_shapes_are_misuse() {
        for bad in [
            json!(1),
            json!({"mounts": 1}),
            json!({"mounts": [{"name": "a"}]}),
            json!({"mounts": [], "x": 1}),
        ] {
            assert_eq!(
                check_state_paths(&bad, "/nix/store").unwrap_err().kind,
                crate::ErrorKind::Misuse,
                "{bad}"
            );
        }
    }
}
