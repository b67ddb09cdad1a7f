//! Locations inside a value, written the way a Nix user reads them.
//!
//! A location is a list of segments: attribute names and list indexes.
//! It is shown as a Nix attribute path (`machines.www.sites."jekor.com".state`,
//! list elements as `[0]`) and as a JSON pointer (`/machines/www/sites/jekor.com/state`).

use crate::tree::{Kind, Node};
use serde_json::Value;

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Attr(String),
    Index(usize),
}

impl From<&str> for Segment {
    fn from(s: &str) -> Self {
        Segment::Attr(s.to_string())
    }
}

impl From<String> for Segment {
    fn from(s: String) -> Self {
        Segment::Attr(s)
    }
}

impl From<usize> for Segment {
    fn from(i: usize) -> Self {
        Segment::Index(i)
    }
}

/// A location inside a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrPath(pub Vec<Segment>);

const KEYWORDS: &[&str] = &[
    "assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with",
];

/// Is `s` usable unquoted as a Nix attribute name?
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-')
        && !KEYWORDS.contains(&s)
}

/// `s` as a Nix attribute name: bare when it is an identifier, else quoted.
pub fn nix_attr_name(s: &str) -> String {
    if is_identifier(s) {
        s.to_string()
    } else {
        serde_json::to_string(s)
            .expect("strings serialize")
            .replace("${", "\\${")
    }
}

impl AttrPath {
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    /// This path with `seg` appended.
    pub fn join(&self, seg: impl Into<Segment>) -> Self {
        let mut v = self.0.clone();
        v.push(seg.into());
        AttrPath(v)
    }

    /// Parse an RFC 6901 JSON pointer, taking all-digit segments as list
    /// indexes when `value` (the document) has a list there.
    pub fn from_pointer(pointer: &str, value: Node<'_>) -> Self {
        let mut out = Vec::new();
        let mut cur = Some(value);
        for raw in pointer.split('/').skip(1) {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            match cur.map(|v| (v, v.kind())) {
                Some((list, Kind::List)) => match seg.parse::<usize>() {
                    Ok(i) => {
                        cur = list.elements().nth(i);
                        out.push(Segment::Index(i));
                    }
                    Err(_) => {
                        cur = None;
                        out.push(Segment::Attr(seg));
                    }
                },
                Some((set, Kind::Set)) => {
                    cur = set.get(&seg);
                    out.push(Segment::Attr(seg));
                }
                _ => {
                    cur = None;
                    out.push(Segment::Attr(seg));
                }
            }
        }
        AttrPath(out)
    }

    /// The RFC 6901 JSON pointer of this location (`""` for the root).
    pub fn pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.0 {
            s.push('/');
            match seg {
                Segment::Attr(a) => s.push_str(&a.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => s.push_str(&i.to_string()),
            }
        }
        s
    }

    /// The segments as JSON: strings and integers.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|s| match s {
                    Segment::Attr(a) => Value::String(a.clone()),
                    Segment::Index(i) => Value::from(*i),
                })
                .collect(),
        )
    }
}

impl std::fmt::Display for AttrPath {
    /// `machines.www.sites."jekor.com"`, `list[2].name`; the root is `<root>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Attr(a) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&nix_attr_name(a))?;
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_nix_attribute_paths() {
        let p = AttrPath::root()
            .join("machines")
            .join("www")
            .join("sites")
            .join("jekor.com")
            .join("state");
        assert_eq!(p.to_string(), r#"machines.www.sites."jekor.com".state"#);
        assert_eq!(p.pointer(), "/machines/www/sites/jekor.com/state");
        let p = AttrPath::root()
            .join("xs")
            .join(2usize)
            .join("in")
            .join("a/b~");
        assert_eq!(p.to_string(), r#"xs[2]."in"."a/b~""#);
        assert_eq!(p.pointer(), "/xs/2/in/a~1b~0");
        assert_eq!(AttrPath::root().to_string(), "<root>");
        assert_eq!(AttrPath::root().join(0usize).to_string(), "[0]");
        assert_eq!(nix_attr_name("a${b}"), r#""a\${b}""#);
    }

    #[test]
    fn pointers_parse_against_the_document() {
        let doc = crate::tree::TreeBuf::from_value(&json!({"a": [{"0": 1}], "b/c": {"~": 2}}));
        let doc = doc.tree().unwrap();
        let doc = doc.root();
        let p = AttrPath::from_pointer("/a/0/0", doc);
        assert_eq!(
            p.0,
            vec![Segment::from("a"), Segment::Index(0), Segment::from("0")]
        );
        let p = AttrPath::from_pointer("/b~1c/~0", doc);
        assert_eq!(p.to_string(), r#""b/c"."~""#);
        assert_eq!(p.pointer(), "/b~1c/~0");
    }
}
