// Crash recovery and corruption handling of plugin/remote/wal: torn tails,
// corrupt records and headers, missing segments and checkpoints.

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/reader.h"
#include "plugin/remote/wal/wal.h"
#include "tests/remote/wal_test_util.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::remote::wal {
namespace {

using ::promscrape::testing::FakeClock;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using namespace ::promscrape::remote::wal::testutil;  // NOLINT

// Writes `n` records of 100 bytes in 8-record segments and returns a copy
// of the directory as a crash would leave it.
std::string CrashedLog(int n, const Logger& logger, FakeClock& clock) {
  const std::string dir = TestDir();
  auto wal = WriteAheadLog::Open(dir, SmallSegments(), clock, logger);
  EXPECT_TRUE(wal.ok()) << wal.status();
  AppendN(**wal, n);
  return CrashCopy(dir);
}

// Offset of the frame of `position` in segment `first` (full 100-byte
// records).
uint64_t FrameOffset(uint64_t first, uint64_t position) {
  return kSegmentHeaderBytes + (position - first) * kFrame100;
}

TEST(RecoveryTest, CrashLosesNothingWritten) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(20, log.logger(), clock);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAreArray(Range(1, 21)));
  EXPECT_EQ(wal->next_position(), 21u);
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.torn_tails + stats.corrupt_records, 0u);
}

TEST(RecoveryTest, AckedButNotCheckpointedRecordsAreDeliveredAgain) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  AppendN(*wal, 10);
  wal->Ack(4);
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  wal->Ack(8);  // Not checkpointed before the crash.
  const std::string copy = CrashCopy(dir);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto recovered,
      WriteAheadLog::Open(copy, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(recovered->acked_position(), 4u);
  EXPECT_THAT(Positions(ReadAll(*recovered, recovered->acked_position())),
              ElementsAreArray(Range(4, 11)));
}

TEST(RecoveryTest, TornTailPartialRecordIsTruncated) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(20, log.logger(), clock);
  const std::string last = SegmentPath(dir, 17);
  const uint64_t size = std::filesystem::file_size(last);
  std::filesystem::resize_file(last, size - 50);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAreArray(Range(1, 20)));
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.torn_tails, 1u);
  EXPECT_EQ(stats.torn_tail_bytes, kFrame100 - 50);
  EXPECT_EQ(stats.corrupt_records, 0u);
  EXPECT_EQ(std::filesystem::file_size(last), size - kFrame100);
  EXPECT_THAT(log.text(), HasSubstr("torn tail in \"" + last + "\" at offset " +
                                    std::to_string(size - kFrame100)));
  // The torn record was never durable nor acked (an ack past it would keep
  // the next position beyond it), so its position is given out again.
  EXPECT_EQ(wal->next_position(), 20u);
  AppendN(*wal, 1);
  EXPECT_THAT(Positions(ReadAll(*wal, 19)), ElementsAre(19, 20));
}

TEST(RecoveryTest, TornTailBadChecksumOfLastRecordIsTruncated) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(20, log.logger(), clock);
  const std::string last = SegmentPath(dir, 17);
  FlipByte(last, FrameOffset(17, 20) + 4);  // The crc field.
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAreArray(Range(1, 20)));
  EXPECT_EQ(wal->stats().torn_tails, 1u);
  EXPECT_EQ(wal->stats().torn_tail_bytes, kFrame100);
  EXPECT_THAT(log.text(), HasSubstr("record checksum mismatch"));
}

TEST(RecoveryTest, CorruptMiddleRecordSkipsTheRestOfItsSegment) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(24, log.logger(), clock);
  FlipByte(SegmentPath(dir, 1), FrameOffset(1, 4) + kFrameHeaderBytes + 5);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  uint64_t lost = 0;
  std::vector<uint64_t> want = {1, 2, 3};
  for (uint64_t p = 9; p <= 24; ++p) want.push_back(p);
  EXPECT_THAT(Positions(ReadAll(*wal, 1, &lost)), ElementsAreArray(want));
  EXPECT_EQ(lost, 5u);
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.corrupt_records, 5u);
  EXPECT_EQ(stats.corrupt_bytes, 5 * kFrame100);
  EXPECT_EQ(stats.torn_tails, 0u);
  EXPECT_EQ(stats.records_replayed, 19u);
  EXPECT_THAT(log.text(),
              HasSubstr("corrupt segment \"" + SegmentPath(dir, 1) +
                        "\" at offset " + std::to_string(FrameOffset(1, 4))));
}

TEST(RecoveryTest, CorruptRecordInTheLastSegmentKeepsPositionsMonotonic) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(20, log.logger(), clock);
  // Frames after the bad one still check out: corruption, not a torn tail.
  FlipByte(SegmentPath(dir, 17), FrameOffset(17, 18) + kFrameHeaderBytes);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->stats().torn_tails, 0u);
  EXPECT_EQ(wal->stats().corrupt_records, 3u);  // 18, 19, 20
  EXPECT_EQ(wal->next_position(), 21u);
  AppendN(*wal, 1);
  uint64_t lost = 0;
  EXPECT_THAT(Positions(ReadAll(*wal, 16, &lost)), ElementsAre(16, 17, 21));
  EXPECT_EQ(lost, 3u);
}

