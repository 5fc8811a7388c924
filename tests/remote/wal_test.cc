#include "plugin/remote/wal/wal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/reader.h"
#include "tests/remote/wal_test_util.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::remote::wal {
namespace {

using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using namespace ::promscrape::remote::wal::testutil;  // NOLINT

TEST(WriteAheadLogTest, PositionsStartAtOneAndRecordsReadBack) {
  FakeClock clock;
  RecordingLogger log;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), {}, clock, log.logger()));
  EXPECT_EQ(wal->next_position(), 1u);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(uint64_t first, wal->Append("alpha"));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(uint64_t second, wal->Append(""));
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(second, 2u);
  // Buffered records are not visible until written.
  EXPECT_THAT(ReadAll(*wal, 1), SizeIs(0));
  PROMSCRAPE_ASSERT_OK(wal->Flush());
  auto records = ReadAll(*wal, 1);
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_EQ(records[0].second, "alpha");
  EXPECT_EQ(records[1].second, "");
  EXPECT_EQ(wal->stats().records_appended, 2u);
  EXPECT_EQ(wal->stats().bytes_appended, 2 * kFrameHeaderBytes + 5);
}

TEST(WriteAheadLogTest, AppendBatchFlushesAndReturnsFirstPosition) {
  FakeClock clock;
  RecordingLogger log;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), {}, clock, log.logger()));
  std::vector<absl::string_view> batch = {"a", "b", "c"};
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(uint64_t first, wal->AppendBatch(batch));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(uint64_t next, wal->AppendBatch(batch));
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(next, 4u);
  EXPECT_THAT(Positions(ReadAll(*wal, 2)), ElementsAre(2, 3, 4, 5, 6));
}

TEST(WriteAheadLogTest, ReplaysAcrossReopenAndPositionsContinue) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    AppendN(*wal, 20);
  }
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->stats().records_replayed, 20u);
  EXPECT_EQ(wal->next_position(), 21u);
  auto records = ReadAll(*wal, wal->acked_position());
  ASSERT_THAT(Positions(records), ElementsAreArray(Range(1, 21)));
  for (const auto& [position, bytes] : records) {
    EXPECT_EQ(bytes, Payload(position));
  }
  AppendN(*wal, 1);
  EXPECT_THAT(Positions(ReadAll(*wal, 20)), ElementsAre(20, 21));
}

TEST(WriteAheadLogTest, SegmentsRollAtSizeAndAreNamedByFirstPosition) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  AppendN(*wal, 20);
  EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000001.seg",
                                             "00000000000000000009.seg",
                                             "00000000000000000017.seg"));
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir, 1)), kFullSegment);
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.segments, 3u);
  EXPECT_EQ(stats.bytes_on_disk,
            2 * kFullSegment + kSegmentHeaderBytes + 4 * kFrame100);
  EXPECT_GE(stats.fsyncs, 2u);  // One per roll.
}

// Records of 4 KiB and more skip the buffer: written at once (after what
// was buffered before them), in order with the small ones around them.
TEST(WriteAheadLogTest, LargeRecordsAreWrittenAtOnceInOrder) {
  FakeClock clock;
  RecordingLogger log;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), {}, clock, log.logger()));
  ASSERT_TRUE(wal->Append(Payload(1, 10)).ok());
  EXPECT_EQ(wal->written_position(), 1u);  // Buffered.
  ASSERT_TRUE(wal->Append(Payload(2, 5000)).ok());
  EXPECT_EQ(wal->written_position(), 3u);  // Both written.
  ASSERT_TRUE(wal->Append(Payload(3, 10)).ok());
  EXPECT_EQ(wal->written_position(), 3u);
  PROMSCRAPE_ASSERT_OK(wal->Flush());
  const auto records = ReadAll(*wal, 1);
  ASSERT_THAT(Positions(records), ElementsAre(1, 2, 3));
  EXPECT_EQ(records[0].second, Payload(1, 10));
  EXPECT_EQ(records[1].second, Payload(2, 5000));
  EXPECT_EQ(records[2].second, Payload(3, 10));
}

