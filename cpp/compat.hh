// compat.hh: every difference between Nix releases that the shim meets,
// and nowhere else. Target: Nix 2.26.3. Later releases need:
//   2.28  headers under <nix/<component>/...>  (handled: __has_include)
//   2.29  RegisterPrimOp::primOps() a function (we never touch primOps)
//   2.29+ Value::listItems() replaced by listView()  (handled: requires)
//   2.34  PrimOp::fun renamed PrimOp::impl           (handled: requires)
#pragma once

#if __has_include(<nix/expr/eval.hh>)
#  include <nix/expr/eval.hh>
#  include <nix/expr/eval-inline.hh>
#  include <nix/expr/primops.hh>
#  include <nix/expr/value-to-json.hh>
#  include <nix/expr/json-to-value.hh>
#  include <nix/store/store-api.hh>
#  include <nix/util/terminal.hh>
#  include <nix/util/util.hh>
#  include <nix/util/signals.hh>
#else
#  include <eval.hh>
#  include <eval-inline.hh>
#  include <primops.hh>
#  include <value-to-json.hh>
#  include <json-to-value.hh>
#  include <store-api.hh>
#  include <terminal.hh>
#  include <util.hh>
#  include <signals.hh>
#endif

#include <nlohmann/json.hpp>
#include <functional>
#include <string>

namespace jen::compat {

using PrimOpImpl = std::function<void(nix::EvalState &, nix::PosIdx, nix::Value **, nix::Value &)>;

/// Set a primop's implementation (`fun` up to 2.33, `impl` from 2.34).
template<typename P>
inline void setImpl(P & op, PrimOpImpl f)
{
    if constexpr (requires { op.impl; })
        op.impl = std::move(f);
    else
        op.fun = std::move(f);
}

/// Call `f(Value &)` for each element of a forced list.
template<typename V, typename F>
inline void forEachListItem(V & v, F && f)
{
    if constexpr (requires { v.listView(); }) {
        for (auto * e : v.listView())
            f(*e);
    } else {
        for (auto * e : v.listItems())
            f(*e);
    }
}

/// The integer of an int value (a checked `NixInt` since 2.24).
template<typename V>
inline int64_t intValue(V & v)
{
    if constexpr (requires { v.integer().value; })
        return v.integer().value;
    else
        return v.integer();
}

/// The absolute path of a path value.
inline std::string pathString(nix::Value & v)
{
    return v.path().path.abs();
}

/// Is pure evaluation (or restricted evaluation, which also hides the
/// environment) on? Decides whether builtins may read `~` and `$HOME`.
inline bool isPure(nix::EvalState & state)
{
    return state.settings.pureEval || state.settings.restrictEval;
}

} // namespace jen::compat
