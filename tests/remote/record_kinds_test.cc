// Record kinds on the way to the host: classifying encoded records, the
// write-ahead log payload header that carries their counts, and the queue's
// per-kind counters (queued, sent, retried, acknowledged, dropped by reason),
// with and without the log.

#include "plugin/remote/record_kinds.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/wal_payload.h"
#include "plugin/remote/wire_encoder.h"
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

struct Mixed {
  std::string records;
  RecordCounts kinds;
};

// `n` records cycling sample, sample, histogram, exemplar, metadata.
Mixed MixedRecords(int n) {
  Mixed out;
  wire::RecordEncoder encoder;
  v1::Histogram h;
  h.set_count_int(3);
  h.set_sum(1.5);
  h.set_schema(0);
  for (int i = 0; i < n; ++i) {
    const std::string instance = absl::StrCat("host-", i);
    std::vector<model::LabelView> labels = {
        {"__name__", "m"}, {"instance", instance}, {"job", "j"}};
    switch (i % 5) {
      case 0:
      case 1:
        wire::AppendSampleRecord(&out.records, labels, 1000 + i, i);
        ++out.kinds.by_kind[static_cast<int>(RecordKind::kSample)];
        break;
      case 2:
        wire::AppendHistogramRecord(&out.records, labels, 1000 + i, h);
        ++out.kinds.by_kind[static_cast<int>(RecordKind::kHistogram)];
        break;
      case 3: {
        std::vector<model::LabelView> ex = {{"trace_id", "abc"}};
        encoder.Begin(&out.records);
        for (const auto& l : labels) encoder.AddLabel(l.name, l.value);
        encoder.FinishWithExemplar(ex, 0.5, 1000 + i);
        ++out.kinds.by_kind[static_cast<int>(RecordKind::kExemplar)];
        break;
      }
      default: {
        model::MetricMetadata md;
        md.metric = "m";
        md.type = model::MetricType::kCounter;
        md.help = "help";
        wire::AppendMetadataRecord(&out.records, md);
        ++out.kinds.by_kind[static_cast<int>(RecordKind::kMetadata)];
        break;
      }
    }
  }
  return out;
}

Logger QuietLogger() {
  return Logger([](LogLevel, absl::string_view) {});
}

double Value(metrics::Registry& registry, const std::string& name,
             const std::vector<metrics::LabelPair>& labels) {
  for (const auto& m : registry.Collect()) {
    if (m.name != name) continue;
    bool match = true;
    for (const auto& want : labels) {
      bool found = false;
      for (const auto& have : m.labels) found |= have == want;
      match &= found;
    }
    if (match) return m.value;
  }
  return 0;
}

double ByKind(metrics::Registry& registry, const std::string& what,
              const std::string& kind) {
  return Value(registry, absl::StrCat("promscrape_remote_records_", what,
                                      "_total"),
               {{"kind", kind}});
}

TEST(RecordKindsTest, ClassifiesEveryKind) {
  Mixed m = MixedRecords(10);
  EXPECT_EQ(ClassifyRecords(m.records, 10), m.kinds);
  EXPECT_EQ(m.kinds[RecordKind::kSample], 4);
  EXPECT_EQ(m.kinds[RecordKind::kHistogram], 2);
  EXPECT_EQ(m.kinds[RecordKind::kExemplar], 2);
  EXPECT_EQ(m.kinds[RecordKind::kMetadata], 2);
  // A prefix of a mixed run is read; of a homogeneous run it is not.
  const int64_t three = wire::RecordsPrefixSize(m.records, 3);
  RecordCounts want;
  want.by_kind = {2, 1, 0, 0};
  EXPECT_EQ(CountRecordKinds(m.records.substr(0, three), 3, m.kinds), want);
  EXPECT_EQ(CountRecordKinds("", 7, RecordCounts::Of(RecordKind::kMetadata, 9)),
            RecordCounts::Of(RecordKind::kMetadata, 7));
}

