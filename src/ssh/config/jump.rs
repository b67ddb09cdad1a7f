//! `ProxyJump` values as OpenSSH 9.2 reads them (`readconf.c`'s
//! `parse_jump`, `misc.c`'s `parse_ssh_uri` and `parse_user_host_port`)
//! and prints them (`ssh -G`'s `dump_client_config`).
//!
//! A value is a comma-separated chain of hops, each `[user@]host[:port]`
//! (an address in brackets) or `ssh://[user@]host[:port]`. Only the last
//! hop (the one next to the target) is parsed into user, host and port;
//! the hops before it are kept as written (`jump_extra`, handed on as
//! `-J`) and only checked. Everything from the first
//! `#` on is dropped, trailing blanks too.

/// A parsed `ProxyJump` chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Jump {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    /// The hops before the last, as written.
    pub extra: Option<String>,
}

impl Jump {
    /// The value as `ssh -G` prints it: `[extra,][user@][[host]][:port]`,
    /// the host in brackets when it looks numeric.
    pub fn shown(&self) -> String {
        let numeric =
            self.host.contains(':') || self.host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let mut s = String::new();
        if let Some(e) = &self.extra {
            s.push_str(e);
            s.push(',');
        }
        if let Some(u) = &self.user {
            s.push_str(u);
            s.push('@');
        }
        if numeric {
            s.push('[');
        }
        s.push_str(&self.host);
        if numeric {
            s.push(']');
        }
        if let Some(p) = self.port {
            s.push(':');
            s.push_str(&p.to_string());
        }
        s
    }
}

/// `a2port`: a decimal number 1-65535 (`strtonum`); service names are not
/// looked up (that reads the deploying machine's /etc/services), so they
/// are reported as such.
pub fn a2port(s: &str) -> Result<u16, String> {
    match super::tokens::strtonum(s, 0, 65535) {
        Some(p) if p > 0 => return Ok(p as u16),
        Some(_) => return Err(format!("bad port \"{s}\"")),
        None => {}
    }
    if s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "port \"{s}\" is a service name, which ssh looks up in the deploying machine's \
             /etc/services; write the port number"
        ));
    }
    Err(format!("bad port \"{s}\""))
}

/// `hpdelim2`: split the host (an address may be bracketed) from what
/// follows `:` or `/`. `None` when malformed.
fn hpdelim2(s: &str) -> Option<(&str, Option<(char, &str)>)> {
    let end = if s.starts_with('[') {
        s.find(']')? + 1
    } else {
        s.find([':', '/']).unwrap_or(s.len())
    };
    match s[end..].chars().next() {
        None => Some((s, None)),
        Some(c @ (':' | '/')) => Some((&s[..end], Some((c, &s[end + 1..])))),
        Some(_) => None,
    }
}

fn cleanhostname(h: &str) -> &str {
    if h.len() >= 2 && h.starts_with('[') && h.ends_with(']') {
        &h[1..h.len() - 1]
    } else {
        h
    }
}

/// `urldecode`: `+` is a space, `%XX` a byte (not NUL).
fn urldecode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                let v = u8::from_str_radix(hex, 16).ok().filter(|v| *v != 0)?;
                if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(v);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `valid_domain` (not lower-casing): letters, digits, `.-_`, starting
/// with a letter or digit, no `..`; a trailing `.` is dropped.
fn valid_domain(h: &str) -> Option<String> {
    let first = h.bytes().next()?;
    if !first.is_ascii_alphanumeric() || h.contains("..") {
        return None;
    }
    if !h
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
    {
        return None;
    }
    Some(h.strip_suffix('.').unwrap_or(h).to_string())
}

type Hop = (Option<String>, String, Option<u16>);

