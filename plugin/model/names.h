#ifndef PLUGIN_MODEL_NAMES_H_
#define PLUGIN_MODEL_NAMES_H_

#include "absl/strings/string_view.h"

// Name and value validation (Prometheus `common:model/metric.go`).
namespace promscrape::model {

// `[a-zA-Z_][a-zA-Z0-9_]*`: the label names Prometheus 2.x accepts.
bool IsValidLabelName(absl::string_view name);

// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
bool IsValidMetricName(absl::string_view name);

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_NAMES_H_
