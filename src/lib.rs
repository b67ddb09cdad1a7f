//! # jen-builtins
//!
//! The Rust core of `builtins.jen`: pure functions over typed arguments
//! (value trees and `serde_json::Value`s) that validate a jen network,
//! resolve its SSH targets and check its state paths. The same functions
//! serve the Nix plugin (`plugin/`: the C++ shim, the cxx bridge and the
//! loader), the `jen` CLI and the NixOps4 provider (`cli/`). Nothing here
//! knows that Nix exists: what a builtin may ask of its evaluation goes
//! through [`host::Host`].

pub mod args;
pub mod builtin;
pub mod builtins;
pub mod depth;
pub mod diag;
pub mod error;
pub mod fuzzing;
pub mod host;
pub mod model;
pub mod path_policy;
pub mod ssh;
pub mod state;
pub mod suggest;
pub mod timing;
pub mod tree;

pub use error::{Error, ErrorKind, Result};

/// The crate version, also `builtins.jen.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
