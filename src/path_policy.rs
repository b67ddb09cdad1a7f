//! The one policy for every path and user name that jen writes into a
//! systemd unit, a shell command or a command run on a remote host as root:
//! `checkStatePaths` (and through it `lib.plan`, `lib.mountUnit` and
//! `nixosModules.unionMounts`), the provider's `state_dirs`, and the
//! quoting of everything that reaches a shell.
//!
//! A *state path* (a writable branch, a mount point, a directory the
//! provider creates) must pass, in this order, each rule named here as it
//! is named in the error:
//!
//! 1. `normalised`: absolute, no `.` or `..` component, no `//`, no
//!    trailing `/`. Nothing is canonicalised for the user: a path that is
//!    not written canonically is refused, since what a tool would make of
//!    it (`/var/a/..` is `/var` to the kernel) is what the check must see.
//! 2. `characters`: every component made of ASCII letters, digits and
//!    `. _ - + @` only, not starting with `-`. This keeps out spaces,
//!    quotes, `$`, backticks, `;`, `%` (a systemd specifier), `:` and `=`
//!    (unionfs's branch syntax `dir=rw:dir=ro`), `,` (mount options),
//!    control characters, NUL, and every non-ASCII character (Unicode
//!    look-alikes of `/` or `.`). Everything is quoted anyway
//!    ([`shell_quote`]); the character set makes a quoting mistake harmless.
//! 3. `outside-store`: not the store directory or inside it.
//! 4. `system-tree`: not in a tree the system owns, by prefix: `/nix`,
//!    `/etc`, `/usr`, `/boot`, `/proc`, `/sys`, `/dev`, `/run`, `/bin`,
//!    `/sbin`, `/lib`, `/lib64`, `/root`, `/tmp`, and under `/var`:
//!    `/var/lib/nixos`, `/var/lib/systemd`, `/var/empty`, `/var/run`,
//!    `/var/lock`, `/var/tmp`; nor one of `/var/lib`, `/var/log`,
//!    `/var/cache`, `/var/spool`, `/var/db` itself (a directory below them,
//!    `/var/lib/<site>`, is fine).
//! 5. `allowed-tree`: strictly below one of [`ALLOWED_TREES`]: `/var`,
//!    `/srv`, `/www`, `/home`, `/persist`, `/data`, `/mnt`. This list is
//!    the whole of what jen will create, own, mount over or back up;
//!    anything else is refused, whatever it is.
//!
//! A *static* branch (read-only store content) must be a store path (see
//! [`crate::state::store_path`]) written canonically, without `=` or `:`
//! (unionfs-fuse's branch syntax), `,` or `\` (overlayfs's mount options),
//! and without a sub-path that leaves its store object.
//!
//! *User names* (owners) follow NixOS's rule ([`is_user_name`]): lower-case
//! letters, digits, `_` and `-`, starting with a letter or `_`, at most 31
//! characters, optionally ending in `$`.

use std::fmt;

/// The trees under which state paths may lie (never the tree itself).
pub const ALLOWED_TREES: &[&str] = &["/var", "/srv", "/www", "/home", "/persist", "/data", "/mnt"];

/// Trees the system owns: nothing at or under these.
pub const SYSTEM_TREES: &[&str] = &[
    "/nix",
    "/etc",
    "/usr",
    "/boot",
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/root",
    "/tmp",
    "/var/lib/nixos",
    "/var/lib/systemd",
    "/var/empty",
    "/var/run",
    "/var/lock",
    "/var/tmp",
];

/// System directories that are refused themselves, though a directory
/// below them is fine (`/var/lib/<service>`).
pub const SYSTEM_DIRS: &[&str] = &[
    "/var/lib",
    "/var/log",
    "/var/cache",
    "/var/spool",
    "/var/db",
];

/// Why a path was refused: the rule's name and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `normalised`, `characters`, `outside-store`, `system-tree`,
    /// `allowed-tree` (or `store-path` for a static branch).
    pub rule: &'static str,
    /// What is wrong, quoting the path (escaped, so that a newline or a
    /// control character shows as such).
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (rule {})", self.message, self.rule)
    }
}

