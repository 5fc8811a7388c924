// promscrape_check: validates prometheus.yml files the way
// `promtool check config` does, with promscrape's config loader.
//
//   promscrape_check [--prometheus-compat=2|3] config FILE...
//
// --prometheus-compat picks the semantics as the plugin config's
// prometheus_compat does ("3" by default; "2" gives Prometheus 2.42
// promtool's verdicts).
//
// Prints `SUCCESS` or the errors per file (the first after `FAILED:`, any
// further ones aligned below it); exits 1 if any file failed and 2 on bad
// usage.

#include <cstdio>
#include <string>
#include <string_view>

#include "plugin/checker/config_checker.h"
#include "plugin/config/compat.h"

int main(int argc, char** argv) {
  promscrape::config::PrometheusCompat compat =
      promscrape::config::kDefaultPrometheusCompat;
  int first = 1;
  constexpr std::string_view kCompatFlag = "--prometheus-compat=";
  if (argc > 1 && std::string_view(argv[1]).starts_with(kCompatFlag)) {
    const std::string value =
        std::string(std::string_view(argv[1]).substr(kCompatFlag.size()));
    auto parsed = promscrape::config::ParsePrometheusCompat(value);
    if (!parsed.ok()) {
      std::fprintf(stderr, "--prometheus-compat: %s\n",
                   std::string(parsed.status().message()).c_str());
      return 2;
    }
    compat = *parsed;
    first = 2;
  }
  if (argc < first + 2 || std::string(argv[first]) != "config") {
    std::fprintf(stderr,
                 "usage: %s [--prometheus-compat=2|3] config FILE...\n",
                 argv[0]);
    return 2;
  }
  int failed = 0;
  for (int i = first + 1; i < argc; ++i) {
    const std::string path = argv[i];
    std::printf("Checking %s\n", path.c_str());
    const auto result = promscrape::checker::CheckConfigFile(path, compat);
    for (const auto& w : result.warnings) {
      std::printf("  WARNING: %s\n", w.c_str());
    }
    if (result.ok()) {
      std::printf(" SUCCESS: %s is valid prometheus config file syntax\n\n",
                  path.c_str());
      continue;
    }
    for (size_t e = 0; e < result.errors.size(); ++e) {
      std::fprintf(stderr, "%s%s\n", e == 0 ? "  FAILED: " : "          ",
                   std::string(result.errors[e].message()).c_str());
    }
    std::fputs("\n", stderr);
    ++failed;
  }
  return failed == 0 ? 0 : 1;
}
