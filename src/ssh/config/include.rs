//! `Include` as OpenSSH 9.2 does it (`readconf.c`, glob(3)): relative
//! paths from `~/.ssh`, wildcards in any component, files read in sorted
//! order, none found is not an error; and `~` in paths.
use super::{err, Pass, Resolver};
use crate::error::Result;
use crate::host::FileType;
use crate::ssh::pattern::match_pattern;

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
                    let p = format!("{base}/{part}");
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
                    if match_pattern(entry.as_bytes(), part.as_bytes())
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
