//! Hostile-input sweep: every `builtins.jen` function, every argument
//! position, each hostile value. Each run must end with a correct result
//! or a Nix error (exit 1, `error:`); never a signal, an abort, a hang or
//! a Rust panic message.

mod common;
use common::*;
use std::time::{Duration, Instant};

const HOSTILE: &[(&str, &str)] = &[
    ("int", "1"),
    ("float", "1.5"),
    ("bool", "true"),
    ("null", "null"),
    ("string", r#""hostile""#),
    ("path", "/etc/hostname"),
    ("list", "[ 1 2 ]"),
    ("set", "{ a = 1; }"),
    ("empty set", "{ }"),
    ("function", "(x: x)"),
    (
        "derivation-like",
        r#"{ type = "derivation"; outPath = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-x"; }"#,
    ),
    ("string with context", r#""${builtins.toFile "x" "y"}""#),
    ("thunk that throws", r#"(throw "boom")"#),
    ("infinite recursion", "(let x = { a = x; }; in x)"),
    (
        "nesting 10000 deep",
        "(builtins.foldl' (acc: _: [ acc ]) 0 (builtins.genList (x: x) 10000))",
    ),
    (
        "10 MB string",
        r#"(builtins.concatStringsSep "" (builtins.genList (_: "aaaaaaaaaa") 1000000))"#,
    ),
    (
        "100000 attributes",
        "(builtins.listToAttrs (builtins.genList (i: { name = toString i; value = i; }) 100000))",
    ),
    (
        "wrong attributes",
        r#"{ mounts = 3; network = "x"; config = 4; static = [ ]; dynamic = { }; path = 1; }"#,
    ),
    ("missing attributes", r#"{ name = "x"; }"#),
];

const LIMIT: Duration = Duration::from_secs(60);

fn run_bounded(nix: &Nix, expr: &str) -> (Run, Duration) {
    let mut c = nix.command("nix");
    c.args(["eval", "--json", "--expr", expr])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let start = Instant::now();
    let child = c.spawn().unwrap();
    let pid = child.id();
    // Drain the pipes on a thread (a 10 MB result would fill them) and
    // bound the wait here.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(LIMIT) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .status();
            panic!("hang (over {LIMIT:?}): {expr}");
        }
    };
    use std::os::unix::process::ExitStatusExt;
    let run = Run {
        status: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (run, start.elapsed())
}

#[test]
fn every_builtin_survives_every_hostile_input() {
    let nix = Nix::new();
    let names: Vec<String> =
        serde_json::from_value(nix.value("builtins.attrNames builtins.jen")).unwrap();
    let mut calls = Vec::new();
    for name in names.iter().filter(|n| *n != "version") {
        // Arity from the core table, plus the C++-only test aid.
        let arity = jen_builtins::builtins::find(name).map_or(1, |b| b.args.len());
        for pos in 0..arity {
            for (what, value) in HOSTILE {
                let args: Vec<&str> = (0..arity)
                    .map(|i| if i == pos { *value } else { "{ }" })
                    .collect();
                calls.push((
                    format!("{name} arg {pos} = {what}"),
                    name.clone(),
                    format!("builtins.jen.{name} {}", args.join(" ")),
                ));
            }
        }
    }
    let calls = std::sync::Mutex::new(calls.into_iter());
    let failures = std::sync::Mutex::new(Vec::new());
    let count = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let Some((label, name, expr)) = calls.lock().unwrap().next() else {
                    break;
                };
                let (r, _) = run_bounded(&nix, &expr);
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let problem = if r.signal.is_some() {
                    Some(format!("killed by signal {:?}", r.signal))
                } else if r.stderr.contains("panicked at") || r.stderr.contains("RUST_BACKTRACE") {
                    Some("a Rust panic message reached the user".into())
                } else if r.status == Some(0) {
                    None
                } else if r.status != Some(1) || !r.stderr.contains("error:") {
                    Some(format!("exit {:?} without a Nix error", r.status))
                } else if !(r.stderr.contains(&format!("jen: {name}"))
                    || r.stderr.contains(&format!("'jen.{name}'")))
                {
                    Some("the error does not name the builtin".into())
                } else {
                    None
                };
                if let Some(p) = problem {
                    failures.lock().unwrap().push(format!(
                        "{label}: {p}\n{}",
                        r.stderr.lines().take(12).collect::<Vec<_>>().join("\n")
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    println!(
        "hostile sweep: {} calls, {} problems",
        count.into_inner(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
