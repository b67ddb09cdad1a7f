# The packages a mount unit takes its programs from, as real
# derivations (never built: only their store paths are needed), since
# nixpkgs is not on the test machines. Their names follow nixpkgs'.
let
  mk =
    name:
    derivation {
      inherit name;
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [
        "-c"
        "exit 1"
      ];
    };
in
{
  coreutils = mk "coreutils-9.5";
  unionfs-fuse = mk "unionfs-fuse-3.6";
  util-linux = mk "util-linux-2.39.4";
  # The jen CLI, for `jen masking` (the flake's overlay adds it).
  jen-builtins = mk "jen-builtins-0.1.0";
}
