// plugin.cc: registers builtins.jen and runs each builtin call through the
// Rust core. One generic primop implementation serves every builtin in the
// core's table (src/builtins.rs): force the arguments and write them as the
// core's value tree (tree-writer.hh), call Rust, read its answer back (a
// tree of the same format, its additions merged into the arguments:
// tree-merge.hh), or raise the error at the call position.
#include "host.hh"
#include "tree-writer.hh"
#include "tree-merge.hh"
#include "jen-plugin/src/lib.rs.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
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

/// The message of an error: Nix's without colours, anything else's what().
std::string messageOf(std::exception & ex)
{
    auto * e = compat::asError<BaseError>(ex);
    return e ? plainMessage(*e) : ex.what();
}

/// What the core gets for an error raised while it asked Nix for a file.
[[noreturn]] void rethrowForCore(std::exception & ex)
{
    throw std::runtime_error(messageOf(ex));
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

/// Append argument `v` to `w` as its plan says.
void writeArg(TreeWriter & w, EvalState & state, PosIdx pos, Value & v, const ArgPlan & plan)
{
    state.forceValue(v, pos);
    if (plan.isFile)
        return w.file(v, pos);
    if (plan.fileAttrs.empty() || v.type() != nAttrs)
        return w.value(v, pos);
    w.attrs(v, 0, [&](const Attr & a) {
        if (plan.fileAttrs.count(std::string(state.symbols[a.name])))
            w.file(*a.value, a.pos, 1);
        else
            w.value(*a.value, a.pos, 1);
    });
}

/// Times a phase of a builtin call when `JEN_LOG=debug` asks for it.
struct Phase
{
    const Builtin & b;
    const char * name;
    bool on = timing_enabled();
    std::chrono::steady_clock::time_point start = on ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};

    ~Phase()
    {
        if (on)
            timing_record(b.name, name,
                          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
    }
};

void callBuiltin(const Builtin & b, EvalState & state, PosIdx pos, Value ** args, Value & v)
{
    std::optional<Phase> phase;
    phase.emplace(b, "force and write the arguments as a tree");
    TreeWriter w(state, b.toStore, b.name);
    size_t list = w.beginList();
    for (size_t i = 0; i < b.args.size(); ++i) {
        try {
            writeArg(w, state, pos, *args[i], b.args[i]);
        } catch (InvalidUtf8 & e) {
            raise(state, pos, Kind::Misuse,
                  "jen: " + b.name + ": the argument '" + b.args[i].name
                      + "' contains a string that is not valid UTF-8 (" + e.what() + ")");
        } catch (std::length_error & e) {
            raise(state, pos, Kind::Misuse, "jen: " + b.name + ": the argument '" + b.args[i].name + "': " + e.what());
        } catch (std::exception & ex) {
            if (auto * e = compat::asError<BaseError>(ex))
                e->addTrace(
                    state.positions[pos],
                    HintFmt("while converting the argument '%1%' of builtins.jen.%2%", b.args[i].name, b.name));
            throw;
        }
    }
    w.end(list);

    Host host(state, pos, args, b.args.size());
    phase.reset();
    Outcome out = call(b.index, rust::Slice<const uint64_t>(w.words.data(), w.words.size()),
                       rust::Slice<const uint8_t>(reinterpret_cast<const uint8_t *>(w.text.data()), w.text.size()),
                       host);
    if (out.kind != Kind::Ok)
        raise(state, pos, out.kind, std::string(out.text));

    phase.emplace(b, "read the result tree back");
    try {
        readTree(state, pos, w, out.words.data(), out.words.size(), std::string_view(out.text.data(), out.text.size()),
                 v);
    } catch (std::exception & ex) {
        raise(state, pos, Kind::Internal,
              "jen: " + b.name + ": internal error: the result cannot be read back: " + messageOf(ex));
    }
}

/// builtins.jen.nixParseStorePath: libstore's own parser, the reference
/// that the Rust parser (builtins.jen.parseStorePath) is tested against.
void nixParseStorePath(EvalState & state, PosIdx pos, Value ** args, Value & v)
{
    std::string path(state.forceString(*args[0], pos, "while evaluating the argument of builtins.jen.nixParseStorePath"));
    std::optional<std::pair<StorePath, std::string>> parsed;
    try {
        parsed.emplace(compat::toStorePath(*state.store, path));
    } catch (std::exception & ex) {
        auto * e = compat::asError<BaseError>(ex);
        if (!e)
            throw;
        raise(state, pos, Kind::Invalid, "jen: nixParseStorePath: " + plainMessage(*e));
    }
    auto attrs = state.buildBindings(4);
    compat::mkString(state, attrs.alloc("storeDir"), state.store->storeDir);
    compat::mkString(state, attrs.alloc("hash"), parsed->first.hashPart());
    compat::mkString(state, attrs.alloc("name"), parsed->first.name());
    if (parsed->second.empty())
        attrs.alloc("subPath").mkNull();
    else
        compat::mkString(state, attrs.alloc("subPath"), parsed->second);
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
    // `builtins.jen.<name>`, a primop over `args` doing `impl`.
    auto add = [&](const std::string & name, std::vector<std::string> args, const char * doc, compat::PrimOpImpl impl) {
        attrs.alloc(name).mkPrimOp(new PrimOp(compat::makePrimOp("jen." + name, std::move(args), doc, std::move(impl))));
    };
    add("nixParseStorePath", {"path"}, nixParseStorePathDoc, nixParseStorePath);
    compat::mkString(state, attrs.alloc("version"), std::string(version()));
    for (auto & b : t) {
        std::vector<std::string> args;
        for (auto & a : b.args)
            args.push_back(a.name);
        const Builtin * bp = &b;
        add(b.name, std::move(args), b.doc.c_str(), [bp](EvalState & state, PosIdx pos, Value ** args, Value & v) {
            callBuiltin(*bp, state, pos, args, v);
        });
    }
    v.mkAttrs(attrs);
}

} // namespace