// A record appended in pieces is their concatenation, buffered or (larger
// than the buffer) written directly, in a new file and in a reused one.
TEST(WriteAheadLogTest, RecordInPiecesReadsBackWhole) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  std::vector<std::string> want;
  auto append = [&](const std::string& a, const std::string& b) {
    const absl::string_view pieces[2] = {a, b};
    absl::StatusOr<uint64_t> p = wal->AppendPieces(pieces);
    ASSERT_TRUE(p.ok()) << p.status();
    want.push_back(a + b);
    PROMSCRAPE_ASSERT_OK(wal->Flush());
  };
  append("head-", "tail");
  append("", std::string(600, 'x'));  // Beyond the 512-byte buffer.
  append(std::string(300, 'y'), std::string(300, 'z'));
  AppendN(*wal, 16);
  wal->Ack(wal->next_position());
  PROMSCRAPE_ASSERT_OK(wal->Sync());  // Recycles the first segment.
  const uint64_t reused_from = wal->next_position();
  for (int i = 0; i < 8; ++i) {
    append(std::string(20, 'a' + i), std::string(i * 100, 'b' + i));
  }
  EXPECT_GE(wal->stats().segments_reused, 1u);
  std::vector<std::string> got;
  for (const auto& r : ReadAll(*wal, 1)) got.push_back(r.second);
  const std::vector<std::string> head(want.begin(), want.begin() + 3);
  EXPECT_THAT(std::vector<std::string>(got.begin(), got.begin() + 3),
              Not(ElementsAreArray(head)));  // Acked and deleted.
  got.clear();
  for (const auto& r : ReadAll(*wal, reused_from)) got.push_back(r.second);
  const std::vector<std::string> tail(want.end() - 8, want.end());
  EXPECT_THAT(got, ElementsAreArray(tail));
  const absl::string_view too_many[3] = {"a", "b", "c"};
  EXPECT_THAT(wal->AppendPieces(too_many).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pieces")));
  wal.reset();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  got.clear();
  for (const auto& r : ReadAll(*wal, reused_from)) got.push_back(r.second);
  EXPECT_THAT(got, ElementsAreArray(tail));
  EXPECT_EQ(wal->stats().corrupt_records, 0u);
  EXPECT_EQ(wal->stats().torn_tails, 0u);
}

TEST(WriteAheadLogTest, RecordLargerThanBufferAndSegmentIsWrittenWhole) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  AppendN(*wal, 1);
  const std::string big = Payload(2, 5000);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(uint64_t position, wal->Append(big));
  AppendN(*wal, 1);
  auto records = ReadAll(*wal, 1);
  ASSERT_THAT(Positions(records), ElementsAre(1, 2, 3));
  EXPECT_EQ(position, 2u);
  EXPECT_EQ(records[1].second, big);
  EXPECT_THAT(SegmentFiles(dir), SizeIs(3));
}

TEST(WriteAheadLogTest, AckTruncatesSegmentsAndReopenReplaysFromAck) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    AppendN(*wal, 20);
    wal->Ack(12);
    EXPECT_THAT(SegmentFiles(dir), SizeIs(3));  // Ack alone does no I/O.
    PROMSCRAPE_ASSERT_OK(wal->Sync());
    EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000009.seg",
                                               "00000000000000000017.seg"));
    WriteAheadLog::Stats stats = wal->stats();
    EXPECT_EQ(stats.segments_truncated, 1u);
    EXPECT_EQ(stats.checkpointed_position, 12u);
    EXPECT_EQ(stats.first_position, 9u);
  }
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->acked_position(), 12u);
  EXPECT_EQ(wal->stats().records_replayed, 9u);  // 12..20
  uint64_t lost = 0;
  EXPECT_THAT(Positions(ReadAll(*wal, wal->acked_position(), &lost)),
              ElementsAreArray(Range(12, 21)));
  EXPECT_EQ(lost, 0u);
  // Reading below the ack from a deleted segment is not a loss either.
  EXPECT_THAT(ReadAll(*wal, 1, &lost), SizeIs(12));
  EXPECT_EQ(lost, 0u);
}

TEST(WriteAheadLogTest, MaybeSyncCheckpointsOncePerInterval) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.checkpoint_interval = absl::Seconds(10);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 20);
  wal->Ack(20);
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  EXPECT_EQ(wal->stats().checkpointed_position, 1u);
  clock.Advance(absl::Seconds(10));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  EXPECT_EQ(wal->stats().checkpointed_position, 20u);
  EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000017.seg"));
}

TEST(WriteAheadLogTest, FsyncFollowsTheInterval) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options;
  options.fsync_interval = absl::Seconds(1);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  const uint64_t base = wal->stats().fsyncs;
  AppendN(*wal, 3);
  AppendN(*wal, 3);
  EXPECT_EQ(wal->stats().fsyncs, base);
  clock.Advance(absl::Seconds(1));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  EXPECT_EQ(wal->stats().fsyncs, base + 1);
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());  // Nothing new to sync.
  EXPECT_EQ(wal->stats().fsyncs, base + 1);
}

