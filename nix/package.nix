# The plugin (lib/libjen_builtins.so) and the jen CLI, built against the
# given Nix's pkg-config files.
{
  lib,
  rustPlatform,
  pkg-config,
  nix,
  boost,
}:
rustPlatform.buildRustPackage {
  pname = "jen-builtins";
  version = (builtins.fromTOML (builtins.readFile ../Cargo.toml)).package.version;
  src = lib.cleanSource ../.;
  cargoLock.lockFile = ../Cargo.lock;
  buildFeatures = [ "plugin" ];
  nativeBuildInputs = [ pkg-config ];
  buildInputs = [
    nix
    boost
  ];
  # The test suite runs the real nix with writable state and a loopback
  # sshd from /usr/sbin; it has not been made to run in the build sandbox
  # yet, so it runs through scripts/test instead.
  doCheck = false;
  env.JEN_NIX_PREFIX = "${nix}";
  meta = {
    description = "builtins.jen for Nix: validation, SSH targets, state paths";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "jen";
  };
}
