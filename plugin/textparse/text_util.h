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

#if defined(__SSE2__)
#include <emmintrin.h>
#define PROMSCRAPE_TEXTPARSE_SSE2 1
#endif

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
  kClassValueStop = 16,    // ends a text-format value token: ' ' \t \n {
  kClassOmTokenStop = 32,  // ends an OpenMetrics token: ' ' \n
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
      if (c == ' ' || c == '\t' || c == '\n' || c == '{') x |= kClassValueStop;
      if (c == ' ' || c == '\n') x |= kClassOmTokenStop;
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
#if PROMSCRAPE_TEXTPARSE_SSE2
  const __m128i kq = _mm_set1_epi8('"');
  const __m128i kbs = _mm_set1_epi8('\\');
  const __m128i knl = _mm_set1_epi8(stop_newline ? '\n' : '"');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, kq), _mm_cmpeq_epi8(v, kbs)),
        _mm_or_si128(_mm_cmpeq_epi8(v, knl), v));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    char c = *p;
    if (c == '"' || c == '\\' || (stop_newline && c == '\n') ||
        static_cast<unsigned char>(c) >= 0x80) {
      return p;
    }
  }
  return end;
}

// Returns the first position in [p, end) that is not a metric-name byte
// ([a-zA-Z0-9_:], or [a-zA-Z0-9_] when `!colon`). SSE2 (x86-64 baseline),
// 16 bytes a step; names are the bulk of exposition bytes.
inline const char* SkipNameChars(const char* p, const char* end, bool colon) {
#if PROMSCRAPE_TEXTPARSE_SSE2
  const __m128i k20 = _mm_set1_epi8(0x20);
  const __m128i ka = _mm_set1_epi8('a' - 1);
  const __m128i kz = _mm_set1_epi8('z' + 1);
  const __m128i k0 = _mm_set1_epi8('0' - 1);
  const __m128i k9 = _mm_set1_epi8('9' + 1);
  const __m128i kus = _mm_set1_epi8('_');
  const __m128i kcolon = _mm_set1_epi8(colon ? ':' : '_');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i lower = _mm_or_si128(v, k20);
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, ka),
                                  _mm_cmplt_epi8(lower, kz));
    __m128i digit =
        _mm_and_si128(_mm_cmpgt_epi8(v, k0), _mm_cmplt_epi8(v, k9));
    __m128i ok = _mm_or_si128(
        _mm_or_si128(alpha, digit),
        _mm_or_si128(_mm_cmpeq_epi8(v, kus), _mm_cmpeq_epi8(v, kcolon)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(ok)) ^ 0xFFFFu;
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  const uint8_t cls = colon ? kClassMetric : kClassLabel;
  while (p < end && Is(cls, *p)) ++p;
  return p;
}

// Bitmaps of a window of kWindowBytes bytes: bit i describes byte i.
inline constexpr size_t kWindowBytes = 64;
struct LabelWindow {
  uint64_t label;  // [a-zA-Z0-9_]
  uint64_t stop;   // '"', '\\' or a byte >= 0x80
};

// Classifies the kWindowBytes bytes at `w` (all must be readable).
inline LabelWindow ClassifyLabelWindow(const char* w) {
  LabelWindow out{0, 0};
#if PROMSCRAPE_TEXTPARSE_SSE2
  // Range tests as one signed compare each: x - lo - 128 < hi - lo - 128
  // (wrapping) holds exactly when lo <= x < hi.
  const __m128i kDigitBias = _mm_set1_epi8(static_cast<char>(-'0' - 128));
  const __m128i kDigitLimit = _mm_set1_epi8(static_cast<char>(10 - 128));
  const __m128i kAlphaBias = _mm_set1_epi8(static_cast<char>(-'a' - 128));
  const __m128i kAlphaLimit = _mm_set1_epi8(static_cast<char>(26 - 128));
  const __m128i k20 = _mm_set1_epi8(0x20);
  const __m128i kus = _mm_set1_epi8('_');
  const __m128i kq = _mm_set1_epi8('"');
  const __m128i kbs = _mm_set1_epi8('\\');
  for (int k = 0; k < 4; ++k) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16 * k));
    __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, kDigitBias), kDigitLimit);
    __m128i alpha = _mm_cmplt_epi8(
        _mm_add_epi8(_mm_or_si128(v, k20), kAlphaBias), kAlphaLimit);
    __m128i label =
        _mm_or_si128(_mm_or_si128(alpha, digit), _mm_cmpeq_epi8(v, kus));
    __m128i stop = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, kq), _mm_cmpeq_epi8(v, kbs)), v);
    out.label |=
        static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(label)))
        << (16 * k);
    out.stop |=
        static_cast<uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(stop)))
        << (16 * k);
  }
