# The seed network: one machine, www, serving four sites, deployed in one
# of three variants (as the original deployment chose with --arg variant).
#
#   jekor.com       static pages union-mounted (overlayfs) over a writable
#                   branch (comments live in /var/jekor.com)
#   jekos.net       union-mounted (unionfs-fuse, as in the seed), served by
#                   fsrest behind nginx on port 8001
#   minjs.com       plain static content from the store
#   vocabulink.com  a proxy to the application on port 8002
{
  variant ? "ovh",
  # Where the deployment reaches www, instead of the variant's address (a
  # test host, a new server before its DNS): its targetHost.
  address ? null,
  # The sites' content, a directory with one directory a site: a new
  # release of the sites is a new directory.
  content ? ./sites,
}:
let
  variants = {
    ovh = {
      tld = "jekor.com";
      provider = {
        type = "ovh";
        address = "144.217.85.49";
      };
      targetHost = "144.217.85.49";
    };
    hetzner = {
      tld = "jekor.com";
      provider = {
        type = "hetzner";
        mainIPv4 = "46.4.72.243";
      };
    };
    vbox = {
      tld = "lan";
      provider = {
        type = "virtualbox";
        memorySize = 1024;
        headless = true;
      };
    };
  };
  v =
    variants.${variant}
      or (throw "examples/jen: unknown variant '${variant}' (expected one of: ${toString (builtins.attrNames variants)})");
  deployKey = builtins.readFile ./keys/deploy_ed25519.pub;
  # One site's content in the store, by the site's name (the same store
  # path as "${./sites/<site>}" for the same content).
  site =
    name:
    builtins.path {
      path = content + "/${name}";
      inherit name;
    };
in
{
  name = "jekor";
  inherit (v) tld;
  machines.www =
    {
      inherit (v) provider;
      ssh = {
        user = "root";
        authorizedKeys = [ (builtins.replaceStrings [ "\n" ] [ "" ] deployKey) ];
      };
      sites = {
        "jekor.com" = {
          aliases = [ "www.jekor.com" ];
          static = "${site "jekor.com"}";
          writable = true;
          # The kernel's union, the default (docs/union-mounts.md).
          union = "overlayfs";
          owner = "fsrest";
          dynamic = [ "comments/**" ];
        };
        "jekos.net" = {
          aliases = [ "www.jekos.net" ];
          static = "${site "jekos.net"}";
          writable = true;
          # The seed's FUSE union.
          union = "unionfs-fuse";
          owner = "fsrest";
          backend = {
            type = "proxy";
            port = 8001;
          };
          dynamic = [ "**/comments.json" ];
        };
        "minjs.com" = {
          redirects = [ "www.minjs.com" ];
          static = "${site "minjs.com"}";
        };
        "vocabulink.com" = {
          redirects = [ "www.vocabulink.com" ];
          backend = {
            type = "proxy";
            port = 8002;
          };
        };
      };
    }
    // (
      if address != null then
        { targetHost = address; }
      else if v ? targetHost then
        { inherit (v) targetHost; }
      else
        { }
    );
}
