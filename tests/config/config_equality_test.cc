// Config equality (what decides whether a reload restarts a job) compares the
// parsed structure: every field a user can change makes two jobs unequal, and
// spelling the same config differently does not.

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"

namespace promscrape::config {
namespace {

constexpr char kBase[] = R"(
job_name: j
static_configs:
  - targets: ["a:1"]
)";

// Parses `yaml` (one job's keys, one per line, starting with a newline) as
// the only entry of scrape_configs.
ScrapeConfig Job(const std::string& yaml) {
  std::string entry;
  bool first = true;
  for (size_t i = 1; i < yaml.size();) {
    size_t nl = yaml.find('\n', i);
    if (nl == std::string::npos) nl = yaml.size();
    absl::StrAppend(&entry, first ? "- " : "  ", yaml.substr(i, nl - i), "\n");
    first = false;
    i = nl + 1;
  }
  auto cfg = ParsePrometheusConfig(absl::StrCat("scrape_configs:\n", entry));
  EXPECT_TRUE(cfg.ok()) << cfg.status() << "\n" << entry;
  if (!cfg.ok() || cfg->scrape_configs.size() != 1) return ScrapeConfig();
  return cfg->scrape_configs[0];
}

TEST(ConfigEqualityTest, SameConfigSpelledDifferentlyIsEqual) {
  EXPECT_EQ(Job(kBase), Job(kBase));
  EXPECT_EQ(Job(kBase), Job(R"(
static_configs: [{targets: ['a:1']}]
job_name: "j"
scrape_interval: 1m     # the global default, spelled out
metrics_path: /metrics
)"));
}

// Each line added to the base job changes exactly one parsed field.
TEST(ConfigEqualityTest, EveryFieldTakesPart) {
  const ScrapeConfig base = Job(kBase);
  const std::vector<std::string> changes = {
      "honor_labels: true",
      "honor_timestamps: false",
      "track_timestamps_staleness: true",
      "params: {a: [b]}",
      "scrape_interval: 30s",
      "scrape_timeout: 5s",
      "scrape_protocols: [PrometheusText0.0.4]",
      "scrape_native_histograms: true",
      "always_scrape_classic_histograms: true",
      "convert_classic_histograms_to_nhcb: true",
      "metrics_path: /m",
      "scheme: https",
      "enable_compression: false",
      "body_size_limit: 1MB",
      "sample_limit: 10",
      "target_limit: 10",
      "label_limit: 10",
      "label_name_length_limit: 10",
      "label_value_length_limit: 10",
      "keep_dropped_targets: 10",
      "native_histogram_bucket_limit: 10",
      "native_histogram_min_bucket_factor: 1.5",
      "file_sd_configs: [{files: [x.json]}]",
      "dns_sd_configs: [{names: [a.example]}]",
      "relabel_configs: [{target_label: a, replacement: b}]",
      "metric_relabel_configs: [{target_label: a, replacement: b}]",
      "basic_auth: {username: u, password: p}",
      "authorization: {credentials: c}",
      "tls_config: {insecure_skip_verify: true}",
      "proxy_url: http://p:1",
      "follow_redirects: false",
      "enable_http2: false",
  };
  for (const std::string& change : changes) {
    SCOPED_TRACE(change);
    ScrapeConfig changed = Job(absl::StrCat(kBase, change, "\n"));
    EXPECT_FALSE(changed == base);
  }
  EXPECT_FALSE(Job(R"(
job_name: j
static_configs:
  - targets: ["a:2"]
)") == base);
  EXPECT_FALSE(Job(R"(
job_name: k
static_configs:
  - targets: ["a:1"]
)") == base);
}

// Two relabel rules with the same spec are equal although each compiled its
// own regex.
TEST(ConfigEqualityTest, CompiledRulesCompareBySpec) {
  const std::string yaml = absl::StrCat(
      kBase, "relabel_configs: [{source_labels: [a], regex: 'x.*', target_label: b}]\n");
  EXPECT_EQ(Job(yaml), Job(yaml));
}

}  // namespace
}  // namespace promscrape::config
