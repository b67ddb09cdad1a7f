// plugin.cc: registers builtins.jen and runs each builtin call through the
// Rust core. One generic primop implementation serves every builtin in the
// core's table (src/builtins.rs): force and convert the arguments to JSON,
// call Rust, parse the JSON answer, or raise the error at the call position.
#include "host.hh"
#include "jen-builtins/src/bridge.rs.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <set>
#include <stdexcept>
#include <vector>

using namespace nix;

namespace jen {

namespace {

std::string plainMessage(const nix::BaseError & e)
{
    return filterANSIEscapes(e.info().msg.str(), true);
}

/// Raise `text` at `pos` as the Nix error of `kind`: invalid input is a
/// `throw` (tryEval catches it), misuse a type error, the rest an
/// evaluation error.
[[noreturn]] void raise(EvalState & state, PosIdx pos, Kind kind, const std::string & text)
{
    switch (kind) {
    case Kind::Invalid:
        state.error<ThrownError>(text).atPos(pos).debugThrow();
    case Kind::Misuse:
        state.error<TypeError>(text).atPos(pos).debugThrow();
    default:
        state.error<EvalError>(text).atPos(pos).debugThrow();
    }
}

SourcePath resolve(EvalState & state, rust::Str path)
{
    std::string p(path);
    if (p.empty() || p[0] != '/')
        throw std::runtime_error("'" + p + "' is not an absolute path");
    return state.rootPath(CanonPath(p));
}

uint8_t typeCode(SourceAccessor::Type t)
{
    switch (t) {
    case SourceAccessor::tRegular:
        return 1;
    case SourceAccessor::tDirectory:
        return 2;
    case SourceAccessor::tSymlink:
        return 3;
    default:
        return 4;
    }
}

/// How one argument of one builtin is converted.
struct ArgPlan
{
    std::string name;
    bool isFile = false;                // the argument itself is a file argument
    std::set<std::string> fileAttrs;    // attributes of a set argument that are
};

struct Builtin
{
    size_t index;
    std::string name;
    std::string doc;
    std::vector<ArgPlan> args;
    bool toStore;
};

std::vector<Builtin> & table()
{
    static std::vector<Builtin> t;
    return t;
}

/// A file argument: a path becomes {"$path": abs}, a list is converted
/// element by element, anything else as builtins.toJSON would.
nlohmann::json fileJson(EvalState & state, PosIdx pos, Value & v, bool toStore)
{
    state.forceValue(v, pos);
    if (v.type() == nPath)
        return nlohmann::json{{"$path", compat::pathString(v)}};
    if (v.type() == nList) {
        auto out = nlohmann::json::array();
        compat::forEachListItem(v, [&](Value & e) { out.push_back(fileJson(state, pos, e, toStore)); });
        return out;
    }
    if (v.type() == nString) {
        // A string with store context ("${./site}", a derivation output) is
        // a file in the store: realise it and find its real location, as
        // builtins.readFile does, so that chroot stores and IFD work.
        NixStringContext context;
        auto s = state.coerceToString(pos, v, context, "while evaluating a file argument", false, false).toOwned();
        if (!context.empty() && state.store->isInStore(s)) {
            auto rewrites = state.realiseContext(context);
            return nlohmann::json{{"$path", state.toRealPath(rewriteStrings(s, rewrites), context)}};
        }
        return nlohmann::json(s);
    }
    NixStringContext context;
    return printValueAsJSON(state, true, v, pos, context, toStore);
}

/// Deepest nesting the shim converts; the Rust side has the same limit.
constexpr size_t maxDepth = 1000;

/// Force `v` down to `maxDepth` levels, stopping where printValueAsJSON
/// stops (sets with `outPath` or `__toString`), and fail with a clear error
/// past that: an infinitely deep value (`let x = { a = x; }; in x`) would
/// otherwise overflow the stack inside printValueAsJSON.
void checkDepth(EvalState & state, PosIdx pos, Value & v, size_t depth, const std::string & builtin)
{
    if (depth > maxDepth)
        raise(state, pos, Kind::Misuse,
              "jen: " + builtin + ": an argument is nested more than " + std::to_string(maxDepth)
                  + " levels deep (or is infinitely recursive)");
    state.forceValue(v, pos);
    if (v.type() == nAttrs) {
        if (v.attrs()->get(state.sOutPath) || v.attrs()->get(state.sToString))
            return;
        for (auto & a : *v.attrs())
            checkDepth(state, a.pos, *a.value, depth + 1, builtin);
    } else if (v.type() == nList) {
        compat::forEachListItem(v, [&](Value & e) { checkDepth(state, pos, e, depth + 1, builtin); });
    }
}

nlohmann::json argJson(EvalState & state, PosIdx pos, Value & v, const ArgPlan & plan, bool toStore)
{
    state.forceValue(v, pos);
    if (plan.isFile)
        return fileJson(state, pos, v, toStore);
    if (!plan.fileAttrs.empty() && v.type() == nAttrs) {
        auto out = nlohmann::json::object();
        for (auto & a : *v.attrs()) {
            std::string name(state.symbols[a.name]);
            try {
                if (plan.fileAttrs.count(name))
                    out[name] = fileJson(state, a.pos, *a.value, toStore);
                else {
                    NixStringContext context;
                    out[name] = printValueAsJSON(state, true, *a.value, a.pos, context, toStore);
                }
            } catch (Error & e) {
                e.addTrace(state.positions[a.pos], HintFmt("while evaluating attribute '%1%'", name));
                throw;
            }
        }
        return out;
    }
    NixStringContext context;
    return printValueAsJSON(state, true, v, pos, context, toStore);
}

/// `orig` with the attributes of the set `patch` added, recursively.
/// Untouched attributes are shared with `orig`, so their values (and
/// string context) are not copied; added ones are shared with `patch`.
void mergeInto(EvalState & state, PosIdx pos, Value & orig, Value & patch, Value & out)
{
    state.forceValue(orig, pos);
    if (patch.type() != nAttrs || orig.type() != nAttrs)
        throw Error("jen: internal error: cannot add defaults to a value that is not a set");
    auto attrs = state.buildBindings(orig.attrs()->size() + patch.attrs()->size());
    for (auto & a : *orig.attrs()) {
        auto * p = patch.attrs()->get(a.name);
        if (!p || (p->value->type() == nAttrs && p->value->attrs()->empty())) {
            attrs.insert(a.name, a.value, a.pos);
        } else {
            Value * nv = state.allocValue();
            mergeInto(state, a.pos, *a.value, *p->value, *nv);
            attrs.insert(a.name, nv, a.pos);
        }
    }
    for (auto & p : *patch.attrs())
        if (!orig.attrs()->get(p.name))
            attrs.insert(p.name, p.value, pos);
    out.mkAttrs(attrs);
}

void callBuiltin(const Builtin & b, EvalState & state, PosIdx pos, Value ** args, Value & v)
{
    auto argv = nlohmann::json::array();
    for (size_t i = 0; i < b.args.size(); ++i) {
        try {
            checkDepth(state, pos, *args[i], 0, b.name);
            argv.push_back(argJson(state, pos, *args[i], b.args[i], b.toStore));
        } catch (Error & e) {
            e.addTrace(
                state.positions[pos],
                HintFmt("while converting the argument '%1%' of builtins.jen.%2% to JSON", b.args[i].name, b.name));
            throw;
        }
    }

    std::string text;
    try {
        text = argv.dump();
    } catch (nlohmann::json::exception & e) {
        raise(state, pos, Kind::Misuse,
              "jen: " + b.name + ": an argument contains a string that is not valid UTF-8 (" + e.what() + ")");
    }
    // The tree is no longer needed: free it before the core builds its own.
    argv = nlohmann::json();

    Host host(state, pos);
    Outcome out = call(b.index, text, host);
    if (out.kind != Kind::Ok)
        raise(state, pos, out.kind, std::string(out.text));

    try {
        if (out.merge) {
            Value * patch = state.allocValue();
            parseJSON(state, std::string_view(out.text.data(), out.text.size()), *patch);
            mergeInto(state, pos, *args[0], *patch, v);
        }
        else
            parseJSON(state, std::string_view(out.text.data(), out.text.size()), v);
    } catch (nlohmann::json::exception & e) {
        raise(state, pos, Kind::Internal, "jen: " + b.name + ": internal error: the result cannot be read back: " + e.what());
    } catch (Error & e) {
        raise(state, pos, Kind::Internal,
              "jen: " + b.name + ": internal error: the result cannot be read back: " + plainMessage(e));
    }
}

/// builtins.jen.nixParseStorePath: libstore's own parser, the reference
/// that the Rust parser (builtins.jen.parseStorePath) is tested against.
void nixParseStorePath(EvalState & state, PosIdx pos, Value ** args, Value & v)
{
    std::string path(state.forceString(*args[0], pos, "while evaluating the argument of builtins.jen.nixParseStorePath"));
    std::pair<StorePath, Path> parsed{StorePath::dummy, ""};
    try {
        parsed = state.store->toStorePath(path);
    } catch (nix::Error & e) {
        raise(state, pos, Kind::Invalid, "jen: nixParseStorePath: " + plainMessage(e));
    }
    auto attrs = state.buildBindings(4);
    attrs.alloc("storeDir").mkString(state.store->storeDir);
    attrs.alloc("hash").mkString(parsed.first.hashPart());
    attrs.alloc("name").mkString(parsed.first.name());
    if (parsed.second.empty())
        attrs.alloc("subPath").mkNull();
    else
        attrs.alloc("subPath").mkString(parsed.second);
    v.mkAttrs(attrs);
}

const char * nixParseStorePathDoc = R"(
    Test aid: split a store path with Nix's own libstore parser
    (`Store::toStorePath`), into the same `{ storeDir; hash; name; subPath; }`
    as `builtins.jen.parseStorePath`, or raise a catchable error. The test
    suite compares the two over thousands of generated paths; use
    `parseStorePath` in expressions.

