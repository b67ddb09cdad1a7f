//! `Match` lines as OpenSSH 9.2's `match_cfg_line` evaluates them:
//! `all`, `canonical`, `final`, `host`, `originalhost`, `user`,
//! `localuser`, `exec` (refused where it would run), `!` negation.
use super::{err, Pass, Resolver};
use crate::error::Result;
use crate::ssh::pattern::{match_hostname, match_list, ListMatch};

impl Resolver<'_> {
    /// The host name `Match host` sees in this pass.
    pub(super) fn match_host(&self, pass: Pass, host: &str) -> String {
        if pass.final_pass {
            self.o.hostname.clone().unwrap_or_else(|| host.to_string())
        } else if let Some(h) = &self.o.hostname {
            h.replace("%h", self.req.host)
        } else {
            self.req.host.to_string()
        }
    }

    pub(super) fn match_line(
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
}
