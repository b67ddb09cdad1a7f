//! Diagnostic builtins: what the other builtins see of a Nix value.

use crate::builtin::{Builtin, PathMode, ResultMode, Run};
use crate::error::Result;
use crate::host::Host;
use serde_json::Value;

/// `builtins.jen.echo value`: the value after a round trip through Rust.
pub const ECHO: Builtin = Builtin {
    name: "echo",
    args: &["value"],
    doc: r#"
    Return *value* after a round trip through jen-builtins: Nix value →
    the value tree the plugin hands to Rust → a value tree back → Nix
    value. What
    comes back is what every other `builtins.jen` function sees of its
    arguments (the tree holds exactly what `builtins.toJSON` would
    write):

    - integers stay integers, floats stay floats, strings keep their
      Unicode text (string context is dropped);
    - a path becomes its absolute path as a string (nothing is copied to
      the store);
    - a derivation, or any set with `outPath`, becomes its `outPath`; a set
      with `__toString` becomes that string;
    - a function cannot be converted and raises a type error.

    ```nix
    nix-repl> builtins.jen.echo { a = 1; b = [ 2.5 null "ü" ]; }
    { a = 1; b = [ 2.5 null "ü" ]; }
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(echo),
};

fn echo(_: &dyn Host, args: &[Value]) -> Result<Value> {
    Ok(args[0].clone())
}

/// `builtins.jen.toJSONPretty value`: indented JSON text.
pub const TO_JSON_PRETTY: Builtin = Builtin {
    name: "toJSONPretty",
    args: &["value"],
    doc: r#"
    Return *value* as indented JSON text (two spaces, keys sorted), the
    conversion of [`builtins.jen.echo`](#builtins-jen-echo) printed by
    Rust's serde_json. Handy for reading a deployment plan.

    ```nix
    nix-repl> builtins.jen.toJSONPretty { b = [ 1 2 ]; a = true; }
    "{\n  \"a\": true,\n  \"b\": [\n    1,\n    2\n  ]\n}"
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(to_json_pretty),
};

fn to_json_pretty(_: &dyn Host, args: &[Value]) -> Result<Value> {
    serde_json::to_string_pretty(&args[0])
        .map(Value::String)
        .map_err(|e| crate::error::Error::internal(e.to_string()))
}

/// Log to standard error with the filter in `JEN_LOG` (an `EnvFilter`
/// directive such as `debug` or `jen_builtins=trace`), or `default` when
/// it is unset; no logging when both are absent. Standard output is never
/// written: it belongs to Nix or to the provider protocol.
pub fn init_logging(default: Option<&str>) {
    let Some(filter) = std::env::var("JEN_LOG")
        .ok()
        .or_else(|| default.map(str::to_string))
    else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
