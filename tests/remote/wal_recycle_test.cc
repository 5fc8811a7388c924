// Reuse of acknowledged segment files by plugin/remote/wal (wal.h,
// Recycling): the old bytes of a reused file never read as records, after a
// clean close, a crash, a torn write, or under a reader.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
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
using ::testing::IsEmpty;
using ::testing::Not;
using namespace ::promscrape::remote::wal::testutil;  // NOLINT

// The recycled files in `dir`, sorted.
std::vector<std::string> RecycledFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(std::string(kRecycledFilePrefix), 0) == 0) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ino_t Inode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// A log with segments 1, 9 and 17 acked up to 17 and synced: segment 1's
// file is recycled, segment 9's deleted (one file is kept).
std::unique_ptr<WriteAheadLog> LogWithARecycledFile(const std::string& dir,
                                                    FakeClock& clock,
                                                    const Logger& logger) {
  auto wal = WriteAheadLog::Open(dir, SmallSegments(), clock, logger);
  EXPECT_TRUE(wal.ok()) << wal.status();
  AppendN(**wal, 20);
  (*wal)->Ack(17);
  EXPECT_TRUE((*wal)->Sync().ok());
  return std::move(*wal);
}

TEST(RecycleTest, AnAcknowledgedSegmentFileBecomesTheNextSegment) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  auto wal = LogWithARecycledFile(dir, clock, log.logger());
  EXPECT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000017.seg"));
  EXPECT_THAT(RecycledFiles(dir),
              ElementsAre("recycled-00000000000000000001.seg"));
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.recycled_files, 1u);
  EXPECT_EQ(stats.recycled_bytes, kFullSegment);
  EXPECT_EQ(stats.segments_truncated, 2u);
  const ino_t inode = Inode(dir + "/recycled-00000000000000000001.seg");

  // 21..24 fill segment 17; 25 starts a segment in the recycled file, whose
  // old records (1..8) lie past the three new ones.
  AppendN(*wal, 7);
  EXPECT_THAT(RecycledFiles(dir), IsEmpty());
  EXPECT_EQ(Inode(SegmentPath(dir, 25)), inode);
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir, 25)), kFullSegment);
  EXPECT_EQ(wal->stats().segments_reused, 1u);
  EXPECT_THAT(Positions(ReadAll(*wal, 17)), ElementsAreArray(Range(17, 28)));

  // Closed, the segment holds its records and nothing else.
  AppendN(*wal, 6);  // 28..32 fill it, 33 rolls.
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir, 25)), kFullSegment);
  AppendN(*wal, 1);
  wal.reset();
  EXPECT_EQ(std::filesystem::file_size(SegmentPath(dir, 33)),
            kSegmentHeaderBytes + 2 * kFrame100);

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 17)), ElementsAreArray(Range(17, 35)));
  stats = wal->stats();
  EXPECT_EQ(stats.torn_tails, 0u);
  EXPECT_EQ(stats.corrupt_records, 0u);
  EXPECT_EQ(stats.records_replayed, 18u);
}

TEST(RecycleTest, ACrashInAReusedSegmentLosesNothingAndReportsNothing) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  auto wal = LogWithARecycledFile(dir, clock, log.logger());
  AppendN(*wal, 6);  // 21..24, then 25 and 26 in the reused file.
  const std::string crashed = CrashCopy(dir);
  const std::string reused = SegmentPath(crashed, 25);
  EXPECT_EQ(std::filesystem::file_size(reused), kFullSegment);

  RecordingLogger log2;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto reopened,
      WriteAheadLog::Open(crashed, SmallSegments(), clock, log2.logger()));
  EXPECT_THAT(Positions(ReadAll(*reopened, 17)),
              ElementsAreArray(Range(17, 27)));
  WriteAheadLog::Stats stats = reopened->stats();
  EXPECT_EQ(stats.torn_tails, 0u);
  EXPECT_EQ(stats.corrupt_records, 0u);
  EXPECT_EQ(reopened->next_position(), 27u);
  // The old bytes are cut off.
  EXPECT_EQ(std::filesystem::file_size(reused),
            kSegmentHeaderBytes + 2 * kFrame100);
  EXPECT_THAT(log2.text(), Not(HasSubstr("torn")));
  EXPECT_THAT(log2.text(), Not(HasSubstr("corrupt")));
}

