//! The data model's violations in a user's words.
//!
//! The `jsonschema` crate speaks in the schema's terms (`"var/x" does not
//! match "^(/[^/\u0000]+)+$"`, `is not one of "none", "ovh" or 2 other
//! candidates`). For the jen data model, each violation is said again from
//! what the schema knows at the failing keyword:
//!
//! - `x-expected`, an annotation of `nix/data-model.json` beside the
//!   subschema it explains ("an absolute path: ..."), so that the words
//!   cannot drift from the rule: `"var/x" is not an absolute path: ...`;
//! - an enumeration lists every allowed value and the nearest to the one
//!   written; an unknown attribute names the ones there are, with the
//!   nearest first ("did you mean");
//! - a `required` or `const` that a `dependentSchemas` or an `if` asks says
//!   which attribute asked it;
//! - Nix's names for types (a set, a list, a whole number).
//!
//! `keyword` and `schemaPath` stay the schema's, for tools. A `required`
//! that only follows from a misspelt name (`writeable = true` beside
//! `owner`) is folded into the misspelling's violation.
//!
//! User schemas given to `check` and `validate` keep the validator's own
//! messages: their words are their authors'.

use super::attr_path::{nix_attr_name, AttrPath};
use super::schema::{violation_of, Validator};
use super::violation::Violation;
use crate::suggest::nearest;
use crate::tree::Node;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

/// Every violation of `value` against the data model `model` (compiled as
/// `validator`), in the user's words, unsorted.
pub fn violations(validator: &Validator, model: &Value, value: Node<'_>) -> Vec<Violation> {
    if validator.is_valid(value) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut suggested: Vec<(AttrPath, String)> = Vec::new();
    // Each `required` violation: its index in `out`, place and name.
    let mut missing: Vec<(usize, AttrPath, String)> = Vec::new();
    for e in validator.iter_errors(value) {
        // A `required` name that a misspelling nearby suggests is the same
        // mistake: the misspelling's violation says it.
        if let ValidationErrorKind::Required { property } = e.kind() {
            let at = AttrPath::from_pointer(e.instance_path().as_str(), value);
            if let Some(name) = property.as_str() {
                missing.push((out.len(), at, name.to_string()));
            }
        }
        let base = violation_of(&e, value);
        said(model, &e, base, &mut out, &mut suggested);
    }
    let folded: Vec<usize> = missing
        .into_iter()
        .filter(|(_, at, name)| suggested.contains(&(at.clone(), name.clone())))
        .map(|(i, _, _)| i)
        .collect();
    out.into_iter()
        .enumerate()
        .filter(|(i, _)| !folded.contains(i))
        .map(|(_, v)| v)
        .collect()
}

/// The subschema at JSON pointer `pointer` of `model`, and the last
/// segment (the keyword), when the pointer leads somewhere.
fn at_pointer<'m>(model: &'m Value, pointer: &str) -> Option<(&'m Value, String)> {
    let (parent, keyword) = pointer.rsplit_once('/')?;
    let node = model.pointer(parent)?;
    Some((node, keyword.replace("~1", "/").replace("~0", "~")))
}

/// The segments of JSON pointer `pointer`.
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// What the schema expects at `node`, in words (`x-expected`).
fn expected(node: &Value) -> Option<&str> {
    node.get("x-expected").and_then(Value::as_str)
}

/// `value` as a Nix user reads it in a message: strings quoted (and cut
/// when long), other scalars as written, sets and lists by kind.
fn quote(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 60 => {
            let cut: String = s.chars().take(57).collect();
            let quoted = Value::String(cut).to_string();
            format!("{}...\"", &quoted[..quoted.len() - 1])
        }
        Value::Object(_) => "a set".into(),
        Value::Array(_) => "a list".into(),
        Value::Null => "null".into(),
        v => v.to_string(),
    }
}

/// A JSON Schema type in Nix's words.
fn nix_type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "a set",
        JsonType::String => "a string",
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What the object schema at `pointer` describes, for "is not an
/// attribute of ...": the `$defs` entry it is in, with the condition of
/// the `if` whose `then` it is.
fn what_object(model: &Value, pointer: &[String]) -> String {
    let def = match pointer {
        [d, name, ..] if d == "$defs" => name.as_str(),
        _ => "network",
    };
    let noun = match def {
        "ssh" => "ssh".to_string(),
        "network" => "a network".to_string(),
        d => format!("a {d}"),
    };
    match condition(model, pointer) {
        Some(c) => format!("{noun} with {c}"),
        None => noun,
    }
}

