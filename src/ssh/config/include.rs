//! `Include` as OpenSSH 9.2 does it (`readconf.c`, its glob(3)): relative
//! paths from `~/.ssh`, wildcards in any component, files read in sorted
//! order, none found is not an error; and `~` in paths.
use super::{err, Pass, Resolver};
use crate::error::Result;
use crate::host::FileType;

impl Resolver<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn include(
        &mut self,
        args: &[String],
        name: &str,
        line: usize,
        pass: Pass,
        host: &str,
        never: bool,
        depth: usize,
    ) -> Result<()> {
        for a in args {
            let path = if a.starts_with('/') || a.starts_with('~') {
                self.tilde(a, name, line)?
            } else {
                let dir = self.req.ssh_dir.ok_or_else(|| {
                    err(name, line, format!("Include {a}: sshDir is needed to resolve relative Includes when config is a string"))
                })?;
                format!("{}/{a}", dir.trim_end_matches('/'))
            };
            for file in self.glob(&path)? {
                let parsed = self.cache.parsed(&file, || self.host_fs.read_file(&file))?;
                self.read(&parsed, &file, pass, host, never, depth + 1)?;
            }
        }
        Ok(())
    }

    /// The files `pattern` names (wildcards in any component; a leading `.`
    /// only matched explicitly), sorted; none is not an error. Expanded
    /// once per cache.
    pub(super) fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        if let Some(found) = self.cache.globs.borrow().get(pattern) {
            return Ok(found.clone());
        }
        let found = self.expand_glob(pattern)?;
        self.cache
            .globs
            .borrow_mut()
            .insert(pattern.to_string(), found.clone());
        Ok(found)
    }

    pub(super) fn expand_glob(&self, pattern: &str) -> Result<Vec<String>> {
        let mut found = vec![String::new()];
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let mut next = Vec::new();
            for base in &found {
                let wild = part.contains(['*', '?', '[']);
                if !wild {
                    let p = format!("{base}/{}", unescape(part));
                    match self.host_fs.file_type(&p)? {
                        Some(FileType::Directory) if !last => next.push(p),
                        Some(_) if last => next.push(p),
                        Some(FileType::Symlink) => next.push(p),
                        _ => {}
                    }
                    continue;
                }
                if self
                    .host_fs
                    .file_type(if base.is_empty() { "/" } else { base })?
                    != Some(FileType::Directory)
                {
                    continue;
                }
                for (entry, ft) in
                    self.host_fs
                        .read_dir(if base.is_empty() { "/" } else { base })?
                {
                    if entry.starts_with('.') && !part.starts_with('.') {
                        continue;
                    }
                    if glob_match(entry.as_bytes(), part.as_bytes())
                        && (last || ft != FileType::Regular)
                    {
                        next.push(format!("{base}/{entry}"));
                    }
                }
            }
            found = next;
        }
        found.sort();
        Ok(found.into_iter().filter(|f| !f.is_empty()).collect())
    }

    pub(super) fn tilde(&self, p: &str, name: &str, line: usize) -> Result<String> {
        if p == "~" {
            return Ok(self.req.local.home.clone());
        }
        if let Some(rest) = p.strip_prefix("~/") {
            return Ok(format!(
                "{}/{rest}",
                self.req.local.home.trim_end_matches('/')
            ));
        }
        if let Some(rest) = p.strip_prefix('~') {
            let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
            if user == self.req.local.user {
                return Ok(format!(
                    "{}/{tail}",
                    self.req.local.home.trim_end_matches('/')
                ));
            }
            return Err(err(
                name,
                line,
                format!("~{user}: other users' home directories are unknown in evaluation"),
            ));
        }
        Ok(p.to_string())
    }
}

