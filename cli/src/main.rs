//! `jen`: the builtins' checks from the command line, over JSON files.
//!
//! Every subcommand calls the same core function as the Nix builtin of the
//! same name (through the same table), reading files from the local file
//! system, so answers and messages are the ones Nix users see.
//!
//! Exit status: 0 valid, 1 invalid input, 2 usage or I/O error.

mod provider;

use clap::{Parser, Subcommand};
use jen_builtins::host::FsHost;
use jen_builtins::ErrorKind;
use jen_builtins::{builtin, builtins};
use serde_json::{json, Value};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "jen",
    version,
    about = "Check jen networks, schemas and state paths from JSON files"
)]
#[command(after_help = "Examples:
  jen validate --schema nix/data-model.json network.json
  jen check-network network.json
  jen ssh-targets --ssh-config ~/.ssh/config --known-hosts ~/.ssh/known_hosts network.json
  jen check-state mounts.json
  jen masking --static /nix/store/...-jekor.com /var/jekor.com   (--union unionfs-fuse)
  nix eval --json -f examples/jen network | jen check-network -
  jen nixops4-provider   (started by nixops4; JSON lines on stdin/stdout)

FILE may be - for standard input. Exit status: 0 valid, 1 invalid, 2 usage or I/O error.")]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a JSON value against a JSON Schema (2020-12; formats asserted).
    Validate {
        /// The schema, a JSON file.
        #[arg(long)]
        schema: String,
        /// The value, a JSON file.
        file: String,
    },
    /// Check a jen network against the data model and its rules.
    CheckNetwork { file: String },
    /// Resolve every machine's SSH target, as builtins.jen.sshTargets does.
    SshTargets {
        #[arg(long)]
        ssh_config: Option<String>,
        #[arg(long)]
        known_hosts: Vec<String>,
        file: String,
    },
    /// Check union-mount layouts: a JSON file { "mounts": [...], "storeDir"?: ... }.
    CheckState { file: String },
    /// List the static files a union mount's writable branch hides: files
    /// at a static file's path, whiteouts of static files (unionfs-fuse's
    /// `.unionfs-fuse/*_HIDDEN~`, overlayfs's 0/0 devices and
    /// `trusted.overlay.whiteout` files) and overlayfs's opaque
    /// directories. Exit status 1 when any is hidden, 2 when the branch
    /// was written through the other union. Each mount unit runs it as it
    /// starts (as root: overlayfs's attributes are root's to read).
    Masking {
        /// The read-only branch (the site's store path).
        #[arg(long = "static")]
        static_: String,
        /// The union the branch is mounted with: overlayfs (the default)
        /// or unionfs-fuse.
        #[arg(long, default_value = "overlayfs")]
        union: jen_builtins::state::union::Union,
        /// The writable branch (the state directory).
        state: String,
    },
    /// Serve the NixOps4 resource provider protocol (v0) on stdin/stdout:
    /// resource types ssh_target and state_dirs. Logs go to stderr
    /// (JEN_LOG=debug for more).
    Nixops4Provider,
}

/// `println!` that ends the program quietly when standard output is
/// closed (`jen ... | head`), instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(2);
            }
            eprintln!("jen: writing standard output: {e}");
            std::process::exit(2);
        }
    }};
}

fn read_json(file: &str) -> Result<Value, String> {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("reading standard input: {e}"))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{file} is not JSON: {e}"))
}

fn absolute(p: &str) -> Result<String, String> {
    std::path::absolute(p)
        .map(|p| p.display().to_string())
        .map_err(|e| format!("{p}: {e}"))
}

fn path_arg(p: &str) -> Result<Value, String> {
    Ok(json!({ "$path": absolute(p)? }))
}

