//! Trees built in Rust, from `serde_json::Value`s: what the CLI, the
//! provider and the tests hand to the builtins that read trees, and the
//! one-string documents of [`super::json`].

use super::{code, Tree};
use crate::error::Result;
use serde_json::Value;

/// An owned tree: its words and its text.
#[derive(Debug, Default, Clone)]
pub struct TreeBuf {
    words: Vec<u64>,
    text: String,
}

impl TreeBuf {
    /// The tree of `v`. A number that is neither an `i64` nor a finite
    /// float (an integer beyond 64 bits) becomes the nearest float, as Nix
    /// reads it; the shim never sends one.
    pub fn from_value(v: &Value) -> TreeBuf {
        let mut b = TreeBuf::default();
        b.push(v);
        b
    }

    /// The tree of one string.
    pub fn string(&mut self, s: &str) {
        self.words.clear();
        self.text.clear();
        self.push_string(code::STRING, s, 1);
    }

    /// The checked tree (see [`Tree::new`]).
    pub fn tree(&self) -> Result<Tree<'_>> {
        Tree::new(&self.words, self.text.as_bytes())
    }

    /// The words and the text, as the shim sends them.
    pub fn parts(&self) -> (&[u64], &[u8]) {
        (&self.words, self.text.as_bytes())
    }

    fn nodes(&self) -> usize {
        self.words.len() / 3
    }

    fn node(&mut self, code: u64, count: usize, link: usize, payload: u64) {
        self.words
            .extend([code | (count as u64) << 32, link as u64, payload]);
    }

    fn push_string(&mut self, code: u64, s: &str, link: usize) {
        let at = self.text.len() as u64;
        self.text.push_str(s);
        self.node(code, s.len(), link, at);
    }

    fn push(&mut self, v: &Value) {
        let i = self.nodes();
        match v {
            Value::Null => self.node(code::NULL, 0, i + 1, 0),
            Value::Bool(b) => self.node(code::BOOL, 0, i + 1, u64::from(*b)),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(int), _) => self.node(code::INT, 0, i + 1, int as u64),
                (None, Some(f)) if f.is_finite() => self.node(code::FLOAT, 0, i + 1, f.to_bits()),
                _ => self.node(code::NULL, 0, i + 1, 0),
            },
            Value::String(s) => self.push_string(code::STRING, s, i + 1),
            Value::Array(items) => {
                self.node(code::LIST, items.len(), 0, 0);
                for item in items {
                    self.push(item);
                }
                self.words[3 * i + 1] = self.nodes() as u64;
            }
            Value::Object(members) => {
                // In byte order of the names, whatever order the map keeps.
                let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                self.node(code::SET, sorted.len(), 0, 0);
                for (name, _) in &sorted {
                    self.push_string(code::KEY, name, 0);
                }
                for (k, (_, value)) in sorted.iter().enumerate() {
                    self.words[3 * (i + 1 + k) + 1] = self.nodes() as u64;
                    self.push(value);
                }
                self.words[3 * i + 1] = self.nodes() as u64;
            }
        }
    }
}

/// `f` over the tree of `v`: the way in for code that holds a
/// `serde_json::Value` (the CLI, the provider, the tests).
pub fn of_value<T>(v: &Value, f: impl FnOnce(super::Node<'_>) -> T) -> T {
    let buf = TreeBuf::from_value(v);
    let tree = buf
        .tree()
        .expect("a tree built from a value is well formed");
    f(tree.root())
}
