//! A violation: one thing wrong with a value, where it is, where it was
//! written and why.

use super::attr_path::{AttrPath, Segment};
use crate::host::{Host, Position};
use serde_json::{json, Value};

/// One violation of a schema or a rule, at a location in the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the value.
    pub path: AttrPath,
    /// The JSON Schema keyword (`required`, `pattern`, ...) or rule name
    /// (`unique-domain`, ...) that failed.
    pub keyword: String,
    /// What is wrong, for a person.
    pub message: String,
    /// Where in the schema, as a JSON pointer (empty for rules).
    pub schema_path: String,
    /// The other place a rule relates this one to (the site that already
    /// serves a name, the machine a jump host loop goes through).
    pub related: Option<Related>,
    /// Where the value was written, once [`Source::locate`] asked.
    pub pos: Located,
    /// Where [`Source::locate`] looks the position up, when not at `path`.
    pub lookup: Option<Lookup>,
}

/// Where to look a place's position up in the checked value, when its
/// path there is not the path it is reported at: `lib.plan` reports a
/// mount at `machines.www.sites."a.org".state`, and hands the machine's
/// own set as `machine`, where `state` was written. The first `skip`
/// segments lead to that set (their attributes are the library's, and do
/// not count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub path: AttrPath,
    pub skip: usize,
}

/// The second place of a rule that relates two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub path: AttrPath,
    pub pos: Located,
    pub lookup: Option<Lookup>,
}

/// Whether and where a place was written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Located {
    /// Not asked: the value came as JSON (the CLI), which has no positions.
    #[default]
    NotAsked,
    /// Asked, and Nix keeps no position for it or anything around it (a
    /// value made by `builtins.fromJSON`).
    Nowhere,
    At(Position),
}

impl Located {
    fn to_json(&self) -> Value {
        match self {
            Located::At(p) => json!({ "file": p.file, "line": p.line, "column": p.column }),
            _ => Value::Null,
        }
    }

    /// The line of a report that says where, if it was asked.
    fn line(&self, indent: &str, what: &str) -> Option<String> {
        match self {
            Located::NotAsked => None,
            Located::Nowhere => Some(format!(
                "{indent}{what}: no position (Nix keeps none for it, e.g. a value made by builtins.fromJSON)"
            )),
            Located::At(p) => Some(format!("{indent}{what} {p}")),
        }
    }
}

impl Violation {
    pub fn rule(path: AttrPath, keyword: &str, message: impl Into<String>) -> Self {
        Violation {
            path,
            keyword: keyword.into(),
            message: message.into(),
            schema_path: String::new(),
            related: None,
            pos: Located::NotAsked,
            lookup: None,
        }
    }

    /// This violation, relating its place to `other`.
    pub fn and(mut self, other: AttrPath) -> Self {
        self.related = Some(Related {
            path: other,
            pos: Located::NotAsked,
            lookup: None,
        });
        self
    }

    /// The violation as `check` returns it: `pos` (the place's position,
    /// or `null`) only where positions were asked; `related` (the other
    /// place, or `null`) always.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "path": self.path.to_json(),
            "attrPath": self.path.to_string(),
            "pointer": self.path.pointer(),
            "keyword": self.keyword,
            "message": self.message,
            "schemaPath": self.schema_path,
            "related": self.related.as_ref().map(|r| {
                let mut o = json!({
                    "path": r.path.to_json(),
                    "attrPath": r.path.to_string(),
                    "pointer": r.path.pointer(),
                });
                if r.pos != Located::NotAsked {
                    o["pos"] = r.pos.to_json();
                }
                o
            }),
        });
        if self.pos != Located::NotAsked {
            out["pos"] = self.pos.to_json();
        }
        out
    }
}

/// Where the checked value came from: the host that can say where its
/// parts were written, and which of the builtin's arguments it is.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub host: &'a dyn Host,
    pub arg: usize,
    /// The attribute of the argument that holds the value, if not the
    /// argument itself (`sshTargets { network; ... }`).
    pub under: Option<&'static str>,
}

impl<'a> Source<'a> {
    /// Argument number `arg` of the builtin `host` runs.
    pub fn arg(host: &'a dyn Host, arg: usize) -> Self {
        Source {
            host,
            arg,
            under: None,
        }
    }

