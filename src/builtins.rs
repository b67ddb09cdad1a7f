//! The table of `builtins.jen.*` functions, one [`Builtin`] per entry, from
//! the capability modules. The plugin registers exactly this table; the
//! CLI dispatches through it; nothing else decides what a builtin is.

use crate::builtin::Builtin;

/// Every builtin, in the order `builtins.jen` lists them.
pub fn all() -> &'static [Builtin] {
    BUILTINS
}

/// The builtin called `name`.
pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

static BUILTINS: &[Builtin] = &[
    crate::diag::ECHO,
    crate::diag::TO_JSON_PRETTY,
    crate::model::CHECK,
    crate::model::CHECK_WITH,
    crate::model::VALIDATE,
    crate::model::VALIDATE_NETWORK,
    crate::model::CHECK_NETWORK,
    crate::state::PARSE_STORE_PATH,
    crate::state::CHECK_STATE_PATHS,
    crate::state::CHECK_STATIC_TREE,
    crate::ssh::RESOLVE_SSH_CONFIG,
    crate::ssh::KNOWN_HOST_KEYS,
    crate::ssh::SSH_TARGETS,
    crate::ssh::PROBE_SSH,
    // Last, so that the fuzz seeds' builtin numbers stay as they were.
    crate::state::STATE_PATH_VIOLATIONS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_docs_present() {
        let mut names: Vec<_> = all().iter().map(|b| b.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all().len());
        for b in all() {
            assert!(b.doc.contains("```nix"), "{}: doc has no example", b.name);
            for f in b.files {
                let arg = f.split('.').next().unwrap();
                assert!(
                    b.args.contains(&arg),
                    "{}: file argument {f} names no argument",
                    b.name
                );
            }
        }
    }
}
