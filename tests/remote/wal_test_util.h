#ifndef TESTS_REMOTE_WAL_TEST_UTIL_H_
#define TESTS_REMOTE_WAL_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/reader.h"
#include "plugin/remote/wal/wal.h"
#include "tests/testutil/fake_clock.h"

// Helpers shared by the write-ahead log tests (wal_test.cc,
// wal_recovery_test.cc).
namespace promscrape::remote::wal::testutil {

// A logger that keeps every line. Thread-safe.
class RecordingLogger {
 public:
  RecordingLogger()
      : logger_([this](LogLevel, absl::string_view line) {
          MutexLock lock(&mu_);
          lines_.emplace_back(line);
        }) {}

  const Logger& logger() const { return logger_; }

  // Every line so far, joined with newlines.
  std::string text() const {
    MutexLock lock(&mu_);
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

 private:
  mutable Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  Logger logger_;
};

// A fresh directory under TEST_TMPDIR named after the running test.
inline std::string TestDir(absl::string_view suffix = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir =
      absl::StrFormat("%s/%s.%s%s", ::testing::TempDir(),
                      info->test_suite_name(), info->name(), suffix);
  std::filesystem::remove_all(dir);
  return dir;
}

// Payload of the record at `position`: recognizable, `size` bytes.
inline std::string Payload(uint64_t position, size_t size = 100) {
  std::string s = absl::StrFormat("record-%08d-", position);
  s.resize(size, static_cast<char>('a' + position % 26));
  return s;
}

// Small segments: 8 records of Payload(p, 100) each (24 + 8 * 116 bytes).
inline WriteAheadLog::Options SmallSegments() {
  WriteAheadLog::Options options;
  options.segment_bytes = 1024;
  options.write_buffer_bytes = 512;
  return options;
}
inline constexpr uint64_t kFrame100 = kFrameHeaderBytes + 100;
inline constexpr uint64_t kFullSegment = kSegmentHeaderBytes + 8 * kFrame100;

// Appends Payload(p) for the next `n` positions, then flushes.
inline void AppendN(WriteAheadLog& wal, int n, size_t size = 100) {
  for (int i = 0; i < n; ++i) {
    const uint64_t p = wal.next_position();
    ASSERT_TRUE(wal.Append(Payload(p, size)).ok());
  }
  ASSERT_TRUE(wal.Flush().ok());
}

// Reads every record available from `position` on.
inline std::vector<std::pair<uint64_t, std::string>> ReadAll(
    WriteAheadLog& wal, uint64_t position, uint64_t* lost = nullptr) {
  Reader reader(wal, position);
  std::vector<std::pair<uint64_t, std::string>> out;
  Reader::Record record;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&record);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    out.emplace_back(record.position, std::string(record.bytes));
  }
  if (lost != nullptr) *lost = reader.lost_records();
  return out;
}

// Positions of `records`.
inline std::vector<uint64_t> Positions(
    const std::vector<std::pair<uint64_t, std::string>>& records) {
  std::vector<uint64_t> out;
  for (const auto& r : records) out.push_back(r.first);
  return out;
}

// The positions [from, to).
inline std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t p = from; p < to; ++p) out.push_back(p);
  return out;
}

// The segment file names in `dir`, sorted.
inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    uint64_t first;
    if (ParseSegmentFileName(e.path().filename().string(), &first)) {
      out.push_back(e.path().filename().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string SegmentPath(const std::string& dir, uint64_t first) {
  return dir + "/" + SegmentFileName(first);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const std::string& path, absl::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Flips the bits of the byte at `offset` of `path`.
inline void FlipByte(const std::string& path, uint64_t offset) {
  std::string bytes = ReadFile(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(~bytes[offset]);
  WriteFile(path, bytes);
}

// Copies the directory of an open log: what a process crash would leave
// (every written record, no final checkpoint).
inline std::string CrashCopy(const std::string& dir) {
  const std::string copy = dir + ".crash";
  std::filesystem::remove_all(copy);
  std::filesystem::copy(dir, copy);
  std::filesystem::remove(copy + "/lock");
  return copy;
}

}  // namespace promscrape::remote::wal::testutil

#endif  // TESTS_REMOTE_WAL_TEST_UTIL_H_
