#include "plugin/metrics/registry.h"

#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::metrics {
namespace {

TEST(RegistryTest, SameNameAndLabelsIsTheSameMetric) {
  Registry registry;
  Metric& a = registry.Counter("x_total", "help", {{"b", "2"}, {"a", "1"}});
  Metric& b = registry.Counter("x_total", "help", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(&a, &b);
  Metric& c = registry.Counter("x_total", "help", {{"a", "other"}});
  EXPECT_NE(&a, &c);
}

TEST(RegistryTest, CollectIsSortedWithSortedLabels) {
  Registry registry;
  registry.Gauge("b_gauge", "h").Set(2.5);
  registry.Counter("a_total", "h", {{"z", "1"}, {"y", "2"}}).Add(3);
  std::vector<MetricSample> samples = registry.Collect();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].name, "a_total");
  EXPECT_EQ(samples[0].labels[0].first, "y");
  EXPECT_EQ(samples[0].value, 3);
  EXPECT_EQ(samples[1].name, "b_gauge");
  EXPECT_EQ(samples[1].value, 2.5);
  std::vector<FamilyInfo> families = registry.Families();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].type, MetricType::kCounter);
  EXPECT_EQ(families[1].type, MetricType::kGauge);
}

TEST(RegistryTest, ConcurrentAddsAreNotLost) {
  Registry registry;
  Metric& m = registry.Counter("c_total", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.Value(), 40000);
}

TEST(RegistryTest, SummaryExposesQuantilesSumAndCount) {
  Registry registry;
  Summary& s = registry.Summary("x_seconds", "h", {{"interval", "10s"}});
  for (int i = 1; i <= 100; ++i) s.Observe(i);
  std::vector<MetricSample> samples = registry.Collect();
  ASSERT_EQ(samples.size(), 7u);
  auto quantile = [&](size_t i) {
    EXPECT_EQ(samples[i].name, "x_seconds");
    EXPECT_EQ(samples[i].labels[1].first, "quantile");
    return std::make_pair(samples[i].labels[1].second, samples[i].value);
  };
  EXPECT_EQ(quantile(0), std::make_pair(std::string("0.01"), 1.0));
  EXPECT_EQ(quantile(1), std::make_pair(std::string("0.05"), 5.0));
  EXPECT_EQ(quantile(2), std::make_pair(std::string("0.5"), 50.0));
  EXPECT_EQ(quantile(3), std::make_pair(std::string("0.9"), 90.0));
  EXPECT_EQ(quantile(4), std::make_pair(std::string("0.99"), 99.0));
  EXPECT_EQ(samples[5].name, "x_seconds_count");
  EXPECT_EQ(samples[5].value, 100);
  EXPECT_EQ(samples[6].name, "x_seconds_sum");
  EXPECT_EQ(samples[6].value, 5050);
  EXPECT_EQ(registry.Families()[0].type, MetricType::kSummary);
}

TEST(RegistryTest, SummaryQuantilesCoverTheLastWindowOnly) {
  Registry registry;
  Summary& s = registry.Summary("x", "h");
  for (size_t i = 0; i < Summary::kWindow; ++i) s.Observe(1000);
  for (size_t i = 0; i < Summary::kWindow; ++i) s.Observe(1);
  Summary::Snapshot snap = s.Snap();
  EXPECT_EQ(snap.count, 2 * Summary::kWindow);
  for (double q : snap.quantiles) EXPECT_EQ(q, 1);
  EXPECT_TRUE(std::isnan(Registry().Summary("y", "h").Snap().quantiles[0]));
}

TEST(RegistryTest, RemoveAndCollectors) {
  Registry registry;
  registry.Gauge("g", "h", {{"scrape_job", "a"}}).Set(1);
  registry.Remove("g", {{"scrape_job", "a"}});
  uint64_t id = registry.AddCollector(
      {{"c", "help", MetricType::kGauge}},
      [](std::vector<MetricSample>* out) { out->push_back({"c", {}, 7}); });
  std::vector<MetricSample> samples = registry.Collect();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].name, "c");
  EXPECT_EQ(samples[0].value, 7);
  registry.RemoveCollector(id);
  EXPECT_TRUE(registry.Collect().empty());
}

}  // namespace
}  // namespace promscrape::metrics
