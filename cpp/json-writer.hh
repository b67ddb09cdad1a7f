// json-writer.hh: a Nix value as JSON text, in one pass.
//
// The same JSON as `builtins.toJSON` (nix::printValueAsJSON followed by
// `dump`), written straight into a string: no intermediate nlohmann tree,
// which cost more than half of the conversion of a large network
// (bench/README.md, round 4), and no second walk for the depth limit.
// Semantics kept from printValueAsJSON: values are forced; sets with
// `__toString` become that string, sets with `outPath` that value; paths
// become their absolute path (or are copied to the store with
// `toStore`); functions are a type error at their position; errors get
// the same "while evaluating attribute" / "list element" traces; object
// keys come out sorted. Differences: nesting deeper than `maxDepth` is a
// type error (printValueAsJSON would overflow the stack), and a string
// that is not UTF-8 raises `InvalidUtf8` (nlohmann's dump throws too).
#pragma once

#include "compat.hh"

#include <stdexcept>
#include <string>
#include <string_view>

namespace jen {

/// Deepest nesting the shim converts; the Rust side has the same limit.
constexpr size_t maxDepth = 1000;

/// A string of the argument is not valid UTF-8 (JSON text must be).
struct InvalidUtf8 : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

class JsonWriter
{
public:
    /// `builtin` names the caller in the depth error.
    JsonWriter(nix::EvalState & state, bool toStore, std::string builtin)
        : state(state)
        , toStore(toStore)
        , builtin(std::move(builtin))
    {
    }

    /// Append `v` as builtins.toJSON would write it.
    void value(nix::Value & v, nix::PosIdx pos, size_t depth = 0);

    /// Append a file argument: a path becomes {"$path": abs}, a list is
    /// written element by element, a string with store context is realised
    /// and becomes {"$path": its real location}, anything else is `value`.
    void file(nix::Value & v, nix::PosIdx pos, size_t depth = 0);

    /// Append a JSON string; throws InvalidUtf8.
    void string(std::string_view s);

    /// Append raw JSON punctuation or a key.
    void raw(char c) { out.push_back(c); }
    void key(std::string_view k)
    {
        string(k);
        out.push_back(':');
    }

    std::string out;

private:
    void checkDepth(size_t depth, nix::PosIdx pos);
    void number(nix::NixFloat f);

    nix::EvalState & state;
    bool toStore;
    std::string builtin;
};

} // namespace jen
