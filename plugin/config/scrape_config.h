#ifndef PLUGIN_CONFIG_SCRAPE_CONFIG_H_
#define PLUGIN_CONFIG_SCRAPE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/global_config.h"
#include "plugin/config/http_client_config.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/rule.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::config {

// One `static_configs` entry: a target group. Each target becomes a label
// set `{__address__=<target>}` plus the group labels.
struct StaticConfig {
  std::vector<std::string> targets;
  model::Labels labels;
  friend bool operator==(const StaticConfig&, const StaticConfig&) = default;
};

// One `file_sd_configs` entry, validated like Prometheus (file patterns must
// end in .json/.yml/.yaml and have at most one `*` in the last element).
// Paths are resolved against the config file's directory.
struct FileSdConfig {
  std::vector<std::string> files;
  absl::Duration refresh_interval = absl::Minutes(5);
  friend bool operator==(const FileSdConfig&, const FileSdConfig&) = default;
};

// One `http_sd_configs` entry (Prometheus' http.SDConfig): the plugin
// GETs `url` every `refresh_interval` with the entry's own HTTP client
// config and reads Prometheus' HTTP SD JSON (a list of {targets, labels}).
// `url` is validated like Prometheus: http or https, with a host.
struct HttpSdConfig {
  std::string url;
  absl::Duration refresh_interval = absl::Seconds(60);
  HttpClientConfig http_client;
  friend bool operator==(const HttpSdConfig&, const HttpSdConfig&) = default;
};

// One `dns_sd_configs` entry (Prometheus' dns.SDConfig), validated like
// Prometheus: at least one name; `type` (upper-cased) SRV, A, AAAA, MX, or
// NS under prometheus_compat "3"; a port for every type but SRV.
struct DnsSdConfig {
  std::vector<std::string> names;
  absl::Duration refresh_interval = absl::Seconds(30);
  std::string type = "SRV";
  int port = 0;
  friend bool operator==(const DnsSdConfig&, const DnsSdConfig&) = default;
};

// One entry of `scrape_configs` with every Prometheus 2.x field, already
// defaulted from `global` (interval, timeout, limits, protocols) once it
// came out of `DecodeScrapeConfig`.
//
// Thread-compatible value type; copies share the compiled relabel regexes.
struct ScrapeConfig {
  // Copied from the global config: which Prometheus this job behaves like.
  // The engine decides scrape behaviour from it (see compat.h).
  PrometheusCompat compat = kDefaultPrometheusCompat;
  // 3.x only (2.x: kLegacy, "" and "", the keys refused). The validation and
  // escaping default to the global ones; `fallback_scrape_protocol` names
  // the parser for a missing or unknown Content-Type ("" fails the scrape).
  model::NameValidation metric_name_validation_scheme =
      model::NameValidation::kUtf8;
  std::string metric_name_escaping_scheme = std::string(kEscapingAllowUtf8);
  std::string fallback_scrape_protocol;
  std::string job_name;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  std::map<std::string, std::vector<std::string>> params;
  absl::Duration scrape_interval;
  absl::Duration scrape_timeout;
  std::vector<std::string> scrape_protocols;
  // Set by parsing when neither the job nor `global` gave scrape_protocols
  // (the engine may pick another default order: see MakeJobSettings). How
  // the value came about, not part of it: not in the YAML, and two configs
  // that differ only here are equal (a rendered config re-parsed lists the
  // protocols explicitly).
  struct DefaultedFlag {
    bool value = false;
    friend bool operator==(const DefaultedFlag&, const DefaultedFlag&) {
      return true;
    }
  };
  DefaultedFlag scrape_protocols_defaulted;
  // 3.x `extra_scrape_metrics` (default: the global key): report
  // scrape_timeout_seconds, scrape_sample_limit and scrape_body_size_bytes
  // beside the five report series.
  bool extra_scrape_metrics = false;
  // 3.x `scrape_failure_log_file` (default: the global key), resolved
  // against the config's directory: every failed scrape of the job appends
  // a JSON line there (scrape/failure_log.h). Empty: none.
  std::string scrape_failure_log_file;
  // Native histograms (3.x config.ScrapeConfig, defaulted from `global`):
  // `scrape_native_histograms` ingests a protobuf histogram's native
  // buckets (false: only its classic series);
  // `always_scrape_classic_histograms` also keeps the classic series of a
  // histogram that has native buckets (2.x' key for it:
  // `scrape_classic_histograms`, which 3.x no longer knows);
  // `convert_classic_histograms_to_nhcb` stores classic buckets as one
  // native histogram with custom buckets. Under "2" native histograms are
  // always scraped when the target sends them (the keys 3.x added are
  // refused). Target labels `__scrape_native_histograms__`,
  // `__always_scrape_classic_histograms__` and
  // `__convert_classic_histograms_to_nhcb__` override them per target
  // (scrape/target.h).
  bool scrape_native_histograms = false;
  bool always_scrape_classic_histograms = false;
  bool convert_classic_histograms_to_nhcb = false;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  bool enable_compression = true;
  ScrapeLimits limits;
  uint64_t native_histogram_bucket_limit = 0;
  double native_histogram_min_bucket_factor = 0;

  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<HttpSdConfig> http_sd_configs;
  std::vector<DnsSdConfig> dns_sd_configs;
  // Every other `*_sd_configs` section the Prometheus of `compat` knows
  // (2: Debian's 2.42 build; 3: upstream 3.x), by key, e.g.
  // "kubernetes_sd_configs": the plugin does not run these itself; the job's
  // targets come from the host through UpdateTargets, with the key as the
  // provider name.
  std::vector<std::string> unsupported_sd_configs;

