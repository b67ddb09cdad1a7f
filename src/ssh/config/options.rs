//! Option lines as OpenSSH 9.2's `process_config_line` reads them: the
//! options a deploy depends on are kept (the first obtained value wins);
//! the values of those and of many others are checked whether or not
//! their block applies. Not yet checked: the forwarding, environment,
//! `IPQoS` and `RekeyLimit` forms.
use super::jump::{self, a2port, JumpValue};
use super::keywords::{multistate, opcode, Algorithms};
use super::tokens::{convtime, flag};
use super::{err, Resolver};
use crate::error::Result;
use crate::ssh::pattern::{match_list, ListMatch};

impl Resolver<'_> {
    /// An unknown keyword is an error, unless `IgnoreUnknown` (set on an
    /// earlier line) lists it.
    fn unknown(&self, kw: &str, name: &str, line: usize) -> Result<()> {
        if let Some(ig) = &self.o.ignore_unknown {
            if match_list(kw, ig, true) == ListMatch::Yes {
                return Ok(());
            }
        }
        Err(err(name, line, format!("Bad configuration option: {kw}")))
    }

    /// One option line. Its value is checked whether or not its block
    /// applies (`active`), as ssh does, and kept only where it applies and
    /// nothing set the option before.
    pub(super) fn option(
        &mut self,
        kw: &str,
        rest: &str,
        args: &[String],
        active: bool,
        name: &str,
        line: usize,
    ) -> Result<()> {
        let Some(op) = opcode(kw) else {
            return self.unknown(kw, name, line);
        };
        let first = args.first().cloned().unwrap_or_default();
        let e = |msg: String| err(name, line, msg);
        // The options that take exactly one argument, not empty.
        let single = |what: &str| -> Result<()> {
            if first.is_empty() {
                return Err(e(format!("missing argument for {what}")));
            }
            if args.len() > 1 {
                return Err(e(format!("keyword {kw} extra arguments at end of line")));
            }
            Ok(())
        };
        if let Some(list) = Algorithms::of(op) {
            single(kw)?;
            if !list.accepts(&first) {
                return Err(e(format!("{} '{first}'", list.what())));
            }
            return Ok(());
        }
        let o = &mut self.o;
        match op {
            "oHostname" => {
                single("HostName")?;
                if active {
                    o.hostname.get_or_insert(first);
                }
            }
            "oPort" => {
                single("Port")?;
                let p = a2port(&first).map_err(e)?;
                if active {
                    o.port.get_or_insert(p);
                }
            }
            "oUser" => {
                single("User")?;
                if active {
                    o.user.get_or_insert(first);
                }
            }
            "oIdentityFile" => {
                single("IdentityFile")?;
                if active && !o.identity_files.contains(&first) {
                    o.identity_files.push(first);
                }
            }
            "oCertificateFile" => {
                single("CertificateFile")?;
                if active && !o.certificate_files.contains(&first) {
                    o.certificate_files.push(first);
                }
            }
            "oProxyJump" => {
                let v = jump::parse(rest.trim_start_matches([' ', '\t', '=']))
                    .map_err(|m| e(format!("Invalid ProxyJump \"{rest}\": {m}")))?;
                match v {
                    JumpValue::None => {
                        if active && o.jump.is_none() {
                            o.jump = Some(JumpValue::None);
                        }
                    }
                    JumpValue::Hops(j) => {
                        if active && o.jump.is_none() && o.proxy_command.is_none() {
                            o.jump = Some(JumpValue::Hops(j));
                            o.proxy_command = Some("none".into());
                        }
                    }
                }
            }
            "oProxyCommand" => {
                if active && o.proxy_command.is_none() {
                    o.proxy_command = Some(rest.trim_start_matches([' ', '\t', '=']).to_string());
                }
            }
            "oForwardAgent" => {
                single("ForwardAgent")?;
                // yes/no, or the path of an agent socket, which forwards.
                // The first path is kept whatever the flag (ssh -G prints
                // it instead of yes/no).
                match flag(&first) {
                    Some(v) => {
                        if active {
                            o.forward_agent.get_or_insert(v);
                        }
                    }
                    None => {
                        if first.starts_with('$')
                            && !first.starts_with("${")
                            && !valid_env_name(&first[1..])
                        {
                            return Err(e(format!("Invalid environment name {first}")));
                        }
                        if active {
                            o.forward_agent.get_or_insert(true);
                            o.forward_agent_path.get_or_insert(first);
                        }
                    }
                }
            }
            "oUserKnownHostsFile" => {
                if args.iter().any(String::is_empty) || args.is_empty() {
                    return Err(e(format!("keyword {kw} empty argument")));
                }
                if args.len() > 1 && args.iter().any(|a| a.eq_ignore_ascii_case("none")) {
                    return Err(e(format!(
                        "keyword {kw} \"none\" argument must appear alone."
                    )));
                }
                if active {
                    o.known_hosts.get_or_insert_with(|| args.to_vec());
                }
            }
            "oHostKeyAlias" => {
                single("HostKeyAlias")?;
                if active {
                    o.host_key_alias.get_or_insert(first);
                }
            }
            "oControlPath" => {
                single("ControlPath")?;
                if active {
                    o.control_path.get_or_insert(first);
                }
            }
            "oServerAliveInterval" | "oConnectTimeout" => {
                single(kw)?;
                let v = if first == "none" {
                    None
                } else {
                    Some(convtime(&first).ok_or_else(|| e("invalid time value".into()))?)
                };
                if active {
                    if op == "oConnectTimeout" {
                        o.connect_timeout.get_or_insert(v);
                    } else {
                        o.server_alive_interval.get_or_insert(v.unwrap_or(0));
                    }
                }
            }
            "oIgnoreUnknown" => {
                single("IgnoreUnknown")?;
                if active {
                    o.ignore_unknown.get_or_insert(first);
                }
            }
            "oCanonicalDomains" => {
                if active && o.canonical_domains.is_none() {
                    let none = args.len() == 1 && args[0] == "none";
                    o.canonical_domains = Some(if none { Vec::new() } else { args.to_vec() });
                }
            }
            "oCanonicalizeMaxDots" => {
                single(kw)?;
                let v = int_value(&first).map_err(e)?;
                if active {
                    o.canonical_max_dots.get_or_insert(v);
                }
            }
            "oCanonicalizePermittedCNAMEs" => {
                if active && o.permitted_cnames.is_none() {
                    o.permitted_cnames = Some(!(args.len() == 1 && args[0] == "none"));
                }
            }
            // Checked, not kept: integers, times, log levels.
            "oConnectionAttempts"
            | "oNumberOfPasswordPrompts"
            | "oServerAliveCountMax"
            | "oRequiredRSASize" => {
                single(kw)?;
                int_value(&first).map_err(e)?;
            }
            "oForwardX11Timeout" => {
                single(kw)?;
                if first != "none" && convtime(&first).is_none() {
                    return Err(e("invalid time value.".into()));
                }
            }
            "oControlPersist" => {
                single(kw)?;
                if !matches!(first.as_str(), "yes" | "true" | "no" | "false")
                    && convtime(&first).is_none()
                {
                    return Err(e("Bad ControlPersist argument.".into()));
                }
            }
            "oLogLevel" => {
                single(kw)?;
                const LEVELS: &[&str] = &[
                    "SILENT", "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1",
                    "DEBUG2", "DEBUG3",
                ];
                if !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(&first)) {
                    return Err(e(format!("unsupported log level '{first}'")));
                }
            }
            // One argument, not empty (readconf.c's parse_string and
            // parse_agent_path).
            "oXAuthLocation"
            | "oPreferredAuthentications"
            | "oBindAddress"
            | "oBindInterface"
            | "oPKCS11Provider"
            | "oSecurityKeyProvider"
            | "oKbdInteractiveDevices"
            | "oGssClientIdentity"
            | "oGssServerIdentity"
            | "oRevokedHostKeys"
            | "oIdentityAgent" => single(kw)?,
            "oFingerprintHash" => {
                single(kw)?;
                const HASHES: &[&str] = &["md5", "sha1", "sha256", "sha384", "sha512"];
                if !HASHES.iter().any(|h| h.eq_ignore_ascii_case(&first)) {
                    return Err(e(format!("Invalid hash algorithm \"{first}\".")));
                }
            }
            "oEscapeChar" => {
                single(kw)?;
                let b = first.as_bytes();
                let ok = first == "none"
                    || b.len() == 1
                    || (b.len() == 2 && b[0] == b'^' && (64..128).contains(&b[1]));
                if !ok {
                    return Err(e("Bad escape character.".into()));
                }
            }
            "oStreamLocalBindMask" => {
                // strtol base 8: leading octal digits, anything after.
                let digits: String = first
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_digit(8))
                    .collect();
                if first.is_empty() {
                    return Err(e("Missing StreamLocalBindMask argument.".into()));
                }
                if digits.is_empty() || u32::from_str_radix(&digits, 8).map_or(true, |v| v > 0o777)
                {
                    return Err(e("Bad mask.".into()));
                }
                if args.len() > 1 {
                    return Err(e(format!("keyword {kw} extra arguments at end of line")));
                }
            }
            "oAddKeysToAgent" => {
                const VALUES: &[&str] = &["true", "false", "yes", "no", "ask", "confirm"];
                let value = VALUES.iter().find(|v| v.eq_ignore_ascii_case(&first));
                let second = args.get(1);
                let ok = match (value, second) {
                    (Some(&"confirm"), Some(t)) => convtime(t).is_some(),
                    (None, None) => convtime(&first).is_some(),
                    (Some(_), None) => true,
                    _ => false,
                };
                if !ok || args.len() > 2 {
                    return Err(e("unsupported option".into()));
                }
            }
            "oDeprecated" | "oUnsupported" | "oIgnore" => {}
            _ => {
                if let Some(values) = multistate(op) {
                    single(kw)?;
                    let Some(v) = values.iter().find(|v| v.eq_ignore_ascii_case(&first)) else {
                        return Err(e(format!("unsupported option \"{first}\".")));
                    };
                    if active {
                        o.multistate.entry(op).or_insert(v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// `atoi_err` (misc.c): an integer option's value, 0 to `INT_MAX`.
fn int_value(s: &str) -> std::result::Result<u32, String> {
    super::tokens::strtonum(s, 0, i32::MAX.into())
        .map(|v| v as u32)
        .ok_or_else(|| format!("integer value {s} is invalid."))
}

/// `valid_env_name` (misc.c): letters, digits and `_`, not empty.
fn valid_env_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
