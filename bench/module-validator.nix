# The jen data model written for nixpkgs' module system, as a careful
# NixOS user would write it today (lib.types submodules, defaults, and
# assertions for what types cannot express), for the benchmarks' "module
# system" column. `lib` is nixpkgs' lib (bench/run takes it from JEN_NIXPKGS).
# Returns the number of machines of the checked network, or throws with
# the failed assertions (the module system throws at the first type error
# by itself).
{ lib, network }:
let
  inherit (lib) types mkOption;
  label = types.strMatching "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  hostname = types.strMatching "([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*";
  ipv4 = types.strMatching "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}";
  ipv6 = types.strMatching "[0-9a-fA-F:.]*:[0-9a-fA-F:.]*";
  address = types.oneOf [
    ipv4
    ipv6
    hostname
  ];
  absolutePath = types.addCheck (types.strMatching "(/[^/]+)+") (p: builtins.match ".*(^|/)\\.\\.?(/|$).*" p == null);
  userName = types.strMatching "[a-z_][a-z0-9_-]{0,30}\\$?";
  publicKey = types.strMatching "(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/]+={0,3}( .*)?";
  opt = type: mkOption { inherit type; };
  optional = type: mkOption {
    type = types.nullOr type;
    default = null;
  };

  provider = types.submodule {
    options = {
      type = opt (types.enum [
        "none"
        "ovh"
        "hetzner"
        "virtualbox"
      ]);
      address = optional address;
      mainIPv4 = optional ipv4;
      robotUser = optional types.str;
      partitions = optional types.str;
      memorySize = optional (types.ints.between 64 1048576);
      headless = optional types.bool;
    };
  };
  ssh = types.submodule {
    options = {
      user = mkOption {
        type = userName;
        default = "root";
      };
      port = mkOption {
        type = types.port;
        default = 22;
      };
      authorizedKeys = mkOption {
        type = types.listOf publicKey;
        default = [ ];
      };
      hostKeyAlias = optional types.nonEmptyStr;
      via = optional label;
    };
  };
  backend = types.submodule {
    options = {
      type = opt (types.enum [
        "static"
        "proxy"
      ]);
      port = optional types.port;
    };
  };
  site = types.submodule (
    { name, ... }:
    {
      options = {
        aliases = mkOption {
          type = types.listOf hostname;
          default = [ ];
        };
        redirects = mkOption {
          type = types.listOf hostname;
          default = [ ];
        };
        backend = mkOption {
          type = backend;
          default.type = "static";
        };
        static = optional types.nonEmptyStr;
        writable = mkOption {
          type = types.bool;
          default = false;
        };
        state = mkOption {
          type = absolutePath;
          default = "/var/${name}";
        };
        mountPoint = mkOption {
          type = absolutePath;
          default = "/www/${name}";
        };
        owner = mkOption {
          type = userName;
          default = "root";
        };
        dynamic = mkOption {
          type = types.listOf types.nonEmptyStr;
          default = [ ];
        };
      };
    }
  );
  machine = types.submodule {
    options = {
      provider = opt provider;
      targetHost = optional address;
      ssh = mkOption {
        type = ssh;
        default = { };
      };
      sites = mkOption {
        type = types.attrsOf site;
        default = { };
      };
    };
  };

  # What types cannot say: names, provider fields by type, backends,
  # uniqueness across the network, jump hosts.
  rules =
    { config, ... }:
    let
      n = config.network;
      ms = n.machines;
      unique = xs: builtins.length xs == builtins.length (lib.unique xs);
      perMachine = lib.concatLists (
        lib.mapAttrsToList (
          name: m:
          let
            sites = lib.attrValues m.sites;
            proxies = map (s: s.backend.port) (builtins.filter (s: s.backend.type == "proxy") sites);
            writable = builtins.filter (s: s.writable) sites;
          in
          [
            {
              assertion = builtins.match "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?" name != null;
              message = "machines.${name}: not a DNS label";
            }
            {
              assertion = m.provider.type != "ovh" || m.provider.address != null;
              message = "machines.${name}.provider.address: required for ovh";
            }
            {
              assertion = m.provider.type != "hetzner" || m.provider.mainIPv4 != null;
              message = "machines.${name}.provider.mainIPv4: required for hetzner";
            }
            {
              assertion = m.ssh.via == null || (m.ssh.via != name && ms ? ${m.ssh.via});
              message = "machines.${name}.ssh.via: no such other machine";
            }
            {
              assertion = builtins.all (s: s.backend.type != "proxy" || s.backend.port != null) sites;
              message = "machines.${name}: a proxy backend without a port";
            }
            {
              assertion = builtins.all (s: !s.writable || s.static != null) sites;
              message = "machines.${name}: a writable site without static content";
            }
            {
              assertion = unique proxies;
              message = "machines.${name}: a proxy port is used twice";
            }
            {
              assertion = unique (map (s: s.mountPoint) writable) && unique (map (s: s.state) writable);
              message = "machines.${name}: a mount point or state directory is used twice";
            }
          ]
        ) ms
      );
      domains = lib.concatLists (
        lib.mapAttrsToList (_: m: lib.concatLists (lib.mapAttrsToList (d: s: [ d ] ++ s.aliases ++ s.redirects) m.sites)) ms
      );
    in
    {
      assertions = perMachine ++ [
        {
          assertion = unique domains;
          message = "a domain is served twice";
        }
      ];
    };

  eval = lib.evalModules {
    modules = [
      {
        options.assertions = mkOption {
          type = types.listOf types.unspecified;
          default = [ ];
        };
        options.network = mkOption {
          type = types.submodule {
            options = {
              name = opt label;
              tld = optional hostname;
              machines = opt (types.attrsOf machine);
            };
          };
        };
      }
      rules
      { inherit network; }
    ];
  };
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) eval.config.assertions);
in
if failed != [ ] then
  throw "Failed assertions:\n${lib.concatMapStrings (m: "- ${m}\n") failed}"
else
  builtins.deepSeq eval.config.network (builtins.length (builtins.attrNames eval.config.network.machines))
