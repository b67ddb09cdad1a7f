//! Networks already found valid in this process, so that one evaluation
//! checks a network once: `lib.plan` validates it (`validateNetwork`),
//! then hands the same network to `sshTargets`, which must not trust its
//! caller and would check it again.
//!
//! A network is remembered by a 64-bit digest of its content (a randomly
//! keyed hash of every node of its tree: kinds, counts, scalars, strings
//! and keys, in tree order), never by identity: the same content is valid or
//! not whatever asks, since the data model and its rules are fixed in the
//! binary. The key is drawn per process, so no input can be made to
//! collide on purpose, and with at most [`KEPT`] digests remembered a
//! chance collision is about one in 2^61. Not a cryptographic hash on
//! purpose: it runs beside the schema check and must cost less than it.

use crate::tree::Node;
use ahash::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, OnceLock};

/// How many valid networks are remembered.
const KEPT: usize = 8;

type Digest = u64;

fn key() -> &'static RandomState {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new)
}

fn seen() -> &'static Mutex<Vec<Digest>> {
    static SEEN: Mutex<Vec<Digest>> = Mutex::new(Vec::new());
    &SEEN
}

/// The digest of `v`'s content ([`Node::hash_content`]).
pub fn digest(v: Node<'_>) -> Digest {
    let mut h = key().build_hasher();
    v.hash_content(&mut h);
    h.finish()
}

/// Remember that the network with this digest is valid.
pub fn remember(d: Digest) {
    let mut s = seen().lock().unwrap_or_else(|e| e.into_inner());
    if !s.contains(&d) {
        if s.len() == KEPT {
            s.remove(0);
        }
        s.push(d);
    }
}

/// Was the network with this digest found valid before?
pub fn known(d: Digest) -> bool {
    seen()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::of_value;
    use serde_json::{json, Value};

    fn digest(v: &Value) -> Digest {
        of_value(v, super::digest)
    }

    #[test]
    fn the_digest_follows_content_and_structure() {
        let a = json!({"machines": {"a": {"x": [1, "b"]}}, "name": "n"});
        // The same content, built in another order: the same digest.
        let b: Value =
            serde_json::from_str(r#"{"name":"n","machines":{"a":{"x":[1,"b"]}}}"#).unwrap();
        assert_eq!(digest(&a), digest(&b));
        for other in [
            json!({"machines": {"a": {"x": [1, "c"]}}, "name": "n"}),
            json!({"machines": {"a": {"x": ["1", "b"]}}, "name": "n"}),
            json!({"machines": {"a": {"x": [[1], "b"]}}, "name": "n"}),
            json!({"machines": {"a": {"y": [1, "b"]}}, "name": "n"}),
            json!({"machines": {"a": {"x": [1, "b"]}}, "name": "n", "tld": null}),
            json!({"machines": {"ab": {"x": [1, "b"]}}, "name": "n"}),
        ] {
            assert_ne!(digest(&a), digest(&other), "{other}");
        }
    }

    #[test]
    fn only_what_was_remembered_is_known() {
        let a = digest(&json!({"only_what_was_remembered": 1}));
        let b = digest(&json!({"only_what_was_remembered": 2}));
        assert!(!known(a));
        remember(a);
        assert!(known(a) && !known(b));
    }
}
