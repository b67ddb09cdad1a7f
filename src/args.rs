//! Reading builtin arguments out of their JSON form, with misuse errors
//! that say what was expected and what came.
//!
//! The plugin converts each Nix argument to JSON the way `builtins.toJSON`
//! does (without copying paths to the store), except where a builtin
//! declares an argument a *file argument* (see [`crate::builtin::Builtin`]):
//! there a Nix path value arrives as `{ "$path": "/abs/path" }`, so that the
//! builtin can tell a file from a string of content and read the file
//! through Nix's access rules.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::model::attr_path::{AttrPath, Segment};
use serde::de::{self, Deserialize, Deserializer};
use serde_json::Value;

mod strict;

/// The JSON key that marks a Nix path value in a file argument.
pub const PATH_TAG: &str = "$path";

/// The path of a Nix path value in a file argument (`{ "$path": "/abs" }`,
/// that one key and nothing else), or `None` for any other value. The only
/// reader of the marker: everything else asks here.
pub fn as_path(v: &Value) -> Option<&str> {
    match v {
        Value::Object(o) if o.len() == 1 => o.get(PATH_TAG).and_then(Value::as_str),
        _ => None,
    }
}

/// Nix's name for the type of a JSON-converted value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a Boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        v @ Value::Object(_) if as_path(v).is_some() => "a path",
        Value::Object(_) => "a set",
    }
}

/// A file argument: a Nix path (read through the host) or literal content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileArg {
    /// A Nix path value, as an absolute path.
    Path(String),
    /// A string holding the content itself.
    Text(String),
}

impl FileArg {
    /// Interpret `v` as a file argument; `what` names it in errors.
    pub fn from_json(v: &Value, what: &str) -> Result<FileArg> {
        match (v, as_path(v)) {
            (Value::String(s), _) => Ok(FileArg::Text(s.clone())),
            (_, Some(p)) => Ok(FileArg::Path(p.to_string())),
            _ => Err(expected(what, "a path or a string", v)),
        }
    }

    /// The content: the file read through `host`, or the text itself.
    pub fn content(&self, host: &dyn Host) -> Result<String> {
        match self {
            FileArg::Path(p) => host.read_file(p),
            FileArg::Text(t) => Ok(t.clone()),
        }
    }

    /// The path, if this is a path.
    pub fn path(&self) -> Option<&str> {
        match self {
            FileArg::Path(p) => Some(p),
            FileArg::Text(_) => None,
        }
    }

    /// A short name for messages: the path, or `<string>`.
    pub fn display(&self) -> &str {
        self.path().unwrap_or("<string>")
    }
}

impl<'de> Deserialize<'de> for FileArg {
    /// As [`FileArg::from_json`]: a string is content, a path value (see
    /// [`as_path`]) a Nix path; anything else is refused.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        FileArg::from_json(&v, "").map_err(|_| {
            de::Error::invalid_type(de::Unexpected::Other("another type"), &"a path or a string")
        })
    }
}

/// A file argument that may also be a list of them (`knownHosts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileList(pub Vec<FileArg>);

impl<'de> Deserialize<'de> for FileList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let items = match &v {
            Value::Array(xs) => xs.iter().collect(),
            v => vec![v],
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            out.push(FileArg::from_json(item, "").map_err(|_| {
                de::Error::custom(format!(
                    "[{i}] must be a path or a string, but it is {}",
                    type_name(item)
                ))
            })?);
        }
        Ok(FileList(out))
    }
}

/// A TCP port, 1 to 65535, as a builtin argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) if !n.is_f64() => n
                .as_i64()
                .and_then(|i| u16::try_from(i).ok())
                .filter(|p| *p > 0)
                .map(Port)
                .ok_or_else(|| de::Error::custom(format!("{n} is not a TCP port"))),
            _ => Err(de::Error::invalid_type(
                de::Unexpected::Other("another type"),
                &"an integer",
            )),
        }
    }
}

