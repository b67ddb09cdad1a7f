// merge-reader.cc: see merge-reader.hh.
#include "merge-reader.hh"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

using namespace nix;

namespace jen {

namespace {

using json = nlohmann::json;

/// The SAX handler. Every Value it holds on to sits in a traceable
/// container (or is reachable from `orig`), so that a garbage collection
/// during the read frees nothing still needed.
class AdditionsReader : public nlohmann::json_sax<json>
{
public:
    AdditionsReader(EvalState & state, PosIdx pos, Value & orig)
        : state(state)
        , pos(pos)
        , orig(orig)
    {
    }

    /// The merged value, once the text is read.
    Value * result = nullptr;

    bool null() override
    {
        if (!nullValue) {
            nullValue = state.allocValue();
            nullValue->mkNull();
            keep.push_back(nullValue);
        }
        return deliver(nullValue);
    }

    bool boolean(bool b) override
    {
        Value *& shared = b ? trueValue : falseValue;
        if (!shared) {
            shared = state.allocValue();
            shared->mkBool(b);
            keep.push_back(shared);
        }
        return deliver(shared);
    }

    bool number_integer(number_integer_t n) override
    {
        Value * v = state.allocValue();
        v->mkInt(n);
        return deliver(v);
    }

    bool number_unsigned(number_unsigned_t n) override
    {
        if (n > uint64_t(std::numeric_limits<int64_t>::max()))
            throw Error("the integer %d is too large for Nix", n);
        return number_integer(int64_t(n));
    }

    bool number_float(number_float_t f, const string_t &) override
    {
        Value * v = state.allocValue();
        v->mkFloat(f);
        return deliver(v);
    }

    bool string(string_t & s) override
    {
        if (s.find('\0') != std::string::npos)
            throw Error("a string contains a NUL byte");
        auto [it, added] = strings.try_emplace(s, nullptr);
        if (added) {
            it->second = state.allocValue();
            it->second->mkString(s);
        }
        return deliver(it->second);
    }

    bool binary(binary_t &) override
    {
        throw Error("binary values are not JSON");
    }

    bool start_object(std::size_t) override
    {
        Frame f;
        if (frames.empty())
            f.orig = &orig;
        else if (auto * parent = frames.back().orig; parent && !frames.back().isList) {
            if (auto * a = parent->attrs()->get(frames.back().key)) {
                state.forceValue(*a->value, a->pos);
                if (a->value->type() != nAttrs)
                    throw Error("an addition would replace the attribute '%s', which is not a set",
                                state.symbols[frames.back().key]);
                f.orig = a->value;
            }
        }
        if (f.orig)
            state.forceValue(*f.orig, pos);
        frames.push_back(std::move(f));
        return true;
    }

    bool key(string_t & k) override
    {
        // The same few attribute names come back for every machine and
        // site: look them up in a small local cache before Nix's (large)
        // symbol table. Names seen once (machines, domains) stop filling
        // it when it is full.
        if (auto it = keys.find(k); it != keys.end())
            frames.back().key = it->second;
        else {
            frames.back().key = state.symbols.create(k);
            if (keys.size() < maxCachedKeys)
                keys.emplace(k, frames.back().key);
        }
        return true;
    }

    bool end_object() override
    {
        Frame f = std::move(frames.back());
        frames.pop_back();
        // Nothing added here: the original set itself.
        if (f.orig && f.attrs.empty())
            return deliver(f.orig);
        // Both sides in symbol order (as Bindings keep theirs), then one
        // merge walk.
        std::sort(f.attrs.begin(), f.attrs.end(), [](auto & a, auto & b) { return a.first < b.first; });
        for (size_t i = 1; i < f.attrs.size(); ++i)
            if (f.attrs[i].first == f.attrs[i - 1].first)
                throw Error("the attribute '%s' is added twice", state.symbols[f.attrs[i].first]);
        auto bindings = state.buildBindings(f.attrs.size() + (f.orig ? f.orig->attrs()->size() : 0));
        auto add = f.attrs.begin();
        if (f.orig) {
            for (auto & a : *f.orig->attrs()) {
                for (; add != f.attrs.end() && add->first < a.name; ++add)
                    bindings.insert(add->first, add->second, pos);
                if (add != f.attrs.end() && add->first == a.name) {
                    bindings.insert(a.name, add->second, a.pos);
                    ++add;
                } else
                    bindings.insert(a.name, a.value, a.pos);
            }
        }
        for (; add != f.attrs.end(); ++add)
            bindings.insert(add->first, add->second, pos);
        Value * v = state.allocValue();
        v->mkAttrs(bindings.finish());
        return deliver(v);
    }

    bool start_array(std::size_t) override
    {
        Frame f;
        f.isList = true;
        frames.push_back(std::move(f));
        return true;
    }

    bool end_array() override
    {
        Frame f = std::move(frames.back());
        frames.pop_back();
        if (f.items.empty())
            return deliver(&state.vEmptyList);
        auto list = state.buildList(f.items.size());
        for (size_t i = 0; i < f.items.size(); ++i)
            list[i] = f.items[i];
        Value * v = state.allocValue();
        v->mkList(list);
        return deliver(v);
    }

    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception & e) override
    {
        throw Error("%s", e.what());
    }

private:
    struct Frame
    {
        bool isList = false;
        /// The forced original set at this level; null for a new set.
        Value * orig = nullptr;
        /// The attribute whose value comes next.
        Symbol key;
        std::vector<std::pair<Symbol, Value *>, traceable_allocator<std::pair<Symbol, Value *>>> attrs;
        ValueVector items;
    };

    bool deliver(Value * v)
    {
        if (frames.empty()) {
            result = v;
            keep.push_back(v);
        } else if (frames.back().isList)
            frames.back().items.push_back(v);
        else
            frames.back().attrs.emplace_back(frames.back().key, v);
        return true;
    }

    EvalState & state;
    PosIdx pos;
    Value & orig;
    std::vector<Frame> frames;
    Value * nullValue = nullptr;
    Value * trueValue = nullptr;
    Value * falseValue = nullptr;
    std::unordered_map<std::string, Value *, std::hash<std::string>, std::equal_to<std::string>,
                       traceable_allocator<std::pair<const std::string, Value *>>>
        strings;
    static constexpr size_t maxCachedKeys = 64;
    std::unordered_map<std::string, Symbol> keys;
    /// Shared scalars and the result, kept reachable for the collector.
    ValueVector keep;
};

} // namespace

void mergeAdditions(EvalState & state, PosIdx pos, Value & orig, std::string_view additions, Value & out)
{
    state.forceValue(orig, pos);
    if (orig.type() != nAttrs)
        throw Error("cannot add attributes to a value that is not a set");
    AdditionsReader reader(state, pos, orig);
    json::sax_parse(additions.begin(), additions.end(), &reader);
    if (!reader.result || reader.result->type() != nAttrs)
        throw Error("the additions are not a set");
    out = *reader.result;
}

} // namespace jen
