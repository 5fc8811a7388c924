// Hostile and malformed prometheus.yml input: every case must come back as a
// clear kInvalidArgument (or load), never crash, hang or throw.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::config {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

TEST(HostileInputTest, GarbageYaml) {
  const std::string garbage[] = {
      "{{{{",
      "]]]]",
      "key: [unclosed",
      "\"unterminated",
      "a: b: c",
      "- - - -\n  - :",
      std::string("\0\1\2\3\xff\xfe", 6),
      "\xef\xbb\xbf\xff\xfe garbage",
      "%YAML 9.9\n---\nfoo",
      "!!binary AAAA",
      "*undefined_alias",
      "&a [*a]",
      "---\n---\n---\n",
      "? [complex, key]\n: value\n",
      "global: !!map {scrape_interval: !!int 5}",
  };
  for (const auto& g : garbage) {
    SCOPED_TRACE(g);
    auto cfg = ParsePrometheusConfig(g);
    if (!cfg.ok()) {
      EXPECT_EQ(cfg.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_FALSE(cfg.status().message().empty());
    }
  }
}

TEST(HostileInputTest, WrongTypesEverywhere) {
  const char* const fields[] = {
      "job_name: [a]",          "honor_labels: maybe",
      "honor_timestamps: {}",   "params: [a]",
      "params: {a: {b: c}}",    "scrape_interval: [1s]",
      "scrape_timeout: {a: b}", "metrics_path: {a: b}",
      "scheme: [http]",         "body_size_limit: [1]",
      "sample_limit: 1s",       "target_limit: true",
      "label_limit: [1]",       "static_configs: {targets: [a]}",
      "static_configs: [[a]]",  "static_configs: [{targets: a}]",
      "static_configs: [{targets: [{a: b}]}]",
      "static_configs: [{labels: [a]}]",
      "relabel_configs: {a: b}", "relabel_configs: [a]",
      "relabel_configs: [[a]]",  "relabel_configs: [{modulus: x}]",
      "relabel_configs: [{action: [keep]}]",
      "relabel_configs: [{regex: [a]}]",
      "basic_auth: [a]",        "basic_auth: {username: [a]}",
      "authorization: a",       "tls_config: [a]",
      "oauth2: [a]",            "oauth2: {scopes: a}",
      "proxy_connect_header: [a]",
      "proxy_connect_header: {a: b}",
      "file_sd_configs: {files: [a.json]}",
      "file_sd_configs: [{files: a.json}]",
      "dns_sd_configs: {names: [a]}",
      "scrape_protocols: PrometheusProto",
      "native_histogram_min_bucket_factor: x",
  };
  for (const char* f : fields) {
    SCOPED_TRACE(f);
    EXPECT_THAT(
        ParsePrometheusConfig(absl::StrCat("scrape_configs:\n- job_name: j\n  ",
                                           f, "\n")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("scrape_configs[0]")));
  }
  for (const char* top : {"global: [a]", "global: a", "scrape_configs: a",
                          "rule_files: a", "alerting: [a]",
                          "remote_write: {url: a}", "global: {external_labels: [a]}",
                          "global: {scrape_protocols: {a: b}}"}) {
    SCOPED_TRACE(top);
    EXPECT_THAT(ParsePrometheusConfig(top),
                StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  }
}

TEST(HostileInputTest, HugeValues) {
  EXPECT_THAT(ParsePrometheusConfig(
                  "scrape_configs:\n- job_name: a\n"
                  "  sample_limit: 99999999999999999999999999\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("into uint")));
  EXPECT_THAT(ParsePrometheusConfig("global:\n  scrape_interval: "
                                    "999999999999999999999999999999s\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("duration out of range")));
  EXPECT_THAT(ParsePrometheusConfig(
                  "scrape_configs:\n- job_name: a\n  body_size_limit: 99EB\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("overflow")));
  // A 1 MiB job name and 10k targets load.
  std::string big = "scrape_configs:\n- job_name: " + std::string(1 << 20, 'x') +
                    "\n  static_configs:\n  - targets:\n";
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&big, "    - h", i, ":1\n");
  auto cfg = ParsePrometheusConfig(big);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->scrape_configs[0].static_configs[0].targets.size(), 10000u);
}

TEST(HostileInputTest, DeepNestingIsRejectedNotOverflowed) {
  std::string deep(100000, '[');
  auto cfg = ParsePrometheusConfig("global: " + deep);
  EXPECT_THAT(cfg, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yaml")));
}

TEST(HostileInputTest, AliasBombFinishesQuickly) {
  // The anchors live in an ignored section so that only the alias use is
  // decoded; the schema must stop the expansion early.
  std::string bomb = "alerting:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const char* names = "abcdefghij";
  for (int i = 1; i < 10; ++i) {
    absl::StrAppend(&bomb, "  ", std::string(1, names[i]), ": &", std::string(1, names[i]), " [");
    for (int j = 0; j < 10; ++j) {
      absl::StrAppend(&bomb, j ? ", " : "", "*", std::string(1, names[i - 1]));
    }
    absl::StrAppend(&bomb, "]\n");
  }
  absl::StrAppend(&bomb, "scrape_configs:\n- job_name: j\n  static_configs: *j\n");
  const absl::Time start = absl::Now();
  auto cfg = ParsePrometheusConfig(bomb);
  EXPECT_FALSE(cfg.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace promscrape::config
