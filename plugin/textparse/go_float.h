#ifndef PLUGIN_TEXTPARSE_GO_FLOAT_H_
#define PLUGIN_TEXTPARSE_GO_FLOAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "plugin/textparse/text_util.h"

namespace promscrape::textparse {

// Go-compatible number handling for the exposition parsers. Stateless free
// functions; thread-safe.

// Prometheus' canonical NaN (value.NormalNaN) and staleness marker
// (value.StaleNaN). Compare these by bits, never arithmetically.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ULL;
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

enum class FloatParseResult : int8_t {
  kOk,
  kSyntax,       // strconv: invalid syntax
  kRange,        // strconv: value out of range (overflow only)
  kUnsupported,  // Prometheus: 'p', 'P' or '_' present
};

// Parses `s` exactly as Prometheus' text parsers do: Go's
// strconv.ParseFloat(s, 64) after rejecting any 'p', 'P' or '_' (no hex
// floats, no digit separators). Accepts decimal/exponent forms, "Inf",
// "+Inf", "-Inf", "infinity" and unsigned "NaN" in any case; rejects
// surrounding spaces and signed NaN. Overflow is kRange; underflow gives a
// signed zero. Every NaN is returned as NormalNaN.
FloatParseResult ParseGoFloat(std::string_view s, double* out);

// The text parsers' fused token scan + parse: the value token starts at `p`
// and runs to the first byte of character class `stop_class` (see
// text_util.h) or `end`; sets `*token_end` there and parses the token like
// ParseGoFloat. An empty token is kSyntax. Saves a second pass over the
// token on the hot path.
inline FloatParseResult ParseGoFloatToken(const char* p, const char* end,
                                          uint8_t stop_class,
                                          const char** token_end,
                                          double* out);

// Like ParseGoFloat but returns Prometheus' error text on failure:
// `strconv.ParseFloat: parsing "x": invalid syntax`,
// `... value out of range`, or `unsupported character in float`.
absl::Status ParseGoFloatStatus(std::string_view s, double* out);

// Appends Go's strconv.FormatFloat(f, 'g', -1, 64) to `*out`: shortest
// round-trip digits, exponent form (e+XX, two digits minimum) when the
// decimal exponent is < -4 or >= 6 (Go's rule for the shortest 'g' form).
void AppendGoFloatG(double f, std::string* out);
std::string FormatGoFloatG(double f);

// Prometheus' formatOpenMetricsFloat, used by the protobuf parser for `le`
// and `quantile` label values: 1 -> "1.0", 0 -> "0.0", -1 -> "-1.0",
// "NaN", "+Inf", "-Inf", otherwise FormatFloat 'g' plus ".0" when the result
// has neither '.' nor 'e'.
void AppendOpenMetricsFloat(double f, std::string* out);
std::string FormatOpenMetricsFloat(double f);

// Go's strconv.ParseFloat(s, 64) itself, without Prometheus' sample-value
// restrictions: also hexadecimal floats (`0x1.8p3`, a 'p' exponent
// required) and underscores between the digits of a 0x-prefixed number.
FloatParseResult ParseStrconvFloat(std::string_view s, double* out);

// Prometheus 3.x' normalizeFloatsInLabelValues (model/textparse): the value
// of `le` in a histogram family or of `quantile` in a summary family that
// parses as a float (ParseStrconvFloat) is rewritten in OpenMetrics form
// (`1` -> `1.0`, `1e3` -> `1000.0`, `+inf` -> `+Inf`). Returns `value` when
// nothing changes, else a view of what was appended to `*scratch` (at most
// 24 bytes).
std::string_view NormalizeFloatLabelValue(bool histogram, bool summary,
                                          std::string_view name,
                                          std::string_view value,
                                          std::string* scratch);

// Converts OpenMetrics float seconds to int64 milliseconds the way Go's
// int64(s * 1000) does on amd64 (truncation; out-of-range gives INT64_MIN).
int64_t SecondsToMillis(double seconds);

namespace internal {

// Result of DecimalPrefix beyond FloatParseResult: the text does not start
// with Go's decimal grammar at all (no digits), so callers try the special
// spellings.
inline constexpr FloatParseResult kNotDecimal =
    static_cast<FloatParseResult>(100);

inline constexpr double kPow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

FloatParseResult SlowDecimal(const char* p, const char* end, bool neg,
                             int exp10, double* out);
FloatParseResult NonDecimal(std::string_view s, double* out);
FloatParseResult ParseGoFloatTokenSlow(const char* p, const char* stop,
                                       const char* end, uint8_t stop_class,
                                       const char** token_end, double* out);

// Parses the longest prefix of [p, end) that follows Go's decimal grammar
// ([+-] digits [. digits] [e [+-] digits], at least one mantissa digit) and
// sets *stop where it ended. Returns kOk/kRange for a number, kSyntax for a
// malformed exponent, kNotDecimal when there are no digits. The mantissa is
// accumulated on the way for the exact fast path (Clinger): a mantissa of at
// most 2^53 and a power of ten of at most 22 convert exactly with one
// multiply or divide.
inline FloatParseResult DecimalPrefix(const char* p, const char* end,
                                      const char** stop, double* out) {
  const char* q = p;
  bool neg = false;
  if (q < end && (*q == '+' || *q == '-')) {
    neg = *q == '-';
    ++q;
  }
  uint64_t mant = 0;
  const char* int_begin = q;
  while (q < end && static_cast<unsigned>(*q - '0') < 10) {
    mant = mant * 10 + static_cast<unsigned>(*q - '0');
    ++q;
  }
  size_t digits = q - int_begin;
  int frac_digits = 0;
  if (q < end && *q == '.') {
    const char* frac_begin = ++q;
    while (q < end && static_cast<unsigned>(*q - '0') < 10) {
      mant = mant * 10 + static_cast<unsigned>(*q - '0');
      ++q;
    }
    frac_digits = static_cast<int>(q - frac_begin);
    digits += frac_digits;
  }
  if (digits == 0) {
    *stop = q;
    return kNotDecimal;
  }
  int exp10 = 0;
  if (q < end && (*q == 'e' || *q == 'E')) {
    ++q;
    bool eneg = false;
    if (q < end && (*q == '+' || *q == '-')) {
      eneg = *q == '-';
      ++q;
    }
    if (q == end || static_cast<unsigned>(*q - '0') >= 10) {
      *stop = q;
      return FloatParseResult::kSyntax;
    }
    for (; q < end && static_cast<unsigned>(*q - '0') < 10; ++q) {
      if (exp10 < 100000) exp10 = exp10 * 10 + (*q - '0');
    }
    if (eneg) exp10 = -exp10;
  }
  *stop = q;
  // 19 digits cannot overflow the uint64 accumulator.
  if (digits <= 19 && mant <= (uint64_t{1} << 53)) {
    int e = exp10 - frac_digits;
    double m = static_cast<double>(mant);
    if (e == 0) {
      *out = neg ? -m : m;
      return FloatParseResult::kOk;
    }
    if (e > 0 && e <= 22) {
      m *= kPow10[e];
      *out = neg ? -m : m;
      return FloatParseResult::kOk;
    }
    if (e < 0 && e >= -22) {
      m /= kPow10[-e];
      *out = neg ? -m : m;
      return FloatParseResult::kOk;
    }
  }
  return SlowDecimal(p, q, neg, exp10, out);
}

}  // namespace internal

inline FloatParseResult ParseGoFloatToken(const char* p, const char* end,
                                          uint8_t stop_class,
                                          const char** token_end,
                                          double* out) {
  const char* stop;
  FloatParseResult r = internal::DecimalPrefix(p, end, &stop, out);
  if ((stop == end || internal::Is(stop_class, *stop)) &&
      r != internal::kNotDecimal) [[likely]] {
    *token_end = stop;
    return r;
  }
  return internal::ParseGoFloatTokenSlow(p, stop, end, stop_class, token_end,
                                         out);
}

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_GO_FLOAT_H_
