// compat.hh: every difference between the Nix releases the shim supports
// (2.26.3, 2.28.7, 2.31.5, 2.35.2; see scripts/nix-versions), and nowhere
// else. Each is a feature test (__has_include, a requires-expression), never
// a version number, so a release in between takes whichever side it has.
// "by 2.35" marks what 2.31.5 still had the old way and 2.35.2 changed:
//   2.28     headers under <nix/<component>/...>, no config-*.hh to include
//   2.28     EvalState::toRealPath gone: a store path is read where it names
//   2.29+    Value::listItems() replaced by listView()
//   by 2.35  PrimOp::fun renamed impl (a nix::fun, never empty, built
//            explicitly from a std::function), PrimOp::doc an optional
//   by 2.35  Value::mkString takes the evaluator's EvalMemory (state.mem)
//   by 2.35  EvalState::sOutPath moved to EvalState::s.outPath; vEmptyList a
//            static of Value
//   by 2.35  Store::toStorePath answers a CanonPath sub-path, not a string
// and, with libc++ (the C++23 library of Nix 2.31+ on Debian 12), no
// floating-point std::from_chars (parseDouble below).
//
// Why not Nix's C API (nix_api_*.h), stable across these releases: its
// primop wrapper raises every error as EvalError("Error from custom
// function: ...") (libexpr-c in 2.28.7 and 2.35.2), which builtins.tryEval
// cannot catch and which is never a type error; the plugin's three error
// kinds (README, "The builtins") need the C++ error classes.
#pragma once

#if __has_include(<nix/expr/eval.hh>)
#  include <nix/expr/eval.hh>
#  include <nix/expr/eval-inline.hh>
#  include <nix/expr/primops.hh>
#  include <nix/expr/value-to-json.hh>
#  include <nix/expr/json-to-value.hh>
#  include <nix/store/store-api.hh>
#  include <nix/store/globals.hh>
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
#  include <globals.hh>
#  include <terminal.hh>
#  include <util.hh>
#  include <signals.hh>
#endif

#include <nlohmann/json.hpp>
#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <typeinfo>
#include <locale.h>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace jen::compat {

using PrimOpImpl = std::function<void(nix::EvalState &, nix::PosIdx, nix::Value **, nix::Value &)>;

/// A primop named `name` over `args` doing `f`, documented by `doc` (which
/// must outlive the process where Nix keeps a `const char *`).
template<typename P = nix::PrimOp>
inline P makePrimOp(std::string name, std::vector<std::string> args, const char * doc, PrimOpImpl f)
{
    size_t arity = args.size();
    if constexpr (requires { &P::impl; })
        return P{.name = std::move(name), .args = std::move(args), .arity = arity, .doc = std::string(doc), .impl = decltype(P::impl)(std::move(f))};
    else {
        P op;
        op.name = std::move(name);
        op.args = std::move(args);
        op.arity = arity;
        op.doc = doc;
        op.fun = std::move(f);
        return op;
    }
}

/// `v = s` as a string without context.
template<typename S, typename V>
inline void mkString(S & state, V & v, std::string_view s)
{
    if constexpr (requires { v.mkString(s, state.mem); })
        v.mkString(s, state.mem);
    else
        v.mkString(s);
}

/// The `outPath` symbol.
template<typename S = nix::EvalState>
inline nix::Symbol sOutPath(S & state)
{
    if constexpr (requires { state.s.outPath; })
        return state.s.outPath;
    else
        return state.sOutPath;
}

/// The shared empty list value.
template<typename S = nix::EvalState, typename V = nix::Value>
inline V * emptyList(S & state)
{
    if constexpr (requires { state.vEmptyList; })
        return &state.vEmptyList;
    else
        return &V::vEmptyList;
}

/// Where the file a store path string names can be read: through
/// `toRealPath` where the release has it (2.26, whose root accessor does not
/// see a chroot store), else the path itself (the root accessor mounts the
/// store, as builtins.readFile relies on).
template<typename S = nix::EvalState>
inline std::string realPath(S & state, const std::string & path, const nix::NixStringContext & context)
{
    if constexpr (requires { state.toRealPath(path, context); })
        return state.toRealPath(path, context);
    else
        return path;
}

/// A store path split by libstore: the store path and the rest ("" when none).
template<typename St = nix::Store>
inline std::pair<nix::StorePath, std::string> toStorePath(St & store, const std::string & path)
{
    auto [storePath, rest] = store.toStorePath(path);
    if constexpr (std::is_same_v<std::decay_t<decltype(rest)>, nix::CanonPath>)
        return {storePath, rest.isRoot() ? std::string() : rest.abs()};
    else
        return {storePath, std::string(rest)};
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

/// `std::from_chars` for a double where the standard library has it (the
/// feature macro is defined only with the floating-point overloads), else
/// `strtod_l` in the C locale: the same answers for JSON's number grammar,
/// which the caller has already checked. Overflow, and underflow to zero,
/// are `result_out_of_range`, as libstdc++ reports them.
inline std::from_chars_result parseDouble(const char * first, const char * last, double & out)
{
#if defined(__cpp_lib_to_chars)
    return std::from_chars(first, last, out);
#else
    static locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
    std::string text(first, last); // strtod needs a terminating NUL
    char * end = nullptr;
    errno = 0;
    double d = strtod_l(text.c_str(), &end, c);
    const char * stop = first + (end - text.c_str());
    if (end == text.c_str())
        return {first, std::errc::invalid_argument};
    if (errno == ERANGE && (std::isinf(d) || d == 0.0))
        return {stop, std::errc::result_out_of_range};
    out = d;
    return {stop, std::errc()};
#endif
}

/// `ex` as the Nix error class `E` it is or derives from, else null.
///
/// Not `catch (nix::Error &)`: in 2.31 Nix's error classes have no key
/// function, so the plugin holds its own copy of their type info (a cdylib
/// exports only Rust's symbols), and libc++ (Nix 2.31+ on Debian 12)
/// matches a catch by the type info's address: the plugin would never
/// catch an error Nix threw. So: `catch (std::exception &)` (whose type
/// info is libc++abi's own) and this, which tries dynamic_cast and then
/// compares the names along the chain of single bases (Itanium C++ ABI
/// 2.9.5: an `__si_class_type_info` is a type_info followed by its base's),
/// the chain every Nix error class has.
template<typename E>
inline E * asError(std::exception & ex)
{
    if (auto * e = dynamic_cast<E *>(&ex))
        return e;
    struct SiTypeInfo
    {
        void * vptr;
        const char * name;
        const std::type_info * base;
    };
    const char * want = typeid(E).name();
    for (const std::type_info * t = &typeid(ex); t;) {
        if (std::strcmp(t->name(), want) == 0)
            return static_cast<E *>(&ex);
        if (std::strcmp(typeid(*t).name(), "N10__cxxabiv120__si_class_type_infoE") != 0)
            break;
        t = reinterpret_cast<const SiTypeInfo *>(t)->base;
    }
    return nullptr;
}

} // namespace jen::compat