// With background_sync the appending side never fsyncs, however late it is;
// MaybeSync (the owner's sync thread) does, and Sync always does.
TEST(WriteAheadLogTest, BackgroundSyncKeepsFsyncOffTheAppendPath) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options;
  options.fsync_interval = absl::Seconds(1);
  options.background_sync = true;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  const uint64_t base = wal->stats().fsyncs;
  AppendN(*wal, 3);
  clock.Advance(absl::Seconds(5));
  AppendN(*wal, 3);
  PROMSCRAPE_ASSERT_OK(wal->Flush());
  EXPECT_EQ(wal->stats().fsyncs, base);
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  EXPECT_EQ(wal->stats().fsyncs, base + 1);
  AppendN(*wal, 1);
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  EXPECT_EQ(wal->stats().fsyncs, base + 2);
}

// A roll under background_sync fsyncs nothing on the appending thread: the
// closed segments, the new segment's directory entry and the checkpoint wait
// for MaybeSync (or Sync), which does them all.
TEST(WriteAheadLogTest, BackgroundSyncLeavesARollsFsyncsToMaybeSync) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.fsync_interval = absl::Seconds(1);
  options.background_sync = true;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  const WriteAheadLog::Stats base = wal->stats();
  AppendN(*wal, 20);  // Rolls at 9 and 17.
  wal->Ack(12);
  AppendN(*wal, 1);
  EXPECT_EQ(wal->stats().fsyncs, base.fsyncs);
  EXPECT_EQ(wal->stats().checkpoints, base.checkpoints);
  EXPECT_THAT(SegmentFiles(dir), SizeIs(3));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());  // The two closed segments.
  EXPECT_EQ(wal->stats().fsyncs, base.fsyncs + 2);
  clock.Advance(absl::Seconds(2));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());  // The active one, the checkpoint.
  EXPECT_EQ(wal->stats().fsyncs, base.fsyncs + 3);
  EXPECT_EQ(wal->stats().checkpointed_position, 12u);
  EXPECT_THAT(SegmentFiles(dir), SizeIs(2));
  AppendN(*wal, 8);  // Rolls at 25.
  PROMSCRAPE_ASSERT_OK(wal->Sync());  // The closed one and the active one.
  EXPECT_EQ(wal->stats().fsyncs, base.fsyncs + 5);
  wal.reset();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 12)), ElementsAreArray(Range(12, 30)));
}

// MaybeSync from another thread while a writer appends (the plugin's sync
// thread and a scrape's Commit): every record is readable afterwards, the
// ack is checkpointed, and positions stay dense. Run under TSAN in CI.
TEST(WriteAheadLogTest, MaybeSyncConcurrentWithAppends) {
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.fsync_interval = absl::Milliseconds(1);
  options.checkpoint_interval = absl::Milliseconds(1);
  options.background_sync = true;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, Clock::Real(), log.logger()));
  std::atomic<bool> done{false};
  std::thread syncer([&] {
    while (!done.load()) {
      PROMSCRAPE_EXPECT_OK(wal->MaybeSync());
      wal->Ack(wal->written_position() / 2);
    }
  });
  for (int i = 0; i < 300; ++i) AppendN(*wal, 1);
  done.store(true);
  syncer.join();
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  EXPECT_EQ(wal->written_position(), 301u);
  EXPECT_GT(wal->stats().fsyncs, 0u);
  EXPECT_GE(wal->stats().checkpointed_position, wal->acked_position());
  Reader reader(*wal, wal->acked_position());
  Reader::Record record;
  uint64_t expect = wal->acked_position();
  while (true) {
    absl::StatusOr<bool> got = reader.Next(&record);
    PROMSCRAPE_ASSERT_OK(got.status());
    if (!*got) break;
    EXPECT_EQ(record.position, expect++);
  }
  EXPECT_EQ(expect, 301u);
}

TEST(WriteAheadLogTest, ZeroFsyncIntervalSyncsEveryFlush) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options;
  options.fsync_interval = absl::ZeroDuration();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  const uint64_t base = wal->stats().fsyncs;
  AppendN(*wal, 3);
  AppendN(*wal, 3);
  EXPECT_EQ(wal->stats().fsyncs, base + 2);
}

