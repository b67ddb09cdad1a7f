//! The jen network data model (`nix/data-model.json`) and the rules a
//! schema cannot express, behind `builtins.jen.validateNetwork`.
//!
//! Rules, each reported with the attribute path of the offending value:
//!
//! - `unique-domain`: a domain, alias or redirect is served by one site of
//!   the whole network;
//! - `unique-proxy-port`: a proxy port is used by one backend per machine;
//! - `machine-reference`: `ssh.via` names another machine of the network,
//!   and jump chains do not loop;
//! - `unique-mount-point` / `unique-state-dir`: on a machine, at most one
//!   site per mount point and per state directory (after defaults).
//!
//! The defaults it fills in are in [`super::defaults`].

use super::attr_path::AttrPath;
pub use super::defaults::{additions, merge, with_defaults, Additions};
use super::schema::{compile, Options, Validator};
use super::validated;
use super::violation::{document_order, report, Source, Violation};
use crate::error::{Error, Result};
use crate::tree::{Kind, Node, TreeBuf};
use ahash::AHashMap as HashMap;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// The data model, as shipped in `nix/data-model.json`.
pub const DATA_MODEL: &str = include_str!("../../nix/data-model.json");

/// The data model as JSON.
pub fn data_model() -> Value {
    parsed_data_model().clone()
}

/// The data model as JSON, parsed once per process.
fn parsed_data_model() -> &'static Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str(DATA_MODEL)
            .expect("nix/data-model.json is valid JSON (checked by a test)")
    })
}

/// The sets among the attributes `name` of `v` (none when it has no such
/// set).
fn sets_under<'t>(v: Node<'t>, name: &str) -> impl Iterator<Item = (&'t str, Node<'t>)> {
    v.get(name)
        .into_iter()
        .flat_map(Node::members)
        .filter(|(_, m)| m.is_set())
}

fn machines(network: Node<'_>) -> impl Iterator<Item = (&str, Node<'_>)> {
    sets_under(network, "machines")
}

fn sites(machine: Node<'_>) -> impl Iterator<Item = (&str, Node<'_>)> {
    sets_under(machine, "sites")
}

fn strings(v: Option<Node<'_>>) -> impl Iterator<Item = (usize, &str)> {
    v.into_iter()
        .flat_map(Node::elements)
        .enumerate()
        .filter_map(|(i, s)| s.as_str().map(|s| (i, s)))
}

fn str_of<'t>(v: Node<'t>, name: &str) -> Option<&'t str> {
    v.get(name).and_then(Node::as_str)
}

fn is_writable(site: Node<'_>) -> bool {
    site.get("writable")
        .and_then(Node::as_bool)
        .unwrap_or(false)
}

/// The effective state directory and mount point of a writable site.
fn mount_paths(domain: &str, site: Node<'_>) -> (String, String) {
    let state = str_of(site, "state").map_or_else(|| format!("/var/{domain}"), str::to_string);
    let point = str_of(site, "mountPoint").map_or_else(|| format!("/www/{domain}"), str::to_string);
    (state, point)
}

/// Where a rule found something: a site of a machine, and a field inside
/// it. Kept as borrowed names and turned into an [`AttrPath`] only for a
/// violation, so that a valid network costs no path building.
#[derive(Clone, Copy)]
struct SiteLoc<'a> {
    machine: &'a str,
    site: &'a str,
    /// The field under the site, with a list index: `aliases[2]`,
    /// `backend.port`, `state`.
    field: Option<(&'static str, Option<usize>)>,
}

impl SiteLoc<'_> {
    fn path(&self) -> AttrPath {
        let mut p = AttrPath::root()
            .join("machines")
            .join(self.machine)
            .join("sites")
            .join(self.site);
        if let Some((field, index)) = self.field {
            for f in field.split('.') {
                p = p.join(f);
            }
            if let Some(i) = index {
                p = p.join(i);
            }
        }
        p
    }
}

