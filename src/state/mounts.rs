//! Union-mount layouts (`builtins.jen.checkStatePaths`): each mount serves
//! read-only `static` store content with a writable `stateDir` over it on
//! `mountPoint`, through overlayfs (the default: `mount -t overlay -o
//! lowerdir=<static>,upperdir=<stateDir>,workdir=<workDir>`) or
//! unionfs-fuse (`unionfs -o cow <stateDir>=rw:<static>=ro`); see
//! [`super::union`].
//!
//! Mistakes here are silent at deploy time, so every one is reported at
//! once, with the attribute path of the offending value:
//!
//! - `stateDir`, `mountPoint` and an overlayfs mount's `workDir` (given,
//!   or [`crate::path_policy::default_work_dir`]) pass the state-path policy
//!   ([`crate::path_policy::check_state_path`]: normalised, safe
//!   characters, outside the store, outside the system's trees, below an
//!   allowed tree);
//! - `static` a store path written canonically, without unionfs's branch
//!   syntax ([`crate::path_policy::check_static_path`]; a sub-path is fine);
//! - no two mounts share a state directory, work directory or mount
//!   point, and none of these paths lies inside another (its own mount's
//!   included);
//! - a `workDir` only on an overlayfs mount;
//! - `owner` a valid user name; `name` non-empty, unique and safe to be
//!   part of a unit name.
//!
//! Warning (not an error): a branch left owned by root.