TEST(WriteAheadLogTest, MaxBytesDeletesOldestUnackedSegmentsAndCounts) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.max_bytes = 2048;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 100);
  // 13 segments were started; one closed segment plus the active one fit.
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.segments, 2u);
  EXPECT_LE(stats.bytes_on_disk, options.max_bytes);
  EXPECT_EQ(stats.dropped_records_max_bytes, 88u);
  EXPECT_EQ(stats.dropped_bytes_max_bytes, 11 * kFullSegment);
  EXPECT_EQ(stats.dropped_records_max_age, 0u);
  EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000089.seg",
                                             "00000000000000000097.seg"));
  EXPECT_THAT(log.text(),
              HasSubstr("max_bytes exceeded: deleting \"" +
                        SegmentPath(dir, 1) + "\" with 8 unacked records"));
}

TEST(WriteAheadLogTest, AckedSegmentsDeletedByMaxBytesAreNotDrops) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options = SmallSegments();
  options.max_bytes = 2048;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  AppendN(*wal, 8);
  wal->Ack(5);
  AppendN(*wal, 16);  // Rolls twice; segment 1 (5..8 unacked) goes.
  EXPECT_EQ(wal->stats().dropped_records_max_bytes, 4u);
}

TEST(WriteAheadLogTest, MaxAgeDeletesOldSegmentsIncludingAnIdleActiveOne) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.max_age = absl::Minutes(1);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 8);
  clock.Advance(absl::Minutes(2));
  AppendN(*wal, 8);  // Position 9 rolls; segment 1 is too old.
  EXPECT_EQ(wal->stats().dropped_records_max_age, 8u);
  EXPECT_EQ(wal->stats().dropped_bytes_max_age, kFullSegment);

  wal->Ack(13);
  clock.Advance(absl::Seconds(30));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  EXPECT_THAT(SegmentFiles(dir), SizeIs(1));  // Not old yet.
  clock.Advance(absl::Seconds(31));
  PROMSCRAPE_ASSERT_OK(wal->MaybeSync());
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.dropped_records_max_age, 8u + 4u);  // 13..16 were unacked.
  EXPECT_EQ(stats.dropped_records_max_bytes, 0u);
  EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000017.seg"));
  EXPECT_EQ(wal->next_position(), 17u);
  EXPECT_THAT(log.text(), HasSubstr("max_age exceeded"));
}

TEST(ReaderTest, SkipsRecordsDeletedUnderItAndReportsTheLoss) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options = SmallSegments();
  options.max_bytes = 2048;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  AppendN(*wal, 4);
  Reader reader(*wal, 1);
  Reader::Record record;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(bool more, reader.Next(&record));
  ASSERT_TRUE(more);
  EXPECT_EQ(record.position, 1u);
  AppendN(*wal, 96);  // Positions 1..88 are deleted.
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(more, reader.Next(&record));
  ASSERT_TRUE(more);
  EXPECT_EQ(record.position, 89u);
  EXPECT_EQ(record.bytes, Payload(89));
  EXPECT_EQ(reader.lost_records(), 87u);  // 2..88
}

TEST(ReaderTest, SeekBackRereadsAndEndOfLogIsNotAnError) {
  FakeClock clock;
  RecordingLogger log;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal,
      WriteAheadLog::Open(TestDir(), SmallSegments(), clock, log.logger()));
  AppendN(*wal, 12);
  Reader reader(*wal, 10);
  Reader::Record record;
  for (uint64_t want : {10, 11, 12}) {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(bool more, reader.Next(&record));
    ASSERT_TRUE(more);
    EXPECT_EQ(record.position, want);
  }
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(bool more, reader.Next(&record));
  EXPECT_FALSE(more);
  reader.Seek(3);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(more, reader.Next(&record));
  ASSERT_TRUE(more);
  EXPECT_EQ(record.position, 3u);
  EXPECT_EQ(record.bytes, Payload(3));
  AppendN(*wal, 1);
  reader.Seek(13);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(more, reader.Next(&record));
  ASSERT_TRUE(more);
  EXPECT_EQ(record.position, 13u);
  EXPECT_EQ(reader.lost_records(), 0u);
}

// Under --config=tsan: the writer appends, rolls, syncs and deletes acked
// segments while the reader reads and acks.
TEST(ReaderTest, ReadsConcurrentlyWithTheWriter) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options;
  options.segment_bytes = 16384;
  options.write_buffer_bytes = 1024;
  options.checkpoint_interval = absl::ZeroDuration();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  constexpr uint64_t kRecords = 20000;
  std::thread writer([&] {
    std::vector<std::string> payloads;
    std::vector<absl::string_view> batch;
    for (uint64_t p = 1; p <= kRecords;) {
      payloads.clear();
      batch.clear();
      for (int i = 0; i < 10 && p <= kRecords; ++i, ++p) {
        payloads.push_back(Payload(p, 20 + p % 80));
      }
      for (const std::string& s : payloads) batch.push_back(s);
      ASSERT_TRUE(wal->AppendBatch(batch).ok());
      if (p % 1000 == 1) {
        ASSERT_TRUE(wal->MaybeSync().ok());
      }
    }
  });
  Reader reader(*wal, 1);
  Reader::Record record;
  uint64_t want = 1;
  while (want <= kRecords) {
    absl::StatusOr<bool> more = reader.Next(&record);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(record.position, want);
    ASSERT_EQ(record.bytes, Payload(want, 20 + want % 80));
    ++want;
    if (want % 100 == 0) wal->Ack(want);
  }
  writer.join();
  EXPECT_EQ(reader.lost_records(), 0u);
  EXPECT_EQ(wal->stats().records_appended, kRecords);
  EXPECT_GT(wal->stats().segments_truncated, 0u);
}