/// `name` lowercased, without copying when it already is.
fn lowercase(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// unique-domain: `name` is served at `at`, unless an earlier place has it.
fn claim<'a>(
    names: &mut HashMap<Cow<'a, str>, SiteLoc<'a>>,
    out: &mut Vec<Violation>,
    name: &'a str,
    at: SiteLoc<'a>,
) {
    let key = lowercase(name);
    match names.get(&key) {
        Some(first) => out.push(
            Violation::rule(
                at.path(),
                "unique-domain",
                format!("the name \"{name}\" is already served by {}", first.path()),
            )
            .and(first.path()),
        ),
        None => {
            names.insert(key, at);
        }
    }
}

/// Violations of the cross-reference rules (the schema's are separate).
pub fn rule_violations(network: Node<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let site = |machine, site, field| SiteLoc {
        machine,
        site,
        field,
    };

    // unique-domain, across the whole network.
    let mut names: HashMap<Cow<str>, SiteLoc> = HashMap::with_capacity(
        machines(network)
            .map(|(_, m)| m.get("sites").map_or(0, Node::len))
            .sum(),
    );
    for (m, machine) in machines(network) {
        for (d, s) in sites(machine) {
            claim(&mut names, &mut out, d, site(m, d, None));
            for field in ["aliases", "redirects"] {
                for (i, a) in strings(s.get(field)) {
                    claim(&mut names, &mut out, a, site(m, d, Some((field, Some(i)))));
                }
            }
        }
    }

    // Per machine, cleared for each (their room is kept).
    let mut ports: HashMap<i64, SiteLoc> = HashMap::new();
    let mut points: HashMap<String, SiteLoc> = HashMap::new();
    let mut states: HashMap<String, SiteLoc> = HashMap::new();
    for (m, machine) in machines(network) {
        // unique-proxy-port, per machine.
        ports.clear();
        for (d, s) in sites(machine) {
            let Some(backend) = s.get("backend") else {
                continue;
            };
            if str_of(backend, "type") != Some("proxy") {
                continue;
            }
            if let Some(port) = backend.get("port").and_then(Node::as_i64) {
                let at = site(m, d, Some(("backend.port", None)));
                if let Some(first) = ports.get(&port) {
                    out.push(
                        Violation::rule(
                            at.path(),
                            "unique-proxy-port",
                            format!("port {port} is already the backend of {}", first.path()),
                        )
                        .and(first.path()),
                    );
                } else {
                    ports.insert(port, at);
                }
            }
        }

        // unique-mount-point and unique-state-dir, per machine.
        points.clear();
        states.clear();
        for (d, s) in sites(machine).filter(|(_, s)| is_writable(*s)) {
            let (state, point) = mount_paths(d, s);
            for (value, field, seen, rule) in [
                (point, "mountPoint", &mut points, "unique-mount-point"),
                (state, "state", &mut states, "unique-state-dir"),
            ] {
                // A default is the site's: its place is where the site is.
                let written = s.get(field).is_some();
                let at = site(m, d, written.then_some((field, None)));
                match seen.get(&value) {
                    Some(first) => {
                        let whose = match first.field {
                            Some(_) => first.path().to_string(),
                            None => format!("{} (its default)", first.path()),
                        };
                        out.push(
                            Violation::rule(
                                at.path(),
                                rule,
                                match written {
                                    true => format!("\"{value}\" is already the {field} of {whose}"),
                                    false => format!("its {field} \"{value}\" (by default) is already the {field} of {whose}"),
                                },
                            )
                            .and(first.path()),
                        )
                    }
                    None => {
                        seen.insert(value, at);
                    }
                }
            }
        }

        // machine-reference: ssh.via.
        if let Some(via) = machine.get("ssh").and_then(|s| str_of(s, "via")) {
            let at = AttrPath::root()
                .join("machines")
                .join(m)
                .join("ssh")
                .join("via");
            if via == m {
                out.push(Violation::rule(
                    at,
                    "machine-reference",
                    format!("machine \"{m}\" cannot jump through itself"),
                ));
            } else if network.get("machines").and_then(|ms| ms.get(via)).is_none() {
                out.push(Violation::rule(
                    at,
                    "machine-reference",
                    format!("there is no machine \"{via}\" in the network"),
                ));
            } else if let Some(cycle) = via_cycle(network, m) {
                let next = AttrPath::root()
                    .join("machines")
                    .join(via)
                    .join("ssh")
                    .join("via");
                out.push(
                    Violation::rule(
                        at,
                        "machine-reference",
                        format!("the jump hosts loop: {}", cycle.join(" → ")),
                    )
                    .and(next),
                );
            }
        }
    }
    out
}

