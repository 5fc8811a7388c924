#ifndef PLUGIN_CONFIG_GLOBAL_CONFIG_H_
#define PLUGIN_CONFIG_GLOBAL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/compat.h"
#include "plugin/model/labels.h"
#include "plugin/model/names.h"
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

// Exposition formats a scrape may negotiate (`scrape_protocols`) with
// Prometheus 2.x semantics.
inline constexpr absl::string_view kScrapeProtocols[] = {
    "PrometheusProto", "OpenMetricsText0.0.1", "OpenMetricsText1.0.0",
    "PrometheusText0.0.4"};
// Prometheus 3.x adds PrometheusText1.0.0 (config.ScrapeProtocolsHeaders),
// listed sorted as its error messages list them.
inline constexpr absl::string_view kScrapeProtocolsV3[] = {
    "OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusProto",
    "PrometheusText0.0.4", "PrometheusText1.0.0"};
// The default order: Prometheus 2.x', or 3.x' config.DefaultScrapeProtocols
// (OpenMetrics 1.0.0, 0.0.1, text 1.0.0, 0.0.4).
std::vector<std::string> DefaultScrapeProtocols(PrometheusCompat compat);
// 3.x' config.DefaultProtoFirstScrapeProtocols: PrometheusProto, then the
// 3.x default order. A 3.x job with `scrape_native_histograms: true` and no
// `scrape_protocols` of its own or in `global` uses it.
std::vector<std::string> DefaultProtoFirstScrapeProtocols();

// Validates a `scrape_protocols` list: non-empty, names known to `compat`,
// no case-insensitive duplicates. `where` ends the message, e.g.
// ` for global config`.
absl::Status ValidateScrapeProtocols(const std::vector<std::string>& protocols,
                                     absl::string_view where,
                                     PrometheusCompat compat);

// Validates one protocol name as 3.x' ScrapeProtocol.Validate does:
// `unknown scrape protocol foo, supported: [OpenMetricsText0.0.1 ...]`.
absl::Status ValidateScrapeProtocolName(absl::string_view protocol,
                                        PrometheusCompat compat);

// `metric_name_escaping_scheme` values (common's model.EscapingScheme names).
inline constexpr absl::string_view kEscapingAllowUtf8 = "allow-utf-8";
inline constexpr absl::string_view kEscapingUnderscores = "underscores";
inline constexpr absl::string_view kEscapingDots = "dots";
inline constexpr absl::string_view kEscapingValues = "values";
bool IsKnownEscapingScheme(absl::string_view scheme);

// Decodes a `metric_name_validation_scheme` value as common's
// ValidationScheme.UnmarshalYAML: "legacy" or "utf8"; absent, null and ""
// leave `*out` unset. Error: `unrecognized ValidationScheme: "x"`.
absl::Status DecodeNameValidationScheme(
    const YAML::Node& node, std::optional<model::NameValidation>* out);

// The `global` section: defaults for every scrape config. Values are already
// defaulted after decoding (interval 1m, timeout min(10s, interval)).
//
// Thread-compatible value type.
struct GlobalConfig {
  // Set by the parser from the plugin config, never read from YAML; the
  // fields below only take values `compat` allows.
  PrometheusCompat compat = kDefaultPrometheusCompat;
  // 3.x only (2.x refuses the keys, so they stay at the 2.x behaviour:
  // legacy names and no escaping parameter). Defaults: utf8, and the escaping
  // derived from validation (allow-utf-8 for utf8, underscores for legacy).
  model::NameValidation metric_name_validation_scheme =
      model::NameValidation::kUtf8;
  std::string metric_name_escaping_scheme = std::string(kEscapingAllowUtf8);
  absl::Duration scrape_interval = absl::Minutes(1);
  absl::Duration scrape_timeout = absl::Seconds(10);
  absl::Duration evaluation_interval = absl::Minutes(1);
  std::optional<std::vector<std::string>> scrape_protocols;
  model::Labels external_labels;
  std::string query_log_file;
  ScrapeLimits limits;
  // 3.x `extra_scrape_metrics`: the default of the jobs' own key.
  bool extra_scrape_metrics = false;
  // 3.x native histogram switches (config.GlobalConfig), the defaults of the
  // jobs' own keys; all false as in 3.x without feature flags. A job that
  // scrapes native histograms and sets no `scrape_protocols` (here or in
  // the job) asks for protobuf first.
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  // 3.x `scrape_failure_log_file`: the default of the jobs' own key. Kept as
  // written here; PrometheusConfig resolves it against the config's
  // directory.
  std::string scrape_failure_log_file;

  friend bool operator==(const GlobalConfig&, const GlobalConfig&) = default;
};

// The defaults of `global` under `compat`.
GlobalConfig DefaultGlobalConfig(PrometheusCompat compat);

// Decodes and validates `global` (null or absent gives the defaults) with
// the keys and defaults of `compat`.
// Errors: `global scrape timeout greater than scrape interval`,
// `"a-b" is not a valid label name`, ...
absl::Status DecodeGlobalConfig(const YAML::Node& node,
                                PrometheusCompat compat, GlobalConfig* out);

void EmitGlobalConfig(const GlobalConfig& config, YAML::Emitter& out);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_GLOBAL_CONFIG_H_