/// Read the argument `v` of a builtin as `T`, a serde type that says what
/// the builtin takes (structs with `deny_unknown_fields`, [`FileArg`] for
/// file arguments, [`Port`] for ports). Every mistake is a misuse error
/// that names where it is, as an attribute path (`mounts[0].static`), or
/// `what` (`the argument`) for the whole value:
///
/// - `<where> must be <expected>, but it is <type>`;
/// - `<where> is missing the attribute '<name>'`;
/// - `<where> has an unexpected attribute '<name>' (expected: a, b)`;
/// - `<where> <message>` for a check of the type itself (`70000 is not a TCP port`).
pub fn typed<'a, T: Deserialize<'a>>(v: &'a Value, what: &str) -> Result<T> {
    serde_path_to_error::deserialize(strict::Strict(v)).map_err(|e| {
        let mut at = AttrPath::root();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => at = at.join(*index),
                serde_path_to_error::Segment::Map { key } => at = at.join(key.as_str()),
                _ => {}
            }
        }
        let message = e.into_inner().to_string();
        Error::misuse(nix_message(v, &at, what, &message))
    })
}

/// serde's message for the value at `at` (in `root`), in Nix's words.
fn nix_message(root: &Value, at: &AttrPath, what: &str, message: &str) -> String {
    let place = |at: &AttrPath| {
        if at.0.is_empty() {
            what.to_string()
        } else {
            at.to_string()
        }
    };
    let mut found = Some(root);
    for seg in &at.0 {
        found = match (found, seg) {
            (Some(Value::Object(o)), Segment::Attr(k)) => o.get(k),
            (Some(Value::Array(xs)), Segment::Index(i)) => xs.get(*i),
            _ => None,
        };
    }
    let backticked = |s: &str| -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let name = backticked(rest).pop().unwrap_or_default();
        return format!("{} is missing the attribute '{name}'", place(at));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let mut names = backticked(rest);
        let name = if names.is_empty() {
            String::new()
        } else {
            names.remove(0)
        };
        // serde_path_to_error already stepped into the unknown attribute.
        let parent = match at.0.last() {
            Some(Segment::Attr(k)) if *k == name => AttrPath(at.0[..at.0.len() - 1].to_vec()),
            _ => at.clone(),
        };
        let guess = crate::suggest::nearest(&name, names.iter().map(String::as_str))
            .map(|g| format!(": did you mean '{g}'?"))
            .unwrap_or_default();
        return format!(
            "{} has an unexpected attribute '{name}'{guess} (expected: {})",
            place(&parent),
            names.join(", ")
        );
    }
    if message.starts_with("invalid type: ") || message.starts_with("unknown variant ") {
        let expected = message
            .rsplit_once(", expected ")
            .map(|(_, e)| e.to_string())
            .unwrap_or_default();
        let expected = match expected.as_str() {
            "a boolean" => "a Boolean".to_string(),
            "a sequence" => "a list".to_string(),
            "a map" => "a set".to_string(),
            e if e.starts_with("struct ") => "a set".to_string(),
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "an integer".to_string(),
            e => e.replace('`', "\""),
        };
        let got = match (message.starts_with("unknown variant "), found) {
            (true, _) => format!(
                "\"{}\"",
                backticked(message).first().cloned().unwrap_or_default()
            ),
            (false, Some(v)) => type_name(v).to_string(),
            (false, None) => "something else".to_string(),
        };
        return format!("{} must be {expected}, but it is {got}", place(at));
    }
    if message.starts_with('[') {
        return format!("{}{message}", place(at));
    }
    format!("{} {message}", place(at))
}

