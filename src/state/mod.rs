//! State-path checks: store paths as Nix parses them, union-mount
//! layouts, and static content that must not hold dynamic data.

pub mod mounts;
pub mod static_tree;
pub mod store_path;

use crate::args;
use crate::builtins::{Builtin, PathMode, ResultMode};
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
    let dialect = store_path::Dialect::of_version(host.nix_version().as_deref());
    Ok(store_path::parse_as(dialect, &store_dir, path)?.to_json())
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
    211, not `.` or `..`). From Nix 2.35 the hash must be followed by `-`
    and `subPath` is canonical (`//`, `.` and `..` folded), as libstore
    hands it out; before, `subPath` is the rest of the path as written.

    *path* is a string, or `{ path; storeDir; }` to parse against another
    store directory than `builtins.storeDir`.

    ```nix
    nix-repl> builtins.jen.parseStorePath "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12/bin/hello"
    { hash = "0123456789abcdfghijklmnpqrsvwxyz"; name = "hello-2.12"; storeDir = "/nix/store"; subPath = "/bin/hello"; }
    ```
    "#,
    files: &[],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: parse_store_path,
};

pub const CHECK_STATE_PATHS: Builtin = Builtin {
    name: "checkStatePaths",
    args: &["args"],
    doc: r#"
    Check union-mount layouts, `{ mounts; storeDir ? builtins.storeDir; }`,
    where each mount is `{ name; static; stateDir; mountPoint; owner ? null; }`:
    read-only `static` store content with the writable `stateDir` over it,
    shown on `mountPoint`. Return
    `{ mounts; backup; exclude; warnings; }`: `backup` lists the writable
    branches (user data), `exclude` what a deploy must never write (the
    branches and the mount points). Or raise one catchable error listing
    every violation:

    - `stateDir`, `mountPoint`: absolute and normalised, outside the store,
      not a system directory (`/ /nix /etc /proc /sys /dev /run /boot /usr /var`);
    - `static`: a valid store path (a Nix path value is copied to the store);
    - no two mounts share a state directory or mount point, and none lies
      inside another, its own mount's included;
    - `owner`: a valid user name; `name`: unique.

    Warnings: a writable branch under `/run` or `/tmp` (lost on reboot), a
    branch without owner (stays root's).

    ```nix
    nix-repl> (builtins.jen.checkStatePaths { mounts = [ {
                name = "jekor.com"; static = "${./site}"; owner = "fsrest";
                stateDir = "/var/jekor.com"; mountPoint = "/www/jekor.com"; } ]; }).backup
    [ "/var/jekor.com" ]
    ```
    "#,
    files: &[],
    paths: PathMode::ToStore,
    result: ResultMode::Value,
    run: |host, a| mounts::check_state_paths(&a[0], &host.store_dir()),
};

pub const CHECK_STATIC_TREE: Builtin = Builtin {
    name: "checkStaticTree",
    args: &["args"],
    doc: r#"
    Check that static content, `{ static; dynamic = [ globs ]; }`, holds no
    file under the paths declared dynamic (those only the writable branch
    may hold), since a deploy would put them over the production data.
    `static` is a path or a store path that exists locally; it is read
    through Nix (pure evaluation rules apply), without following symbolic
    links. Globs are relative to `static` (`comments/**`, `**/*.db`,
    `uploads`: a match on a directory covers what is under it).

    Returns `{ static; files; }` (files checked) or raises a catchable error
    listing the offending files (the first 100, and how many more).

    ```nix
    nix-repl> builtins.jen.checkStaticTree { static = ./site; dynamic = [ "comments/**" ]; }
    { files = 3; static = "/home/me/site"; }
    ```
    "#,
    files: &["args.static"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: |host, a| static_tree::check_static_tree(host, &a[0]),
};