/// The loop of `ssh.via` hops starting at `start`, if it comes back to it.
fn via_cycle(network: Node<'_>, start: &str) -> Option<Vec<String>> {
    let via = |m: &str| -> Option<String> {
        str_of(network.at(&["machines", m, "ssh"])?, "via").map(str::to_string)
    };
    let mut chain = vec![start.to_string()];
    let mut cur = start.to_string();
    while let Some(next) = via(&cur) {
        chain.push(next.clone());
        if next == start {
            return Some(chain);
        }
        if chain[..chain.len() - 1].contains(&next) {
            return None; // a loop elsewhere, reported at its own machines
        }
        cur = next;
    }
    None
}

/// Networks with at least this many machines are checked on two threads:
/// the data model on the caller's, the rules (and the defaults) on a
/// scoped second one. Below it a thread costs more than it saves.
const PARALLEL_FROM: usize = 2000;

/// `a()` and `b()`, on two threads when `parallel`. A panic in either
/// comes back as a panic of the caller (the bridge turns it into an
/// internal error).
fn join<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let b = s.spawn(b);
        let a = a();
        match b.join() {
            Ok(b) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Every violation of `network` (the data model's and the rules', in
/// document order), and what `also` computes meanwhile beside the rules.
fn check<'a, T: Send>(
    network: Node<'a>,
    also: impl FnOnce(Node<'a>) -> T + Send,
) -> Result<(Vec<Violation>, T)> {
    use crate::timing::phase;
    let validator = data_model_validator()?;
    let large = network
        .get("machines")
        .is_some_and(|m| m.len() >= PARALLEL_FROM);
    let (mut found, (rules, also)) = join(
        large,
        || {
            let _t = phase("network", "check the schema");
            super::words::violations(&validator, parsed_data_model(), network)
        },
        || {
            let mut rules = {
                let _t = phase("network", "check the rules");
                rule_violations(network)
            };
            {
                let _t = phase("network", "find floats");
                floats(network, &mut Vec::new(), &mut rules);
            }
            (rules, also(network))
        },
    );
    // A float where the schema reported something is the schema's.
    for v in rules {
        if v.keyword != WHOLE_NUMBER || !found.iter().any(|f| f.path == v.path) {
            found.push(v);
        }
    }
    // A name listed twice in one list is also served twice: unique-domain
    // says which and where, so the list's uniqueItems is the same fault.
    let served_twice: Vec<AttrPath> = found
        .iter()
        .filter(|v| v.keyword == "unique-domain")
        .map(|v| v.path.clone())
        .collect();
    found.retain(|v| {
        v.keyword != "uniqueItems" || !served_twice.iter().any(|p| p.0.starts_with(&v.path.0))
    });
    Ok((document_order(found), also))
}

const WHOLE_NUMBER: &str = "whole-number";

/// whole-number: every number of the data model is whole (ports, sizes),
/// and a Nix float such as `8080.0` passes JSON Schema's `integer` (the
/// same JSON number), then shows as `8080.000000` wherever Nix prints it.
/// So each float is a violation saying what to write ([`check`] leaves
/// out those where the schema reports something else).
fn floats<'a>(node: Node<'a>, at: &mut Vec<Step<'a>>, found: &mut Vec<Violation>) {
    match node.kind() {
        Kind::Float => {
            let f = node.as_float().unwrap_or_default();
            let instead = if f.fract() == 0.0 && f.abs() < 9.0e15 {
                format!("write {}", f as i64)
            } else {
                "write a whole number".to_string()
            };
            // The path is built only here: floats are rare, nodes many.
            let path = at.iter().fold(AttrPath::root(), |p, s| match *s {
                Step::Name(n) => p.join(n),
                Step::Index(i) => p.join(i),
            });
            found.push(Violation::rule(
                path,
                WHOLE_NUMBER,
                format!("{f:?} is a float, and the network's numbers are whole: {instead}"),
            ));
        }
        Kind::Set => {
            for (name, v) in node.members() {
                at.push(Step::Name(name));
                floats(v, at, found);
                at.pop();
            }
        }
        Kind::List => {
            for (i, v) in node.elements().enumerate() {
                at.push(Step::Index(i));
                floats(v, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

/// One step of the path [`floats`] walks.
enum Step<'a> {
    Name(&'a str),
    Index(usize),
}

/// [`check`], once per content: a network this process already found
/// valid (what `lib.plan` validated and then hands to `sshTargets`, or a
/// network validated twice) is not checked again ([`validated`]); only
/// `also` runs. A misuse error when `network` is not a set.
fn check_once<'a, T: Send>(
    network: Node<'a>,
    source: Source,
    also: impl FnOnce(Node<'a>) -> T + Send,
) -> Result<(Vec<Violation>, T)> {
    require_set(network)?;
    let digest = {
        let _t = crate::timing::phase("network", "digest it, to know it or remember it");
        validated::digest(network)
    };
    if validated::known(digest) {
        tracing::debug!("network: already found valid in this process; not checked again");
        return Ok((Vec::new(), also(network)));
    }
    let (mut found, also) = check(network, also)?;
    if found.is_empty() {
        validated::remember(digest);
    }
    source.locate(&mut found);
    Ok((found, also))
}

/// The defaults `network` lacks, timed.
fn find_additions(network: Node<'_>) -> Additions<'_> {
    let _t = crate::timing::phase("network", "find the defaults");
    additions(network)
}

/// The data model, compiled once per process.
fn data_model_validator() -> Result<Arc<Validator>> {
    static COMPILED: OnceLock<Arc<Validator>> = OnceLock::new();
    if let Some(v) = COMPILED.get() {
        return Ok(v.clone());
    }
    let _t = crate::timing::phase("network", "compile the data model");
    let v = compile(&data_model(), &Options::default())?;
    Ok(COMPILED.get_or_init(|| v).clone())
}

/// Every violation of `network`: the data model's and the rules'.
pub fn network_violations(network: Node<'_>) -> Result<Vec<Violation>> {
    Ok(check(network, |_| ())?.0)
}

/// The network with defaults, or one invalid-input error listing every
/// violation.
pub fn validate_network(network: Node<'_>, source: Source) -> Result<Value> {
    let adds = validate_network_additions(network, source)?.to_value();
    let mut n = network.to_value();
    merge(&mut n, adds);
    Ok(n)
}

/// [`validate_network`], returning only the defaults it adds (see
/// [`super::defaults`]). On a large network the defaults are found while
/// the data model is checked, and dropped if the network is invalid.
pub fn validate_network_additions<'a>(network: Node<'a>, source: Source) -> Result<Additions<'a>> {
    valid_once(network, source, find_additions)
}

/// Nothing, or one invalid-input error listing every violation of
/// `network` (a misuse error when it is not a set). Checked once per
/// content ([`validated`]).
pub fn assert_valid(network: Node<'_>, source: Source) -> Result<()> {
    valid_once(network, source, |_| ())
}

/// What `also` computes over `network` ([`check_once`]), or one
/// invalid-input error listing every violation.
fn valid_once<'a, T: Send>(
    network: Node<'a>,
    source: Source,
    also: impl FnOnce(Node<'a>) -> T + Send,
) -> Result<T> {
    let (found, also) = check_once(network, source, also)?;
    if found.is_empty() {
        Ok(also)
    } else {
        Err(invalid(&found))
    }
}

fn require_set(network: Node<'_>) -> Result<()> {
    if network.is_set() {
        Ok(())
    } else {
        Err(crate::args::expected(
            "the network",
            "a set",
            &network.to_value(),
        ))
    }
}

fn invalid(found: &[Violation]) -> Error {
    Error::invalid(report("the network is not valid", found))
}

/// `{ valid; errors; network; }`: the check without raising, for the CLI.
pub fn check_network(network: Node<'_>, source: Source) -> Result<Value> {
    let (found, _) = check_once(network, source, |_| ())?;
    Ok(json!({
        "valid": found.is_empty(),
        "errors": found.iter().map(Violation::to_json).collect::<Vec<_>>(),
        "network": if found.is_empty() { with_defaults(network) } else { Value::Null },
    }))
}

/// [`check_network`] as `builtins.jen.checkNetwork` answers it: a tree
/// whose `network`, when valid, is the defaults anchored to the argument
/// ([`Additions::write`]), so that the shim shares the network's own
/// values (and their string context) as `validateNetwork` does.
pub fn check_network_tree(network: Node<'_>, source: Source) -> Result<TreeBuf> {
    let (found, adds) = check_once(network, source, find_additions)?;
    let mut b = TreeBuf::default();
    let root = b.begin_set(3, 0);
    b.key(root, 0, "errors");
    let errors = b.begin_list();
    for v in &found {
        b.push_value(&v.to_json());
    }
    b.end(errors);
    b.key(root, 1, "network");
    if found.is_empty() {
        adds.write(&mut b);
    } else {
        b.push_null();
    }
    b.key(root, 2, "valid");
    b.push_bool(found.is_empty());
    b.end(root);
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::of_value;

    // The functions under test, over values.
    fn network_violations(n: &Value) -> Result<Vec<Violation>> {
        of_value(n, super::network_violations)
    }
    fn rule_violations(n: &Value) -> Vec<Violation> {
        of_value(n, super::rule_violations)
    }
    fn validate_network(n: &Value) -> Result<Value> {
        of_value(n, |n| super::validate_network(n, Source::json()))
    }
    fn validate_network_additions(n: &Value) -> Result<Value> {
        of_value(n, |n| {
            super::validate_network_additions(n, Source::json()).map(|a| a.to_value())
        })
    }
    fn with_defaults(n: &Value) -> Value {
        of_value(n, super::with_defaults)
    }
    fn needs_additions(n: &Value) -> bool {
        of_value(n, |n| !additions(n).is_empty())
    }

    fn valid() -> Value {
        json!({
            "name": "jekor",
            "tld": "lan",
            "machines": {
                "www": {
                    "provider": {"type": "hetzner", "mainIPv4": "46.4.72.243"},
                    "ssh": {"authorizedKeys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3b deploy"]},
                    "sites": {
                        "jekor.com": {"static": "/nix/store/00000000000000000000000000000000-jekor.com", "writable": true,
                                      "aliases": ["www.jekor.com"], "owner": "fsrest", "dynamic": ["comments/**"]},
                        "jekos.net": {"static": "/nix/store/00000000000000000000000000000000-jekos.net", "writable": true,
                                      "backend": {"type": "proxy", "port": 8001}},
                        "minjs.com": {"static": "/nix/store/00000000000000000000000000000000-minjs.com"},
                        "vocabulink.com": {"backend": {"type": "proxy", "port": 8002}, "redirects": ["vocabulink.net"]}
                    }
                },
                "bastion": {"provider": {"type": "none", "address": "10.1.2.3"}},
                "db": {"provider": {"type": "virtualbox"}, "ssh": {"via": "bastion", "port": 2222}}
            }
        })
    }

    #[test]
    fn additions_never_replace_and_are_complete_once_applied() {
        let mut n = valid();
        n["machines"]["www"]["sites"]["jekos.net"]["state"] = json!("/srv/jekos");
        let adds = validate_network_additions(&n).unwrap();
        let jekos = &adds["machines"]["www"]["sites"]["jekos.net"];
        assert_eq!(jekos["mountPoint"], json!("/www/jekos.net"), "{adds}");
        assert!(
            jekos.get("state").is_none() && jekos.get("backend").is_none(),
            "{adds}"
        );
        assert_eq!(
            adds["machines"]["db"]["ssh"],
            json!({"user": "root", "authorizedKeys": []})
        );
        assert!(!needs_additions(&with_defaults(&n)));
    }

    #[test]
    fn a_valid_network_round_trips_with_defaults_only() {
        let n = valid();
        let out = validate_network(&n).unwrap();
        let site = &out["machines"]["www"]["sites"]["jekor.com"];
        assert_eq!(site["state"], "/var/jekor.com");
        assert_eq!(site["mountPoint"], "/www/jekor.com");
        assert_eq!(site["owner"], "fsrest");
        assert_eq!(
            out["machines"]["db"]["ssh"],
            json!({"via": "bastion", "port": 2222, "user": "root", "authorizedKeys": []})
        );
        assert_eq!(
            out["machines"]["www"]["sites"]["minjs.com"]["writable"],
            json!(false)
        );
        assert!(out["machines"]["www"]["sites"]["minjs.com"]
            .get("state")
            .is_none());
        // Removing every default gives the input back.
        assert_eq!(with_defaults(&out), out);
        assert_eq!(out["name"], n["name"]);
        assert_eq!(out["tld"], n["tld"]);
    }

    #[test]
    fn every_fault_is_reported_at_once_with_its_path() {
        let mut n = valid();
        let www = &mut n["machines"]["www"];
        www["ssh"]["port"] = json!(70000); // schema: maximum
        www["sites"]["jekos.net"]["backend"]["port"] = json!(8002); // rule: proxy port (vocabulink.com, later, reuses it)
        www["sites"]["minjs.com"]["aliases"] = json!(["www.jekor.com"]); // rule: unique domain
        www["sites"]["jekor.com"]["state"] = json!("var/jekor"); // schema: absolute path
        www["sites"]["jekos.net"]["mountPoint"] = json!("/www/jekor.com"); // rule: mount point
        n["machines"]["db"]["ssh"]["via"] = json!("gateway"); // rule: machine reference
        n["machines"]["bastion"]["provider"] = json!({"type": "hetzner"}); // schema: mainIPv4 required
        n["machines"]["Bad_Name"] = json!({"provider": {"type": "none"}}); // schema: label
        let found = network_violations(&n).unwrap();
        let shown: Vec<String> = found
            .iter()
            .map(|v| format!("{} [{}]", v.path, v.keyword))
            .collect();
        for expected in [
            "machines.www.ssh.port [maximum]",
            "machines.www.sites.\"vocabulink.com\".backend.port [unique-proxy-port]",
            "machines.www.sites.\"minjs.com\".aliases[0] [unique-domain]",
            "machines.www.sites.\"jekor.com\".state [pattern]",
            "machines.www.sites.\"jekos.net\".mountPoint [unique-mount-point]",
            "machines.db.ssh.via [machine-reference]",
            "machines.bastion.provider [required]",
        ] {
            assert!(
                shown.iter().any(|s| s == expected),
                "missing {expected} in {shown:#?}"
            );
        }
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("machines [") || s.contains("Bad_Name")),
            "{shown:#?}"
        );
        let e = validate_network(&n).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Invalid);
        assert!(
            e.message.starts_with(&format!(
                "the network is not valid ({} violations):",
                found.len()
            )),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_sites_union_and_work_directory_are_checked() {
        let mut n = valid();
        let sites = &mut n["machines"]["www"]["sites"];
        sites["jekor.com"]["union"] = json!("overlayfs");
        sites["jekor.com"]["workDir"] = json!("/var/work/jekor.com");
        sites["jekos.net"]["union"] = json!("unionfs-fuse");
        assert_eq!(network_violations(&n).unwrap(), []);
        let sites = &mut n["machines"]["www"]["sites"];
        sites["jekor.com"]["union"] = json!("overlay"); // not one of the two
        sites["jekos.net"]["workDir"] = json!("/var/w"); // on unionfs-fuse
        sites["minjs.com"]["union"] = json!("overlayfs"); // not writable
        let shown: Vec<String> = network_violations(&n)
            .unwrap()
            .iter()
            .map(|v| format!("{} [{}]", v.path, v.keyword))
            .collect();
        assert_eq!(
            shown,
            [
                "machines.www.sites.\"jekor.com\".union [enum]",
                // Its workDir is only for overlayfs.
                "machines.www.sites.\"jekor.com\".union [const]",
                "machines.www.sites.\"jekos.net\".union [const]",
                "machines.www.sites.\"minjs.com\" [required]",
            ],
            "{shown:#?}"
        );
    }

    #[test]
    fn floats_are_refused_where_numbers_are_whole() {
        let mut n = valid();
        n["machines"]["www"]["sites"]["jekos.net"]["backend"]["port"] = json!(8080.0);
        n["machines"]["www"]["ssh"] = json!({"port": 22.5}); // the schema's: not whole
        n["name"] = json!(1.0); // the schema's: not a string
        let shown: Vec<String> = network_violations(&n)
            .unwrap()
            .iter()
            .map(|v| format!("{} [{}] {}", v.path, v.keyword, v.message))
            .collect();
        assert_eq!(
            shown,
            [
                "machines.www.sites.\"jekos.net\".backend.port [whole-number] 8080.0 is a float, and the network's numbers are whole: write 8080",
                "machines.www.ssh.port [type] 22.5 is a float, not a port: a whole number from 1 to 65535",
                "name [type] 1.0 is a float, not a DNS label: lower-case letters, digits and inner hyphens, at most 63 characters (e.g. \"www\")",
            ],
            "{shown:#?}"
        );
    }

    #[test]
    fn jump_host_loops_are_found() {
        let mut n = valid();
        n["machines"]["bastion"]["ssh"] = json!({"via": "db"});
        let found = rule_violations(&n);
        let msgs: Vec<_> = found.iter().map(|v| v.message.clone()).collect();
        assert!(
            msgs.iter()
                .any(|m| m == "the jump hosts loop: db → bastion → db"),
            "{msgs:?}"
        );
        n["machines"]["db"]["ssh"]["via"] = json!("db");
        let found = rule_violations(&n);
        assert!(found
            .iter()
            .any(|v| v.message.contains("cannot jump through itself")));
    }

    #[test]
    fn shared_state_dirs_are_found() {
        let mut n = valid();
        n["machines"]["www"]["sites"]["jekos.net"]["state"] = json!("/var/jekor.com");
        let found = rule_violations(&n);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].keyword, "unique-state-dir");
        assert_eq!(
            found[0].path.to_string(),
            "machines.www.sites.\"jekos.net\".state"
        );
    }

    #[test]
    fn a_large_network_checked_on_two_threads_reports_what_one_thread_does() {
        let mut n = valid();
        for i in 0..PARALLEL_FROM + 10 {
            n["machines"][format!("m{i}")] = json!({"provider": {"type": "none"}});
        }
        n["machines"]["m3"]["ssh"] = json!({"via": "nowhere"}); // rule
        n["machines"]["m501"]["ssh"] = json!({"port": 0}); // schema
        n["machines"]["m7"]["sites"] = json!({"www.jekor.com": {}}); // rule: unique-domain
        let found = network_violations(&n).unwrap();
        let validator = compile(&data_model(), &Options::default()).unwrap();
        let mut serial = of_value(&n, |n| {
            super::super::words::violations(&validator, parsed_data_model(), n)
        });
        serial.extend(rule_violations(&n));
        let serial = document_order(serial);
        let show = |v: &[Violation]| {
            v.iter()
                .map(|v| format!("{} [{}] {}", v.path, v.keyword, v.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&found), show(&serial));
        assert_eq!(found.len(), 3, "{:#?}", show(&found));
        let e = validate_network_additions(&n).unwrap_err();
        assert!(e.message.contains("(3 violations)"), "{}", e.message);
    }

    #[test]
    fn a_panic_on_the_second_thread_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| join(true, || 1, || -> u8 { panic!("second") }));
        assert!(r.is_err());
        assert_eq!(join(true, || 1, || 2), (1, 2));
        assert_eq!(join(false, || 1, || 2), (1, 2));
    }

    #[test]
    fn not_a_set_is_misuse() {
        assert_eq!(
            validate_network(&json!(42)).unwrap_err().kind,
            crate::ErrorKind::Misuse
        );
    }
}
