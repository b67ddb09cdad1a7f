# nix with the jen-builtins plugin preloaded, as users run it.
{
  runCommand,
  makeWrapper,
  nix,
  jen-builtins,
}:
runCommand "nix-with-jen-${nix.version}"
  {
    nativeBuildInputs = [ makeWrapper ];
    meta.mainProgram = "nix";
  }
  ''
    mkdir -p $out/bin
    for b in ${nix}/bin/*; do
      makeWrapper "$b" "$out/bin/$(basename "$b")" \
        --add-flags "--option plugin-files ${jen-builtins}/lib/libjen_builtins.so"
    done
  ''
