//! Trees as instances of the `jsonschema` crate: its documented extension
//! point for JSON representations (`jsonschema::json::Json`), so that a
//! schema checks the shim's tree in place instead of a `serde_json::Value`
//! built from it. The crate's conformance check
//! (`jsonschema::json::conformance`) holds this implementation to the
//! contract the validator relies on, and the JSON Schema Test Suite runs
//! through it from Nix (`tests/json_schema_suite.rs`).

use super::{Kind, Node, TreeBuf};
use jsonschema::json::{self as js, NodeIdentity};
use jsonschema::types::JsonType;
use serde_json::{Number, Value};
use std::borrow::Cow;

/// The representation: instances are [`Node`]s.
pub struct TreeJson;

/// A number of a tree: Nix has 64-bit integers and floats.
#[derive(Clone, Copy, Debug)]
pub enum TreeNumber {
    Int(i64),
    Float(f64),
}

/// A set, as an instance's object.
#[derive(Clone, Copy)]
pub struct TreeObject<'t>(Node<'t>);

/// A list, as an instance's array.
#[derive(Clone, Copy)]
pub struct TreeArray<'t>(Node<'t>);

impl js::Json for TreeJson {
    type Node<'a> = Node<'a>;
    type PreparedKey = Box<str>;
    type StringBuffer = TreeBuf;

    // A lookup is a binary search over the keys: as a `BTreeMap`'s is.
    const KEYS_PER_LOOKUP: usize = 2;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        key.into()
    }

    fn with_string_node<T>(buffer: &mut TreeBuf, string: &str, f: impl FnOnce(Node<'_>) -> T) -> T {
        buffer.only_string(string);
        let tree = buffer.tree().expect("a tree of one string is well formed");
        f(tree.root())
    }
}

impl<'a> js::Node<'a, TreeJson> for Node<'a> {
    type Object = TreeObject<'a>;
    type Array = TreeArray<'a>;
    type Number = TreeNumber;

    fn as_object(&self) -> Option<TreeObject<'a>> {
        self.is_set().then_some(TreeObject(*self))
    }

    fn as_array(&self) -> Option<TreeArray<'a>> {
        (self.kind() == Kind::List).then_some(TreeArray(*self))
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        Node::as_str(*self).map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<TreeNumber> {
        match self.kind() {
            Kind::Int => self.as_i64().map(TreeNumber::Int),
            Kind::Float => self.as_float().map(TreeNumber::Float),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn is_null(&self) -> bool {
        Node::is_null(*self)
    }

    fn json_type(&self) -> JsonType {
        match self.kind() {
            Kind::Null => JsonType::Null,
            Kind::Bool => JsonType::Boolean,
            Kind::Int | Kind::Float => JsonType::Number,
            Kind::String => JsonType::String,
            Kind::List => JsonType::Array,
            Kind::Set => JsonType::Object,
        }
    }

    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        let s = Node::as_str(*self)?;
        // A code point takes one to four bytes: the byte length often
        // settles it without counting.
        let bytes = s.len() as u64;
        if bytes < min || bytes.div_ceil(4) > max {
            return Some(false);
        }
        if min <= bytes.div_ceil(4) && bytes <= max {
            return Some(true);
        }
        Some((min..=max).contains(&(s.chars().count() as u64)))
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // Scalars without building a value: `enum` and `const` compare
        // every provider and backend type of a network.
        match (self.kind(), expected) {
            (Kind::String, Value::String(e)) => Node::as_str(*self) == Some(e.as_str()),
            (Kind::Bool, Value::Bool(e)) => self.as_bool() == Some(*e),
            (Kind::Null, Value::Null) => true,
            (Kind::Int | Kind::Float, Value::Number(e)) => self
                .as_number_value()
                .is_some_and(|n| js::cmp::equal_numbers(&n, e)),
            (Kind::List, Value::Array(_)) | (Kind::Set, Value::Object(_)) => {
                js::cmp::equal(&self.to_value(), expected)
            }
            _ => false,
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Node::to_value(*self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::tagged(
            std::ptr::from_ref(self.tree()) as usize,
            u32::try_from(self.index()).ok()?,
        ))
    }
}

impl Node<'_> {
    fn as_number_value(self) -> Option<TreeNumber> {
        js::Node::<TreeJson>::as_number(&self)
    }
}

