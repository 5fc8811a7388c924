#include "plugin/config/size.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace promscrape::config {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool UnitValue(absl::string_view unit, double* out) {
  static constexpr absl::string_view kPrefixes = "KMGTPE";
  if (unit == "B") {
    *out = 1;
    return true;
  }
  if (unit.size() == 2 && unit[1] == 'B') {
    // Old-style "KB" means KiB.
  } else if (unit.size() == 3 && unit.substr(1) == "iB") {
  } else {
    return false;
  }
  size_t p = kPrefixes.find(unit[0]);
  if (p == absl::string_view::npos) return false;
  double v = 1;
  for (size_t i = 0; i <= p; ++i) v *= 1024;
  *out = v;
  return true;
}

}  // namespace

absl::StatusOr<int64_t> ParseSize(absl::string_view orig) {
  absl::string_view s = orig;
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat("units: invalid ", orig));
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return invalid();
    double g = 0;
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) g = g * 10 + (s[i++] - '0');
    bool pre = i > 0;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      double scale = 1;
      size_t start = i;
      while (i < s.size() && IsDigit(s[i])) {
        scale /= 10;
        g += (s[i++] - '0') * scale;
      }
      post = i > start;
    }
    if (!pre && !post) return invalid();
    size_t unit_start = i;
    while (i < s.size() && !(s[i] == '.' || IsDigit(s[i]))) ++i;
    absl::string_view unit = s.substr(unit_start, i - unit_start);
    double mult;
    if (!UnitValue(unit, &mult)) {
      return absl::InvalidArgumentError(
          absl::StrCat("units: unknown unit ", unit, " in ", orig));
    }
    total += g * mult;
    s.remove_prefix(i);
  }
  if (neg) total = -total;
  if (total < -9223372036854775808.0 || total >= 9223372036854775808.0) {
    return absl::InvalidArgumentError("units: overflow parsing unit");
  }
  return static_cast<int64_t>(total);
}

std::string FormatSize(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB",
                                           "TiB", "PiB", "EiB"};
  int u = 0;
  while (u < 6 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return absl::StrCat(bytes, kUnits[u]);
}

}  // namespace promscrape::config
