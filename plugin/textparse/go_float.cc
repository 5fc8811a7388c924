#include "plugin/textparse/go_float.h"

#include <bit>
#include <cerrno>
#include <cstdlib>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "plugin/textparse/text_util.h"

namespace promscrape::textparse {
namespace {

inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// Length of the common case-insensitive prefix of `s` and lowercase `word`.
size_t CommonPrefixIgnoreCase(std::string_view s, std::string_view word) {
  size_t n = 0;
  while (n < s.size() && n < word.size() && Lower(s[n]) == word[n]) ++n;
  return n;
}

// Go's strconv special(): [+-]inf, [+-]infinity, nan (unsigned only), any
// case. The whole string must match.
bool ParseSpecial(std::string_view s, double* out) {
  if (s.empty()) return false;
  double sign = 1;
  size_t nsign = 0;
  if (s[0] == '+' || s[0] == '-') {
    if (s[0] == '-') sign = -1;
    nsign = 1;
  }
  std::string_view rest = s.substr(nsign);
  if (rest.empty()) return false;
  char c = Lower(rest[0]);
  if (c == 'i') {
    size_t n = CommonPrefixIgnoreCase(rest, "infinity");
    if (n > 3 && n < 8) n = 3;
    if ((n == 3 || n == 8) && nsign + n == s.size()) {
      *out = sign * std::numeric_limits<double>::infinity();
      return true;
    }
  } else if (c == 'n' && nsign == 0) {
    if (CommonPrefixIgnoreCase(rest, "nan") == 3 && s.size() == 3) {
      *out = std::bit_cast<double>(kNormalNaNBits);
      return true;
    }
  }
  return false;
}


}  // namespace

namespace {

}  // namespace

namespace internal {

// Converts a validated decimal [p, end) (optional sign) the slow way.
FloatParseResult SlowDecimal(const char* p, const char* end, bool neg,
                             int exp10, double* out) {
  // libstdc++ 12's from_chars is correctly rounded. It does not take '+'.
  const char* b = (*p == '+') ? p + 1 : p;
  double v = 0;
  auto [ptr, ec] = std::from_chars(b, end, v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports both overflow and underflow. Go errors on overflow
    // only; decide by the magnitude: where the first significant digit sits.
    const char* r = (*p == '+' || *p == '-') ? p + 1 : p;
    bool seen_nonzero = false, after_dot = false;
    long int_digits = 0, lead_frac_zeros = 0;
    for (; r < end && *r != 'e' && *r != 'E'; ++r) {
      if (*r == '.') {
        after_dot = true;
        continue;
      }
      if (!after_dot) {
        if (seen_nonzero || *r != '0') seen_nonzero = true, ++int_digits;
      } else if (!seen_nonzero) {
        if (*r == '0') {
          ++lead_frac_zeros;
        } else {
          seen_nonzero = true;
        }
      }
    }
    long mag = (int_digits > 0 ? int_digits : -lead_frac_zeros) + exp10;
    if (mag > 0) return FloatParseResult::kRange;
    *out = neg ? -0.0 : 0.0;
    return FloatParseResult::kOk;
  }
  if (ec != std::errc() || ptr != end) return FloatParseResult::kSyntax;
  *out = v;
  return FloatParseResult::kOk;
}

// Everything that is not a plain decimal: Prometheus' explicit rejection of
// hex floats / digit separators, Go's special spellings, or a syntax error.
FloatParseResult NonDecimal(std::string_view s, double* out) {
  for (char c : s) {
    if (c == 'p' || c == 'P' || c == '_') return FloatParseResult::kUnsupported;
  }
  if (ParseSpecial(s, out)) return FloatParseResult::kOk;
  return FloatParseResult::kSyntax;
}

FloatParseResult ParseGoFloatTokenSlow(const char* p, const char* stop,
                                       const char* end, uint8_t stop_class,
                                       const char** token_end, double* out) {
  while (stop < end && !Is(stop_class, *stop)) ++stop;
  *token_end = stop;
  if (stop == p) return FloatParseResult::kSyntax;
  return NonDecimal(std::string_view(p, stop - p), out);
}

}  // namespace internal

FloatParseResult ParseGoFloat(std::string_view s, double* out) {
  const char* p = s.data();
  const char* end = p + s.size();
  const char* stop;
  FloatParseResult r = internal::DecimalPrefix(p, end, &stop, out);
  if (stop == end && r != internal::kNotDecimal) return r;
  return internal::NonDecimal(s, out);
}

absl::Status ParseGoFloatStatus(std::string_view s, double* out) {
  switch (ParseGoFloat(s, out)) {
    case FloatParseResult::kOk:
      return absl::OkStatus();
    case FloatParseResult::kUnsupported:
      return absl::InvalidArgumentError("unsupported character in float");
    case FloatParseResult::kRange:
      return absl::InvalidArgumentError(
          absl::StrCat("strconv.ParseFloat: parsing \"",
                       absl::string_view(s.data(), s.size()),
                       "\": value out of range"));
    case FloatParseResult::kSyntax:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("strconv.ParseFloat: parsing \"",
                   absl::string_view(s.data(), s.size()),
                   "\": invalid syntax"));
}

void AppendGoFloatG(double f, std::string* out) {
  if (std::isnan(f)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(f)) {
    out->append(f > 0 ? "+Inf" : "-Inf");
    return;
  }
  // Shortest round-trip digits in scientific form, then laid out the way
  // Go's %g does.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), f,
                           std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  bool neg = false;
  if (!sci.empty() && sci[0] == '-') {
    neg = true;
    sci.remove_prefix(1);
  }
  size_t epos = sci.find('e');
  std::string_view mant = sci.substr(0, epos);
  int exp = 0;
  std::from_chars(sci.data() + epos + 1 + (sci[epos + 1] == '+'),
                  sci.data() + sci.size(), exp);
  char digits[32];
  int nd = 0;
  for (char c : mant) {
    if (c != '.') digits[nd++] = c;
  }
  if (nd == 1 && digits[0] == '0') exp = 0;  // zero
  if (neg) out->push_back('-');
  if (exp < -4 || exp >= 6) {
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits + 1, nd - 1);
    }
    out->push_back('e');
    int ae = exp;
    if (ae < 0) {
      out->push_back('-');
      ae = -ae;
    } else {
      out->push_back('+');
    }
    // Decimal digits by hand: std::to_string would allocate.
    char eb[8];
    int en = 0;
    do {
      eb[en++] = static_cast<char>('0' + ae % 10);
      ae /= 10;
    } while (ae > 0);
    if (en < 2) eb[en++] = '0';
    while (en > 0) out->push_back(eb[--en]);
    return;
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) {
    out->append("0.");
    out->append(-dp, '0');
    out->append(digits, nd);
    return;
  }
  if (dp >= nd) {
    out->append(digits, nd);
    out->append(dp - nd, '0');
    return;
  }
  out->append(digits, dp);
  out->push_back('.');
  out->append(digits + dp, nd - dp);
}

