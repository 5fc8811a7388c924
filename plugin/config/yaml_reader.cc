#include "plugin/config/yaml_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "plugin/common/status.h"
#include "plugin/config/duration.h"
#include "plugin/config/size.h"
#include "re2/re2.h"

namespace promscrape::config::internal {
namespace {

enum class Kind { kNull, kBool, kInt, kFloat, kStr, kSeq, kMap };

struct Resolved {
  Kind kind = Kind::kStr;
  bool b = false;
  bool negative = false;
  uint64_t magnitude = 0;  // For kInt.
  double f = 0;            // For kFloat.
};

constexpr absl::string_view kStrTag = "tag:yaml.org,2002:str";

bool IsQuoted(const YAML::Node& node) {
  // yaml-cpp tags non-plain (quoted or block) scalars "!".
  return node.Tag() == "!" || node.Tag() == kStrTag;
}

// YAML 1.1 plain-scalar resolution as gopkg.in/yaml.v2 does it.
Resolved Resolve(const YAML::Node& node) {
  Resolved r;
  if (!node.IsDefined() || node.IsNull()) {
    r.kind = Kind::kNull;
    return r;
  }
  if (node.IsSequence()) {
    r.kind = Kind::kSeq;
    return r;
  }
  if (node.IsMap()) {
    r.kind = Kind::kMap;
    return r;
  }
  if (IsQuoted(node)) return r;
  const std::string& s = node.Scalar();
  static const char* const kTrue[] = {"y",    "Y",    "yes", "Yes", "YES",
                                      "true", "True", "TRUE", "on", "On",
                                      "ON"};
  static const char* const kFalse[] = {"n",     "N",     "no",    "No",
                                       "NO",    "false", "False", "FALSE",
                                       "off",   "Off",   "OFF"};
  for (const char* t : kTrue) {
    if (s == t) {
      r.kind = Kind::kBool;
      r.b = true;
      return r;
    }
  }
  for (const char* f : kFalse) {
    if (s == f) {
      r.kind = Kind::kBool;
      return r;
    }
  }
  if (s.empty()) return r;
  // Integers: yaml.v2 strips '_' and uses Go's base-prefix rules.
  {
    std::string plain = absl::StrReplaceAll(s, {{"_", ""}});
    absl::string_view v = plain;
    bool neg = false;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
      neg = v[0] == '-';
      v.remove_prefix(1);
    }
    int base = 10;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
      base = 16;
      v.remove_prefix(2);
    } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'B')) {
      base = 2;
      v.remove_prefix(2);
    } else if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'O')) {
      base = 8;
      v.remove_prefix(2);
    } else if (v.size() > 1 && v[0] == '0') {
      base = 8;
      v.remove_prefix(1);
    }
    bool ok = !v.empty();
    uint64_t m = 0;
    bool overflow = false;
    for (char c : v) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        ok = false;
        break;
      }
      if (d >= base) {
        ok = false;
        break;
      }
      if (m > (std::numeric_limits<uint64_t>::max() - d) / base) overflow = true;
      m = m * base + d;
    }
    if (ok && !overflow) {
      r.kind = Kind::kInt;
      r.negative = neg;
      r.magnitude = m;
      return r;
    }
  }
  static const re2::RE2* const kFloatRe = new re2::RE2(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (re2::RE2::FullMatch(s, *kFloatRe)) {
    r.kind = Kind::kFloat;
    r.f = std::strtod(std::string(absl::StrReplaceAll(s, {{"_", ""}})).c_str(),
                      nullptr);
    return r;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" ||
      s == "+.Inf" || s == "+.INF") {
    r.kind = Kind::kFloat;
    r.f = std::numeric_limits<double>::infinity();
    return r;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    r.kind = Kind::kFloat;
    r.f = -std::numeric_limits<double>::infinity();
    return r;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    r.kind = Kind::kFloat;
    r.f = std::nan("");
    return r;
  }
  return r;
}

absl::string_view KindTag(Kind k) {
  switch (k) {
    case Kind::kNull: return "!!null";
    case Kind::kBool: return "!!bool";
    case Kind::kInt: return "!!int";
    case Kind::kFloat: return "!!float";
    case Kind::kStr: return "!!str";
    case Kind::kSeq: return "!!seq";
    case Kind::kMap: return "!!map";
  }
  return "!!str";
}

absl::Status CannotUnmarshal(const YAML::Node& node, Kind kind,
                             absl::string_view into) {
  std::string shown;
  if (node.IsScalar()) {
    std::string v = node.Scalar();
    if (v.size() > 10) v = v.substr(0, 7) + "...";
    shown = absl::StrCat(" `", v, "`");
  }
  return absl::InvalidArgumentError(absl::StrCat(LinePrefix(node),
                                                 "cannot unmarshal ",
                                                 KindTag(kind), shown, " into ",
                                                 into));
}

// yaml.v2 in strict mode rejects repeated keys in maps too.
absl::Status DuplicateKey(const YAML::Node& key, const std::string& name) {
  return absl::InvalidArgumentError(
      absl::StrCat(LinePrefix(key), "key \"", name, "\" already set in map"));
}

}  // namespace

bool IsNullNode(const YAML::Node& node) {
  return !node.IsDefined() || node.IsNull();
}

std::string LinePrefix(const YAML::Node& node) {
  if (!node.IsDefined()) return "";
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return absl::StrCat("line ", mark.line + 1, ": ");
}

absl::StatusOr<MapReader> MapReader::Create(const YAML::Node& node,
                                            std::string type_name) {
  if (IsNullNode(node)) return MapReader(YAML::Node(YAML::NodeType::Map), type_name);
  if (!node.IsMap()) {
    return CannotUnmarshal(node, Resolve(node).kind, type_name);
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(
          LinePrefix(it->first), "mapping keys must be scalars in type ",
          type_name));
    }
  }
  return MapReader(node, std::move(type_name));
}

