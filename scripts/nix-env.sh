# Sourced by the scripts: which Nix they work with, and where its plugin
# is built.
#   JEN_NIX_VERSION   default 2.26.3 (scripts/nix-versions lists the others)
#   JEN_NIX_PREFIX    default /opt/jen-nix/$JEN_NIX_VERSION
#   CARGO_TARGET_DIR  default target/nix-$JEN_NIX_VERSION: one per Nix, so
#                     that builds for different releases (and C++ standard
#                     libraries) never overwrite each other.
jen_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JEN_NIX_VERSION=${JEN_NIX_VERSION:-2.26.3}
export JEN_NIX_PREFIX=${JEN_NIX_PREFIX:-/opt/jen-nix/$JEN_NIX_VERSION}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$jen_root/target/nix-$JEN_NIX_VERSION}
