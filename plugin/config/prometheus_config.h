#ifndef PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_
#define PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/config/compat.h"
#include "plugin/config/global_config.h"
#include "plugin/config/scrape_config.h"

namespace promscrape::config {

// A whole prometheus.yml: `global` and `scrape_configs` are used; the other
// sections Prometheus accepts (`rule_files`, `alerting`, `remote_write`,
// `remote_read`, `storage`, `tracing`) are accepted and otherwise ignored.
//
// Compatibility. Debian's Prometheus 2.42 (`promtool check config`) is the
// arbiter, and tests/config/promtool_differential_test pins our verdict to
// its verdict on a corpus. We deliberately accept a superset: the 2.4x-2.5x
// fields the plugin implements (global scrape limits, `keep_dropped_targets`,
// `scrape_protocols`, `enable_compression`, `track_timestamps_staleness`,
// `native_histogram_bucket_limit`, `scrape_classic_histograms` (kV2 only), `no_proxy`,
// `proxy_from_environment`, inline TLS `ca`/`cert`/`key`, basic_auth
// `username_file`), which 2.42 rejects as unknown fields. Discovery sections
// other than static and file SD (those in Debian's build) are accepted but
// not validated inside and not run.
//
// `compat` (the plugin config's `prometheus_compat`) picks the semantics.
// kV2 keeps everything above exactly as pinned against 2.42 (3.x-only keys
// such as `metric_name_validation_scheme` are unknown fields). kV3 follows
// Prometheus 3.x where this plugin implements it: UTF-8 name validation and
// escaping keys, PrometheusText1.0.0 and 3.x' default protocol order,
// `fallback_scrape_protocol`, the native histogram switches
// (`scrape_native_histograms`, `always_scrape_classic_histograms`,
// `convert_classic_histograms_to_nhcb`), `scrape_config_files`, no default
// port on targets, relabel regexes
// anchored as `^(?s:re)$`, a target's own `__param_*` labels kept over
// `params`.
//
// Thread-compatible value type.
struct PrometheusConfig {
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
  std::vector<std::string> rule_files;  // Resolved against the config dir.
  // 3.x' `scrape_config_files` glob patterns, resolved against the config
  // dir. Their files' jobs are already in `scrape_configs` (after the main
  // file's, pattern by pattern, matches in name order), so ToYaml does not
  // emit the patterns.
  std::vector<std::string> scrape_config_files;
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
    const std::string& yaml, absl::string_view base_dir = "",
    PrometheusCompat compat = kDefaultPrometheusCompat);

// Reads `path` and calls ParsePrometheusConfig with its directory.
absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFile(
    const std::string& path,
    PrometheusCompat compat = kDefaultPrometheusCompat);

// As ParsePrometheusConfig and LoadPrometheusConfigFile, but each
// scrape_configs entry is decoded on its own: the error of every bad entry
// (or duplicate job name) is appended to `job_errors` (if not null) and the
// entry left out, so the result holds the valid jobs. Errors outside
// scrape_configs (YAML syntax, global, rule_files, unknown top-level keys)
// still end the load and are returned.
absl::StatusOr<PrometheusConfig> ParsePrometheusConfigCollecting(
    const std::string& yaml, absl::string_view base_dir,
    PrometheusCompat compat, std::vector<absl::Status>* job_errors);
absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFileCollecting(
    const std::string& path, PrometheusCompat compat,
    std::vector<absl::Status>* job_errors);

// The names and contents of the files `patterns` (scrape_config_files)
// match now, concatenated: what config auto-reload compares to notice a
// change in an included file (3.x' reload checksum covers them too).
std::string ScrapeConfigFilesFingerprint(
    const std::vector<std::string>& patterns);

// Renders the effective (defaulted) configuration as YAML; every secret
// value shows as `<secret>`.
std::string ToYaml(const PrometheusConfig& config);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_PROMETHEUS_CONFIG_H_