    ```nix
    nix-repl> builtins.jen.nixParseStorePath "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello"
    { hash = "0123456789abcdfghijklmnpqrsvwxyz"; name = "hello"; storeDir = "/nix/store"; subPath = null; }
    ```
)";

/// The value of builtins.jen: a set of one primop per core builtin, plus
/// `version` and the C++-only test aid `nixParseStorePath`.
void makeJenSet(EvalState & state, Value & v)
{
    auto & t = table();
    auto attrs = state.buildBindings(t.size() + 2);
    {
        PrimOp op;
        op.name = "jen.nixParseStorePath";
        op.args = {"path"};
        op.arity = 1;
        op.doc = nixParseStorePathDoc;
        compat::setImpl(op, nixParseStorePath);
        attrs.alloc("nixParseStorePath").mkPrimOp(new PrimOp(std::move(op)));
    }
    attrs.alloc("version").mkString(std::string(version()));
    for (auto & b : t) {
        PrimOp op;
        op.name = "jen." + b.name;
        for (auto & a : b.args)
            op.args.push_back(a.name);
        op.arity = b.args.size();
        op.doc = b.doc.c_str();
        const Builtin * bp = &b;
        compat::setImpl(op, [bp](EvalState & state, PosIdx pos, Value ** args, Value & v) {
            callBuiltin(*bp, state, pos, args, v);
        });
        attrs.alloc(b.name).mkPrimOp(new PrimOp(std::move(op)));
    }
    v.mkAttrs(attrs);
}

} // namespace

