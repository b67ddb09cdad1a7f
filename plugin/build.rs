//! Build script of the plugin: compile the C++ shim in `../cpp/` against
//! the project's Nix and link the plugin to Nix's libraries.
//!
//! Nix is found through pkg-config in `$JEN_NIX_PREFIX`, by default
//! `/opt/jen-nix/$JEN_NIX_VERSION` (version default 2.26.3), what
//! `scripts/install-nix` builds. A plugin is bound to the compiler and C++
//! standard library its Nix was built with: the prefix's
//! `share/jen/toolchain` (written by the installer) says which, and the
//! `-std` its headers need; without that file (e.g. Nix from nixpkgs) the
//! environment's `CXX` and pkg-config's Cflags decide.
//!
//! It also compiles the loader (`../loader/jen-loader.c`, plain C, libc only)
//! and lays out the plugin as users load it, in `<target>/<profile>/jen-plugin/`:
//!
//! ```text
//! lib/libjen_builtins.so                            the loader (plugin-files names it, or lib/)
//! libexec/jen-builtins/nix-<version>-<c++ lib>.so   -> the backend, ../../../deps/libjen_plugin.so
//! ```
//!
//! The backend's file name is its record of the Nix it was built for,
//! which the loader compares with the Nix it is in.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=JEN_NIX_PREFIX");
    println!("cargo:rerun-if-env-changed=JEN_NIX_VERSION");
    plugin::build();
}

mod plugin {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// The Nix the plugin is built for.
    fn nix_prefix() -> PathBuf {
        if let Ok(p) = std::env::var("JEN_NIX_PREFIX") {
            return PathBuf::from(p);
        }
        let version = std::env::var("JEN_NIX_VERSION").unwrap_or_else(|_| "2.26.3".into());
        PathBuf::from(format!("/opt/jen-nix/{version}"))
    }

    /// `share/jen/toolchain` of the prefix: `key=value` lines.
    fn toolchain(prefix: &Path) -> BTreeMap<String, String> {
        let file = prefix.join("share/jen/toolchain");
        println!("cargo:rerun-if-changed={}", file.display());
        let Ok(text) = std::fs::read_to_string(&file) else {
            return BTreeMap::new();
        };
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    /// cxx compiles its own C++ (`cxx.cc`) with `$CXX`, which
    /// `.cargo/config.toml` points at `scripts/cxx`, the prefix's compiler.
    /// Cargo does not rebuild it when only the Nix version changes, so a
    /// target directory built with one C++ standard library must not be
    /// reused with another: say so instead of linking a mix.
    fn guard_target_dir(identity: &str) {
        let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
        // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
        let Some(profile_dir) = out.ancestors().nth(3) else {
            return;
        };
        let marker = profile_dir.join(".jen-cxx-toolchain");
        match std::fs::read_to_string(&marker) {
            Ok(old) if old.trim() != identity => panic!(
                "{} was built with the C++ toolchain '{}', this Nix needs '{}': \
                 cxx's C++ would not be rebuilt. Use a target directory per Nix \
                 (CARGO_TARGET_DIR=target/nix-<version>, as scripts/ do) or `cargo clean`.",
                profile_dir.display(),
                old.trim(),
                identity
            ),
            Ok(_) => {}
            Err(_) => {
                let _ = std::fs::write(&marker, identity);
            }
        }
    }

    /// cxx's own C++ is compiled with `$CXX`: it must be `scripts/cxx` (set
    /// by `.cargo/config.toml`) or the prefix's compiler itself.
    fn check_cxx_env(cxx: &str, flags: &str) {
        println!("cargo:rerun-if-env-changed=CXX");
        let Ok(env_cxx) = std::env::var("CXX") else {
            return;
        };
        let ok = env_cxx.ends_with("scripts/cxx") || (env_cxx == cxx && flags.is_empty());
        assert!(
            ok,
            "CXX={env_cxx}, but this Nix was built with {cxx}: cxx's own C++ would use \
             another C++ standard library. Unset CXX (scripts/cxx is then used)."
        );
    }

    /// The `-std=` that `pkg-config --cflags nix-expr` asks for, if any.
    fn std_from_pkg_config() -> Option<String> {
        let out = std::process::Command::new(
            std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()),
        )
        .args(["--cflags", "nix-expr"])
        .output()
        .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .find(|f| f.starts_with("-std="))
            .map(str::to_string)
    }

