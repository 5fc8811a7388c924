#include "plugin/scrape/job_settings.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using config::StartTimestampMode;

std::shared_ptr<const JobSettings> Settings(const std::string& job_extra,
                                            StartTimestampMode mode,
                                            const std::string& global = "") {
  absl::StatusOr<config::PrometheusConfig> cfg = config::ParsePrometheusConfig(
      global + "scrape_configs:\n  - job_name: j\n" + job_extra +
      "    static_configs: [{targets: ['a:1']}]\n");
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  absl::StatusOr<std::shared_ptr<const JobSettings>> s =
      MakeJobSettings(cfg->scrape_configs[0], mode);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

// cmd/prometheus/main.go: the st-storage and created-timestamp-zero-
// ingestion flags make PrometheusProto the default first protocol; an
// explicit list (job or global) is kept.
TEST(JobSettingsTest, StartTimestampsPreferProtobufByDefault) {
  const std::string proto = "application/vnd.google.protobuf";
  for (StartTimestampMode mode :
       {StartTimestampMode::kAttach, StartTimestampMode::kZeroSample}) {
    std::shared_ptr<const JobSettings> s = Settings("", mode);
    EXPECT_TRUE(absl::StartsWith(s->accept_header, proto)) << s->accept_header;
    EXPECT_EQ(s->config.scrape_protocols.front(), "PrometheusProto");
    EXPECT_EQ(s->start_timestamps, mode);
  }
  EXPECT_FALSE(absl::StartsWith(
      Settings("", StartTimestampMode::kIgnore)->accept_header, proto));
  EXPECT_FALSE(absl::StartsWith(
      Settings("    scrape_protocols: [OpenMetricsText1.0.0, PrometheusProto]\n",
               StartTimestampMode::kAttach)
          ->accept_header,
      proto));
  EXPECT_FALSE(absl::StartsWith(
      Settings("", StartTimestampMode::kAttach,
               "global:\n  scrape_protocols: [PrometheusText0.0.4]\n")
          ->accept_header,
      proto));
}

}  // namespace
}  // namespace promscrape::scrape