/// The condition of the `if` beside the `then` that `pointer` goes
/// through, in Nix: `type = "hetzner"`, `writable = true`.
fn condition(model: &Value, pointer: &[String]) -> Option<String> {
    let then = pointer.iter().rposition(|s| s == "then")?;
    let parent = format!("/{}", pointer[..then].join("/"));
    let props = model
        .pointer(&parent)?
        .get("if")?
        .get("properties")?
        .as_object()?;
    let parts: Vec<String> = props
        .iter()
        .filter_map(|(k, s)| Some(format!("{} = {}", nix_attr_name(k), s.get("const")?)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// The attribute whose presence asked for this (`dependentSchemas/<name>`).
fn dependent(pointer: &[String]) -> Option<&str> {
    let i = pointer.iter().position(|s| s == "dependentSchemas")?;
    pointer.get(i + 1).map(String::as_str)
}

/// Say `e` (made into `base`) in the user's words into `out`; record the
/// names an unknown attribute was taken for in `suggested`.
fn said(
    model: &Value,
    e: &ValidationError<'_>,
    base: Violation,
    out: &mut Vec<Violation>,
    suggested: &mut Vec<(AttrPath, String)>,
) {
    let pointer = e.schema_path().as_str().to_string();
    let Some((node, _keyword)) = at_pointer(model, &pointer) else {
        out.push(base);
        return;
    };
    let path_segments = segments(&pointer);
    let instance: &Value = e.instance();
    let q = quote(instance);
    let with = |message: String| Violation {
        message,
        ..base.clone()
    };
    let v = match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let mut known: Vec<&str> = node
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            known.sort_unstable();
            let what = what_object(model, &path_segments);
            for name in unexpected {
                let guess = nearest(name, known.iter().copied());
                let mut message = format!("\"{name}\" is not an attribute of {what}");
                if let Some(g) = guess {
                    message.push_str(&format!(": did you mean \"{g}\"?"));
                    suggested.push((base.path.clone(), g.to_string()));
                }
                message.push_str(&format!(" (it has: {})", known.join(", ")));
                out.push(Violation {
                    path: base.path.join(name.as_str()),
                    message,
                    ..base.clone()
                });
            }
            return;
        }
        ValidationErrorKind::PropertyNames { error } => {
            let name = error.instance();
            let expect = at_pointer(model, error.schema_path().as_str())
                .and_then(|(n, _)| expected(n))
                .map(str::to_string);
            let (path, name_q) = match name.as_ref() {
                Value::String(s) => (base.path.join(s.as_str()), quote(name)),
                _ => (base.path.clone(), quote(name)),
            };
            let what = match base.path.0.last() {
                Some(super::attr_path::Segment::Attr(a)) if a == "machines" => "machine name",
                Some(super::attr_path::Segment::Attr(a)) if a == "sites" => "site's domain",
                _ => "name",
            };
            Violation {
                path,
                message: match expect {
                    Some(x) => format!("the {what} {name_q} is not {x}"),
                    None => format!("the {what} {name_q}: {}", error),
                },
                ..base
            }
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<&Value> = options
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let names: Vec<String> = allowed.iter().map(|o| o.to_string()).collect();
            let mut message = match names.len() {
                1 => format!("{q} is not {}", names[0]),
                _ => format!("{q} is not one of {}", or_list(&names)),
            };
            let written = instance.as_str().unwrap_or_default();
            if let Some(g) = nearest(written, allowed.iter().filter_map(|o| o.as_str())) {
                message.push_str(&format!(": did you mean \"{g}\"?"));
            }
            with(message)
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let mut message = format!("\"{name}\" is missing");
            if let Some(dep) = dependent(&path_segments) {
                let value = node
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("const"));
                message.push_str(&format!(", and {dep} needs it"));
                if let Some(c) = value {
                    message.push_str(&format!(": write {} = {c}", nix_attr_name(name)));
                }
            } else if let Some(c) = condition(model, &path_segments) {
                message.push_str(&format!(", and it is needed with {c}"));
            } else if let Some(d) = node
                .get("properties")
                .and_then(|p| p.get(name))
                .and_then(|p| p.get("description"))
                .and_then(Value::as_str)
            {
                message.push_str(&format!(" ({})", first_sentence(d)));
            }
            with(message)
        }
        ValidationErrorKind::Constant { expected_value } => {
            let attr = base
                .path
                .0
                .last()
                .map(|s| match s {
                    super::attr_path::Segment::Attr(a) => nix_attr_name(a),
                    super::attr_path::Segment::Index(i) => format!("[{i}]"),
                })
                .unwrap_or_default();
            match dependent(&path_segments) {
                Some(dep) => with(format!(
                    "{attr} is {q}, and {dep} needs {attr} = {expected_value}: write {attr} = {expected_value}, or remove {dep}"
                )),
                None => with(format!("{q} is not {expected_value}")),
            }
        }
        ValidationErrorKind::Type { kind } => {
            let wanted = match expected(node) {
                Some(x) => x.to_string(),
                None => match kind {
                    TypeKind::Single(t) => nix_type_name(*t).to_string(),
                    TypeKind::Multiple(ts) => or_list(
                        &ts.iter()
                            .map(|t| nix_type_name(t).to_string())
                            .collect::<Vec<_>>(),
                    ),
                },
            };
            let is = crate::args::type_name(instance);
            let whole = matches!(kind, TypeKind::Single(JsonType::Integer));
            if let (true, Some(n)) = (whole, instance.as_str().and_then(|s| s.parse::<i64>().ok()))
            {
                with(format!("{q} is {is}, not {wanted}: write {n}"))
            } else if matches!(
                instance,
                Value::String(_) | Value::Number(_) | Value::Bool(_)
            ) {
                with(format!("{q} is {is}, not {wanted}"))
            } else {
                with(format!("this is {is}, not {wanted}"))
            }
        }
        ValidationErrorKind::MinProperties { .. } => match expected(node) {
            Some(x) => with(format!("the set is empty: write {x}")),
            None => base,
        },
        ValidationErrorKind::Pattern { .. }
        | ValidationErrorKind::Format { .. }
        | ValidationErrorKind::Not { .. }
        | ValidationErrorKind::AnyOf { .. }
        | ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::MinLength { .. } => match expected(node) {
            Some(x) => with(format!("{q} is not {x}")),
            None => base,
        },
        ValidationErrorKind::UniqueItems => {
            let twice = instance.as_array().and_then(|a| {
                a.iter()
                    .enumerate()
                    .find(|(i, x)| a[..*i].contains(x))
                    .map(|(_, x)| quote(x))
            });
            match twice {
                Some(x) => with(format!("{x} is listed twice")),
                None => base,
            }
        }
        _ => base,
    };
    out.push(v);
}

