# The example network's deployment plan: the main job.
#
#   scripts/jen-nix eval --raw --file examples/jen --arg variant '"hetzner"' report
#   scripts/jen-nix eval --json --file examples/jen plan
#
# With nixpkgs, the plan's units are built too (their programs come from
# the store): --arg pkgs 'import <nixpkgs> { }'.
{
  variant ? "ovh",
  pkgs ? null,
}:
let
  jen = import ../../nix { };
  network = import ./network.nix { inherit variant; };
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
