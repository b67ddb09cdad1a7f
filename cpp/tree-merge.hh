// tree-merge.hh: a builtin's answer as a tree, with additions merged into
// its arguments.
//
// A builtin whose result holds its argument with attributes added
// (`validateNetwork` and its defaults, `checkNetwork`'s `network`) answers
// a tree in the layout of src/tree/mod.rs in which only the additions
// stand: each set that adds to a set of the argument is anchored to it
// (its third word is 1 + that set's node in the argument's tree); the
// other nodes are new values.
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

/// `out` = the value of the tree (`words`, `text`), its anchored sets
/// merged into the sets of the arguments `input` was written from. A
/// malformed tree, or an anchor that is not a set of `input`, throws
/// nix::Error (an internal error of the caller).
void readTree(nix::EvalState & state, nix::PosIdx pos, const TreeWriter & input, const uint64_t * words,
              size_t nwords, std::string_view text, nix::Value & out);

} // namespace jen
