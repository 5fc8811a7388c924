#include "tests/e2e/stored_series.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace promscrape::testing {
namespace {

// A parsed JSON value. NOTE: not google.protobuf.Struct: protobuf's inline
// Map code crashes in TSAN builds against Debian's uninstrumented
// libprotobuf, and tests/e2e runs under TSAN in CI.
struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kList, kObject };
  Kind kind = Kind::kNull;
  double number = 0;
  std::string str;
  std::vector<Json> list;
  // An object's members: keys[i] names list[i] (a pair<string, Json> member
  // would need Json complete here).
  std::vector<std::string> keys;

  // The member `key` of an object, or null.
  const Json* Get(absl::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return &list[i];
    }
    return nullptr;
  }
};

// A recursive-descent parser for RFC 8259 JSON (what Prometheus and
// scrape_host write).
class JsonParser {
 public:
  explicit JsonParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Json> ParseDocument() {
    Json value;
    if (!ParseValue(value, 0)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) return Error();
    return value;
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", pos_));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Json& out, int depth) {
    if (depth > 64) return false;
    SkipSpace();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{') {
      out.kind = Json::Kind::kObject;
      ++pos_;
      SkipSpace();
      if (Consume("}")) return true;
      while (true) {
        SkipSpace();
        std::string key;
        if (!ParseString(key)) return false;
        SkipSpace();
        if (!Consume(":")) return false;
        Json value;
        if (!ParseValue(value, depth + 1)) return false;
        out.keys.push_back(std::move(key));
        out.list.push_back(std::move(value));
        SkipSpace();
        if (Consume("}")) return true;
        if (!Consume(",")) return false;
      }
    }
    if (c == '[') {
      out.kind = Json::Kind::kList;
      ++pos_;
      SkipSpace();
      if (Consume("]")) return true;
      while (true) {
        Json value;
        if (!ParseValue(value, depth + 1)) return false;
        out.list.push_back(std::move(value));
        SkipSpace();
        if (Consume("]")) return true;
        if (!Consume(",")) return false;
      }
    }
    if (c == '"') {
      out.kind = Json::Kind::kString;
      return ParseString(out.str);
    }
    if (Consume("true") || Consume("false")) {
      out.kind = Json::Kind::kBool;
      out.number = text_[pos_ - 1] == 'e' && text_[pos_ - 2] == 'u';
      return true;
    }
    if (Consume("null")) return true;
    size_t end = pos_;
    while (end < text_.size() &&
           absl::string_view("+-0123456789.eE").find(text_[end]) !=
               absl::string_view::npos) {
      ++end;
    }
    out.kind = Json::Kind::kNumber;
    if (end == pos_ ||
        !absl::SimpleAtod(text_.substr(pos_, end - pos_), &out.number)) {
      return false;
    }
    pos_ = end;
    return true;
  }

  bool ParseHex4(uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9') {
        out |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        out |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        out |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool ParseString(std::string& out) {
    if (!Consume("\"")) return false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!ParseHex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && Consume("\\u")) {
            uint32_t low = 0;
            if (!ParseHex4(low)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

absl::StatusOr<Json> ParseJson(absl::string_view json) {
  return JsonParser(json).ParseDocument();
}

absl::StatusOr<LabelSet> ToLabels(const Json& v) {
  if (v.kind != Json::Kind::kObject) {
    return absl::InvalidArgumentError("labels: not an object");
  }
  LabelSet labels;
  for (size_t i = 0; i < v.keys.size(); ++i) {
    if (v.list[i].kind != Json::Kind::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("label \"", v.keys[i], "\": not a string"));
    }
    labels[v.keys[i]] = v.list[i].str;
  }
  return labels;
}

// Prometheus renders values as Go strconv text ("1", "NaN", "+Inf").
absl::StatusOr<std::string> CanonicalFromText(const std::string& text) {
  if (text == "NaN" || text == "+Inf" || text == "-Inf" ||
      text == "StaleNaN") {
    return text;
  }
  double d = 0;
  if (!absl::SimpleAtod(text, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid sample value \"", text, "\""));
  }
  return CanonicalValue(d);
}

absl::StatusOr<const std::vector<Json>*> PrometheusResult(
    const Json& root, absl::string_view want_type) {
  const Json* status = root.Get("status");
  if (status == nullptr || status->str != "success") {
    return absl::InvalidArgumentError("prometheus answer: status not success");
  }
  const Json* data = root.Get("data");
  if (data == nullptr || data->kind != Json::Kind::kObject) {
    return absl::InvalidArgumentError("prometheus answer: no data");
  }
  const Json* type = data->Get("resultType");
  if (type == nullptr || type->str != want_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("prometheus answer: resultType is not \"", want_type,
                     "\""));
  }
  const Json* result = data->Get("result");
  if (result == nullptr || result->kind != Json::Kind::kList) {
    return absl::InvalidArgumentError("prometheus answer: no result list");
  }
  return &result->list;
}

// A [<seconds float>, "<value>"] pair.
absl::StatusOr<StoredSample> ToSample(const Json& pair) {
  if (pair.kind != Json::Kind::kList || pair.list.size() != 2) {
    return absl::InvalidArgumentError("sample: not a [t, v] pair");
  }
  StoredSample s;
  s.t_ms = std::llround(pair.list[0].number * 1000);
  absl::StatusOr<std::string> v = CanonicalFromText(pair.list[1].str);
  if (!v.ok()) return v.status();
  s.value = *std::move(v);
  return s;
}

absl::StatusOr<SeriesMap> ParsePrometheus(absl::string_view json,
                                          bool matrix) {
  absl::StatusOr<Json> root = ParseJson(json);
  if (!root.ok()) return root.status();
  absl::StatusOr<const std::vector<Json>*> result =
      PrometheusResult(*root, matrix ? "matrix" : "vector");
  if (!result.ok()) return result.status();
  SeriesMap out;
  for (const Json& entry : **result) {
    const Json* metric = entry.Get("metric");
    if (metric == nullptr) {
      return absl::InvalidArgumentError("prometheus answer: no metric");
    }
    absl::StatusOr<LabelSet> labels = ToLabels(*metric);
    if (!labels.ok()) return labels.status();
    std::vector<StoredSample>& samples = out[*labels];
    if (matrix) {
      const Json* values = entry.Get("values");
      if (values == nullptr) continue;
      for (const Json& pair : values->list) {
        absl::StatusOr<StoredSample> s = ToSample(pair);
        if (!s.ok()) return s.status();
        samples.push_back(*std::move(s));
      }
    } else {
      const Json* value = entry.Get("value");
      if (value == nullptr) continue;
      absl::StatusOr<StoredSample> s = ToSample(*value);
      if (!s.ok()) return s.status();
      samples.push_back(*std::move(s));
    }
  }
  return out;
}

}  // namespace

