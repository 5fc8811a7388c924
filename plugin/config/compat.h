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

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_COMPAT_H_