#else
  for (size_t i = 0; i < kWindowBytes; ++i) {
    char c = w[i];
    if (Is(kClassLabel, c)) out.label |= uint64_t{1} << i;
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) >= 0x80) {
      out.stop |= uint64_t{1} << i;
    }
  }
#endif
  return out;
}

// Returns the end of the line starting at `p` (the '\n' or `end`) and tells
// whether the line holds a '\\' or a byte >= 0x80, in one pass.
inline const char* ScanLine(const char* p, const char* end, bool* backslash,
                            bool* high) {
  bool bs = false, hi = false;
#if PROMSCRAPE_TEXTPARSE_SSE2
  const __m128i knl = _mm_set1_epi8('\n');
  const __m128i kbs = _mm_set1_epi8('\\');
  // Whole blocks before the newline only feed two vector accumulators; the
  // block holding the newline is masked lane by lane.
  __m128i acc_bs = _mm_setzero_si128();
  __m128i acc_hi = _mm_setzero_si128();
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned nl = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, knl)));
    if (nl != 0) {
      unsigned before = (nl & -nl) - 1;  // lanes before the newline
      unsigned b = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(acc_bs, _mm_cmpeq_epi8(v, kbs))));
      unsigned h = static_cast<unsigned>(_mm_movemask_epi8(v));
      *backslash = (static_cast<unsigned>(_mm_movemask_epi8(acc_bs)) != 0) ||
                   (b & before) != 0;
      *high = (static_cast<unsigned>(_mm_movemask_epi8(acc_hi)) != 0) ||
              (h & before) != 0;
      return p + __builtin_ctz(nl);
    }
    acc_bs = _mm_or_si128(acc_bs, _mm_cmpeq_epi8(v, kbs));
    acc_hi = _mm_or_si128(acc_hi, v);
    p += 16;
  }
  bs = _mm_movemask_epi8(acc_bs) != 0;
  hi = _mm_movemask_epi8(acc_hi) != 0;
#endif
  for (; p < end && *p != '\n'; ++p) {
    bs = bs || *p == '\\';
    hi = hi || static_cast<unsigned char>(*p) >= 0x80;
  }
  *backslash = bs;
  *high = hi;
  return p;
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
bool IsValidUtf8Slow(std::string_view s);

// IsValidUtf8Slow behind an inline ASCII check: label names and values are
// nearly always ASCII and short, so the call is usually avoided.
inline bool IsValidUtf8(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  uint64_t acc = 0;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc |= w;
    p += 8;
  }
  for (; p < end; ++p) acc |= static_cast<unsigned char>(*p);
  return (acc & 0x8080808080808080ULL) == 0 || IsValidUtf8Slow(s);
}

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

// The text parsers' error message: `line N: <expectation>[, got "<c>"]
// while parsing: "<line up to and including at>"`, as promparse words it.
// `line_begin` and `at` point into `body` (`at` may be its end).
std::string ParseErrorMessage(std::string_view body, const char* line_begin,
                              const char* at, std::string_view expectation,
                              bool show_token);

}  // namespace promscrape::textparse::internal

#endif  // PLUGIN_TEXTPARSE_TEXT_UTIL_H_
