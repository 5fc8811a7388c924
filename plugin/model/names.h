#ifndef PLUGIN_MODEL_NAMES_H_
#define PLUGIN_MODEL_NAMES_H_

#include <cstdint>

#include "absl/strings/string_view.h"

// Name and value validation (Prometheus `common:model/metric.go`).
namespace promscrape::model {

// `[a-zA-Z_][a-zA-Z0-9_]*`: the label names Prometheus 2.x accepts.
bool IsValidLabelName(absl::string_view name);

// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
bool IsValidMetricName(absl::string_view name);

// How metric and label names are validated (common's model.ValidationScheme,
// the `metric_name_validation_scheme` of prometheus.yml). Prometheus 2.x
// only knows kLegacy; 3.x defaults to kUtf8.
enum class NameValidation : int8_t {
  kLegacy,  // The character sets above.
  kUtf8,    // Any non-empty valid UTF-8 string.
};

// "legacy" / "utf8", as written in prometheus.yml.
absl::string_view NameValidationName(NameValidation scheme);

// ValidationScheme.IsValidLabelName / IsValidMetricName.
bool IsValidLabelName(absl::string_view name, NameValidation scheme);
bool IsValidMetricName(absl::string_view name, NameValidation scheme);

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_NAMES_H_