rust::String Host::read_file(rust::Str path) const
{
    std::string content;
    try {
        content = resolve(state, path).resolveSymlinks().readFile();
    } catch (std::exception & ex) {
        rethrowForCore(ex);
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
    } catch (std::exception & ex) {
        rethrowForCore(ex);
    }
    return out;
}

uint8_t Host::file_type(rust::Str path) const
{
    try {
        auto p = resolve(state, path);
        if (auto st = p.maybeLstat())
            return typeCode(st->type);
        // In 2.35 a path that restrict-eval or pure evaluation hides "does
        // not exist" to maybeLstat; lstat says why, as readFile would.
        try {
            p.lstat();
        } catch (std::exception & ex) {
            if (compat::asError<RestrictedPathError>(ex))
                throw;
        }
        return 0;
    } catch (std::exception & ex) {
        rethrowForCore(ex);
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

rust::String Host::nix_version() const
{
    return rust::String(nixVersion);
}

/// Walk argument `arg` along `path` (attribute names, or indexes where the
/// value is a list) and answer the position of the last attribute on the
/// way that has one: the definition that wrote the value, or the nearest
/// enclosing one. The first `skip` segments only lead to the value the
/// positions are taken in. The argument was forced deeply as it was
/// written, so this forces nothing; anything unexpected ends the walk
/// where it is.
Position Host::position(size_t arg, rust::Slice<const rust::String> path, size_t skip) const
{
    Position out{rust::String(), 0, 0};
    if (arg >= nargs)
        return out;
    try {
        Value * v = args[arg];
        PosIdx found = noPos;
        size_t depth = 0;
        for (auto & segment : path) {
            bool counts = depth++ >= skip;
            std::string name(segment);
            if (v->type() == nAttrs) {
                auto a = v->attrs()->get(state.symbols.create(name));
                if (!a)
                    break;
                if (a->pos && counts)
                    found = a->pos;
                v = a->value;
            } else if (v->type() == nList) {
                size_t index = 0;
                auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
                if (ec != std::errc() || end != name.data() + name.size())
                    break;
                Value * element = nullptr;
                size_t i = 0;
                compat::forEachListItem(*v, [&](Value & e) {
                    if (i++ == index)
                        element = &e;
                });
                if (!element)
                    break;
                v = element;
            } else
                break;
        }
        if (!found)
            return out;
        auto p = state.positions[found];
        if (!p)
            return out;
        std::visit(
            overloaded{
                [&](const std::monostate &) { out.file = "«none»"; },
                [&](const Pos::Stdin &) { out.file = "«stdin»"; },
                [&](const Pos::String &) { out.file = "«string»"; },
                [&](const SourcePath & path) { out.file = rust::String::lossy(path.to_string()); },
            },
            p.origin);
        out.line = p.line;
        out.column = p.column;
    } catch (std::exception &) {
        out.line = 0;
    }
    return out;
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

    static const char * jenDoc = R"(
      The functions of the jen-builtins plugin: data-model validation, SSH
      target discovery and state-path checks for jen networks. See
      `:doc builtins.jen.<name>` for each, and `builtins.jen.version`.
    )";
    auto jen = compat::makePrimOp(
        "__jen", {}, jenDoc, [](EvalState & state, PosIdx, Value **, Value & v) { makeJenSet(state, v); });
    // Leaked on purpose: Nix reads the registry for the life of the process.
    new RegisterPrimOp(std::move(jen));
}

} // namespace jen
