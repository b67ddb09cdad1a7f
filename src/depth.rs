//! Nesting depth of JSON text, measured without recursion.
//!
//! Converting, validating and dropping a value recurse once per level, so
//! nothing nested deeper than [`MAX_DEPTH`] is accepted: the shim stops
//! there while it writes the value tree (a type error at the call), the
//! core's check of the tree refuses it ([`crate::tree::Tree::new`]), and
//! JSON arguments (the fuzz targets' way in) are measured here before
//! they are parsed: a clear error instead of a stack overflow inside the
//! user's Nix.

/// The deepest nesting a builtin accepts. Deployment data is a few
/// levels deep; this leaves room for any real value.
pub const MAX_DEPTH: usize = 1000;

/// The deepest nesting of arrays and objects in `json` (0 for a scalar).
/// Brackets inside strings are not counted.
pub fn depth(json: &str) -> usize {
    let (mut cur, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                cur += 1;
                max = max.max(cur);
            }
            b']' | b'}' => cur = cur.saturating_sub(1),
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings() {
        assert_eq!(depth("1"), 0);
        assert_eq!(depth(r#"[{"a":[1]},[]]"#), 3);
        assert_eq!(depth(r#"["[[[[", "\"[[", {"k]": "}"}]"#), 2);
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        assert_eq!(depth(&deep), 5000);
    }
}
