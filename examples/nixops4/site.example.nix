# Where things are on the deploying machine: copy to site.nix and edit.
# No package registry serves NixOps4 or nixpkgs: the first three are your
# own copies (NixOps4 built against the Nix the plugin is built for).
{
  # nixpkgs' lib/ (the module system nixops4 is written in).
  nixpkgsLib = /path/to/nixpkgs/lib;
  # nixops4's source tree or package (its nix/ modules) and its local provider.
  nixops4 = /path/to/nixops4;
  nixops4ResourcesLocal = "/path/to/nixops4/bin/nixops4-resources-local";
  # The jen executable (the provider), as cargo builds it.
  jen = toString ../../target/nix-2.26.3/release/jen;
  # The deploy key, by absolute path (toString keeps it out of the store).
  identityFile = toString ../jen/keys/deploy_ed25519;
  # Optional:
  # variant = "hetzner";                       # of examples/jen
  # network = import ./my-network.nix;         # instead of examples/jen's
  # reach.www = { host = "127.0.0.1"; port = 2222; };   # instead of the plan's target
  # stateRoot = "/srv/test";                   # prefix of every state directory
  # stateFile = "jekor-state.json";            # relative to where nixops4 runs
  # acceptChangedKey = true;                   # once, after checking the new key
  # mode = "0750";                             # of every state directory (default: the plan's, 0755)
}
