# services.jen.unionMounts.<name>: serve read-only static content from the
# store with a writable state directory over it, as the seed network's
# www-mount service does. The layout is checked at evaluation time by
# builtins.jen.checkStatePaths (an assertion: every fault at once).
#
# Needs the jen-builtins plugin loaded in the evaluating Nix.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.jen.unionMounts;
  jenLib = import ../lib.nix {
    jen = builtins.jen or (throw "services.jen.unionMounts needs the jen-builtins plugin (builtins.jen)");
  };
  mounts = lib.mapAttrsToList (name: m: {
    inherit name;
    inherit (m) static stateDir mountPoint owner;
  }) cfg;
  check = builtins.tryEval (builtins.jen.checkStatePaths { inherit mounts; });
in
{
  options.services.jen.unionMounts = lib.mkOption {
    default = { };
    description = "Union mounts of read-only store content and writable state directories.";
    type = lib.types.attrsOf (
      lib.types.submodule (
        { name, ... }:
        {
          options = {
            static = lib.mkOption {
              type = lib.types.str;
              description = "The read-only content: a store path.";
            };
            stateDir = lib.mkOption {
              type = lib.types.str;
              default = "/var/${name}";
              description = "The writable branch.";
            };
            mountPoint = lib.mkOption {
              type = lib.types.str;
              default = "/www/${name}";
              description = "Where the union appears.";
            };
            owner = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              description = "Owner of the writable branch.";
            };
          };
        }
      )
    );
  };

  config = lib.mkIf (cfg != { }) {
    assertions = [
      {
        assertion = check.success;
        message = "services.jen.unionMounts: the state paths are not safe; evaluate builtins.jen.checkStatePaths on them for every fault.";
      }
    ];
    programs.fuse.userAllowOther = true;
    systemd.services = lib.mapAttrs' (
      name: m:
      lib.nameValuePair "www-mount-${name}" (
        jenLib.mountUnit (m // { inherit name; owner = if m.owner == null then "root" else m.owner; })
        // {
          path = [
            pkgs.unionfs-fuse
            pkgs.util-linux
            pkgs.coreutils
          ];
        }
      )
    ) cfg;
  };
}
