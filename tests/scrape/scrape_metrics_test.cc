// Prometheus' scrape self-metrics (scrape/metrics.go) after
// scenarios on the fake engine (tests/testutil/fake_engine.h).

#include "plugin/scrape/scrape_metrics.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"
#include "tests/testutil/fake_engine.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::FakeEngine;
using ::promscrape::testing::FakeScraper;

constexpr absl::Duration kInterval = absl::Seconds(10);
constexpr char kUrl[] = "http://a:80/metrics";
const std::vector<metrics::LabelPair> kJob = {{"scrape_job", "j"}};

std::string Job(const std::string& extra = "") {
  return absl::StrCat(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n"
      "    scrape_timeout: 5s\n",
      extra, "    static_configs: [{targets: [\"a:80\"]}]\n");
}

TEST(ScrapeMetricsTest, GoDurationString) {
  EXPECT_EQ(GoDurationString(absl::Seconds(15)), "15s");
  EXPECT_EQ(GoDurationString(absl::Minutes(1)), "1m0s");
  EXPECT_EQ(GoDurationString(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(GoDurationString(absl::Milliseconds(500)), "500ms");
  EXPECT_EQ(GoDurationString(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(GoDurationString(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(GoDurationString(absl::ZeroDuration()), "0s");
}

TEST(ScrapeMetricsTest, EveryFamilyIsRegisteredWithPrometheusNameAndType) {
  FakeEngine e;
  std::map<std::string, metrics::MetricType> types;
  for (const metrics::FamilyInfo& f : e.registry.Families()) {
    types[f.name] = f.type;
  }
  for (const char* counter : {
           "prometheus_target_scrape_pools_total",
           "prometheus_target_scrape_pools_failed_total",
           "prometheus_target_scrape_pool_reloads_total",
           "prometheus_target_scrape_pool_reloads_failed_total",
           "prometheus_target_scrape_pool_exceeded_target_limit_total",
           "prometheus_target_scrapes_exceeded_body_size_limit_total",
           "prometheus_target_scrapes_cache_flush_forced_total",
           "prometheus_target_scrapes_exceeded_sample_limit_total",
           "prometheus_target_scrapes_sample_duplicate_timestamp_total",
           "prometheus_target_scrapes_sample_out_of_bounds_total",
           "prometheus_target_scrapes_sample_out_of_order_total",
           "prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_"
           "total",
           "prometheus_target_scrape_pool_exceeded_label_limits_total"}) {
    ASSERT_TRUE(types.contains(counter)) << counter;
    EXPECT_EQ(types[counter], metrics::MetricType::kCounter) << counter;
    EXPECT_EQ(e.MetricValue(counter), 0) << counter;
  }
  EXPECT_EQ(types["prometheus_target_metadata_cache_entries"],
            metrics::MetricType::kGauge);
  EXPECT_EQ(types["prometheus_target_metadata_cache_bytes"],
            metrics::MetricType::kGauge);

  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job()));
  e.Advance(2 * kInterval);
  types.clear();
  for (const metrics::FamilyInfo& f : e.registry.Families()) {
    types[f.name] = f.type;
  }
  EXPECT_EQ(types["prometheus_target_interval_length_seconds"],
            metrics::MetricType::kSummary);
  EXPECT_EQ(types["prometheus_target_sync_length_seconds"],
            metrics::MetricType::kSummary);
  EXPECT_EQ(types["prometheus_target_scrape_pool_targets"],
            metrics::MetricType::kGauge);
  EXPECT_EQ(types["prometheus_target_scrape_pool_sync_total"],
            metrics::MetricType::kCounter);
  EXPECT_EQ(types["prometheus_target_sync_failed_total"],
            metrics::MetricType::kCounter);
}

TEST(ScrapeMetricsTest, PoolLifecycle) {
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    target_limit: 1\n"
      "    static_configs: [{targets: [\"a:80\", \"b:80\"]}]\n"
      "  - job_name: k\n"));
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pools_total"), 2);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pool_targets", kJob), 2);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pool_sync_total", kJob), 1);
  EXPECT_EQ(e.MetricValue("prometheus_target_sync_failed_total", kJob), 0);
  // A discovered target without an address fails its creation.
  TargetGroup broken;
  broken.targets.push_back(model::Labels::Of({{"foo", "bar"}}));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {broken}));
  e.discovery().ReloadNow();
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pool_sync_total", kJob), 2);
  EXPECT_EQ(e.MetricValue("prometheus_target_sync_failed_total", kJob), 1);
  EXPECT_EQ(e.MetricValue("prometheus_target_sync_length_seconds_count", kJob),
            2);
  // The fake clock does not move during a sync.
  EXPECT_EQ(e.MetricValue("prometheus_target_sync_length_seconds",
                          {{"scrape_job", "j"}, {"quantile", "0.5"}}),
            0);
  EXPECT_EQ(e.MetricValue(
                "prometheus_target_scrape_pool_exceeded_target_limit_total"),
            2);  // once per sync over the limit

  // A new job whose client settings are rejected: a failed pool creation.
  absl::StatusOr<config::PrometheusConfig> bad = config::ParsePrometheusConfig(
      "scrape_configs:\n  - job_name: j\n  - job_name: new\n");
  PROMSCRAPE_ASSERT_OK(bad);
  bad->scrape_configs[1].http_client.tls_config.max_version = "TLS99";
  EXPECT_FALSE(e.manager().ApplyConfig(*bad).ok());
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pools_total"), 3);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pools_failed_total"), 1);

  // Removing the job deletes its per-job series.
  PROMSCRAPE_ASSERT_OK(e.Apply("scrape_configs:\n  - job_name: k\n"));
  EXPECT_TRUE(std::isnan(
      e.MetricValue("prometheus_target_scrape_pool_targets", kJob)));
  EXPECT_TRUE(std::isnan(
      e.MetricValue("prometheus_target_scrape_pool_sync_total", kJob)));
}

