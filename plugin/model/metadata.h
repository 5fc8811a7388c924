#ifndef PLUGIN_MODEL_METADATA_H_
#define PLUGIN_MODEL_METADATA_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace promscrape::model {

// A metric family type as declared by TYPE (text) or MetricFamily.type
// (protobuf). `kUnknown` is text's "untyped" and OpenMetrics' "unknown".
enum class MetricType : int8_t {
  kUnknown = 0,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset,
};

// Prometheus' spelling ("counter", "gaugehistogram", "unknown", ...).
std::string_view MetricTypeName(MetricType type);

// Metric metadata of one family as a target exposes it (TYPE, HELP, UNIT),
// Prometheus' scrape.MetricMetadata.
struct MetricMetadata {
  std::string metric;
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_METADATA_H_
