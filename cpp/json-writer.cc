// json-writer.cc: see json-writer.hh.
#include "json-writer.hh"

#include <charconv>
#include <cmath>

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

} // namespace

void JsonWriter::string(std::string_view s)
{
    out.push_back('"');
    size_t run = 0; // start of the bytes not yet copied
    for (size_t i = 0; i < s.size();) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t n = utf8Sequence(s, i);
            if (!n)
                throw InvalidUtf8("invalid UTF-8 byte 0x" + std::string{"0123456789ABCDEF"[c >> 4]}
                                  + "0123456789ABCDEF"[c & 15] + " at index " + std::to_string(i));
            i += n;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        out.append(s.data() + run, i - run);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            out += "\\u00";
            out.push_back("0123456789abcdef"[c >> 4]);
            out.push_back("0123456789abcdef"[c & 15]);
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void JsonWriter::number(NixFloat f)
{
    // nlohmann writes non-finite numbers as null; so do we.
    if (!std::isfinite(f)) {
        out += "null";
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
    std::string_view text(buf, end - buf);
    out += text;
    // Keep a float a float on the other side: `1.0`, not `1`.
    if (text.find_first_of(".e") == std::string_view::npos)
        out += ".0";
}

void JsonWriter::checkDepth(size_t depth, PosIdx pos)
{
    if (depth > maxDepth)
        state.error<TypeError>("jen: %s: an argument is nested more than %d levels deep (or is infinitely recursive)",
                               builtin, maxDepth)
            .atPos(pos)
            .debugThrow();
}

void JsonWriter::value(Value & v, PosIdx pos, size_t depth)
{
    checkDepth(depth, pos);
    checkInterrupt();
    state.forceValue(v, pos);

    switch (v.type()) {
    case nInt: {
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, compat::intValue(v));
        out.append(buf, end - buf);
        break;
    }
    case nFloat:
        number(v.fpoint());
        break;
    case nBool:
        out += v.boolean() ? "true" : "false";
        break;
    case nNull:
        out += "null";
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
        out.push_back('{');
        bool first = true;
        for (auto * a : v.attrs()->lexicographicOrder(state.symbols)) {
            if (!first)
                out.push_back(',');
            first = false;
            std::string_view name = state.symbols[a->name];
            try {
                key(name);
                value(*a->value, a->pos, depth + 1);
            } catch (std::exception & ex) {
                if (auto * e = compat::asError<BaseError>(ex))
                    e->addTrace(state.positions[a->pos], HintFmt("while evaluating attribute '%1%'", name));
                throw;
            }
        }
        out.push_back('}');
        break;
    }
    case nList: {
        out.push_back('[');
        size_t i = 0;
        compat::forEachListItem(v, [&](Value & e) {
            if (i)
                out.push_back(',');
            try {
                value(e, pos, depth + 1);
            } catch (std::exception & ex) {
                if (auto * err = compat::asError<BaseError>(ex))
                    err->addTrace(state.positions[pos], HintFmt("while evaluating list element at index %1%", i));
                throw;
            }
            ++i;
        });
        out.push_back(']');
        break;
    }
    case nExternal: {
        NixStringContext context;
        out += v.external()->printValueAsJSON(state, true, context, toStore).dump();
        break;
    }
    case nThunk:
    case nFunction:
        state.error<TypeError>("cannot convert %1% to JSON", showType(v)).atPos(v.determinePos(pos)).debugThrow();
    }
}

void JsonWriter::file(Value & v, PosIdx pos, size_t depth)
{
    checkDepth(depth, pos);
    state.forceValue(v, pos);
    if (v.type() == nPath) {
        out += "{\"$path\":";
        string(compat::pathString(v));
        out.push_back('}');
    } else if (v.type() == nList) {
        out.push_back('[');
        bool first = true;
        compat::forEachListItem(v, [&](Value & e) {
            if (!first)
                out.push_back(',');
            first = false;
            file(e, pos, depth + 1);
        });
        out.push_back(']');
    } else if (v.type() == nString) {
        // A string with store context ("${./site}", a derivation output) is
        // a file in the store: realise it and find its real location, as
        // builtins.readFile does, so that chroot stores and IFD work.
        NixStringContext context;
        auto s = state.coerceToString(pos, v, context, "while evaluating a file argument", false, false).toOwned();
        if (!context.empty() && state.store->isInStore(s)) {
            auto rewrites = state.realiseContext(context);
            out += "{\"$path\":";
            string(compat::realPath(state, rewriteStrings(s, rewrites), context));
            out.push_back('}');
        } else
            string(s);
    } else
        value(v, pos, depth);
}

} // namespace jen
