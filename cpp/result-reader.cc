// result-reader.cc: see result-reader.hh.
#include "result-reader.hh"
#include "json-reader.hh"
#include "shared-values.hh"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

using namespace nix;

namespace jen {

namespace {

/// The readJson handler. Every Value it holds on to sits in a traceable
/// container (or is reachable from `orig`), so that a garbage collection
/// during the read frees nothing still needed.
class ResultReader
{
public:
    ResultReader(EvalState & state, PosIdx pos)
        : state(state)
        , pos(pos)
        , shared(state)
    {
    }

    /// The value read, once the text is read.
    Value * result = nullptr;

    void null()
    {
        deliver(shared.null());
    }

    void boolean(bool b)
    {
        deliver(shared.boolean(b));
    }

    void integer(int64_t n)
    {
        Value * v = state.allocValue();
        v->mkInt(n);
        deliver(v);
    }

    void floating(double f)
    {
        Value * v = state.allocValue();
        v->mkFloat(f);
        deliver(v);
    }

    void string(std::string_view s, bool inText)
    {
        // Equal strings share one value; only strings that stand in the
        // text as they are (views that stay valid) are remembered.
        deliver(shared.string(s, inText));
    }

    void startObject()
    {
        push(false);
    }

    void key(std::string_view k, bool inText)
    {
        // The same few attribute names come back for every machine and
        // site: look them up in a small local cache before Nix's (large)
        // symbol table. Names seen once (machines, domains) stop filling
        // it when it is full.
        if (auto it = keys.find(k); it != keys.end())
            top().key = it->second;
        else {
            top().key = state.symbols.create(k);
            if (inText && keys.size() < maxCachedKeys)
                keys.emplace(k, top().key);
        }
    }

    void endObject()
    {
        Frame & f = pop();
        // In symbol order (as Bindings keep theirs); a key twice: the last
        // one counts, as in builtins.fromJSON.
        std::stable_sort(f.attrs.begin(), f.attrs.end(), [](auto & a, auto & b) { return a.first < b.first; });
        auto last = std::unique(f.attrs.rbegin(), f.attrs.rend(), [](auto & a, auto & b) { return a.first == b.first; });
        f.attrs.erase(f.attrs.begin(), last.base());
        auto bindings = state.buildBindings(f.attrs.size());
        for (auto & [name, value] : f.attrs)
            bindings.insert(name, value, pos);
        Value * v = state.allocValue();
        v->mkAttrs(bindings.finish());
        deliver(v);
    }

    void startArray()
    {
        push(true);
    }

    void endArray()
    {
        Frame & f = pop();
        if (f.items.empty())
            return deliver(compat::emptyList(state));
        auto list = state.buildList(f.items.size());
        for (size_t i = 0; i < f.items.size(); ++i)
            list[i] = f.items[i];
        Value * v = state.allocValue();
        v->mkList(list);
        deliver(v);
    }

private:
    struct Frame
    {
        bool isList = false;
        /// The attribute whose value comes next.
        Symbol key;
        std::vector<std::pair<Symbol, Value *>, traceable_allocator<std::pair<Symbol, Value *>>> attrs;
        ValueVector items;
    };

    /// Open a container: the frame above the open ones, reused with its
    /// vectors' capacity (a fresh traceable vector per set costs a
    /// collector allocation and free).
    Frame & push(bool isList)
    {
        if (open == frames.size())
            frames.emplace_back();
        Frame & f = frames[open++];
        f.isList = isList;
        f.attrs.clear();
        f.items.clear();
        return f;
    }

    /// Close the innermost container; its frame stays valid until the
    /// next push.
    Frame & pop()
    {
        return frames[--open];
    }

    Frame & top()
    {
        return frames[open - 1];
    }

    void deliver(Value * v)
    {
        if (open == 0) {
            result = v;
            shared.keep(v);
        } else if (top().isList)
            top().items.push_back(v);
        else
            top().attrs.emplace_back(top().key, v);
    }

    EvalState & state;
    PosIdx pos;
    /// frames[0, open) are the open containers, innermost last; the ones
    /// above are kept for reuse.
    std::vector<Frame> frames;
    size_t open = 0;
    /// Shared scalars (their strings: views into the text, which outlives
    /// the reader) and the result, kept reachable.
    SharedValues shared;
    static constexpr size_t maxCachedKeys = 64;
    /// Views into the text, as `strings`.
    std::unordered_map<std::string_view, Symbol> keys;
};

} // namespace

void readResult(EvalState & state, PosIdx pos, std::string_view text, Value & out)
{
    ResultReader reader(state, pos);
    readJson(text, reader);
    out = *reader.result;
}

} // namespace jen