use super::union::Union;
use crate::args;
use crate::error::{Error, Result};
use crate::model::attr_path::{AttrPath, Segment};
use crate::model::violation::{document_order, report, Lookup, Source, Violation};
use crate::path_policy::{self, is_inside, is_normalised, is_user_name};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The argument of `checkStatePaths` and `statePathViolations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct StatePaths {
    mounts: Vec<Mount>,
    store_dir: Option<String>,
    /// The machine's own set, as the network wrote it, where the mounts'
    /// `at` paths find where each value was written (`lib.plan` passes
    /// it). Only its positions are used: the shim looks them up in the
    /// argument, so only its presence is read here.
    machine: Option<Value>,
}

/// One mount, as given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct Mount {
    name: String,
    #[serde(rename = "static")]
    static_: String,
    state_dir: String,
    mount_point: String,
    owner: Option<String>,
    /// Default: overlayfs.
    #[serde(default)]
    union: Option<Union>,
    work_dir: Option<String>,
    /// Where the mount is configured, as an attribute path
    /// (`[ "machines" "www" "sites" "jekor.com" ]`, as `lib.plan` passes
    /// it): its violations are then reported there, under the network's
    /// names (`state` for `stateDir`), instead of at `mounts[i]`.
    at: Option<Vec<String>>,
}

impl Mount {
    /// Where field `field` of this mount (number `i`) is reported.
    fn place(&self, i: usize, field: &str) -> AttrPath {
        match &self.at {
            None => AttrPath::root().join("mounts").join(i).join(field),
            Some(at) => {
                let base = at.iter().fold(AttrPath::root(), |p, s| p.join(s.as_str()));
                match field {
                    "name" => base,
                    "stateDir" => base.join("state"),
                    f => base.join(f),
                }
            }
        }
    }

    fn union(&self) -> Union {
        self.union.unwrap_or_default()
    }

    /// The work directory an overlayfs mount uses; none for unionfs-fuse.
    fn effective_work_dir(&self) -> Option<String> {
        match self.union() {
            Union::Overlayfs => Some(
                self.work_dir
                    .clone()
                    .unwrap_or_else(|| path_policy::default_work_dir(&self.state_dir)),
            ),
            Union::UnionfsFuse => None,
        }
    }
}

/// Is `name` usable in a unit name (`www-mount-<name>`) and a message?
fn is_mount_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with(['-', '.']) && name.chars().all(path_policy::is_safe_char)
}

/// The mounts, every violation, and the warnings.
fn examine(
    arg: &Value,
    default_store_dir: &str,
) -> Result<(Vec<Mount>, Vec<Violation>, Vec<String>)> {
    let a: StatePaths = args::typed(arg, "the argument")?;
    let store_dir = a.store_dir.unwrap_or_else(|| default_store_dir.to_string());
    crate::path_policy::check_store_dir(&store_dir)?;
    let mounts = a.mounts;

    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for (i, mount) in mounts.iter().enumerate() {
        let at = |field: &str| mount.place(i, field);
        if !is_mount_name(&mount.name) {
            found.push(Violation::rule(
                at("name"),
                "name",
                format!(
                    "the name {} must be non-empty ASCII letters, digits and . _ - + @, not starting with '-' or '.'",
                    path_policy::shown(&mount.name)
                ),
            ));
        }
        if let Err(r) = path_policy::check_static_path(&mount.static_, &store_dir) {
            found.push(Violation::rule(at("static"), r.rule, r.message));
        }
        for (k, p) in [
            ("stateDir", &mount.state_dir),
            ("mountPoint", &mount.mount_point),
        ] {
            if let Err(r) = path_policy::check_state_path(p, &store_dir) {
                found.push(Violation::rule(at(k), r.rule, r.message));
            }
        }
        match (&mount.work_dir, mount.union()) {
            (Some(_), Union::UnionfsFuse) => found.push(Violation::rule(
                at("workDir"),
                "work-dir",
                "only an overlayfs mount has a work directory, and this one is unionfs-fuse: remove workDir, or set union = \"overlayfs\"".to_string(),
            )),
            (Some(w), Union::Overlayfs) => {
                if let Err(r) = path_policy::check_state_path(w, &store_dir) {
                    found.push(Violation::rule(at("workDir"), r.rule, r.message));
                }
            }
            (None, _) => {}
        }
        match &mount.owner {
            Some(u) if !is_user_name(u) => found.push(Violation::rule(
                at("owner"),
                "user-name",
                format!("{} is not a valid user name", path_policy::shown(u)),
            )),
            None => warnings.push(format!(
                "{}: no owner, the writable branch stays owned by root",
                at("stateDir")
            )),
            _ => {}
        }
    }

    // Names unique; no shared or nested state dirs and mount points.
    for (i, m) in mounts.iter().enumerate() {
        if let Some(j) = mounts[..i].iter().position(|o| o.name == m.name) {
            found.push(Violation::rule(
                m.place(i, "name"),
                "unique-name",
                format!(
                    "the name \"{}\" is already used by {}",
                    m.name,
                    mounts[j].place(j, "name")
                ),
            ));
        }
    }
    // Every path of every mount, and whether jen derived it (a work
    // directory the mount does not name).
    let paths: Vec<Place> = mounts
        .iter()
        .enumerate()
        .flat_map(|(i, m)| {
            let work = m.effective_work_dir().map(|w| Place {
                derived: m.work_dir.is_none(),
                at: m.place(i, "workDir"),
                path: w,
            });
            [
                Some(Place::given(m.place(i, "stateDir"), &m.state_dir)),
                Some(Place::given(m.place(i, "mountPoint"), &m.mount_point)),
                work,
            ]
            .into_iter()
            .flatten()
        })
        .filter(|p| is_normalised(&p.path))
        .collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            // A derived work directory is its state directory's sibling:
            // it is inside something, or equal to another derived one,
            // exactly when its state directory is, which is reported.
            if a.path == b.path {
                if !(a.derived && b.derived) {
                    let (x, y) = if a.derived { (b, a) } else { (a, b) };
                    found.push(
                        x.fault("shared-path", format!("is also {}", y.name()))
                            .and(y.at.clone()),
                    );
                }
            } else if is_inside(&a.path, &b.path) {
                if !a.derived {
                    found.push(
                        a.fault("nested-path", format!("is inside {}", b.name_and_path()))
                            .and(b.at.clone()),
                    );
                }
            } else if is_inside(&b.path, &a.path) && !b.derived {
                found.push(
                    b.fault("nested-path", format!("is inside {}", a.name_and_path()))
                        .and(a.at.clone()),
                );
            }
        }
    }
    // Positions are looked up under `machine` when it is given.
    if a.machine.is_some() {
        for v in &mut found {
            v.lookup = in_machine(&v.path);
            if let Some(r) = &mut v.related {
                r.lookup = in_machine(&r.path);
            }
        }
    }
    Ok((mounts, document_order(found), warnings))
}

/// One path of a mount, for the checks between paths.
struct Place {
    at: AttrPath,
    path: String,
    /// A work directory jen derived (the mount names none).
    derived: bool,
}

impl Place {
    fn given(at: AttrPath, path: &str) -> Place {
        Place {
            at,
            path: path.to_string(),
            derived: false,
        }
    }

    /// How a message names it.
    fn name(&self) -> String {
        if self.derived {
            format!(
                "{} (the work directory derived from its state directory)",
                self.at
            )
        } else {
            self.at.to_string()
        }
    }

    fn name_and_path(&self) -> String {
        format!("{} (\"{}\")", self.name(), self.path)
    }

    fn fault(&self, rule: &'static str, what: String) -> Violation {
        Violation::rule(self.at.clone(), rule, format!("\"{}\" {what}", self.path))
    }
}

/// Where a place reported at `machines.<m>.sites.<d>...` was written:
/// under the `machine` argument, at `sites.<d>...` (its first segment,
/// `machine`, is the library's binding and does not count).
fn in_machine(path: &AttrPath) -> Option<Lookup> {
    match path.0.as_slice() {
        [Segment::Attr(m), _, Segment::Attr(s), rest @ ..] if m == "machines" && s == "sites" => {
            let mut p = AttrPath::root().join("machine").join("sites");
            for seg in rest {
                p = p.join(seg.clone());
            }
            Some(Lookup { path: p, skip: 1 })
        }
        _ => None,
    }
}

/// `{ mounts; backup; exclude; warnings; }`, or every violation at once.
/// Each mount comes back with its `union` and `workDir` (null for
/// unionfs-fuse) filled in; `exclude` holds the work directories too,
/// `backup` never.
///
/// With the machine's own set (`machine`) beside mounts that say where
/// they are configured (`at`), each violation also says where its value
/// was written, when `source` knows positions.
pub fn check_state_paths(arg: &Value, default_store_dir: &str, source: Source) -> Result<Value> {
    let (mounts, mut found, warnings) = examine(arg, default_store_dir)?;
    if !found.is_empty() {
        source.locate(&mut found);
        return Err(Error::invalid(report(
            "the state paths are not safe",
            &found,
        )));
    }
    let as_json = |m: &Mount| {
        let mut o = Map::new();
        o.insert("name".into(), json!(m.name));
        o.insert("static".into(), json!(m.static_));
        o.insert("stateDir".into(), json!(m.state_dir));
        o.insert("mountPoint".into(), json!(m.mount_point));
        o.insert("owner".into(), json!(m.owner));
        o.insert("union".into(), json!(m.union()));
        o.insert("workDir".into(), json!(m.effective_work_dir()));
        Value::Object(o)
    };
    Ok(json!({
        "mounts": mounts.iter().map(as_json).collect::<Vec<_>>(),
        "backup": mounts.iter().map(|m| m.state_dir.clone()).collect::<Vec<_>>(),
        "exclude": mounts
            .iter()
            .flat_map(|m| [Some(m.state_dir.clone()), Some(m.mount_point.clone()), m.effective_work_dir()])
            .flatten()
            .collect::<Vec<_>>(),
        "warnings": warnings,
    }))
}

/// Every violation of `checkStatePaths`'s rules, as `"<attr path>: <why>"`
/// lines in document order; `[ ]` for a safe layout. Misuse is still an
/// error.
pub fn state_path_violations(arg: &Value, default_store_dir: &str) -> Result<Value> {
    let (_, found, _) = examine(arg, default_store_dir)?;
    Ok(Value::Array(
        found
            .iter()
            .map(|v| Value::String(format!("{}: {}", v.path, v.message)))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The function under test, over JSON: no positions.
    fn check_state_paths(arg: &Value, store_dir: &str) -> Result<Value> {
        super::check_state_paths(arg, store_dir, Source::json())
    }

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
            json!([
                "/var/a.com",
                "/www/a.com",
                "/var/a.com.overlay-work",
                "/srv/b",
                "/www/b.com",
                "/srv/b.overlay-work"
            ])
        );
        assert_eq!(out["mounts"][0]["union"], "overlayfs");
        assert_eq!(out["mounts"][0]["workDir"], "/var/a.com.overlay-work");
        assert_eq!(out["warnings"], json!([]));
    }

    /// `mount` with more attributes.
    fn with(mut m: Value, extra: Value) -> Value {
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    #[test]
    fn unionfs_fuse_has_no_work_directory_and_a_named_one_is_used() {
        let out = check_state_paths(
            &json!({"mounts": [
                with(mount("a", "/var/a", "/www/a"), json!({"union": "unionfs-fuse"})),
                with(mount("b", "/var/b", "/www/b"), json!({"workDir": "/var/work-b"})),
            ]}),
            "/nix/store",
        )
        .unwrap();
        assert_eq!(out["mounts"][0]["union"], "unionfs-fuse");
        assert_eq!(out["mounts"][0]["workDir"], Value::Null);
        assert_eq!(out["mounts"][1]["workDir"], "/var/work-b");
        assert_eq!(
            out["exclude"],
            json!(["/var/a", "/www/a", "/var/b", "/www/b", "/var/work-b"])
        );
        assert_eq!(out["backup"], json!(["/var/a", "/var/b"]));
        let e = check_state_paths(
            &json!({"mounts": [with(mount("a", "/var/a", "/www/a"), json!({"union": "overlay"}))]}),
            "/nix/store",
        )
        .unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Misuse);
        assert!(e.message.contains("overlayfs"), "{}", e.message);
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
                "mounts[0].stateDir: \"/var\" is not below one of the trees jen may write",
            ),
            (
                vec![mount("a", "/var/a", "/etc")],
                "mounts[0].mountPoint: \"/etc\" is in /etc, which the system owns",
            ),
            (
                vec![mount("a", "/var/a", "/etc/nixos")],
                "mounts[0].mountPoint: \"/etc/nixos\" is in /etc, which the system owns",
            ),
            (
                vec![mount("a", "/nix/var/a", "/www/a")],
                "mounts[0].stateDir: \"/nix/var/a\" is in /nix, which the system owns",
            ),
            (
                vec![mount("a", "/var/a", "/boot")],
                "mounts[0].mountPoint: \"/boot\" is in /boot",
            ),
            (
                vec![mount("a", "/run/a", "/www/a")],
                "mounts[0].stateDir: \"/run/a\" is in /run",
            ),
            (
                vec![mount("a", "/var/a b;rm -rf x", "/www/a")],
                "mounts[0].stateDir: \"/var/a b;rm -rf x\" may hold only ASCII letters",
            ),
            (
                vec![mount("a", "/opt/a", "/www/a")],
                "mounts[0].stateDir: \"/opt/a\" is not below one of the trees jen may write",
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
            (
                vec![mount("a b", "/var/a", "/www/a")],
                "mounts[0].name: the name \"a b\" must be",
            ),
            // Work directories: named on unionfs-fuse, outside the
            // policy, inside its own branch, taken by another mount.
            (
                vec![with(
                    mount("a", "/var/a", "/www/a"),
                    json!({"union": "unionfs-fuse", "workDir": "/var/w"}),
                )],
                "mounts[0].workDir: only an overlayfs mount has a work directory",
            ),
            (
                vec![with(mount("a", "/var/a", "/www/a"), json!({"workDir": "/etc/w"}))],
                "mounts[0].workDir: \"/etc/w\" is in /etc, which the system owns",
            ),
            (
                vec![with(mount("a", "/var/a", "/www/a"), json!({"workDir": "/var/a/w"}))],
                "mounts[0].workDir: \"/var/a/w\" is inside mounts[0].stateDir",
            ),
            (
                vec![with(mount("a", "/var/a", "/www/a"), json!({"workDir": "/www/a"}))],
                "mounts[0].workDir: \"/www/a\" is also mounts[0].mountPoint",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/a.overlay-work", "/www/b"),
                ],
                "mounts[1].stateDir: \"/var/a.overlay-work\" is also mounts[0].workDir (the work directory derived from its state directory)",
            ),
            (
                vec![
                    mount("a", "/var/a", "/www/a"),
                    mount("b", "/var/b", "/var/a.overlay-work/m"),
                ],
                "mounts[1].mountPoint: \"/var/a.overlay-work/m\" is inside mounts[0].workDir",
            ),
            (
                vec![
                    with(mount("a", "/var/a", "/www/a"), json!({"workDir": "/var/w"})),
                    with(mount("b", "/var/b", "/www/b"), json!({"workDir": "/var/w"})),
                ],
                "mounts[1].workDir: \"/var/w\" is also mounts[0].workDir",
            ),
            // Where the mounts are configured: the network's names.
            (
                vec![
                    with(
                        mount("a.org", "/var/a", "/www/a"),
                        json!({"workDir": "/var/b", "at": ["machines", "www", "sites", "a.org"]}),
                    ),
                    with(
                        mount("b.org", "/var/b", "/www/b"),
                        json!({"at": ["machines", "www", "sites", "b.org"]}),
                    ),
                ],
                "machines.www.sites.\"b.org\".state: \"/var/b\" is also machines.www.sites.\"a.org\".workDir",
            ),
            (
                vec![
                    with(mount("a", "/var/a", "/www/a"), json!({"at": ["machines", "m", "sites", "a"]})),
                    with(mount("a", "/var/b", "/www/b"), json!({"at": ["machines", "n", "sites", "a"]})),
                ],
                "machines.n.sites.a: the name \"a\" is already used by machines.m.sites.a",
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
        assert!(got[1].starts_with("mounts[1].mountPoint: \"/etc\" is in /etc"));
        assert!(got[2].starts_with("mounts[1].owner"));
        assert!(got[3].starts_with("mounts[1].stateDir: \"/var/a\" is also mounts[0].stateDir"));
        assert!(got[4].starts_with("mounts[2].stateDir: \"x\""));
    }

    #[test]
    fn unowned_branches_warn() {
        let mut m = mount("a", "/var/a", "/www/a");
        m.as_object_mut().unwrap().remove("owner");
        let out = check_state_paths(&json!({ "mounts": [m] }), "/nix/store").unwrap();
        let w = out["warnings"].as_array().unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].as_str().unwrap().contains("owned by root"));
    }

    #[test]
    fn violations_are_listed_without_raising() {
        let v = state_path_violations(
            &json!({"mounts": [mount("a", "/etc/a", "/www/a"), mount("b", "/var/b", "/www/b")]}),
            "/nix/store",
        )
        .unwrap();
        assert_eq!(
            v,
            json!(["mounts[0].stateDir: \"/etc/a\" is in /etc, which the system owns"])
        );
        let v = state_path_violations(
            &json!({"mounts": [mount("b", "/var/b", "/www/b")]}),
            "/nix/store",
        )
        .unwrap();
        assert_eq!(v, json!([]));
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