impl js::JsonNumber for TreeNumber {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            TreeNumber::Int(i) => u64::try_from(i).ok(),
            TreeNumber::Float(_) => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match *self {
            TreeNumber::Int(i) => Some(i),
            TreeNumber::Float(_) => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            TreeNumber::Int(i) => i as f64,
            TreeNumber::Float(f) => f,
        })
    }

    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }

    fn to_number(&self) -> Cow<'_, Number> {
        Cow::Owned(match *self {
            TreeNumber::Int(i) => Number::from(i),
            // Trees hold finite floats only (Tree::new checks it).
            TreeNumber::Float(f) => Number::from_f64(f).unwrap_or_else(|| Number::from(0)),
        })
    }

    fn is_integer(&self) -> bool {
        match *self {
            TreeNumber::Int(_) => true,
            TreeNumber::Float(f) => f.fract() == 0.0,
        }
    }

    fn is_written_as_integer(&self) -> bool {
        matches!(self, TreeNumber::Int(_))
    }
}

impl<'a> js::Object<'a, TreeJson> for TreeObject<'a> {
    type Node = Node<'a>;
    type MemberName = &'a str;
    type MembersIter = super::Members<'a>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &Box<str>) -> Option<Node<'a>> {
        self.0.get(key)
    }

    fn members(&self) -> super::Members<'a> {
        self.0.members()
    }
}

impl<'a> js::Array<'a, TreeJson> for TreeArray<'a> {
    type Node = Node<'a>;
    type ElementsIter = super::Elements<'a>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn elements(&self) -> super::Elements<'a> {
        self.0.elements()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_representation_meets_the_validators_contract() {
        let buf = TreeBuf::from_value(&js::conformance::document());
        let tree = buf.tree().unwrap();
        js::conformance::assert_conformance::<TreeJson>(&tree.root());
    }

    #[test]
    fn a_schema_checks_a_tree_as_it_checks_the_value() {
        let schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 2},
                "f": {"multipleOf": 0.5},
                "e": {"enum": ["a", 1, [1, {"x": null}]]},
                "s": {"minLength": 2, "maxLength": 3, "format": "ipv4"},
                "u": {"uniqueItems": true},
            },
            "required": ["n"],
            "additionalProperties": false,
        });
        let on_tree = jsonschema::options_for::<TreeJson>()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let on_value = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        for v in [
            json!({"n": 2}),
            json!({"n": 1}),
            json!({"n": 2.0, "f": 1.5}),
            json!({"n": 2, "f": 1.25}),
            json!({"n": 2, "e": [1.0, {"x": null}]}),
            json!({"n": 2, "e": "b"}),
            json!({"n": 2, "s": "é"}),
            json!({"n": 2, "s": "1.2.3.4"}),
            json!({"n": 2, "u": [1, 1.0]}),
            json!({"n": 2, "u": [{"a": 1}, {"a": 2}]}),
            json!({"n": 2, "extra": true}),
            json!([1]),
        ] {
            let buf = TreeBuf::from_value(&v);
            let tree = buf.tree().unwrap();
            let on =
                |e: jsonschema::ValidationError| (e.instance_path().to_string(), e.to_string());
            let a: Vec<_> = on_tree.iter_errors(tree.root()).map(on).collect();
            let b: Vec<_> = on_value.iter_errors(&v).map(on).collect();
            assert_eq!(a, b, "{v}");
            assert_eq!(on_tree.is_valid(tree.root()), b.is_empty(), "{v}");
        }
    }
}
