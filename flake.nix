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
      # A plugin is bound to the exact Nix it was compiled against, so each
      # package is built against, and wrapped with, one Nix: `default` and
      # `nix-with-jen` against nixpkgs' default `nix`, and one pair per
      # supported release series that this nixpkgs still has
      # (`jen-builtins-nix_2_31`, `nix-with-jen-nix_2_31`, ...). nixpkgs
      # removes old series by making them throw: those are left out.
      seriesNames = [
        "nix_2_28"
        "nix_2_31"
        "nix_2_34"
        "nix_2_35"
      ];
      availableSeries =
        pkgs:
        builtins.filter (
          n: (pkgs.nixVersions ? ${n}) && (builtins.tryEval pkgs.nixVersions.${n}).success
        ) seriesNames;
      pluginFor = pkgs: nix: pkgs.callPackage ./nix/package.nix { inherit nix; };
      wrapperFor =
        pkgs: nix:
        pkgs.callPackage ./nix/nix-with-jen.nix {
          inherit nix;
          jen-builtins = pluginFor pkgs nix;
        };
      # Every build above joined: one lib/libjen_builtins.so (the loader,
      # the same in each) and a backend per Nix in libexec/jen-builtins/, so that
      # one plugin-files path keeps working across the series it covers.
      allFor =
        pkgs:
        pkgs.symlinkJoin {
          name = "jen-builtins-all";
          paths = [
            (pluginFor pkgs pkgs.nix)
          ]
          ++ map (n: pluginFor pkgs pkgs.nixVersions.${n}) (availableSeries pkgs);
        };
      perSeries =
        pkgs:
        builtins.listToAttrs (
          builtins.concatMap (n: [
            {
              name = "jen-builtins-${n}";
              value = pluginFor pkgs pkgs.nixVersions.${n};
            }
            {
              name = "nix-with-jen-${n}";
              value = wrapperFor pkgs pkgs.nixVersions.${n};
            }
          ]) (availableSeries pkgs)
        );
    in
    {
      overlays.default = final: prev: {
        jen-builtins = final.callPackage ./nix/package.nix { inherit (final) nix; };
        nix-with-jen = final.callPackage ./nix/nix-with-jen.nix {
          inherit (final) jen-builtins nix;
        };
      };

      packages = forAll (
        pkgs:
        let
          jen-builtins = pluginFor pkgs pkgs.nix;
        in
        {
          default = jen-builtins;
          inherit jen-builtins;
          nix-with-jen = wrapperFor pkgs pkgs.nix;
          jen-builtins-all = allFor pkgs;
        }
        // perSeries pkgs
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

      # The NixOps4 provider module of `jen nixops4-provider`, in the place
      # nixops4 looks for providers: providers.jen = jen-builtins.modules.nixops4Provider.jen.
      # Its resources' evaluation needs no plugin; a deployment that calls
      # builtins.jen (lib.plan) needs nixops4's evaluator started through
      # nix/nixops4/nixops4-eval-with-jen (docs/provider.md).
      modules.nixops4Provider.jen =
        args@{ resourceProviderSystem, ... }:
        import ./nix/nixops4/provider.nix {
          jen = "${self.packages.${resourceProviderSystem}.default}/bin/jen";
        } args;

      # The Nix library; it needs builtins.jen at evaluation time.
      lib = (import ./nix { }).lib;
    };
}
