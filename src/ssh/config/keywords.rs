//! The keywords of OpenSSH 9.2's client configuration and the algorithm
//! names it checks lists against.
//!
//! [`KEYWORDS`] is `readconf.c`'s `keywords[]` table of Debian's
//! openssh 1:9.2p1-2+deb12u10 (`apt-get source openssh`, built with GSSAPI
//! and PKCS#11), keyword to opcode: aliases (`identityfile2`,
//! `keepalive`, `dsaauthentication`, ...) share their option's opcode;
//! `oDeprecated` ones are accepted with a warning, `oUnsupported` ones
//! accepted and ignored, `oIgnore` silently ignored. The algorithm lists
//! are what that ssh answers to `ssh -Q cipher`, `-Q mac`, `-Q kex` and
//! `-Q key-sig` (a unit test holds them equal where ssh is installed).

/// Keyword (lower case) to `readconf.c` opcode.
pub const KEYWORDS: &[(&str, &str)] = &[
    ("protocol", "oIgnore"),
    ("cipher", "oDeprecated"),
    ("fallbacktorsh", "oDeprecated"),
    ("globalknownhostsfile2", "oDeprecated"),
    ("rhostsauthentication", "oDeprecated"),
    ("useblacklistedkeys", "oDeprecated"),
    ("userknownhostsfile2", "oDeprecated"),
    ("useroaming", "oDeprecated"),
    ("usersh", "oDeprecated"),
    ("useprivilegedport", "oDeprecated"),
    ("afstokenpassing", "oUnsupported"),
    ("kerberosauthentication", "oUnsupported"),
    ("kerberostgtpassing", "oUnsupported"),
    ("rsaauthentication", "oUnsupported"),
    ("rhostsrsaauthentication", "oUnsupported"),
    ("compressionlevel", "oUnsupported"),
    ("gssapiauthentication", "oGssAuthentication"),
    ("gssapikeyexchange", "oGssKeyEx"),
    ("gssapidelegatecredentials", "oGssDelegateCreds"),
    ("gssapitrustdns", "oGssTrustDns"),
    ("gssapiclientidentity", "oGssClientIdentity"),
    ("gssapiserveridentity", "oGssServerIdentity"),
    ("gssapirenewalforcesrekey", "oGssRenewalRekey"),
    ("gssapikexalgorithms", "oGssKexAlgorithms"),
    ("pkcs11provider", "oPKCS11Provider"),
    ("smartcarddevice", "oPKCS11Provider"),
    ("forwardagent", "oForwardAgent"),
    ("forwardx11", "oForwardX11"),
    ("forwardx11trusted", "oForwardX11Trusted"),
    ("forwardx11timeout", "oForwardX11Timeout"),
    ("exitonforwardfailure", "oExitOnForwardFailure"),
    ("xauthlocation", "oXAuthLocation"),
    ("gatewayports", "oGatewayPorts"),
    ("passwordauthentication", "oPasswordAuthentication"),
    (
        "kbdinteractiveauthentication",
        "oKbdInteractiveAuthentication",
    ),
    ("kbdinteractivedevices", "oKbdInteractiveDevices"),
    (
        "challengeresponseauthentication",
        "oKbdInteractiveAuthentication",
    ),
    ("skeyauthentication", "oKbdInteractiveAuthentication"),
    ("tisauthentication", "oKbdInteractiveAuthentication"),
    ("pubkeyauthentication", "oPubkeyAuthentication"),
    ("dsaauthentication", "oPubkeyAuthentication"),
    ("hostbasedauthentication", "oHostbasedAuthentication"),
    ("identityfile", "oIdentityFile"),
    ("identityfile2", "oIdentityFile"),
    ("identitiesonly", "oIdentitiesOnly"),
    ("certificatefile", "oCertificateFile"),
    ("addkeystoagent", "oAddKeysToAgent"),
    ("identityagent", "oIdentityAgent"),
    ("hostname", "oHostname"),
    ("hostkeyalias", "oHostKeyAlias"),
    ("proxycommand", "oProxyCommand"),
    ("port", "oPort"),
    ("ciphers", "oCiphers"),
    ("macs", "oMacs"),
    ("remoteforward", "oRemoteForward"),
    ("localforward", "oLocalForward"),
    ("permitremoteopen", "oPermitRemoteOpen"),
    ("user", "oUser"),
    ("host", "oHost"),
    ("match", "oMatch"),
    ("escapechar", "oEscapeChar"),
    ("globalknownhostsfile", "oGlobalKnownHostsFile"),
    ("userknownhostsfile", "oUserKnownHostsFile"),
    ("connectionattempts", "oConnectionAttempts"),
    ("batchmode", "oBatchMode"),
    ("checkhostip", "oCheckHostIP"),
    ("stricthostkeychecking", "oStrictHostKeyChecking"),
    ("compression", "oCompression"),
    ("tcpkeepalive", "oTCPKeepAlive"),
    ("keepalive", "oTCPKeepAlive"),
    ("numberofpasswordprompts", "oNumberOfPasswordPrompts"),
    ("syslogfacility", "oLogFacility"),
    ("loglevel", "oLogLevel"),
    ("logverbose", "oLogVerbose"),
    ("dynamicforward", "oDynamicForward"),
    ("preferredauthentications", "oPreferredAuthentications"),
    ("hostkeyalgorithms", "oHostKeyAlgorithms"),
    ("casignaturealgorithms", "oCASignatureAlgorithms"),
    ("bindaddress", "oBindAddress"),
    ("bindinterface", "oBindInterface"),
    ("clearallforwardings", "oClearAllForwardings"),
    ("enablesshkeysign", "oEnableSSHKeysign"),
    ("verifyhostkeydns", "oVerifyHostKeyDNS"),
    (
        "nohostauthenticationforlocalhost",
        "oNoHostAuthenticationForLocalhost",
    ),
    ("rekeylimit", "oRekeyLimit"),
    ("connecttimeout", "oConnectTimeout"),
    ("addressfamily", "oAddressFamily"),
    ("serveraliveinterval", "oServerAliveInterval"),
    ("serveralivecountmax", "oServerAliveCountMax"),
    ("sendenv", "oSendEnv"),
    ("setenv", "oSetEnv"),
    ("controlpath", "oControlPath"),
    ("controlmaster", "oControlMaster"),
    ("controlpersist", "oControlPersist"),
    ("hashknownhosts", "oHashKnownHosts"),
    ("include", "oInclude"),
    ("tunnel", "oTunnel"),
    ("tunneldevice", "oTunnelDevice"),
    ("localcommand", "oLocalCommand"),
    ("permitlocalcommand", "oPermitLocalCommand"),
    ("remotecommand", "oRemoteCommand"),
    ("visualhostkey", "oVisualHostKey"),
    ("kexalgorithms", "oKexAlgorithms"),
    ("ipqos", "oIPQoS"),
    ("requesttty", "oRequestTTY"),
    ("sessiontype", "oSessionType"),
    ("stdinnull", "oStdinNull"),
    ("forkafterauthentication", "oForkAfterAuthentication"),
    ("proxyusefdpass", "oProxyUseFdpass"),
    ("canonicaldomains", "oCanonicalDomains"),
    ("canonicalizefallbacklocal", "oCanonicalizeFallbackLocal"),
    ("canonicalizehostname", "oCanonicalizeHostname"),
    ("canonicalizemaxdots", "oCanonicalizeMaxDots"),
    (
        "canonicalizepermittedcnames",
        "oCanonicalizePermittedCNAMEs",
    ),
    ("streamlocalbindmask", "oStreamLocalBindMask"),
    ("streamlocalbindunlink", "oStreamLocalBindUnlink"),
    ("revokedhostkeys", "oRevokedHostKeys"),
    ("fingerprinthash", "oFingerprintHash"),
    ("updatehostkeys", "oUpdateHostkeys"),
    (
        "hostbasedacceptedalgorithms",
        "oHostbasedAcceptedAlgorithms",
    ),
    ("hostbasedkeytypes", "oHostbasedAcceptedAlgorithms"),
    ("pubkeyacceptedalgorithms", "oPubkeyAcceptedAlgorithms"),
    ("pubkeyacceptedkeytypes", "oPubkeyAcceptedAlgorithms"),
    ("ignoreunknown", "oIgnoreUnknown"),
    ("proxyjump", "oProxyJump"),
    ("securitykeyprovider", "oSecurityKeyProvider"),
    ("knownhostscommand", "oKnownHostsCommand"),
    ("requiredrsasize", "oRequiredRSASize"),
    ("enableescapecommandline", "oEnableEscapeCommandline"),
    ("protocolkeepalives", "oProtocolKeepAlives"),
    ("setuptimeout", "oSetupTimeOut"),
];

