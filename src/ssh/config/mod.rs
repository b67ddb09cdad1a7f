//! ssh_config resolution as OpenSSH 9.2's `ssh -G -F <config> [-l user]
//! [-p port] <host>` does it (`readconf.c`, `ssh.c`), for the options a
//! deploy depends on.
//!
//! The semantics kept: the first obtained value wins (lists: the first
//! line wins, except `IdentityFile` and `CertificateFile`, which
//! accumulate without duplicates); `Host` patterns (`*`, `?`, `!`) match
//! the host case-sensitively, `Match` criteria `all`, `host`,
//! `originalhost`, `user`, `localuser`, `canonical`, `final`; a
//! `Match final` anywhere makes a second pass with the resolved, lower-cased
//! host name; `Include` with globs, relative paths taken from `~/.ssh`
//! (the `sshDir` argument); `HostName` with `%h`; `%` tokens in
//! `ControlPath` and `UserKnownHostsFile` (which `ssh -G` prints expanded;
//! `IdentityFile` it prints as written); `~`; quoting; `Key=Value`;
//! case-insensitive keywords; comments; unknown keywords are errors unless
//! `IgnoreUnknown` lists them.
//!
//! Not supported in evaluation, with an error saying so: `Match exec`
//! where it would run a command (after a failed criterion of the same
//! line OpenSSH skips it, and so does this), hostname canonicalisation
//! (needs DNS), `${VAR}` environment expansion.

mod include;
mod keywords;
mod matching;
mod options;
mod percent;
mod tokens;

use super::pattern::match_pattern;

use crate::error::{Error, Result};
use crate::host::Host;
use serde_json::{json, Value};
use tokens::{argv_split, split_line};

/// Facts about the local side, which `%d %u %l %L %i`, `localuser`, `~`
/// and the default user depend on.
#[derive(Debug, Clone)]
pub struct Local {
    pub user: String,
    pub home: String,
    pub hostname: String,
    pub uid: u32,
}

/// What to resolve.
pub struct Request<'a> {
    pub config: &'a str,
    pub config_name: &'a str,
    pub host: &'a str,
    pub user: Option<&'a str>,
    pub port: Option<u16>,
    /// Where relative `Include`s are looked up (OpenSSH: `~/.ssh`);
    /// `None` makes a relative `Include` an error.
    pub ssh_dir: Option<&'a str>,
    /// The user when neither `user` nor the config names one; `None`
    /// means the local user, as ssh does.
    pub default_user: Option<&'a str>,
    pub local: &'a Local,
}

#[derive(Default, Debug)]
struct Options {
    hostname: Option<String>,
    port: Option<u16>,
    user: Option<String>,
    identity_files: Vec<String>,
    certificate_files: Vec<String>,
    jump: Option<String>,
    proxy_command: Option<String>,
    identities_only: Option<bool>,
    strict: Option<&'static str>,
    known_hosts: Option<Vec<String>>,
    host_key_alias: Option<String>,
    forward_agent: Option<String>,
    control_path: Option<String>,
    control_master: Option<&'static str>,
    server_alive_interval: Option<u64>,
    connect_timeout: Option<Option<u64>>,
    ignore_unknown: Option<String>,
    canonicalize: Option<bool>,
}

fn err(name: &str, line: usize, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{name} line {line}: {msg}"))
}

/// One meaningful line of a config file, split once.
struct ConfigLine {
    number: usize,
    keyword: String,
    rest: String,
    /// The arguments, or why `argv_split` refused them (reported only
    /// when the reader reaches the line, as ssh does).
    args: std::result::Result<Vec<String>, &'static str>,
}

/// A config file split into keyword lines (blank lines and comments
/// dropped), so that resolving many hosts against one config splits each
/// line once.
struct ParsedConfig {
    lines: Vec<ConfigLine>,
}

impl ParsedConfig {
    fn parse(text: &str) -> ParsedConfig {
        let lines = text
            .lines()
            .enumerate()
            .filter_map(|(n, raw)| {
                let (keyword, rest) = split_line(raw)?;
                let args = argv_split(&rest);
                Some(ConfigLine {
                    number: n + 1,
                    keyword,
                    rest,
                    args,
                })
            })
            .collect();
        ParsedConfig { lines }
    }
}

