//! Splitting ssh_config lines as OpenSSH 9.2 does (`readconf.c`,
//! `misc.c`): the keyword and the rest of the line, the rest into
//! arguments (`argv_split`), and the value parsers shared by the options
//! (`convtime`, yes/no flags).

/// Split a line's arguments as OpenSSH's `argv_split`: whitespace
/// separates, `"` and `'` quote, `\` escapes a quote, space or backslash,
/// an unquoted `#` at the start of a word ends the line.
pub fn argv_split(s: &str) -> std::result::Result<Vec<String>, &'static str> {
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
pub fn split_line(line: &str) -> Option<(String, String)> {
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

/// OpenSSH's `strtonum` (a decimal `strtoll` that must use the whole
/// string: leading blanks, an optional sign, digits) within `min..=max`,
/// which `atoi_err` (integer options) and `a2port` (ports) use.
pub fn strtonum(s: &str, min: i64, max: i64) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    let v = if negative { -v } else { v };
    (min..=max).contains(&v).then_some(v)
}

/// OpenSSH's `convtime`: `90`, `1m30s`, `2h`, `1w`.
pub fn convtime(s: &str) -> Option<u64> {
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

pub fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
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
    fn numbers_as_strtonum() {
        assert_eq!(strtonum("22", 0, 65535), Some(22));
        assert_eq!(strtonum(" +022", 0, 65535), Some(22));
        assert_eq!(strtonum("-0", 0, 10), Some(0));
        assert_eq!(strtonum("-1", 0, 10), None);
        assert_eq!(strtonum("2147483648", 0, i32::MAX.into()), None);
        assert_eq!(strtonum("99999999999999999999999", 0, 10), None);
        assert_eq!(strtonum("2x", 0, 10), None);
        assert_eq!(strtonum("", 0, 10), None);
    }

    #[test]
    fn times() {
        assert_eq!(convtime("90"), Some(90));
        assert_eq!(convtime("1m30s"), Some(90));
        assert_eq!(convtime("1w"), Some(604800));
        assert_eq!(convtime("x"), None);
    }
}