/// The opcode of `keyword` (lower case), if OpenSSH knows it.
pub fn opcode(keyword: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .find(|(k, _)| *k == keyword)
        .map(|(_, o)| *o)
}

pub const CIPHERS: &[&str] = &[
    "3des-cbc",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
];

pub const MACS: &[&str] = &[
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
];

pub const KEX: &[&str] = &[
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group-exchange-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
];

/// Key and signature algorithm names (`sshkey.c`'s `keyimpls`).
pub const KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
];

/// How an algorithm list is checked (`ciphers_valid`, `mac_valid`,
/// `kex_names_valid`, `sshkey_names_valid2`).
#[derive(Clone, Copy)]
pub enum Algorithms {
    Ciphers,
    Macs,
    Kex,
    /// Key types; a name that is no key type may be a pattern matching one.
    Keys,
}

impl Algorithms {
    /// The list an opcode takes, if it takes one.
    pub fn of(opcode: &str) -> Option<Algorithms> {
        Some(match opcode {
            "oCiphers" => Algorithms::Ciphers,
            "oMacs" => Algorithms::Macs,
            "oKexAlgorithms" => Algorithms::Kex,
            "oHostKeyAlgorithms"
            | "oCASignatureAlgorithms"
            | "oPubkeyAcceptedAlgorithms"
            | "oHostbasedAcceptedAlgorithms" => Algorithms::Keys,
            _ => return None,
        })
    }

