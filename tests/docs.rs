//! The manual stays in step with what it describes:
//!
//! - `docs/writing-a-network.md` lists every attribute of the data model
//!   (`nix/data-model.json`) with its type, default and meaning, in a
//!   table generated from the schema;
//! - `docs/builtins.md`'s reference is every builtin's `:doc` text, from
//!   the builtins' table;
//! - every relative link of the README and `docs/` names a file that
//!   exists, and the README stays a front page.
//!
//! A generated part that differs fails the test; `JEN_UPDATE_DOCS=1 cargo
//! test --test docs` rewrites it instead.

mod common;
use common::project_root;
use serde_json::Value;
use std::path::Path;

/// Replace what lies between `<!-- BEGIN {what}...-->` and
/// `<!-- END {what} -->` in `file` with `body`, or check that it is `body`.
fn generated(file: &str, what: &str, body: &str) {
    let path = project_root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = format!("<!-- BEGIN {what}");
    let end = format!("<!-- END {what} -->");
    let b = text
        .find(&begin)
        .unwrap_or_else(|| panic!("{file}: no {begin}"));
    let b = b + text[b..].find("-->").unwrap() + "-->".len();
    let e = text
        .find(&end)
        .unwrap_or_else(|| panic!("{file}: no {end}"));
    let current = &text[b..e];
    let wanted = format!("\n{body}");
    if current == wanted {
        return;
    }
    if std::env::var_os("JEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{}{wanted}{}", &text[..b], &text[e..])).unwrap();
        return;
    }
    panic!(
        "{file}: the {what} is out of step; JEN_UPDATE_DOCS=1 cargo test --test docs rewrites it"
    );
}

fn model() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(project_root().join("nix/data-model.json")).unwrap(),
    )
    .unwrap()
}

/// The `$defs` entry a `$ref` names.
fn def<'m>(model: &'m Value, s: &Value) -> Option<(&'m str, &'m Value)> {
    let name = s.get("$ref")?.as_str()?.strip_prefix("#/$defs/")?;
    let (k, v) = model["$defs"].as_object()?.get_key_value(name)?;
    Some((k.as_str(), v))
}

/// A subschema's type, in a Nix user's words.
fn type_of(model: &Value, s: &Value) -> String {
    if let Some((name, d)) = def(model, s) {
        return match name {
            "label" => "string: a DNS label".into(),
            "address" => "string: a host name or IP address".into(),
            "absolutePath" => "string: an absolute path".into(),
            "userName" => "string: a user name".into(),
            "port" => "integer, 1 to 65535".into(),
            "publicKey" => "string: an OpenSSH public key line".into(),
            _ => type_of(model, d),
        };
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return e
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" or ");
    }
    let base = match s.get("type").and_then(Value::as_str) {
        Some("string") => match s.get("format").and_then(Value::as_str) {
            Some("hostname") => "string: a domain name".to_string(),
            Some("ipv4") => "string: an IPv4 address".to_string(),
            _ => "string".to_string(),
        },
        Some("integer") => match s.get("minimum") {
            Some(m) => format!("integer, at least {m}"),
            None => "integer".into(),
        },
        Some("boolean") => "Boolean".into(),
        Some("object") => "set".into(),
        Some("array") => format!("list of {}", type_of(model, &s["items"])),
        Some(t) => t.to_string(),
        None => "any".into(),
    };
    base
}

/// A description split into its meaning and its default ("Default: X.").
fn meaning_and_default(s: &Value) -> (String, String) {
    let d = s
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match d.find("Default: ") {
        Some(i) => {
            let rest = &d[i + "Default: ".len()..];
            // The default runs to the end of its sentence.
            let end = rest.find(". ").map_or(rest.len(), |j| j + 1);
            let default = rest[..end].trim_end_matches('.').to_string();
            let meaning = format!("{}{}", &d[..i], &rest[end..]).trim().to_string();
            (meaning, default)
        }
        None => (d, String::new()),
    }
}

