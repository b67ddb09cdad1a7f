//! Host names that are addresses, as `ssh` treats them (`ssh.c`'s
//! `is_addr` and `resolve_canonicalize`): an address is not lower-cased
//! but rewritten into the form `getnameinfo(NI_NUMERICHOST)` gives it
//! after `getaddrinfo(AI_NUMERICHOST)` parsed it. That changes `%h` and
//! the name looked up in known_hosts.
//!
//! glibc parses IPv4 with `inet_aton`'s forms (`10.1` is 10.0.0.1, `0x7f.1`
//! 127.0.0.1, `010.0.0.1` 8.0.0.1) and IPv6 with `inet_pton`, and prints
//! IPv6 compressed in lower case with an embedded IPv4 part where
//! `inet_ntop` puts one. Written here because the accepted forms must be
//! glibc's (Rust's `Ipv4Addr` parser takes only the dotted quad, and its
//! IPv6 printer differs for `::a.b.c.d`).

use std::net::Ipv6Addr;

/// `is_addr_fast`: a name that can only be an address.
pub fn looks_like_address(name: &str) -> bool {
    name.contains(['%', ':']) || name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// One `inet_aton` number: decimal, `0` octal or `0x` hex.
fn aton_part(p: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
        (h, 16)
    } else if p.len() > 1 && p.starts_with('0') {
        (&p[1..], 8)
    } else {
        (p, 10)
    };
    if digits.is_empty() {
        // "0" alone is decimal zero; "0x" has no digits.
        return (p == "0").then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix)
        .ok()
        .filter(|v| *v <= 0xffff_ffff)
}

/// `inet_aton` (exact: nothing may follow): one to four parts, the last
/// filling the remaining bytes.
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let vals: Vec<u64> = parts.iter().map(|p| aton_part(p)).collect::<Option<_>>()?;
    let (init, last) = vals.split_at(vals.len() - 1);
    if init.iter().any(|v| *v > 0xff) {
        return None;
    }
    let room = 8 * (4 - init.len());
    if room < 32 && last[0] >= 1u64 << room {
        return None;
    }
    let mut n: u64 = last[0];
    for (i, v) in init.iter().enumerate() {
        n |= v << (24 - 8 * i);
    }
    Some((n as u32).to_be_bytes())
}

/// `inet_ntop(AF_INET6)` as glibc writes it.
fn show_ipv6(a: &Ipv6Addr) -> String {
    let w = a.segments();
    // The longest run of two or more zero words (the first of equals).
    let (mut best, mut cur): ((usize, usize), Option<(usize, usize)>) = ((0, 0), None);
    for (i, x) in w.iter().enumerate() {
        if *x == 0 {
            let c = cur.map_or((i, 1), |(b, l)| (b, l + 1));
            cur = Some(c);
            if c.1 > best.1 {
                best = c;
            }
        } else {
            cur = None;
        }
    }
    let run = (best.1 >= 2).then_some(best);
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((b, l)) = run {
            if i == b {
                if i == 0 {
                    out.push(':');
                }
                out.push(':');
                i += l;
                continue;
            }
        }
        // An embedded IPv4 address: ::a.b.c.d and ::ffff:a.b.c.d.
        if i == 6 && run.is_some_and(|(b, l)| b == 0 && (l == 6 || (l == 5 && w[5] == 0xffff))) {
            let o = a.octets();
            out.push_str(&format!("{}.{}.{}.{}", o[12], o[13], o[14], o[15]));
            break;
        }
        out.push_str(&format!("{:x}", w[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// What ssh makes of a host name that is an address, `family` being
/// `AddressFamily` (`inet`, `inet6`, or any):
/// - `Ok(Some(canonical))`: an address, in ssh's form;
/// - `Ok(None)`: not an address (lower-cased by the caller, as ssh does),
///   or one `looks_like_address` but that does not parse, which ssh
///   keeps exactly as written (the caller checks `looks_like_address`);
/// - `Err`: a scoped IPv6 address (`%` zone), whose form depends on this
///   machine's network interfaces.
pub fn canonical(name: &str, family: Option<&str>) -> Result<Option<String>, String> {
    if name.contains('%') && name.contains(':') {
        return Err(format!(
            "\"{name}\": a scoped address's form depends on the deploying machine's network \
             interfaces and is unsupported in evaluation"
        ));
    }
    if family != Some("inet6") {
        if let Some(o) = parse_ipv4(name) {
            return Ok(Some(format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])));
        }
    }
    if family != Some("inet") {
        if let Ok(a) = name.parse::<Ipv6Addr>() {
            return Ok(Some(show_ipv6(&a)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_forms_as_glibc() {
        for (given, canon) in [
            ("10.0.0.5", "10.0.0.5"),
            ("10.1", "10.0.0.1"),
            ("10.1.2", "10.1.0.2"),
            ("167772161", "10.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("010.0.0.1", "8.0.0.1"),
            ("0", "0.0.0.0"),
            ("1.2.3.0x4", "1.2.3.4"),
        ] {
            assert_eq!(
                canonical(given, None),
                Ok(Some(canon.to_string())),
                "{given}"
            );
        }
        for not in [
            "1.2.3.4.5",
            "256.0.0.1",
            "1..2",
            "08.0.0.1",
            "0x",
            "1.2.3.",
            "a.b",
        ] {
            assert_eq!(canonical(not, None), Ok(None), "{not}");
        }
        assert_eq!(canonical("10.1", Some("inet6")), Ok(None));
    }

    #[test]
    fn ipv6_as_inet_ntop() {
        for (given, canon) in [
            ("FE80:0:0:0:0:0:0:1", "fe80::1"),
            ("::1", "::1"),
            ("::", "::"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
            ("::10.0.0.1", "::10.0.0.1"),
            ("0:0:0:0:0:1:0:0", "::1:0:0"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ] {
            assert_eq!(
                canonical(given, None),
                Ok(Some(canon.to_string())),
                "{given}"
            );
        }
        assert!(canonical("fe80::1%eth0", None).is_err());
        assert_eq!(canonical("::1", Some("inet")), Ok(None));
    }
}
