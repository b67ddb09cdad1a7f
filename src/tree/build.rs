//! Trees built in Rust: from `serde_json::Value`s (what the CLI, the
//! provider and the tests hand to the builtins that read trees), the
//! one-string documents of [`super::json`], and the additions
//! `validateNetwork` sends back (`model::defaults`), node by node, the way
//! the shim writes its trees.

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
        b.push_value(v);
        b
    }

    /// An empty buffer with room for `nodes` nodes and `text` bytes.
    pub fn with_capacity(nodes: usize, text: usize) -> TreeBuf {
        TreeBuf {
            words: Vec::with_capacity(3 * nodes),
            text: String::with_capacity(text),
        }
    }

    /// Make this the tree of one string.
    pub fn only_string(&mut self, s: &str) {
        self.words.clear();
        self.text.clear();
        self.push_string(s);
    }

    /// The checked tree (see [`Tree::new`]).
    pub fn tree(&self) -> Result<Tree<'_>> {
        Tree::new(&self.words, self.text.as_bytes())
    }

    /// The words and the text, as the shim sends them.
    pub fn parts(&self) -> (&[u64], &[u8]) {
        (&self.words, self.text.as_bytes())
    }

    /// The words and the text, taken.
    pub fn into_parts(self) -> (Vec<u64>, String) {
        (self.words, self.text)
    }

    fn nodes(&self) -> usize {
        self.words.len() / 3
    }

    fn node(&mut self, code: u64, count: usize, link: usize, payload: u64) {
        self.words
            .extend([code | (count as u64) << 32, link as u64, payload]);
    }

    fn scalar(&mut self, code: u64, payload: u64) {
        let next = self.nodes() + 1;
        self.node(code, 0, next, payload);
    }

    pub fn push_null(&mut self) {
        self.scalar(code::NULL, 0);
    }

    pub fn push_bool(&mut self, b: bool) {
        self.scalar(code::BOOL, u64::from(b));
    }

    pub fn push_int(&mut self, i: i64) {
        self.scalar(code::INT, i as u64);
    }

    /// A finite float; anything else is null, as the shim writes it.
    pub fn push_float(&mut self, f: f64) {
        if f.is_finite() {
            self.scalar(code::FLOAT, f.to_bits());
        } else {
            self.push_null();
        }
    }

    pub fn push_string(&mut self, s: &str) {
        let at = self.text.len() as u64;
        self.text.push_str(s);
        let next = self.nodes() + 1;
        self.node(code::STRING, s.len(), next, at);
    }

    /// Open a set of `n` attributes whose third word is `mark`; name each
    /// attribute with [`TreeBuf::key`], in ascending order, just before its
    /// value, then close it with [`TreeBuf::end`].
    pub fn begin_set(&mut self, n: usize, mark: u64) -> usize {
        let i = self.nodes();
        self.node(code::SET, n, 0, mark);
        self.words.resize(self.words.len() + 3 * n, 0);
        i
    }

    /// Name attribute `k` of `set`; its value comes next.
    pub fn key(&mut self, set: usize, k: usize, name: &str) {
        let at = self.text.len() as u64;
        self.text.push_str(name);
        let value = self.nodes() as u64;
        let w = 3 * (set + 1 + k);
        self.words[w..w + 3].copy_from_slice(&[code::KEY | (name.len() as u64) << 32, value, at]);
    }

    /// Open a list; its elements come next, then [`TreeBuf::end`].
    pub fn begin_list(&mut self) -> usize {
        let i = self.nodes();
        self.node(code::LIST, 0, 0, 0);
        i
    }

    /// Close `container`.
    pub fn end(&mut self, container: usize) {
        let end = self.nodes();
        self.words[3 * container + 1] = end as u64;
        if self.words[3 * container] & 0xff == code::LIST {
            let (mut n, mut e) = (0u64, container + 1);
            while e < end {
                n += 1;
                e = self.words[3 * e + 1] as usize;
            }
            self.words[3 * container] = code::LIST | n << 32;
        }
    }

    /// Append the tree of `v` (see [`TreeBuf::from_value`]).
    pub fn push_value(&mut self, v: &Value) {
        match v {
            Value::Null => self.push_null(),
            Value::Bool(b) => self.push_bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.push_int(i),
                None => self.push_float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => self.push_string(s),
            Value::Array(items) => {
                let list = self.begin_list();
                for item in items {
                    self.push_value(item);
                }
                self.end(list);
            }
            Value::Object(members) => {
                // In byte order of the names, whatever order the map keeps.
                let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
                sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let set = self.begin_set(sorted.len(), 0);
                for (k, (name, value)) in sorted.into_iter().enumerate() {
                    self.key(set, k, name);
                    self.push_value(value);
                }
                self.end(set);
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
