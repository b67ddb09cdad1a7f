//! The options a deploy depends on, parsed and kept as OpenSSH 9.2's
//! `process_config_line` does: the first obtained value wins, every value
//! is checked whether or not its block applies.
use super::keywords::KEYWORDS;
use super::tokens::{convtime, flag};
use super::{err, Resolver};
use crate::error::Result;
use crate::ssh::pattern::{match_list, ListMatch};

impl Resolver<'_> {
    pub(super) fn check_keyword(&self, kw: &str, name: &str, line: usize) -> Result<()> {
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

    pub(super) fn option(
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
}
