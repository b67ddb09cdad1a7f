//! OpenSSH's wildcard patterns (`match.c`): `*` and `?`, comma-separated
//! lists, `!` negation. Written here because the semantics must be
//! OpenSSH's to the letter (a negated match vetoes the whole list), which
//! no general glob crate gives.

/// Does `s` match the wildcard `pattern` (`*` any run, `?` one character)?
/// Works on bytes, as OpenSSH does; iterative, so no pattern can make it
/// recurse deeply.
pub fn match_pattern(s: &[u8], pattern: &[u8]) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < pattern.len()
            && (pattern[pi] == b'?' || pattern[pi] == s[si])
            && pattern[pi] != b'*'
        {
            si += 1;
            pi += 1;
        } else if pi < pattern.len() && pattern[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < pattern.len() && pattern[pi] == b'*' {
        pi += 1;
    }
    pi == pattern.len()
}

/// How a string fares against a pattern list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMatch {
    /// A positive pattern matched and no negated one did.
    Yes,
    /// Nothing matched.
    No,
    /// A negated pattern matched: this overrides every positive match.
    Negated,
}

/// `match_pattern_list`: `s` against the comma-separated `list`; with
/// `lower`, the patterns are compared lower-cased (hostnames).
pub fn match_list(s: &str, list: &str, lower: bool) -> ListMatch {
    let mut got = ListMatch::No;
    for raw in list.split(',') {
        let (negated, pat) = match raw.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, raw),
        };
        let pat = if lower {
            pat.to_ascii_lowercase()
        } else {
            pat.to_string()
        };
        if match_pattern(s.as_bytes(), pat.as_bytes()) {
            if negated {
                return ListMatch::Negated;
            }
            got = ListMatch::Yes;
        }
    }
    got
}

/// `match_hostname`: the host lower-cased against a pattern list.
pub fn match_hostname(host: &str, list: &str) -> ListMatch {
    match_list(&host.to_ascii_lowercase(), list, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(match_pattern(b"www.example.com", b"*.example.com"));
        assert!(match_pattern(b"a", b"?"));
        assert!(!match_pattern(b"ab", b"?"));
        assert!(match_pattern(b"", b"*"));
        assert!(match_pattern(b"abcabd", b"*ab?"));
        assert!(!match_pattern(b"x.example.org", b"*.example.com"));
        assert!(match_pattern(&b"a".repeat(10_000), &b"*a".repeat(500)));
    }

    #[test]
    fn negation_vetoes() {
        assert_eq!(
            match_hostname("WWW.example.com", "*.example.com,!bad.example.com"),
            ListMatch::Yes
        );
        assert_eq!(
            match_hostname("bad.example.com", "*.example.com,!bad.example.com"),
            ListMatch::Negated
        );
        assert_eq!(
            match_hostname("bad.example.com", "!bad.example.com"),
            ListMatch::Negated
        );
        assert_eq!(match_hostname("x", "!bad"), ListMatch::No);
    }
}