/// The first sentence of a description, without its full stop, starting
/// in lower case to follow a comma.
fn first_sentence(d: &str) -> String {
    let s = d.split(". ").next().unwrap_or(d).trim_end_matches('.');
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::network::network_violations;
    use crate::tree::of_value;
    use serde_json::{json, Value};

    /// The messages for `network`, as `path [keyword] message`.
    fn said(network: &Value) -> Vec<String> {
        of_value(network, network_violations)
            .unwrap()
            .iter()
            .map(|v| format!("{} [{}] {}", v.path, v.keyword, v.message))
            .collect()
    }

    fn one_machine(machine: Value) -> Value {
        json!({"name": "demo", "machines": {"www": machine}})
    }

    #[test]
    fn each_mistake_says_what_to_write() {
        let none = json!({"type": "none", "address": "198.51.100.7"});
        let cases = [
            (
                json!({"provider": {"type": "hetzer"}}),
                "machines.www.provider.type [enum] \"hetzer\" is not one of \"none\", \"ovh\", \"hetzner\" or \"virtualbox\": did you mean \"hetzner\"?",
            ),
            (
                json!({"provider": {"type": "hetzner", "mainIPv4": "198.51.100.300"}}),
                "machines.www.provider.mainIPv4 [format] \"198.51.100.300\" is not an IPv4 address: four numbers from 0 to 255 (e.g. \"198.51.100.7\")",
            ),
            (
                json!({"provider": {"type": "hetzner"}}),
                "machines.www.provider [required] \"mainIPv4\" is missing, and it is needed with type = \"hetzner\"",
            ),
            (
                json!({"provider": {"type": "ovh", "mainIPv4": "198.51.100.7", "address": "x.org"}}),
                "machines.www.provider.mainIPv4 [additionalProperties] \"mainIPv4\" is not an attribute of a provider with type = \"ovh\" (it has: address, type)",
            ),
            (
                json!({"provider": none, "ssh": {"user": "Blog User"}}),
                "machines.www.ssh.user [pattern] \"Blog User\" is not a user name: lower-case letters, digits, \"_\" and \"-\", starting with a letter or \"_\", at most 32 characters (e.g. \"blog\")",
            ),
            (
                json!({"provider": none, "ssh": {"port": 70000}}),
                "machines.www.ssh.port [maximum] 70000 is not a port: a whole number from 1 to 65535",
            ),
            (
                json!({"provider": none, "ssh": {"port": "22"}}),
                "machines.www.ssh.port [type] \"22\" is a string, not a port: a whole number from 1 to 65535: write 22",
            ),
            (
                json!({"provider": none, "ssh": {"authorizedKeys": ["AAAAC3Nz me"]}}),
                "machines.www.ssh.authorizedKeys[0] [pattern] \"AAAAC3Nz me\" is not an OpenSSH public key line: the key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...), the base64 key and an optional comment, as in ~/.ssh/id_ed25519.pub",
            ),
            (
                json!({"provider": none, "ssh": "root"}),
                "machines.www.ssh [type] \"root\" is a string, not a set",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "writeable": true, "owner": "blog"}}}),
                "machines.www.sites.\"a.org\".writeable [additionalProperties] \"writeable\" is not an attribute of a site: did you mean \"writable\"? (it has: aliases, backend, dynamic, mountPoint, onMasking, owner, redirects, state, static, union, workDir, writable)",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "writable": true, "state": "var/a.org"}}}),
                "machines.www.sites.\"a.org\".state [pattern] \"var/a.org\" is not an absolute path: starting with \"/\", without \".\" or \"..\" segments, \"//\" or a trailing \"/\" (e.g. \"/var/example.org\")",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "writable": true, "state": "/var/../etc"}}}),
                "machines.www.sites.\"a.org\".state [not] \"/var/../etc\" is not an absolute path: starting with \"/\", without \".\" or \"..\" segments, \"//\" or a trailing \"/\" (e.g. \"/var/example.org\")",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "owner": "blog"}}}),
                "machines.www.sites.\"a.org\" [required] \"writable\" is missing, and owner needs it: write writable = true",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "writable": false, "union": "overlayfs"}}}),
                "machines.www.sites.\"a.org\".writable [const] writable is false, and union needs writable = true: write writable = true, or remove union",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"writable": true}}}),
                "machines.www.sites.\"a.org\" [required] \"static\" is missing, and it is needed with writable = true",
            ),
            (
                json!({"provider": none, "sites": {"a b": {"static": "/s"}}}),
                "machines.www.sites.\"a b\" [propertyNames] the site's domain \"a b\" is not a domain name: labels of letters, digits and inner hyphens, joined by dots (e.g. \"www.example.org\")",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "union": "overlay", "writable": true}}}),
                "machines.www.sites.\"a.org\".union [enum] \"overlay\" is not one of \"overlayfs\" or \"unionfs-fuse\": did you mean \"overlayfs\"?",
            ),
            (
                json!({"provider": none, "sites": {"a.org": {"static": "/s", "aliases": ["b.org", "b.org"]}}}),
                "machines.www.sites.\"a.org\".aliases[1] [unique-domain] the name \"b.org\" is already served by machines.www.sites.\"a.org\".aliases[0]",
            ),
            (
                json!({"provider": none, "sits": {}}),
                "machines.www.sits [additionalProperties] \"sits\" is not an attribute of a machine: did you mean \"sites\"? (it has: provider, sites, ssh, targetHost)",
            ),
        ];
        for (machine, want) in cases {
            assert_eq!(said(&one_machine(machine.clone())), [want], "{machine}");
        }
        assert_eq!(
            said(&json!({"name": "demo", "machines": {}})),
            ["machines [minProperties] the set is empty: write at least one machine, e.g. machines.www.provider = { type = \"none\"; address = \"198.51.100.7\"; }"]
        );
        assert_eq!(
            said(&json!({"name": "demo", "machines": {"Web": {"provider": {"type": "none"}}}})),
            ["machines.Web [propertyNames] the machine name \"Web\" is not a DNS label: lower-case letters, digits and inner hyphens, at most 63 characters (e.g. \"www\")"]
        );
        assert_eq!(
            said(&json!({"machines": {"www": {"provider": {"type": "none"}}}})),
            ["<root> [required] \"name\" is missing (the network's name)"]
        );
    }

    #[test]
    fn no_data_model_message_shows_a_regular_expression() {
        // Every keyword of the model that can fail, once each.
        let bad = json!({"name": "Demo!", "tld": "-x-", "machines": {"www": {
            "provider": {"type": "hetzner", "mainIPv4": "1.2.3.4.5", "memorySize": 1},
            "targetHost": "not an address!",
            "ssh": {"user": "A", "port": 0, "authorizedKeys": ["x"], "hostKeyAlias": "", "via": "Nope"},
            "sites": {"a.org": {"static": "", "state": "rel", "mountPoint": "/a//b", "owner": "1x",
                                "dynamic": [""], "aliases": ["b..org"], "redirects": ["c..org"],
                                "backend": {"type": "proxy", "port": 99999}}}}}});
        for line in said(&bad) {
            assert!(!line.contains('^') && !line.contains("$\""), "{line}");
            assert!(!line.contains("does not match"), "{line}");
        }
    }
}
