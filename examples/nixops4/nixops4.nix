# `nixops4 apply jekor` in this directory (file mode). Copy
# site.example.nix to site.nix first.
import ./deployment.nix (import ./site.nix)
