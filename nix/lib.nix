# The jen library: a network in, a checked deployment plan out.
{ jen }:
let
  inherit (builtins)
    attrNames
    attrValues
    concatStringsSep
    filter
    genList
    length
    mapAttrs
    stringLength
    ;

  pad = n: s: if stringLength s >= n then s else s + concatStringsSep "" (genList (_: " ") (n - stringLength s));

  # The systemd unit that mounts one writable site, as the seed's
  # www-mount service: create the writable branch, hand it to its owner,
  # union-mount it (copy-on-write) over the read-only static content, and
  # unmount on stop.
  mountUnit = mount: {
    description = "Union mount of ${mount.name}: ${mount.stateDir} (rw) over ${mount.static} (ro) on ${mount.mountPoint}";
    wantedBy = [ "multi-user.target" ];
    after = [ "local-fs.target" ];
    before = [ "nginx.service" ];
    preStart = ''
      mkdir -p ${mount.stateDir} ${mount.mountPoint}
      chown ${mount.owner} ${mount.stateDir}
    '';
    script = "unionfs -o cow,allow_other,uid=$(id -u ${mount.owner}) ${mount.stateDir}=rw:${mount.static}=ro ${mount.mountPoint}";
    serviceConfig = {
      Type = "forking";
      ExecStop = "umount ${mount.mountPoint}";
    };
  };

  # The union mounts of a validated machine, as checkStatePaths takes them.
  # `static` comes from the machine as written (`orig`): a builtin's result
  # crosses JSON and loses string context, and the units must keep the
  # static content's store path as a dependency.
  machineMounts =
    orig: m:
    map (d: {
      name = d;
      inherit (m.sites.${d}) owner mountPoint;
      static = orig.sites.${d}.static;
      stateDir = m.sites.${d}.state;
    }) (filter (d: m.sites.${d}.writable) (attrNames m.sites));

  # Static trees must not ship files under their sites' dynamic paths.
  checkStatic =
    orig: m:
    map (
      d:
      jen.checkStaticTree {
        static = orig.sites.${d}.static;
        inherit (m.sites.${d}) dynamic;
      }
    ) (filter (d: m.sites.${d}.writable && m.sites.${d}.dynamic != [ ]) (attrNames m.sites));

  planMachine =
    original: targets: network: name: m:
    let
      orig = original.machines.${name};
      mounts = machineMounts orig m;
      state = jen.checkStatePaths { inherit mounts; };
      target = targets.${name};
    in
    builtins.deepSeq (checkStatic orig m) {
      machine = m;
      inherit target;
      inherit (state) mounts;
      warnings = state.warnings ++ target.warnings;
      # What must be backed up: the writable branches (user content).
      inherit (state) backup;
      # What a deploy must never write: the branches and their mount points.
      inherit (state) exclude;
      units = builtins.listToAttrs (
        map (x: {
          name = "www-mount-${x.name}";
          value = mountUnit x;
        }) mounts
      );
      # A nixops4 resource for nixops4-nixos.
      nixops4 = {
        type = "nixos";
        ssh = {
          inherit (target)
            host
            user
            opts
            hostPublicKey
            ;
        };
      };
    };
in
{
  inherit mountUnit machineMounts;

  # Validate `network` (builtins.jen.validateNetwork: every violation at
  # once) and plan every machine: { <machine> = { machine; target; mounts;
  # backup; exclude; units; nixops4; warnings; }; }. The SSH targets come
  # from builtins.jen.sshTargets with `sshConfig`, `knownHosts` and `local`.
  plan =
    {
      network,
      sshConfig ? null,
      knownHosts ? [ ],
      local ? null,
    }:
    let
      n = jen.validateNetwork network;
      targets = jen.sshTargets (
        {
          inherit network sshConfig knownHosts;
        }
        // (if local == null then { } else { inherit local; })
      );
    in
    {
      network = n.name;
      machines = mapAttrs (planMachine network targets n) n.machines;
    };

  # A plan as a short text report, one block per machine.
  formatPlan =
    plan:
    let
      machine =
        name: p:
        let
          site =
            d:
            let
              s = p.machine.sites.${d};
              backend = if s.backend.type == "proxy" then "proxy :${toString s.backend.port}" else "static";
              content =
                if s.writable then
                  "${s.state} (rw) over ${s.static} on ${s.mountPoint}, owner ${s.owner}"
                else
                  s.static or "-";
              names = s.aliases ++ map (r: "${r} ->") s.redirects;
            in
            "    ${pad 16 d}${pad 13 backend}${content}"
            + (if names == [ ] then "" else "\n    ${pad 29 ""}also: ${concatStringsSep ", " names}");
        in
        concatStringsSep "\n" (
          [
            "machine ${name} (${p.machine.provider.type})"
            "  deploy   ${p.target.user}@${p.target.host} port ${toString p.target.port}${
              if p.target.proxyJump == null then "" else " via ${p.target.proxyJump}"
            }"
            "  hostkey  ${if p.target.hostPublicKey == null then "unknown" else p.target.hostPublicKey}"
            "  sites"
          ]
          ++ map site (attrNames p.machine.sites)
          ++ [
            "  backup   ${if p.backup == [ ] then "-" else concatStringsSep " " p.backup}"
            "  exclude  ${if p.exclude == [ ] then "-" else concatStringsSep " " p.exclude}"
            "  units    ${if p.units == { } then "-" else concatStringsSep " " (attrNames p.units)}"
          ]
          ++ map (w: "  warning  ${w}") p.warnings
        );
    in
    concatStringsSep "\n\n" (
      [ "network ${plan.network}: ${toString (length (attrNames plan.machines))} machine(s)" ]
      ++ attrValues (mapAttrs machine plan.machines)
    )
    + "\n";
}
