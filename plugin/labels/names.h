#ifndef PLUGIN_LABELS_NAMES_H_
#define PLUGIN_LABELS_NAMES_H_

#include "absl/strings/string_view.h"

// Name and value validation (Prometheus `common:model/metric.go`, §0.2).
namespace promscrape::labels {

// `[a-zA-Z_][a-zA-Z0-9_]*`: the label names Prometheus 2.x accepts.
bool IsValidLabelName(absl::string_view name);

// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
bool IsValidMetricName(absl::string_view name);

// Label values may be any valid UTF-8.
bool IsValidUtf8(absl::string_view value);

}  // namespace promscrape::labels

#endif  // PLUGIN_LABELS_NAMES_H_
