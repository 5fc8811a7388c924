#include "plugin/remote/write_queue.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/retryable.h"
#include "plugin/remote/wire_encoder.h"
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
  std::vector<model::LabelView> labels = {
      {"__name__", "up"}, {"instance", instance}, {"job", "node"}};
  PROMSCRAPE_ASSERT_OK(queue.Append(labels, 1000 + i, value));
}

TEST(WriteQueueTest, DeliversSamplesInOrderWithIncreasingSequences) {
  FakeRemoteWrite host(kHostServesV2);
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

TEST(WriteQueueTest, EveryRequestCarriesTheQueuesOwnWriterId) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  metrics::Registry other_registry;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto other, WriteQueue::Create(FastOptions(host.address()),
                                     other_registry, logger));
  EXPECT_NE(queue->writer_id(), 0u);
  EXPECT_NE(queue->writer_id(), other->writer_id());
  for (int i = 0; i < 25; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(25, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  PROMSCRAPE_EXPECT_OK(other->Stop(absl::Seconds(5)));

  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_FALSE(requests.empty());
  for (const v1::WriteRequest& r : requests) {
    EXPECT_EQ(r.writer_id(), queue->writer_id());
  }
}

TEST(WriteQueueTest, StaleNaNBitPatternSurvivesTheStream) {
  FakeRemoteWrite host(kHostServesV2);
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
  FakeRemoteWrite host(kHostServesV2);
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
  std::vector<model::LabelView> labels = {{"__name__", "x"}};
  EXPECT_THAT(queue->Append(labels, 1, 1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("capacity 10")));
  queue->Stop(absl::ZeroDuration()).IgnoreError();
  EXPECT_THAT(queue->Append(labels, 1, 1),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopped")));
}

TEST(WriteQueueTest, RejectedRequestsAreNotRetried) {
  FakeRemoteWrite host(kHostServesV2);
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
  FakeRemoteWrite host(kHostServesV2);
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

// Records of varied sizes (some need 3-byte lengths), one sample each,
// value = index.
std::string VariedRecords(int first, int count) {
  std::string records;
  for (int i = first; i < first + count; ++i) {
    std::string pad((i % 5 == 0) ? 20000 : 10 * (i % 7), 'p');
    std::string index = std::to_string(i);
    std::vector<model::LabelView> labels = {
        {"__name__", "m"}, {"i", index}, {"pad", pad}};
    wire::AppendSampleRecord(&records, labels, 1000 + i, i);
  }
  return records;
}

TEST(WriteQueueTest, AppendRecordsSplitsBatchesOnRecordBoundaries) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.batch_send_deadline = absl::Seconds(30);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  // 3 + 25 + 7 = 35 samples: requests of 10, 10, 10 and (flushed) 5, the
  // first two calls straddling request boundaries.
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(VariedRecords(0, 3), 3));
  int64_t accepted = -1;
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(VariedRecords(3, 25), 25,
                                            &accepted));
  EXPECT_EQ(accepted, 25);
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(VariedRecords(28, 7), 7));
  queue->Flush();
  ASSERT_TRUE(host.WaitForSamples(35, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));

  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_EQ(requests.size(), 4u);
  int next = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    EXPECT_EQ(requests[r].sequence(), r + 1);
    EXPECT_EQ(requests[r].timeseries_size(), r < 3 ? 10 : 5);
    for (const v1::TimeSeries& ts : requests[r].timeseries()) {
      ASSERT_EQ(ts.labels_size(), 3);
      EXPECT_EQ(ts.labels(1).value(), std::to_string(next));
      EXPECT_EQ(ts.labels(2).value().size(),
                (next % 5 == 0) ? 20000u : 10u * (next % 7));
      ASSERT_EQ(ts.samples_size(), 1);
      EXPECT_EQ(ts.samples(0).value(), next);
      EXPECT_EQ(ts.samples(0).timestamp(), 1000 + next);
      ++next;
    }
  }
  EXPECT_EQ(next, 35);
}

