# services.jen.unionMounts.<name>: serve read-only static content from the
# store with a writable state directory over it, as the seed network's
# www-mount service does, through overlayfs (the default) or unionfs-fuse.
# The layout is checked at evaluation time by
# builtins.jen.statePathViolations (an assertion listing every fault, each
# with its attribute path), and the units run their programs from the
# store (pkgs: coreutils, util-linux, unionfs-fuse for such mounts, and
# jen-builtins for `jen masking`, from the flake's overlay).
#
# An overlayfs site is mounted by the same unit as a unionfs-fuse one, not
# by a `fileSystems.<mountPoint>.overlay` entry: a mount unit made from
# fileSystems cannot run what must happen before the mount at every start
# (make the branch and the dynamic directories as the owner, empty the
# work directory, refuse symbolic links, report masking and refuse on it
# with onMasking = "refuse"), and a fileSystems entry that fails stops
# local-fs.target, and with it the boot, where the unit fails alone.
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
  jen = builtins.jen or (throw "services.jen.unionMounts needs the jen-builtins plugin (builtins.jen)");
  jenLib = import ../lib.nix { inherit jen; };
  mounts = lib.mapAttrsToList (name: m: {
    inherit name;
    inherit (m)
      static
      stateDir
      mountPoint
      owner
      union
      workDir
      ;
  }) cfg;
  violations = jen.statePathViolations { inherit mounts; };
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
            union = lib.mkOption {
              type = lib.types.enum [
                "overlayfs"
                "unionfs-fuse"
              ];
              default = "overlayfs";
              description = ''
                The union mount: the kernel's overlayfs (no daemon; reads
                cost about what they cost on disk) or unionfs-fuse (a FUSE
                daemon every open goes through). A branch written through
                one is not mounted with the other.
              '';
            };
            workDir = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              defaultText = "<stateDir>.overlay-work";
              description = ''
                overlayfs's work directory: on the same mount as the
                state directory, outside it; emptied at each start. The
                default is the state directory's sibling. Only for
                union = "overlayfs".
              '';
            };
            dynamic = lib.mkOption {
              type = lib.types.listOf lib.types.str;
              default = [ ];
              example = [ "comments/**" ];
              description = ''
                Globs of the paths the site writes through the mount. The
                static content must hold none of them, and the directories
                they go in are made in the writable branch, as the owner,
                before each start.
              '';
            };
            onMasking = lib.mkOption {
              type = lib.types.enum [
                "warn"
                "refuse"
              ];
              default = "warn";
              description = ''
                What a start does when the writable branch hides static
                files (a file at a static file's path, or a whiteout of
                one): log them and mount ("warn"), or fail ("refuse").
              '';
            };
          };
        }
      )
    );
  };

  config = lib.mkIf (cfg != { }) {
    assertions = [
      {
        assertion = violations == [ ];
        message =
          "services.jen.unionMounts: the state paths are not safe (${toString (builtins.length violations)} violation(s)):\n"
          + lib.concatMapStrings (v: "  ${v}\n") violations;
      }
    ];
    # unionfs-fuse's allow_other, for the web server to read the union.
    programs.fuse.userAllowOther = lib.mkIf (lib.any (m: m.union == "unionfs-fuse") (lib.attrValues cfg)) true;
    # Units only for a safe layout: mountUnit checks again and would raise
    # the same faults as an error instead of the assertion's message.
    systemd.services = lib.mkIf (violations == [ ]) (
      lib.mapAttrs' (
        name: m:
        lib.nameValuePair "www-mount-${name}" (
          jenLib.mountUnit pkgs (m // { inherit name; })
        )
      ) cfg
    );
  };
}
