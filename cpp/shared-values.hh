// shared-values.hh: the values the reader of a builtin's answer
// (tree-merge) hands out more than once, made once: null, true, false,
// and equal strings. Every occurrence of these is the same Value; a result
// of 10,000 machines holds tens of thousands of `false`, `"root"` and
// `"static"`.
#pragma once

#include "compat.hh"

#include <string_view>
#include <unordered_map>

namespace jen {

class SharedValues
{
public:
    explicit SharedValues(nix::EvalState & state)
        : state(state)
    {
    }

    nix::Value * null()
    {
        return once(nullValue, [](nix::Value & v) { v.mkNull(); });
    }

    nix::Value * boolean(bool b)
    {
        return b ? once(trueValue, [](nix::Value & v) { v.mkBool(true); })
                 : once(falseValue, [](nix::Value & v) { v.mkBool(false); });
    }

    /// A string value of `s`; one value for equal strings when `share`
    /// (then `s` must outlive this object: a view into the answer's
    /// text). Throws nix::Error for a NUL byte, which Nix strings cannot
    /// hold.
    nix::Value * string(std::string_view s, bool share)
    {
        if (s.find('\0') != std::string_view::npos)
            throw nix::Error("a string contains a NUL byte");
        if (!share) {
            nix::Value * v = state.allocValue();
            compat::mkString(state, *v, s);
            return v;
        }
        auto [it, added] = strings.try_emplace(s, nullptr);
        if (added) {
            it->second = state.allocValue();
            compat::mkString(state, *it->second, s);
        }
        return it->second;
    }

    /// Keep `v` reachable for the collector while this object lives.
    void keep(nix::Value * v) { kept.push_back(v); }

private:
    template<typename F>
    nix::Value * once(nix::Value *& slot, F make)
    {
        if (!slot) {
            slot = state.allocValue();
            make(*slot);
            kept.push_back(slot);
        }
        return slot;
    }

    nix::EvalState & state;
    nix::Value * nullValue = nullptr;
    nix::Value * trueValue = nullptr;
    nix::Value * falseValue = nullptr;
    /// Traceable: the values are the collector's.
    std::unordered_map<std::string_view, nix::Value *, std::hash<std::string_view>, std::equal_to<std::string_view>,
                       traceable_allocator<std::pair<const std::string_view, nix::Value *>>>
        strings;
    nix::ValueVector kept;
};

} // namespace jen
