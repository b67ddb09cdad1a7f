# The NixOps4 provider module of `jen nixops4-provider`.
#
# Give it the path of the `jen` executable and declare it as a provider:
#
#   { providers, members, ... }:
#   {
#     providers.jen = import ./nix/nixops4/provider.nix { jen = "${jen-builtins}/bin/jen"; };
#     members.state = { type = providers.local.state_file; inputs.name = "state.json"; };
#     members.www-key = {
#       type = providers.jen.ssh_target;
#       state = members.state;
#       inputs.host = "144.217.85.49";
#     };
#     members.www-state = {
#       type = providers.jen.state_dirs;
#       inputs.target = {
#         host = "144.217.85.49";
#         hostPublicKey = members.www-key.outputs.hostPublicKey;
#       };
#       inputs.dirs = [ { path = "/var/jekor.com"; owner = "fsrest"; mode = "0750"; } ];
#     };
#   }
#
# The options below are the provider's own argument checks' first line:
# the provider reads the same inputs again (src/provider) and refuses
# anything else with a message naming the attribute.
{ jen }:
{ lib, ... }:
let
  inherit (lib) mkOption types;
  # How a host is reached, the same in both resource types' inputs.
  hostOption = mkOption {
    type = types.str;
    description = "Host name or address.";
  };
  portOption = mkOption {
    type = types.ints.between 1 65535;
    default = 22;
    description = "SSH port of the host.";
  };
  publicKey = types.strMatching "(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*";
in
{
  name = "jen";
  description = ''
    Deploy-time facts of a jen network: a host's SSH host key, pinned in
    the deployment's state, and the writable state directories of its
    union mounts, made on the host over an SSH connection that accepts
    only the pinned key.
  '';
  executable = jen;
  args = [ "nixops4-provider" ];
  resourceTypes = {
    ssh_target = {
      description = ''
        A host's SSH host key, read from the live host (`ssh-keyscan`) when
        the resource is created and pinned in the deployment's state. When
        the resource's inputs change, the keys are read again and the
        update fails if the pinned key is gone, naming both fingerprints,
        unless `acceptChangedKey` is set. NixOps4 does not run a resource
        whose inputs are unchanged, so the pin protects a deployment through
        its consumers: everything that connects with `hostPublicKey`
        (`state_dirs` does) accepts that key alone.
      '';
      requireState = true;
      inputs.options = {
        host = hostOption;
        port = portOption;
        keyTypes = mkOption {
          type = types.nonEmptyListOf (
            types.enum [
              "ed25519"
              "ecdsa"
              "rsa"
            ]
          );
          default = [ "ed25519" ];
          description = "Key types read, in order of preference: the first found is pinned.";
        };
        acceptChangedKey = mkOption {
          type = types.bool;
          default = false;
          description = ''
            Accept a host key that differs from the pinned one, once you
            have checked the new fingerprint out of band (a reinstalled
            host). Set it for one deployment, then remove it.
          '';
        };
      };
      outputs.options = {
        hostPublicKey = mkOption {
          type = publicKey;
          description = "The pinned key, `\"ssh-ed25519 AAAA...\"`.";
        };
        fingerprint = mkOption {
          type = types.str;
          description = "Its `SHA256:` fingerprint.";
        };
        hostPublicKeys = mkOption {
          type = types.listOf (
            types.submodule {
              options.publicKey = mkOption { type = publicKey; };
              options.fingerprint = mkOption { type = types.str; };
            }
          );
          description = "Every key of the wanted types the host offered, the pinned one first.";
        };
      };
    };
    state_dirs = {
      description = ''
        Writable state directories made on a host over SSH (with their
        parents), given owner and mode, never deleted. The connection
        accepts `target.hostPublicKey` alone, whatever known_hosts says.
        Every path must pass jen's state-path policy, and one that goes
        through a symbolic link on the host is refused before anything is
        made.
      '';
      requireState = false;
      inputs.options = {
        target = mkOption {
          description = "How the host is reached.";
          type = types.submodule {
            options = {
              host = hostOption;
              port = portOption;
              user = mkOption {
                type = types.str;
                default = "root";
                description = "User logged in as (it must be able to `chown`).";
              };
              hostPublicKey = mkOption {
                type = publicKey;
                description = "The only host key accepted: an `ssh_target`'s output.";
              };
              identityFile = mkOption {
                type = types.nullOr types.str;
                default = null;
                description = "Private key to log in with (an absolute path, kept out of the store).";
              };
              sshConfigFile = mkOption {
                type = types.nullOr types.str;
                default = null;
                description = "ssh_config file ssh reads instead of ~/.ssh/config.";
              };
            };
          };
        };
        dirs = mkOption {
          description = "The directories, each checked by jen's state-path policy.";
          type = types.listOf (
            types.submodule {
              options = {
                path = mkOption {
                  type = types.str;
                  description = "Absolute, normalised path.";
                };
                owner = mkOption {
                  type = types.str;
                  default = "root";
                  description = "`user` or `user:group`.";
                };
                mode = mkOption {
                  type = types.strMatching "[0-7]{3,4}";
                  default = "0755";
                  description = "Octal mode.";
                };
              };
            }
          );
        };
      };
      outputs.options = {
        dirs = mkOption {
          type = types.listOf (types.attrsOf types.str);
          description = "`{ path; owner; group; mode; }` of each directory, as `stat` reads them on the host afterwards.";
        };
      };
    };
  };
}
