//! The messages of the NixOps4 resource provider protocol, version 0, as
//! `resource-schema-v0.json` defines them: one JSON object per line, each
//! request an object with exactly one key naming its kind.
//!
//! Requests are read strictly (unknown fields are errors, as the schema's
//! `additionalProperties: false` says); responses are built only by the
//! functions here, so every line the provider writes has one of the
//! schema's `Response` shapes.
//!
//! The request types are the protocol's whole shape: every field is
//! decoded (and unknown ones refused) so that a malformed request is
//! answered as one, even where the provider has no use for the field (a
//! state resource's events, a read's extant inputs). Those fields are
//! never read, which `dead_code` is told per item.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Input or output properties: a JSON object.
pub type Properties = Map<String, Value>;

/// A resource as NixOps4 knows it from an earlier run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExtantResource {
    #[serde(rename = "type")]
    pub type_name: String,
    #[allow(dead_code)] // decoded to check the request (see the header)
    pub input_properties: Properties,
    #[serde(default)]
    pub output_properties: Option<Properties>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateResourceRequest {
    #[serde(rename = "type")]
    pub type_name: String,
    pub input_properties: Properties,
    pub is_stateful: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateResourceRequest {
    pub resource: ExtantResource,
    pub input_properties: Properties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // decoded to check the request (see the header)
pub struct StateResourceReadRequest {
    pub resource: ExtantResource,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // decoded to check the request (see the header)
pub struct StateResourceEvent {
    pub resource: ExtantResource,
    pub event: String,
    pub nixops_version: String,
    pub patch: Value,
}

/// One request line.
#[derive(Debug, Clone)]
#[allow(dead_code)] // a state request's contents are decoded, not used
pub enum Request {
    Create(CreateResourceRequest),
    Update(UpdateResourceRequest),
    StateRead(StateResourceReadRequest),
    StateEvent(StateResourceEvent),
}

/// The request kinds by their key on the wire.
const KINDS: [&str; 4] = [
    "createResourceRequest",
    "updateResourceRequest",
    "stateResourceReadRequest",
    "stateResourceEvent",
];

fn body<T: for<'de> Deserialize<'de>>(kind: &str, v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("malformed {kind}: {e}"))
}

/// Parse one line of input. The error says what is wrong with it.
pub fn parse_request(line: &str) -> Result<Request, String> {
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("the request is not JSON: {e}"))?;
    let Value::Object(mut o) = v else {
        return Err("the request is not a JSON object".into());
    };
    if let Some(k) = o.keys().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown request \"{k}\" (protocol v0 knows {})",
            KINDS.join(", ")
        ));
    }
    if o.len() != 1 {
        return Err(format!(
            "a request has exactly one of {}, this one has {}",
            KINDS.join(", "),
            o.len()
        ));
    }
    let (kind, v) = o
        .iter_mut()
        .next()
        .map(|(k, v)| (k.clone(), v.take()))
        .unwrap();
    Ok(match kind.as_str() {
        "createResourceRequest" => Request::Create(body(&kind, v)?),
        "updateResourceRequest" => Request::Update(body(&kind, v)?),
        "stateResourceReadRequest" => Request::StateRead(body(&kind, v)?),
        _ => Request::StateEvent(body(&kind, v)?),
    })
}

pub fn create_response(outputs: Properties) -> Value {
    json!({ "createResourceResponse": { "outputProperties": outputs } })
}

pub fn update_response(outputs: Properties) -> Value {
    json!({ "updateResourceResponse": { "outputProperties": outputs } })
}

pub fn error_response(message: impl Into<String>) -> Value {
    json!({ "errorResponse": { "message": message.into() } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind_and_refuses_the_rest() {
        let r = parse_request(
            r#"{"createResourceRequest":{"type":"t","inputProperties":{"a":1},"isStateful":true}}"#,
        );
        assert!(matches!(r, Ok(Request::Create(c)) if c.type_name == "t" && c.is_stateful));
        let r = parse_request(
            r#"{"updateResourceRequest":{"resource":{"type":"t","inputProperties":{}},"inputProperties":{}}}"#,
        );
        assert!(matches!(r, Ok(Request::Update(u)) if u.resource.output_properties.is_none()));
        for (line, says) in [
            ("", "not JSON"),
            ("[1]", "not a JSON object"),
            ("{}", "exactly one"),
            (r#"{"hello":{}}"#, "unknown request \"hello\""),
            (
                r#"{"createResourceRequest":{"type":"t","inputProperties":{}}}"#,
                "isStateful",
            ),
            (
                r#"{"createResourceRequest":{"type":"t","inputProperties":{},"isStateful":true,"x":1}}"#,
                "unknown field `x`",
            ),
        ] {
            let e = parse_request(line).unwrap_err();
            assert!(e.contains(says), "{line}: {e}");
        }
    }
}
