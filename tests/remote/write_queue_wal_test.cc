// The write queue on its write-ahead log: what the host has not acknowledged
// survives a stop (or a crash) and is sent first by the next queue on the
// same directory; a full memory queue spills into the log instead of
// dropping; the log's bounds drop the oldest records, counted.

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/write_queue.h"
#include "tests/testutil/fake_remote_write.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::remote {
namespace {

// This file is built twice (tests/remote/BUILD.bazel): against a host
// without WriteV2, where the default protocol ("auto") falls back to Write,
// and with PROMSCRAPE_HOST_SERVES_V2 against one that has it, so every
// test here runs over both shapes of the stream.
#ifndef PROMSCRAPE_HOST_SERVES_V2
#define PROMSCRAPE_HOST_SERVES_V2 0
#endif
constexpr bool kHostServesV2 = PROMSCRAPE_HOST_SERVES_V2;

using ::promscrape::testing::FakeRemoteWrite;

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
}

WriteQueue::Options WalOptions(const std::string& target,
                               const std::string& dir) {
  WriteQueue::Options options;
  options.target = target;
  options.capacity = 1000;
  options.max_samples_per_send = 10;
  options.batch_send_deadline = absl::Milliseconds(20);
  options.min_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  options.wal_dir = dir;
  options.wal_options.segment_bytes = 4096;
  return options;
}

Logger QuietLogger() {
  return Logger([](LogLevel, absl::string_view) {});
}

void AppendSample(WriteQueue& queue, int i) {
  std::string instance = "host-" + std::to_string(i % 7);
  std::vector<model::LabelView> labels = {
      {"__name__", "up"}, {"instance", instance}, {"job", "node"}};
  PROMSCRAPE_ASSERT_OK(queue.Append(labels, 1000 + i, i));
}

// The values the host stored, in arrival order.
std::vector<double> Values(const FakeRemoteWrite& host) {
  std::vector<double> out;
  for (const v1::WriteRequest& r : host.requests()) {
    for (const v1::TimeSeries& ts : r.timeseries()) {
      for (const v1::Sample& s : ts.samples()) out.push_back(s.value());
    }
  }
  return out;
}