/// A path component without wildcards, as glob(3) reads it: `\\x` is `x`.
fn unescape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut chars = part.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// One bracket expression at the start of `p` (just after `[`), as
/// OpenSSH's glob (openbsd-compat/glob.c, which Debian's ssh uses) reads
/// it: `!` negates (`^` does not), a `]` first is literal, `a-z`
/// ranges, `\\` escapes, `[:class:]` names. `None` when it is not closed
/// (the `[` is then an ordinary character); else whether `c` matches and
/// the length of the expression after the `[`.
fn bracket(c: u8, p: &[u8]) -> Option<(bool, usize)> {
    let mut i = 0;
    let negate = p.first() == Some(&b'!');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if ch == b'[' && p.get(i + 1) == Some(&b':') {
            let end = p[i + 2..].windows(2).position(|w| w == b":]")?;
            let class = &p[i + 2..i + 2 + end];
            matched |= match class {
                b"alpha" => c.is_ascii_alphabetic(),
                b"digit" => c.is_ascii_digit(),
                b"alnum" => c.is_ascii_alphanumeric(),
                b"upper" => c.is_ascii_uppercase(),
                b"lower" => c.is_ascii_lowercase(),
                b"space" => c.is_ascii_whitespace() || c == 0x0b,
                b"punct" => c.is_ascii_punctuation(),
                b"xdigit" => c.is_ascii_hexdigit(),
                b"blank" => c == b' ' || c == b'\t',
                b"cntrl" => c.is_ascii_control(),
                b"print" => (0x20..0x7f).contains(&c),
                b"graph" => c.is_ascii_graphic(),
                _ => false,
            };
            i += end + 4;
            continue;
        }
        let lo = if ch == b'\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|n| *n != b']') {
            let mut hi = p[i + 1];
            i += 2;
            if hi == b'\\' {
                hi = *p.get(i)?;
                i += 1;
            }
            matched |= lo <= c && c <= hi;
        } else {
            matched |= c == lo;
        }
    }
}

/// glob(3)'s match of one directory entry against one pattern component
/// (`*`, `?`, `[...]`, `\\` escapes). A leading `.` of the name is
/// matched only by a literal `.` (the caller skips such names unless the
/// pattern starts with one). Written here because the rules are OpenSSH's
/// bundled BSD glob's (`[!...]` but not `[^...]`, `[:class:]`, escapes),
/// which no glob crate follows exactly; OpenSSH's `*`/`?` matcher for
/// `Host` patterns is a different function (`ssh::pattern`).
pub fn glob_match(name: &[u8], pat: &[u8]) -> bool {
    let (mut n, mut p) = (0usize, 0usize);
    // Backtracking point for the last `*`: (pattern index after it, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p + 1, n));
                    p += 1;
                    continue;
                }
                b'?' if n < name.len() => {
                    n += 1;
                    p += 1;
                    continue;
                }
                b'[' if n < name.len() => {
                    if let Some((ok, len)) = bracket(name[n], &pat[p + 1..]) {
                        if ok {
                            n += 1;
                            p += 1 + len;
                            continue;
                        }
                    } else if name[n] == b'[' {
                        n += 1;
                        p += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && n < name.len() && name[n] == pat[p + 1] => {
                    n += 1;
                    p += 2;
                    continue;
                }
                c if c != b'?' && c != b'[' && c != b'\\' && n < name.len() && name[n] == c => {
                    n += 1;
                    p += 1;
                    continue;
                }
                _ => {}
            }
        } else if n == name.len() {
            return true;
        }
        match star {
            Some((sp, sn)) if sn < name.len() => {
                star = Some((sp, sn + 1));
                p = sp;
                n = sn + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_glibc() {
        let m = |n: &str, p: &str| glob_match(n.as_bytes(), p.as_bytes());
        assert!(m("a.conf", "*.conf"));
        assert!(m("a.conf", "?.conf"));
        assert!(!m("ab.conf", "?.conf"));
        assert!(m("b.conf", "[abc].conf"));
        assert!(!m("d.conf", "[abc].conf"));
        assert!(m("d.conf", "[!abc].conf"));
        // `^` is an ordinary character in OpenSSH's glob.
        assert!(m("^.conf", "[^abc].conf"));
        assert!(!m("d.conf", "[^abc].conf"));
        assert!(m("5.conf", "[0-9].conf"));
        assert!(m("x.conf", "[[:alpha:]].conf"));
        assert!(m("].conf", "[]].conf"));
        assert!(m("-.conf", "[a-].conf"));
        assert!(m("[x", "[x"));
        assert!(m("*", "\\*"));
        assert!(!m("a", "\\*"));
        assert!(m("abcabc", "*b*c"));
        assert!(!m("abcab", "*b*c"));
        assert_eq!(unescape("a\\*b"), "a*b");
    }
}
