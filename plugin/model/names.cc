#include "plugin/model/names.h"

#include "plugin/common/utf8.h"

namespace promscrape::model {
namespace {

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || !IsAlpha(name[0])) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c)) return false;
  }
  return true;
}

bool IsValidMetricName(absl::string_view name) {
  if (name.empty() || !(IsAlpha(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != ':') return false;
  }
  return true;
}

}  // namespace promscrape::model

namespace promscrape::model {

absl::string_view NameValidationName(NameValidation scheme) {
  return scheme == NameValidation::kUtf8 ? "utf8" : "legacy";
}

bool IsValidLabelName(absl::string_view name, NameValidation scheme) {
  if (scheme == NameValidation::kLegacy) return IsValidLabelName(name);
  return !name.empty() && IsValidUtf8(name);
}

bool IsValidMetricName(absl::string_view name, NameValidation scheme) {
  if (scheme == NameValidation::kLegacy) return IsValidMetricName(name);
  return !name.empty() && IsValidUtf8(name);
}

}  // namespace promscrape::model
