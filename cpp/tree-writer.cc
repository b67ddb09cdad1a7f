// tree-writer.cc: see tree-writer.hh.
#include "tree-writer.hh"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace nix;

namespace jen {

namespace {

/// Length of the UTF-8 sequence starting at `s[i]` (a byte >= 0x80), or 0
/// if it is not a well-formed one (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF).
size_t utf8Sequence(std::string_view s, size_t i)
{
    auto at = [&](size_t k) -> unsigned { return i + k < s.size() ? (unsigned char) s[i + k] : 0u; };
    auto cont = [&](size_t k) { return (at(k) & 0xC0) == 0x80; };
    unsigned c = at(0);
    if (c >= 0xC2 && c <= 0xDF)
        return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return at(1) >= lo && at(1) <= hi && cont(2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return at(1) >= lo && at(1) <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

/// Throw InvalidUtf8 unless `s` is well-formed UTF-8.
void checkUtf8(std::string_view s)
{
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = utf8Sequence(s, i);
        if (!n)
            throw InvalidUtf8("invalid UTF-8 byte 0x" + std::string{"0123456789ABCDEF"[c >> 4]}
                              + "0123456789ABCDEF"[c & 15] + " at index " + std::to_string(i));
        i += n;
    }
}

} // namespace

void TreeWriter::node(uint64_t code, uint64_t count, uint64_t link, uint64_t payload)
{
    if (count > UINT32_MAX)
        throw std::length_error("a value is too large for builtins.jen (more than 2^32 elements or bytes)");
    words.push_back(code | count << 32);
    words.push_back(link);
    words.push_back(payload);
}

uint64_t TreeWriter::append(std::string_view s)
{
    checkUtf8(s);
    uint64_t at = text.size();
    text.append(s);
    return at;
}

void TreeWriter::string(std::string_view s)
{
    uint64_t at = append(s);
    node(kString, s.size(), nodes() + 1, at);
}

size_t TreeWriter::beginSet(size_t n, const Value * from)
{
    size_t i = nodes();
    node(kSet, n, 0, reinterpret_cast<uintptr_t>(from));
    // The key block, filled in by `key` as the values are written.
    words.resize(words.size() + 3 * n, 0);
    return i;
}

size_t TreeWriter::beginList()
{
    size_t i = nodes();
    node(kList, 0, 0, 0);
    return i;
}

void TreeWriter::end(size_t container)
{
    words[3 * container + 1] = nodes();
    if ((words[3 * container] & 0xff) == kList) {
        // A list's count: its elements, each one subtree.
        uint64_t n = 0;
        for (size_t e = container + 1; e < nodes(); e = words[3 * e + 1])
            ++n;
        words[3 * container] = kList | n << 32;
    }
}

void TreeWriter::key(size_t set, size_t k, std::string_view name, Symbol sym)
{
    if (sym) {
        if (names.size() <= nodes())
            names.resize(std::max(nodes() + 1, 2 * names.size()));
        names[nodes()] = sym;
    }
    size_t at = 3 * (set + 1 + k);
    uint64_t offset = append(name);
    words[at] = kKey | uint64_t(name.size()) << 32;
    words[at + 1] = nodes();
    words[at + 2] = offset;
}

void TreeWriter::checkDepth(size_t depth, PosIdx pos)
{
    if (depth > maxDepth)
        state.error<TypeError>("jen: %s: an argument is nested more than %d levels deep (or is infinitely recursive)",
                               builtin, maxDepth)
            .atPos(pos)
            .debugThrow();
}

void TreeWriter::value(Value & v, PosIdx pos, size_t depth)
{
    checkDepth(depth, pos);
    checkInterrupt();
    state.forceValue(v, pos);

    switch (v.type()) {
    case nInt:
        scalar(kInt, uint64_t(compat::intValue(v)));
        break;
    case nFloat: {
        double f = v.fpoint();
        if (std::isfinite(f)) {
            uint64_t bits;
            std::memcpy(&bits, &f, sizeof bits);
            scalar(kFloat, bits);
        } else
            scalar(kNull, 0); // as builtins.toJSON (nlohmann) writes it
        break;
    }
    case nBool:
        scalar(kBool, v.boolean() ? 1 : 0);
        break;
    case nNull:
        scalar(kNull, 0);
        break;
    case nString:
        string(v.string_view());
        break;
    case nPath:
        if (toStore) {
            NixStringContext context;
            string(state.store->printStorePath(state.copyPathToStore(context, v.path())));
        } else
            string(compat::pathString(v));
        break;
    case nAttrs: {
        NixStringContext context;
        if (auto s = state.tryAttrsToString(pos, v, context, false, false)) {
            string(*s);
            break;
        }
        if (auto i = v.attrs()->get(compat::sOutPath(state))) {
            value(*i->value, i->pos, depth + 1);
            break;
        }
        attrs(v, depth, [&](const Attr & a) { value(*a.value, a.pos, depth + 1); });
        break;
    }
    case nList: {
        size_t list = beginList();
        size_t i = 0;
        compat::forEachListItem(v, [&](Value & e) {
            try {
                value(e, pos, depth + 1);
            } catch (std::exception & ex) {
                if (auto * err = compat::asError<BaseError>(ex))
                    err->addTrace(state.positions[pos], HintFmt("while evaluating list element at index %1%", i));
                throw;
            }
            ++i;
        });
        end(list);
        break;
    }
    case nExternal: {
        NixStringContext context;
        json(v.external()->printValueAsJSON(state, true, context, toStore));
        break;
    }
    case nThunk:
    case nFunction:
        state
            .error<TypeError>(
                "jen: %1%: cannot convert %2% to JSON: a value is expected here (call the function, or pass its result)",
                builtin, showType(v))
            .atPos(v.determinePos(pos))
            .debugThrow();
    }
}

void TreeWriter::json(const nlohmann::json & j)
{
    switch (j.type()) {
    case nlohmann::json::value_t::object: {
        // nlohmann keeps its keys sorted (a std::map), as the tree wants.
        size_t set = beginSet(j.size(), nullptr);
        size_t k = 0;
        for (auto & [name, item] : j.items()) {
            key(set, k++, name);
            json(item);
        }
        end(set);
        break;
    }
    case nlohmann::json::value_t::array: {
        size_t list = beginList();
        for (auto & item : j)
            json(item);
        end(list);
        break;
    }
    case nlohmann::json::value_t::string:
        string(j.get_ref<const std::string &>());
        break;
    case nlohmann::json::value_t::boolean:
        scalar(kBool, j.get<bool>() ? 1 : 0);
        break;
    case nlohmann::json::value_t::number_integer:
        scalar(kInt, uint64_t(j.get<int64_t>()));
        break;
    case nlohmann::json::value_t::number_unsigned:
        if (j.get<uint64_t>() <= uint64_t(INT64_MAX)) {
            scalar(kInt, j.get<uint64_t>());
            break;
        }
        [[fallthrough]]; // beyond 64-bit integers: the nearest float, as Nix reads it
    case nlohmann::json::value_t::number_float: {
        double f = j.get<double>();
        uint64_t bits;
        std::memcpy(&bits, &f, sizeof bits);
        if (std::isfinite(f))
            scalar(kFloat, bits);
        else
            scalar(kNull, 0);
        break;
    }
    default:
        scalar(kNull, 0);
    }
}

void TreeWriter::file(Value & v, PosIdx pos, size_t depth)
{
    checkDepth(depth, pos);
    state.forceValue(v, pos);
    // { "$path" = p; }
    auto pathSet = [&](std::string_view p) {
        size_t set = beginSet(1, nullptr);
        key(set, 0, "$path");
        string(p);
        end(set);
    };
    if (v.type() == nPath)
        pathSet(compat::pathString(v));
    else if (v.type() == nList) {
        size_t list = beginList();
        compat::forEachListItem(v, [&](Value & e) { file(e, pos, depth + 1); });
        end(list);
    } else if (v.type() == nString) {
        // A string with store context ("${./site}", a derivation output) is
        // a file in the store: realise it and find its real location, as
        // builtins.readFile does, so that chroot stores and IFD work.
        NixStringContext context;
        auto s = state.coerceToString(pos, v, context, "while evaluating a file argument", false, false).toOwned();
        if (!context.empty() && state.store->isInStore(s)) {
            auto rewrites = state.realiseContext(context);
            pathSet(compat::realPath(state, rewriteStrings(s, rewrites), context));
        } else
            string(s);
    } else
        value(v, pos, depth);
}

} // namespace jen