TEST(RecoveryTest, CorruptSegmentHeaderSkipsTheSegment) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(24, log.logger(), clock);
  FlipByte(SegmentPath(dir, 9), 0);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  uint64_t lost = 0;
  std::vector<uint64_t> want = Range(1, 9);
  for (uint64_t p = 17; p <= 24; ++p) want.push_back(p);
  EXPECT_THAT(Positions(ReadAll(*wal, 1, &lost)), ElementsAreArray(want));
  EXPECT_EQ(lost, 8u);
  EXPECT_EQ(wal->stats().corrupt_records, 8u);
  EXPECT_EQ(wal->stats().corrupt_bytes, kFullSegment);
  EXPECT_THAT(log.text(), HasSubstr("bad segment magic"));
}

TEST(RecoveryTest, EmptyNewestSegmentFromACrashDuringRollIsRemoved) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(8, log.logger(), clock);
  WriteFile(SegmentPath(dir, 9), "");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->next_position(), 9u);
  AppendN(*wal, 1);
  EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAreArray(Range(1, 10)));
}

TEST(RecoveryTest, MissingSegmentIsLoggedAndSkipped) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = CrashedLog(24, log.logger(), clock);
  std::filesystem::remove(SegmentPath(dir, 9));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  uint64_t lost = 0;
  EXPECT_THAT(ReadAll(*wal, 1, &lost), SizeIs(16));
  EXPECT_EQ(lost, 8u);
  EXPECT_EQ(wal->stats().missing_records, 8u);
  EXPECT_THAT(log.text(), HasSubstr("records [9, 17) are missing"));
}

TEST(RecoveryTest, MissingCheckpointReplaysEverythingPresent) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    AppendN(*wal, 20);
    wal->Ack(12);
  }
  std::filesystem::remove(dir + "/checkpoint");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->stats().checkpoint_errors, 0u);
  EXPECT_EQ(wal->acked_position(), 1u);
  EXPECT_THAT(Positions(ReadAll(*wal, wal->acked_position())),
              ElementsAreArray(Range(9, 21)));
}

TEST(RecoveryTest, CorruptCheckpointReplaysEverythingPresent) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    AppendN(*wal, 20);
    wal->Ack(12);
  }
  FlipByte(dir + "/checkpoint", 10);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->stats().checkpoint_errors, 1u);
  EXPECT_THAT(Positions(ReadAll(*wal, wal->acked_position())),
              ElementsAreArray(Range(9, 21)));
  EXPECT_THAT(log.text(), HasSubstr("checkpoint checksum mismatch"));
  // A good checkpoint is written again at once.
  Checkpoint checkpoint;
  const char* reason = nullptr;
  EXPECT_TRUE(
      ParseCheckpoint(ReadFile(dir + "/checkpoint"), &checkpoint, &reason));
  EXPECT_EQ(checkpoint.next_index, 21u);
}

TEST(RecoveryTest, PositionsStayMonotonicWhenEverySegmentIsGone) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    AppendN(*wal, 20);
    wal->Ack(21);
  }
  for (const std::string& name : SegmentFiles(dir)) {
    std::filesystem::remove(dir + "/" + name);
  }
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal,
        WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    EXPECT_EQ(wal->next_position(), 21u);
    EXPECT_EQ(wal->stats().records_replayed, 0u);
    AppendN(*wal, 3);
  }
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_EQ(wal->next_position(), 24u);
  EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAre(21, 22, 23));
}

TEST(RecoveryTest, ReaderSkipsASegmentCorruptedAfterOpen) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  AppendN(*wal, 24);
  FlipByte(SegmentPath(dir, 9), FrameOffset(9, 12) + kFrameHeaderBytes);
  uint64_t lost = 0;
  auto records = ReadAll(*wal, 1, &lost);
  std::vector<uint64_t> want = Range(1, 12);
  for (uint64_t p = 17; p <= 24; ++p) want.push_back(p);
  EXPECT_THAT(Positions(records), ElementsAreArray(want));
  EXPECT_EQ(lost, 5u);
  EXPECT_EQ(wal->stats().corrupt_records, 5u);
  EXPECT_THAT(log.text(), HasSubstr("reader found \"" + SegmentPath(dir, 9) +
                                    "\" corrupt at offset " +
                                    std::to_string(FrameOffset(9, 12))));
}

TEST(FormatTest, SegmentFileNames) {
  EXPECT_EQ(SegmentFileName(1), "00000000000000000001.seg");
  uint64_t first = 0;
  EXPECT_TRUE(ParseSegmentFileName("00000000000000000042.seg", &first));
  EXPECT_EQ(first, 42u);
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000042.seg", &first));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000004x.seg", &first));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.seg", &first));
  EXPECT_FALSE(ParseSegmentFileName("checkpoint", &first));
}

TEST(FormatTest, ScanFindsFramesAfterGarbage) {
  std::string bytes(kSegmentHeaderBytes, '\0');
  EncodeSegmentHeader(5, bytes.data());
  for (uint64_t p = 5; p < 9; ++p) {
    if (p == 7) bytes += "garbage";
    const std::string payload = Payload(p, 10);
    char header[kFrameHeaderBytes];
    EncodeFrameHeader(p, payload, header);
    bytes.append(header, sizeof header);
    bytes += payload;
  }
  SegmentScan scan = ScanSegment(bytes, 5);
  EXPECT_EQ(scan.records, 2u);
  EXPECT_TRUE(scan.corrupt);
  EXPECT_EQ(scan.frames_after, 2u);
  EXPECT_EQ(scan.max_index_after, 8u);
  EXPECT_FALSE(ScanSegment(bytes.substr(0, scan.valid_bytes), 5).corrupt);
  EXPECT_TRUE(ScanSegment(bytes, 6).corrupt);  // Header names another first.
}

}  // namespace
}  // namespace promscrape::remote::wal
