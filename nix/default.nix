# jen-builtins' Nix library. Needs the plugin loaded:
#
#   nix --option plugin-files /path/to/libjen_builtins.so eval ...
#
# import ./nix { } gives { lib; dataModel; nixosModules; }.
{ }:
let
  jen =
    builtins.jen or (throw ''
      jen-builtins: builtins.jen is not available: the plugin is not loaded.
      Load it with
        nix --option plugin-files /path/to/libjen_builtins.so ...
      (or `plugin-files = ...` in nix.conf), or use the flake's wrapped nix:
        nix run .#nix-with-jen -- eval ...
      Build the plugin with: cargo build --release --features plugin --lib
      (it lands in target/release/libjen_builtins.so).'');
in
{
  dataModel = builtins.fromJSON (builtins.readFile ./data-model.json);
  lib = import ./lib.nix { inherit jen; };
  nixosModules.unionMounts = ./modules/union-mounts.nix;
}
