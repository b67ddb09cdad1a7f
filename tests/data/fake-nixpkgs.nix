# A stand-in for nixpkgs, just enough to evaluate flake.nix's outputs
# here, where nixpkgs cannot be fetched. Derivations are plain sets that
# record what they were given.
let
  systems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  lib = {
    inherit genAttrs;
    cleanSource = p: p;
    licenses.mit = "mit";
    platforms.linux = systems;
  };
  fake = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };
  pkgsFor =
    system:
    let
      pkgs = {
        inherit system lib;
        callPackage =
          f: args:
          let
            fn = import f;
          in
          fn (builtins.intersectAttrs (builtins.functionArgs fn) (pkgs // args));
        rustPlatform.buildRustPackage = a: fake "${a.pname}-${a.version}" // { args = a; };
        runCommand = name: env: script: fake name // { inherit env script; };
        symlinkJoin = a: fake a.name // { args = a; };
        mkShell = a: fake "shell" // { args = a; };
        # As today's nixpkgs: the default nix, series that exist, a removed
        # series that throws, and one the plugin does not list.
        nix = fake "nix-2.31.2" // { version = "2.31.2"; };
        nixVersions = {
          nix_2_26 = throw "nixVersions.nix_2_26 has been removed. Use nixVersions.nix_2_28 or newer.";
          nix_2_28 = fake "nix-2.28.5" // { version = "2.28.5"; };
          nix_2_31 = fake "nix-2.31.2" // { version = "2.31.2"; };
          nix_2_32 = fake "nix-2.32.4" // { version = "2.32.4"; };
        };
      }
      // genAttrs [
        "makeWrapper"
        "pkg-config"
        "boost"
        "openssh"
        "cargo"
        "rustc"
        "clippy"
        "rustfmt"
      ] fake;
    in
    pkgs;
in
{
  inherit lib;
  legacyPackages = genAttrs systems pkgsFor;
}
