#include "plugin/remote/metadata_sender.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/write_queue.h"
#include "tests/testutil/fake_remote_write.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::remote {
namespace {

// Built twice (tests/remote/BUILD.bazel): against a host without WriteV2
// and, with PROMSCRAPE_HOST_SERVES_V2, over the WriteV2 stream.
#ifndef PROMSCRAPE_HOST_SERVES_V2
#define PROMSCRAPE_HOST_SERVES_V2 0
#endif
constexpr bool kHostServesV2 = PROMSCRAPE_HOST_SERVES_V2;

using ::promscrape::testing::FakeRemoteWrite;

std::vector<v1::MetricMetadata> Received(const FakeRemoteWrite& host) {
  std::vector<v1::MetricMetadata> out;
  for (const v1::WriteRequest& r : host.requests()) {
    for (const v1::MetricMetadata& m : r.metadata()) out.push_back(m);
  }
  return out;
}

// Prometheus' metadata watcher sends every target's families; exact
// duplicates (the same family from many targets) go once.
TEST(MetadataSenderTest, SendsEveryFamilyOnceAsWriteRequestMetadata) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger([](LogLevel, absl::string_view) {});
  WriteQueue::Options options;
  options.target = host.address();
  options.batch_send_deadline = absl::Milliseconds(5);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  MetadataSender sender(
      absl::Hours(1),
      [] {
        return std::vector<model::MetricMetadata>{
            {"http_requests", model::MetricType::kCounter, "Requests.", ""},
            {"temp", model::MetricType::kGauge, "Temperature.", "celsius"},
            {"http_requests", model::MetricType::kCounter, "Requests.", ""},
            {"odd", model::MetricType::kUnknown, "", ""},
            {"info", model::MetricType::kStateset, "", ""},
        };
      },
      *queue, registry, logger);
  sender.SendOnce();
  for (int i = 0; i < 500 && Received(host).size() < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  PROMSCRAPE_ASSERT_OK(queue->Stop(absl::Seconds(5)));
  std::vector<v1::MetricMetadata> got = Received(host);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].metric_family_name(), "http_requests");
  EXPECT_EQ(got[0].type(), v1::MetricMetadata::COUNTER);
  EXPECT_EQ(got[0].help(), "Requests.");
  EXPECT_EQ(got[1].metric_family_name(), "info");
  EXPECT_EQ(got[1].type(), v1::MetricMetadata::STATESET);
  EXPECT_EQ(got[2].metric_family_name(), "odd");
  EXPECT_EQ(got[2].type(), v1::MetricMetadata::UNKNOWN);
  EXPECT_EQ(got[3].metric_family_name(), "temp");
  EXPECT_EQ(got[3].type(), v1::MetricMetadata::GAUGE);
  EXPECT_EQ(got[3].unit(), "celsius");
}

TEST(MetadataSenderTest, StartAndStopWithoutARound) {
  metrics::Registry registry;
  Logger logger([](LogLevel, absl::string_view) {});
  WriteQueue::Options options;
  options.target = "127.0.0.1:1";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  int calls = 0;
  MetadataSender sender(
      absl::Hours(1),
      [&] {
        ++calls;
        return std::vector<model::MetricMetadata>{};
      },
      *queue, registry, logger);
  sender.Start();
  sender.Stop();
  sender.Stop();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace promscrape::remote
