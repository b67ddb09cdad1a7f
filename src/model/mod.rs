//! Data-model validation: JSON Schema checks of Nix values and the jen
//! network data model with its cross-reference rules.

pub mod attr_path;
pub mod defaults;
pub mod network;
pub mod schema;
pub mod validated;
pub mod violation;
pub mod words;

use crate::args;
use crate::builtin::{Builtin, PathMode, ResultMode, Run};
use crate::error::{Error, Result};
use crate::host::Host;
use serde::Deserialize;
use serde_json::Value;
use violation::Source;

/// The schema argument: a set or Boolean (the schema itself), or a path to
/// a `.json` file read through Nix.
fn schema_arg(host: &dyn Host, v: &Value) -> Result<Value> {
    if let Some(p) = args::as_path(v) {
        let text = host.read_file(p)?;
        return serde_json::from_str(&text)
            .map_err(|e| Error::misuse(format!("the schema file '{p}' is not JSON: {e}")));
    }
    match v {
        Value::Object(_) | Value::Bool(_) => Ok(v.clone()),
        _ => Err(args::expected(
            "the schema",
            "a set, a Boolean or a path to a JSON file",
            v,
        )),
    }
}

/// `checkWith`'s options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct OptionsArg {
    assert_formats: Option<bool>,
    resources: Option<serde_json::Map<String, Value>>,
}

fn options_arg(v: &Value) -> Result<schema::Options> {
    let o: OptionsArg = args::typed(v, "the options")?;
    let mut opts = schema::Options::default();
    if let Some(f) = o.assert_formats {
        opts.assert_formats = f;
    }
    if let Some(r) = o.resources {
        opts.resources = r;
    }
    Ok(opts)
}