TEST(RecordKindsTest, WalPayloadRoundTripsAndRejectsBadHeaders) {
  Mixed m = MixedRecords(7);
  std::string payload;
  AppendWalPayloadHeader(m.kinds, &payload);
  payload += m.records;
  RecordCounts kinds;
  absl::string_view records;
  ASSERT_TRUE(ParseWalPayload(payload, &kinds, &records));
  EXPECT_EQ(kinds, m.kinds);
  EXPECT_EQ(records, m.records);

  // Counts that do not add up, a count the records do not hold, a cut
  // header, a cut record.
  RecordCounts too_many = m.kinds;
  too_many.by_kind[static_cast<int>(RecordKind::kSample)] += 1;
  std::string bad;
  AppendWalPayloadHeader(too_many, &bad);
  bad += m.records;
  EXPECT_FALSE(ParseWalPayload(bad, &kinds, &records));
  std::string inconsistent = "\x02\x03\x00\x00";
  inconsistent += m.records.substr(0, wire::RecordsPrefixSize(m.records, 2));
  EXPECT_FALSE(ParseWalPayload(inconsistent, &kinds, &records));
  EXPECT_FALSE(ParseWalPayload("\x85", &kinds, &records));
  EXPECT_FALSE(ParseWalPayload("", &kinds, &records));
  EXPECT_FALSE(
      ParseWalPayload(payload.substr(0, payload.size() - 1), &kinds, &records));
}

class QueueKindsTest : public ::testing::TestWithParam<bool> {
 protected:
  WriteQueue::Options Options(const std::string& target) {
    WriteQueue::Options options;
    options.target = target;
    options.capacity = 1000;
    // Mixed calls straddle requests, so chunks are classified.
    options.max_samples_per_send = 3;
    options.batch_send_deadline = absl::Milliseconds(20);
    options.min_backoff = absl::Milliseconds(5);
    options.max_backoff = absl::Milliseconds(50);
    if (GetParam()) {
      std::string name =
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '-');
      const char* tmp = std::getenv("TEST_TMPDIR");
      options.wal_dir =
          absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/kinds-", name);
    }
    return options;
  }
};

TEST_P(QueueKindsTest, CountsEveryKindQueuedSentAndAcknowledged) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(Options(host.address()), registry, logger));
  Mixed a = MixedRecords(10);
  Mixed b = MixedRecords(7);
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(a.records, a.kinds));
  // Callers that do not say what they hold are classified.
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(b.records, 7));
  queue->Flush();
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(10)));
  RecordCounts all = a.kinds;
  all += b.kinds;
  for (int k = 0; k < kRecordKinds; ++k) {
    const std::string kind(RecordKindName(static_cast<RecordKind>(k)));
    EXPECT_EQ(ByKind(registry, "queued", kind), all.by_kind[k]) << kind;
    EXPECT_EQ(ByKind(registry, "sent", kind), all.by_kind[k]) << kind;
    EXPECT_EQ(ByKind(registry, "acked", kind), all.by_kind[k]) << kind;
  }
  EXPECT_EQ(Value(registry, "promscrape_remote_samples_sent_total", {}), 17);
}

