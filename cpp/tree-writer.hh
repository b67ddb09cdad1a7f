// tree-writer.hh: a Nix value as the core's value tree, in one pass.
//
// The core reads its arguments as a tree (src/tree/mod.rs has the
// layout): three 64-bit words per node and one text of every string,
// written here while the value is forced and handed to Rust as two
// slices. Nothing is formatted, escaped, lexed or allocated per value on
// either side; at 10,000 machines the JSON text this replaces, and the
// core's parse of it, were about half of validateNetwork's cost beyond
// forcing the network (bench/README.md, round 10).
//
// Semantics kept from builtins.toJSON (printValueAsJSON): values are
// forced; sets with `__toString` become that string, sets with `outPath`
// that value; paths become their absolute path (or are copied to the
// store with `toStore`); functions are a type error at their position;
// errors get the same "while evaluating attribute" / "list element"
// traces; attribute names come in sorted order; a non-finite float is
// null. Differences: nesting deeper than `maxDepth` is a type error
// (printValueAsJSON would overflow the stack), and a string that is not
// UTF-8 raises `InvalidUtf8`.
#pragma once

#include "compat.hh"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jen {

/// Deepest nesting the shim converts; the Rust side has the same limit.
constexpr size_t maxDepth = 1000;

/// Word 0's kind codes, as src/tree/mod.rs's `code`.
enum TreeCode : uint64_t { kNull = 0, kBool = 1, kInt = 2, kFloat = 3, kString = 4, kList = 5, kSet = 6, kKey = 7 };

/// A string of the argument is not valid UTF-8 (the core's strings are).
struct InvalidUtf8 : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

class TreeWriter
{
public:
    /// `builtin` names the caller in the depth and type errors.
    TreeWriter(nix::EvalState & state, bool toStore, std::string builtin)
        : state(state)
        , toStore(toStore)
        , builtin(std::move(builtin))
    {
    }

    /// Append `v` as builtins.toJSON would see it.
    void value(nix::Value & v, nix::PosIdx pos, size_t depth = 0);

    /// Append a file argument: a path becomes { "$path" = abs; }, a list is
    /// written element by element, a string with store context is realised
    /// and becomes { "$path" = its real location; }, anything else is
    /// `value`.
    void file(nix::Value & v, nix::PosIdx pos, size_t depth = 0);

    /// Append a string node; throws InvalidUtf8.
    void string(std::string_view s);

    /// Open a set of `n` attributes, or a list; returns its node, which
    /// `end` closes once its contents are written.
    size_t beginSet(size_t n, const nix::Value * from);
    size_t beginList();
    void end(size_t container);

    /// Append the set `v` (forced, at `depth`): its attributes in sorted
    /// order, each value written by `write(attr)`, with the "while
    /// evaluating attribute" trace on an error.
    template<typename F>
    void attrs(nix::Value & v, size_t depth, F && write)
    {
        // Bindings::lexicographicOrder, into a vector reused at this depth
        // (it allocates one per set: 60,000 for a network of 10,000
        // machines). Sized once (checkDepth bounds the depth), so that a
        // deeper level never moves this level's vector.
        if (sortScratch.empty())
            sortScratch.resize(maxDepth + 2);
        auto & sorted = sortScratch[depth];
        sorted.clear();
        for (auto & a : *v.attrs())
            sorted.push_back(&a);
        std::sort(sorted.begin(), sorted.end(), [&](const nix::Attr * a, const nix::Attr * b) {
            return std::string_view(state.symbols[a->name]) < std::string_view(state.symbols[b->name]);
        });
        size_t set = beginSet(sorted.size(), &v);
        for (size_t k = 0; k < sorted.size(); ++k) {
            auto * a = sorted[k];
            std::string_view name = state.symbols[a->name];
            try {
                key(set, k, name, a->name);
                write(*a);
            } catch (std::exception & ex) {
                if (auto * e = compat::asError<nix::BaseError>(ex))
                    e->addTrace(state.positions[a->pos], nix::HintFmt("while evaluating attribute '%1%'", name));
                throw;
            }
        }
        end(set);
    }

    /// Name attribute `k` of `set` (sorted), just before its value; `sym`
    /// is its Nix name, when it has one.
    void key(size_t set, size_t k, std::string_view name, nix::Symbol sym = {});

    size_t nodes() const { return words.size() / 3; }

    /// The Nix name of the attribute whose value is node `i` (none when it
    /// is not an attribute's value, or was not named by a Symbol).
    nix::Symbol nameOf(size_t i) const { return i < names.size() ? names[i] : nix::Symbol{}; }

    /// The nodes, three words each, and the text.
    std::vector<uint64_t> words;
    std::string text;

private:
    /// Indexed by node: the Symbols of `nameOf`.
    std::vector<nix::Symbol> names;
    /// Per depth, the attributes of the set being written, sorted.
    std::vector<std::vector<const nix::Attr *>> sortScratch;
    void node(uint64_t code, uint64_t count, uint64_t link, uint64_t payload);
    void scalar(uint64_t code, uint64_t payload) { node(code, 0, nodes() + 1, payload); }
    /// An external value's JSON (nlohmann's, from its printValueAsJSON).
    void json(const nlohmann::json & j);
    /// Append `s` to the text after checking it; its offset.
    uint64_t append(std::string_view s);
    void checkDepth(size_t depth, nix::PosIdx pos);

    nix::EvalState & state;
    bool toStore;
    std::string builtin;
};

} // namespace jen
