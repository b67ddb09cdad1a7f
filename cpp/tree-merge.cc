// tree-merge.cc: see tree-merge.hh.
#include "tree-merge.hh"
#include "shared-values.hh"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

using namespace nix;

namespace jen {

namespace {

class Merger
{
public:
    Merger(EvalState & state, PosIdx pos, const TreeWriter & input, const uint64_t * w, size_t nwords,
           std::string_view text)
        : state(state)
        , pos(pos)
        , input(input)
        , w(w)
        , n(nwords / 3)
        , text(text)
        , shared(state)
    {
        if (nwords % 3 || !n)
            throw Error("the result tree has %d words", nwords);
    }

    Value * build(size_t i, size_t depth = 0)
    {
        if (i >= n)
            throw Error("the result tree has no node %d", i);
        if (depth > maxDepth)
            throw Error("the result tree is nested too deep");
        switch (code(i)) {
        case kNull:
            return shared.null();
        case kBool:
            return shared.boolean(payload(i));
        case kInt: {
            Value * v = state.allocValue();
            v->mkInt(int64_t(payload(i)));
            return v;
        }
        case kFloat: {
            double f;
            uint64_t bits = payload(i);
            std::memcpy(&f, &bits, sizeof f);
            Value * v = state.allocValue();
            v->mkFloat(f);
            return v;
        }
        case kString: {
            // Short strings recur ("root", "static"); long ones are paths.
            auto s = str(i);
            return shared.string(s, s.size() <= 16);
        }
        case kList:
            return list(i, depth);
        case kSet:
            return set(i, depth);
        default:
            throw Error("node %d of the result tree has kind %d", i, code(i));
        }
    }

private:
    struct Frame
    {
        std::vector<std::pair<Symbol, Value *>, traceable_allocator<std::pair<Symbol, Value *>>> attrs;
        ValueVector items;
    };

    uint64_t code(size_t i) const { return w[3 * i] & 0xff; }
    size_t count(size_t i) const { return w[3 * i] >> 32; }
    size_t link(size_t i) const { return w[3 * i + 1]; }
    uint64_t payload(size_t i) const { return w[3 * i + 2]; }

    std::string_view str(size_t i) const
    {
        uint64_t at = payload(i), len = count(i);
        if (at > text.size() || len > text.size() - at)
            throw Error("string %d of the result tree lies outside its text", i);
        return text.substr(at, len);
    }

    /// The frame for a container at `depth`, cleared, its capacity kept (a
    /// fresh traceable vector per set costs a collector allocation).
    Frame & frame(size_t depth)
    {
        if (frames.size() <= depth)
            frames.resize(depth + 1);
        Frame & f = frames[depth];
        f.attrs.clear();
        f.items.clear();
        return f;
    }

    Value * list(size_t i, size_t depth)
    {
        size_t len = count(i);
        if (!len)
            return compat::emptyList(state);
        frame(depth);
        for (size_t e = i + 1, k = 0; k < len; ++k) {
            if (e >= n)
                throw Error("list %d of the result tree is malformed", i);
            Value * item = build(e, depth + 1);
            frames[depth].items.push_back(item);
            e = link(e);
        }
        Frame & f = frames[depth];
        if (f.items.size() != len)
            throw Error("list %d of the result tree is malformed", i);
        auto l = state.buildList(len);
        for (size_t k = 0; k < len; ++k)
            l[k] = f.items[k];
        Value * v = state.allocValue();
        v->mkList(l);
        return v;
    }

    /// The set of the argument that node `i` of the result tree adds to, if
    /// it is anchored.
    Value * anchored(size_t i) const
    {
        uint64_t a = payload(i);
        if (!a)
            return nullptr;
        size_t at = a - 1;
        if (at >= input.nodes() || (input.words[3 * at] & 0xff) != kSet || !input.words[3 * at + 2])
            throw Error("set %d of the result tree is anchored to node %d, which is not a set of the argument", i, at);
        auto * v = reinterpret_cast<Value *>(uintptr_t(input.words[3 * at + 2]));
        if (v->type() != nAttrs)
            throw Error("set %d of the result tree is anchored to a value that is not a set", i);
        return v;
    }

    Symbol nameOf(size_t key, size_t value)
    {
        // An anchored set's name is the one the writer saw.
        if (code(value) == kSet && payload(value))
            if (Symbol s = input.nameOf(payload(value) - 1))
                return s;
        auto k = str(key);
        auto it = names.find(k);
        if (it != names.end())
            return it->second;
        Symbol s = state.symbols.create(k);
        names.emplace(k, s);
        return s;
    }

    Value * set(size_t i, size_t depth)
    {
        Value * orig = anchored(i);
        size_t len = count(i);
        frame(depth);
        for (size_t k = 0; k < len; ++k) {
            size_t key = i + 1 + k;
            if (key >= n || code(key) != kKey)
                throw Error("set %d of the result tree is malformed", i);
            Symbol name = nameOf(key, link(key));
            Value * v = build(link(key), depth + 1);
            frames[depth].attrs.emplace_back(name, v);
        }
        auto & attrs = frames[depth].attrs;
        // Nothing added here: the original set itself.
        if (orig && attrs.empty())
            return orig;
        // Both sides in symbol order (as Bindings keep theirs), then one
        // merge walk; an added set replaces the original it was built from.
        std::sort(attrs.begin(), attrs.end(), [](auto & a, auto & b) { return a.first < b.first; });
        for (size_t k = 1; k < attrs.size(); ++k)
            if (attrs[k].first == attrs[k - 1].first)
                throw Error("the attribute '%s' is added twice", state.symbols[attrs[k].first]);
        auto bindings = state.buildBindings(attrs.size() + (orig ? orig->attrs()->size() : 0));
        auto add = attrs.begin();
        if (orig)
            for (auto & a : *orig->attrs()) {
                for (; add != attrs.end() && add->first < a.name; ++add)
                    bindings.insert(add->first, add->second, pos);
                if (add != attrs.end() && add->first == a.name) {
                    bindings.insert(a.name, add->second, a.pos);
                    ++add;
                } else
                    bindings.insert(a.name, a.value, a.pos);
            }
        for (; add != attrs.end(); ++add)
            bindings.insert(add->first, add->second, pos);
        Value * v = state.allocValue();
        v->mkAttrs(bindings.finish());
        return v;
    }

    EvalState & state;
    PosIdx pos;
    const TreeWriter & input;
    const uint64_t * w;
    size_t n;
    std::string_view text;
    std::vector<Frame> frames;
    /// Its strings: views into the text, which outlives the merger.
    SharedValues shared;
    std::unordered_map<std::string_view, Symbol> names;
};

} // namespace

void readTree(EvalState & state, PosIdx pos, const TreeWriter & input, const uint64_t * words, size_t nwords,
              std::string_view text, Value & out)
{
    Merger merger(state, pos, input, words, nwords, text);
    Value * v = merger.build(0);
    out = *v;
}

} // namespace jen
