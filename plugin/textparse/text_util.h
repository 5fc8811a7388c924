#ifndef PLUGIN_TEXTPARSE_TEXT_UTIL_H_
#define PLUGIN_TEXTPARSE_TEXT_UTIL_H_

// Internal byte-scanning helpers shared by the text parsers. Stateless;
// thread-safe.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace promscrape::textparse::internal {

// Debian's abseil has its own string_view type: convert at the boundary.
inline absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Character classes for names. Prometheus 2.42 legacy grammar:
// metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*.
enum : uint8_t {
  kClassMetricStart = 1,
  kClassMetric = 2,
  kClassLabelStart = 4,
  kClassLabel = 8,
};

struct CharClassTable {
  uint8_t v[256];
  constexpr CharClassTable() : v{} {
    for (int c = 0; c < 256; ++c) {
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      bool digit = c >= '0' && c <= '9';
      uint8_t x = 0;
      if (alpha || c == ':') x |= kClassMetricStart | kClassMetric;
      if (digit) x |= kClassMetric | kClassLabel;
      if (alpha) x |= kClassLabelStart | kClassLabel;
      v[c] = x;
    }
  }
};
inline constexpr CharClassTable kCharClass;

inline bool Is(uint8_t cls, char c) {
  return (kCharClass.v[static_cast<uint8_t>(c)] & cls) != 0;
}

// Returns the first position in [p, end) holding '"', '\\', '\n' (when
// `stop_newline`), or a byte >= 0x80; `end` if none. SWAR, 8 bytes a step.
inline const char* FindQuoteEscapeOrHigh(const char* p, const char* end,
                                          bool stop_newline) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t nl_mask = stop_newline ? kOnes * '\n' : kOnes * '"';
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t q = w ^ (kOnes * '"');
    uint64_t b = w ^ (kOnes * '\\');
    uint64_t n = w ^ nl_mask;
    uint64_t hit = ((q - kOnes) & ~q) | ((b - kOnes) & ~b) |
                   ((n - kOnes) & ~n) | w;
    hit &= kHigh;
    if (hit) return p + (__builtin_ctzll(hit) >> 3);
    p += 8;
  }
  for (; p < end; ++p) {
    char c = *p;
    if (c == '"' || c == '\\' || (stop_newline && c == '\n') ||
        static_cast<unsigned char>(c) >= 0x80) {
      return p;
    }
  }
  return end;
}

// Whether [p, end) holds only bytes < 0x80.
inline bool IsAscii(const char* p, const char* end) {
  uint64_t acc = 0;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc |= w;
    p += 8;
  }
  for (; p < end; ++p) acc |= static_cast<unsigned char>(*p);
  return (acc & 0x8080808080808080ULL) == 0;
}

// Go's utf8.ValidString: rejects overlongs, surrogates, > U+10FFFF and
// truncated sequences.
bool IsValidUtf8(std::string_view s);

// Text-format label value unescaping: \\ -> \, \" -> ", \n -> newline; any
// other escape stays verbatim. Appends to `*out` (which must have room:
// callers reserve, so views into it stay valid).
void AppendUnescapedLabelValue(std::string_view raw, std::string* out);

// Text-format HELP unescaping (0.0.4): only \\ and \n.
void AppendUnescapedHelp(std::string_view raw, std::string* out);

// Appends `s` to `*out` with non-printable bytes escaped, for error messages
// (in the manner of Go's %q, without the quotes).
void AppendQuoted(std::string_view s, std::string* out);

// 1-based line number of `pos` in `body`.
size_t LineNumber(std::string_view body, size_t pos);

}  // namespace promscrape::textparse::internal

#endif  // PLUGIN_TEXTPARSE_TEXT_UTIL_H_