TEST(ScrapeMetricsTest, IntervalLengthFromTheSecondScrape) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job()));
  e.Advance(4 * kInterval + absl::Seconds(1));
  const std::vector<metrics::LabelPair> label = {{"interval", "10s"}};
  EXPECT_EQ(
      e.MetricValue("prometheus_target_interval_length_seconds_count", label),
      3);
  EXPECT_EQ(
      e.MetricValue("prometheus_target_interval_length_seconds_sum", label), 30);
  for (const char* q : {"0.01", "0.05", "0.5", "0.9", "0.99"}) {
    EXPECT_EQ(e.MetricValue("prometheus_target_interval_length_seconds",
                            {{"interval", "10s"}, {"quantile", q}}),
              10)
        << q;
  }
}

TEST(ScrapeMetricsTest, IntervalLabelIsGoDuration) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 1m\n"
      "    static_configs: [{targets: [\"a:80\"]}]\n"));
  e.Advance(absl::Minutes(3));
  EXPECT_GE(e.MetricValue("prometheus_target_interval_length_seconds_count",
                          {{"interval", "1m0s"}}),
            1);
}

TEST(ScrapeMetricsTest, PerScrapeCounters) {
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    sample_limit: 3\n    label_limit: 3\n")));
  auto scrape = [&](std::string body) {
    e.scraper.SetBody(kUrl, std::move(body));
    e.Advance(kInterval);
  };
  e.Advance(kInterval);  // the first scrape (404)

  // duplicates counted per sample: 2, then 4.
  scrape("test_metric 1\ntest_metric 2\ntest_metric 3\n");
  EXPECT_EQ(e.MetricValue(
                "prometheus_target_scrapes_sample_duplicate_timestamp_total"),
            2);
  scrape("test_metric 1\ntest_metric 1\ntest_metric 1\n");
  EXPECT_EQ(e.MetricValue(
                "prometheus_target_scrapes_sample_duplicate_timestamp_total"),
            4);

  // the sample-limit counter is +1 per scrape, not per sample.
  scrape("a 1\nb 1\nc 1\nd 1\ne 1\n");
  EXPECT_EQ(
      e.MetricValue("prometheus_target_scrapes_exceeded_sample_limit_total"),
      1);

  // label limits (job + instance + __name__ + 1 label > 3).
  scrape("m{x=\"1\"} 1\n");
  EXPECT_EQ(e.MetricValue(
                "prometheus_target_scrape_pool_exceeded_label_limits_total"),
            1);

  // more than 10 minutes ahead is out of bounds.
  const int64_t future =
      absl::ToUnixMillis(e.clock.Now() + absl::Minutes(30));
  scrape(absl::StrCat("m 1 ", future, "\n"));
  EXPECT_EQ(
      e.MetricValue("prometheus_target_scrapes_sample_out_of_bounds_total"), 1);

  // body size limit.
  FakeScraper::Reply big;
  big.status = absl::ResourceExhaustedError("body size limit exceeded");
  big.body_size_limit_exceeded = true;
  e.scraper.SetReply(kUrl, big);
  e.Advance(kInterval);
  EXPECT_EQ(e.MetricValue(
                "prometheus_target_scrapes_exceeded_body_size_limit_total"),
            1);
  EXPECT_EQ(
      e.MetricValue("prometheus_target_scrapes_sample_out_of_order_total"), 0);
}

TEST(ScrapeMetricsTest, CacheFlushForcedWhileScrapesFail) {
  // TestScrapeLoopCacheMemoryExhaustionProtection: scrapes of 500
  // new series each that then fail to parse grow the cache until a flush
  // is forced.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job()));
  e.Advance(kInterval);
  for (int scrape = 0; scrape < 4; ++scrape) {
    std::string body;
    for (int i = 0; i < 500; ++i) {
      absl::StrAppend(&body, "metric_", scrape, "_", i, " 1\n");
    }
    body += "7&-\n";
    e.scraper.SetBody(kUrl, body);
    e.Advance(kInterval);
  }
  EXPECT_GE(
      e.MetricValue("prometheus_target_scrapes_cache_flush_forced_total"), 1);
}

TEST(ScrapeMetricsTest, BucketLimitCountsOncePerScrape) {
  // the scrape-level flag becomes one increment. (The append
  // scenario itself is NativeHistogramBucketLimit in scrape_append_test.)
  metrics::Registry registry;
  ScrapeMetrics m(registry);
  AppendResult r;
  r.bucket_limit_exceeded = true;
  m.RecordAppend(r);
  EXPECT_EQ(m.exceeded_native_histogram_bucket_limit_total.Value(), 1);
}

TEST(ScrapeMetricsTest, MetadataCacheGauges) {
  FakeEngine e;
  e.scraper.SetBody(kUrl,
                    "# HELP m some help\n# TYPE m gauge\nm 1\n"
                    "# HELP other x\nother 2\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job()));
  e.Advance(kInterval);
  EXPECT_EQ(e.MetricValue("prometheus_target_metadata_cache_entries", kJob), 2);
  // help + unit + type: "some help"+"gauge" and "x"+"unknown".
  EXPECT_EQ(e.MetricValue("prometheus_target_metadata_cache_bytes", kJob),
            9 + 5 + 1 + 7);
}

}  // namespace
}  // namespace promscrape::scrape