std::vector<double> Range(int from, int to) {
  std::vector<double> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

double MetricValue(metrics::Registry& registry, const std::string& name) {
  double sum = 0;
  for (const auto& m : registry.Collect()) {
    if (m.name == name) sum += m.value;
  }
  return sum;
}

TEST(WriteQueueWalTest, UnacknowledgedSamplesSurviveARestart) {
  const std::string dir = TempDir("restart");
  Logger logger = QuietLogger();
  {
    metrics::Registry registry;
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto queue,
        WriteQueue::Create(WalOptions("127.0.0.1:1", dir), registry, logger));
    for (int i = 0; i < 55; ++i) AppendSample(*queue, i);
    // The host never answered: nothing is lost, it stays in the log.
    PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Milliseconds(50)));
    EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_dropped_total"),
              0);
  }
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(WalOptions(host.address(), dir), registry, logger));
  for (int i = 55; i < 60; ++i) AppendSample(*queue, i);
  ASSERT_TRUE(host.WaitForSamples(60, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  // The old records first, then the new ones, each once.
  EXPECT_EQ(Values(host), Range(0, 60));
  EXPECT_GE(MetricValue(registry, "promscrape_remote_wal_records_replayed_total"),
            1);
}

TEST(WriteQueueWalTest, AcknowledgedSamplesAreNotSentAgain) {
  const std::string dir = TempDir("acked");
  Logger logger = QuietLogger();
  {
    FakeRemoteWrite host(kHostServesV2);
    metrics::Registry registry;
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto queue,
        WriteQueue::Create(WalOptions(host.address(), dir), registry, logger));
    for (int i = 0; i < 40; ++i) AppendSample(*queue, i);
    ASSERT_TRUE(host.WaitForSamples(40, absl::Seconds(10)));
    PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  }
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(WalOptions(host.address(), dir), registry, logger));
  AppendSample(*queue, 40);
  ASSERT_TRUE(host.WaitForSamples(1, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(Values(host), Range(40, 41));
}

// Memory holds `capacity` samples; beyond it the log alone keeps them and
// the sender reads them back, in order, once the host answers again.
TEST(WriteQueueWalTest, FullMemorySpillsIntoTheLogInsteadOfDropping) {
  const std::string dir = TempDir("spill");
  FakeRemoteWrite host(kHostServesV2);
  host.HoldAcks(true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = WalOptions(host.address(), dir);
  options.capacity = 30;
  options.max_in_flight = 2;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 500; ++i) AppendSample(*queue, i);
  EXPECT_EQ(queue->PendingSamples(), 500);
  host.HoldAcks(false);
  ASSERT_TRUE(host.WaitForSamples(500, absl::Seconds(20)));
  // Memory again once caught up.
  for (int i = 500; i < 520; ++i) AppendSample(*queue, i);
  ASSERT_TRUE(host.WaitForSamples(520, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(Values(host), Range(0, 520));
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_dropped_total"),
            0);
}

// A slow host (every ack 500 ms late) and a producer faster than it: memory
// stays bounded at about `capacity` plus a window of requests, the log takes
// the rest and grows, and once the producer stops everything drains, in
// order, and the log empties.
TEST(WriteQueueWalTest, SlowHostBoundsMemoryGrowsTheLogThenDrains) {
  const std::string dir = TempDir("slow");
  FakeRemoteWrite host(kHostServesV2);
  host.SetAckDelay(absl::Milliseconds(500));
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = WalOptions(host.address(), dir);
  options.capacity = 200;
  options.max_samples_per_send = 50;
  options.max_in_flight = 4;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  // The larger of capacity and two windows (in flight and ready, read back
  // from the log), plus a batch: what MemorySamples() promises.
  const int64_t window = options.max_samples_per_send * options.max_in_flight;
  const int64_t memory_bound = std::max<int64_t>(options.capacity, 2 * window) +
                               options.max_samples_per_send;
  int64_t most_in_memory = 0;
  double most_in_log = 0;
  constexpr int kSamples = 3000;
  for (int i = 0; i < kSamples; ++i) {
    AppendSample(*queue, i);
    if (i % 100 == 0) {
      most_in_memory = std::max(most_in_memory, queue->MemorySamples());
      most_in_log = std::max(
          most_in_log,
          MetricValue(registry, "promscrape_remote_wal_unacked_records"));
    }
  }
  // Appending does not wait for the host: nearly all of it is still queued.
  EXPECT_GT(queue->PendingSamples(), kSamples / 2);
  EXPECT_GT(most_in_log, kSamples / 2);
  ASSERT_TRUE(host.WaitForSamples(kSamples, absl::Seconds(60)));
  for (int i = 0; i < 200 && queue->PendingSamples() > 0; ++i) {
    most_in_memory = std::max(most_in_memory, queue->MemorySamples());
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_LE(most_in_memory, memory_bound);
  EXPECT_EQ(queue->PendingSamples(), 0);
  EXPECT_EQ(queue->MemorySamples(), 0);
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_wal_unacked_records"), 0);
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  {
    std::vector<double> got = Values(host);
    size_t first = 0;
    while (first < got.size() && first < kSamples && got[first] == first) ++first;
    EXPECT_EQ(got, Range(0, kSamples))
        << "size " << got.size() << " first mismatch at " << first << ": "
        << (first < got.size() ? got[first] : -1) << " "
        << (first + 1 < got.size() ? got[first + 1] : -1) << " "
        << (first + 2 < got.size() ? got[first + 2] : -1) << " "
        << (first + 3 < got.size() ? got[first + 3] : -1);
  }
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_dropped_total"),
            0);
  EXPECT_LE(host.max_unacked(), options.max_in_flight);
}

// Appenders on several threads against a small memory queue: the queue
// spills into the log and catches up again many times, while the sender's
// reader races appends that have written their record and not yet decided
// where it goes. Every sample arrives exactly once, each series in order.
TEST(WriteQueueWalTest, ManySpillsNeitherLoseNorRepeatASample) {
  const std::string dir = TempDir("spills");
  FakeRemoteWrite host(kHostServesV2);
  host.SetAckDelay(absl::Milliseconds(1));
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = WalOptions(host.address(), dir);
  options.capacity = 30;
  options.max_samples_per_send = 10;
  options.max_in_flight = 2;
  options.batch_send_deadline = absl::Milliseconds(1);
  // Now and then an appender stalls between the log and its decision, long
  // enough for the sender's reader to take its record and catch up.
  std::atomic<int> appended{0};
  options.after_wal_append_for_test = [&appended] {
    if (appended.fetch_add(1) % 16 == 0) absl::SleepFor(absl::Milliseconds(3));
  };
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  std::vector<std::thread> appenders;
  for (int t = 0; t < kThreads; ++t) {
    appenders.emplace_back([&queue, t] {
      const std::string instance = absl::StrCat("appender-", t);
      std::vector<model::LabelView> labels = {
          {"__name__", "up"}, {"instance", instance}, {"job", "node"}};
      for (int i = 0; i < kPerThread; ++i) {
        PROMSCRAPE_EXPECT_OK(
            queue->Append(labels, 1000 + i, t * 100000 + i));
        if (i % 64 == 0) std::this_thread::yield();
      }
    });
  }
  for (std::thread& a : appenders) a.join();
  ASSERT_TRUE(host.WaitForSamples(kThreads * kPerThread, absl::Seconds(120)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(10)));
  std::vector<double> got = Values(host);
  // Per series (value / 100000 is the appender), ascending.
  std::vector<double> last(kThreads, -1);
  for (double v : got) {
    const int t = static_cast<int>(v) / 100000;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_GT(v, last[t]) << "appender " << t << " out of order or repeated";
    last[t] = v;
  }
  EXPECT_EQ(got.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_dropped_total"),
            0);
}

// The log's size bound drops the oldest records (counted), never the
// newest, and the queue keeps going.
TEST(WriteQueueWalTest, SizeBoundDropsTheOldestAndCountsThem) {
  const std::string dir = TempDir("bound");
  Logger logger = QuietLogger();
  {
    metrics::Registry registry;
    WriteQueue::Options options = WalOptions("127.0.0.1:1", dir);
    options.wal_options.max_bytes = 3 * 4096;
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto queue, WriteQueue::Create(options, registry, logger));
    for (int i = 0; i < 2000; ++i) AppendSample(*queue, i);
    PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Milliseconds(20)));
    EXPECT_GT(MetricValue(registry, "promscrape_remote_wal_dropped_records_total"),
              0);
    EXPECT_LE(MetricValue(registry, "promscrape_remote_wal_bytes"), 3 * 4096);
  }
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  WriteQueue::Options options = WalOptions(host.address(), dir);
  options.wal_options.max_bytes = 3 * 4096;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  // What is left is the newest, contiguous, ending with the last sample.
  for (int i = 0; i < 500 && Values(host).empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  std::vector<double> got = Values(host);
  ASSERT_FALSE(got.empty());
  EXPECT_LT(got.size(), 2000u);
  EXPECT_EQ(got.back(), 1999);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_EQ(got[i], got[i - 1] + 1);
}

TEST(WriteQueueWalTest, UnusableDirectoryIsAClearError) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  const std::string file = TempDir("not-a-dir");
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto queue = WriteQueue::Create(WalOptions("127.0.0.1:1", file), registry,
                                  logger);
  ASSERT_FALSE(queue.ok());
  EXPECT_THAT(std::string(queue.status().message()),
              ::testing::HasSubstr("not-a-dir"));
}

}  // namespace
}  // namespace promscrape::remote