TEST(WriteQueueTest, AppendRecordsQueuesThePrefixThatFits) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions("127.0.0.1:1");
  options.capacity = 12;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  int64_t accepted = -1;
  EXPECT_THAT(queue->AppendRecords(VariedRecords(0, 15), 15, &accepted),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("capacity 12")));
  EXPECT_EQ(accepted, 12);
  EXPECT_EQ(queue->PendingSamples(), 12);
  double dropped = -1;
  for (const auto& m : registry.Collect()) {
    if (m.name == "promscrape_remote_samples_dropped_total") dropped = m.value;
  }
  EXPECT_EQ(dropped, 3);
  queue->Stop(absl::ZeroDuration()).IgnoreError();
  EXPECT_THAT(queue->AppendRecords(VariedRecords(0, 1), 1, &accepted),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopped")));
  EXPECT_EQ(accepted, 0);
}

TEST(WriteQueueTest, AppendRecordsRejectsMalformedRecords) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(FastOptions("127.0.0.1:1"), registry, logger));
  std::string records = VariedRecords(0, 3);
  EXPECT_THAT(queue->AppendRecords(records, 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("records")));
  EXPECT_THAT(queue->AppendRecords(records, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("records")));
  EXPECT_THAT(queue->AppendRecords(records.substr(1), 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("records")));
  EXPECT_EQ(queue->PendingSamples(), 0);
}

// What the host receives equals the request the queue used to build from
// protobuf messages.
TEST(WriteQueueTest, WireRequestMatchesTheProtoBuiltRequest) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  const std::string long_value(200, 'v');
  std::vector<model::LabelView> a = {{"__name__", "a"}, {"empty", ""}};
  std::vector<model::LabelView> b = {{"__name__", "b"}, {long_value, long_value}};
  v1::Histogram h;
  h.set_count_int(3);
  h.set_sum(1.5);
  h.set_schema(2);
  h.add_positive_deltas(3);
  v1::BucketSpan* span = h.add_positive_spans();
  span->set_offset(1);
  span->set_length(1);
  PROMSCRAPE_ASSERT_OK(queue->Append(a, -5, 0));
  PROMSCRAPE_ASSERT_OK(queue->AppendHistogram(b, 7, h));
  PROMSCRAPE_ASSERT_OK(queue->Append(b, 0, -2.5));
  queue->Flush();
  ASSERT_TRUE(host.WaitForSamples(2, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));

  v1::WriteRequest want;
  want.set_sequence(1);
  want.set_writer_id(queue->writer_id());
  auto add = [&](const std::vector<model::LabelView>& labels) {
    v1::TimeSeries* ts = want.add_timeseries();
    for (const model::LabelView& l : labels) {
      v1::Label* label = ts->add_labels();
      label->set_name(std::string(l.name));
      label->set_value(std::string(l.value));
    }
    return ts;
  };
  v1::Sample* s = add(a)->add_samples();
  s->set_timestamp(-5);
  s->set_value(0);
  v1::Histogram* wh = add(b)->add_histograms();
  *wh = h;
  wh->set_timestamp(7);
  s = add(b)->add_samples();
  s->set_timestamp(0);
  s->set_value(-2.5);
  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].SerializeAsString(), want.SerializeAsString());
}

double MetricValue(metrics::Registry& registry, const std::string& name,
                   const std::string& label_value = "") {
  double sum = 0;
  for (const auto& m : registry.Collect()) {
    if (m.name != name) continue;
    if (!label_value.empty()) {
      bool match = false;
      for (const auto& l : m.labels) match |= l.second == label_value;
      if (!match) continue;
    }
    sum += m.value;
  }
  return sum;
}

TEST(WriteQueueProtocolTest, AutoFallsBackToWriteWhenTheHostLacksWriteV2) {
  FakeRemoteWrite host(/*serve_v2=*/false);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.protocol = WriteQueue::Protocol::kAuto;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto queue,
                                  WriteQueue::Create(options, registry, logger));
  EXPECT_TRUE(queue->stream_v2());  // Until the host says otherwise.
  for (int i = 0; i < 25; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(25, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));

  EXPECT_FALSE(queue->stream_v2());
  EXPECT_EQ(host.v2_requests(), 0);
  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (size_t r = 0; r < requests.size(); ++r) {
    EXPECT_EQ(requests[r].sequence(), r + 1);
  }
  // Falling back is neither a failed stream nor a resend.
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_stream_failures_total"), 0);
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_requests_retried_total"),
            0);
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_write_protocol", "v1"), 1);
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_write_protocol", "v2"), 0);
}

