# jen-builtins' Nix library. Needs the plugin loaded:
#
#   nix --option plugin-files /path/to/libjen_builtins.so eval ...
#
# import ./nix { } gives { lib; dataModel; nixosModules; }.
{ }:
let
  # The loader leaves its reason here when it declines to load (a Nix it
  # has no backend for); empty when it loaded, when it never ran, and in
  # pure evaluation, where getEnv answers "".
  declined = builtins.getEnv "JEN_BUILTINS_NOT_LOADED";
  why =
    if declined != "" then
      ''
        The plugin was named, but declined to load in this Nix:
          ${declined}''
    else
      ''
        This is Nix ${builtins.nixVersion}. Either the plugin is not named in
        plugin-files, or it declined to load (it then printed one line,
        "jen-builtins: not loaded: ...", on stderr when Nix started; pure
        evaluation hides that reason from here).'';
  jen =
    builtins.jen or (throw ''
      jen-builtins: builtins.jen is not loaded.
      ${why}
      Load it with
        nix --option plugin-files /path/to/libjen_builtins.so ...
      (or `plugin-files = ...` in nix.conf), or use the flake's wrapped nix:
        nix run .#nix-with-jen -- eval ...
      The plugin must be built against this very Nix: in this repository,
      scripts/main builds it for the project's Nix, into
      target/nix-<version>/release/jen-plugin/lib/libjen_builtins.so.'');
in
{
  dataModel = builtins.fromJSON (builtins.readFile ./data-model.json);
  lib = import ./lib.nix { inherit jen; };
  nixosModules.unionMounts = ./modules/union-mounts.nix;
}
