//! A violation: one thing wrong with a value, where it is and why.

use super::attr_path::AttrPath;
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
}

impl Violation {
    pub fn rule(path: AttrPath, keyword: &str, message: impl Into<String>) -> Self {
        Violation {
            path,
            keyword: keyword.into(),
            message: message.into(),
            schema_path: String::new(),
        }
    }

    /// The violation as `check` returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "path": self.path.to_json(),
            "attrPath": self.path.to_string(),
            "pointer": self.path.pointer(),
            "keyword": self.keyword,
            "message": self.message,
            "schemaPath": self.schema_path,
        })
    }
}

/// Sort violations in document order (stable: several at one place keep
/// their order) and drop exact repeats.
pub fn document_order(mut v: Vec<Violation>) -> Vec<Violation> {
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v.dedup_by(|a, b| a.path == b.path && a.message == b.message);
    v
}

/// The message of a failed `validate`: a count, then one line per
/// violation as `attr.path: message`.
pub fn report(what: &str, violations: &[Violation]) -> String {
    let n = violations.len();
    let mut s = format!("{what} ({n} violation{}):", if n == 1 { "" } else { "s" });
    for v in violations {
        s.push_str(&format!("\n  {}: {}", v.path, v.message));
    }
    s
}
