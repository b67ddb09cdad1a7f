//! JSON Schema checks of values (`builtins.jen.check`, `validate`,
//! `checkWith`), with the `jsonschema` crate.
//!
//! Draft 2020-12 unless the schema's `$schema` names another draft.
//! Formats (`hostname`, `ipv4`, `ipv6`, `email`, `uri`, ...) are asserted
//! by default, since a deployment description with a malformed address is
//! wrong, not merely annotated; `checkWith { assertFormats = false; }` gives
//! the standard's annotation-only behaviour. References are never fetched:
//! a schema can only refer to itself or to `resources` given to `checkWith`.
//! Compiled schemas are cached by content, so checking many values against
//! one schema compiles it once. Values are checked as they crossed, as
//! trees ([`crate::tree::json`]).

use super::attr_path::AttrPath;
use super::violation::{Source, Violation};
use crate::error::{Error, Result};
use crate::tree::json::TreeJson;
use crate::tree::Node;
use jsonschema::Draft;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// How a schema is compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Assert `format` (true) or treat it as an annotation (false).
    pub assert_formats: bool,
    /// Documents a `$ref` may name, by URI.
    pub resources: Map<String, Value>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            assert_formats: true,
            resources: Map::new(),
        }
    }
}

/// Resolves `$ref`s to the given resources only; never the network or
/// the file system (evaluation must stay pure).
struct InMemory(HashMap<String, Value>);

impl jsonschema::Retrieve for InMemory {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> std::result::Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str();
        let bare = key.trim_end_matches('#');
        self.0
            .get(key)
            .or_else(|| self.0.get(bare))
            .cloned()
            .ok_or_else(|| format!("'{key}' is not available: references are never fetched during evaluation; pass the document in `resources`").into())
    }
}

/// A compiled schema, checking trees.
pub type Validator = jsonschema::Validator<TreeJson>;

const CACHE_LIMIT: usize = 256;

fn cache() -> &'static Mutex<HashMap<String, Arc<Validator>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Validator>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The compiled form of `schema`, from the cache when it was seen before.
/// An invalid schema is a misuse (the caller's schema is wrong, not the value).
pub fn compile(schema: &Value, opts: &Options) -> Result<Arc<Validator>> {
    let key = format!(
        "{}\u{0}{}\u{0}{}",
        opts.assert_formats,
        Value::Object(opts.resources.clone()),
        schema
    );
    if let Some(v) = cache()
        .lock()
        .map_err(|_| Error::internal("schema cache poisoned"))?
        .get(&key)
    {
        return Ok(v.clone());
    }
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Err(Error::misuse(format!(
            "the schema must be a set or a Boolean, but it is {}",
            crate::args::type_name(schema)
        )));
    }
    let mut o = jsonschema::options_for::<TreeJson>()
        .should_validate_formats(opts.assert_formats)
        .with_retriever(InMemory(opts.resources.clone().into_iter().collect()));
    if schema.get("$schema").is_none() {
        o = o.with_draft(Draft::Draft202012);
    }
    let validator = o
        .build(schema)
        .map_err(|e| Error::misuse(format!("the schema is not valid: {e}")))?;
    let validator = Arc::new(validator);
    let mut c = cache()
        .lock()
        .map_err(|_| Error::internal("schema cache poisoned"))?;
    if c.len() >= CACHE_LIMIT {
        c.clear();
    }
    c.insert(key, validator.clone());
    Ok(validator)
}

/// Longest instance excerpt quoted in a message before it is elided.
const MAX_QUOTE: usize = 80;

/// Every violation of `value` against `validator`, in document order.
pub fn violations(validator: &Validator, value: Node<'_>) -> Vec<Violation> {
    if validator.is_valid(value) {
        return Vec::new();
    }
    let found = validator
        .iter_errors(value)
        .map(|e| violation_of(&e, value))
        .collect();
    super::violation::document_order(found)
}

/// The violation the validator's error `e` reports in `value`, in the
/// validator's words.
pub fn violation_of(e: &jsonschema::ValidationError<'_>, value: Node<'_>) -> Violation {
    let quoted = e.instance().to_string();
    let message = if quoted.len() > MAX_QUOTE {
        e.masked_with("the value").to_string()
    } else {
        e.to_string()
    };
    Violation {
        schema_path: e.schema_path().as_str().to_string(),
        ..Violation::rule(
            AttrPath::from_pointer(e.instance_path().as_str(), value),
            e.kind().keyword(),
            message,
        )
    }
}

/// `{ valid; errors = [ ... ]; }` for `value` against `schema`, each
/// error with where it was written when `source` knows.
pub fn check(schema: &Value, value: Node<'_>, opts: &Options, source: Source) -> Result<Value> {
    let validator = compile(schema, opts)?;
    let mut found = violations(&validator, value);
    source.locate(&mut found);
    Ok(serde_json::json!({
        "valid": found.is_empty(),
        "errors": found.iter().map(Violation::to_json).collect::<Vec<_>>(),
    }))
}

