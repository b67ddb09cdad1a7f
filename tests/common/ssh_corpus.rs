//! The `ssh -G` differential's corpus and oracle, shared by the core's
//! test (tests/ssh_parity.rs, no Nix) and the one path through Nix
//! (tests/ssh_config.rs).
#![allow(dead_code)]

use super::Gen;
use serde_json::{json, Map, Value};
use std::process::Command;

pub const HOSTS: &[&str] = &[
    "www",
    "db.example.com",
    "Bastion",
    "10.0.0.5",
    "web1.lan",
    "WWW",
];

/// Random configs from a small grammar: blocks under `Host` or `Match`
/// headers with random patterns, each setting a few options.
pub fn generated(n: usize) -> Vec<String> {
    const PATS: &[&str] = &[
        "www",
        "*",
        "w*",
        "*.example.com",
        "?????",
        "*.lan",
        "10.0.0.*",
        "WWW",
        "db*",
        "bastion",
    ];
    const HEADERS: &[&str] = &[
        "",
        "Host",
        "Match host",
        "Match originalhost",
        "Match user",
        "Match final host",
        "Match !host",
        "Match all",
        "Match canonical",
    ];
    const OPTS: &[&str] = &[
        "Port 2201",
        "Port 2202",
        "User u1",
        "User u2",
        "HostName web.lan",
        "HostName %h.example.com",
        "IdentityFile ~/.ssh/k1",
        "IdentityFile ~/.ssh/k2",
        "ProxyJump j1",
        "ProxyCommand nc %h %p",
        "StrictHostKeyChecking yes",
        "StrictHostKeyChecking accept-new",
        "UserKnownHostsFile ~/.ssh/kh1 ~/.ssh/kh2",
        "HostKeyAlias a1",
        "ControlPath ~/.ssh/cp-%C",
        "ControlMaster auto",
        "ServerAliveInterval 30",
        "ConnectTimeout 5",
        "ForwardAgent yes",
        "IdentitiesOnly yes",
        "CertificateFile ~/.ssh/c1",
        // The kinds real configs showed (issue #16).
        "HostName 10.1",
        "HostName 0x7f.1",
        "HostName FE80:0:0::1",
        "HostName web.lan # a comment",
        "ProxyJump none",
        "ProxyJump ssh://ops@gw.example.com:2200",
        "ProxyJump 10.0.0.9",
        "ProxyJump a@j1,j2:2222 # chain",
        "HostKeyAlias MixedCase",
        "ForwardAgent ~/.ssh/agent.sock",
        "Ciphers aes128-ctr,chacha20-poly1305@openssh.com",
        "KexAlgorithms +diffie-hellman-group14-sha1",
        "HostKeyAlgorithms ssh-ed25519*,rsa-sha2-*",
        "IdentityFile2 ~/.ssh/k3",
        "KeepAlive yes",
        "AddressFamily inet",
        "Compression yes",
    ];
    let mut g = Gen(0x73736863666721);
    (0..n)
        .map(|_| {
            let mut text = String::new();
            for _ in 0..(1 + g.below(5)) {
                let header = g.pick(HEADERS);
                let pats: Vec<&str> = (0..(1 + g.below(2))).map(|_| g.pick(PATS)).collect();
                match header {
                    "" => {}
                    "Host" => text.push_str(&format!("Host {}\n", pats.join(" "))),
                    "Match all" | "Match canonical" => text.push_str(&format!("{header}\n")),
                    "Match user" => text.push_str(&format!(
                        "Match user {}\n",
                        g.pick(&["root", "deploy", "u*", "!root,*"])
                    )),
                    h => text.push_str(&format!("{h} {}\n", pats.join(","))),
                }
                for _ in 0..(1 + g.below(3)) {
                    text.push_str(&format!("  {}\n", g.pick(OPTS)));
                }
            }
            text
        })
        .collect()
}

/// The corpus: hand-written cases for each rule, then generated ones;
/// `@DIR@` is the directory of included files.
pub fn corpus() -> Vec<String> {
    let mut v: Vec<String> = hand_written().into_iter().map(String::from).collect();
    v.extend(generated(40));
    v
}

