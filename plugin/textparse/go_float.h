#ifndef PLUGIN_TEXTPARSE_GO_FLOAT_H_
#define PLUGIN_TEXTPARSE_GO_FLOAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

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
FloatParseResult ParseGoFloatToken(const char* p, const char* end,
                                   uint8_t stop_class, const char** token_end,
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

// Converts OpenMetrics float seconds to int64 milliseconds the way Go's
// int64(s * 1000) does on amd64 (truncation; out-of-range gives INT64_MIN).
int64_t SecondsToMillis(double seconds);

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_GO_FLOAT_H_
