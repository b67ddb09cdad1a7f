# The same checks as builtins.jen.validateNetwork, written with Nix
# builtins only, as a Nix user would write them today: every violation as
# a list of "path: message" strings (empty when valid).
network:
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    elem
    filter
    genericClosure
    isAttrs
    isBool
    isInt
    isList
    isString
    length
    listToAttrs
    mapAttrs
    match
    attrValues
    ;
  label = s: isString s && match "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?" s != null;
  hostname = s: isString s && match "([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*" s != null;
  ipv4 = s: isString s && match "([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})" s != null;
  absPath = s: isString s && match "(/[^/]+)+" s != null && match ".*(^|/)\\.\\.?(/|$).*" s == null;
  check = cond: msg: if cond then [ ] else [ msg ];
  site =
    path: d: s:
    check (hostname d) "${path}: bad domain"
    ++ check (isAttrs s) "${path}: not a set"
    ++ check (!(s ? writable) || isBool s.writable) "${path}.writable: not a Boolean"
    ++ check (!(s ? static) || isString s.static) "${path}.static: not a string"
    ++ check (!(s ? state) || absPath s.state) "${path}.state: not an absolute path"
    ++ check (!(s ? mountPoint) || absPath s.mountPoint) "${path}.mountPoint: not an absolute path"
    ++ check (
      !(s ? backend)
      || s.backend.type == "static"
      || (s.backend.type == "proxy" && isInt s.backend.port && s.backend.port > 0 && s.backend.port < 65536)
    ) "${path}.backend: bad backend"
    ++ concatMap (a: check (hostname a) "${path}.aliases: bad name ${a}") (s.aliases or [ ]);
  machine =
    name: m:
    let
      path = "machines.${name}";
      sites = m.sites or { };
      ports = concatMap (d: if (sites.${d}.backend.type or "static") == "proxy" then [ sites.${d}.backend.port ] else [ ]) (attrNames sites);
      points = concatMap (d: if sites.${d}.writable or false then [ (sites.${d}.mountPoint or "/www/${d}") ] else [ ]) (attrNames sites);
    in
    check (label name) "${path}: bad machine name"
    ++ check (isAttrs m.provider or null) "${path}.provider: missing"
    ++ check (
      (m.provider.type or "") == "none" && (!(m.provider ? address) || ipv4 m.provider.address || hostname m.provider.address)
      || (m.provider.type or "") == "hetzner" && ipv4 (m.provider.mainIPv4 or null)
      || (m.provider.type or "") == "virtualbox"
      || (m.provider.type or "") == "ovh"
    ) "${path}.provider: bad provider"
    ++ check (!(m ? ssh.port) || isInt m.ssh.port && m.ssh.port > 0 && m.ssh.port < 65536) "${path}.ssh.port: bad port"
    ++ check (!(m ? ssh.via) || network.machines ? ${m.ssh.via}) "${path}.ssh.via: no such machine"
    ++ check (length ports == length (attrNames (listToAttrs (map (p: { name = toString p; value = null; }) ports)))) "${path}: a proxy port is used twice"
    ++ check (length points == length (attrNames (listToAttrs (map (p: { name = p; value = null; }) points)))) "${path}: a mount point is used twice"
    ++ concatLists (attrValues (mapAttrs (d: s: site "${path}.sites.${d}" d s) sites));
  names = concatLists (
    attrValues (
      mapAttrs (
        _: m: concatLists (attrValues (mapAttrs (d: s: [ d ] ++ (s.aliases or [ ]) ++ (s.redirects or [ ])) (m.sites or { })))
      ) network.machines
    )
  );
  uniqueNames = length names == length (attrNames (listToAttrs (map (n: { name = n; value = null; }) names)));
in
check (isString network.name or null) "name: missing"
++ check uniqueNames "a domain is served twice"
++ concatLists (attrValues (mapAttrs machine network.machines))
