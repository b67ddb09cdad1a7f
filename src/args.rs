//! Reading builtin arguments out of their JSON form, with misuse errors
//! that say what was expected and what came.
//!
//! The plugin converts each Nix argument to JSON the way `builtins.toJSON`
//! does (without copying paths to the store), except where a builtin
//! declares an argument a *file argument* (see [`crate::builtins::Builtin`]):
//! there a Nix path value arrives as `{ "$path": "/abs/path" }`, so that the
//! builtin can tell a file from a string of content and read the file
//! through Nix's access rules.

use crate::error::{Error, Result};
use crate::host::Host;
use serde_json::{Map, Value};

/// The JSON key that marks a Nix path value in a file argument.
pub const PATH_TAG: &str = "$path";

/// Nix's name for the type of a JSON-converted value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a Boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(o) if o.contains_key(PATH_TAG) && o.len() == 1 => "a path",
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
        match v {
            Value::String(s) => Ok(FileArg::Text(s.clone())),
            Value::Object(o) if o.len() == 1 => match o.get(PATH_TAG) {
                Some(Value::String(p)) => Ok(FileArg::Path(p.clone())),
                _ => Err(expected(what, "a path or a string", v)),
            },
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

/// A misuse error: `what` should be `expected` but is `got`'s type.
pub fn expected(what: &str, expected: &str, got: &Value) -> Error {
    Error::misuse(format!(
        "{what} must be {expected}, but it is {}",
        type_name(got)
    ))
}

/// `v` as a set (not a path), or a misuse error naming `what`.
pub fn attrs<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    match v {
        Value::Object(o) if !(o.len() == 1 && o.contains_key(PATH_TAG)) => Ok(o),
        _ => Err(expected(what, "a set", v)),
    }
}

/// Reject attributes of `set` that are not in `allowed`, as Nix does for
/// a function called with an unexpected argument.
pub fn only_attrs(set: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<()> {
    for k in set.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::misuse(format!(
                "{what} has an unexpected attribute '{k}' (expected: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

/// The attribute `name` of `set`, required.
pub fn required<'a>(set: &'a Map<String, Value>, name: &str, what: &str) -> Result<&'a Value> {
    set.get(name)
        .ok_or_else(|| Error::misuse(format!("{what} is missing the attribute '{name}'")))
}

/// The attribute `name` of `set`, absent or null meaning `None`.
pub fn optional<'a>(set: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    set.get(name).filter(|v| !v.is_null())
}

/// `v` as a string, or a misuse error naming `what`.
pub fn string<'a>(v: &'a Value, what: &str) -> Result<&'a str> {
    v.as_str().ok_or_else(|| expected(what, "a string", v))
}

/// `v` as an integer, or a misuse error naming `what`.
pub fn integer(v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Number(n) if !n.is_f64() => {
            n.as_i64().ok_or_else(|| expected(what, "an integer", v))
        }
        _ => Err(expected(what, "an integer", v)),
    }
}

/// `v` as a TCP port (1 to 65535), or a misuse error naming `what`.
pub fn port(v: &Value, what: &str) -> Result<u16> {
    let n = integer(v, what)?;
    u16::try_from(n)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::misuse(format!("{what} {n} is not a TCP port")))
}

/// `v` as a Boolean, or a misuse error naming `what`.
pub fn boolean(v: &Value, what: &str) -> Result<bool> {
    v.as_bool().ok_or_else(|| expected(what, "a Boolean", v))
}

/// `v` as a list, or a misuse error naming `what`.
pub fn list<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>> {
    v.as_array().ok_or_else(|| expected(what, "a list", v))
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
        assert_eq!(port(&json!(22), "port").unwrap(), 22);
        for bad in [json!(0), json!(65536), json!(-1)] {
            let e = port(&bad, "port").unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Misuse);
            assert_eq!(e.message, format!("port {bad} is not a TCP port"));
        }
        assert_eq!(
            port(&json!("22"), "port").unwrap_err().message,
            "port must be an integer, but it is a string"
        );
    }

    #[test]
    fn type_names_follow_nix() {
        assert_eq!(type_name(&json!(1.5)), "a float");
        assert_eq!(type_name(&json!(1)), "an integer");
        assert_eq!(type_name(&json!({"$path": "/x"})), "a path");
        assert_eq!(type_name(&json!({})), "a set");
    }
}
