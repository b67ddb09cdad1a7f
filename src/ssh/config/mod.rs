//! ssh_config resolution as OpenSSH 9.2's `ssh -G -F <config> [-l user]
//! [-p port] <host>` does it (`readconf.c`, `ssh.c`, `misc.c` of Debian's
//! 1:9.2p1 sources), for the options a deploy depends on. The parts:
//!
//! - `tokens`: a line into keyword and arguments (`argv_split`), times,
//!   flags;
//! - `keywords`: readconf.c's keyword table (aliases, deprecated and
//!   unsupported entries) and the algorithm names lists are checked
//!   against;
//! - `options`: each option line, checked whether or not its block
//!   applies, kept where it applies and nothing set it before;
//! - `jump`: `ProxyJump` values, parsed and printed as ssh does;
//! - `address`: host names that are addresses, in ssh's canonical form;
//! - `matching`: `Match` lines; `include`: `Include` and its globs,
//!   `~`; `percent`: `%` tokens;
//! - this module: the passes over the files (`Host`, `Match final`,
//!   hostname canonicalisation's second pass) and the result as `ssh -G`
//!   prints it.
//!
//! The semantics kept: the first obtained value wins (lists: the first
//! line wins, except `IdentityFile` and `CertificateFile`, which
//! accumulate without duplicates); `Host` patterns (`*`, `?`, `!`) match
//! the host case-sensitively; a `Match final` anywhere, or hostname
//! canonicalisation, makes a second pass with the resolved host name.
//!
//! Not supported in evaluation, with an error saying so: `Match exec`
//! where it would run a command (after a failed criterion of the same
//! line OpenSSH skips it, and so does this), hostname canonicalisation
//! where ssh would ask the DNS, `${VAR}` environment expansion, service
//! names for ports, scoped IPv6 addresses.

mod address;
mod include;
mod jump;
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
    jump: Option<jump::JumpValue>,
    proxy_command: Option<String>,
    known_hosts: Option<Vec<String>>,
    host_key_alias: Option<String>,
    forward_agent: Option<bool>,
    forward_agent_path: Option<String>,
    control_path: Option<String>,
    server_alive_interval: Option<u64>,
    connect_timeout: Option<Option<u64>>,
    ignore_unknown: Option<String>,
    /// The multi-state options (`StrictHostKeyChecking`, `ControlMaster`,
    /// `IdentitiesOnly`, `AddressFamily`, ...) by opcode: the value as
    /// written in ssh's table (lower case).
    multistate: std::collections::HashMap<&'static str, &'static str>,
    /// Hostname canonicalisation's settings, for telling whether ssh
    /// would ask the DNS.
    canonical_domains: Option<Vec<String>>,
    canonical_max_dots: Option<u32>,
    permitted_cnames: Option<bool>,
}

