{
  description = "jen-builtins: builtins.jen for Nix: network data-model validation, SSH target discovery, state-path checks";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # The Nix the plugin is built against and loaded into: the ABI must match.
      nixFor = pkgs: pkgs.nixVersions.nix_2_26;
    in
    {
      overlays.default = final: prev: {
        jen-builtins = final.callPackage ./nix/package.nix { nix = nixFor final; };
        nix-with-jen = final.callPackage ./nix/nix-with-jen.nix {
          inherit (final) jen-builtins;
          nix = nixFor final;
        };
      };

      packages = forAll (
        pkgs:
        let
          jen-builtins = pkgs.callPackage ./nix/package.nix { nix = nixFor pkgs; };
        in
        {
          default = jen-builtins;
          inherit jen-builtins;
          nix-with-jen = pkgs.callPackage ./nix/nix-with-jen.nix {
            inherit jen-builtins;
            nix = nixFor pkgs;
          };
        }
      );

      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.system}.default ];
          packages = [
            pkgs.cargo
            pkgs.rustc
            pkgs.clippy
            pkgs.rustfmt
            pkgs.openssh
          ];
        };
      });

      # Builds the plugin. The test suite is not yet run in the sandbox
      # (it needs a loopback sshd and writable Nix state): use scripts/test.
      checks = forAll (pkgs: {
        jen-builtins = self.packages.${pkgs.system}.default;
      });

      nixosModules.unionMounts = ./nix/modules/union-mounts.nix;

      # The Nix library; it needs builtins.jen at evaluation time.
      lib = (import ./nix { }).lib;
    };
}
