# The example network's deployment plan: the main job.
#
#   scripts/jen-nix eval --raw --file examples/jen --arg variant '"hetzner"' report
#   scripts/jen-nix eval --json --file examples/jen plan.machines.www.stateDirs
#   scripts/jen-nix eval --json --file examples/jen plan \
#     --apply 'p: p // { machines = builtins.mapAttrs (_: m: removeAttrs m [ "units" ]) p.machines; }'
#
# The whole plan, units included, needs `pkgs`: the units run their
# programs from the store (coreutils, unionfs-fuse, util-linux, and the
# jen CLI as pkgs.jen-builtins, from the flake's overlay), e.g.
# --arg pkgs 'import <nixpkgs> { overlays = [ jen-builtins.overlays.default ]; }'.
# tests/union_mounts.rs runs such units for real, with Debian's programs
# standing in for those packages.
{
  variant ? "ovh",
  # www's address for this deployment, instead of the variant's.
  address ? null,
  # The sites' content (a release of them), instead of ./sites.
  content ? ./sites,
  pkgs ? null,
}:
let
  jen = import ../../nix { };
  network = import ./network.nix { inherit variant address content; };
  plan = jen.lib.plan {
    inherit network pkgs;
    # The deploy identity by its absolute path: toString keeps the private
    # key out of the store.
    sshConfig = ''
      Host *
        IdentityFile ${toString ./keys/deploy_ed25519}
        IdentitiesOnly yes
    '';
    knownHosts = ./known_hosts;
  };
in
{
  inherit network plan;
  report = jen.lib.formatPlan plan;
}