pub fn hand_written() -> Vec<&'static str> {
    vec![
        "",
        "Host www\n  Port 2222\n",
        "Host www\n  Port 2222\nHost *\n  Port 22\n  User admin\n",
        "Host *\n  Port 2200\nHost www\n  Port 2222\n",
        "Port 1111\nHost www\n  Port 2222\n",
        "Host *.example.com\n  User dba\n  HostName %h.internal\n",
        "Host www db.example.com\n  HostName 192.0.2.1\n",
        "Host * !www\n  User notwww\n",
        "Host !www *\n  User notwww2\n",
        "Host ?????\n  User five\n",
        "Host w*\n  IdentityFile ~/.ssh/w\nHost *\n  IdentityFile ~/.ssh/all\n  IdentityFile ~/.ssh/w\n",
        "Host *\n  IdentityFile ~/.ssh/id_%h_%r\n  IdentitiesOnly yes\n",
        "Host www\n  ProxyJump bastion\n  ProxyCommand nc %h %p\n",
        "Host www\n  ProxyCommand ssh -W %h:%p bastion\nHost *\n  ProxyJump other\n",
        "Host *\n  ProxyJump u@j1:2200,j2\n",
        "Host *\n  ProxyJump none\n",
        "Host *\n  StrictHostKeyChecking yes\n",
        "Host *\n  StrictHostKeyChecking accept-new\n",
        "Host *\n  StrictHostKeyChecking off\n",
        "Host *\n  StrictHostKeyChecking maybe\n",
        "Host *\n  UserKnownHostsFile ~/.ssh/kh_%h %d/other_%p\n",
        "Host *\n  UserKnownHostsFile /a\nHost *\n  UserKnownHostsFile /b /c\n",
        "Host *\n  HostKeyAlias alias-%h\n  ControlPath ~/.ssh/cm-%C-%k\n",
        "Host *\n  ControlPath ~/.ssh/cm-%r@%h:%p-%n-%u-%l-%L-%i-%%\n  ControlMaster auto\n",
        "Host *\n  ControlPath none\n  ControlMaster yes\n",
        "Host *\n  ControlMaster autoask\n  ForwardAgent yes\n",
        "Host *\n  ServerAliveInterval 1m30s\n  ConnectTimeout 10\n",
        "Host *\n  ConnectTimeout none\n  ServerAliveInterval 2h\n",
        "Host *\n  CertificateFile ~/.ssh/c1\n  CertificateFile ~/.ssh/c2\n  CertificateFile ~/.ssh/c1\n",
        "host=www\n  port=2022\n  USER=eq\n",
        "Host \"www\"\n  User \"quoted user\"\n",
        "# comment\n\n   Host www # trailing\n  Port 2222 # port\n",
        "Host www\n  Bogus yes\n",
        "IgnoreUnknown Bog*\nHost www\n  Bogus yes\n  Port 2020\n",
        "Match all\n  Port 3333\n",
        "Match host www\n  User matched\n",
        "Match host *.example.com,!db.*\n  User x\nMatch host db.*\n  User db\n",
        "Match originalhost WWW\n  User orig\n",
        "Host www\n  HostName web.example.com\nMatch host web.example.com\n  User viahostname\n",
        "Match user root\n  Port 4444\n",
        "Match user deploy\n  Port 5555\n",
        "Match localuser root\n  IdentityFile ~/.ssh/local\n",
        "Match !host www\n  User notwww\n",
        "Match final host web.lan\n  User final\nHost www\n  HostName web.lan\n",
        "Match canonical\n  User canon\nMatch final\n  Port 6666\n",
        "Host www\n  HostName WEB.EXAMPLE.COM\nHost web.example.com\n  User lowered\nMatch final\n  Port 2\n",
        "Match exec true\n  User x\n",
        // An exec after a failed criterion is never run (readconf.c): both resolve.
        "Match host nowhere.invalid exec false\n  User skipped\nHost *\n  Port 2223\n",
        "Match host\n  User x\n",
        "Match all host www\n  User x\n",
        "Match\n",
        "Include @DIR@/inc1\nHost www\n  Port 1\n",
        "Host www\n  Include @DIR@/inc*\nHost *\n  User after\n",
        "Host db*\n  Include @DIR@/conf.d/*.conf\n",
        "Include @DIR@/missing*\nPort 7777\n",
        "Host www\n  HostName %h.%%.x\n",
        "Host www\n  HostName %r.x\n",
        "Host *\n  User %u\n  Port 0\n",
        "Host *\n  Port abc\n",
        "Host www\n  ProxyCommand \"quoted\" 'cmd' %h # not a comment?\n",
        "Host *\n  ControlPath /tmp/${HOME}x\n",
        "Host *\n  ForwardAgent /path/to/sock\n",
        "Host \"unterminated\n  Port 2\n",
        // Hostname canonicalisation: a DNS lookup only for a name with few
        // enough dots under CanonicalDomains, connecting directly.
        "CanonicalizeHostname yes\nCanonicalDomains example.com\nMatch canonical\n  User canon\n",
        "CanonicalizeHostname yes\nProxyJump gw\nMatch canonical\n  User c\n",
        "CanonicalizeHostname yes\nMatch canonical\n  Port 2424\n",
        "CanonicalizeHostname always\nCanonicalDomains example.com\nCanonicalizeMaxDots 0\n",
        "CanonicalizeHostname maybe\n",
        // Include globs are glob(3)'s: bracket expressions, escapes.
        "Include @DIR@/conf.d/[b].conf\n",
        "Include @DIR@/conf.d/[!a]*.conf\n",
        "Include @DIR@/conf.d/[^b].conf\n",
        "Include @DIR@/conf.d/[[:alpha:]].conf\n",
        "Include @DIR@/conf.d/[.]hidden.conf\nPort 3\n",
        "Include @DIR@/conf.d/.h*\n",
        "Include @DIR@/c[o]nf.d/b.conf\n",
        "Include @DIR@/conf.d/\\b.conf\n",
        // Proxy settings: the first of either wins as readconf.c decides.
        "ProxyCommand nc %h %p\nProxyJump j1\n",
        "ProxyJump none\nProxyJump j1\nProxyCommand x\n",
        "Host *\n  ProxyJump ssh://u%40x@gw.example.com.:2200/path\n",
        "Host *\n  ProxyJump [fe80::1]:22,10.0.0.9\n",
        "Host *\n  ProxyJump @bad\n",
        // Values ssh checks even where the block does not apply.
        "Host nowhere\n  Port 99999\nHost *\n  User u\n",
        "Host nowhere\n  MACs hmac-sha2-256,hmac-bogus\n",
        "Host nowhere\n  HostKeyAlgorithms ssh-ed448\n",
        "Host nowhere\n  ForwardAgent $1ok\n",
        "Host nowhere\n  ForwardAgent $bad-name\n",
        "Host *\n  User a b\n",
        "Host nowhere\n  ServerAliveCountMax -1\n",
        "Host *\n  ServerAliveCountMax -0\n  CanonicalizeMaxDots +2\n",
        "Host nowhere\n  ServerAliveCountMax 2147483648\n",
        "Host nowhere\n  Port -0\n",
        "Host *\n  ServerAliveCountMax +3\n  ConnectionAttempts 2\n",
        "Host nowhere\n  ConnectionAttempts 2x\n",
        "Host *\n  ControlPersist 10m\n  ForwardX11Timeout 1h\n",
        "Host nowhere\n  ControlPersist forever\n",
        "Host nowhere\n  ControlPersist YES\n",
        "Host *\n  LogLevel debug3\n",
        "Host nowhere\n  LogLevel LOUD\n",
        "Host nowhere\n  Compression YES\n",
        "Host nowhere\n  XAuthLocation /a /b\n",
        "Host *\n  PreferredAuthentications publickey,password\n  BindAddress 127.0.0.1\n",
        "Host nowhere\n  FingerprintHash sha3\n",
        "Host *\n  FingerprintHash MD5\n  EscapeChar ^A\n",
        "Host nowhere\n  EscapeChar ab\n",
        "Host *\n  EscapeChar none\n  StreamLocalBindMask 0177x\n",
        "Host nowhere\n  StreamLocalBindMask 0999\n",
        "Host *\n  AddKeysToAgent confirm 5m\n",
        "Host nowhere\n  AddKeysToAgent yes 5m\n",
        "Host *\n  AddKeysToAgent 1h\n",
        "Host nowhere\n  AddKeysToAgent sometimes\n",
        "Host nowhere\n  IdentityAgent\n",
        "Host *\n  UserKnownHostsFile none /x\n",
        "Host *\n  HostKeyAlias UPPER\n  UserKnownHostsFile /k/%k\n",
        "Host *\n  ForwardAgent ~/agent-%r.sock\n",
    ]
}