    /// Does OpenSSH accept `arg` for this list? A list starting with `-`
    /// (removals) is not checked; `+` and `^` are stripped first. As
    /// `strsep` does there, checking stops at the first empty name.
    pub fn accepts(self, arg: &str) -> bool {
        if arg.starts_with('-') {
            return true;
        }
        let list = arg.strip_prefix(['+', '^']).unwrap_or(arg);
        if list.is_empty() {
            return false;
        }
        for name in list.split(',') {
            if name.is_empty() {
                break;
            }
            let known = match self {
                Algorithms::Ciphers => CIPHERS.contains(&name),
                Algorithms::Macs => MACS.contains(&name),
                Algorithms::Kex => KEX.contains(&name),
                Algorithms::Keys => {
                    KEY_ALGORITHMS.contains(&name)
                        || KEY_ALGORITHMS.iter().any(|k| {
                            crate::ssh::pattern::match_list(k, name, false)
                                != crate::ssh::pattern::ListMatch::No
                        })
                }
            };
            if !known {
                return false;
            }
        }
        true
    }

    /// What ssh calls the list in its error.
    pub fn what(self) -> &'static str {
        match self {
            Algorithms::Ciphers => "Bad SSH2 cipher spec",
            Algorithms::Macs => "Bad SSH2 MAC spec",
            Algorithms::Kex => "Bad SSH2 KexAlgorithms",
            Algorithms::Keys => "Bad key types",
        }
    }
}