YAML::Node MapReader::Take(absl::string_view key) {
  taken_.insert(std::string(key));
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool MapReader::HasValue(absl::string_view key) const {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return !IsNullNode(it->second);
  }
  return false;
}

std::vector<std::string> MapReader::RemainingKeys() const {
  std::vector<std::string> keys;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!taken_.contains(it->first.Scalar())) {
      keys.push_back(it->first.Scalar());
    }
  }
  return keys;
}

absl::Status MapReader::Finish() const {
  // As Go's yaml.UnmarshalStrict, every bad key of the mapping is reported
  // at once, one per line; a single one reads as before.
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> errors;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string& key = it->first.Scalar();
    if (!taken_.contains(key)) {
      errors.push_back(absl::StrCat(LinePrefix(it->first), "field ", key,
                                    " not found in type ", type_name_));
    } else if (!seen.insert(key).second) {
      errors.push_back(absl::StrCat(LinePrefix(it->first), "field ", key,
                                    " already set in type ", type_name_));
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n  "));
}

absl::Status DecodeString(const YAML::Node& node, std::string* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  Resolved r = Resolve(node);
  if (r.kind == Kind::kNull) {
    out->clear();
    return absl::OkStatus();
  }
  if (r.kind == Kind::kSeq || r.kind == Kind::kMap) {
    return CannotUnmarshal(node, r.kind, "string");
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status DecodeBool(const YAML::Node& node, bool* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  Resolved r = Resolve(node);
  if (r.kind == Kind::kNull) {
    *out = false;
    return absl::OkStatus();
  }
  if (r.kind != Kind::kBool) return CannotUnmarshal(node, r.kind, "bool");
  *out = r.b;
  return absl::OkStatus();
}

absl::Status DecodeUint(const YAML::Node& node, uint64_t* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  Resolved r = Resolve(node);
  if (r.kind == Kind::kNull) {
    *out = 0;
    return absl::OkStatus();
  }
  if (r.kind == Kind::kInt && (!r.negative || r.magnitude == 0)) {
    *out = r.magnitude;
    return absl::OkStatus();
  }
  // yaml.v2 truncates a non-negative float that fits.
  if (r.kind == Kind::kFloat && r.f >= 0 && r.f <= 18446744073709549568.0) {
    *out = static_cast<uint64_t>(r.f);
    return absl::OkStatus();
  }
  return CannotUnmarshal(node, r.kind, "uint");
}

absl::Status DecodeDouble(const YAML::Node& node, double* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  Resolved r = Resolve(node);
  if (r.kind == Kind::kNull) {
    *out = 0;
    return absl::OkStatus();
  }
  if (r.kind == Kind::kFloat) {
    *out = r.f;
  } else if (r.kind == Kind::kInt) {
    *out = static_cast<double>(r.magnitude) * (r.negative ? -1 : 1);
  } else {
    return CannotUnmarshal(node, r.kind, "float64");
  }
  return absl::OkStatus();
}

absl::Status DecodeDuration(const YAML::Node& node, absl::Duration* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    *out = absl::ZeroDuration();
    return absl::OkStatus();
  }
  std::string s;
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(node, &s));
  auto d = ParseDuration(s);
  if (!d.ok()) return d.status();
  *out = *d;
  return absl::OkStatus();
}

absl::Status DecodeSize(const YAML::Node& node, int64_t* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    *out = 0;
    return absl::OkStatus();
  }
  std::string s;
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(node, &s));
  auto v = ParseSize(s);
  if (!v.ok()) return v.status();
  *out = *v;
  return absl::OkStatus();
}

absl::Status DecodeStringList(const YAML::Node& node,
                              std::vector<std::string>* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    out->clear();
    return absl::OkStatus();
  }
  if (!node.IsSequence()) {
    return CannotUnmarshal(node, Resolve(node).kind, "[]string");
  }
  out->clear();
  for (const auto& item : node) {
    std::string s;
    PROMSCRAPE_RETURN_IF_ERROR(DecodeString(item, &s));
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status DecodeStringMap(const YAML::Node& node,
                             std::map<std::string, std::string>* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    out->clear();
    return absl::OkStatus();
  }
  if (!node.IsMap()) {
    return CannotUnmarshal(node, Resolve(node).kind, "map[string]string");
  }
  out->clear();
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string k, v;
    PROMSCRAPE_RETURN_IF_ERROR(DecodeString(it->first, &k));
    if (out->count(k) != 0) return DuplicateKey(it->first, k);
    PROMSCRAPE_RETURN_IF_ERROR(DecodeString(it->second, &v));
    (*out)[k] = std::move(v);
  }
  return absl::OkStatus();
}

absl::Status DecodeStringListMap(
    const YAML::Node& node,
    std::map<std::string, std::vector<std::string>>* out) {
  if (!node.IsDefined()) return absl::OkStatus();
  if (node.IsNull()) {
    out->clear();
    return absl::OkStatus();
  }
  if (!node.IsMap()) {
    return CannotUnmarshal(node, Resolve(node).kind, "map[string][]string");
  }
  out->clear();
  for (auto it = node.begin(); it != node.end(); ++it) {
    std::string k;
    std::vector<std::string> v;
    PROMSCRAPE_RETURN_IF_ERROR(DecodeString(it->first, &k));
    if (out->count(k) != 0) return DuplicateKey(it->first, k);
    PROMSCRAPE_RETURN_IF_ERROR(DecodeStringList(it->second, &v));
    (*out)[k] = std::move(v);
  }
  return absl::OkStatus();
}

absl::StatusOr<YAML::Node> ParseYaml(const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
}

}  // namespace promscrape::config::internal