/// Print a check's `{ valid; errors; }` and give its exit code.
fn report_check(out: &Value, json_out: bool, what: &str) -> ExitCode {
    let valid = out["valid"].as_bool().unwrap_or(false);
    if json_out {
        out!("{}", serde_json::to_string_pretty(out).unwrap_or_default());
    } else if valid {
        out!("{what}: valid");
    } else {
        let errors = out["errors"].as_array().cloned().unwrap_or_default();
        out!(
            "{what}: {} violation{}:",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        for e in errors {
            out!(
                "  {}: {}",
                e["attrPath"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            );
        }
    }
    ExitCode::from(if valid { 0 } else { 1 })
}

fn run(cli: &Cli) -> Result<ExitCode, (u8, String)> {
    let io = |e: String| (2u8, format!("jen: {e}"));
    let host = FsHost::default();
    let call = |name: &str, args: Vec<Value>| {
        let b = builtins::find(name).expect("builtin in the table");
        builtin::call(b, &host, &args).map_err(|e| {
            let code = if e.kind == ErrorKind::Invalid { 1 } else { 2 };
            (code, e.message)
        })
    };
    match &cli.command {
        Command::Nixops4Provider => {
            provider::serve(std::io::stdin().lock(), std::io::stdout().lock())
                .map_err(|e| io(format!("nixops4-provider: {e}")))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { schema, file } => {
            let out = call(
                "check",
                vec![path_arg(schema).map_err(io)?, read_json(file).map_err(io)?],
            )?;
            Ok(report_check(&out, cli.json, file))
        }
        Command::CheckNetwork { file } => {
            let out = call("checkNetwork", vec![read_json(file).map_err(io)?])?;
            Ok(report_check(&out, cli.json, file))
        }
        Command::CheckState { file } => {
            let out = call("checkStatePaths", vec![read_json(file).map_err(io)?])?;
            if cli.json {
                out!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                out!("{file}: valid");
                out!("backup:  {}", join(&out["backup"]));
                out!("exclude: {}", join(&out["exclude"]));
                for w in out["warnings"].as_array().into_iter().flatten() {
                    out!("warning: {}", w.as_str().unwrap_or(""));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Masking {
            static_,
            state,
            union,
        } => {
            let found = jen_builtins::state::masking::find(
                std::path::Path::new(state),
                std::path::Path::new(static_),
                *union,
            )
            .map_err(|e| io(format!("masking: {state}: {e}")))?;
            if cli.json {
                let out =
                    json!({ "state": state, "static": static_, "union": union, "masked": found });
                out!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else if found.is_empty() {
                out!("{state}: hides nothing of {static_}");
            } else {
                out!(
                    "{state}: hides {} static path{} of {static_}:",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                );
                for m in &found {
                    out!("  {}: {}", m.path, m.how.describe());
                }
            }
            Ok(ExitCode::from(if found.is_empty() { 0 } else { 1 }))
        }
        Command::SshTargets {
            ssh_config,
            known_hosts,
            file,
        } => {
            let mut args = json!({ "network": read_json(file).map_err(io)? });
            if let Some(c) = ssh_config {
                args["sshConfig"] = path_arg(c).map_err(io)?;
            }
            let kh: Result<Vec<Value>, String> = known_hosts.iter().map(|k| path_arg(k)).collect();
            args["knownHosts"] = Value::Array(kh.map_err(io)?);
            let out = call("sshTargets", vec![args])?;
            if cli.json {
                out!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                for (name, t) in out.as_object().into_iter().flatten() {
                    out!(
                        "{name}: {}@{} port {}{}",
                        t["user"].as_str().unwrap_or(""),
                        t["host"].as_str().unwrap_or(""),
                        t["port"],
                        t["proxyJump"]
                            .as_str()
                            .map(|j| format!(" via {j}"))
                            .unwrap_or_default()
                    );
                    out!(
                        "  hostkey {}",
                        t["hostPublicKey"].as_str().unwrap_or("unknown")
                    );
                    for w in t["warnings"].as_array().into_iter().flatten() {
                        out!("  warning: {}", w.as_str().unwrap_or(""));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn join(v: &Value) -> String {
    let items: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if items.is_empty() {
        "-".into()
    } else {
        items.join(" ")
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Nixops4Provider) {
        jen_builtins::diag::init_logging(Some("info"));
    }
    match run(&cli) {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("{message}");
            ExitCode::from(code)
        }
    }
}