/// What resolving several hosts against the same config can share: the
/// main config and every `Include`d file split into lines once, and each
/// `Include` glob expanded once. One cache serves one evaluation call
/// (files do not change under it); [`resolve`] makes a fresh one.
#[derive(Default)]
pub struct ConfigCache {
    /// Parsed files by name (the main config under its `config_name`).
    parsed: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<ParsedConfig>>>,
    /// Expanded `Include` patterns.
    globs: std::cell::RefCell<std::collections::HashMap<String, Vec<String>>>,
}

impl ConfigCache {
    /// `text` (the file `name`) split into lines, parsed on first use.
    fn parsed(
        &self,
        name: &str,
        text: impl FnOnce() -> Result<String>,
    ) -> Result<std::rc::Rc<ParsedConfig>> {
        if let Some(p) = self.parsed.borrow().get(name) {
            return Ok(p.clone());
        }
        let p = std::rc::Rc::new(ParsedConfig::parse(&text()?));
        self.parsed.borrow_mut().insert(name.to_string(), p.clone());
        Ok(p)
    }
}

struct Resolver<'a> {
    req: &'a Request<'a>,
    host_fs: &'a dyn Host,
    cache: &'a ConfigCache,
    o: Options,
    want_final: bool,
}

#[derive(Clone, Copy)]
struct Pass {
    final_pass: bool,
}

