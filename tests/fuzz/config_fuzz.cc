// libFuzzer target for the config loaders: prometheus.yml (strict and
// collecting, both compat modes) and the plugin config never crash, and a
// prometheus.yml that loads renders to YAML that loads again.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plugin/config/plugin_config.h"
#include "plugin/config/prometheus_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promscrape::config;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  for (PrometheusCompat compat :
       {PrometheusCompat::kV2, PrometheusCompat::kV3}) {
    absl::StatusOr<PrometheusConfig> config =
        ParsePrometheusConfig(yaml, "/nonexistent", compat);
    if (config.ok()) {
      // The effective config is valid prometheus.yml itself.
      if (!ParsePrometheusConfig(ToYaml(*config), "/nonexistent", compat)
               .ok()) {
        std::abort();
      }
    }
    std::vector<absl::Status> job_errors;
    ParsePrometheusConfigCollecting(yaml, "/nonexistent", compat, &job_errors)
        .IgnoreError();
  }
  ParsePluginConfig(yaml).IgnoreError();
  return 0;
}
