// tree-merge.hh: a builtin's additions merged into its first argument.
//
// A builtin whose result is its first argument with attributes added
// (`validateNetwork` and its defaults) answers only the additions, as a
// tree in the layout of src/tree/mod.rs: a nested set of attributes to
// add, each of whose sets that adds to a set of the argument is anchored
// to it (its third word is 1 + that set's node in the argument's tree).
// The merge rebuilds each anchored set once from the Nix value the shim
// wrote that node from, with its original attributes shared (their
// values, string context and laziness untouched) and the added ones in
// place; sets the additions do not reach are the original values. An
// anchored set's name is the Symbol the writer saw, so the network's own
// names (machines, domains) are never looked up; the few added names are
// looked up once each. Equal short strings, Booleans and empty lists
// share one value. The JSON text and name lookups this replaces were most
// of the call's return trip at 10,000 machines (bench/README.md, round 10).
#pragma once

#include "tree-writer.hh"

#include <string_view>

namespace jen {

/// `out` = the argument `input` was written from, with the additions
/// tree (`words`, `text`) merged in. A malformed tree, or an anchor that
/// is not a set of `input`, throws nix::Error (an internal error of the
/// caller).
void mergeAdditions(nix::EvalState & state, nix::PosIdx pos, const TreeWriter & input, const uint64_t * words,
                    size_t nwords, std::string_view text, nix::Value & out);

} // namespace jen
