// json-reader.hh: the JSON text a builtin answers, read as events.
//
// The core answers JSON text (serde_json's output: valid UTF-8, no
// duplicate keys). This reader walks it once and hands each event to a
// handler, with strings and keys as views into the text wherever they hold
// no escape, so that nothing is copied before the handler makes its Nix
// value. Why not nlohmann's SAX parser, which Nix itself uses: its lexer
// copies every string into a std::string one character at a time, and that
// copying was more than half of reading a 10,000-machine answer back
// (bench/README.md, round 5); simdjson is not among Nix's dependencies.
//
// The handler provides:
//
//     void null();  void boolean(bool);  void integer(int64_t);
//     void floating(double);
//     void string(std::string_view s, bool inText);
//     void startObject();  void key(std::string_view k, bool inText);
//     void endObject();  void startArray();  void endArray();
//
// `inText` says whether the view points into the text (valid until the
// read ends) or into a scratch buffer (valid until the next event).
// Nesting is tracked on an explicit stack (no recursion): any depth reads.
// Malformed text throws nix::Error naming the offset.
#pragma once

#include "compat.hh"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jen {

namespace json_reader_detail {

[[noreturn]] inline void fail(std::string_view text, size_t at, std::string_view what)
{
    throw nix::Error("malformed JSON at byte %d of %d: %s", at, text.size(), what);
}

inline void appendUtf8(std::string & out, uint32_t c)
{
    if (c < 0x80)
        out.push_back(char(c));
    else if (c < 0x800) {
        out.push_back(char(0xC0 | (c >> 6)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(char(0xE0 | (c >> 12)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (c >> 18)));
        out.push_back(char(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(char(0x80 | (c & 0x3F)));
    }
}

} // namespace json_reader_detail

template<typename Handler>
void readJson(std::string_view text, Handler & h)
{
    using json_reader_detail::fail;
    const char * const begin = text.data();
    const char * const end = begin + text.size();
    const char * p = begin;
    std::string scratch;
    // What each open container expects next: true for an object.
    std::vector<bool> stack;

    auto at = [&] { return size_t(p - begin); };
    auto ws = [&] {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
    };
    auto expect = [&](char c) {
        ws();
        if (p >= end || *p != c)
            fail(text, at(), std::string("expected '") + c + "'");
        ++p;
    };
    auto literal = [&](std::string_view word) {
        if (size_t(end - p) < word.size() || std::string_view(p, word.size()) != word)
            fail(text, at(), "unknown literal");
        p += word.size();
    };
    auto hex4 = [&]() -> uint32_t {
        if (end - p < 4)
            fail(text, at(), "short \\u escape");
        uint32_t v = 0;
        auto [q, ec] = std::from_chars(p, p + 4, v, 16);
        if (ec != std::errc() || q != p + 4)
            fail(text, at(), "bad \\u escape");
        p += 4;
        return v;
    };
    // A string at p (after its opening quote): a view into the text when it
    // has no escape, else decoded into `scratch`.
    auto str = [&](bool & inText) -> std::string_view {
        const char * start = p;
        while (p < end && *p != '"' && *p != '\\') {
            if ((unsigned char) *p < 0x20)
                fail(text, at(), "control character in a string");
            ++p;
        }
        if (p >= end)
            fail(text, at(), "unterminated string");
        if (*p == '"') {
            inText = true;
            return std::string_view(start, p++ - start);
        }
        inText = false;
        scratch.assign(start, p);
        while (true) {
            if (p >= end)
                fail(text, at(), "unterminated string");
            char c = *p++;
            if (c == '"')
                break;
            if ((unsigned char) c < 0x20)
                fail(text, at(), "control character in a string");
            if (c != '\\') {
                scratch.push_back(c);
                continue;
            }
            if (p >= end)
                fail(text, at(), "unterminated escape");
            switch (char e = *p++) {
            case '"': scratch.push_back('"'); break;
            case '\\': scratch.push_back('\\'); break;
            case '/': scratch.push_back('/'); break;
            case 'b': scratch.push_back('\b'); break;
            case 'f': scratch.push_back('\f'); break;
            case 'n': scratch.push_back('\n'); break;
            case 'r': scratch.push_back('\r'); break;
            case 't': scratch.push_back('\t'); break;
            case 'u': {
                uint32_t c1 = hex4();
                if (c1 >= 0xD800 && c1 <= 0xDBFF) {
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
                        fail(text, at(), "lone high surrogate");
                    p += 2;
                    uint32_t c2 = hex4();
                    if (c2 < 0xDC00 || c2 > 0xDFFF)
                        fail(text, at(), "bad low surrogate");
                    c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
                } else if (c1 >= 0xDC00 && c1 <= 0xDFFF)
                    fail(text, at(), "lone low surrogate");
                json_reader_detail::appendUtf8(scratch, c1);
                break;
            }
            default:
                (void) e;
                fail(text, at() - 1, "unknown escape");
            }
        }
        return scratch;
    };
    // A number as JSON's grammar has it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    auto number = [&] {
        const char * start = p;
        auto digits = [&] {
            const char * d = p;
            while (p < end && *p >= '0' && *p <= '9')
                ++p;
            return p > d;
        };
        if (p < end && *p == '-')
            ++p;
        if (p < end && *p == '0')
            ++p;
        else if (!digits())
            fail(text, size_t(start - begin), "expected a value");
        bool isFloat = false;
        if (p < end && *p == '.') {
            ++p;
            isFloat = true;
            if (!digits())
                fail(text, at(), "expected a digit after '.'");
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            isFloat = true;
            if (p < end && (*p == '+' || *p == '-'))
                ++p;
            if (!digits())
                fail(text, at(), "expected a digit in the exponent");
        }
        if (!isFloat) {
            int64_t n = 0;
            auto [q, ec] = std::from_chars(start, p, n);
            if (ec == std::errc::result_out_of_range)
                throw nix::Error("the integer %s is outside Nix's integer range", std::string_view(start, p - start));
            if (ec != std::errc() || q != p)
                fail(text, size_t(start - begin), "bad number");
            h.integer(n);
        } else {
            double d = 0;
            auto [q, ec] = compat::parseDouble(start, p, d);
            if (ec == std::errc::result_out_of_range)
                throw nix::Error("the number %s is outside the range of a float", std::string_view(start, p - start));
            if (ec != std::errc() || q != p)
                fail(text, size_t(start - begin), "bad number");
            h.floating(d);
        }
    };

    // One value, or the opening of a container (its contents come in the
    // loop below).
    auto value = [&] {
        ws();
        if (p >= end)
            fail(text, at(), "expected a value");
        switch (*p) {
        case '{':
            ++p;
            h.startObject();
            stack.push_back(true);
            ws();
            if (p < end && *p == '}') {
                ++p;
                stack.pop_back();
                h.endObject();
                return;
            }
            {
                expect('"');
                bool inText;
                auto k = str(inText);
                h.key(k, inText);
                expect(':');
            }
            return;
        case '[':
            ++p;
            h.startArray();
            stack.push_back(false);
            ws();
            if (p < end && *p == ']') {
                ++p;
                stack.pop_back();
                h.endArray();
            }
            return;
        case '"': {
            ++p;
            bool inText;
            auto s = str(inText);
            h.string(s, inText);
            return;
        }
        case 't': literal("true"); h.boolean(true); return;
        case 'f': literal("false"); h.boolean(false); return;
        case 'n': literal("null"); h.null(); return;
        default: number(); return;
        }
    };

    // `needValue`: a value comes next (the root, an array's element, a
    // member's value after its key); else one just ended, and a ',' or the
    // end of its container follows.
    bool needValue = true;
    while (true) {
        if (needValue) {
            size_t before = stack.size();
            value();
            // A container that opened and is not empty wants its first value.
            needValue = stack.size() > before;
            continue;
        }
        if (stack.empty())
            break;
        ws();
        if (p >= end)
            fail(text, at(), "unterminated container");
        bool isObject = stack.back();
        if (*p == ',') {
            ++p;
            if (isObject) {
                expect('"');
                bool inText;
                auto k = str(inText);
                h.key(k, inText);
                expect(':');
            }
            needValue = true;
        } else if (*p == (isObject ? '}' : ']')) {
            ++p;
            stack.pop_back();
            if (isObject)
                h.endObject();
            else
                h.endArray();
        } else
            fail(text, at(), isObject ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    ws();
    if (p != end)
        fail(text, at(), "text after the value");
}

} // namespace jen
