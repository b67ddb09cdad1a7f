//! What a `builtins.jen.*` function is ([`Builtin`]: the names of its
//! arguments, its `:doc` text, how its arguments and result cross, the
//! core function that does the work) and how one is called ([`call`] for
//! the CLI, the provider and tests; [`call_tree`] for the shim). The
//! table of them is [`crate::builtins`]; each capability module defines
//! its own entries over this type.

use crate::error::{Error, ErrorKind, Result};
use crate::host::Host;
use crate::tree::{Node, Tree, TreeBuf};
use serde_json::Value;

/// How Nix path values that are not file arguments are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// A path becomes its absolute path as a string (no store copy).
    AsString,
    /// A path is copied to the store and becomes the store path, exactly
    /// as `builtins.toJSON` does.
    ToStore,
}

/// How a builtin's result reaches Nix.
#[derive(Debug, Clone, Copy)]
pub enum ResultMode {
    /// The whole result is converted to a new Nix value.
    Value,
    /// The result is a tree whose anchored sets are sets of the arguments
    /// with attributes added (`validateNetwork`'s defaults): only the
    /// additions cross back, merged into the original Nix values, so
    /// untouched parts (and their string context) are shared, not copied,
    /// and no name of the argument is looked up again
    /// (`model::defaults::Additions::to_tree`). The function computes that
    /// tree over the arguments as they crossed; `run` gives the same result
    /// as a whole value.
    Tree(fn(&dyn Host, &[Node<'_>]) -> Result<TreeBuf>),
}

/// A builtin's core function.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// Over the arguments as `serde_json::Value`s, converted from the
    /// shim's tree ([`Node::to_value`]).
    Values(fn(&dyn Host, &[Value]) -> Result<Value>),
    /// Over the arguments as they crossed, in place: for builtins whose
    /// arguments are large (a network), where a converted copy would cost
    /// more than the check (bench/README.md, round 10).
    Tree(fn(&dyn Host, &[Node<'_>]) -> Result<Value>),
}

/// One `builtins.jen.<name>` function.
pub struct Builtin {
    /// Attribute name under `builtins.jen`.
    pub name: &'static str,
    /// Names of the positional arguments (the arity is their number).
    pub args: &'static [&'static str],
    /// Markdown shown by `nix repl`'s `:doc`.
    pub doc: &'static str,
    /// File arguments: an argument name (`"schema"`) or an attribute of a set
    /// argument (`"args.config"`). A Nix path there (or in a list there)
    /// arrives tagged (see [`crate::args::FileArg`]) instead of as a string.
    pub files: &'static [&'static str],
    /// How other path values in the arguments are converted.
    pub paths: PathMode,
    /// How the result reaches Nix.
    pub result: ResultMode,
    /// The core function.
    pub run: Run,
}

/// Call `builtin` on `args` (the CLI's, the provider's and the tests'
/// way in) and prefix any error message with `jen: <name>: `, so that
/// every message says which builtin raised it.
pub fn call(builtin: &Builtin, host: &dyn Host, args: &[Value]) -> Result<Value> {
    match builtin.run {
        Run::Values(run) => call_with(builtin, run, host, args),
        Run::Tree(run) => {
            let bufs: Vec<TreeBuf> = args.iter().map(TreeBuf::from_value).collect();
            let trees = bufs.iter().map(TreeBuf::tree).collect::<Result<Vec<_>>>()?;
            let nodes: Vec<Node> = trees.iter().map(Tree::root).collect();
            call_with(builtin, run, host, &nodes)
        }
    }
}

/// `run` (one of `builtin`'s functions) on `args`, with the argument count
/// checked and the builtin's name before any error message.
fn call_with<A, T>(
    builtin: &Builtin,
    run: fn(&dyn Host, &[A]) -> Result<T>,
    host: &dyn Host,
    args: &[A],
) -> Result<T> {
    if args.len() != builtin.args.len() {
        return Err(Error::internal(format!(
            "jen: {}: expected {} arguments, got {}",
            builtin.name,
            builtin.args.len(),
            args.len()
        )));
    }
    run(host, args).map_err(|e| Error {
        kind: e.kind,
        message: format!("jen: {}: {}", builtin.name, e.message),
    })
}

/// Call `builtin` on its arguments as the shim sends them: a tree whose
/// root is the list of the arguments. The result is a tree too, the one
/// format that crosses back ([`crate::tree`]): the builtin's own, whose
/// anchored sets add to the arguments' ([`ResultMode::Tree`]), or its
/// value written as one. Each phase is timed at `debug` level
/// ([`crate::timing`]).
pub fn call_tree(builtin: &Builtin, host: &dyn Host, tree: &Tree) -> Result<TreeBuf> {
    use crate::timing::phase;
    let nodes: Vec<Node> = tree.root().elements().collect();
    let reply = match (builtin.result, builtin.run) {
        (ResultMode::Tree(run), _) => {
            let _run = phase(builtin.name, "run and write the result tree");
            call_with(builtin, run, host, &nodes)?
        }
        (ResultMode::Value, run) => {
            let value = match run {
                Run::Tree(run) => {
                    let _run = phase(builtin.name, "run");
                    call_with(builtin, run, host, &nodes)?
                }
                Run::Values(run) => {
                    let convert = phase(builtin.name, "convert the arguments");
                    let args: Vec<Value> = nodes.iter().map(|n| n.to_value()).collect();
                    drop(convert);
                    let run_phase = phase(builtin.name, "run");
                    let value = call_with(builtin, run, host, &args);
                    drop(run_phase);
                    free(args, tree.root().span().len());
                    value?
                }
            };
            let write = phase(builtin.name, "write the result tree");
            let out = TreeBuf::from_value(&value);
            drop(write);
            let _free = phase(builtin.name, "free the result");
            drop(value);
            out
        }
    };
    Ok(reply)
}

/// [`call_tree`] on the arguments as one JSON array (the fuzz targets'
/// way in): nesting beyond [`crate::depth::MAX_DEPTH`] is refused before
/// parsing.
pub fn call_json(builtin: &Builtin, host: &dyn Host, args_json: &str) -> Result<TreeBuf> {
    // The arguments arrive as one JSON array: one level more than the values.
    let depth = crate::depth::depth(args_json).saturating_sub(1);
    if depth > crate::depth::MAX_DEPTH {
        return Err(Error::misuse(format!(
            "jen: {}: an argument is nested {depth} levels deep; the limit is {}",
            builtin.name,
            crate::depth::MAX_DEPTH
        )));
    }
    let mut de = serde_json::Deserializer::from_str(args_json);
    de.disable_recursion_limit();
    let args: Value = serde::Deserialize::deserialize(&mut de).map_err(|e| {
        Error::internal(format!(
            "jen: {}: the arguments are not JSON: {e}",
            builtin.name
        ))
    })?;
    let buf = TreeBuf::from_value(&args);
    call_tree(builtin, host, &buf.tree()?)
}

/// Values made from a tree of more nodes than this (about 500 machines
/// of a network) are freed on a thread of their own.
const FREE_IN_BACKGROUND: usize = 16 << 10;

/// Drop `values` (made from `nodes` tree nodes): large ones on a
/// short-lived background thread, so that the evaluation goes on while
/// hundreds of thousands of small allocations are returned (27 ms for a
/// 10,000-machine network, 2.5 ms for 1,000; bench/README.md rounds 4 and
/// 5); small ones at once. The thread touches nothing of Nix's. If it
/// cannot be started the values are dropped here.
fn free(values: Vec<Value>, nodes: usize) {
    if nodes > FREE_IN_BACKGROUND {
        let _ = std::thread::Builder::new()
            .name("jen-free".into())
            .spawn(move || drop(values));
    }
}

/// Human-readable name of an error kind, for logs.
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Invalid => "invalid input",
        ErrorKind::Misuse => "misuse",
        ErrorKind::Internal => "internal error",
    }
}