/// `value` itself when it matches `schema`, else one invalid-input error
/// listing every violation (with where each was written, when `source`
/// knows).
pub fn validate(schema: &Value, value: Node<'_>, opts: &Options, source: Source) -> Result<Value> {
    let validator = compile(schema, opts)?;
    let mut found = violations(&validator, value);
    source.locate(&mut found);
    if found.is_empty() {
        Ok(value.to_value())
    } else {
        Err(Error::invalid(super::violation::report(
            "the value does not match its schema",
            &found,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::of_value;
    use serde_json::json;

    // The functions under test, over values.
    fn check(schema: &Value, value: &Value, opts: &Options) -> Result<Value> {
        of_value(value, |v| super::check(schema, v, opts, Source::json()))
    }
    fn validate(schema: &Value, value: &Value, opts: &Options) -> Result<Value> {
        of_value(value, |v| super::validate(schema, v, opts, Source::json()))
    }

    #[test]
    fn reports_every_violation_in_document_order() {
        let schema = json!({
            "type": "object",
            "properties": {
                "b": {"type": "integer"},
                "a": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
            },
            "required": ["c"],
        });
        let value = json!({"a": ["ok", "NO", 3], "b": "x"});
        let out = check(&schema, &value, &Options::default()).unwrap();
        assert_eq!(out["valid"], json!(false));
        let paths: Vec<_> = out["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["attrPath"].clone())
            .collect();
        assert_eq!(
            paths,
            vec![json!("<root>"), json!("a[1]"), json!("a[2]"), json!("b")]
        );
        assert_eq!(out["errors"][1]["keyword"], "pattern");
        assert_eq!(out["errors"][1]["path"], json!(["a", 1]));
        assert_eq!(out["errors"][1]["pointer"], "/a/1");
    }

    #[test]
    fn integers_and_floats_follow_2020_12() {
        let schema = json!({"type": "integer"});
        assert_eq!(
            check(&schema, &json!(1.0), &Options::default()).unwrap()["valid"],
            json!(true)
        );
        assert_eq!(
            check(&schema, &json!(1.5), &Options::default()).unwrap()["valid"],
            json!(false)
        );
    }

    #[test]
    fn formats_are_asserted_unless_asked_not_to() {
        let schema = json!({"format": "ipv4"});
        assert_eq!(
            check(&schema, &json!("1.2.3.999"), &Options::default()).unwrap()["valid"],
            json!(false)
        );
        let annotate = Options {
            assert_formats: false,
            ..Options::default()
        };
        assert_eq!(
            check(&schema, &json!("1.2.3.999"), &annotate).unwrap()["valid"],
            json!(true)
        );
        for (format, bad) in [
            ("hostname", "-bad-"),
            ("ipv6", "12345::"),
            ("email", "2962"),
            ("uri", "//x"),
        ] {
            let s = json!({"format": format});
            assert_eq!(
                check(&s, &json!(bad), &Options::default()).unwrap()["valid"],
                json!(false),
                "{format}"
            );
        }
    }

    #[test]
    fn validate_lists_all_violations_with_a_count() {
        let schema = json!({"properties": {"x": {"type": "string"}, "y": {"minimum": 3}}});
        let e = validate(&schema, &json!({"x": 1, "y": 2}), &Options::default()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
        assert_eq!(
            e.message,
            "the value does not match its schema (2 violations):\n  x: 1 is not of type \"string\"\n  y: 2 is less than the minimum of 3"
        );
        assert_eq!(
            validate(&schema, &json!({"x": "a"}), &Options::default()).unwrap(),
            json!({"x": "a"})
        );
    }

    #[test]
    fn remote_refs_come_only_from_resources() {
        let schema = json!({"$ref": "http://example.com/int.json"});
        let e = check(&schema, &json!(1), &Options::default()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Misuse);
        assert!(e.message.contains("never fetched"), "{}", e.message);
        let mut resources = Map::new();
        resources.insert(
            "http://example.com/int.json".into(),
            json!({"type": "integer"}),
        );
        let opts = Options {
            resources,
            ..Options::default()
        };
        assert_eq!(
            check(&schema, &json!("a"), &opts).unwrap()["valid"],
            json!(false)
        );
        assert_eq!(
            check(&schema, &json!(1), &opts).unwrap()["valid"],
            json!(true)
        );
    }

    #[test]
    fn an_invalid_schema_is_misuse() {
        let e = check(&json!({"type": 12}), &json!(1), &Options::default()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Misuse);
        let e = check(&json!(3), &json!(1), &Options::default()).unwrap_err();
        assert!(
            e.message.contains("must be a set or a Boolean"),
            "{}",
            e.message
        );
    }

    #[test]
    fn long_values_are_not_quoted_whole() {
        let big: Vec<i32> = (0..100).collect();
        let out = check(&json!({"type": "string"}), &json!(big), &Options::default()).unwrap();
        let msg = out["errors"][0]["message"].as_str().unwrap();
        assert!(msg.len() < 100, "{msg}");
    }
}