TEST(RecycleTest, ATornWriteInAReusedSegmentIsATornTailAndOldRecordsStayGone) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  auto wal = LogWithARecycledFile(dir, clock, log.logger());
  AppendN(*wal, 6);
  const std::string crashed = CrashCopy(dir);
  const std::string reused = SegmentPath(crashed, 25);
  // Record 26 torn: its crc no longer matches, and the end marker after it
  // never made it (old record 3's frame follows).
  const uint64_t frame26 = kSegmentHeaderBytes + kFrame100;
  FlipByte(reused, frame26 + 4);
  std::string bytes = ReadFile(reused);
  bytes.replace(frame26 + kFrame100, kEndMarkerBytes, "torn-torn-torn-!");
  WriteFile(reused, bytes);

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto reopened,
      WriteAheadLog::Open(crashed, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*reopened, 17)),
              ElementsAreArray(Range(17, 26)));
  WriteAheadLog::Stats stats = reopened->stats();
  EXPECT_EQ(stats.torn_tails, 1u);
  EXPECT_EQ(stats.corrupt_records, 0u);
  EXPECT_EQ(std::filesystem::file_size(reused), frame26);
  EXPECT_EQ(reopened->next_position(), 26u);
}

TEST(RecycleTest, RecycledFilesOfAnEarlierRunAreReused) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  LogWithARecycledFile(dir, clock, log.logger()).reset();
  // Close keeps the recycled file; the next run starts its segment in it.
  EXPECT_THAT(RecycledFiles(dir),
              ElementsAre("recycled-00000000000000000001.seg"));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(RecycledFiles(dir), IsEmpty());
  EXPECT_EQ(wal->stats().segments_reused, 1u);
  AppendN(*wal, 3);
  EXPECT_THAT(Positions(ReadAll(*wal, 17)), ElementsAreArray(Range(17, 24)));
  wal.reset();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      wal, WriteAheadLog::Open(dir, SmallSegments(), clock, log.logger()));
  EXPECT_THAT(Positions(ReadAll(*wal, 17)), ElementsAreArray(Range(17, 24)));
  EXPECT_EQ(wal->stats().corrupt_records, 0u);
  EXPECT_EQ(wal->stats().torn_tails, 0u);
}

TEST(RecycleTest, ZeroRecycledSegmentsDeletesThem) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.recycled_segments = 0;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 20);
  wal->Ack(17);
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  EXPECT_THAT(RecycledFiles(dir), IsEmpty());
  EXPECT_EQ(wal->stats().recycled_files, 0u);
  AppendN(*wal, 8);
  EXPECT_EQ(wal->stats().segments_reused, 0u);
}

TEST(RecycleTest, MaxBytesDeletesRecycledFilesFirst) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options = SmallSegments();
  options.max_bytes = 2048;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 10);  // Segments 1 (closed) and 9.
  wal->Ack(9);
  // Segment 1 is recycled, but with it and a growing segment 9 a closed
  // segment no longer fits: the recycled file goes, no record does.
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  EXPECT_THAT(RecycledFiles(dir), ElementsAre("recycled-00000000000000000001.seg"));
  AppendN(*wal, 8);  // 17 rolls: segment 9 is closed.
  EXPECT_THAT(RecycledFiles(dir), IsEmpty());
  WriteAheadLog::Stats stats = wal->stats();
  EXPECT_EQ(stats.dropped_records_max_bytes, 0u);
  EXPECT_EQ(stats.segments_reused, 1u);  // 17 took it before the bound ran.
  EXPECT_THAT(Positions(ReadAll(*wal, 9)), ElementsAreArray(Range(9, 19)));
}

TEST(RecycleTest, AReaderOnASegmentRecycledUnderItSeesNoCorruptionNorLoss) {
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options;
  options.segment_bytes = 256 << 10;  // 257 records of 1,000 bytes.
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  AppendN(*wal, 600, 1000);  // Segments 1, 258, 515.
  ASSERT_THAT(SegmentFiles(dir), ElementsAre("00000000000000000001.seg",
                                             "00000000000000000258.seg",
                                             "00000000000000000515.seg"));
  Reader reader(*wal, 1);
  Reader::Record record;
  for (uint64_t p = 1; p <= 2; ++p) {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(bool more, reader.Next(&record));
    ASSERT_TRUE(more);
    EXPECT_EQ(record.position, p);
  }
  // Segment 1 is acknowledged and recycled, then overwritten by segment 772
  // well past what the reader has buffered.
  wal->Ack(515);
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  AppendN(*wal, 300, 1000);
  ASSERT_EQ(wal->stats().segments_reused, 1u);
  std::vector<uint64_t> positions;
  for (;;) {
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(bool more, reader.Next(&record));
    if (!more) break;
    positions.push_back(record.position);
  }
  // The reader looks its segment up again before reading on: gone, so it
  // goes on at the ack with no loss (a reader that meets the new bytes in
  // the middle of a read asks the log too: HasSegment).
  EXPECT_THAT(positions, ElementsAreArray(Range(515, 901)));
  EXPECT_EQ(reader.lost_records(), 0u);
  EXPECT_EQ(wal->stats().corrupt_records, 0u);
  EXPECT_EQ(wal->stats().corrupt_bytes, 0u);
  EXPECT_THAT(log.text(), Not(HasSubstr("corrupt")));
}