impl<'a> Resolver<'a> {
    #[allow(clippy::too_many_arguments)]
    fn read(
        &mut self,
        config: &ParsedConfig,
        name: &str,
        pass: Pass,
        host: &str,
        never: bool,
        depth: usize,
    ) -> Result<()> {
        if depth > 16 {
            return Err(Error::invalid(format!("{name}: Include nested too deeply")));
        }
        let mut active = !never; // lines before the first Host/Match apply
        for l in &config.lines {
            let (kw, rest, line) = (l.keyword.as_str(), l.rest.as_str(), l.number);
            if rest.is_empty() {
                return Err(err(
                    name,
                    line,
                    format!("no argument after keyword \"{kw}\""),
                ));
            }
            let args = l.args.as_deref().map_err(|e| err(name, line, e))?;
            match kw {
                "host" => {
                    active = false;
                    if never {
                        continue;
                    }
                    for a in args {
                        let (neg, p) = match a.strip_prefix('!') {
                            Some(p) => (true, p),
                            None => (false, a.as_str()),
                        };
                        if match_pattern(host.as_bytes(), p.as_bytes()) {
                            if neg {
                                active = false;
                                break;
                            }
                            active = true;
                        }
                    }
                }
                "match" => {
                    let v = self.match_line(args, pass, host, name, line)?;
                    active = !never && v;
                }
                "include" => self.include(args, name, line, pass, host, never || !active, depth)?,
                _ if active => self.option(kw, rest, args, name, line)?,
                _ => self.check_keyword(kw, name, line)?,
            }
        }
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What `ssh -G` prints for the options a deploy depends on, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<String>,
    pub certificate_files: Vec<String>,
    pub proxy_jump: Option<String>,
    pub proxy_command: Option<String>,
    pub identities_only: bool,
    pub strict_host_key_checking: &'static str,
    pub user_known_hosts_files: Vec<String>,
    pub host_key_alias: Option<String>,
    pub forward_agent: String,
    pub control_path: Option<String>,
    pub control_master: &'static str,
    pub server_alive_interval: u64,
    pub connect_timeout: Option<u64>,
}

impl Resolved {
    /// The options by their lower-case `ssh -G` names.
    pub fn to_json(&self) -> Value {
        json!({
            "hostname": self.hostname,
            "port": self.port,
            "user": self.user,
            "identityfile": self.identity_files,
            "certificatefile": self.certificate_files,
            "proxyjump": self.proxy_jump,
            "proxycommand": self.proxy_command,
            "identitiesonly": if self.identities_only { "yes" } else { "no" },
            "stricthostkeychecking": self.strict_host_key_checking,
            "userknownhostsfile": self.user_known_hosts_files,
            "hostkeyalias": self.host_key_alias,
            "forwardagent": self.forward_agent,
            "controlpath": self.control_path,
            "controlmaster": self.control_master,
            "serveraliveinterval": self.server_alive_interval,
            "connecttimeout": self.connect_timeout,
        })
    }
}

/// Resolve `req` as `ssh -G` would, returning the options by their
/// lower-case `ssh -G` names.
pub fn resolve(host_fs: &dyn Host, req: &Request) -> Result<Value> {
    Ok(resolve_cached(host_fs, req, &ConfigCache::default())?.to_json())
}

/// [`resolve`] as a [`Resolved`], sharing parsed files with earlier calls
/// that used `cache` (same config, other hosts).
pub fn resolve_cached(host_fs: &dyn Host, req: &Request, cache: &ConfigCache) -> Result<Resolved> {
    if req.host.is_empty() || req.host.starts_with('-') || req.host.contains(char::is_whitespace) {
        return Err(Error::misuse(format!(
            "host \"{}\" is not a host name",
            req.host
        )));
    }
    let main = cache.parsed(&format!("\0main\0{}", req.config_name), || {
        Ok(req.config.to_string())
    })?;
    let mut r = Resolver {
        req,
        host_fs,
        cache,
        o: Options::default(),
        want_final: false,
    };
    r.o.user = req.user.map(str::to_string);
    r.o.port = req.port;
    r.read(
        &main,
        req.config_name,
        Pass { final_pass: false },
        req.host,
        false,
        0,
    )?;

    let mut host = match &r.o.hostname {
        Some(h) => {
            if h.replace("%%", "").replace("%h", "").contains('%') {
                return Err(Error::invalid(format!(
                    "HostName \"{h}\": only %h and %% may be used"
                )));
            }
            h.replace("%h", req.host).replace("%%", "%")
        }
        None => req.host.to_string(),
    };
    host = host.to_ascii_lowercase();
    if r.o.canonicalize == Some(true) {
        return Err(Error::invalid(
            "CanonicalizeHostname needs DNS and is unsupported in evaluation",
        ));
    }
    if r.want_final {
        r.o.hostname = Some(host.clone());
        r.read(
            &main,
            req.config_name,
            Pass { final_pass: true },
            &host,
            false,
            0,
        )?;
    }

    let port = r.o.port.unwrap_or(22);
    let user =
        r.o.user
            .clone()
            .unwrap_or_else(|| req.default_user.unwrap_or(&req.local.user).to_string());
    let identity_files = if r.o.identity_files.is_empty() {
        [
            "id_rsa",
            "id_ecdsa",
            "id_ecdsa_sk",
            "id_ed25519",
            "id_ed25519_sk",
            "id_xmss",
            "id_dsa",
        ]
        .iter()
        .map(|f| format!("~/.ssh/{f}"))
        .collect()
    } else {
        std::mem::take(&mut r.o.identity_files)
    };
    let known: Vec<String> =
        r.o.known_hosts
            .clone()
            .unwrap_or_else(|| vec!["~/.ssh/known_hosts".into(), "~/.ssh/known_hosts2".into()]);
    let mut user_known_hosts_files = Vec::with_capacity(known.len());
    for k in &known {
        let t = r.tilde(k, req.config_name, 0)?;
        user_known_hosts_files.push(r.expand(&t, &host, port, &user)?);
    }
    let control_path = match &r.o.control_path {
        Some(p) if p != "none" => {
            Some(r.expand(&r.tilde(p, req.config_name, 0)?, &host, port, &user)?)
        }
        _ => None,
    };
    let o = r.o;
    Ok(Resolved {
        hostname: host,
        port,
        user,
        identity_files,
        certificate_files: o.certificate_files,
        proxy_jump: o.jump.filter(|j| j != "none"),
        proxy_command: o.proxy_command.filter(|c| c != "none"),
        identities_only: o.identities_only.unwrap_or(false),
        strict_host_key_checking: o.strict.unwrap_or("ask"),
        user_known_hosts_files,
        host_key_alias: o.host_key_alias,
        forward_agent: o.forward_agent.unwrap_or_else(|| "no".into()),
        control_path,
        control_master: o.control_master.unwrap_or("false"),
        server_alive_interval: o.server_alive_interval.unwrap_or(0),
        connect_timeout: o.connect_timeout.flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
}
