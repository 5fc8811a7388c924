// Crash recovery and corruption handling of plugin/remote/wal: torn tails,
// corrupt records and headers, missing segments and checkpoints.

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/crc32c.h"
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

// A segment as an earlier release wrote it (`version`) holding records
// [first, end) of 100 bytes.
std::string SegmentBytes(uint64_t first, uint64_t end, uint32_t version) {
  std::string bytes(kSegmentHeaderBytes, '\0');
  EncodeSegmentHeader(first, bytes.data(), version);
  for (uint64_t p = first; p < end; ++p) {
    const std::string payload = Payload(p);
    char header[kFrameHeaderBytes];
    EncodeFrameHeader(p, payload, header, version);
    bytes.append(header, sizeof header);
    bytes += payload;
  }
  return bytes;
}

TEST(FormatTest, FramesCarryCrc32cAndVersionOneFramesZlibCrc32) {
  const std::string payload = Payload(7, 10);
  char header[kFrameHeaderBytes];
  EncodeFrameHeader(7, payload, header);
  // Length and index (the checksum field skipped), then the payload.
  std::string covered(header, 4);
  covered.append(header + 8, 8);
  covered += payload;
  auto stored = [&header] {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(header[4 + i]);
    return v;
  };
  EXPECT_EQ(stored(), Crc32c(0, covered));
  EncodeFrameHeader(7, payload, header, kSegmentVersionCrc32);
  EXPECT_EQ(stored(), Crc32(0, covered));
}

TEST(FormatTest, ScanReadsEachVersionWithItsChecksum) {
  const std::string v1 = SegmentBytes(5, 9, kSegmentVersionCrc32);
  SegmentScan scan = ScanSegment(v1, 5);
  EXPECT_FALSE(scan.corrupt);
  EXPECT_EQ(scan.records, 4u);
  EXPECT_EQ(scan.valid_bytes, v1.size());
  const std::string v2 = SegmentBytes(5, 9, kSegmentVersion);
  scan = ScanSegment(v2, 5);
  EXPECT_FALSE(scan.corrupt);
  EXPECT_EQ(scan.records, 4u);

  // Version 1 frames under a version 2 header do not pass.
  std::string mixed = v1;
  std::string header(kSegmentHeaderBytes, '\0');
  EncodeSegmentHeader(5, header.data(), kSegmentVersion);
  mixed.replace(0, kSegmentHeaderBytes, header);
  scan = ScanSegment(mixed, 5);
  EXPECT_TRUE(scan.corrupt);
  EXPECT_EQ(scan.records, 0u);
  EXPECT_STREQ(scan.reason, "record checksum mismatch");

  EncodeSegmentHeader(5, header.data(), 3);
  mixed.replace(0, kSegmentHeaderBytes, header);
  scan = ScanSegment(mixed, 5);
  EXPECT_TRUE(scan.corrupt);
  EXPECT_STREQ(scan.reason, "unsupported segment version");
}

// A log left by an earlier release (version 1 segments) is replayed whole;
// new records go to version 2 segments, and both are read back in order,
// also after the next restart.
TEST(RecoveryTest, SegmentsOfTheEarlierFormatAreReplayed) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  std::filesystem::create_directories(dir);
  WriteFile(SegmentPath(dir, 1), SegmentBytes(1, 6, kSegmentVersionCrc32));
  {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
    EXPECT_EQ(wal->next_position(), 6u);
    AppendN(*wal, 3);
    EXPECT_THAT(Positions(ReadAll(*wal, 1)), ElementsAreArray(Range(1, 9)));
    const WriteAheadLog::Stats stats = wal->stats();
    EXPECT_EQ(stats.records_replayed, 5u);
    EXPECT_EQ(stats.torn_tails + stats.corrupt_records, 0u);
  }
  const std::string second = ReadFile(SegmentPath(dir, 6));
  ASSERT_GE(second.size(), kSegmentHeaderBytes);
  uint32_t version = 0;
  const char* reason = nullptr;
  ASSERT_TRUE(ParseSegmentHeader(second, 6, &reason, &version)) << reason;
  EXPECT_EQ(version, kSegmentVersion);

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto again, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*again, 1)), ElementsAreArray(Range(1, 9)));
  const WriteAheadLog::Stats stats = again->stats();
  EXPECT_EQ(stats.torn_tails + stats.corrupt_records, 0u);
}

}  // namespace
}  // namespace promscrape::remote::wal
