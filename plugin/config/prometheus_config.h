#ifndef PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_
#define PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/config/global_config.h"
#include "plugin/config/scrape_config.h"

namespace promscrape::config {

// A whole prometheus.yml: `global` and `scrape_configs` are used; the other
// sections Prometheus accepts (`rule_files`, `alerting`, `remote_write`,
// `remote_read`, `storage`, `tracing`) are accepted and otherwise ignored.
//
// Thread-compatible value type.
struct PrometheusConfig {
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
  std::vector<std::string> rule_files;  // Resolved against the config dir.
  std::string source_path;              // "" when parsed from a string.

  // Returns the scrape config of `job_name`, or nullptr.
  const ScrapeConfig* FindJob(absl::string_view job_name) const;
};

// Parses and validates prometheus.yml text with Prometheus 2.x' rules: strict
// YAML (unknown and duplicate keys are errors), defaults from `global`, unique
// job names. Relative paths resolve against `base_dir`. Secrets in `*_file`
// are not read. The error names the place, e.g.
// `scrape_configs[2] job "node": scrape_timeout 20s greater than
// scrape_interval 10s`. Never throws.
absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(
    const std::string& yaml, absl::string_view base_dir = "");

// Reads `path` and calls ParsePrometheusConfig with its directory.
absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFile(
    const std::string& path);

// Renders the effective (defaulted) configuration as YAML; every secret
// value shows as `<secret>`.
std::string ToYaml(const PrometheusConfig& config);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_
