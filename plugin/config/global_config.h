#ifndef PLUGIN_CONFIG_GLOBAL_CONFIG_H_
#define PLUGIN_CONFIG_GLOBAL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/model/labels.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::config {

// Scrape limits shared by `global` and each scrape config; 0 means none.
struct ScrapeLimits {
  int64_t body_size_limit = 0;  // Bytes.
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t keep_dropped_targets = 0;
  friend bool operator==(const ScrapeLimits&, const ScrapeLimits&) = default;
};

// Exposition formats a scrape may negotiate (`scrape_protocols`).
inline constexpr absl::string_view kScrapeProtocols[] = {
    "PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0",
    "PrometheusText0.0.4"};
// Prometheus 2.x' default order.
std::vector<std::string> DefaultScrapeProtocols();

// Validates a `scrape_protocols` list: non-empty, known names, no
// case-insensitive duplicates. `where` ends the message, e.g.
// ` for global config`.
absl::Status ValidateScrapeProtocols(const std::vector<std::string>& protocols,
                                     absl::string_view where);

// The `global` section: defaults for every scrape config. Values are already
// defaulted after decoding (interval 1m, timeout min(10s, interval)).
//
// Thread-compatible value type.
struct GlobalConfig {
  absl::Duration scrape_interval = absl::Minutes(1);
  absl::Duration scrape_timeout = absl::Seconds(10);
  absl::Duration evaluation_interval = absl::Minutes(1);
  std::optional<std::vector<std::string>> scrape_protocols;
  model::Labels external_labels;
  std::string query_log_file;
  ScrapeLimits limits;

  friend bool operator==(const GlobalConfig&, const GlobalConfig&) = default;
};

// Decodes and validates `global` (null or absent gives the defaults).
// Errors: `global scrape timeout greater than scrape interval`,
// `"a-b" is not a valid label name`, ...
absl::Status DecodeGlobalConfig(const YAML::Node& node, GlobalConfig* out);

void EmitGlobalConfig(const GlobalConfig& config, YAML::Emitter& out);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_GLOBAL_CONFIG_H_
