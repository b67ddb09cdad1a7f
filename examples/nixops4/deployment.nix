# The seed network (examples/jen) deployed with NixOps4: for each machine
# of lib.plan, its SSH host key (`ssh_target`, pinned in a state file)
# and the writable branches of its union mounts (`state_dirs`: the plan's
# backup list, with each site's owner), made over an SSH connection that
# accepts the pinned key alone.
#
# `site` says where things are on the deploying machine (see
# site.example.nix); nixops4.nix passes ./site.nix. The evaluation calls
# builtins.jen (lib.plan), so nixops4's evaluator must have the plugin
# loaded: see docs/provider.md, "With NixOps4".
site:
let
  lib = import site.nixpkgsLib;
  nixops4Lib = import (site.nixops4 + "/nix/lib/lib.nix") {
    inherit lib;
    self = throw "examples/nixops4: nixops4's flake is not used in file mode";
    selfWithSystem = throw "examples/nixops4: nixops4's flake is not used in file mode";
  };
  # nixops4's `local` provider (for its state_file), with its executable
  # where the site has it instead of a flake's package.
  withSystem =
    _system: f:
    f {
      config.packages.nixops4-resources-local-release = dirOf (dirOf site.nixops4ResourcesLocal);
    };
  localProvider = import (site.nixops4 + "/nix/providers/local.nix") { inherit withSystem; };
  jenProvider = import ../../nix/nixops4/provider.nix { inherit (site) jen; };

  jen = import ../../nix { };
  network = site.network or (import ../jen/network.nix { variant = site.variant or "ovh"; });
  # Validated here, before nixops4 sees a single resource: the members
  # below are the plan's machines, so an invalid network stops the
  # deployment with every violation listed and nothing touched.
  plan = jen.lib.plan {
    inherit network;
    knownHosts = ../jen/known_hosts;
  };
  stateRoot = site.stateRoot or "";
  reach = machine: target: {
    host = site.reach.${machine}.host or target.host;
    port = site.reach.${machine}.port or target.port;
  };
in
nixops4Lib.mkRoot {
  modules = [
    (
      { providers, ... }:
      {
        _module.args.withSystem = withSystem;
        providers.local = localProvider;
        providers.jen = jenProvider;
        members.${plan.network} =
          { members, ... }:
          {
            members = {
              state = {
                type = providers.local.state_file;
                inputs.name = site.stateFile or "${plan.network}-state.json";
              };
            }
            // lib.concatMapAttrs (
              name: p:
              let
                at = reach name p.target;
              in
              {
                "${name}-host-key" = {
                  type = providers.jen.ssh_target;
                  state = members.state;
                  inputs = at // lib.optionalAttrs (site.acceptChangedKey or false) { acceptChangedKey = true; };
                };
                "${name}-state-dirs" = {
                  type = providers.jen.state_dirs;
                  inputs = {
                    target = at // {
                      inherit (p.target) user;
                      hostPublicKey = members."${name}-host-key".outputs.hostPublicKey;
                      identityFile = site.identityFile or null;
                    };
                    # Every empty resource a clean deployment needs before
                    # the first start: the writable branches and the
                    # directories their dynamic paths go in, owned by their
                    # site's user (lib.plan's stateDirs).
                    dirs = map (d: {
                      path = stateRoot + d.path;
                      inherit (d) owner;
                      mode = site.mode or d.mode;
                    }) p.stateDirs;
                  };
                };
              }
            ) plan.machines;
          };
      }
    )
  ];
}
