# The plugin and the jen CLI, built against the given Nix's pkg-config
# files. The plugin is laid out as the loader expects:
#
#   lib/libjen_builtins.so                            the loader (plugin-files)
#   libexec/jen-builtins/nix-<version>-<c++ lib>.so   the backend for this Nix
#
# Several of these packages joined (symlinkJoin) give one loader with a
# backend per Nix: it loads the one for the Nix it finds itself in.
{
  lib,
  rustPlatform,
  pkg-config,
  nix,
  boost,
}:
rustPlatform.buildRustPackage {
  pname = "jen-builtins";
  version = (builtins.fromTOML (builtins.readFile ../Cargo.toml)).workspace.package.version;
  src = lib.cleanSource ../.;
  cargoLock.lockFile = ../Cargo.lock;
  # The plugin and the CLI, two packages of the workspace (the core is
  # built as their dependency).
  cargoBuildFlags = [
    "-p"
    "jen-plugin"
    "-p"
    "jen-cli"
  ];
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
  # plugin/build.rs lays out target/<triple>/<profile>/jen-plugin/ (lib/
  # with the loader, libexec/jen-builtins/ with a link to the backend under
  # its record); cargo's install step has put the backend cdylib,
  # libjen_plugin.so, in lib/.
  postInstall = ''
    plugin=$(find target -path '*/jen-plugin/lib/libjen_builtins.so' -printf '%h\n' | head -n 1)
    [ -n "$plugin" ] || { echo "jen-plugin/lib/ not found under target/" >&2; exit 1; }
    backend=$(basename "$plugin"/../libexec/jen-builtins/nix-*.so)
    mkdir -p $out/libexec/jen-builtins
    mv $out/lib/libjen_plugin.so "$out/libexec/jen-builtins/$backend"
    install -m 0755 "$plugin/libjen_builtins.so" $out/lib/libjen_builtins.so
  '';
  meta = {
    description = "builtins.jen for Nix: validation, SSH targets, state paths";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "jen";
  };
}