std::string FormatGoFloatG(double f) {
  std::string s;
  AppendGoFloatG(f, &s);
  return s;
}

void AppendOpenMetricsFloat(double f, std::string* out) {
  if (f == 1) {
    out->append("1.0");
    return;
  }
  if (f == 0) {
    out->append("0.0");
    return;
  }
  if (f == -1) {
    out->append("-1.0");
    return;
  }
  size_t start = out->size();
  AppendGoFloatG(f, out);
  if (std::isnan(f) || std::isinf(f)) return;
  std::string_view s(out->data() + start, out->size() - start);
  if (s.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// Go's hexadecimal float form ([+-]0x mantissa p [+-] exponent), with Go's
// underscoreOK rule: an underscore only between digits or right after the
// base prefix. strtod reads the form once the underscores are gone.
FloatParseResult ParseHexFloat(std::string_view s, double* out) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.size() - i < 2 || s[i] != '0' || (s[i + 1] != 'x' && s[i + 1] != 'X')) {
    return FloatParseResult::kSyntax;
  }
  std::string clean(s.substr(0, i + 2));
  bool mantissa_digit = false, dot = false, exp = false, exp_digit = false;
  // What precedes the current byte: a digit, the base prefix, or other.
  bool after_digit_or_prefix = true;
  for (size_t j = i + 2; j < s.size(); ++j) {
    const char c = s[j];
    if (c == '_') {
      if (!after_digit_or_prefix || j + 1 >= s.size() ||
          !(exp ? (s[j + 1] >= '0' && s[j + 1] <= '9') : IsHexDigit(s[j + 1]))) {
        return FloatParseResult::kSyntax;
      }
      after_digit_or_prefix = false;
      continue;
    }
    if (!exp && IsHexDigit(c)) {
      mantissa_digit = true;
    } else if (!exp && c == '.' && !dot) {
      dot = true;
    } else if (!exp && (c == 'p' || c == 'P') && mantissa_digit) {
      exp = true;
      if (j + 1 < s.size() && (s[j + 1] == '+' || s[j + 1] == '-')) {
        clean.push_back(c);
        ++j;
        clean.push_back(s[j]);
        after_digit_or_prefix = false;
        continue;
      }
    } else if (exp && c >= '0' && c <= '9') {
      exp_digit = true;
    } else {
      return FloatParseResult::kSyntax;
    }
    after_digit_or_prefix = (c != '.' && c != 'p' && c != 'P');
    clean.push_back(c);
  }
  if (!mantissa_digit || !exp || !exp_digit) return FloatParseResult::kSyntax;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return FloatParseResult::kSyntax;
  if (errno == ERANGE && std::isinf(v)) return FloatParseResult::kRange;
  *out = v;
  return FloatParseResult::kOk;
}

}  // namespace

FloatParseResult ParseStrconvFloat(std::string_view s, double* out) {
  const FloatParseResult r = ParseGoFloat(s, out);
  if (r != FloatParseResult::kUnsupported) return r;
  return ParseHexFloat(s, out);
}

std::string_view NormalizeFloatLabelValue(bool histogram, bool summary,
                                          std::string_view name,
                                          std::string_view value,
                                          std::string* scratch) {
  if (!((histogram && name == "le") || (summary && name == "quantile"))) {
    return value;
  }
  double f;
  if (ParseStrconvFloat(value, &f) != FloatParseResult::kOk) return value;
  const size_t at = scratch->size();
  AppendOpenMetricsFloat(f, scratch);
  return std::string_view(scratch->data() + at, scratch->size() - at);
}

std::string FormatOpenMetricsFloat(double f) {
  std::string s;
  AppendOpenMetricsFloat(f, &s);
  return s;
}

int64_t SecondsToMillis(double seconds) {
  double ms = seconds * 1000.0;
  // NOTE: Go's float->int64 conversion of an out-of-range value is
  // implementation-defined; amd64's CVTTSD2SI yields INT64_MIN. In C++ it
  // would be undefined behaviour, so clamp explicitly to the amd64 result.
  if (!(ms >= -9223372036854775808.0 && ms < 9223372036854775808.0)) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(ms);
}

}  // namespace promscrape::textparse
