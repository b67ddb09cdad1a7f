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
//! network, and is written as the nested set of attributes to add: as a
//! tree anchored to the network's ([`Additions::to_tree`]), which is what
//! `builtins.jen.validateNetwork` sends back for the shim to merge into the
//! original Nix value, or as JSON for the CLI, without a
//! `serde_json::Value` in between.

use crate::tree::{Node, TreeBuf};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// Everything a network lacks; see the module doc. Beside each name, the
/// set of the network it adds to, when there is one: the anchors of
/// [`Additions::to_tree`].
#[derive(Debug, Default)]
pub struct Additions<'a> {
    network: Option<Node<'a>>,
    machines: Vec<(&'a str, Node<'a>, MachineAdditions<'a>)>,
}

#[derive(Debug, Default)]
struct MachineAdditions<'a> {
    ssh: Option<SshAdditions>,
    /// `Some(empty)` adds `sites = { }` to a machine without sites.
    sites: Option<Vec<(&'a str, Node<'a>, SiteAdditions)>>,
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
    let mut out = Additions {
        network: network.is_set().then_some(network),
        ..Additions::default()
    };
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
                        (s != SiteAdditions::default()).then_some((domain, site, s))
                    })
                    .collect();
                if !adds.is_empty() {
                    m.sites = Some(adds);
                }
            }
            Some(_) => {}
        }
        if m.ssh.is_some() || m.sites.is_some() {
            out.machines.push((name, machine, m));
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

    /// The additions as a tree (what the shim merges): the nested set of
    /// attributes to add, whose sets are anchored to the network's (their
    /// mark is 1 + the index of the set of the network's tree they add to;
    /// 0 for a new set). The shim rebuilds each anchored set from the Nix
    /// value it wrote that node from, without looking a name up.
    pub fn to_tree(&self) -> TreeBuf {
        // About what a machine with three sites adds, so that the buffers
        // grow once or twice rather than twenty times.
        let mut b = TreeBuf::with_capacity(64 * self.machines.len(), 64 * self.machines.len());
        self.write(&mut b);
        b
    }

    /// Append the tree of [`Additions::to_tree`] to `b`, as a value.
    pub fn write(&self, b: &mut TreeBuf) {
        let root = b.begin_set(usize::from(!self.machines.is_empty()), anchor(self.network));
        if !self.machines.is_empty() {
            b.key(root, 0, "machines");
            let set = b.begin_set(
                self.machines.len(),
                anchor(self.network.and_then(|n| n.get("machines"))),
            );
            for (k, (name, machine, m)) in self.machines.iter().enumerate() {
                b.key(set, k, name);
                m.write(b, *machine);
            }
            b.end(set);
        }
        b.end(root);
    }
}

/// The attribute `name` of `v`, when it is a set.
fn set_at<'t>(v: Node<'t>, name: &str) -> Option<Node<'t>> {
    v.get(name).filter(|s| s.is_set())
}

/// The mark of a set that adds to `to`.
fn anchor(to: Option<Node<'_>>) -> u64 {
    to.map_or(0, |n| n.index() as u64 + 1)
}

/// Writes one value.
type Write<'f> = &'f dyn Fn(&mut TreeBuf);

/// An added set of the attributes whose flag is set, given in ascending
/// order of their names.
fn write_set(b: &mut TreeBuf, mark: u64, attrs: &[(bool, &str, Write)]) {
    let set = b.begin_set(attrs.iter().filter(|a| a.0).count(), mark);
    for (k, (_, name, value)) in attrs.iter().filter(|a| a.0).enumerate() {
        b.key(set, k, name);
        value(b);
    }
    b.end(set);
}

fn empty_list(b: &mut TreeBuf) {
    let l = b.begin_list();
    b.end(l);
}

impl MachineAdditions<'_> {
    fn write(&self, b: &mut TreeBuf, machine: Node<'_>) {
        let sites = |b: &mut TreeBuf| {
            let sites = self.sites.as_deref().unwrap_or_default();
            let set = b.begin_set(sites.len(), anchor(set_at(machine, "sites")));
            for (k, (domain, site, adds)) in sites.iter().enumerate() {
                b.key(set, k, domain);
                adds.write(b, *site);
            }
            b.end(set);
        };
        let ssh = |b: &mut TreeBuf| {
            if let Some(ssh) = &self.ssh {
                ssh.write(b, anchor(set_at(machine, "ssh")));
            }
        };
        write_set(
            b,
            anchor(Some(machine)),
            &[
                (self.sites.is_some(), "sites", &sites),
                (self.ssh.is_some(), "ssh", &ssh),
            ],
        );
    }
}

impl SshAdditions {
    fn write(&self, b: &mut TreeBuf, mark: u64) {
        write_set(
            b,
            mark,
            &[
                (self.authorized_keys, "authorizedKeys", &empty_list),
                (self.port, "port", &|b| b.push_int(22)),
                (self.user, "user", &|b| b.push_string("root")),
            ],
        );
    }
}

impl SiteAdditions {
    fn write(&self, b: &mut TreeBuf, site: Node<'_>) {
        let backend =
            |b: &mut TreeBuf| write_set(b, 0, &[(true, "type", &|b| b.push_string("static"))]);
        let state = |b: &mut TreeBuf| b.push_string(self.state.as_deref().unwrap_or_default());
        let point =
            |b: &mut TreeBuf| b.push_string(self.mount_point.as_deref().unwrap_or_default());
        write_set(
            b,
            anchor(Some(site)),
            &[
                (self.aliases, "aliases", &empty_list),
                (self.backend, "backend", &backend),
                (self.dynamic, "dynamic", &empty_list),
                (self.mount_point.is_some(), "mountPoint", &point),
                (self.owner, "owner", &|b| b.push_string("root")),
                (self.redirects, "redirects", &empty_list),
                (self.state.is_some(), "state", &state),
                (self.writable, "writable", &|b| b.push_bool(false)),
            ],
        );
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

/// A list of named additions as a JSON object.
struct Entries<'e, 'a, T>(&'e [(&'a str, Node<'a>, T)]);

impl<T: Serialize> Serialize for Entries<'_, '_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, _, v) in self.0 {
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
        for n in [
            n.clone(),
            json!({"machines": {"m": {"provider": {"type": "none"}}}}),
            json!({"machines": {"m": {"ssh": {"user": "u"}, "sites": {"a.com": {"writable": true}, "b.com": {}}}}}),
        ] {
            of_value(&n, |n| {
                let adds = additions(n);
                let tree = adds.to_tree();
                let tree = tree.tree().unwrap();
                assert_eq!(tree.root().to_value(), adds.to_value());
                // Every added set that adds to one of the network's is
                // anchored to that set, and only those.
                let mut pairs = vec![(tree.root(), Some(n))];
                while let Some((added, orig)) = pairs.pop() {
                    assert_eq!(added.mark(), orig.map_or(0, |o| o.index() as u64 + 1));
                    for (k, v) in added.members().filter(|(_, v)| v.is_set()) {
                        pairs.push((v, orig.and_then(|o| o.get(k)).filter(|o| o.is_set())));
                    }
                }
            });
        }
        let full = of_value(&n, with_defaults);
        of_value(&full, |full| {
            assert!(additions(full).is_empty(), "{full:?}");
            assert_eq!(additions(full).to_json(), "{}");
        });
    }
}