/// The rows of the attributes of the object schema `s`, under `at`.
fn rows(model: &Value, s: &Value, at: &str, when: &str, out: &mut Vec<String>) {
    let s = def(model, s).map_or(s, |(_, d)| d);
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, p) in props {
        let path = format!("{at}{name}");
        let target = def(model, p).map_or(p, |(_, d)| d);
        let (mut meaning, mut default) = meaning_and_default(p);
        if meaning.is_empty() {
            (meaning, default) = match meaning_and_default(target) {
                (m, d) if default.is_empty() => (m, d),
                (m, _) => (m, default),
            };
        }
        if required.contains(&name.as_str()) {
            default = "required".into();
        }
        let meaning = format!("{when}{meaning}");
        match (target.get("type").and_then(Value::as_str), name.as_str()) {
            // A set of named things: one row for the set, then its members.
            (Some("object"), "machines" | "sites") => {
                let member = if name == "machines" {
                    "<name>"
                } else {
                    "<domain>"
                };
                out.push(row(&path, "set", &default, &meaning));
                rows(
                    model,
                    &target["additionalProperties"],
                    &format!("{path}.{member}."),
                    "",
                    out,
                );
            }
            (Some("object"), _) => {
                out.push(row(&path, "set", &default, &meaning));
                rows(model, target, &format!("{path}."), "", out);
                // Attributes that depend on the set's `type`.
                for branch in target
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(t) = branch.pointer("/if/properties/type/const") else {
                        continue;
                    };
                    let mut then = branch["then"].clone();
                    if let Some(o) = then.get_mut("properties").and_then(Value::as_object_mut) {
                        o.remove("type");
                    }
                    rows(
                        model,
                        &then,
                        &format!("{path}."),
                        &format!("(with `type = {t}`) "),
                        out,
                    );
                }
            }
            _ => out.push(row(&path, &type_of(model, p), &default, &meaning)),
        }
    }
}

fn row(path: &str, ty: &str, default: &str, meaning: &str) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let default = if default.is_empty() {
        "-".to_string()
    } else {
        cell(default)
    };
    format!(
        "| `{}` | {} | {} | {} |",
        path,
        cell(ty),
        default,
        cell(meaning)
    )
}

#[test]
fn the_attribute_table_is_the_data_model() {
    let model = model();
    let mut out = vec![
        "| attribute | type | default | meaning |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    rows(&model, &model, "", "", &mut out);
    let body = out.join("\n") + "\n";
    // Every property of every definition has its row.
    for (name, d) in model["$defs"].as_object().unwrap() {
        for prop in d
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let needle = format!(".{}` |", prop.0);
            assert!(
                body.contains(&needle) || name == "provider" || name == "backend",
                "{name}.{} has no row",
                prop.0
            );
        }
    }
    generated("docs/writing-a-network.md", "data model", &body);
}

#[test]
fn the_builtins_reference_is_their_doc_text() {
    let mut body = String::new();
    for b in jen_builtins::builtins::all() {
        let args = b
            .args
            .iter()
            .map(|a| format!("*{a}*"))
            .collect::<Vec<_>>()
            .join(" ");
        body.push_str(&format!("### `builtins.jen.{}` {args}\n\n", b.name));
        // The doc text is indented in the source: drop the common indent.
        let lines: Vec<&str> = b.doc.trim_matches('\n').lines().collect();
        let indent = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        for l in lines {
            body.push_str(l.get(indent..).unwrap_or("").trim_end());
            body.push('\n');
        }
        body.push('\n');
    }
    generated("docs/builtins.md", "builtins reference", &body);
}

/// The relative links (`](x)`) of a Markdown file.
fn links(file: &Path) -> Vec<String> {
    // Outside code: fenced blocks and `inline code` dropped.
    let mut text = String::new();
    let mut fence = false;
    for l in std::fs::read_to_string(file).unwrap().lines() {
        if l.starts_with("```") {
            fence = !fence;
        } else if !fence {
            let mut code = false;
            for part in l.split('`') {
                if !code {
                    text.push_str(part);
                }
                code = !code;
            }
            text.push('\n');
        }
    }
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let Some(j) = rest.find(')') else { break };
        let target = &rest[..j];
        if !target.contains("://") && !target.starts_with('#') && !target.contains(' ') {
            out.push(target.split('#').next().unwrap().to_string());
        }
    }
    out
}

#[test]
fn every_link_of_the_manual_names_a_file_and_the_readme_is_a_front_page() {
    let root = project_root();
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        files.push(e.unwrap().path());
    }
    for f in &files {
        for l in links(f) {
            let target = f.parent().unwrap().join(&l);
            assert!(
                target.exists(),
                "{}: the link {l} names nothing",
                f.display()
            );
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let n = readme.lines().count();
    assert!(
        n <= 250,
        "README.md has {n} lines: the manual belongs in docs/"
    );
    // Every page of the manual is linked from the README.
    for f in files.iter().skip(1) {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            readme.contains(&format!("(docs/{name})")),
            "README.md does not link docs/{name}"
        );
    }
}

#[test]
fn the_docs_run_nix_through_the_project() {
    // A bare `nix` is not on a fresh machine's PATH (nor, with the
    // prefix's, are its experimental features on): commands the docs show
    // go through scripts/jen-nix.
    let root = project_root();
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let f = e.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut fence = false;
        for (i, l) in text.lines().enumerate() {
            if l.starts_with("```") {
                fence = l == "```sh";
                continue;
            }
            let cmd = l.trim_start().trim_start_matches("$ ");
            if fence && (cmd.starts_with("nix ") || cmd.starts_with("nix-instantiate ")) {
                panic!(
                    "{}:{}: `{cmd}`: run it as scripts/jen-nix ...",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}
