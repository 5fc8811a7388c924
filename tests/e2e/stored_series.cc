#include "tests/e2e/stored_series.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace promscrape::testing {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;

absl::StatusOr<Struct> ParseJson(absl::string_view json) {
  Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(
      std::string(json), &out);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON: ", status.ToString()));
  }
  return out;
}

absl::StatusOr<LabelSet> ToLabels(const Value& v) {
  if (v.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError("labels: not an object");
  }
  LabelSet labels;
  for (const auto& [name, value] : v.struct_value().fields()) {
    if (value.kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(
          absl::StrCat("label \"", name, "\": not a string"));
    }
    labels[name] = value.string_value();
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

absl::StatusOr<const google::protobuf::ListValue*> PrometheusResult(
    const Struct& root, absl::string_view want_type) {
  auto status = root.fields().find("status");
  if (status == root.fields().end() ||
      status->second.string_value() != "success") {
    return absl::InvalidArgumentError("prometheus answer: status not success");
  }
  auto data = root.fields().find("data");
  if (data == root.fields().end() ||
      data->second.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError("prometheus answer: no data");
  }
  const auto& fields = data->second.struct_value().fields();
  auto type = fields.find("resultType");
  if (type == fields.end() || type->second.string_value() != want_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("prometheus answer: resultType is not \"", want_type,
                     "\""));
  }
  auto result = fields.find("result");
  if (result == fields.end() ||
      result->second.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError("prometheus answer: no result list");
  }
  return &result->second.list_value();
}

// A [<seconds float>, "<value>"] pair.
absl::StatusOr<StoredSample> ToSample(const Value& pair) {
  if (pair.kind_case() != Value::kListValue ||
      pair.list_value().values_size() != 2) {
    return absl::InvalidArgumentError("sample: not a [t, v] pair");
  }
  StoredSample s;
  s.t_ms = std::llround(pair.list_value().values(0).number_value() * 1000);
  absl::StatusOr<std::string> v =
      CanonicalFromText(pair.list_value().values(1).string_value());
  if (!v.ok()) return v.status();
  s.value = *std::move(v);
  return s;
}

absl::StatusOr<SeriesMap> ParsePrometheus(absl::string_view json,
                                          bool matrix) {
  absl::StatusOr<Struct> root = ParseJson(json);
  if (!root.ok()) return root.status();
  absl::StatusOr<const google::protobuf::ListValue*> result =
      PrometheusResult(*root, matrix ? "matrix" : "vector");
  if (!result.ok()) return result.status();
  SeriesMap out;
  for (const Value& entry : (*result)->values()) {
    const auto& fields = entry.struct_value().fields();
    auto metric = fields.find("metric");
    if (metric == fields.end()) {
      return absl::InvalidArgumentError("prometheus answer: no metric");
    }
    absl::StatusOr<LabelSet> labels = ToLabels(metric->second);
    if (!labels.ok()) return labels.status();
    std::vector<StoredSample>& samples = out[*labels];
    if (matrix) {
      auto values = fields.find("values");
      if (values == fields.end()) continue;
      for (const Value& pair : values->second.list_value().values()) {
        absl::StatusOr<StoredSample> s = ToSample(pair);
        if (!s.ok()) return s.status();
        samples.push_back(*std::move(s));
      }
    } else {
      auto value = fields.find("value");
      if (value == fields.end()) continue;
      absl::StatusOr<StoredSample> s = ToSample(value->second);
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
    absl::StatusOr<Struct> root = ParseJson(line);
    if (!root.ok()) return fail(root.status());
    const auto& fields = root->fields();
    if (fields.contains("h")) continue;
    auto labels_it = fields.find("labels");
    auto t_it = fields.find("t");
    auto v_it = fields.find("v");
    if (labels_it == fields.end() || t_it == fields.end() ||
        v_it == fields.end()) {
      return fail(absl::InvalidArgumentError("missing labels, t or v"));
    }
    absl::StatusOr<LabelSet> labels = ToLabels(labels_it->second);
    if (!labels.ok()) return fail(labels.status());
    StoredSample s;
    s.t_ms = std::llround(t_it->second.number_value());
    if (s.t_ms > max_t_ms) continue;
    if (v_it->second.kind_case() == Value::kNumberValue) {
      s.value = CanonicalValue(v_it->second.number_value());
    } else {
      absl::StatusOr<std::string> v =
          CanonicalFromText(v_it->second.string_value());
      if (!v.ok()) return fail(v.status());
      s.value = *std::move(v);
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

}  // namespace promscrape::testing
