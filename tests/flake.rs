//! flake.nix cannot be built here (nixpkgs cannot be fetched); this test
//! checks what can be: it parses, and its outputs evaluate with the
//! project's Nix against a stand-in nixpkgs (tests/data/fake-nixpkgs.nix)
//! to the listed attributes, built from the right parts.

mod common;
use common::*;
use serde_json::json;

#[test]
fn flake_outputs_evaluate_against_a_stand_in_nixpkgs() {
    let nix = Nix::new();
    let root = project_root();
    // Every Nix file parses (the NixOS module needs nixpkgs to evaluate).
    for f in [
        "flake.nix",
        "nix/default.nix",
        "nix/lib.nix",
        "nix/package.nix",
        "nix/nix-with-jen.nix",
        "nix/modules/union-mounts.nix",
        "nix/nixops4/provider.nix",
        "examples/nixops4/deployment.nix",
        "examples/nixops4/nixops4.nix",
        "examples/nixops4/site.example.nix",
        "examples/jen/default.nix",
        "examples/jen/network.nix",
        "examples/invalid/default.nix",
        "tests/data/fake-nixpkgs.nix",
    ] {
        let mut c = nix.command("nix-instantiate");
        c.arg("--parse").arg(root.join(f));
        let r = nix.run(c);
        assert!(r.ok(), "{f} does not parse: {}", r.stderr);
    }

    let expr = format!(
        r#"let
          flake = import {root}/flake.nix;
          nixpkgs = import {root}/tests/data/fake-nixpkgs.nix;
          outs = flake.outputs {{ self = outs; inherit nixpkgs; }};
          pkgs = outs.packages.x86_64-linux;
        in {{
          outputs = builtins.attrNames outs;
          packages = builtins.attrNames pkgs;
          systems = builtins.attrNames outs.packages;
          name = pkgs.default.name;
          packages_built = pkgs.default.args.cargoBuildFlags;
          prefix = pkgs.default.args.env.JEN_NIX_PREFIX;
          prefix_2_28 = pkgs.jen-builtins-nix_2_28.args.env.JEN_NIX_PREFIX;
          wrapper = pkgs.nix-with-jen.script;
          all = map (p: p.args.env.JEN_NIX_PREFIX) pkgs.jen-builtins-all.args.paths;
          wrapper_2_28 = pkgs.nix-with-jen-nix_2_28.script;
          wrapper_name_2_28 = pkgs.nix-with-jen-nix_2_28.name;
          overlay = builtins.attrNames (outs.overlays.default (nixpkgs.legacyPackages.x86_64-linux) (nixpkgs.legacyPackages.x86_64-linux));
          checks = builtins.attrNames outs.checks.x86_64-linux;
          devShell = outs.devShells.x86_64-linux.default.name;
          module = builtins.isPath outs.nixosModules.unionMounts;
          lib = builtins.attrNames outs.lib;
          provider = if {lib} == null then null else let m = outs.modules.nixops4Provider.jen {{ resourceProviderSystem = "x86_64-linux"; lib = import {lib}; }}; in {{
            inherit (m) executable args;
            types = builtins.attrNames m.resourceTypes;
          }};
        }}"#,
        root = root.display(),
        lib = nixpkgs_lib(
            "tests/flake.rs, the provider module's resource types (needs nixpkgs' lib)"
        )
        .map_or("null".to_string(), |p| p.display().to_string()),
    );
    let v = nix.value_impure(&expr);
    assert_eq!(
        v["outputs"],
        json!([
            "checks",
            "devShells",
            "lib",
            "modules",
            "nixosModules",
            "overlays",
            "packages"
        ])
    );
    // nixpkgs' default nix, and each supported series it has: nix_2_26
    // throws (removed), nix_2_35 is missing, nix_2_32 is not one of ours.
    assert_eq!(
        v["packages"],
        json!([
            "default",
            "jen-builtins",
            "jen-builtins-all",
            "jen-builtins-nix_2_28",
            "jen-builtins-nix_2_31",
            "nix-with-jen",
            "nix-with-jen-nix_2_28",
            "nix-with-jen-nix_2_31"
        ])
    );
    assert_eq!(v["systems"], json!(["aarch64-linux", "x86_64-linux"]));
    // One loader with the default build's backend and each series'.
    assert_eq!(
        v["all"],
        json!([
            "/nix/store/00000000000000000000000000000000-nix-2.31.2",
            "/nix/store/00000000000000000000000000000000-nix-2.28.5",
            "/nix/store/00000000000000000000000000000000-nix-2.31.2"
        ])
    );
    assert_eq!(
        v["name"],
        json!(format!("jen-builtins-{}", env!("CARGO_PKG_VERSION")))
    );
    // The plugin and the CLI, each a package of the workspace.
    assert_eq!(
        v["packages_built"],
        json!(["-p", "jen-plugin", "-p", "jen-cli"])
    );
    assert_eq!(
        v["prefix"],
        "/nix/store/00000000000000000000000000000000-nix-2.31.2"
    );
    assert_eq!(
        v["prefix_2_28"],
        "/nix/store/00000000000000000000000000000000-nix-2.28.5"
    );
    // Each wrapper wraps the Nix its plugin was built against.
    assert_eq!(v["wrapper_name_2_28"], "nix-with-jen-2.28.5");
    let w28 = v["wrapper_2_28"].as_str().unwrap();
    assert!(
        w28.contains("/nix/store/00000000000000000000000000000000-nix-2.28.5/bin/*"),
        "{w28}"
    );
    let wrapper = v["wrapper"].as_str().unwrap();
    assert!(
        wrapper.contains(
            "--option plugin-files /nix/store/00000000000000000000000000000000-jen-builtins-"
        ),
        "{wrapper}"
    );
    assert!(wrapper.contains("/lib/libjen_builtins.so"), "{wrapper}");
    assert_eq!(v["overlay"], json!(["jen-builtins", "nix-with-jen"]));
    assert_eq!(v["checks"], json!(["jen-builtins"]));
    assert_eq!(v["module"], json!(true));
    // The NixOps4 provider module runs the package's jen.
    if !v["provider"].is_null() {
        let exe = v["provider"]["executable"].as_str().unwrap();
        assert!(
            exe.starts_with("/nix/store/00000000000000000000000000000000-jen-builtins-")
                && exe.ends_with("/bin/jen"),
            "{exe}"
        );
        assert_eq!(v["provider"]["args"], json!(["nixops4-provider"]));
        assert_eq!(v["provider"]["types"], json!(["ssh_target", "state_dirs"]));
    }
    assert_eq!(
        v["lib"],
        json!([
            "formatPlan",
            "jobs",
            "machineMounts",
            "mountUnit",
            "plan",
            "shellQuote",
            "typesFor",
            "unitPrograms"
        ])
    );
}