TEST(WriteQueueProtocolTest, AutoUsesWriteV2WhenTheHostHasIt) {
  FakeRemoteWrite host(/*serve_v2=*/true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(FastOptions(host.address()), registry, logger));
  for (int i = 0; i < 25; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(25, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));

  EXPECT_TRUE(queue->stream_v2());
  EXPECT_EQ(host.v2_requests(), 3);
  std::vector<v1::WriteRequest> requests = host.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].sequence(), 3u);
  EXPECT_EQ(requests[2].writer_id(), queue->writer_id());
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_write_protocol", "v2"), 1);
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_write_protocol", "v1"), 0);
}

TEST(WriteQueueProtocolTest, ForcedV1NeverOpensWriteV2) {
  FakeRemoteWrite host(/*serve_v2=*/true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.protocol = WriteQueue::Protocol::kV1;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto queue,
                                  WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 5; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(5, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_FALSE(queue->stream_v2());
  EXPECT_EQ(host.v2_requests(), 0);
}

TEST(WriteQueueProtocolTest, ForcedV2AgainstAHostWithoutItRetriesAndKeepsV2) {
  FakeRemoteWrite host(/*serve_v2=*/false);
  metrics::Registry registry;
  std::vector<std::string> warnings;
  Mutex mu;
  Logger logger([&](LogLevel level, absl::string_view message) {
    MutexLock lock(&mu);
    if (level == LogLevel::kWarning) warnings.emplace_back(message);
  });
  WriteQueue::Options options = FastOptions(host.address());
  options.protocol = WriteQueue::Protocol::kV2;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto queue,
                                  WriteQueue::Create(options, registry, logger));
  AppendSample(*queue, 0, 1);
  queue->Flush();
  // Waits for the second failed stream: UNIMPLEMENTED is retried.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (MetricValue(registry, "promscrape_remote_stream_failures_total") < 2 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GE(MetricValue(registry, "promscrape_remote_stream_failures_total"),
            2);
  EXPECT_TRUE(queue->stream_v2());
  EXPECT_EQ(host.samples(), 0);
  EXPECT_EQ(queue->PendingSamples(), 1);
  {
    MutexLock lock(&mu);
    ASSERT_FALSE(warnings.empty());
    EXPECT_THAT(warnings[0], HasSubstr("UNIMPLEMENTED"));
  }
  EXPECT_THAT(queue->Stop(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("")));
}

