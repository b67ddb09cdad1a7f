//! Build script: with the `plugin` feature, compile the C++ shim in `cpp/`
//! against the project's Nix and link the plugin to Nix's libraries.
//!
//! Nix is found through pkg-config in `$JEN_NIX_PREFIX` (default
//! `/opt/jen-nix/2.26.3`, what `scripts/install-nix` builds).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=JEN_NIX_PREFIX");
    #[cfg(feature = "plugin")]
    plugin::build();
}

#[cfg(feature = "plugin")]
mod plugin {
    use std::path::PathBuf;

    pub fn build() {
        let prefix = PathBuf::from(
            std::env::var("JEN_NIX_PREFIX").unwrap_or_else(|_| "/opt/jen-nix/2.26.3".into()),
        );
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

        let mut b = cxx_build::bridge("src/bridge.rs");
        b.file("cpp/plugin.cc")
            .file("cpp/json-writer.cc")
            .file("cpp/result-reader.cc")
            .std("c++2a");
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
        // Nix 2.26's headers expect their config headers to be included first.
        for h in ["config-util.hh", "config-store.hh", "config-expr.hh"] {
            b.flag("-include").flag(h);
        }
        b.compile("jen_shim");

        for f in [
            "cpp/plugin.cc",
            "cpp/json-writer.cc",
            "cpp/json-writer.hh",
            "cpp/result-reader.cc",
            "cpp/result-reader.hh",
            "cpp/json-reader.hh",
            "cpp/compat.hh",
            "cpp/host.hh",
        ] {
            println!("cargo:rerun-if-changed={f}");
        }
        println!("cargo:rustc-env=JEN_NIX_PREFIX={}", prefix.display());
    }
}
