// result-reader.hh: a builtin's JSON answer read back into Nix values.
//
// `readResult` makes a new value of the text, as Nix's `parseJSON` would,
// with the reader of json-reader.hh (strings straight from the text) and
// two shortcuts: equal strings share one value, and the few attribute names
// that recur are looked up in a small cache before Nix's symbol table.
//
// A builtin whose result is its first argument with attributes added
// (`validateNetwork` and its defaults) answers only the additions: JSON
// text of a nested set of attributes to add. `mergeAdditions` reads that
// text with the same reader and builds the merged value as it goes:
// each set the additions reach is rebuilt once, with its original
// attributes shared (their values, string context and laziness untouched)
// and the added ones appended; sets they do not reach are the original
// values. Equal added strings, Booleans, nulls and empty lists share one
// value. Nix's own parseJSON would first build a separate value for every
// addition (and a map per set), to be merged afterwards; at 10,000
// machines that was most of the call's return trip (bench/README.md,
// round 4).
#pragma once

#include "compat.hh"

#include <string_view>

namespace jen {

/// `out` = `orig` (a set) with the attributes of `additions` added,
/// recursively. An addition may not replace an attribute that is not a set;
/// a malformed text throws nix::Error (an internal error of the caller).
void mergeAdditions(nix::EvalState & state, nix::PosIdx pos, nix::Value & orig, std::string_view additions,
                    nix::Value & out);

/// `out` = the value of the JSON `text`; a malformed text throws
/// nix::Error.
void readResult(nix::EvalState & state, nix::PosIdx pos, std::string_view text, nix::Value & out);

} // namespace jen
