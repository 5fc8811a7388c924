#ifndef PLUGIN_CONFIG_COMPAT_H_
#define PLUGIN_CONFIG_COMPAT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace promscrape::config {

// Which Prometheus major version the plugin behaves like (the plugin
// config's `prometheus_compat`). The choice is made once, when a
// prometheus.yml is parsed: it decides which keys the file may use and their
// defaults, and every parsed `ScrapeConfig` carries it so the engine decides
// scrape behaviour (content negotiation, name validation, target labels)
// from the config alone.
//
//   kV2: every behaviour pinned against Debian's Prometheus 2.42 (the test
//        oracle) stays exactly as it was.
//   kV3: Prometheus 3.x semantics: UTF-8 metric and label names, the
//        PrometheusText1.0.0 protocol, strict Content-Type, no default port.
enum class PrometheusCompat : int8_t { kV2, kV3 };

// The product default ("3").
inline constexpr PrometheusCompat kDefaultPrometheusCompat =
    PrometheusCompat::kV3;

// "2" -> kV2, "3" -> kV3. Otherwise kInvalidArgument:
// `must be "2" or "3", got "4"` (the caller names the key).
absl::StatusOr<PrometheusCompat> ParsePrometheusCompat(absl::string_view text);

// "2" or "3".
absl::string_view PrometheusCompatName(PrometheusCompat compat);

// `start_timestamps`: what the engine does with the start (created)
// timestamps of counters, summaries and histograms, Prometheus 3.x' feature
// flags.
enum class StartTimestampMode : int8_t {
  // 3.x without feature flags (and 2.x): OpenMetrics `_created` lines are
  // ordinary series; protobuf created timestamps are not read.
  kIgnore,
  // `st-storage` (3.x' ParseST): `_created` lines are not series; both
  // formats' start timestamps go to the host with every sample.
  kAttach,
  // `created-timestamp-zero-ingestion`: kAttach, and a sample of value 0
  // at the start timestamp before the first sample after it (once per
  // counter start).
  kZeroSample,
};

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_COMPAT_H_
