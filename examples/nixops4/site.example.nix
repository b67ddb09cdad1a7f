# Where things are on the deploying machine: copy to site.nix and edit.
# The paths below are where scripts/install-nixops4 and cargo put them.
{
  # nixpkgs' lib/ (the module system nixops4 is written in).
  nixpkgsLib = ../../../shared/nixpkgs-lib/lib;
  # nixops4's source tree (its nix/ modules) and its local provider.
  nixops4 = /opt/jen-nix/2.35.2/libexec/jen-nixops4/src;
  nixops4ResourcesLocal = "/opt/jen-nix/2.35.2/libexec/jen-nixops4/bin/nixops4-resources-local";
  # The jen executable (the provider).
  jen = toString ../../target/nix-2.35.2/release/jen;
  # The deploy key, by absolute path (toString keeps it out of the store).
  identityFile = toString ../jen/keys/deploy_ed25519;
  # Optional:
  # variant = "hetzner";                       # of examples/jen
  # network = import ./my-network.nix;         # instead of examples/jen's
  # reach.www = { host = "127.0.0.1"; port = 2222; };   # instead of the plan's target
  # stateRoot = "/srv/test";                   # prefix of every state directory
  # stateFile = "jekor-state.json";            # relative to where nixops4 runs
  # acceptChangedKey = true;                   # once, after checking the new key
  # mode = "0750";                             # of every state directory
}
