// result-reader.hh: a builtin's JSON answer read back into Nix values.
//
// `readResult` makes a new value of the text, as Nix's `parseJSON` would,
// with the reader of json-reader.hh (strings straight from the text) and
// two shortcuts: equal strings share one value, and the few attribute names
// that recur are looked up in a small cache before Nix's symbol table.
//
// (Additions to a builtin's first argument come back as a tree instead:
// tree-merge.hh.)
#pragma once

#include "compat.hh"

#include <string_view>

namespace jen {

/// `out` = the value of the JSON `text`; a malformed text throws
/// nix::Error.
void readResult(nix::EvalState & state, nix::PosIdx pos, std::string_view text, nix::Value & out);

} // namespace jen
