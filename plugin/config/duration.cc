#include "plugin/config/duration.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/common/go_quote.h"
#include "plugin/model/labels.h"

namespace promscrape::config {
namespace {

struct Unit {
  absl::string_view name;
  int64_t ms;
};

// In the order the grammar requires them.
constexpr Unit kUnits[] = {
    {"y", int64_t{1000} * 60 * 60 * 24 * 365},
    {"w", int64_t{1000} * 60 * 60 * 24 * 7},
    {"d", int64_t{1000} * 60 * 60 * 24},
    {"h", int64_t{1000} * 60 * 60},
    {"m", int64_t{1000} * 60},
    {"s", 1000},
    {"ms", 1},
};

absl::Status Invalid(absl::string_view s) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a valid duration string: ", GoQuote(s)));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view s) {
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return absl::InvalidArgumentError("empty duration string");
  // Go stores nanoseconds in an int64; the limit is in milliseconds.
  constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max() / 1000000;
  size_t next_unit = 0;
  int64_t total_ms = 0;
  bool overflow = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t digits_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits_start) return Invalid(s);
    absl::string_view digits = s.substr(digits_start, i - digits_start);
    size_t unit_start = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9')) ++i;
    absl::string_view unit = s.substr(unit_start, i - unit_start);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return Invalid(s);
    next_unit = u + 1;
    // Saturating accumulate: overflow is reported after the whole string
    // parsed, as Prometheus does.
    int64_t n = 0;
    for (char c : digits) {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) {
        overflow = true;
        break;
      }
      n = n * 10 + (c - '0');
    }
    if (overflow || n > kMaxMs / kUnits[u].ms) {
      overflow = true;
      continue;
    }
    total_ms += n * kUnits[u].ms;
    if (total_ms > kMaxMs) overflow = true;
  }
  if (overflow) return absl::InvalidArgumentError("duration out of range");
  return absl::Milliseconds(total_ms);
}

std::string FormatPromDuration(absl::Duration d) {
  int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    const Unit& unit = kUnits[i];
    const bool exact_only = i < 2;  // Years and weeks.
    if (exact_only && ms % unit.ms != 0) continue;
    int64_t v = ms / unit.ms;
    if (v > 0) {
      absl::StrAppend(&out, v, unit.name);
      ms -= v * unit.ms;
    }
  }
  return out;
}

}  // namespace promscrape::config
