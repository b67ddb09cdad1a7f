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

  /**
    `s` single-quoted for the POSIX shell: read back as exactly `s`.

    # Example

    ```nix
    shellQuote "it's"
    => "'it'\\''s'"
    ```
  */
  shellQuote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  /**
    The programs a mount unit runs, by their store paths, from `pkgs`:
    `{ mkdir; chown; rm; rmdir; stat; unionfs; mount; mountpoint; umount;
    runuser; jen; }`. A NixOS unit's PATH holds none of them, and
    systemd's fixed search path for a bare ExecStop name has none either.
    `jen` (for `jen masking`) is the package's CLI, `pkgs.jen-builtins`,
    as the flake's overlay gives it. Each is only taken from `pkgs` when a
    unit uses it (an overlayfs unit needs no unionfs-fuse).
  */
  unitPrograms = pkgs: {
    mkdir = "${pkgs.coreutils}/bin/mkdir";
    chown = "${pkgs.coreutils}/bin/chown";
    rm = "${pkgs.coreutils}/bin/rm";
    rmdir = "${pkgs.coreutils}/bin/rmdir";
    stat = "${pkgs.coreutils}/bin/stat";
    unionfs = "${pkgs.unionfs-fuse}/bin/unionfs";
    mount = "${pkgs.util-linux}/bin/mount";
    mountpoint = "${pkgs.util-linux}/bin/mountpoint";
    umount = "${pkgs.util-linux}/bin/umount";
    runuser = "${pkgs.util-linux}/bin/runuser";
    jen = "${
      pkgs.jen-builtins
        or (throw "jen: the mount units run `jen masking`: pkgs needs jen-builtins (the flake's overlays.default)")
    }/bin/jen";
  };

  # The mode of every directory of a writable branch jen makes: the web
  # server reads the union through them.
  dirMode = "0755";
  # overlayfs's work directory: the kernel's scratch space, root's alone.
  workDirMode = "0700";

  /**
    The systemd unit (a NixOS `systemd.services` value) that mounts one
    writable site, as the seed's www-mount service: create the writable
    branch, hand it to its owner, make (as the owner) the directories its
    dynamic files go in, report what the branch hides of the static
    content, union-mount it over the read-only static content, and
    unmount on stop. `pkgs` gives the programs (`unitPrograms`).

    `mount`: `{ name; static; stateDir; mountPoint; owner ? "root";
    union ? "overlayfs"; workDir ? null; dynamic ? [ ]; onMasking ? "warn"; }`.

    - `union`: `"overlayfs"` (the kernel's; its work directory is
      `workDir`, by default the state directory's sibling
      `<stateDir>.overlay-work`, emptied at each start) or
      `"unionfs-fuse"`.
    - `dynamic`: the site's dynamic globs. The directories they need
      (`checkStaticTree`'s `writableDirs`) are made in the branch before
      the mount, since a directory only the store has shows as the
      store's (root's, read-only) and the owner could write nothing there.
    - `onMasking`: `"warn"` logs the static paths the branch hides
      (`jen masking`) and mounts; `"refuse"` fails the start instead.

    The mount is checked first by `builtins.jen.checkStatePaths` (the one
    path policy: safe characters, allowed trees, no path inside another,
    the work directory included; every fault at once), and every path and
    name is shell-quoted besides. ExecStop is a systemd command line, not
    a shell one: the policy's character set has nothing systemd would read
    as quoting or a specifier (no space, quote, `%`, `$` or backslash).

    # Example

    ```nix
    (import ./jen-builtins/nix { }).lib.mountUnit pkgs {
      name = "blog.example.org";
      static = ./site;
      stateDir = "/var/blog.example.org";
      mountPoint = "/www/blog.example.org";
      owner = "blog";
      dynamic = [ "comments/*" ];
    }
    => { description = "Union mount (overlayfs) of blog.example.org: ..."; preStart = "..."; script = "..."; ... }
    ```
  */
  mountUnit =
    pkgs: mount:
    let
      checked = builtins.head (jen.checkStatePaths { mounts = [ (checkable mount) ]; }).mounts;
    in
    builtins.seq checked (
      unitOf pkgs (
        mount
        // {
          inherit (checked) union workDir;
          dirs = writableDirsOf "the mount ${mount.name} (${
            builtins.toJSON (builtins.unsafeDiscardStringContext (toString mount.static))
          })" mount.static (mount.dynamic or [ ]);
        }
      )
    );

  ownerOf = mount: if mount.owner or null == null then "root" else mount.owner;

  # What checkStatePaths takes of a mount.
  checkable = mount: {
    inherit (mount)
      name
      static
      stateDir
      mountPoint
      ;
    owner = ownerOf mount;
    union = mount.union or null;
    workDir = mount.workDir or null;
  };

  # builtins.jen.checkStaticTree of a site's static content and dynamic
  # globs (it fails when the content ships dynamic files), giving the
  # directories its writable branch needs; none without dynamic globs.
  writableDirsOf =
    at: static: dynamic:
    if dynamic == [ ] then [ ] else (jen.checkStaticTree { inherit at static dynamic; }).writableDirs;

  # `machines.<name>.sites.<domain>`, as the data model's messages name a
  # site.
  siteAt = name: d: "machines.${attrName name}.sites.${attrName d}";
  attrName =
    n:
    if
      builtins.match "[a-zA-Z_][a-zA-Z0-9_'-]*" n != null
      && !(builtins.elem n [
        "assert"
        "else"
        "if"
        "in"
        "inherit"
        "let"
        "or"
        "rec"
        "then"
        "with"
      ])
    then
      n
    else
      builtins.toJSON n;

  # mountUnit without its checks, for mounts checkStatePaths has passed
  # (their `union` and `workDir` as it answered), with `dirs`, the
  # writable directories checkStaticTree gave.
  unitOf =
    pkgs: mount:
    let
      p = unitPrograms pkgs;
      owner = ownerOf mount;
      q = shellQuote;
      dirs = mount.dirs or [ ];
      inherit (mount) union stateDir mountPoint;
      # checkStatePaths answered one of the two.
      overlay = union == "overlayfs";
      onMasking = mount.onMasking or "warn";
      refuse =
        if onMasking == "refuse" then
          true
        else if onMasking == "warn" then
          false
        else
          throw "jen: union mount ${mount.name}: onMasking must be \"warn\" or \"refuse\", not ${builtins.toJSON onMasking}";
      # Every path the start makes or mounts over.
      paths = [
        stateDir
        mountPoint
      ]
      ++ (if overlay then [ mount.workDir ] else [ ]);
    in
    builtins.seq refuse {
      description = "Union mount (${union}) of ${mount.name}: ${stateDir} (rw) over ${mount.static} (ro) on ${mountPoint}";
      wantedBy = [ "multi-user.target" ];
      after = [ "local-fs.target" ];
      before = [ "nginx.service" ];
      preStart = ''
        if ${concatStringsSep " || " (map (x: "[ -L ${q x} ]") paths)}; then
          echo ${q "${concatStringsSep " or " paths} is a symbolic link; not mounting"} >&2
          exit 1
        fi
        if ${p.mountpoint} -q -- ${q mountPoint}; then
          echo ${q "${mountPoint} is already mounted; not mounting over it (unmount it first)"} >&2
          exit 1
        fi
        ${p.mkdir} -p -m ${dirMode} -- ${q stateDir} ${q mountPoint}
        ${p.chown} -- ${q owner} ${q stateDir}
      ''
      # As the owner: a link the site left in its branch leads nowhere it
      # could not already write.
      + (
        if dirs == [ ] then
          ""
        else
          ''
            ${p.runuser} -u ${q owner} -- ${p.mkdir} -p -m ${dirMode} -- ${
              concatStringsSep " " (map (d: q "${stateDir}/${d}") dirs)
            }
          ''
      )
      # overlayfs's work directory: emptied of what the kernel keeps there
      # (work/, index/), and refused if it holds anything else (a workDir
      # that names a directory of data); on the state directory's mount.
      + (
        if overlay then
          let
            w = mount.workDir;
          in
          ''
            ${p.mkdir} -p -m ${workDirMode} -- ${q w}
            ${p.rm} -rf -- ${q "${w}/work"} ${q "${w}/index"}
            if ! ${p.rmdir} -- ${q w}; then
              echo ${q "jen: ${w} holds more than overlayfs's work/ and index/; not emptying it (is workDir right?)"} >&2
              exit 1
            fi
            ${p.mkdir} -m ${workDirMode} -- ${q w}
            if [ "$(${p.stat} -c %m -- ${q stateDir})" != "$(${p.stat} -c %m -- ${q w})" ]; then
              echo ${q "jen: ${w} is not on the mount of ${stateDir}, as overlayfs needs: set the site's workDir to a directory on that mount, outside the state directory"} >&2
              exit 1
            fi
          ''
        else
          ""
      )
      + ''
        masked=0
        ${p.jen} masking --union ${union} --static ${q mount.static} ${q stateDir} || masked=$?
        if [ "$masked" = 1 ]; then
          ${
            if refuse then
              "echo ${q "jen: ${stateDir} hides static files of ${mount.name} (above); not mounting (onMasking = refuse)"} >&2; exit 1"
            else
              "echo ${q "jen: warning: ${stateDir} hides static files of ${mount.name} (above)"} >&2"
          }
        elif [ "$masked" != 0 ]; then
          exit "$masked"
        fi
      '';
      # No uid= option: the union shows each file's real owner and mode
      # (the store's read-only files stay root's and cannot be written).
      script =
        if overlay then
          "${p.mount} -t overlay -o ${q "lowerdir=${mount.static},upperdir=${stateDir},workdir=${mount.workDir}"} -- overlay ${q mountPoint}"
        else
          "${p.unionfs} -o cow,allow_other,hide_meta_files ${q "${stateDir}=rw:${mount.static}=ro"} ${q mountPoint}";
      serviceConfig = {
        ExecStop = "${p.umount} ${mountPoint}";
      }
      // (
        if overlay then
          {
            # mount returns once the kernel has it: no daemon to follow.
            Type = "oneshot";
            RemainAfterExit = true;
          }
        else
          { Type = "forking"; }
      );
    };

  /**
    The union mounts of a validated machine, as `checkStatePaths` takes
    them, with `dirs` and `onMasking`. `static` comes from the machine as
    written (`orig`): a builtin's result crosses JSON and loses string
    context, and the units must keep the static content's store path as a
    dependency. `statics` is the writable directories of each writable
    site (`checkStaticTree`'s `writableDirs`).
  */
  machineMounts =
    orig: m: statics:
    map (
      d:
      let
        s = m.sites.${d};
      in
      {
        name = d;
        inherit (s) owner mountPoint;
        static = orig.sites.${d}.static;
        stateDir = s.state;
        union = s.union or null;
        workDir = s.workDir or null;
        dirs = statics.${d};
        onMasking = s.onMasking or "warn";
      }
    ) (filter (d: m.sites.${d}.writable) (attrNames m.sites));

  # Static trees must not ship files under their sites' dynamic paths;
  # each check also says which directories the writable branch needs.
  checkStatic =
    name: orig: m:
    builtins.listToAttrs (
      map (d: {
        name = d;
        value =
          let
            static = orig.sites.${d}.static;
            written = builtins.toJSON (builtins.unsafeDiscardStringContext (toString static));
          in
          writableDirsOf "${siteAt name d} (${written})" static m.sites.${d}.dynamic;
      }) (filter (d: m.sites.${d}.writable) (attrNames m.sites))
    );

  # Every directory a machine's writable branches must have before the
  # first start, for a deploy to make (the branches, then the directories
  # their dynamic paths need, then an overlayfs mount's work directory),
  # each with its owner and mode. `mounts` as checkStatePaths answered
  # (with `workDir`), with `dirs`.
  stateDirsOf =
    mounts:
    builtins.concatMap (
      x:
      map
        (path: {
          inherit path;
          owner = ownerOf x;
          mode = dirMode;
        })
        (
          [ x.stateDir ] ++ map (d: "${x.stateDir}/${d}") x.dirs
        )
      ++ (
        if x.workDir == null then
          [ ]
        else
          [
            {
              path = x.workDir;
              owner = "root";
              mode = workDirMode;
            }
          ]
      )
    ) mounts;

  planMachine =
    pkgs: original: targets: network: name: m:
    let
      orig = original.machines.${name};
      statics = checkStatic name orig m;
      given = machineMounts orig m statics;
      # Reported at the network's attributes (machines.<name>.sites.<d>.state),
      # where the machine's own set says they were written.
      state = jen.checkStatePaths {
        machine = orig;
        mounts = map (
          x:
          checkable x
          // {
            at = [
              "machines"
              name
              "sites"
              x.name
            ];
          }
        ) given;
      };
      # The mounts with the union and work directory the check settled.
      mounts = genList (
        i:
        builtins.elemAt given i
        // {
          inherit (builtins.elemAt state.mounts i) union workDir;
        }
      ) (length given);
      target = targets.${name};
    in
    builtins.deepSeq statics {
      machine = m;
      inherit target;
      inherit (state) mounts;
      # What a deploy makes before the first start: every writable
      # directory, with its owner and mode.
      stateDirs = stateDirsOf mounts;
      warnings = state.warnings ++ target.warnings;
      # What must be backed up: the writable branches (user content).
      inherit (state) backup;
      # What a deploy must never write: the branches and their mount points.
      inherit (state) exclude;
      # The units nixosModules.unionMounts would run for these mounts;
      # their programs come from `pkgs`, so without it each unit is an
      # error saying so (their names are still listed).
      units = builtins.listToAttrs (
        map (x: {
          name = "www-mount-${x.name}";
          value =
            if pkgs == null then
              throw "jen lib.plan: unit www-mount-${x.name}: the units run programs from the store; pass pkgs (nixpkgs with jen-builtins, for coreutils, util-linux, unionfs-fuse where a site uses it, and jen) to lib.plan"
            else
              # `state` checked these very mounts: not again per unit.
              builtins.seq state (unitOf pkgs x);
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

  /**
    Validate `network` (`builtins.jen.validateNetwork`: every violation
    at once) and plan every machine. Returns `{ network; machines = {
    <machine> = { machine; target; mounts; stateDirs; backup; exclude;
    units; nixops4; warnings; }; }; }`.

    The SSH targets come from `builtins.jen.sshTargets` with `sshConfig`,
    `knownHosts` and `local`. `pkgs` (nixpkgs with the flake's overlay)
    gives the units their programs; without it the units are named, and
    forcing one says to pass `pkgs`.

    # Example

    ```nix
    let jen = import ./jen-builtins/nix { }; in
    jen.lib.formatPlan (jen.lib.plan {
      network = import ./network.nix;
      knownHosts = ./known_hosts;
    })
    ```
  */
  plan =
    args@{ network, ... }:
    planValidated (args // { validated = jen.validateNetwork network; });

  # plan, given the network and its validateNetwork result. With
  # `perMachineTargets`, each machine's SSH target is resolved on its own
  # (with the jump hosts it goes through), when that machine is planned:
  # what one job of many needs, instead of the whole network's targets in
  # every worker.
  planValidated =
    {
      network,
      validated,
      sshConfig ? null,
      knownHosts ? [ ],
      local ? null,
      pkgs ? null,
      perMachineTargets ? false,
    }:
    let
      n = validated;
      sshTargets =
        net:
        jen.sshTargets (
          {
            network = net;
            inherit sshConfig knownHosts;
          }
          // (if local == null then { } else { inherit local; })
        );
      # `name` and the machines its ssh.via chain goes through.
      viaChain =
        name:
        let
          go =
            seen: m:
            let
              v = network.machines.${m}.ssh.via or null;
            in
            if v == null || builtins.elem v seen || !(network.machines ? ${v}) then seen else go (seen ++ [ v ]) v;
        in
        go [ name ] name;
      alone =
        name:
        network
        // {
          machines = builtins.intersectAttrs (builtins.listToAttrs (
            map (m: {
              name = m;
              value = null;
            }) (viaChain name)
          )) network.machines;
        };
      targets =
        if perMachineTargets then
          mapAttrs (name: _: (sshTargets (alone name)).${name}) n.machines
        else
          sshTargets network;
    in
    {
      network = n.name;
      machines = mapAttrs (planMachine pkgs network targets n) n.machines;
    };
in
{
  inherit
    mountUnit
    machineMounts
    unitPrograms
    shellQuote
    ;

  inherit plan;

  /**
    Option types for nixpkgs' module system, given its `lib`:
    `(typesFor lib).jsonSchema schema` is an option type whose value must
    match a JSON Schema, every violation reported at once
    (`nix/types.nix`).

    # Example

    ```nix
    options.network = lib.mkOption {
      type = (jen.lib.typesFor lib).jsonSchema ./jen-builtins/nix/data-model.json;
    };
    ```
  */
  typesFor = lib: import ./types.nix { inherit jen lib; };

  /**
    One nix-eval-jobs job per machine, for fleets too large for one
    evaluator: { <machine> = <derivation>; }. A job's derivation carries
    that machine's plan (lib.plan: SSH target, state paths checked, static
    trees checked, backup and exclude lists; the units too when `pkgs` is
    given) as JSON in its `plan` attribute, so evaluating its drvPath runs
    every check of that machine; building it writes the plan to $out.

    The data model is checked once for the whole network (per evaluator
    process: every job of a nix-eval-jobs worker shares it). A violation
    under machines.<name> fails that machine's job only, listing every
    violation of it; the other machines are planned from the network
    without the broken ones (so a machine whose jump host is broken fails
    too, saying so). A violation outside any machine fails every job.

    # Example

    ```
    nix-eval-jobs --option plugin-files .../libjen_builtins.so \
      --workers 8 --expr '(import ./nix { }).lib.jobs { network = import ./network.nix;
        local = { user = "ci"; home = "/var/empty"; hostname = "ci"; }; }'
    ```
  */
  jobs =
    {
      network,
      sshConfig ? null,
      knownHosts ? [ ],
      local ? null,
      pkgs ? null,
      system ? "x86_64-linux",
    }:
    let
      machineOf =
        e: if length e.path >= 2 && builtins.head e.path == "machines" then builtins.elemAt e.path 1 else null;
      # Check, leave out the machines with violations, check again (a
      # machine may depend on one left out), until the rest is valid or a
      # violation outside the machines remains. One pass when the network
      # is valid, two when machines are broken on their own.
      prune =
        net: broken:
        let
          checked = jen.checkNetwork net;
          global = filter (e: machineOf e == null) checked.errors;
          byMachine = builtins.groupBy machineOf (filter (e: machineOf e != null) checked.errors);
        in
        if checked.valid || global != [ ] || byMachine == { } then
          {
            inherit net broken global;
          }
        else
          prune (net // { machines = removeAttrs net.machines (attrNames byMachine); }) (broken // byMachine);
      # A valid network (the common case) is validated once; only when it
      # fails are the violations sorted by machine.
      first = builtins.tryEval (jen.validateNetwork network);
      pruned =
        if first.success then
          {
            net = network;
            validated = first.value;
            broken = { };
            global = [ ];
          }
        else
          let
            r = prune network { };
          in
          r // { validated = jen.validateNetwork r.net; };
      inherit (pruned) global;
      byMachine = pruned.broken;
      report =
        what: errors:
        "${what} (${toString (length errors)} violation${if length errors == 1 then "" else "s"}):"
        + concatStringsSep "" (map (e: "\n  ${e.attrPath}: ${e.message}") errors);
      planned = planValidated {
        network = pruned.net;
        inherit (pruned) validated;
        perMachineTargets = true;
        inherit
          sshConfig
          knownHosts
          local
          pkgs
          ;
      };
      job =
        name:
        if global != [ ] then
          throw (report "jen lib.jobs: machine ${name}: the network is not valid" global)
        else if byMachine ? ${name} then
          throw (report "jen lib.jobs: machine ${name} is not valid" byMachine.${name})
        else
          let
            p = planned.machines.${name};
          in
          derivation {
            name = "jen-plan-${name}";
            inherit system;
            builder = "/bin/sh";
            args = [
              "-c"
              "printf '%s' \"$plan\" > \"$out\""
            ];
            plan = builtins.toJSON (if pkgs == null then removeAttrs p [ "units" ] else p);
          };
      machines = network.machines or null;
    in
    if builtins.isAttrs machines then
      mapAttrs (name: _: job name) machines
    else
      {
        network = throw (report "jen lib.jobs: the network is not valid" (jen.checkNetwork network).errors);
      };

  /**
    A plan (`plan`'s result) as a short text report, one block per
    machine: how it is deployed, its sites (and each writable site's
    union), what a deploy prepares, what is backed up and what it must
    never write, the units, and the warnings.

    # Example

    ```nix
    jen.lib.formatPlan (jen.lib.plan { network = import ./network.nix; })
    => "network blog: 1 machine(s)\n\nmachine web (ovh)\n  deploy   root@203.0.113.7 port 22\n..."
    ```
  */
  formatPlan =
    plan:
    let
      machine =
        name: p:
        let
          mountOf = builtins.listToAttrs (
            map (x: {
              inherit (x) name;
              value = x;
            }) p.mounts
          );
          site =
            d:
            let
              s = p.machine.sites.${d};
              backend = if s.backend.type == "proxy" then "proxy :${toString s.backend.port}" else "static";
              content =
                if s.writable then
                  "${mountOf.${d}.union}: ${s.state} (rw) over ${s.static} on ${s.mountPoint}, owner ${s.owner}"
                else
                  s.static or "-";
              names = s.aliases ++ map (r: "${r} -> ${d}") s.redirects;
            in
            "    ${pad domainWidth d}${pad 13 backend}${content}"
            + (
              if names == [ ] then "" else "\n    ${pad (domainWidth + 13) ""}also: ${concatStringsSep ", " names}"
            );
          # The domain column: as wide as the longest domain, and a gap.
          domainWidth = builtins.foldl' (w: d: if stringLength d + 2 > w then stringLength d + 2 else w) 16 (
            attrNames p.machine.sites
          );
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
            "  prepare  ${
              if p.stateDirs == [ ] then
                "-"
              else
                concatStringsSep " " (map (d: "${d.path} (${d.owner} ${d.mode})") p.stateDirs)
            }"
            "  backup   ${if p.backup == [ ] then "-" else concatStringsSep " " p.backup}"
            "  exclude  ${if p.exclude == [ ] then "-" else concatStringsSep " " p.exclude}"
            "  units    ${if p.units == { } then "-" else concatStringsSep " " (attrNames p.units)}"
          ]
          ++ map (w: "  warning  ${w}") (builtins.filter (w: !(shared w)) p.warnings)
        );
      # A warning that several machines share is said once, after them,
      # with the machines it holds for.
      byWarning = builtins.groupBy (x: x.warning) (
        builtins.concatLists (
          attrValues (
            mapAttrs (
              name: p:
              map (warning: {
                inherit name warning;
              }) p.warnings
            ) plan.machines
          )
        )
      );
      shared = w: length byWarning.${w} > 1;
      sharedWarnings = builtins.filter shared (attrNames byWarning);
    in
    concatStringsSep "\n\n" (
      [ "network ${plan.network}: ${toString (length (attrNames plan.machines))} machine(s)" ]
      ++ attrValues (mapAttrs machine plan.machines)
      ++ (
        if sharedWarnings == [ ] then
          [ ]
        else
          [
            (concatStringsSep "\n" (
              map (
                w: "warning for machines ${concatStringsSep ", " (map (x: x.name) byWarning.${w})}:\n  ${w}"
              ) sharedWarnings
            ))
          ]
      )
    )
    + "\n";
}