/// `s` quoted for messages: `"..."` with `"`, `\` and every control or
/// non-ASCII character escaped, so that what is shown is what was given.
pub fn shown(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Is `p` an absolute, normalised path (`/` included)?
pub fn is_normalised(p: &str) -> bool {
    p == "/"
        || (p.starts_with('/')
            && !p.ends_with('/')
            && p[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."))
}

/// Is `inner` strictly inside `outer` (both normalised)?
pub fn is_inside(inner: &str, outer: &str) -> bool {
    inner.len() > outer.len()
        && inner.starts_with(outer)
        && (outer == "/" || inner.as_bytes()[outer.len()] == b'/')
}

/// `p` is `tree` or inside it.
fn at_or_under(p: &str, tree: &str) -> bool {
    p == tree || is_inside(p, tree)
}

/// The suffix that makes a state directory's sibling its work directory.
pub const WORK_DIR_SUFFIX: &str = ".overlay-work";

/// The overlayfs work directory of the state directory `state_dir` when
/// the site names none: its sibling `<stateDir>.overlay-work`
/// (`/var/jekor.com` → `/var/jekor.com.overlay-work`). overlayfs wants
/// it empty, on the same mount as the upper directory and outside it. A
/// sibling is never inside the state directory, and is on its mount
/// unless the state directory is a mount point of its own (the unit
/// checks that at each start; name a `workDir` on that mount then). It
/// passes this policy whenever `state_dir` does: same parent, same
/// characters.
pub fn default_work_dir(state_dir: &str) -> String {
    format!("{state_dir}{WORK_DIR_SUFFIX}")
}

/// Is `c` allowed in a component of a state path (and in a mount's name)?
pub fn is_safe_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')
}

/// Check a state path (a writable branch, a mount point, a directory to
/// create on a target) against every rule of the module, for the store
/// `store_dir`. The first rule that fails is the answer.
pub fn check_state_path(p: &str, store_dir: &str) -> Result<(), Refusal> {
    let refuse = |rule, message: String| Err(Refusal { rule, message });
    let q = shown(p);
    if !is_normalised(p) {
        return refuse(
            "normalised",
            format!("{q} is not an absolute, normalised path (no '.', '..', '//' or trailing '/')"),
        );
    }
    if let Some(c) = p[1..].split('/').find_map(|comp| {
        if comp.starts_with('-') {
            Some('-')
        } else {
            comp.chars().find(|&c| !is_safe_char(c))
        }
    }) {
        let what = if c == '-' {
            "a component starts with '-'".to_string()
        } else {
            format!("it holds {}", shown(&c.to_string()))
        };
        return refuse(
            "characters",
            format!("{q} may hold only ASCII letters, digits and . _ - + @ in each component, not starting with '-'; {what}"),
        );
    }
    if at_or_under(p, store_dir) {
        return refuse(
            "outside-store",
            format!("{q} is in the read-only store {store_dir}"),
        );
    }
    if let Some(t) = SYSTEM_TREES.iter().find(|t| at_or_under(p, t)) {
        return refuse(
            "system-tree",
            format!("{q} is in {t}, which the system owns"),
        );
    }
    if p == "/" || SYSTEM_DIRS.contains(&p) {
        return refuse("system-tree", format!("{q} is a system directory"));
    }
    if !ALLOWED_TREES.iter().any(|t| is_inside(p, t)) {
        return refuse(
            "allowed-tree",
            format!(
                "{q} is not below one of the trees jen may write: {}",
                ALLOWED_TREES.join(" ")
            ),
        );
    }
    Ok(())
}

/// Check a static (read-only) branch: a store path of `store_dir` (in the
/// parse of Nix 2.26, which every supported release accepts for canonical
/// paths), written canonically, without `=` or `:` (unionfs-fuse's branch
/// syntax) or `,` and `\` (overlayfs's option syntax, where `:` also
/// separates lower directories), and without a sub-path that leaves its
/// store object. Returns the parse.
pub fn check_static_path(
    p: &str,
    store_dir: &str,
) -> Result<crate::state::store_path::StorePath, Refusal> {
    let parsed = crate::state::store_path::parse(store_dir, p).map_err(|e| Refusal {
        rule: "store-path",
        message: format!("not a valid store path: {}", e.message),
    })?;
    if !is_normalised(p) {
        return Err(Refusal {
            rule: "normalised",
            message: format!(
                "{} is not written canonically (no '.', '..', '//' or trailing '/')",
                shown(p)
            ),
        });
    }
    if let Some(c) = p.chars().find(|c| matches!(c, '=' | ':' | ',' | '\\')) {
        return Err(Refusal {
            rule: "characters",
            message: format!(
                "{} holds {}, which unionfs-fuse's branches or overlayfs's mount options read as syntax",
                shown(p),
                shown(&c.to_string())
            ),
        });
    }
    Ok(parsed)
}

/// A valid POSIX user name as NixOS accepts it.
pub fn is_user_name(s: &str) -> bool {
    let b = s.strip_suffix('$').unwrap_or(s).as_bytes();
    !b.is_empty()
        && b.len() <= 31
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// An owner: a user name, or `user:group` of two.
pub fn is_owner(s: &str) -> bool {
    match s.split_once(':') {
        Some((u, g)) => is_user_name(u) && is_user_name(g),
        None => is_user_name(s),
    }
}

/// Check a word that jen hands to `ssh` or nixops4-nixos as one argument
/// (a host name, a user, a jump host, a host key alias): non-empty, not
/// starting with `-` (ssh would read an option), and without whitespace,
/// control characters, quotes, `\\` or `$`. `NIX_SSHOPTS` and
/// nixops4-nixos's `ssh.opts` split on whitespace, so a word with a space
/// would become two arguments; none of these words can hold one in
/// OpenSSH's own syntax either. `what` names the word in the error.
pub fn check_ssh_word(what: &str, s: &str) -> Result<(), String> {
    let bad = s.is_empty()
        || s.starts_with('-')
        || s.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '\'' | '"' | '\\' | '$' | '`')
        });
    if bad {
        return Err(format!(
            "{what} {} is not one safe ssh argument (empty, starting with '-', or holding whitespace, a control character, a quote, '\\', '$' or '`')",
            shown(s)
        ));
    }
    Ok(())
}