  std::vector<relabel::RuleSpec> relabel_configs;
  std::vector<relabel::RuleSpec> metric_relabel_configs;
  std::vector<relabel::Rule> relabel_rules;         // Compiled from the above.
  std::vector<relabel::Rule> metric_relabel_rules;  // Compiled from the above.

  HttpClientConfig http_client;

  // Member-wise equality over the parsed structure (defaulted, so a field
  // added later takes part without anyone remembering to add it); compiled
  // rules compare by their specs. The discovery and scrape managers use it to
  // decide whether a reload changed a job.
  friend bool operator==(const ScrapeConfig&, const ScrapeConfig&) = default;
};

// Decodes one `scrape_configs` entry and applies Prometheus'
// `ScrapeConfig.Validate(global)`. `base_dir` resolves relative file paths.
// Errors carry the field, e.g. `scrape timeout greater than scrape interval
// for scrape config with job name "node" (20s > 10s)`; the caller prefixes
// the entry (`scrape_configs[2] job "node"`).
absl::Status DecodeScrapeConfig(const YAML::Node& node,
                                const GlobalConfig& global,
                                absl::string_view base_dir, ScrapeConfig* out);

// Appends the config as a YAML map, secrets as `<secret>`.
void EmitScrapeConfig(const ScrapeConfig& config, YAML::Emitter& out);

// Decodes a list of target groups (`[{targets: [...], labels: {...}}]`), the
// shape of `static_configs` and of file_sd target files. Errors name the
// entry: `static_configs[1]: ...` (`field` is the prefix). Label names are
// checked with `names`: Prometheus 3.x' model.LabelName accepts any UTF-8
// name (common's global validation is utf8), 2.x only legacy names.
absl::Status DecodeTargetGroupList(
    const YAML::Node& node, absl::string_view field,
    std::vector<StaticConfig>* out,
    model::NameValidation names = model::NameValidation::kLegacy);

// Prometheus `config.CheckTargetAddress`: an address must not contain "/".
// Error: `"http://x:1" is not a valid hostname`.
absl::Status CheckTargetAddress(absl::string_view address);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_SCRAPE_CONFIG_H_
