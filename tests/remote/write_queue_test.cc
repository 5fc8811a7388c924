#include "plugin/remote/write_queue.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/retryable.h"
#include "tests/testutil/fake_remote_write.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::remote {
namespace {

using ::promscrape::testing::FakeRemoteWrite;
using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

WriteQueue::Options FastOptions(const std::string& target) {
  WriteQueue::Options options;
  options.target = target;
  options.capacity = 1000;
  options.max_samples_per_send = 10;
  options.batch_send_deadline = absl::Milliseconds(20);
  options.min_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  return options;
}

Logger QuietLogger() {
  return Logger([](LogLevel, absl::string_view) {});
}

void AppendSample(WriteQueue& queue, int i, double value) {
  std::string instance = "host-" + std::to_string(i);
  std::vector<LabelView> labels = {
      {"__name__", "up"}, {"instance", instance}, {"job", "node"}};
  PROMSCRAPE_ASSERT_OK(queue.Append(labels, 1000 + i, value));
}

TEST(WriteQueueTest, DeliversSamplesInOrderWithIncreasingSequences) {
  FakeRemoteWrite host;
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  for (int i = 0; i < 25; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(25, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));

  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_EQ(requests.size(), 3u);  // 10 + 10 + 5 (deadline).
  int next = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    EXPECT_EQ(requests[r].sequence(), r + 1);
    for (const v1::TimeSeries& ts : requests[r].timeseries()) {
      ASSERT_EQ(ts.labels_size(), 3);
      EXPECT_EQ(ts.labels(0).name(), "__name__");
      EXPECT_EQ(ts.labels(1).value(), "host-" + std::to_string(next));
      EXPECT_EQ(ts.samples(0).timestamp(), 1000 + next);
      EXPECT_EQ(ts.samples(0).value(), next);
      ++next;
    }
  }
  EXPECT_EQ(next, 25);
  EXPECT_EQ(queue->PendingSamples(), 0);
}

TEST(WriteQueueTest, StaleNaNBitPatternSurvivesTheStream) {
  FakeRemoteWrite host;
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  double stale;
  std::memcpy(&stale, &kStaleNaNBits, sizeof stale);
  AppendSample(*queue, 0, stale);
  ASSERT_TRUE(host.WaitForSamples(1, absl::Seconds(10)));
  double got = host.requests()[0].timeseries(0).samples(0).value();
  uint64_t bits;
  std::memcpy(&bits, &got, sizeof bits);
  EXPECT_EQ(bits, kStaleNaNBits);
}

TEST(WriteQueueTest, BrokenStreamIsReopenedAndNothingIsLost) {
  FakeRemoteWrite host;
  host.BreakNextStreams(3);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  for (int i = 0; i < 40; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(40, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(host.samples(), 40);
  EXPECT_GE(host.streams_opened(), 4);
  // Every sample exactly once, in order.
  int next = 0;
  for (const v1::WriteRequest& r : host.requests()) {
    for (const v1::TimeSeries& ts : r.timeseries()) {
      EXPECT_EQ(ts.samples(0).value(), next++);
    }
  }
  bool counted = false;
  for (const auto& m : registry.Collect()) {
    if (m.name == "promscrape_remote_stream_failures_total") {
      EXPECT_GE(m.value, 3);
      counted = true;
    }
  }
  EXPECT_TRUE(counted);
}

TEST(WriteQueueTest, DeadHostKeepsSamplesQueuedAndStopReportsThem) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(FastOptions("127.0.0.1:1"), registry, logger));
  for (int i = 0; i < 5; ++i) AppendSample(*queue, i, i);
  EXPECT_EQ(queue->PendingSamples(), 5);
  EXPECT_THAT(queue->Stop(absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("5 samples were not acknowledged")));
}

TEST(WriteQueueTest, FullQueueDropsAndCounts) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions("127.0.0.1:1");
  options.capacity = 10;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 10; ++i) AppendSample(*queue, i, i);
  std::vector<LabelView> labels = {{"__name__", "x"}};
  EXPECT_THAT(queue->Append(labels, 1, 1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("capacity 10")));
  queue->Stop(absl::ZeroDuration()).IgnoreError();
  EXPECT_THAT(queue->Append(labels, 1, 1),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopped")));
}

TEST(WriteQueueTest, RejectedRequestsAreNotRetried) {
  FakeRemoteWrite host;
  host.RejectWith("out of order sample");
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  for (int i = 0; i < 10; ++i) AppendSample(*queue, i, i);
  // A rejected request is acknowledged (with an error): the queue empties.
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(host.samples(), 0);
  EXPECT_EQ(host.streams_opened(), 1);
}

TEST(WriteQueueTest, StopIsIdempotent) {
  FakeRemoteWrite host;
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  AppendSample(*queue, 0, 1);
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(host.samples(), 1);
}

TEST(RetryableTest, OnlyTransportCodesAreRetried) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(absl::InternalError("")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

}  // namespace
}  // namespace promscrape::remote
