//! The three kinds of failure a builtin can report, and how each reaches Nix.
//!
//! | kind       | raised in Nix as                         | example                                 |
//! |------------|------------------------------------------|-----------------------------------------|
//! | `Invalid`  | `throw` (catchable by `builtins.tryEval`) | a network that fails its data model     |
//! | `Misuse`   | a type error, as Nix's own builtins do   | `builtins.jen.check 42`                 |
//! | `Internal` | an evaluation error naming the builtin   | a panic or a bug in jen-builtins        |

use std::fmt;

/// Which of the three failure kinds an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was understood and is wrong: the point of a check.
    Invalid,
    /// The builtin was called wrongly: wrong argument types or shape.
    Misuse,
    /// Something in jen-builtins went wrong (a panic, a bug).
    Internal,
}

/// An error of one of the three kinds, with a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Invalid,
            message: message.into(),
        }
    }
    pub fn misuse(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Misuse,
            message: message.into(),
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result of a core function.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for `Err(Error::misuse(format!(..)))`.
#[macro_export]
macro_rules! misuse {
    ($($t:tt)*) => { Err($crate::error::Error::misuse(format!($($t)*))) };
}

/// Shorthand for `Err(Error::invalid(format!(..)))`.
#[macro_export]
macro_rules! invalid {
    ($($t:tt)*) => { Err($crate::error::Error::invalid(format!($($t)*))) };
}