// Writes into a reused file end with zeros up to a page boundary, so the
// kernel never reads an old page from the disk to complete a partly written
// one (the old pages are usually evicted by the time a recycled file is
// reused); within the old file's size, and the old bytes beyond stay.
TEST(RecycleTest, WritesInAReusedFileFillTheirLastPage) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  FakeClock clock;
  RecordingLogger log;
  const std::string dir = TestDir();
  WriteAheadLog::Options options;
  options.segment_bytes = 16 * page;
  options.write_buffer_bytes = 4 * page;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  constexpr size_t kRecord = 1000;
  constexpr uint64_t kFrame = kFrameHeaderBytes + kRecord;
  const uint64_t per_segment = (options.segment_bytes - kSegmentHeaderBytes) / kFrame;
  AppendN(*wal, static_cast<int>(3 * per_segment + 1), kRecord);
  const uint64_t active = 3 * per_segment + 1;
  wal->Ack(active);
  PROMSCRAPE_ASSERT_OK(wal->Sync());
  ASSERT_THAT(RecycledFiles(dir), ::testing::SizeIs(1));
  const uint64_t old_size =
      std::filesystem::file_size(dir + "/" + RecycledFiles(dir)[0]);
  ASSERT_EQ(old_size, kSegmentHeaderBytes + per_segment * kFrame);

  // The rest of the active segment, then two records in the reused file.
  AppendN(*wal, static_cast<int>(per_segment - 1 + 2), kRecord);
  const uint64_t reused_first = active + per_segment;
  ASSERT_EQ(wal->stats().segments_reused, 1u);
  const std::string path = SegmentPath(dir, reused_first);
  auto zeros_then_old = [&](uint64_t end) {
    const std::string bytes = ReadFile(path);
    ASSERT_EQ(bytes.size(), old_size);
    const uint64_t boundary = (end + kEndMarkerBytes + page - 1) / page * page;
    ASSERT_LT(boundary + 64, old_size);
    EXPECT_EQ(bytes.find_first_not_of('\0', end), boundary) << "end " << end;
  };
  zeros_then_old(kSegmentHeaderBytes + 2 * kFrame);

  // A record big enough to be written without the buffer.
  const uint64_t big = wal->next_position();
  PROMSCRAPE_ASSERT_OK(wal->Append(Payload(big, 2 * page)).status());
  PROMSCRAPE_ASSERT_OK(wal->Flush());
  zeros_then_old(kSegmentHeaderBytes + 2 * kFrame + kFrameHeaderBytes +
                 2 * page);

  std::vector<std::pair<uint64_t, std::string>> records =
      ReadAll(*wal, reused_first);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].second, Payload(big, 2 * page));
  wal.reset();
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      wal, WriteAheadLog::Open(dir, options, clock, log.logger()));
  EXPECT_EQ(wal->stats().records_replayed, per_segment + 3);
  EXPECT_EQ(wal->stats().corrupt_records, 0u);
  EXPECT_EQ(wal->stats().torn_tails, 0u);
}

TEST(RecycleFormatTest, AnEndMarkerEndsTheRecordsBeforeOldFrames) {
  std::string bytes(kSegmentHeaderBytes, '\0');
  EncodeSegmentHeader(10, bytes.data());
  auto add = [&bytes](uint64_t p) {
    const std::string payload = Payload(p, 10);
    char header[kFrameHeaderBytes];
    EncodeFrameHeader(p, payload, header);
    bytes.append(header, sizeof header);
    bytes += payload;
  };
  add(10);
  add(11);
  const size_t end = bytes.size();
  bytes.append(kEndMarkerBytes, '\0');
  add(3);  // The file's earlier life.
  add(4);
  SegmentScan scan = ScanSegment(bytes, 10);
  EXPECT_FALSE(scan.corrupt);
  EXPECT_TRUE(scan.end_marker);
  EXPECT_EQ(scan.records, 2u);
  EXPECT_EQ(scan.valid_bytes, end);
  EXPECT_EQ(scan.reason, nullptr);

  // A frame that could follow the records, after the marker: zeroed bytes
  // in the middle of the records, not their end.
  add(12);
  scan = ScanSegment(bytes, 10);
  EXPECT_TRUE(scan.corrupt);
  EXPECT_FALSE(scan.end_marker);
  EXPECT_EQ(scan.frames_after, 1u);
  EXPECT_EQ(scan.max_index_after, 12u);

  // Fewer zero bytes than a marker at the end are a torn header.
  std::string short_zeros = bytes.substr(0, end) + std::string(7, '\0');
  scan = ScanSegment(short_zeros, 10);
  EXPECT_TRUE(scan.corrupt);
  EXPECT_FALSE(scan.end_marker);
}

}  // namespace
}  // namespace promscrape::remote::wal
