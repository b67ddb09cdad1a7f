# Module-system option types backed by the plugin, for nixpkgs' `lib`:
#
#   let jenTypes = (import ./nix { }).lib.typesFor lib; in
#   options.fediversity.network = lib.mkOption {
#     type = jenTypes.jsonSchema ./data-model.json;
#   };
#
# The module system stops at the first type error of a submodule; a
# `jsonSchema` option reports every violation of its value at once, each
# with its attribute path under the option, in one evaluation error
# (a `throw`, so `builtins.tryEval` catches it, as it does the module
# system's own).
{ jen, lib }:
let
  inherit (lib) showOption showFiles getFiles;
in
rec {
  # A JSON value (set, list, string, number, Boolean, null) valid under the
  # JSON Schema `schema`: a set, a Boolean, or a path to a `.json` file
  # (read through Nix), checked by builtins.jen.check. Definitions merge as
  # `types.anything` merges them (sets recursively); the merged value is
  # checked. `options` are builtins.jen.checkWith's (`assertFormats`,
  # `resources`) for `jsonSchemaWith`.
  jsonSchema = jsonSchemaWith { };

  jsonSchemaWith =
    options: schema:
    lib.mkOptionType {
      name = "jsonSchema";
      description = "JSON value valid under its JSON Schema (checked by builtins.jen)";
      descriptionClass = "noun";
      check = lib.types.anything.check;
      merge =
        loc: defs:
        let
          value = lib.types.anything.merge loc defs;
          result = jen.checkWith options schema value;
          at = p: showOption (loc ++ p);
          n = builtins.length result.errors;
        in
        if result.valid then
          value
        else
          throw (
            "The option `${showOption loc}' is not valid under its JSON Schema (${toString n} violation${
              if n == 1 then "" else "s"
            }), defined in ${showFiles (getFiles defs)}:"
            + lib.concatMapStrings (e: "\n  ${at e.path}: ${e.message}") result.errors
          );
    };
}
