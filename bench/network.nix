# A generated network of `n` machines with 3 sites each, valid under the
# jen data model, for the benchmarks.
{ n }:
let
  machine = i: {
    name = "m${toString i}";
    value = {
      provider = {
        type = "none";
        address = "10.${toString (i / 65536)}.${toString (i / 256 - (i / 65536) * 256)}.${toString (i - (i / 256) * 256)}";
      };
      ssh = {
        user = "root";
        port = 22;
      };
      sites = builtins.listToAttrs (
        builtins.genList (j: {
          name = "s${toString j}.m${toString i}.example.com";
          value = {
            static = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-site";
            writable = j == 0;
            backend =
              if j == 2 then
                {
                  type = "proxy";
                  port = 8000 + j;
                }
              else
                { type = "static"; };
          };
        }) 3
      );
    };
  };
in
{
  name = "bench";
  tld = "example.com";
  machines = builtins.listToAttrs (builtins.genList machine n);
}
