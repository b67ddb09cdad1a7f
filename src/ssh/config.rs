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

use super::pattern::{match_hostname, match_list, match_pattern, ListMatch};
use crate::error::{Error, Result};
use crate::host::{FileType, Host};
use serde_json::{json, Value};

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

/// Every keyword OpenSSH 9.2's client accepts (lower-case), including the
/// deprecated and unsupported ones it parses and ignores.
const KEYWORDS: &[&str] = &[
    "host",
    "match",
    "include",
    "hostname",
    "port",
    "user",
    "identityfile",
    "identityagent",
    "identitiesonly",
    "proxyjump",
    "proxycommand",
    "proxyusefdpass",
    "stricthostkeychecking",
    "userknownhostsfile",
    "globalknownhostsfile",
    "hostkeyalias",
    "certificatefile",
    "forwardagent",
    "forwardx11",
    "forwardx11trusted",
    "forwardx11timeout",
    "controlpath",
    "controlmaster",
    "controlpersist",
    "serveraliveinterval",
    "serveralivecountmax",
    "connecttimeout",
    "connectionattempts",
    "addkeystoagent",
    "addressfamily",
    "batchmode",
    "bindaddress",
    "bindinterface",
    "canonicaldomains",
    "canonicalizefallbacklocal",
    "canonicalizehostname",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "casignaturealgorithms",
    "checkhostip",
    "ciphers",
    "clearallforwardings",
    "compression",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fingerprinthash",
    "forkafterauthentication",
    "gatewayports",
    "gssapiauthentication",
    "gssapidelegatecredentials",
    "gssapikeyexchange",
    "gssapiclientidentity",
    "gssapiserveridentity",
    "gssapirenewalforcesrekey",
    "gssapitrustdns",
    "gssapikexalgorithms",
    "hashknownhosts",
    "hostbasedacceptedalgorithms",
    "hostbasedkeytypes",
    "hostbasedauthentication",
    "hostkeyalgorithms",
    "ignoreunknown",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "kexalgorithms",
    "knownhostscommand",
    "localcommand",
    "localforward",
    "loglevel",
    "logverbose",
    "macs",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "pkcs11provider",
    "smartcarddevice",
    "preferredauthentications",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "rekeylimit",
    "remotecommand",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "revokedhostkeys",
    "securitykeyprovider",
    "sendenv",
    "setenv",
    "sessiontype",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "syslogfacility",
    "tcpkeepalive",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "verifyhostkeydns",
    "visualhostkey",
    "xauthlocation",
    "challengeresponseauthentication",
    "skeyauthentication",
    "tisauthentication",
    "protocol",
    "cipher",
    "fallbacktorsh",
    "globalknownhostsfile2",
    "userknownhostsfile2",
    "useprivilegedport",
    "rhostsauthentication",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "compressionlevel",
    "useroaming",
    "usersh",
    "kerberosauthentication",
    "kerberostgtpassing",
    "afstokenpassing",
    "dsaauthentication",
    "useblacklistedkeys",
];

fn err(name: &str, line: usize, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{name} line {line}: {msg}"))
}

/// Split a line's arguments as OpenSSH's `argv_split`: whitespace
/// separates, `"` and `'` quote, `\` escapes a quote, space or backslash,
/// an unquoted `#` at the start of a word ends the line.
fn argv_split(s: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_whitespace() {
            i += 1;
            continue;
        }
        if b[i] == '#' {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while i < b.len() {
            let c = b[i];
            if quote.is_none() && c.is_whitespace() {
                break;
            }
            if c == '\\' && i + 1 < b.len() && matches!(b[i + 1], '\'' | '"' | '\\') {
                word.push(b[i + 1]);
                i += 2;
                continue;
            }
            if c == '\\' && quote.is_none() && i + 1 < b.len() && b[i + 1] == ' ' {
                word.push(' ');
                i += 2;
                continue;
            }
            match quote {
                Some(q) if c == q => quote = None,
                None if c == '"' || c == '\'' => quote = Some(c),
                _ => word.push(c),
            }
            i += 1;
        }
        if quote.is_some() {
            return Err("invalid quotes");
        }
        out.push(word);
    }
    Ok(out)
}

/// `keyword`, the raw rest of the line, and its split arguments; `None`
/// for blank lines and comments.
fn split_line(line: &str) -> Option<(String, String)> {
    let t = line
        .trim_end_matches([' ', '\t', '\r', '\n', '\x0c'])
        .trim_start_matches([' ', '\t']);
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let end = t.find([' ', '\t', '=']).unwrap_or(t.len());
    let keyword = t[..end].to_ascii_lowercase();
    let mut rest = t[end..].trim_start_matches([' ', '\t']);
    if let Some(r) = rest.strip_prefix('=') {
        rest = r;
    }
    let rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
    Some((keyword, rest.to_string()))
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

/// OpenSSH's `convtime`: `90`, `1m30s`, `2h`, `1w`.
fn convtime(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (mut total, mut num) = (0u64, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mult = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 604800,
            _ => return None,
        };
        total = total.checked_add(num.parse::<u64>().ok()?.checked_mul(mult)?)?;
        num.clear();
    }
    if !num.is_empty() {
        total = total.checked_add(num.parse::<u64>().ok()?)?;
    }
    (total <= i32::MAX as u64).then_some(total)
}

fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
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
    /// The host name `Match host` sees in this pass.
    fn match_host(&self, pass: Pass, host: &str) -> String {
        if pass.final_pass {
            self.o.hostname.clone().unwrap_or_else(|| host.to_string())
        } else if let Some(h) = &self.o.hostname {
            h.replace("%h", self.req.host)
        } else {
            self.req.host.to_string()
        }
    }

    fn match_line(
        &mut self,
        args: &[String],
        pass: Pass,
        host: &str,
        name: &str,
        line: usize,
    ) -> Result<bool> {
        let target = self.match_host(pass, host);
        let ruser = self
            .o
            .user
            .clone()
            .unwrap_or_else(|| self.req.local.user.clone());
        let mut result = true;
        let mut attributes = 0;
        let mut i = 0;
        while i < args.len() {
            let attrib = args[i].as_str();
            i += 1;
            let (negate, a) = match attrib.strip_prefix('!') {
                Some(x) => (true, x),
                None => (false, attrib),
            };
            let a = a.to_ascii_lowercase();
            if a == "all" {
                if attributes > 1 || i < args.len() {
                    return Err(err(
                        name,
                        line,
                        format!("'{attrib}' cannot be combined with other Match attributes"),
                    ));
                }
                if result {
                    result = !negate;
                }
                return Ok(result);
            }
            attributes += 1;
            if a == "canonical" || a == "final" {
                if a == "final" {
                    self.want_final = true;
                }
                if pass.final_pass == negate {
                    result = false;
                }
                continue;
            }
            let Some(arg) = args.get(i) else {
                return Err(err(name, line, format!("missing Match criteria for {a}")));
            };
            i += 1;
            let r = match a.as_str() {
                "host" => match_hostname(&target, arg) == ListMatch::Yes,
                "originalhost" => match_hostname(self.req.host, arg) == ListMatch::Yes,
                "user" => match_list(&ruser, arg, false) == ListMatch::Yes,
                "localuser" => match_list(&self.req.local.user, arg, false) == ListMatch::Yes,
                // OpenSSH (readconf.c, match_cfg_line) skips the command
                // when an earlier criterion of the line already failed.
                "exec" if !result => continue,
                "exec" => {
                    return Err(err(
                        name,
                        line,
                        "Match exec runs a command and is unsupported in evaluation",
                    ));
                }
                _ => return Err(err(name, line, format!("unsupported Match attribute {a}"))),
            };
            if r == negate {
                result = false;
            }
        }
        if attributes == 0 {
            return Err(err(name, line, "one or more attributes required for Match"));
        }
        Ok(result)
    }

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

    fn check_keyword(&self, kw: &str, name: &str, line: usize) -> Result<()> {
        if KEYWORDS.contains(&kw) {
            return Ok(());
        }
        if let Some(ig) = &self.o.ignore_unknown {
            if match_list(kw, ig, true) == ListMatch::Yes {
                return Ok(());
            }
        }
        Err(err(name, line, format!("Bad configuration option: {kw}")))
    }

    #[allow(clippy::too_many_arguments)]
    fn include(
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
    fn glob(&self, pattern: &str) -> Result<Vec<String>> {
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

    fn expand_glob(&self, pattern: &str) -> Result<Vec<String>> {
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

    fn tilde(&self, p: &str, name: &str, line: usize) -> Result<String> {
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

    fn option(
        &mut self,
        kw: &str,
        rest: &str,
        args: &[String],
        name: &str,
        line: usize,
    ) -> Result<()> {
        let first = args.first().cloned().unwrap_or_default();
        let o = &mut self.o;
        let bad = |what: &str| {
            err(
                name,
                line,
                format!("unsupported option \"{first}\" for {what}"),
            )
        };
        match kw {
            "hostname" => {
                o.hostname.get_or_insert(first);
            }
            "port" => {
                let p: u16 = first
                    .parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| err(name, line, format!("bad port number \"{first}\"")))?;
                o.port.get_or_insert(p);
            }
            "user" => {
                o.user.get_or_insert(first);
            }
            "identityfile" => {
                if !o.identity_files.contains(&first) {
                    o.identity_files.push(first);
                }
            }
            "certificatefile" => {
                if !o.certificate_files.contains(&first) {
                    o.certificate_files.push(first);
                }
            }
            "proxyjump" => {
                if o.jump.is_none() && o.proxy_command.is_none() {
                    o.jump = Some(rest.trim().to_string());
                }
            }
            "proxycommand" => {
                if o.jump.is_none() && o.proxy_command.is_none() {
                    o.proxy_command = Some(rest.to_string());
                }
            }
            "identitiesonly" => {
                let v = flag(&first).ok_or_else(|| bad("IdentitiesOnly"))?;
                o.identities_only.get_or_insert(v);
            }
            "stricthostkeychecking" => {
                let v = match first.to_ascii_lowercase().as_str() {
                    "true" | "yes" => "true",
                    "false" | "no" | "off" => "false",
                    "ask" => "ask",
                    "accept-new" => "accept-new",
                    _ => return Err(bad("StrictHostKeyChecking")),
                };
                o.strict.get_or_insert(v);
            }
            "controlmaster" => {
                let v = match first.to_ascii_lowercase().as_str() {
                    "true" | "yes" => "true",
                    "false" | "no" => "false",
                    "auto" => "auto",
                    "ask" => "ask",
                    "autoask" => "autoask",
                    _ => return Err(bad("ControlMaster")),
                };
                o.control_master.get_or_insert(v);
            }
            "userknownhostsfile" => {
                o.known_hosts.get_or_insert_with(|| args.to_vec());
            }
            "hostkeyalias" => {
                o.host_key_alias.get_or_insert(first);
            }
            "forwardagent" => {
                let v = match flag(&first) {
                    Some(true) => "yes".to_string(),
                    Some(false) => "no".to_string(),
                    None => first,
                };
                o.forward_agent.get_or_insert(v);
            }
            "controlpath" => {
                o.control_path.get_or_insert(first);
            }
            "serveraliveinterval" => {
                let v = convtime(&first).ok_or_else(|| err(name, line, "invalid time value"))?;
                o.server_alive_interval.get_or_insert(v);
            }
            "connecttimeout" => {
                let v = if first == "none" {
                    None
                } else {
                    Some(convtime(&first).ok_or_else(|| err(name, line, "invalid time value"))?)
                };
                o.connect_timeout.get_or_insert(v);
            }
            "ignoreunknown" => {
                o.ignore_unknown.get_or_insert(first);
            }
            "canonicalizehostname" => {
                let v = !matches!(first.to_ascii_lowercase().as_str(), "no" | "false");
                o.canonicalize.get_or_insert(v);
            }
            _ => self.check_keyword(kw, name, line)?,
        }
        Ok(())
    }

    /// `%` tokens as `default_client_percent_expand` in OpenSSH 9.2.
    /// Each token is computed only where it is used (`%C` is a SHA-1).
    fn expand(&self, s: &str, host: &str, port: u16, user: &str) -> Result<String> {
        use std::fmt::Write as _;
        if s.contains("${") {
            return Err(Error::invalid(format!(
                "'{s}': ${{VAR}} environment expansion is unsupported in evaluation"
            )));
        }
        let local = self.req.local;
        let mut out = String::with_capacity(s.len() + 32);
        let mut rest = s;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let mut chars = rest[at + 1..].chars();
            let t = chars
                .next()
                .ok_or_else(|| Error::invalid(format!("'{s}': a lone % at the end")))?;
            rest = chars.as_str();
            match t {
                '%' => out.push('%'),
                'C' => {
                    use sha1::Digest;
                    let mut h = sha1::Sha1::new();
                    h.update(local.hostname.as_bytes());
                    h.update(host.as_bytes());
                    h.update(port.to_string().as_bytes());
                    h.update(user.as_bytes());
                    for b in h.finalize() {
                        out.push(char::from(HEX[usize::from(b >> 4)]));
                        out.push(char::from(HEX[usize::from(b & 15)]));
                    }
                }
                'd' => out.push_str(&local.home),
                'h' => out.push_str(host),
                'i' => {
                    let _ = write!(out, "{}", local.uid);
                }
                'j' => out.push_str(self.o.jump.as_deref().unwrap_or_default()),
                'k' => out.push_str(self.o.host_key_alias.as_deref().unwrap_or(self.req.host)),
                'L' => out.push_str(local.hostname.split('.').next().unwrap_or_default()),
                'l' => out.push_str(&local.hostname),
                'n' => out.push_str(self.req.host),
                'p' => {
                    let _ = write!(out, "{port}");
                }
                'r' => out.push_str(user),
                'u' => out.push_str(&local.user),
                _ => return Err(Error::invalid(format!("'{s}': unknown token %{t}"))),
            }
        }
        out.push_str(rest);
        Ok(out)
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

    #[test]
    fn splits_arguments_like_openssh() {
        assert_eq!(
            argv_split(r#"a "b c" 'd e' f\ g # x"#).unwrap(),
            ["a", "b c", "d e", "f g"]
        );
        assert!(argv_split("\"open").is_err());
        assert_eq!(
            split_line("  Port=2222").unwrap(),
            ("port".into(), "2222".into())
        );
        assert_eq!(
            split_line("HostName = a.b").unwrap(),
            ("hostname".into(), "a.b".into())
        );
        assert_eq!(split_line("# c"), None);
    }

    #[test]
    fn times() {
        assert_eq!(convtime("90"), Some(90));
        assert_eq!(convtime("1m30s"), Some(90));
        assert_eq!(convtime("1w"), Some(604800));
        assert_eq!(convtime("x"), None);
    }
}
