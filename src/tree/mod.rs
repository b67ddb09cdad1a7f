//! A value as the shim hands it to the core: one flat array of nodes and
//! one text holding every string, written by the shim while it forces the
//! Nix value (`cpp/tree-writer.cc`) and read here in place.
//!
//! This is the crossing between Nix and the core: no JSON text is written,
//! lexed or unescaped, no per-string allocation is made, and the data
//! model is checked on the tree itself ([`json`], the `jsonschema` crate's
//! extension point for instance representations). At 10,000 machines the
//! JSON text and its `serde_json::Value` cost about half of
//! `validateNetwork` beyond forcing the network (bench/README.md, round
//! 10). Builtins that want a `serde_json::Value` convert their arguments
//! with [`Node::to_value`]; the CLI and the tests build trees from values
//! with [`TreeBuf`].
//!
//! # Layout
//!
//! Node `i` is the three words `words[3i..3i+3]`:
//!
//! | kind | word 0 | word 1 | word 2 |
//! |---|---|---|---|
//! | null, bool, int, float | kind | `i + 1` | 0/1, `i64` bits, `f64` bits |
//! | string | kind, byte length << 32 | `i + 1` | offset in the text |
//! | list | kind, element count << 32 | index after its last descendant | 0 |
//! | set | kind, attribute count << 32 | index after its last descendant | the shim's handle |
//! | key | kind, byte length << 32 | index of its value | offset in the text |
//!
//! A list's elements follow it, each with its descendants. A set with `n`
//! attributes is followed by its `n` key nodes, in strictly ascending byte
//! order of the names (what Nix's `lexicographicOrder` gives), then by the
//! values in the same order. Keys in a block of their own make a lookup a
//! binary search and an iteration a walk over `n` adjacent nodes. Floats
//! are finite (the shim writes a non-finite float as null, as
//! `builtins.toJSON` does). The set's third word is the shim's own (the
//! Nix value it came from); the core never reads it.
//!
//! [`Tree::new`] checks all of this once, in one pass without recursion,
//! so that every accessor can rely on it; a malformed tree is an internal
//! error, never a crash.

mod build;
pub mod json;

pub use build::{of_value, TreeBuf};

use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Int,
    Float,
    String,
    List,
    Set,
}

/// Word 0's kind codes, shared with `cpp/tree-writer.hh`.
pub(crate) mod code {
    pub const NULL: u64 = 0;
    pub const BOOL: u64 = 1;
    pub const INT: u64 = 2;
    pub const FLOAT: u64 = 3;
    pub const STRING: u64 = 4;
    pub const LIST: u64 = 5;
    pub const SET: u64 = 6;
    pub const KEY: u64 = 7;
}

/// A checked tree, borrowing its words and text.
#[derive(Debug, Clone, Copy)]
pub struct Tree<'t> {
    words: &'t [u64],
    text: &'t str,
}

/// One node of a [`Tree`]: a cheap handle (a reference and an index).
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree<'t>,
    i: usize,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// A container being checked by [`Tree::new`].
struct Open {
    /// Index after the container's last descendant, as it claims.
    end: usize,
    /// Children not yet seen.
    left: usize,
    /// For a set, the index of the key of the next value.
    key: Option<usize>,
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::internal(format!("the shim sent a malformed value tree: {what}"))
}

