//! State-path checks: store paths as Nix parses them (union-mount layouts
//! and static trees are issue #5's next parts).

pub mod store_path;

use crate::args;
use crate::builtins::{Builtin, PathMode};
use crate::error::Result;
use crate::host::Host;
use serde_json::Value;

fn parse_store_path(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let (path, store_dir) = match &a[0] {
        Value::String(s) => (s.as_str(), host.store_dir()),
        v @ Value::Object(_) => {
            let o = args::attrs(v, "the argument")?;
            args::only_attrs(o, &["path", "storeDir"], "the argument")?;
            let path = args::string(args::required(o, "path", "the argument")?, "path")?;
            let dir = match args::optional(o, "storeDir") {
                Some(d) => args::string(d, "storeDir")?.to_string(),
                None => host.store_dir(),
            };
            (path, dir)
        }
        v => {
            return Err(args::expected(
                "the argument",
                "a string or a set { path; storeDir; }",
                v,
            ))
        }
    };
    store_path::check_store_dir(&store_dir)?;
    Ok(store_path::parse(&store_dir, path)?.to_json())
}

pub const PARSE_STORE_PATH: Builtin = Builtin {
    name: "parseStorePath",
    args: &["path"],
    doc: r#"
    Split a store path into `{ storeDir; hash; name; subPath; }`, by the
    rules of the Nix this plugin runs in (`subPath` is `null` when the
    path is a store path itself), or raise a catchable error saying which
    rule failed: not in the store, too short, an illegal base-32 character
    in the hash, or an illegal name (characters `A-Za-z0-9+-._?=`, at most
    211, not `.` or `..`).

    *path* is a string, or `{ path; storeDir; }` to parse against another
    store directory than `builtins.storeDir`.

    ```nix
    nix-repl> builtins.jen.parseStorePath "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12/bin/hello"
    { hash = "0123456789abcdfghijklmnpqrsvwxyz"; name = "hello-2.12"; storeDir = "/nix/store"; subPath = "/bin/hello"; }
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    run: parse_store_path,
};
