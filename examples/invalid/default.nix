# A broken copy of the seed network: every fault below is reported at once.
#
#   scripts/jen-nix eval --file examples/invalid report
let
  jen = import ../../nix { };
  seed = import ../jen/network.nix { variant = "hetzner"; };
  www = seed.machines.www;
  network = seed // {
    machines = {
      www = www // {
        # 1. a port out of range
        ssh = www.ssh // {
          port = 70000;
        };
        sites = www.sites // {
          # 2. a relative state directory
          "jekor.com" = www.sites."jekor.com" // {
            state = "var/jekor.com";
          };
          # 3. a second site on jekor.com's mount point
          # 4. and on vocabulink.com's backend port
          "jekos.net" = www.sites."jekos.net" // {
            mountPoint = "/www/jekor.com";
            backend = {
              type = "proxy";
              port = 8002;
            };
          };
          # 5. a name another site already serves
          "minjs.com" = www.sites."minjs.com" // {
            aliases = [ "www.jekor.com" ];
          };
        };
      };
      # 6. a jump host that does not exist
      db = {
        provider.type = "virtualbox";
        ssh.via = "gateway";
      };
      # 7. a hetzner machine without its address
      mail = {
        provider.type = "hetzner";
      };
    };
  };
in
{
  inherit network;
  report = (jen.lib.plan { inherit network; }).network;
}