/// `parse_ssh_uri`: `Ok(None)` when `s` is no `ssh://` URI.
fn parse_ssh_uri(s: &str) -> Result<Option<Hop>, String> {
    let Some(rest) = s.strip_prefix("ssh://") else {
        return Ok(None);
    };
    let bad = || format!("invalid ssh:// URI \"{s}\"");
    let (user, rest) = match rest.find('@') {
        Some(at) => {
            let info = &rest[..at];
            let name = info.split(';').next().unwrap_or_default();
            if name.is_empty() {
                return Err(bad());
            }
            (Some(urldecode(name).ok_or_else(bad)?), &rest[at + 1..])
        }
        None => (None, rest),
    };
    let (host, after) = hpdelim2(rest).ok_or_else(bad)?;
    if host.is_empty() {
        return Err(bad());
    }
    let host = valid_domain(cleanhostname(host)).ok_or_else(bad)?;
    let mut port = None;
    if let Some((delim, tail)) = after {
        let mut path = tail;
        if delim == ':' && !tail.is_empty() {
            let (p, rest) = tail.split_once('/').unwrap_or((tail, ""));
            port = Some(a2port(p).map_err(|_| bad())?);
            path = rest;
        }
        // parse_ssh_uri: a path is not allowed.
        if !path.is_empty() {
            return Err(bad());
        }
    }
    Ok(Some((user, host, port)))
}

/// `parse_user_host_port`: `[user@]host[:port]`, the user up to the last
/// `@`.
fn parse_user_host_port(s: &str) -> Result<Hop, String> {
    let bad = || format!("invalid jump host \"{s}\"");
    let (user, rest) = match s.rfind('@') {
        Some(0) => return Err(bad()),
        Some(at) => (Some(s[..at].to_string()), &s[at + 1..]),
        None => (None, s),
    };
    let (host, after) = hpdelim2(rest).ok_or_else(bad)?;
    let port = match after {
        Some(('/', _)) => return Err(bad()),
        Some((_, p)) if !p.is_empty() => Some(a2port(p).map_err(|_| bad())?),
        _ => None,
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((user, cleanhostname(host).to_string(), port))
}

/// What a `ProxyJump` line says.
#[derive(Debug, Clone, PartialEq)]
pub enum JumpValue {
    /// `none`, exactly (case-insensitively): no jump, unless one was set.
    None,
    Hops(Jump),
}

/// Parse a `ProxyJump` argument (the rest of the line) as `parse_jump`
/// does for config files (syntax only, no host name checks).
pub fn parse(s: &str) -> Result<JumpValue, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(JumpValue::None);
    }
    let orig = s.split('#').next().unwrap_or_default().trim_end();
    let mut hops = orig.rsplit(',');
    let last = hops.next().unwrap_or_default();
    let hop = |h: &str| match parse_ssh_uri(h)? {
        Some(x) => Ok(x),
        None => parse_user_host_port(h),
    };
    let (user, host, port) = hop(last)?;
    for h in hops {
        hop(h)?;
    }
    Ok(JumpValue::Hops(Jump {
        user,
        host,
        port,
        extra: orig.rfind(',').map(|at| orig[..at].to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        match parse(s).unwrap() {
            JumpValue::None => "none".into(),
            JumpValue::Hops(j) => j.shown(),
        }
    }

    #[test]
    fn parses_and_prints_as_ssh_g() {
        // Each right-hand side is what `ssh -G` prints for the left.
        for (given, printed) in [
            ("bastion", "bastion"),
            ("me@bastion:2222", "me@bastion:2222"),
            ("10.0.0.1", "[10.0.0.1]"),
            ("[fe80::1]:22", "[fe80::1]:22"),
            (
                "ssh://me@bastion.example.com.:2200",
                "me@bastion.example.com:2200",
            ),
            ("a@one,b@two:23", "a@one,b@two:23"),
            ("bastion # the gateway", "bastion"),
            ("NONE", "none"),
            ("a@b@c", "a@b@c"),
        ] {
            assert_eq!(shown(given), printed, "{given}");
        }
        for bad in [
            "@h",
            "h:0",
            "h:x",
            "ssh://@h",
            "ssh://h:22/path",
            "one,@two",
            "h/x",
            "[h",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(a2port("22"), Ok(22));
        assert_eq!(a2port("+022"), Ok(22));
        assert!(a2port("0").is_err());
        assert!(a2port("65536").is_err());
        assert!(a2port("ssh").unwrap_err().contains("service name"));
        assert!(a2port("2.5").unwrap_err().contains("bad port"));
    }
}