impl<'t> Tree<'t> {
    /// Check `words` and `text` as the layout of the module doc says, and
    /// that nothing is nested deeper than [`crate::depth::MAX_DEPTH`]
    /// (a misuse, as for JSON arguments).
    pub fn new(words: &'t [u64], text: &'t [u8]) -> Result<Tree<'t>> {
        let text = std::str::from_utf8(text).map_err(|e| malformed(format!("text: {e}")))?;
        if words.is_empty() || words.len() % 3 != 0 {
            return Err(malformed(format!("{} words", words.len())));
        }
        let tree = Tree { words, text };
        tree.check()?;
        Ok(tree)
    }

    /// The value at the root.
    pub fn root(&self) -> Node<'_> {
        Node { tree: self, i: 0 }
    }

    fn len(&self) -> usize {
        self.words.len() / 3
    }

    fn code(&self, i: usize) -> u64 {
        self.words[3 * i] & 0xff
    }

    fn count(&self, i: usize) -> usize {
        (self.words[3 * i] >> 32) as usize
    }

    fn link(&self, i: usize) -> usize {
        self.words[3 * i + 1] as usize
    }

    fn payload(&self, i: usize) -> u64 {
        self.words[3 * i + 2]
    }

    /// The text of string or key node `i`, if it lies on character
    /// boundaries inside the text.
    fn str_at(&self, i: usize) -> Option<&'t str> {
        let start = usize::try_from(self.payload(i)).ok()?;
        self.text.get(start..start.checked_add(self.count(i))?)
    }

    fn check(&self) -> Result<()> {
        let n = self.len();
        let mut open: Vec<Open> = Vec::new();
        let mut p = 0;
        loop {
            if p >= n {
                return Err(malformed(format!("node {p} is missing")));
            }
            if let Some(Open { key: Some(k), .. }) = open.last() {
                if self.link(*k) != p {
                    return Err(malformed(format!("key {k} does not lead to node {p}")));
                }
            }
            let count = self.count(p);
            // One encoding for one value (the digest hashes what it reads):
            // no stray bits beside the kind, no count on a number, a
            // Boolean or null, no payload on null or a list.
            if self.words[3 * p] & 0xffff_ff00 != 0 {
                return Err(malformed(format!("node {p} has reserved bits set")));
            }
            match self.code(p) {
                code::NULL | code::BOOL | code::INT | code::FLOAT if count != 0 => {
                    return Err(malformed(format!("scalar {p} has a count")));
                }
                code::NULL | code::LIST if self.payload(p) != 0 => {
                    return Err(malformed(format!("node {p} has a payload")));
                }
                _ => {}
            }
            match self.code(p) {
                code::NULL | code::BOOL | code::INT | code::FLOAT | code::STRING => {
                    if self.link(p) != p + 1 {
                        return Err(malformed(format!("scalar {p} has descendants")));
                    }
                    match self.code(p) {
                        code::BOOL if self.payload(p) > 1 => {
                            return Err(malformed(format!("Boolean {p}")))
                        }
                        code::FLOAT if !f64::from_bits(self.payload(p)).is_finite() => {
                            return Err(malformed(format!("float {p} is not finite")))
                        }
                        code::STRING if self.str_at(p).is_none() => {
                            return Err(malformed(format!("string {p} is outside the text")))
                        }
                        _ => {}
                    }
                    p += 1;
                }
                code::LIST | code::SET => {
                    let end = self.link(p);
                    let is_set = self.code(p) == code::SET;
                    let first = if is_set { p + 1 + count } else { p + 1 };
                    if end < first || end > n {
                        return Err(malformed(format!("container {p} ends at {end}")));
                    }
                    if is_set {
                        let mut last: Option<&str> = None;
                        for k in p + 1..first {
                            let name = (self.code(k) == code::KEY
                                && self.words[3 * k] & 0xffff_ff00 == 0)
                                .then(|| self.str_at(k))
                                .flatten()
                                .ok_or_else(|| malformed(format!("node {k} is not a key")))?;
                            if last.is_some_and(|l| l >= name) {
                                return Err(malformed(format!("key {k} is out of order")));
                            }
                            last = Some(name);
                        }
                    }
                    if count == 0 {
                        if end != first {
                            return Err(malformed(format!("empty container {p} ends at {end}")));
                        }
                        p = first;
                    } else {
                        if open.len() >= crate::depth::MAX_DEPTH {
                            return Err(Error::misuse(format!(
                                "a value is nested more than {} levels deep",
                                crate::depth::MAX_DEPTH
                            )));
                        }
                        open.push(Open {
                            end,
                            left: count,
                            key: is_set.then_some(p + 1),
                        });
                        p = first;
                        continue;
                    }
                }
                other => return Err(malformed(format!("node {p} has kind {other}"))),
            }
            // A node is done: close every container it completes.
            loop {
                let Some(top) = open.last_mut() else {
                    return if p == n {
                        Ok(())
                    } else {
                        Err(malformed(format!("{} nodes after the root", n - p)))
                    };
                };
                top.left -= 1;
                if let Some(k) = &mut top.key {
                    *k += 1;
                }
                if top.left > 0 {
                    break;
                }
                if p != top.end {
                    return Err(malformed(format!(
                        "a container ends at {p}, not {}",
                        top.end
                    )));
                }
                open.pop();
            }
        }
    }
}

impl<'t> Node<'t> {
    /// What this node is.
    pub fn kind(self) -> Kind {
        match self.tree.code(self.i) {
            code::NULL => Kind::Null,
            code::BOOL => Kind::Bool,
            code::INT => Kind::Int,
            code::FLOAT => Kind::Float,
            code::STRING => Kind::String,
            code::LIST => Kind::List,
            _ => Kind::Set,
        }
    }

    /// Where this node is in its tree (distinct for distinct nodes).
    pub fn index(self) -> usize {
        self.i
    }

