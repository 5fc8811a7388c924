#ifndef PLUGIN_MODEL_METADATA_H_
#define PLUGIN_MODEL_METADATA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

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

  friend bool operator==(const MetricMetadata& a, const MetricMetadata& b) {
    return a.metric == b.metric && a.type == b.type && a.help == b.help &&
           a.unit == b.unit;
  }
  template <typename H>
  friend H AbslHashValue(H h, const MetricMetadata& m) {
    return H::combine(std::move(h), m.metric, m.type, m.help, m.unit);
  }
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_METADATA_H_
