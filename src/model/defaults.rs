//! The defaults of the jen data model, as what a network lacks.
//!
//! Filled in: `ssh.user = "root"`, `ssh.port = 22`,
//! `ssh.authorizedKeys = [ ]` (also for a machine without `ssh`); per site
//! `aliases`, `redirects`, `dynamic` `= [ ]`, `backend = { type = "static"; }`,
//! `writable = false`; per writable site `state = "/var/<domain>"`,
//! `mountPoint = "/www/<domain>"`, `owner = "root"`; `sites = { }` for a
//! machine without sites. A default never replaces a value the network has.
//!
//! [`Additions`] holds only what is missing, borrowing names from the
//! network, and serialises to the nested set of attributes to add: that is
//! what `builtins.jen.validateNetwork` sends back for the shim to merge into
//! the original Nix value. It is written straight to JSON text, without a
//! `serde_json::Value` tree in between, which at 10,000 machines took three
//! times as long (bench/README.md, round 4).

use crate::tree::Node;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// Everything a network lacks; see the module doc.
#[derive(Debug, Default)]
pub struct Additions<'a> {
    machines: Vec<(&'a str, MachineAdditions<'a>)>,
}

#[derive(Debug, Default)]
struct MachineAdditions<'a> {
    ssh: Option<SshAdditions>,
    /// `Some(empty)` adds `sites = { }` to a machine without sites.
    sites: Option<Vec<(&'a str, SiteAdditions)>>,
}

#[derive(Debug, Default, PartialEq)]
struct SshAdditions {
    user: bool,
    port: bool,
    authorized_keys: bool,
}

#[derive(Debug, Default, PartialEq)]
struct SiteAdditions {
    aliases: bool,
    redirects: bool,
    dynamic: bool,
    backend: bool,
    writable: bool,
    state: Option<String>,
    mount_point: Option<String>,
    owner: bool,
}

/// The additions `network` needs. Parts of the wrong type (a machine that
/// is not a set, say) get nothing: validation reports them.
pub fn additions(network: Node<'_>) -> Additions<'_> {
    let mut out = Additions::default();
    let Some(machines) = network.get("machines").filter(|m| m.is_set()) else {
        return out;
    };
    for (name, machine) in machines.members() {
        if !machine.is_set() {
            continue;
        }
        let mut m = MachineAdditions::default();
        let ssh = match machine.get("ssh") {
            None => Some(None),
            Some(o) if o.is_set() => Some(Some(o)),
            Some(_) => None,
        };
        if let Some(ssh) = ssh {
            let lacks = |k| ssh.is_none_or(|o: Node| o.get(k).is_none());
            let s = SshAdditions {
                user: lacks("user"),
                port: lacks("port"),
                authorized_keys: lacks("authorizedKeys"),
            };
            if s != SshAdditions::default() {
                m.ssh = Some(s);
            }
        }
        match machine.get("sites") {
            None => m.sites = Some(Vec::new()),
            Some(sites) if sites.is_set() => {
                let adds: Vec<_> = sites
                    .members()
                    .filter(|(_, site)| site.is_set())
                    .filter_map(|(domain, site)| {
                        let s = site_additions(domain, site);
                        (s != SiteAdditions::default()).then_some((domain, s))
                    })
                    .collect();
                if !adds.is_empty() {
                    m.sites = Some(adds);
                }
            }
            Some(_) => {}
        }
        if m.ssh.is_some() || m.sites.is_some() {
            out.machines.push((name, m));
        }
    }
    out
}

fn site_additions(domain: &str, site: Node<'_>) -> SiteAdditions {
    let lacks = |k| site.get(k).is_none();
    let writable = site.get("writable").and_then(Node::as_bool) == Some(true);
    SiteAdditions {
        aliases: lacks("aliases"),
        redirects: lacks("redirects"),
        dynamic: lacks("dynamic"),
        backend: lacks("backend"),
        writable: lacks("writable"),
        state: (writable && lacks("state")).then(|| format!("/var/{domain}")),
        mount_point: (writable && lacks("mountPoint")).then(|| format!("/www/{domain}")),
        owner: writable && lacks("owner"),
    }
}

impl Additions<'_> {
    /// Nothing to add?
    pub fn is_empty(&self) -> bool {
        self.machines.is_empty()
    }

    /// The additions as JSON text (the nested set of attributes to add).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("additions always serialise")
    }

    /// The additions as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("additions always serialise")
    }
}

/// `[ ]`.
struct EmptyList;

impl Serialize for EmptyList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_seq(Some(0))
            .and_then(serde::ser::SerializeSeq::end)
    }
}