    /// The tree this node is in.
    pub fn tree(self) -> &'t Tree<'t> {
        self.tree
    }

    fn node(self, i: usize) -> Node<'t> {
        Node { tree: self.tree, i }
    }

    pub fn is_null(self) -> bool {
        self.kind() == Kind::Null
    }

    pub fn as_bool(self) -> Option<bool> {
        (self.kind() == Kind::Bool).then(|| self.tree.payload(self.i) == 1)
    }

    pub fn as_i64(self) -> Option<i64> {
        (self.kind() == Kind::Int).then(|| self.tree.payload(self.i) as i64)
    }

    /// A float as it is; an integer is not a float here.
    pub fn as_float(self) -> Option<f64> {
        (self.kind() == Kind::Float).then(|| f64::from_bits(self.tree.payload(self.i)))
    }

    pub fn as_str(self) -> Option<&'t str> {
        (self.kind() == Kind::String)
            .then(|| self.tree.str_at(self.i))
            .flatten()
    }

    pub fn is_set(self) -> bool {
        self.kind() == Kind::Set
    }

    /// The number of attributes of a set or elements of a list (0 for
    /// anything else).
    pub fn len(self) -> usize {
        match self.kind() {
            Kind::Set | Kind::List => self.tree.count(self.i),
            _ => 0,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// A set's third word (0 for anything else): the shim's handle in the
    /// trees it writes, an anchor in additions (`model::defaults`).
    pub fn mark(self) -> u64 {
        if self.is_set() {
            self.tree.payload(self.i)
        } else {
            0
        }
    }

    /// The attribute `name` of a set (a binary search over its keys).
    pub fn get(self, name: &str) -> Option<Node<'t>> {
        if !self.is_set() {
            return None;
        }
        let (mut lo, mut hi) = (0, self.tree.count(self.i));
        while lo < hi {
            let mid = (lo + hi) / 2;
            let k = self.i + 1 + mid;
            match self.tree.str_at(k).unwrap_or_default().cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.node(self.tree.link(k))),
            }
        }
        None
    }

    /// The value at `path` (attribute names, outermost first) under this
    /// one.
    pub fn at(self, path: &[&str]) -> Option<Node<'t>> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The attributes of a set in ascending order of their names (none
    /// for anything else).
    pub fn members(self) -> Members<'t> {
        let keys = if self.is_set() {
            self.i + 1..self.i + 1 + self.tree.count(self.i)
        } else {
            0..0
        };
        Members { node: self, keys }
    }

    /// The elements of a list (none for anything else).
    pub fn elements(self) -> Elements<'t> {
        let (next, left) = if self.kind() == Kind::List {
            (self.i + 1, self.tree.count(self.i))
        } else {
            (0, 0)
        };
        Elements {
            node: self,
            next,
            left,
        }
    }

    /// The nodes of this value and its descendants, in tree order.
    pub(crate) fn span(self) -> std::ops::Range<usize> {
        self.i..self.tree.link(self.i)
    }

    /// Feed this value's content to `h`: every node of its subtree in
    /// tree order, as its kind, its count, and its scalar or its bytes.
    /// Equal values give equal input, wherever they sit in their trees
    /// (offsets and links are left out); different ones differ, since the
    /// counts fix the shape (a pre-order walk with counts is a unique
    /// encoding) and strings are length-prefixed.
    pub fn hash_content(self, h: &mut impl std::hash::Hasher) {
        let tree = self.tree;
        for i in self.span() {
            let code = tree.code(i);
            h.write_u64(code | (tree.count(i) as u64) << 32);
            match code {
                code::STRING | code::KEY => h.write(tree.str_at(i).unwrap_or_default().as_bytes()),
                code::BOOL | code::INT | code::FLOAT => h.write_u64(tree.payload(i)),
                _ => {}
            }
        }
    }

    /// This value as a `serde_json::Value`, for code that wants one (and
    /// for error messages).
    pub fn to_value(self) -> Value {
        match self.kind() {
            Kind::Null => Value::Null,
            Kind::Bool => Value::Bool(self.as_bool().unwrap_or_default()),
            Kind::Int => Value::from(self.as_i64().unwrap_or_default()),
            Kind::Float => self
                .as_float()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number),
            Kind::String => Value::String(self.as_str().unwrap_or_default().to_string()),
            Kind::List => Value::Array(self.elements().map(Node::to_value).collect()),
            Kind::Set => Value::Object(
                self.members()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// See [`Node::members`].
pub struct Members<'t> {
    node: Node<'t>,
    keys: std::ops::Range<usize>,
}

impl<'t> Iterator for Members<'t> {
    type Item = (&'t str, Node<'t>);

    fn next(&mut self) -> Option<Self::Item> {
        let k = self.keys.next()?;
        let tree = self.node.tree;
        Some((
            tree.str_at(k).unwrap_or_default(),
            self.node.node(tree.link(k)),
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.keys.size_hint()
    }
}

impl ExactSizeIterator for Members<'_> {}

/// See [`Node::elements`].
pub struct Elements<'t> {
    node: Node<'t>,
    next: usize,
    left: usize,
}

impl<'t> Iterator for Elements<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let e = self.node.node(self.next);
        self.next = e.span().end;
        Some(e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Elements<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "b": [1, 2.5, "x", null, true, [], {}],
            "a": {"z": {"deep": [[]]}, "y": "é"},
            "": -3,
        })
    }

    #[test]
    fn a_value_round_trips_and_reads_in_place() {
        let v = sample();
        let buf = TreeBuf::from_value(&v);
        let tree = buf.tree().unwrap();
        let root = tree.root();
        assert_eq!(root.to_value(), v);
        assert_eq!(root.len(), 3);
        let names: Vec<_> = root.members().map(|(k, _)| k).collect();
        assert_eq!(names, ["", "a", "b"]);
        assert_eq!(root.get("").and_then(Node::as_i64), Some(-3));
        assert_eq!(root.get("a").unwrap().get("y").unwrap().as_str(), Some("é"));
        assert!(root.get("c").is_none() && root.get("a").unwrap().get("x").is_none());
        let b: Vec<_> = root.get("b").unwrap().elements().map(Node::kind).collect();
        assert_eq!(
            b,
            [
                Kind::Int,
                Kind::Float,
                Kind::String,
                Kind::Null,
                Kind::Bool,
                Kind::List,
                Kind::Set
            ]
        );
        assert_eq!(
            root.get("b").unwrap().elements().nth(1).unwrap().as_float(),
            Some(2.5)
        );
        assert!(root.get("b").unwrap().get("x").is_none());
        assert_eq!(root.get("a").unwrap().elements().count(), 0);
    }

    #[test]
    fn malformed_trees_are_internal_errors() {
        let buf = TreeBuf::from_value(&sample());
        let (words, text) = buf.parts();
        assert!(Tree::new(words, text).is_ok());
        let mut cases: Vec<(Vec<u64>, Vec<u8>)> = Vec::new();
        // Truncated, an extra node, a bad kind, a link too far, an
        // unsorted key, a string outside the text, text that is not UTF-8.
        cases.push((words[..words.len() - 3].to_vec(), text.to_vec()));
        let mut w = words.to_vec();
        w.extend([code::NULL, words.len() as u64 / 3 + 1, 0]);
        cases.push((w, text.to_vec()));
        let mut w = words.to_vec();
        w[0] = (w[0] & !0xff) | 9;
        cases.push((w, text.to_vec()));
        let mut w = words.to_vec();
        w[1] += 1;
        cases.push((w, text.to_vec()));
        let mut w = words.to_vec();
        w.swap(3 + 2, 6 + 2); // the first two keys' texts
        w.swap(3, 6);
        cases.push((w, text.to_vec()));
        let mut w = words.to_vec();
        let s = (0..w.len() / 3)
            .find(|&i| w[3 * i] & 0xff == code::STRING)
            .unwrap();
        w[3 * s + 2] = text.len() as u64;
        cases.push((w, text.to_vec()));
        cases.push((words.to_vec(), vec![0xff; text.len()]));
        // A count on a number, stray bits beside a kind.
        let mut w = words.to_vec();
        let int = (0..w.len() / 3)
            .find(|&i| w[3 * i] & 0xff == code::INT)
            .unwrap();
        w[3 * int] |= 1 << 32;
        cases.push((w, text.to_vec()));
        let mut w = words.to_vec();
        w[3 * int] |= 1 << 8;
        cases.push((w, text.to_vec()));
        for (i, (w, t)) in cases.iter().enumerate() {
            let e = Tree::new(w, t).unwrap_err();
            assert_eq!(
                e.kind,
                crate::ErrorKind::Internal,
                "case {i}: {}",
                e.message
            );
        }
    }

    #[test]
    fn nesting_beyond_the_limit_is_misuse() {
        let mut v = json!(1);
        for _ in 0..crate::depth::MAX_DEPTH {
            v = json!([v]);
        }
        let ok = TreeBuf::from_value(&v);
        assert!(ok.tree().is_ok());
        let deeper = TreeBuf::from_value(&json!([v]));
        assert_eq!(deeper.tree().unwrap_err().kind, crate::ErrorKind::Misuse);
    }
}
