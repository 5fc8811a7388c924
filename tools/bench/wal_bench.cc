// Write-ahead log (plugin/remote/wal) costs: appending records of a sample's
// size (~40 bytes) and of 1 KiB in batches of 100 (Append x100 + Flush, as
// the queue would per scrape), with fsync at most once a second and on every
// flush; and replay: Open (which scans every segment) plus reading every
// record back with a Reader.
//
//   bazel run -c opt //tools/bench:wal_bench -- [--benchmark_min_time=2]
//
// The log lives under $WAL_BENCH_DIR, else $TEST_TMPDIR, else /tmp: fsync
// numbers are those of that file system. Appends ack as they go, so segments
// are deleted (or recycled) at each roll and the disk use stays at a few
// segments. CPU time is the column to compare for recycling: it is what the
// kernel spends growing new files and freeing old ones. BM_FrameChecksum
// compares the frames' checksum (CRC-32C, segment version 2) with zlib's
// crc32 that version 1 used, over a scrape's worth of bytes.
// BM_WriteAheadLog_AppendEvicted appends a scrape's records at a time into a
// recycled file whose pages were evicted, counting the bytes the kernel had
// to read back from the disk to complete partly written pages.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "plugin/common/clock.h"
#include "plugin/common/crc32c.h"
#include "plugin/common/logging.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/reader.h"
#include "plugin/remote/wal/wal.h"

namespace promscrape::remote::wal {
namespace {

constexpr int kBatch = 100;

const Logger& QuietLogger() {
  static const Logger* logger = new Logger([](LogLevel, absl::string_view) {});
  return *logger;
}

std::string BenchDir(absl::string_view name) {
  const char* base = std::getenv("WAL_BENCH_DIR");
  if (base == nullptr) base = std::getenv("TEST_TMPDIR");
  if (base == nullptr) base = "/tmp";
  std::string dir = absl::StrCat(base, "/wal_bench_", name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::unique_ptr<WriteAheadLog> OpenOrDie(const std::string& dir,
                                         WriteAheadLog::Options options) {
  auto wal = WriteAheadLog::Open(dir, options, Clock::Real(), QuietLogger());
  if (!wal.ok()) {
    std::fprintf(stderr, "ERROR %s\n", wal.status().ToString().c_str());
    std::abort();
  }
  return *std::move(wal);
}

// Args: record bytes, fsync interval in ms (0 = every flush), recycled
// segment files kept (0 deletes acked segments: the cost recycling saves).
void BM_WriteAheadLog_Append(benchmark::State& state) {
  const size_t record_bytes = static_cast<size_t>(state.range(0));
  WriteAheadLog::Options options;
  options.fsync_interval = absl::Milliseconds(state.range(1));
  options.recycled_segments = static_cast<size_t>(state.range(2));
  const std::string dir = BenchDir("append");
  auto wal = OpenOrDie(dir, options);
  const std::string record(record_bytes, 'r');
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      if (!wal->Append(record).ok()) std::abort();
    }
    if (!wal->Flush().ok()) std::abort();
    wal->Ack(wal->next_position());
    if (!wal->MaybeSync().ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * record_bytes);
  const WriteAheadLog::Stats stats = wal->stats();
  state.counters["fsyncs"] = static_cast<double>(stats.fsyncs);
  state.counters["reused"] = static_cast<double>(stats.segments_reused);
  state.counters["last_fsync_us"] =
      absl::ToDoubleMicroseconds(stats.last_fsync_duration);
  wal.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WriteAheadLog_Append)
    ->ArgNames({"bytes", "fsync_ms", "recycle"})
    ->Args({40, 1000, 0})
    ->Args({40, 1000, 1})
    ->Args({1024, 1000, 0})
    ->Args({1024, 1000, 1})
    ->Args({40, 0, 1})
    ->Args({1024, 0, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Bytes this process has read from storage (/proc/self/io), or -1.
int64_t StorageReadBytes() {
  std::ifstream in("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == "read_bytes:") return value;
  }
  return -1;
}

// Drops the cached pages of the recycled files in `dir`, as memory pressure
// does to a file whose last write was a segment's lifetime ago.
void EvictRecycledFiles(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!absl::StartsWith(entry.path().filename().string(),
                          kRecycledFilePrefix)) {
      continue;
    }
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);  // Dirty pages are not dropped.
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// A scrape's records (one 30 KB record: 200 series) per iteration into 4 MiB
// segments, one recycled file kept, whose pages are evicted before it is
// reused: the queue's pattern on a machine whose page cache is under
// pressure. `disk_read_bytes` is what the appends made the kernel read back.
void BM_WriteAheadLog_AppendEvicted(benchmark::State& state) {
  WriteAheadLog::Options options;
  options.segment_bytes = 4u << 20;
  options.recycled_segments = 1;
  const std::string dir = BenchDir("append_evicted");
  auto wal = OpenOrDie(dir, options);
  const std::string record(30000, 'r');
  uint64_t recycled_seen = 0;
  const int64_t read_before = StorageReadBytes();
  for (auto _ : state) {
    if (!wal->Append(record).ok()) std::abort();
    if (!wal->Flush().ok()) std::abort();
    wal->Ack(wal->next_position());
    if (!wal->MaybeSync().ok()) std::abort();
    const uint64_t truncated = wal->stats().segments_truncated;
    if (truncated != recycled_seen) {
      recycled_seen = truncated;
      state.PauseTiming();
      EvictRecycledFiles(dir);
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(record.size()));
  state.counters["reused"] =
      static_cast<double>(wal->stats().segments_reused);
  state.counters["disk_read_bytes"] =
      static_cast<double>(StorageReadBytes() - read_before);
  wal.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WriteAheadLog_AppendEvicted)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Args: record bytes. Replays 64 MiB of records per iteration.
void BM_WriteAheadLog_Replay(benchmark::State& state) {
  const size_t record_bytes = static_cast<size_t>(state.range(0));
  const uint64_t records = (64u << 20) / (record_bytes + kFrameHeaderBytes);
  const std::string dir = BenchDir("replay");
  {
    auto wal = OpenOrDie(dir, {});
    const std::string record(record_bytes, 'r');
    for (uint64_t i = 0; i < records; ++i) {
      if (!wal->Append(record).ok()) std::abort();
    }
  }
  for (auto _ : state) {
    auto wal = OpenOrDie(dir, {});
    Reader reader(*wal, 1);
    Reader::Record record;
    uint64_t read = 0;
    for (;;) {
      absl::StatusOr<bool> more = reader.Next(&record);
      if (!more.ok()) std::abort();
      if (!*more) break;
      benchmark::DoNotOptimize(record.bytes.data());
      ++read;
    }
    if (read != records) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * records * record_bytes);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WriteAheadLog_Replay)
    ->ArgName("bytes")
    ->Arg(40)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace promscrape::remote::wal

// Arg: 0 zlib crc32 (version 1 frames), 1 CRC-32C (version 2 frames);
// 20 KiB, a 200-series scrape's records.
void BM_FrameChecksum(benchmark::State& state) {
  std::string bytes(20 << 10, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(i * 131 + (i >> 7));
  }
  const bool crc32c = state.range(0) == 1;
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = crc32c ? promscrape::Crc32c(crc, bytes)
                 : promscrape::remote::wal::Crc32(crc, bytes);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bytes.size()));
  state.SetLabel(crc32c ? "crc32c" : "zlib crc32");
}
BENCHMARK(BM_FrameChecksum)->Arg(0)->Arg(1);

BENCHMARK_MAIN();