pub const CHECK: Builtin = Builtin {
    name: "check",
    args: &["schema", "value"],
    doc: r#"
    Check *value* against the JSON Schema *schema* and return every
    violation, without raising an error for an invalid value:

    ```nix
    { valid = false;
      errors = [ { path = [ "machines" "www" "ssh" "port" ];
                   attrPath = "machines.www.ssh.port";
                   pointer = "/machines/www/ssh/port";
                   keyword = "maximum";
                   message = "70000 is greater than the maximum of 65535";
                   schemaPath = "/properties/machines/...";
                   pos = { file = "/home/me/net/www.nix"; line = 6; column = 3; };
                   related = null; } ]; }
    ```

    `pos` is where the value was written: the definition of the
    attribute holding it, or the nearest enclosing one that has a
    position (a list element: its list's), or `null` when Nix keeps none
    (a set made by `builtins.fromJSON`). `related` is the other place of
    a rule that relates two (`checkNetwork`'s), else `null`.

    *schema* is a JSON Schema written as a Nix set (or `true`/`false`), or
    a path to a `.json` file, read through Nix so that pure evaluation
    rules apply. Draft 2020-12 unless `$schema` says otherwise. Formats
    (`hostname`, `ipv4`, `ipv6`, `email`, `uri`, ...) are asserted; see
    `builtins.jen.checkWith` for the standard's annotation-only mode.
    Errors come in document order. Schemas are compiled once and cached.

    ```nix
    nix-repl> builtins.jen.check { type = "integer"; minimum = 1; } 0
    { errors = [ { keyword = "minimum"; message = "0 is less than the minimum of 1"; ... } ]; valid = false; }
    ```

    Values are converted as `builtins.jen.echo` shows: a path becomes its
    string, a derivation its `outPath`. An invalid *schema* is a type error.
    "#,
    files: &["schema"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Tree(|host, a| {
        schema::check(
            &schema_arg(host, &a[0].to_value())?,
            a[1],
            &schema::Options::default(),
            Source::arg(host, 1),
        )
    }),
};

pub const CHECK_WITH: Builtin = Builtin {
    name: "checkWith",
    args: &["options", "schema", "value"],
    doc: r#"
    `builtins.jen.check` with *options*:

    - `assertFormats` (default `true`): `false` treats `format` as an
      annotation only, as JSON Schema 2020-12 does by default;
    - `resources` (default `{ }`): documents that `$ref` may name, by URI.
      Nothing is ever fetched from the network or read from disk.

    ```nix
    nix-repl> builtins.jen.checkWith {
                resources."https://example.com/port.json" = { type = "integer"; maximum = 65535; };
              } { "$ref" = "https://example.com/port.json"; } 70000
    { errors = [ { keyword = "maximum"; ... } ]; valid = false; }
    ```
    "#,
    files: &["schema"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Tree(|host, a| {
        schema::check(
            &schema_arg(host, &a[1].to_value())?,
            a[2],
            &options_arg(&a[0].to_value())?,
            Source::arg(host, 2),
        )
    }),
};

pub const VALIDATE: Builtin = Builtin {
    name: "validate",
    args: &["schema", "value"],
    doc: r#"
    Return *value* unchanged when it matches the JSON Schema *schema*;
    otherwise raise one error, catchable with `builtins.tryEval` like
    `throw`, that says how many violations there are and gives each a
    block: its Nix attribute path and message, and where the value was
    written (the definition of its attribute, or the nearest enclosing
    one that has a position):

    ```
    error: jen: validate: the value does not match its schema (2 violations):

      port: 70000 is greater than the maximum of 65535
        at /tmp/readme/net.nix:2:3

      state: "var/jekor.com" does not match "^/"
        at /tmp/readme/net.nix:3:3
    ```

    *schema* is as for `builtins.jen.check`.

    ```nix
    nix-repl> builtins.jen.validate { type = "string"; format = "ipv4"; } "10.0.0.1"
    "10.0.0.1"
    ```
    "#,
    files: &["schema"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Tree(|host, a| {
        schema::validate(
            &schema_arg(host, &a[0].to_value())?,
            a[1],
            &schema::Options::default(),
            Source::arg(host, 1),
        )
    }),
};

pub const VALIDATE_NETWORK: Builtin = Builtin {
    name: "validateNetwork",
    args: &["network"],
    doc: r#"
    Check a jen *network* against the data model (`nix/data-model.json`)
    and the rules a schema cannot say, and return it with defaults filled
    in; or raise one catchable error listing every violation.

    The rules: a domain, alias or redirect is served once in the network;
    a proxy port is used by one backend per machine; `ssh.via` names an
    existing other machine without loops; on a machine, one site per mount
    point and per state directory; every number whole (`port = 8080.0`,
    a float, is reported with what to write).

    Defaults: `ssh.user = "root"`, `ssh.port = 22`, `ssh.authorizedKeys = [ ]`;
    per site `aliases = redirects = dynamic = [ ]`, `backend.type = "static"`,
    `writable = false`; per writable site `state = "/var/<domain>"`,
    `mountPoint = "/www/<domain>"`, `owner = "root"`.

    ```nix
    nix-repl> (builtins.jen.validateNetwork {
                name = "demo";
                machines.www = { provider = { type = "none"; address = "10.0.0.1"; }; };
              }).machines.www.ssh
    { authorizedKeys = [ ]; port = 22; user = "root"; }
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Tree(|host, a| {
        let adds = network::validate_network_additions(a[0], Source::arg(host, 0))?;
        let _t = crate::timing::phase("network", "write the additions");
        Ok(adds.to_tree())
    }),
    run: Run::Tree(|host, a| network::validate_network(a[0], Source::arg(host, 0))),
};

pub const CHECK_NETWORK: Builtin = Builtin {
    name: "checkNetwork",
    args: &["network"],
    doc: r#"
    `builtins.jen.validateNetwork` without raising: return
    `{ valid; errors; network; }` where `errors` lists every violation as
    `builtins.jen.check` does (rule violations have the rule's name as
    `keyword`; `pos` is where the value was written, `related` the other
    place of a rule that relates two, with its own `pos`), and `network`
    is the network with defaults, or `null`
    (when valid, the network's own values with the defaults added, string
    context kept, as `validateNetwork` returns it).

    ```nix
    nix-repl> (builtins.jen.checkNetwork { name = "x"; machines = { }; }).valid
    false
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Tree(|host, a| network::check_network_tree(a[0], Source::arg(host, 0))),
    run: Run::Tree(|host, a| network::check_network(a[0], Source::arg(host, 0))),
};

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_data_model_is_a_valid_schema() {
        schema::compile(&network::data_model(), &schema::Options::default()).unwrap();
    }
}