// The window: with acks held, the queue writes max_in_flight requests and
// then waits; released, everything arrives once, in order.
TEST(WriteQueueTest, KeepsAWindowOfRequestsInFlight) {
  FakeRemoteWrite host(kHostServesV2);
  host.HoldAcks(true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.max_in_flight = 4;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 100; ++i) AppendSample(*queue, i, i);  // 10 requests.
  ASSERT_TRUE(host.WaitForSamples(40, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(host.samples(), 40);  // Four requests, no more, before any ack.
  EXPECT_EQ(host.unacked_now(), 4);
  host.HoldAcks(false);
  ASSERT_TRUE(host.WaitForSamples(100, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(host.max_unacked(), 4);
  int next = 0;
  uint64_t sequence = 0;
  for (const v1::WriteRequest& r : host.requests()) {
    EXPECT_EQ(r.sequence(), ++sequence);
    for (const v1::TimeSeries& ts : r.timeseries()) {
      EXPECT_EQ(ts.samples(0).value(), next++);
    }
  }
  EXPECT_EQ(next, 100);
}

// A full window with a partial batch past its send deadline: the sender has
// nothing to do until an ack comes, and must wait for it without holding the
// queue's lock, or neither the acks nor the scrapes' appends get through
// until the ack timeout (found by the durability test: 30 s of scrapes
// stalled after an outage).
TEST(WriteQueueTest, FullWindowWithAnOverdueBatchLetsAcksAndAppendsThrough) {
  FakeRemoteWrite host(kHostServesV2);
  host.HoldAcks(true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.max_in_flight = 2;
  options.ack_timeout = absl::Seconds(40);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 20; ++i) AppendSample(*queue, i, i);  // The window.
  ASSERT_TRUE(host.WaitForSamples(20, absl::Seconds(10)));
  for (int i = 20; i < 23; ++i) AppendSample(*queue, i, i);  // Overdue.
  absl::SleepFor(options.batch_send_deadline * 5);

  Notification appended;
  std::thread appender([&] {
    AppendSample(*queue, 23, 23);
    appended.Notify();
  });
  EXPECT_TRUE(appended.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "an append waited for the sender";
  host.HoldAcks(false);
  EXPECT_TRUE(host.WaitForSamples(24, absl::Seconds(10)))
      << "acks were not taken before the ack timeout";
  appender.join();
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(10)));
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_ack_timeouts_total"), 0);
  EXPECT_EQ(queue->PendingSamples(), 0);
}

// A host that stops acknowledging (hung storage, half-open connection) is
// detected by the ack timeout: the stream is dropped and everything unacked
// goes again on a new one.
TEST(WriteQueueTest, AckTimeoutReconnectsAndResends) {
  FakeRemoteWrite host(kHostServesV2);
  host.HoldAcks(true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options = FastOptions(host.address());
  options.ack_timeout = absl::Milliseconds(300);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  for (int i = 0; i < 20; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(20, absl::Seconds(10)));
  // Wait for the timeout to end the first stream, then let acks through.
  for (int i = 0; i < 100 && host.streams_opened() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GE(host.streams_opened(), 2);
  host.HoldAcks(false);
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(10)));
  EXPECT_GE(MetricValue(registry, "promscrape_remote_ack_timeouts_total"), 1);
  EXPECT_GE(MetricValue(registry, "promscrape_remote_requests_retried_total"),
            1);
  // At least once: the resent requests arrive again, in order.
  EXPECT_GE(host.samples(), 40);
  EXPECT_EQ(queue->PendingSamples(), 0);
}

// An error ack with a retryable code means "not stored": resent, not
// dropped.
TEST(WriteQueueTest, RetryableErrorAckIsResent) {
  FakeRemoteWrite host(kHostServesV2);
  host.FailNextWithRetryableAck(2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  for (int i = 0; i < 30; ++i) AppendSample(*queue, i, i);
  ASSERT_TRUE(host.WaitForSamples(30, absl::Seconds(10)));
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_dropped_total"),
            0);
  std::vector<double> values;
  for (const v1::WriteRequest& r : host.requests()) {
    for (const v1::TimeSeries& ts : r.timeseries()) {
      values.push_back(ts.samples(0).value());
    }
  }
  // Each sample at least once; the first time each value appears, in order.
  std::vector<double> firsts;
  for (double v : values) {
    if (std::find(firsts.begin(), firsts.end(), v) == firsts.end()) {
      firsts.push_back(v);
    }
  }
  ASSERT_EQ(firsts.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(firsts[i], i);
}

// A permanent rejection is dropped and counted by its code.
TEST(WriteQueueTest, PermanentRejectsAreCountedByCode) {
  FakeRemoteWrite host(kHostServesV2);
  host.RejectWith("label set too long",
                  static_cast<int>(absl::StatusCode::kInvalidArgument));
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(FastOptions(host.address()), registry,
                                     logger));
  for (int i = 0; i < 10; ++i) AppendSample(*queue, i, i);
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(5)));
  EXPECT_EQ(MetricValue(registry, "promscrape_remote_samples_rejected_total",
                        "INVALID_ARGUMENT"),
            10);
  EXPECT_EQ(host.streams_opened(), 1);
}

TEST(WriteQueueTest, LagIsTheAgeOfTheOldestUnacknowledgedSample) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue,
      WriteQueue::Create(FastOptions("127.0.0.1:1"), registry, logger));
  EXPECT_EQ(queue->Lag(), absl::ZeroDuration());
  AppendSample(*queue, 0, 0);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_GE(queue->Lag(), absl::Milliseconds(200));
  EXPECT_GE(MetricValue(registry, "promscrape_remote_queue_lag_seconds"), 0.2);
  queue->Stop(absl::ZeroDuration()).IgnoreError();

  FakeRemoteWrite host(kHostServesV2);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto live, WriteQueue::Create(FastOptions(host.address()), registry,
                                    logger));
  AppendSample(*live, 0, 0);
  ASSERT_TRUE(host.WaitForSamples(1, absl::Seconds(10)));
  for (int i = 0; i < 100 && live->Lag() > absl::ZeroDuration(); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(live->Lag(), absl::ZeroDuration());
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