    /// A value that came as JSON: no positions to ask for.
    pub fn json() -> Source<'static> {
        static NONE: crate::host::FsHost = crate::host::FsHost {
            store_dir: String::new(),
        };
        Source::arg(&NONE, 0)
    }

    /// Fill in where each of `found` (and its related place) was written,
    /// when the host knows positions. Called only with violations, so the
    /// valid path never asks.
    pub fn locate(&self, found: &mut [Violation]) {
        if found.is_empty() || !self.host.knows_positions() {
            return;
        }
        let _t = crate::timing::phase("violations", "find where they were written");
        let at = |path: &AttrPath, lookup: &Option<Lookup>| {
            let under = self.under.map(str::to_string);
            // A lookup's skip counts from the value; `under` leads to it.
            let (path, skip) = match lookup {
                Some(l) => (&l.path, l.skip + usize::from(under.is_some())),
                None => (path, 0),
            };
            let segments: Vec<String> = under
                .into_iter()
                .chain(path.0.iter().map(|s| match s {
                    Segment::Attr(a) => a.clone(),
                    Segment::Index(i) => i.to_string(),
                }))
                .collect();
            match self.host.position(self.arg, &segments, skip) {
                Some(p) => Located::At(p),
                None => Located::Nowhere,
            }
        };
        for v in found {
            v.pos = at(&v.path, &v.lookup);
            if let Some(r) = &mut v.related {
                r.pos = at(&r.path, &r.lookup);
            }
        }
    }
}

/// Sort violations in document order (stable: several at one place keep
/// their order) and drop exact repeats.
pub fn document_order(mut v: Vec<Violation>) -> Vec<Violation> {
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v.dedup_by(|a, b| a.path == b.path && a.message == b.message);
    v
}

/// The message of a failed `validate`: a count, then each violation as
/// `attr.path: message`, with where it was written (and where the place
/// it relates to was) in a block of its own when positions were asked.
pub fn report(what: &str, violations: &[Violation]) -> String {
    let n = violations.len();
    let mut s = format!("{what} ({n} violation{}):", if n == 1 { "" } else { "s" });
    for v in violations {
        let mut lines = vec![format!("  {}: {}", v.path, v.message)];
        lines.extend(v.pos.line("    ", "at"));
        if let Some(r) = &v.related {
            lines.extend(r.pos.line("    ", &format!("{} is at", r.path)));
        }
        if v.pos != Located::NotAsked {
            s.push('\n');
        }
        for l in lines {
            s.push('\n');
            s.push_str(&l);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Positions;
    impl Host for Positions {
        fn read_file(&self, _: &str) -> crate::error::Result<String> {
            unreachable!()
        }
        fn read_dir(&self, _: &str) -> crate::error::Result<Vec<(String, crate::host::FileType)>> {
            unreachable!()
        }
        fn file_type(&self, _: &str) -> crate::error::Result<Option<crate::host::FileType>> {
            unreachable!()
        }
        fn is_pure(&self) -> bool {
            true
        }
        fn store_dir(&self) -> String {
            "/nix/store".into()
        }
        fn knows_positions(&self) -> bool {
            true
        }
        // Positions on line 1 + the path's length; none under "generated".
        fn position(&self, arg: usize, path: &[String], _skip: usize) -> Option<Position> {
            (path.first().map(String::as_str) != Some("generated")).then(|| Position {
                file: format!("/n/arg{arg}.nix"),
                line: 1 + path.len() as u32,
                column: 3,
            })
        }
    }

    fn at(p: &[&str]) -> AttrPath {
        AttrPath(p.iter().map(|s| Segment::from(*s)).collect())
    }

    #[test]
    fn a_report_gives_each_violation_a_block_with_its_places() {
        let mut found = vec![
            Violation::rule(at(&["a", "b"]), "r", "wrong").and(at(&["c"])),
            Violation::rule(at(&["generated", "x"]), "r", "also wrong"),
        ];
        let plain = report("bad", &found);
        assert_eq!(
            plain,
            "bad (2 violations):\n  a.b: wrong\n  generated.x: also wrong"
        );
        Source::arg(&Positions, 1).locate(&mut found);
        assert_eq!(
            report("bad", &found),
            "bad (2 violations):\n\n  a.b: wrong\n    at /n/arg1.nix:3:3\n    c is at /n/arg1.nix:2:3\n\n  generated.x: also wrong\n    at: no position (Nix keeps none for it, e.g. a value made by builtins.fromJSON)"
        );
        assert_eq!(
            found[0].to_json()["pos"],
            json!({"file": "/n/arg1.nix", "line": 3, "column": 3})
        );
        assert_eq!(found[0].to_json()["related"]["attrPath"], json!("c"));
        assert_eq!(found[0].to_json()["related"]["pos"]["line"], json!(2));
        assert_eq!(found[1].to_json()["pos"], Value::Null);
        assert_eq!(found[1].to_json()["related"], Value::Null);
    }

    #[test]
    fn hosts_without_positions_are_never_asked() {
        let mut found = vec![Violation::rule(at(&["a"]), "r", "wrong")];
        Source::arg(&crate::host::FsHost::default(), 0).locate(&mut found);
        assert_eq!(found[0].pos, Located::NotAsked);
        assert!(found[0].to_json().get("pos").is_none());
    }
}