/// A misuse error: `what` should be `expected` but is `got`'s type.
pub fn expected(what: &str, expected: &str, got: &Value) -> Error {
    Error::misuse(format!(
        "{what} must be {expected}, but it is {}",
        type_name(got)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn file_arg_distinguishes_paths_and_text() {
        assert_eq!(
            FileArg::from_json(&json!({"$path": "/a/b"}), "x").unwrap(),
            FileArg::Path("/a/b".into())
        );
        assert_eq!(
            FileArg::from_json(&json!("Host *"), "x").unwrap(),
            FileArg::Text("Host *".into())
        );
        let e = FileArg::from_json(&json!(3), "config").unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Misuse);
        assert_eq!(
            e.message,
            "config must be a path or a string, but it is an integer"
        );
    }

    #[test]
    fn ports_are_1_to_65535() {
        assert_eq!(typed::<Port>(&json!(22), "port").unwrap(), Port(22));
        for bad in [json!(0), json!(65536), json!(-1), json!(1.5)] {
            let e = typed::<Port>(&bad, "port").unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Misuse);
            if bad.is_f64() {
                assert_eq!(e.message, "port must be an integer, but it is a float");
            } else {
                assert_eq!(e.message, format!("port {bad} is not a TCP port"));
            }
        }
        assert_eq!(
            typed::<Port>(&json!("22"), "port").unwrap_err().message,
            "port must be an integer, but it is a string"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
    struct Outer {
        mounts: Vec<Inner>,
        store_dir: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, expecting = "a set")]
    #[allow(dead_code)] // read only by the deserializer
    struct Inner {
        name: String,
        port: Option<Port>,
        file: Option<FileArg>,
        flag: Option<bool>,
        count: Option<i64>,
    }

    fn typed_err(v: Value) -> String {
        let e = typed::<Outer>(&v, "the argument").unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Misuse);
        e.message
    }

    #[test]
    fn typed_arguments_say_what_and_where() {
        let ok: Outer = typed(
            &json!({"mounts": [{"name": "a", "port": 22, "file": {"$path": "/x"}}], "storeDir": null}),
            "the argument",
        )
        .unwrap();
        assert_eq!(ok.mounts[0].port, Some(Port(22)));
        assert_eq!(ok.mounts[0].file, Some(FileArg::Path("/x".into())));
        assert_eq!(ok.store_dir, None);
        for (v, want) in [
            (json!(1), "the argument must be a set, but it is an integer"),
            (json!([[]]), "the argument must be a set, but it is a list"),
            (
                json!({"$path": "/a"}),
                "the argument must be a set, but it is a path",
            ),
            (json!({}), "the argument is missing the attribute 'mounts'"),
            (
                json!({"mounts": [], "mount": 1}),
                "the argument has an unexpected attribute 'mount': did you mean 'mounts'? (expected: mounts, storeDir)",
            ),
            (
                json!({"mounts": {}}),
                "mounts must be a list, but it is a set",
            ),
            (
                json!({"mounts": [{}]}),
                "mounts[0] is missing the attribute 'name'",
            ),
            (
                json!({"mounts": [{"name": 1}]}),
                "mounts[0].name must be a string, but it is an integer",
            ),
            (
                json!({"mounts": [{"name": "a", "nmae": 1}]}),
                "mounts[0] has an unexpected attribute 'nmae': did you mean 'name'? (expected: name, port, file, flag, count)",
            ),
            (
                json!({"mounts": [{"name": "a", "port": 70000}]}),
                "mounts[0].port 70000 is not a TCP port",
            ),
            (
                json!({"mounts": [{"name": "a", "port": "22"}]}),
                "mounts[0].port must be an integer, but it is a string",
            ),
            (
                json!({"mounts": [{"name": "a", "file": 3}]}),
                "mounts[0].file must be a path or a string, but it is an integer",
            ),
            (
                json!({"mounts": [{"name": "a", "file": {"$path": 3}}]}),
                "mounts[0].file must be a path or a string, but it is a set",
            ),
            (
                json!({"mounts": [{"name": "a", "flag": "yes"}]}),
                "mounts[0].flag must be a Boolean, but it is a string",
            ),
            (
                json!({"mounts": [], "storeDir": {"$path": "/x"}}),
                "storeDir must be a string, but it is a path",
            ),
            (
                json!({"mounts": [{"name": "a", "count": 1.5}]}),
                "mounts[0].count must be an integer, but it is a float",
            ),
        ] {
            assert_eq!(typed_err(v.clone()), want, "{v}");
        }
    }

    #[test]
    fn type_names_follow_nix() {
        assert_eq!(type_name(&json!(1.5)), "a float");
        assert_eq!(type_name(&json!(1)), "an integer");
        assert_eq!(type_name(&json!({"$path": "/x"})), "a path");
        assert_eq!(type_name(&json!({})), "a set");
    }
}