TEST_P(QueueKindsTest, RejectedAndResentRecordsAreCountedByKind) {
  FakeRemoteWrite host(kHostServesV2);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(Options(host.address()), registry, logger));
  // The first request (2 samples, 1 histogram) breaks its stream once and is
  // resent, then stored.
  host.BreakNextStreams(1);
  Mixed a = MixedRecords(3);
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(a.records, a.kinds));
  queue->Flush();
  ASSERT_TRUE(host.WaitForSamples(2, absl::Seconds(10)));
  for (int i = 0; i < 200 && ByKind(registry, "acked", "histogram") < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(ByKind(registry, "retried", "sample"), 2);
  EXPECT_EQ(ByKind(registry, "retried", "histogram"), 1);
  EXPECT_EQ(ByKind(registry, "sent", "sample"), 2);
  // The host refuses the next for good: dropped, by kind and reason.
  host.RejectWith("out of order", static_cast<int>(absl::StatusCode::kInvalidArgument));
  Mixed b = MixedRecords(5);
  std::string tail = b.records.substr(wire::RecordsPrefixSize(b.records, 3));
  PROMSCRAPE_ASSERT_OK(queue->AppendRecords(tail, 2));  // exemplar, metadata
  queue->Flush();
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(10)));
  EXPECT_EQ(Value(registry, "promscrape_remote_records_dropped_total",
                  {{"kind", "exemplar"}, {"reason", "rejected"}}),
            1);
  EXPECT_EQ(Value(registry, "promscrape_remote_records_dropped_total",
                  {{"kind", "metadata"}, {"reason", "rejected"}}),
            1);
  EXPECT_EQ(ByKind(registry, "acked", "exemplar"), 0);
}

TEST(QueueKindsMemoryTest, QueueFullDropsAreCountedByKind) {
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options;
  options.target = "127.0.0.1:1";
  options.capacity = 4;
  options.max_samples_per_send = 10;
  options.min_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  Mixed m = MixedRecords(10);
  int64_t accepted = 0;
  EXPECT_FALSE(queue->AppendRecords(m.records, m.kinds, &accepted).ok());
  EXPECT_EQ(accepted, 4);
  // Records 4..9: metadata, sample, sample, histogram, exemplar, metadata.
  auto dropped = [&](const std::string& kind) {
    return Value(registry, "promscrape_remote_records_dropped_total",
                 {{"kind", kind}, {"reason", "queue_full"}});
  };
  EXPECT_EQ(dropped("sample"), 2);
  EXPECT_EQ(dropped("histogram"), 1);
  EXPECT_EQ(dropped("exemplar"), 1);
  EXPECT_EQ(dropped("metadata"), 2);
  EXPECT_FALSE(queue->Stop(absl::Milliseconds(10)).ok());
  // What was queued and never acknowledged is dropped at Stop.
  EXPECT_EQ(Value(registry, "promscrape_remote_records_dropped_total",
                  {{"kind", "sample"}, {"reason", "stopped"}}),
            2);
}

// With a log and a small memory queue, most records are read back from the
// log (their counts come from the log record's header) and still counted by
// kind when acknowledged.
TEST(QueueKindsWalTest, RecordsReadBackFromTheLogAreCountedByKind) {
  FakeRemoteWrite host(kHostServesV2);
  host.HoldAcks(true);
  metrics::Registry registry;
  Logger logger = QuietLogger();
  WriteQueue::Options options;
  options.target = host.address();
  options.capacity = 4;
  options.max_samples_per_send = 3;
  options.max_in_flight = 2;
  options.batch_send_deadline = absl::Milliseconds(20);
  options.min_backoff = absl::Milliseconds(5);
  options.max_backoff = absl::Milliseconds(50);
  const char* tmp = std::getenv("TEST_TMPDIR");
  options.wal_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/kinds-spill");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  RecordCounts all;
  for (int i = 0; i < 6; ++i) {
    Mixed m = MixedRecords(5 + i);
    PROMSCRAPE_ASSERT_OK(queue->AppendRecords(m.records, m.kinds));
    all += m.kinds;
  }
  host.HoldAcks(false);
  PROMSCRAPE_EXPECT_OK(queue->Stop(absl::Seconds(20)));
  EXPECT_EQ(queue->PendingSamples(), 0);
  for (int k = 0; k < kRecordKinds; ++k) {
    const std::string kind(RecordKindName(static_cast<RecordKind>(k)));
    EXPECT_EQ(ByKind(registry, "acked", kind), all.by_kind[k]) << kind;
  }
  EXPECT_GT(Value(registry, "promscrape_remote_wal_records_appended_total", {}),
            0);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutLog, QueueKindsTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Wal" : "Memory";
                         });

}  // namespace
}  // namespace promscrape::remote
