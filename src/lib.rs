//! # jen-builtins
//!
//! The Rust core of `builtins.jen`: pure functions over `serde_json::Value`
//! that validate a jen network, resolve its SSH targets and check its
//! state paths. The same functions serve the Nix plugin (through
//! `bridge`, with the `plugin` feature), the `jen` CLI and the NixOps4
//! provider. Nothing here but `bridge` knows that Nix exists.

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
pub mod provider;
pub mod ssh;
pub mod state;
pub mod suggest;
pub mod timing;
pub mod tree;

#[cfg(feature = "plugin")]
mod bridge;

pub use error::{Error, ErrorKind, Result};

/// The crate version, also `builtins.jen.version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