/// `{ type = "static"; }`.
struct StaticBackend;

impl Serialize for StaticBackend {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("type", "static")?;
        m.end()
    }
}

/// A list of pairs as a JSON object.
struct Entries<'e, T>(&'e [(&'e str, T)]);

impl<T: Serialize> Serialize for Entries<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Additions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.machines.is_empty() {
            m.serialize_entry("machines", &Entries(&self.machines))?;
        }
        m.end()
    }
}

impl Serialize for MachineAdditions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(ssh) = &self.ssh {
            m.serialize_entry("ssh", ssh)?;
        }
        if let Some(sites) = &self.sites {
            m.serialize_entry("sites", &Entries(sites))?;
        }
        m.end()
    }
}

impl Serialize for SshAdditions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if self.user {
            m.serialize_entry("user", "root")?;
        }
        if self.port {
            m.serialize_entry("port", &22)?;
        }
        if self.authorized_keys {
            m.serialize_entry("authorizedKeys", &EmptyList)?;
        }
        m.end()
    }
}

impl Serialize for SiteAdditions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (add, key) in [
            (self.aliases, "aliases"),
            (self.redirects, "redirects"),
            (self.dynamic, "dynamic"),
        ] {
            if add {
                m.serialize_entry(key, &EmptyList)?;
            }
        }
        if self.backend {
            m.serialize_entry("backend", &StaticBackend)?;
        }
        if self.writable {
            m.serialize_entry("writable", &false)?;
        }
        if let Some(state) = &self.state {
            m.serialize_entry("state", state)?;
        }
        if let Some(point) = &self.mount_point {
            m.serialize_entry("mountPoint", point)?;
        }
        if self.owner {
            m.serialize_entry("owner", "root")?;
        }
        m.end()
    }
}

/// Merge the nested additions `patch` into `v`.
pub fn merge(v: &mut Value, patch: Value) {
    match (v, patch) {
        (Value::Object(o), Value::Object(p)) => {
            for (k, pv) in p {
                match o.get_mut(&k) {
                    Some(ov) => merge(ov, pv),
                    None => {
                        o.insert(k, pv);
                    }
                }
            }
        }
        (v, p) => *v = p,
    }
}

/// `network` with every default filled in.
pub fn with_defaults(network: Node<'_>) -> Value {
    let mut n = network.to_value();
    merge(&mut n, additions(network).to_value());
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::of_value;
    use serde_json::json;

    fn adds(n: &Value) -> Value {
        of_value(n, |n| additions(n).to_value())
    }

    #[test]
    fn a_bare_machine_gets_every_default() {
        let n = json!({"machines": {"m": {"provider": {"type": "none"}}}});
        assert_eq!(
            adds(&n),
            json!({"machines": {"m": {
                "ssh": {"user": "root", "port": 22, "authorizedKeys": []},
                "sites": {}
            }}})
        );
    }

    #[test]
    fn a_writable_site_gets_its_paths_and_owner_unless_it_has_them() {
        let n = json!({"machines": {"m": {"ssh": {"user": "u", "port": 1, "authorizedKeys": []}, "sites": {
            "a.com": {"writable": true},
            "b.com": {"writable": true, "state": "/srv/b", "owner": "b"},
            "c.com": {"aliases": [], "redirects": [], "dynamic": [], "backend": {"type": "proxy", "port": 1}, "writable": false}
        }}}});
        assert_eq!(
            adds(&n),
            json!({"machines": {"m": {"sites": {
                "a.com": {"aliases": [], "redirects": [], "dynamic": [], "backend": {"type": "static"},
                          "state": "/var/a.com", "mountPoint": "/www/a.com", "owner": "root"},
                "b.com": {"aliases": [], "redirects": [], "dynamic": [], "backend": {"type": "static"},
                          "mountPoint": "/www/b.com"}
            }}}})
        );
    }

    #[test]
    fn a_complete_network_needs_nothing_and_text_matches_value() {
        let n = json!({"machines": {"m": {"ssh": {}, "sites": {"a.com": {}}}, "x": 3, "y": {"sites": 4}}});
        of_value(&n, |n| {
            let adds = additions(n);
            let v: Value = serde_json::from_str(&adds.to_json()).unwrap();
            assert_eq!(v, adds.to_value());
        });
        let full = of_value(&n, with_defaults);
        of_value(&full, |full| {
            assert!(additions(full).is_empty(), "{full:?}");
            assert_eq!(additions(full).to_json(), "{}");
        });
    }
}
