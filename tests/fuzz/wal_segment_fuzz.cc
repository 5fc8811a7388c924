// libFuzzer target for the write-ahead log's segment reading
// (plugin/remote/wal): arbitrary bytes as a segment file must never crash
// the scanner, recovery at Open, or a Reader, and what they report must be
// consistent: the valid prefix lies inside the input, and the records read
// back have strictly increasing positions and are exactly the ones the scan
// accepted.
//
// Input: the bytes of segment file 00000000000000000001.seg. Each input is
// also written to a scratch directory (on /dev/shm when present, so fsync is
// cheap) and opened as a log.

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/string_view.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/reader.h"
#include "plugin/remote/wal/wal.h"

namespace promscrape::remote::wal {
namespace {

const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::string base = std::filesystem::is_directory("/dev/shm")
                           ? "/dev/shm"
                           : std::filesystem::temp_directory_path().string();
    std::string pattern = base + "/wal_segment_fuzz.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return new std::string(pattern + "/wal");
  }();
  return *dir;
}

void CheckScan(absl::string_view data) {
  const SegmentScan scan = ScanSegment(data, 1);
  if (scan.valid_bytes > data.size()) std::abort();
  // Short of the end only at an end marker (or corruption), never both.
  if (!scan.corrupt && !scan.end_marker && scan.valid_bytes != data.size()) {
    std::abort();
  }
  if (scan.end_marker && (scan.corrupt || scan.frames_after != 0 ||
                          !IsEndMarker(data.substr(scan.valid_bytes)))) {
    std::abort();
  }
  if (scan.records > data.size() / kFrameHeaderBytes) std::abort();
  if (scan.corrupt && scan.reason == nullptr) std::abort();
  Frame frame;
  if (DecodeFrame(data, &frame) == FrameStatus::kOk &&
      frame.size > data.size()) {
    std::abort();
  }
  Checkpoint checkpoint;
  const char* reason = nullptr;
  ParseCheckpoint(data, &checkpoint, &reason);
}

void CheckLog(absl::string_view data) {
  const std::string& dir = ScratchDir();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir + "/" + SegmentFileName(1), std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  const uint64_t accepted = ScanSegment(data, 1).records;
  static const Logger* quiet = new Logger([](LogLevel, absl::string_view) {});
  WriteAheadLog::Options options;
  options.segment_bytes = 4096;
  auto wal = WriteAheadLog::Open(dir, options, Clock::Real(), *quiet);
  if (!wal.ok()) {
    std::fprintf(stderr, "open failed: %s\n", wal.status().ToString().c_str());
    std::abort();
  }
  Reader reader(**wal, 1);
  Reader::Record record;
  uint64_t read = 0, last = 0;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok() || !*more) break;
    if (record.position <= last) std::abort();
    last = record.position;
    ++read;
  }
  if (read != accepted) std::abort();
  // New records land after anything the input seemed to hold.
  auto position = (*wal)->Append("x");
  if (!position.ok() || *position <= last) std::abort();
}

}  // namespace
}  // namespace promscrape::remote::wal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  promscrape::remote::wal::CheckScan(bytes);
  promscrape::remote::wal::CheckLog(bytes);
  return 0;
}