/// Single-quote `s` for the POSIX shell: the shell reads it back as
/// exactly `s`, whatever it holds (NUL aside, which no shell word can
/// hold; the policy refuses it before anything is quoted).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Check that `store_dir` is usable: absolute, canonical, not `/`.
pub fn check_store_dir(store_dir: &str) -> crate::error::Result<()> {
    if store_dir != "/" && is_normalised(store_dir) {
        Ok(())
    } else {
        Err(crate::error::Error::misuse(format!(
            "the store directory '{store_dir}' must be an absolute, normalised path other than /"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_dirs_must_be_canonical() {
        for bad in [
            "nix/store",
            "/",
            "/nix/store/",
            "/nix//store",
            "/nix/./store",
        ] {
            assert!(check_store_dir(bad).is_err(), "{bad}");
        }
        check_store_dir("/nix/store").unwrap();
    }

    fn rule(p: &str) -> &'static str {
        match check_state_path(p, "/nix/store") {
            Ok(()) => "ok",
            Err(r) => r.rule,
        }
    }

    #[test]
    fn each_rule_in_its_order() {
        for (p, want) in [
            ("/var/jekor.com", "ok"),
            ("/var/lib/jekor.com", "ok"),
            ("/srv/a/b", "ok"),
            ("/www/a", "ok"),
            ("/home/alice", "ok"),
            ("/persist/var/a", "ok"),
            ("/data/x_y+z@1", "ok"),
            ("/mnt/a", "ok"),
            ("var/a", "normalised"),
            ("/var/a/", "normalised"),
            ("/var//a", "normalised"),
            ("/var/./a", "normalised"),
            ("/var/a/..", "normalised"),
            ("", "normalised"),
            ("/var/a b", "characters"),
            ("/var/a;rm -rf x", "characters"),
            ("/var/a'b", "characters"),
            ("/var/a\"b", "characters"),
            ("/var/$HOME", "characters"),
            ("/var/`id`", "characters"),
            ("/var/a\nb", "characters"),
            ("/var/a\0b", "characters"),
            ("/var/a=rw", "characters"),
            ("/var/a:b", "characters"),
            ("/var/%h", "characters"),
            ("/var/-rf", "characters"),
            ("/var/a\u{2215}b", "characters"), // DIVISION SLASH
            ("/var/\u{ff0e}\u{ff0e}", "characters"), // FULLWIDTH FULL STOP
            ("/nix/store", "outside-store"),
            ("/nix/store/x", "outside-store"),
            ("/nix/var/a", "system-tree"),
            ("/nix", "system-tree"),
            ("/etc/nixos", "system-tree"),
            ("/etc", "system-tree"),
            ("/usr/local/a", "system-tree"),
            ("/boot/a", "system-tree"),
            ("/proc/1", "system-tree"),
            ("/sys/a", "system-tree"),
            ("/dev/shm/a", "system-tree"),
            ("/run/a", "system-tree"),
            ("/tmp/a", "system-tree"),
            ("/root/a", "system-tree"),
            ("/var/lib/nixos/uid-map", "system-tree"),
            ("/var/lib/systemd/x", "system-tree"),
            ("/var/empty/x", "system-tree"),
            ("/var/run/a", "system-tree"),
            ("/var/tmp/a", "system-tree"),
            ("/var/lib", "system-tree"),
            ("/var/log", "system-tree"),
            ("/", "system-tree"),
            ("/var", "allowed-tree"),
            ("/srv", "allowed-tree"),
            ("/opt/a", "allowed-tree"),
            ("/a", "allowed-tree"),
            ("/variable/a", "allowed-tree"),
        ] {
            assert_eq!(rule(p), want, "{p:?}");
        }
        // Another store directory is refused as the store.
        assert_eq!(
            check_state_path("/gnu/store/x", "/gnu/store")
                .unwrap_err()
                .rule,
            "outside-store"
        );
    }

    #[test]
    fn messages_name_the_rule_and_show_the_path_escaped() {
        let r = check_state_path("/var/a\nb", "/nix/store").unwrap_err();
        assert_eq!(
            r.message,
            r#""/var/a\nb" may hold only ASCII letters, digits and . _ - + @ in each component, not starting with '-'; it holds "\n""#
        );
        let r = check_state_path("/etc/nixos", "/nix/store").unwrap_err();
        assert_eq!(
            r.message,
            "\"/etc/nixos\" is in /etc, which the system owns"
        );
        let r = check_state_path("/opt/a", "/nix/store").unwrap_err();
        assert!(r
            .message
            .ends_with("/var /srv /www /home /persist /data /mnt"));
        assert_eq!(shown("a\u{0}\u{2215}"), r#""a\u{0000}\u{2215}""#);
    }

    #[test]
    fn the_default_work_directory_is_a_sibling_that_passes_the_policy() {
        for state in ["/var/jekor.com", "/srv/a/b", "/var/lib/site"] {
            let w = default_work_dir(state);
            assert!(check_state_path(&w, "/nix/store").is_ok(), "{w}");
            assert!(!is_inside(&w, state) && !is_inside(state, &w), "{w}");
        }
        assert_eq!(
            default_work_dir("/var/jekor.com"),
            "/var/jekor.com.overlay-work"
        );
    }

    #[test]
    fn static_branches() {
        let h = "0123456789abcdfghijklmnpqrsvwxyz";
        let ok = format!("/nix/store/{h}-site");
        assert!(check_static_path(&ok, "/nix/store").is_ok());
        assert!(check_static_path(&format!("{ok}/public"), "/nix/store").is_ok());
        for (p, want) in [
            (format!("{ok}/.."), "normalised"),
            (format!("{ok}/a/../b"), "normalised"),
            (format!("{ok}/"), "normalised"),
            (format!("/nix//store/{h}-site"), "store-path"),
            (format!("/nix/store/{h}-a=b"), "characters"),
            (format!("{ok}/a,upperdir"), "characters"),
            (format!("{ok}/a\\b"), "characters"),
            ("/home/me/site".to_string(), "store-path"),
        ] {
            assert_eq!(
                check_static_path(&p, "/nix/store").unwrap_err().rule,
                want,
                "{p}"
            );
        }
    }

    #[test]
    fn shell_quoting_round_trips_through_a_real_shell() {
        for s in [
            "plain",
            "/var/a b",
            "it's",
            "''",
            "\"double\"",
            "$HOME `id` $(id) ; rm -rf x & | > <",
            "new\nline\ttab",
            "back\\slash \\' mix",
            "*?[a]~",
            "-n",
            "",
            "\u{2215}\u{ff0e}é",
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf '%s' {}", shell_quote(s)))
                .output()
                .unwrap();
            assert!(out.status.success(), "{s:?}");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s, "{s:?}");
        }
    }

    #[test]
    fn ssh_words() {
        for ok in [
            "144.217.85.49",
            "www.jekor.com",
            "root",
            "jump@bastion:2222",
            "[::1]",
        ] {
            assert!(check_ssh_word("host", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-oProxyCommand=x",
            "a b",
            "a\tb",
            "a\nb",
            "a'b",
            "$(x)",
            "`x`",
        ] {
            assert!(check_ssh_word("host", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn owners() {
        for ok in ["www", "_x", "a-b_1", "machine$", "www:www"] {
            assert!(is_owner(ok), "{ok}");
        }
        for bad in [
            "",
            "Www",
            "9x",
            "a b",
            "a;b",
            "-x",
            "a:b:c",
            &"a".repeat(32),
        ] {
            assert!(!is_owner(bad), "{bad}");
        }
    }
}
