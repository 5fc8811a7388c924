#include "plugin/metrics/registry.h"

#include <thread>
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

}  // namespace
}  // namespace promscrape::metrics