    pub fn build() {
        let prefix = nix_prefix();
        let tc = toolchain(&prefix);
        let libdir = prefix.join("lib/x86_64-linux-gnu");
        // The prefix first, then whatever the environment already has (a
        // nixpkgs build finds Nix through its own PKG_CONFIG_PATH).
        println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
        let mut dirs = vec![
            libdir.join("pkgconfig").display().to_string(),
            prefix.join("lib/pkgconfig").display().to_string(),
        ];
        if let Ok(existing) = std::env::var("PKG_CONFIG_PATH") {
            dirs.push(existing);
        }
        let pc_path = dirs.join(":");
        // SAFETY of set_var: build scripts are single-threaded here.
        unsafe { std::env::set_var("PKG_CONFIG_PATH", &pc_path) };

        let mut includes = vec![prefix.join("include")];
        // nix-store's version is the Nix the backend is built for.
        let mut nix_version = String::new();
        for lib in ["nix-expr", "nix-store", "nix-util", "nix-main"] {
            let found = pkg_config::Config::new()
                .cargo_metadata(false)
                .probe(lib)
                .unwrap_or_else(|e| {
                    panic!(
                        "pkg-config cannot find {lib} under {}: run scripts/install-nix \
                         (or set JEN_NIX_PREFIX): {e}",
                        prefix.display()
                    )
                });
            if lib == "nix-store" {
                nix_version = found.version.clone();
            }
            includes.extend(found.include_paths);
            for l in found.libs {
                // Only the cdylib (and test binaries that load the bridge)
                // need Nix's libraries; the rpath lets them load without
                // LD_LIBRARY_PATH.
                println!("cargo:rustc-link-lib=dylib={l}");
            }
            for p in found.link_paths {
                println!("cargo:rustc-link-search=native={}", p.display());
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", p.display());
            }
        }
        // The compiler's own directories must keep their place: moving
        // /usr/include into -isystem breaks libstdc++'s #include_next.
        includes.retain(|p| !matches!(p.to_str(), Some("/usr/include" | "/usr/local/include")));
        includes.dedup();

        // The bridge includes "cpp/host.hh": the repository's root is an
        // include directory.
        let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("plugin/ is inside the repository")
            .to_path_buf();
        let mut b = cxx_build::bridge("src/lib.rs");
        b.include(&root)
            .file(root.join("cpp/plugin.cc"))
            .file(root.join("cpp/tree-writer.cc"))
            .file(root.join("cpp/tree-merge.cc"));
        match tc.get("cxx") {
            Some(cxx) => {
                let flags = tc.get("cxxflags").cloned().unwrap_or_default();
                guard_target_dir(format!("{cxx} {flags}").trim());
                check_cxx_env(cxx, &flags);
                b.compiler(cxx);
                for f in flags.split_whitespace() {
                    b.flag(f);
                }
                b.cpp_link_stdlib(tc.get("stdlib").map(String::as_str));
                b.std(tc.get("std").map(String::as_str).unwrap_or("c++20"));
            }
            // No installer's file (Nix from nixpkgs): the environment's
            // compiler, and pkg-config's Cflags carry the -std from Nix 2.31
            // on; older releases need C++20.
            None => match std_from_pkg_config() {
                Some(std) => {
                    b.flag(&std);
                }
                None => {
                    b.std("c++20");
                }
            },
        }
        // Nix's headers (and boost's, in the prefix) are system headers to
        // us: their warnings are not ours to fix.
        for inc in &includes {
            b.flag("-isystem")
                .flag(inc.to_str().expect("include paths are UTF-8"));
        }
        b.flag("-Wall")
            .flag("-Wextra")
            .flag_if_supported("-Wno-deprecated-declarations")
            .flag_if_supported("-Wno-unused-parameter");
        // Nix 2.26's headers expect their config headers to be included
        // first; from 2.28 there are none (the headers include what they need).
        for h in ["config-util.hh", "config-store.hh", "config-expr.hh"] {
            if includes.iter().any(|i| i.join(h).exists()) {
                b.flag("-include").flag(h);
            }
        }
        b.compile("jen_shim");

        for f in [
            "src/lib.rs",
            "../cpp/plugin.cc",
            "../cpp/tree-writer.cc",
            "../cpp/tree-writer.hh",
            "../cpp/tree-merge.cc",
            "../cpp/tree-merge.hh",
            "../cpp/shared-values.hh",
            "../cpp/compat.hh",
            "../cpp/host.hh",
        ] {
            println!("cargo:rerun-if-changed={f}");
        }
        lay_out_plugin(&record(&nix_version, &tc));
    }