std::string CanonicalValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return absl::StrFormat("%.17g", v);
}

std::string FormatLabels(const LabelSet& labels) {
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) absl::StrAppend(&out, ", ");
    absl::StrAppend(&out, name, "=\"");
    for (char c : value) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
      }
    }
    out += '"';
  }
  return out + "}";
}

absl::StatusOr<SeriesMap> ReadSampleFile(const std::string& path,
                                         int64_t max_t_ms) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read \"", path, "\""));
  }
  SeriesMap out;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    auto fail = [&](const absl::Status& status) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_number, ": ", status.message(), ": ", line));
    };
    absl::StatusOr<Json> root = ParseJson(line);
    if (!root.ok()) return fail(root.status());
    if (root->Get("h") != nullptr) continue;
    const Json* labels_json = root->Get("labels");
    const Json* t = root->Get("t");
    const Json* v = root->Get("v");
    if (labels_json == nullptr || t == nullptr || v == nullptr) {
      return fail(absl::InvalidArgumentError("missing labels, t or v"));
    }
    absl::StatusOr<LabelSet> labels = ToLabels(*labels_json);
    if (!labels.ok()) return fail(labels.status());
    StoredSample s;
    s.t_ms = std::llround(t->number);
    if (s.t_ms > max_t_ms) continue;
    if (v->kind == Json::Kind::kNumber) {
      s.value = CanonicalValue(v->number);
    } else {
      absl::StatusOr<std::string> value = CanonicalFromText(v->str);
      if (!value.ok()) return fail(value.status());
      s.value = *std::move(value);
    }
    out[*std::move(labels)].push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<SeriesMap> ParsePrometheusMatrix(absl::string_view json) {
  return ParsePrometheus(json, /*matrix=*/true);
}

absl::StatusOr<SeriesMap> ParsePrometheusVector(absl::string_view json) {
  return ParsePrometheus(json, /*matrix=*/false);
}

absl::StatusOr<std::set<LabelSet>> ParsePrometheusSeries(
    absl::string_view json) {
  absl::StatusOr<Json> root = ParseJson(json);
  if (!root.ok()) return root.status();
  const Json* status = root->Get("status");
  const Json* data = root->Get("data");
  if (status == nullptr || status->str != "success" || data == nullptr ||
      data->kind != Json::Kind::kList) {
    return absl::InvalidArgumentError(
        "prometheus answer: status not success or no data list");
  }
  std::set<LabelSet> out;
  for (const Json& entry : data->list) {
    absl::StatusOr<LabelSet> labels = ToLabels(entry);
    if (!labels.ok()) return labels.status();
    out.insert(*std::move(labels));
  }
  return out;
}

absl::StatusOr<SeriesMap> ParseVictoriaMetricsExport(absl::string_view body) {
  SeriesMap out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("export line ", line_number, ": ", why));
    };
    absl::StatusOr<Json> root = ParseJson(line);
    if (!root.ok()) return fail(root.status().message());
    const Json* metric = root->Get("metric");
    const Json* values = root->Get("values");
    const Json* timestamps = root->Get("timestamps");
    if (metric == nullptr || values == nullptr || timestamps == nullptr ||
        values->list.size() != timestamps->list.size()) {
      return fail("want metric, values and timestamps of equal length");
    }
    absl::StatusOr<LabelSet> labels = ToLabels(*metric);
    if (!labels.ok()) return fail(labels.status().message());
    std::vector<StoredSample>& samples = out[*std::move(labels)];
    for (size_t i = 0; i < values->list.size(); ++i) {
      StoredSample s;
      s.t_ms = std::llround(timestamps->list[i].number);
      s.value = values->list[i].kind == Json::Kind::kNumber
                    ? CanonicalValue(values->list[i].number)
                    : "NaN";
      samples.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace promscrape::testing