// Under --config=tsan: every record is either read once, in order, or
// counted as lost, while max_bytes deletes segments under the reader (how
// many depends on timing; SkipsRecordsDeletedUnderIt pins the accounting).
TEST(ReaderTest, AccountsForEveryRecordWhileBoundsDeleteConcurrently) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options = SmallSegments();
  options.max_bytes = 2048;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), options, clock, log.logger()));
  constexpr uint64_t kRecords = 5000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t p = 1; p <= kRecords; ++p) {
      ASSERT_TRUE(wal->Append(Payload(p)).ok());
      if (p % 3 == 0) {
        ASSERT_TRUE(wal->Flush().ok());
      }
    }
    ASSERT_TRUE(wal->Flush().ok());
    done = true;
  });
  Reader reader(*wal, 1);
  Reader::Record record;
  uint64_t read = 0, last = 0;
  for (;;) {
    const bool finished = done;
    absl::StatusOr<bool> more = reader.Next(&record);
    ASSERT_TRUE(more.ok()) << more.status();
    if (*more) {
      ASSERT_GT(record.position, last);
      ASSERT_EQ(record.bytes, Payload(record.position));
      last = record.position;
      ++read;
    } else if (finished) {
      break;
    } else {
      std::this_thread::yield();
    }
  }
  writer.join();
  EXPECT_EQ(last, kRecords);
  EXPECT_EQ(read + reader.lost_records(), kRecords);
  EXPECT_LE(reader.lost_records(), wal->stats().dropped_records_max_bytes);
}

TEST(WriteAheadLogTest, OpenCreatesTheDirectoryWithParents) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir() + "/a/b/wal/";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, {}, clock, log.logger()));
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(wal->dir(), dir.substr(0, dir.size() - 1));
}

TEST(WriteAheadLogTest, OpenOnAFileFailsClearly) {
  FakeClock clock;
  RecordingLogger log;
  const std::string path = TestDir();
  WriteFile(path, "not a directory");
  EXPECT_THAT(WriteAheadLog::Open(path, {}, clock, log.logger()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"" + path + "\" is not a directory")));
}

TEST(WriteAheadLogTest, SecondOpenOfTheSameDirectoryFails) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, {}, clock, log.logger()));
  EXPECT_THAT(WriteAheadLog::Open(dir, {}, clock, log.logger()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("in use by another log")));
}

TEST(WriteAheadLogTest, UnwritableDirectoryIsPermissionDeniedWithThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0500);
  EXPECT_THAT(WriteAheadLog::Open(dir, {}, clock, log.logger()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(dir)));
  ::chmod(dir.c_str(), 0700);
}

TEST(WriteAheadLogTest, DirectoryThatCannotBeCreatedIsAnErrorWithThePath) {
  FakeClock clock;
  RecordingLogger log;
  // sysfs refuses mkdir even to root (EPERM).
  EXPECT_THAT(
      WriteAheadLog::Open("/sys/promscrape-wal-test", {}, clock, log.logger()),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("mkdir \"/sys/promscrape-wal-test\"")));
}

TEST(WriteAheadLogTest, BadOptionsAndUseAfterCloseAreErrors) {
  FakeClock clock;
  RecordingLogger log;
  WriteAheadLog::Options options;
  options.segment_bytes = 1 << 20;
  options.max_bytes = 1 << 20;
  EXPECT_THAT(WriteAheadLog::Open(TestDir(), options, clock, log.logger()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("below twice segment_bytes")));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(TestDir(), {}, clock, log.logger()));
  PROMSCRAPE_ASSERT_OK(wal->Close());
  PROMSCRAPE_ASSERT_OK(wal->Close());
  EXPECT_THAT(wal->Append("x"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("closed")));
}

}  // namespace
}  // namespace promscrape::remote::wal