rust::String Host::read_file(rust::Str path) const
{
    std::string content;
    try {
        content = resolve(state, path).resolveSymlinks().readFile();
    } catch (nix::BaseError & e) {
        throw std::runtime_error(plainMessage(e));
    }
    try {
        return rust::String(content);
    } catch (std::invalid_argument &) {
        throw std::runtime_error("'" + std::string(path) + "' is not UTF-8 text");
    }
}

rust::Vec<DirEntry> Host::read_dir(rust::Str path) const
{
    rust::Vec<DirEntry> out;
    try {
        for (auto & [name, type] : resolve(state, path).resolveSymlinks().readDirectory())
            out.push_back(DirEntry{rust::String::lossy(name), type ? typeCode(*type) : uint8_t(4)});
    } catch (nix::BaseError & e) {
        throw std::runtime_error(plainMessage(e));
    }
    return out;
}

uint8_t Host::file_type(rust::Str path) const
{
    try {
        auto st = resolve(state, path).maybeLstat();
        return st ? typeCode(st->type) : 0;
    } catch (nix::BaseError & e) {
        throw std::runtime_error(plainMessage(e));
    }
}

bool Host::is_pure() const
{
    return compat::isPure(state);
}

rust::String Host::store_dir() const
{
    return rust::String(state.store->storeDir);
}

void register_builtins()
{
    auto & t = table();
    auto specs_ = specs();
    for (size_t i = 0; i < specs_.size(); ++i) {
        auto & s = specs_[i];
        Builtin b{.index = i, .name = std::string(s.name), .doc = std::string(s.doc), .args = {}, .toStore = s.paths_to_store};
        for (auto & a : s.args) {
            ArgPlan plan;
            plan.name = std::string(a);
            for (auto & f : s.files) {
                std::string fs(f);
                if (fs == plan.name)
                    plan.isFile = true;
                else if (fs.rfind(plan.name + ".", 0) == 0)
                    plan.fileAttrs.insert(fs.substr(plan.name.size() + 1));
            }
            b.args.push_back(std::move(plan));
        }
        t.push_back(std::move(b));
    }

    PrimOp jen;
    jen.name = "__jen";
    jen.arity = 0;
    jen.doc = R"(
      The functions of the jen-builtins plugin: data-model validation, SSH
      target discovery and state-path checks for jen networks. See
      `:doc builtins.jen.<name>` for each, and `builtins.jen.version`.
    )";
    compat::setImpl(jen, [](EvalState & state, PosIdx, Value **, Value & v) { makeJenSet(state, v); });
    // Leaked on purpose: Nix reads the registry for the life of the process.
    new RegisterPrimOp(std::move(jen));
}

} // namespace jen