    /// The backend's record: `nix-<version>-<c++ library>`, from the
    /// Nix pkg-config finds and the C++ library the shim is compiled with
    /// (the installer's file; else libc++ only when the flags ask for it,
    /// as a Linux Nix from nixpkgs is built with libstdc++).
    fn record(version: &str, tc: &BTreeMap<String, String>) -> String {
        // The record's `-` separates version and C++ library: a version
        // with one of its own ("2.31.0pre-dirty") keeps it as `_` (the
        // loader then treats the running Nix as another build of the
        // series, with its warning).
        let version = version.replace('-', "_");
        let libcxx = match tc.get("stdlib").map(String::as_str) {
            Some(s) => s == "c++",
            None => std::env::var("CXXFLAGS").is_ok_and(|f| f.contains("-stdlib=libc++")),
        };
        let cxxlib = if libcxx { "libc++" } else { "libstdc++" };
        format!("nix-{version}-{cxxlib}")
    }

    /// Compile the loader and link the backend under its record, in
    /// `<target>/<profile>/jen-plugin/` (see the file's header).
    fn lay_out_plugin(record: &str) {
        let src = "../loader/jen-loader.c";
        println!("cargo:rerun-if-changed={src}");
        let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
        let built = out.join("libjen_builtins.so");
        // The system's C compiler, whatever C++ toolchain Nix needs: the
        // loader links libc only (and libdl, part of it since glibc 2.34).
        let mut cc = cc::Build::new().get_compiler().to_command();
        cc.args([
            "-shared",
            "-fPIC",
            "-O2",
            "-fvisibility=hidden",
            "-Wall",
            "-Wextra",
        ])
        .args(["-Werror", "-Wl,-z,defs", "-Wl,--as-needed", "-o"])
        .arg(&built)
        .arg(src)
        .arg("-ldl");
        let status = cc.status().expect("run the C compiler for the loader");
        assert!(status.success(), "compiling {src} failed: {status}");

        // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
        let profile_dir = out.ancestors().nth(3).expect("target/<profile>");
        let dir = profile_dir.join("jen-plugin");
        let lib = dir.join("lib");
        let backends = dir.join("libexec/jen-builtins");
        // A record from an earlier configuration must not stay beside the
        // new one (nor an earlier layout's files).
        let _ = std::fs::remove_dir_all(&backends);
        let _ = std::fs::remove_dir_all(dir.join("jen-builtins"));
        let _ = std::fs::remove_file(dir.join("libjen_builtins.so"));
        std::fs::create_dir_all(&backends).expect("create jen-plugin/libexec/jen-builtins");
        std::fs::create_dir_all(&lib).expect("create jen-plugin/lib");
        // Copied then renamed: a running Nix may have the old one mapped.
        let tmp = lib.join(".libjen_builtins.so.new");
        std::fs::copy(&built, &tmp).expect("copy the loader");
        std::fs::rename(&tmp, lib.join("libjen_builtins.so")).expect("install the loader");
        std::os::unix::fs::symlink(
            "../../../deps/libjen_plugin.so",
            backends.join(format!("{record}.so")),
        )
        .expect("link the backend");
    }
}