/// ssh's `option_clear_or_none`: unset, or `none` in any case.
fn clear_or_none(v: Option<&str>) -> bool {
    v.is_none_or(|v| v.eq_ignore_ascii_case("none"))
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
                _ => self.option(kw, rest, args, active, name, line)?,
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
    let family = r.o.multistate.get("oAddressFamily").copied();
    // An address is not lower-cased but put in its canonical form.
    let was_addr = match address::canonical(&host, family).map_err(Error::invalid)? {
        Some(canonical) => {
            // Replaced only when it differs other than in case.
            if !canonical.eq_ignore_ascii_case(&host) {
                host = canonical;
            }
            true
        }
        None if address::looks_like_address(&host) => true,
        None => {
            host = host.to_ascii_lowercase();
            false
        }
    };
    let direct =
        r.o.jump
            .as_ref()
            .is_none_or(|j| *j == jump::JumpValue::None)
            && clear_or_none(r.o.proxy_command.as_deref());
    // Whether ssh would ask the DNS (resolve_canonicalize, ssh.c): for a
    // name, not an address, when it connects directly (or `always`), if
    // the name is anchored (a final `.`) or has few enough dots to be
    // tried under a CanonicalDomains entry; and with
    // CanonicalizePermittedCNAMEs, whatever CanonicalizeHostname says.
    let canon = r.o.multistate.get("oCanonicalizeHostname").copied();
    let enabled = matches!(canon, Some("yes" | "true" | "always"));
    let always = canon == Some("always");
    let mut dns = false;
    if enabled && !was_addr && (direct || always) {
        let dots = host.bytes().filter(|b| *b == b'.').count() as u32;
        let domains =
            r.o.canonical_domains
                .as_ref()
                .is_some_and(|d| !d.is_empty());
        dns = host.ends_with('.') || (domains && dots <= r.o.canonical_max_dots.unwrap_or(1));
    }
    if !was_addr && r.o.permitted_cnames == Some(true) && (direct || always) {
        dns = true;
    }
    if dns {
        return Err(Error::invalid(
            "with these CanonicalizeHostname settings ssh looks the host up in the DNS, which is unsupported in evaluation",
        ));
    }
    if enabled {
        // ssh parses the configuration again, as for Match final.
        r.want_final = true;
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
    // ssh lower-cases the alias before it uses it (%k, known_hosts).
    if let Some(a) = &mut r.o.host_key_alias {
        a.make_ascii_lowercase();
    }
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
    // The paths ssh -G prints expanded: `~`, then `%` tokens.
    let path = |p: &str| r.expand(&r.tilde(p, req.config_name, 0)?, &host, port, &user);
    let user_known_hosts_files = known.iter().map(|k| path(k)).collect::<Result<Vec<_>>>()?;
    // An agent socket path, expanded as ssh.c does before -G prints it.
    let forward_agent_path = r.o.forward_agent_path.as_deref().map(path).transpose()?;
    let control_path = match r.o.control_path.as_deref() {
        Some(p) if p != "none" => Some(path(p)?),
        _ => None,
    };
    let o = r.o;
    let ms = |op: &str, default: &'static str| o.multistate.get(op).copied().unwrap_or(default);
    // ssh -G prints a multi-state option by the first name of its value.
    let strict = match ms("oStrictHostKeyChecking", "ask") {
        "true" | "yes" => "true",
        "false" | "no" | "off" => "false",
        v => v,
    };
    let control_master = match ms("oControlMaster", "false") {
        "true" | "yes" => "true",
        "false" | "no" => "false",
        v => v,
    };
    let (proxy_jump, proxy_command) = match o.jump {
        Some(jump::JumpValue::Hops(j)) => (Some(j.shown()), None),
        _ => (None, o.proxy_command.filter(|c| !clear_or_none(Some(c)))),
    };
    Ok(Resolved {
        hostname: host,
        port,
        user,
        identity_files,
        certificate_files: o.certificate_files,
        proxy_jump,
        proxy_command,
        identities_only: matches!(ms("oIdentitiesOnly", "no"), "yes" | "true"),
        strict_host_key_checking: strict,
        user_known_hosts_files,
        host_key_alias: o.host_key_alias,
        forward_agent: forward_agent_path.unwrap_or_else(|| {
            if o.forward_agent.unwrap_or(false) {
                "yes"
            } else {
                "no"
            }
            .into()
        }),
        control_path,
        control_master,
        server_alive_interval: o.server_alive_interval.unwrap_or(0),
        connect_timeout: o.connect_timeout.flatten(),
    })
}

#[cfg(test)]
mod tests {
    //! Resolution end to end over files in memory; each expectation is
    //! what `ssh -G` (OpenSSH 9.2) prints for the same config, as the
    //! differential (tests/ssh_parity.rs) checks against the real ssh.
    use super::*;
    use crate::host::MemHost;

    fn local() -> Local {
        Local {
            user: "me".into(),
            home: "/home/me".into(),
            hostname: "laptop.lan".into(),
            uid: 1000,
        }
    }

    fn resolve_in(files: &MemHost, config: &str, host: &str) -> Result<Resolved> {
        let l = local();
        let req = Request {
            config,
            config_name: "test",
            host,
            user: None,
            port: None,
            ssh_dir: Some("/home/me/.ssh"),
            default_user: None,
            local: &l,
        };
        resolve_cached(files, &req, &ConfigCache::default())
    }

    fn resolve(config: &str, host: &str) -> Result<Resolved> {
        resolve_in(&MemHost::default(), config, host)
    }

    #[test]
    fn proxy_settings_first_wins_as_readconf() {
        let r = resolve(
            "Host *\n  ProxyJump none\nHost *\n  ProxyCommand nc %h %p\n",
            "www",
        )
        .unwrap();
        assert_eq!(r.proxy_jump, None);
        assert_eq!(r.proxy_command.as_deref(), Some("nc %h %p"));
        let r = resolve("ProxyJump j1\nProxyCommand nc %h %p\n", "www").unwrap();
        assert_eq!(r.proxy_jump.as_deref(), Some("j1"));
        assert_eq!(r.proxy_command, None);
        let r = resolve("ProxyCommand nc %h %p\nProxyJump j1\n", "www").unwrap();
        assert_eq!(
            (r.proxy_jump, r.proxy_command.as_deref()),
            (None, Some("nc %h %p"))
        );
        let r = resolve("ProxyJump ssh://u@10.0.0.9:2200 # gw\n", "www").unwrap();
        assert_eq!(r.proxy_jump.as_deref(), Some("u@[10.0.0.9]:2200"));
    }

    #[test]
    fn addresses_are_canonical_and_names_lower_case() {
        let host = |cfg: &str| resolve(cfg, "x").unwrap().hostname;
        assert_eq!(host("HostName 10.1\n"), "10.0.0.1");
        assert_eq!(host("HostName 0x7f.1\n"), "127.0.0.1");
        assert_eq!(host("HostName FE80:0:0::1\n"), "fe80::1");
        assert_eq!(host("HostName ::FFFF:10.0.0.1\n"), "::FFFF:10.0.0.1");
        assert_eq!(host("HostName Web.Example.COM\n"), "web.example.com");
        assert_eq!(host("HostName web.lan # comment\n"), "web.lan");
        assert!(resolve("HostName fe80::1%eth0\n", "x").is_err());
        let r = resolve("HostKeyAlias MyAlias\nControlPath /c/%k\n", "x").unwrap();
        assert_eq!(r.host_key_alias.as_deref(), Some("myalias"));
        assert_eq!(r.control_path.as_deref(), Some("/c/myalias"));
    }

    #[test]
    fn values_are_checked_in_blocks_that_do_not_apply() {
        for (cfg, says) in [
            (
                "Host other\n  Ciphers aes128-ctr,blowfish-cbc\n",
                "Bad SSH2 cipher spec",
            ),
            ("Host other\n  Port 70000\n", "bad port"),
            ("Host other\n  Port ssh\n", "service name"),
            ("Host other\n  Compression maybe\n", "unsupported option"),
            ("Host other\n  User a b\n", "extra arguments"),
            (
                "Host other\n  UseKeychain yes\n",
                "Bad configuration option",
            ),
        ] {
            let e = resolve(cfg, "www").unwrap_err().message;
            assert!(e.contains(says), "{cfg}: {e}");
        }
        // Obsolete and alias keywords are accepted as ssh accepts them.
        let r = resolve(
            "Protocol 2\nUseRoaming no\nKeepAlive yes\nIdentityFile2 ~/.ssh/k\n",
            "www",
        )
        .unwrap();
        assert_eq!(r.identity_files, ["~/.ssh/k"]);
    }

    #[test]
    fn forward_agent_keeps_the_first_socket_path() {
        let fa = |cfg: &str| resolve(cfg, "www").unwrap().forward_agent;
        assert_eq!(fa("ForwardAgent yes\n"), "yes");
        assert_eq!(fa(""), "no");
        assert_eq!(
            fa("ForwardAgent ~/a.sock\nForwardAgent no\n"),
            "/home/me/a.sock"
        );
        assert_eq!(fa("ForwardAgent no\nForwardAgent /x/%h\n"), "/x/www");
    }

    #[test]
    fn canonicalisation_is_refused_only_where_ssh_asks_the_dns() {
        let dns = "CanonicalizeHostname yes\nCanonicalDomains example.com\n";
        assert!(resolve(dns, "www").unwrap_err().message.contains("DNS"));
        // Too many dots to be tried under a domain, an address, a proxy:
        // no lookup, only the second pass.
        assert!(resolve(dns, "a.b.c").is_ok());
        assert!(resolve(dns, "10.0.0.1").is_ok());
        let r = resolve(
            &format!("{dns}ProxyJump gw\nMatch canonical\n  User c\n"),
            "www",
        )
        .unwrap();
        assert_eq!(r.user, "c");
    }

    #[test]
    fn includes_glob_in_sorted_order_from_ssh_dir() {
        let files = MemHost::new([
            ("/home/me/.ssh/conf.d/b.conf", "User from-b\n"),
            ("/home/me/.ssh/conf.d/a.conf", "User from-a\n"),
            ("/home/me/.ssh/conf.d/.hidden.conf", "User hidden\n"),
            ("/home/me/.ssh/conf.d/c.txt", "User from-c\n"),
        ]);
        let r = resolve_in(&files, "Include conf.d/*.conf\n", "www").unwrap();
        assert_eq!(r.user, "from-a");
        let r = resolve_in(&files, "Include conf.d/*.txt ~/.ssh/none*\n", "www").unwrap();
        assert_eq!(r.user, "from-c");
    }

    #[test]
    fn match_lines() {
        let user = |cfg: &str, host: &str| resolve(cfg, host).unwrap().user;
        assert_eq!(user("Match host w*,!wx\n  User m\n", "www"), "m");
        assert_eq!(user("Match host w*,!wx\n  User m\n", "wx"), "me");
        assert_eq!(user("Match originalhost WWW\n  User o\n", "WWW"), "o");
        assert_eq!(
            user(
                "Match final host web.lan\n  User f\nHost www\n  HostName web.lan\n",
                "www"
            ),
            "f"
        );
        // An exec after a failing criterion is never run.
        assert_eq!(
            user("Match host nowhere exec false\n  User x\n", "www"),
            "me"
        );
        assert!(resolve("Match exec true\n  User x\n", "www").is_err());
        assert!(resolve("Match all host www\n", "www").is_err());
    }
}
