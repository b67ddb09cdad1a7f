//! State-path checks: store paths as Nix parses them, union-mount
//! layouts, and static content that must not hold dynamic data.

pub mod masking;
pub mod mounts;
pub mod static_tree;
pub mod store_path;
pub mod union;

use crate::args;
use crate::builtin::{Builtin, PathMode, ResultMode, Run};
use crate::error::Result;
use crate::host::Host;
use serde::Deserialize;
use serde_json::Value;

/// `parseStorePath { ... }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a set")]
struct StorePathSet {
    path: String,
    store_dir: Option<String>,
}

fn parse_store_path(host: &dyn Host, a: &[Value]) -> Result<Value> {
    let (path, store_dir) = match &a[0] {
        Value::String(s) => (s.clone(), None),
        v if args::type_name(v) == "a set" => {
            let s: StorePathSet = args::typed(v, "the argument")?;
            (s.path, s.store_dir)
        }
        v => {
            return Err(args::expected(
                "the argument",
                "a string or a set { path; storeDir; }",
                v,
            ))
        }
    };
    let store_dir = store_dir.unwrap_or_else(|| host.store_dir());
    crate::path_policy::check_store_dir(&store_dir)?;
    let dialect = store_path::Dialect::of_version(host.nix_version().as_deref());
    let parsed = store_path::parse_as(dialect, &store_dir, &path)?;
    store_path::check_stays_inside(&path, &parsed)?;
    Ok(parsed.to_json())
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

    The path is taken as written, as libstore's parser takes a string
    (`builtins.storePath` and Nix path values canonicalise first, so
    `/nix//store/...` is refused here and accepted there). One deliberate
    difference from Nix: a path whose sub-path leaves its store object
    (`/nix/store/<hash>-x/..`, `.../x/../<other>`) is refused, since no
    store object holds it.

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
    run: Run::Values(parse_store_path),
};

pub const CHECK_STATE_PATHS: Builtin = Builtin {
    name: "checkStatePaths",
    args: &["args"],
    doc: r#"
    Check union-mount layouts, `{ mounts; storeDir ? builtins.storeDir; machine ? null; }`,
    where each mount is `{ name; static; stateDir; mountPoint; owner ? null;
    union ? "overlayfs"; workDir ? null; at ? null; }`: read-only `static` store
    content with the writable `stateDir` over it, shown on `mountPoint`,
    through the kernel's overlayfs or unionfs-fuse. An overlayfs mount
    needs a work directory: `workDir`, or by default the state directory's
    sibling `<stateDir>.overlay-work`. Return
    `{ mounts; backup; exclude; warnings; }`: each mount with its `union`
    and `workDir` settled (`null` for unionfs-fuse), `backup` the writable
    branches (user data), `exclude` what a deploy must never write (the
    branches, the mount points, the work directories). Or raise one
    catchable error listing every violation, each with the rule it breaks:

    - `stateDir`, `mountPoint`, `workDir`: absolute and normalised (`normalised`);
      only ASCII letters, digits and `. _ - + @` in each component, none
      starting with `-` (`characters`); outside the store
      (`outside-store`); not in a tree the system owns, by prefix: `/nix`,
      `/etc`, `/usr`, `/boot`, `/proc`, `/sys`, `/dev`, `/run`, `/tmp`,
      `/root`, `/bin`, `/sbin`, `/lib`, `/lib64`, `/var/lib/nixos`,
      `/var/lib/systemd`, `/var/empty`, `/var/run`, `/var/lock`,
      `/var/tmp`, nor `/var/lib`, `/var/log`, `/var/cache`, `/var/spool`,
      `/var/db` themselves (`system-tree`); strictly below `/var`, `/srv`,
      `/www`, `/home`, `/persist`, `/data` or `/mnt` (`allowed-tree`);
    - `static`: a valid store path (a Nix path value is copied to the
      store), written canonically, without `=`, `:`, `,` or `\`; a
      sub-path is fine;
    - no two mounts share a state directory, work directory or mount
      point, and none lies inside another, its own mount's included;
    - `workDir` only on an overlayfs mount;
    - `owner`: a valid user name; `name`: unique, non-empty, of the same
      safe characters.

    Warning: a branch without owner (stays root's).
    `builtins.jen.statePathViolations` lists the violations without
    raising. A mount may say where it is configured, `at = [ "machines"
    "www" "sites" "jekor.com" ]` (as `jen.lib.plan` does): its violations
    are then reported there, under the network's names
    (`machines.www.sites."jekor.com".state`), not at `mounts[i].stateDir`;
    and with `machine`, the machine's own set as the network wrote it,
    each says the file and line that wrote its value.

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
    run: Run::Values(|host, a| {
        mounts::check_state_paths(
            &a[0],
            &host.store_dir(),
            crate::model::violation::Source::arg(host, 0),
        )
    }),
};

pub const STATE_PATH_VIOLATIONS: Builtin = Builtin {
    name: "statePathViolations",
    args: &["args"],
    doc: r#"
    The violations `builtins.jen.checkStatePaths` would raise for the same
    argument, as a list of `"<attribute path>: <what is wrong>"` strings in
    document order, without raising; `[ ]` when the layout is safe. For
    assertions, which want a message rather than an error (the NixOS
    module `services.jen.unionMounts` uses it). Misuse (a wrong argument
    shape) is still a type error.

    ```nix
    nix-repl> builtins.jen.statePathViolations { mounts = [ {
                name = "a"; static = "${./site}"; stateDir = "/etc/a"; mountPoint = "/www/a"; } ]; }
    [ "mounts[0].stateDir: \"/etc/a\" is in /etc, which the system owns" ]
    ```
    "#,
    files: &[],
    paths: PathMode::ToStore,
    result: ResultMode::Value,
    run: Run::Values(|host, a| mounts::state_path_violations(&a[0], &host.store_dir())),
};

pub const CHECK_STATIC_TREE: Builtin = Builtin {
    name: "checkStaticTree",
    args: &["args"],
    doc: r#"
    Check that static content, `{ static; dynamic = [ globs ]; at ? null; }`, holds no
    file under the paths declared dynamic (those only the writable branch
    may hold), since a deploy would put them over the production data.
    `static` is a path or a store path that exists locally; it is read
    through Nix (pure evaluation rules apply), without following symbolic
    links. Globs are relative to `static` (`comments/**`, `**/*.db`,
    `uploads`: a match on a directory covers what is under it).

    Returns `{ static; files; writableDirs; }`: the files checked, and the
    directories (relative, parents first) the writable branch must hold
    so that the site can write its dynamic files through a union mount
    (the glob's literal leading directories, and each directory of the
    tree the glob's files may go in). Raises a catchable error listing
    the offending files (the first 100, and how many more), or naming a
    static file where such a directory must go. `at` (optional) is what
    those messages call the content instead of its path on disk (`lib.plan`
    passes the site and its `static` as written:
    `machines.www.sites."jekor.com" ("/nix/store/...-jekor.com")`).

    ```nix
    nix-repl> builtins.jen.checkStaticTree { static = ./site; dynamic = [ "comments/**" ]; }
    { files = 3; static = "/home/me/site"; writableDirs = [ "comments" ]; }
    ```
    "#,
    files: &["args.static"],
    paths: PathMode::AsString,
    result: ResultMode::Value,
    run: Run::Values(|host, a| static_tree::check_static_tree(host, &a[0])),
};