/// The values a multi-state option takes (`readconf.c`'s `multistate_*`
/// tables, compared case-insensitively), by opcode.
pub fn multistate(opcode: &str) -> Option<&'static [&'static str]> {
    const FLAG: &[&str] = &["true", "false", "yes", "no"];
    Some(match opcode {
        "oForwardX11"
        | "oForwardX11Trusted"
        | "oGatewayPorts"
        | "oExitOnForwardFailure"
        | "oPasswordAuthentication"
        | "oKbdInteractiveAuthentication"
        | "oHostbasedAuthentication"
        | "oGssAuthentication"
        | "oGssKeyEx"
        | "oGssDelegateCreds"
        | "oGssTrustDns"
        | "oGssRenewalRekey"
        | "oBatchMode"
        | "oCheckHostIP"
        | "oTCPKeepAlive"
        | "oNoHostAuthenticationForLocalhost"
        | "oClearAllForwardings"
        | "oEnableSSHKeysign"
        | "oIdentitiesOnly"
        | "oHashKnownHosts"
        | "oPermitLocalCommand"
        | "oVisualHostKey"
        | "oStdinNull"
        | "oForkAfterAuthentication"
        | "oProxyUseFdpass"
        | "oCanonicalizeFallbackLocal"
        | "oStreamLocalBindUnlink"
        | "oEnableEscapeCommandline" => FLAG,
        "oPubkeyAuthentication" => &["true", "false", "yes", "no", "unbound", "host-bound"],
        "oVerifyHostKeyDNS" | "oUpdateHostkeys" => &["true", "false", "yes", "no", "ask"],
        "oStrictHostKeyChecking" => &["true", "false", "yes", "no", "ask", "off", "accept-new"],
        "oCompression" => &["yes", "no"],
        "oAddressFamily" => &["inet", "inet6", "any"],
        "oControlMaster" => &["true", "yes", "false", "no", "auto", "ask", "autoask"],
        "oTunnel" => &["ethernet", "point-to-point", "true", "yes", "false", "no"],
        "oRequestTTY" => &["true", "yes", "false", "no", "force", "auto"],
        "oSessionType" => &["none", "subsystem", "default"],
        "oCanonicalizeHostname" => &["true", "false", "yes", "no", "always"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists are this machine's `ssh -Q` answers, where ssh is 9.2.
    #[test]
    fn algorithm_lists_are_ssh_q() {
        let Ok(v) = std::process::Command::new("ssh").arg("-V").output() else {
            eprintln!("SKIPPED: no ssh");
            return;
        };
        if !String::from_utf8_lossy(&v.stderr).starts_with("OpenSSH_9.2") {
            eprintln!("SKIPPED: ssh is not OpenSSH 9.2");
            return;
        }
        for (q, list) in [
            ("cipher", CIPHERS),
            ("mac", MACS),
            ("kex", KEX),
            ("key-sig", KEY_ALGORITHMS),
        ] {
            let out = std::process::Command::new("ssh")
                .args(["-Q", q])
                .output()
                .unwrap();
            let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect();
            assert_eq!(got, list, "ssh -Q {q}");
        }
    }

    #[test]
    fn lists_are_checked_as_openssh_does() {
        let c = Algorithms::Ciphers;
        assert!(c.accepts("aes128-ctr,aes256-gcm@openssh.com"));
        assert!(c.accepts("+aes128-cbc"));
        assert!(c.accepts("-nonsense"));
        assert!(c.accepts("aes128-ctr,,nonsense"));
        assert!(!c.accepts("aes128-ctr,blowfish-cbc"));
        assert!(!c.accepts("^"));
        assert!(Algorithms::Keys.accepts("ssh-ed25519*,rsa-sha2-*"));
        assert!(!Algorithms::Keys.accepts("ssh-ed448"));
        assert_eq!(opcode("identityfile2"), Some("oIdentityFile"));
        assert_eq!(opcode("keepalive"), Some("oTCPKeepAlive"));
        assert_eq!(opcode("nonsense"), None);
    }
}