pub fn local() -> (String, String, String, u32) {
    let out = |c: &mut Command| {
        String::from_utf8(c.output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string()
    };
    let user = out(Command::new("id").arg("-un"));
    let uid: u32 = out(Command::new("id").arg("-u")).parse().unwrap();
    let home = out(Command::new("getent").args(["passwd", &user]))
        .split(':')
        .nth(5)
        .unwrap()
        .to_string();
    let hostname = out(&mut Command::new("hostname"));
    (user, home, hostname, uid)
}

/// `ssh -G`, as the builtin's JSON shape, or `None` when ssh refuses.
pub fn ssh_g(file: &std::path::Path, host: &str, user: Option<&str>) -> Option<Value> {
    let mut c = Command::new("ssh");
    c.arg("-G").arg("-F").arg(file);
    if let Some(u) = user {
        c.args(["-l", u]);
    }
    let out = c
        .arg(host)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("ssh (openssh-client)");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut m = Map::new();
    for k in ["identityfile", "certificatefile"] {
        m.insert(k.into(), json!([]));
    }
    for k in ["proxyjump", "proxycommand", "hostkeyalias", "controlpath"] {
        m.insert(k.into(), Value::Null);
    }
    for line in text.lines() {
        let Some((k, v)) = line.split_once(' ') else {
            continue;
        };
        let val = match k {
            "identityfile" | "certificatefile" => {
                m.get_mut(k).unwrap().as_array_mut().unwrap().push(json!(v));
                continue;
            }
            "port" | "serveraliveinterval" => json!(v.parse::<u64>().unwrap()),
            "connecttimeout" => {
                if v == "none" {
                    Value::Null
                } else {
                    json!(v.parse::<u64>().unwrap())
                }
            }
            "userknownhostsfile" => json!(v.split(' ').collect::<Vec<_>>()),
            "hostname"
            | "user"
            | "proxyjump"
            | "proxycommand"
            | "identitiesonly"
            | "stricthostkeychecking"
            | "hostkeyalias"
            | "forwardagent"
            | "controlpath"
            | "controlmaster" => json!(v),
            _ => continue,
        };
        m.insert(k.into(), val);
    }
    Some(Value::Object(m))
}

/// The hosts to resolve `config` for: [`HOSTS`] and every literal name
/// its `Host` lines give (no wildcard, no negation), at most 12 of them.
pub fn hosts_for(config: &str) -> Vec<String> {
    let mut v: Vec<String> = HOSTS.iter().map(|h| h.to_string()).collect();
    for line in config.lines() {
        let t = line.trim_start();
        let Some(kw) = t.split([' ', '\t', '=']).next() else {
            continue;
        };
        if !kw.eq_ignore_ascii_case("host") {
            continue;
        }
        for p in t[kw.len()..].split([' ', '\t', '=']) {
            let p = p.split('#').next().unwrap_or_default();
            if p.is_empty() || p.contains(['*', '?', '!', '"', '\'', '%']) || p.starts_with('-') {
                continue;
            }
            if !v.iter().any(|h| h == p) && v.len() < HOSTS.len() + 12 {
                v.push(p.to_string());
            }
        }
        if t.contains('#') {
            // A comment after the patterns ends them.
        }
    }
    v
}

/// The messages of jen's documented refusals (docs/builtins.md): it would
/// run a command, ask the DNS, read the environment, /etc/services or the
/// network interfaces.
pub fn documented(message: &str) -> bool {
    ["unsupported in evaluation", "is a service name"]
        .iter()
        .any(|d| message.contains(d))
}

/// The real-world corpus: tests/data/ssh-corpus/*.conf (their README says
/// what each is modelled on), by file name.
pub fn real_world() -> Vec<(String, String)> {
    let dir = super::project_root().join("tests/data/ssh-corpus");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The include files the hand-written configs name (`@DIR@/...`).
pub fn write_includes(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(dir.join("inc1"), "Host www\n  User inc1\n  Port 1001\n").unwrap();
    std::fs::write(dir.join("inc2"), "User inc2\nIdentityFile ~/.ssh/inc2\n").unwrap();
    std::fs::write(dir.join("conf.d/a.conf"), "User from-a\n").unwrap();
    std::fs::write(dir.join("conf.d/b.conf"), "User from-b\nPort 2020\n").unwrap();
    std::fs::write(dir.join("conf.d/.hidden.conf"), "Port 9\n").unwrap();
}
