#ifndef TOOLS_HOST_SAMPLE_FILE_H_
#define TOOLS_HOST_SAMPLE_FILE_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/remote/v1/remote.pb.h"
#include "tools/host/host_mutex.h"

namespace promscrape::host {

// Formats one float sample as the storage file's JSON line (no newline):
// {"labels":{"__name__":"up",...},"t":<ms>,"v":<number>} with "NaN", "+Inf",
// "-Inf" or "StaleNaN" as strings for those values. Numbers use the
// shortest text that reads back to the same double.
void AppendSampleJson(const v1::TimeSeries& series, const v1::Sample& sample,
                      std::string& out);
// The same for a native histogram: "h" instead of "v".
void AppendHistogramJson(const v1::TimeSeries& series,
                         const v1::Histogram& histogram, std::string& out);

// The reference host's embedded default storage: appends every sample of
// every WriteRequest to one file, one JSON object per line, and makes the
// bytes reach the file (and the disk, with fsync) before Append returns.
//
// Thread-safe: concurrent Appends are serialized, so each request's lines
// stay together.
class SampleFile {
 public:
  // fsync(2)'s contract: 0 on success, -1 with errno set.
  using SyncFunction = std::function<int(int fd)>;

  // Opens `path` for appending (creating it and its parent directory). With
  // `fsync`, every Append calls `sync` (::fsync when null; tests count the
  // calls) on the file before returning, and Open syncs the parent
  // directory once so a newly created file's name is durable too.
  static absl::StatusOr<std::unique_ptr<SampleFile>> Open(
      const std::string& path, bool fsync, SyncFunction sync = nullptr);

  SampleFile(const SampleFile&) = delete;
  SampleFile& operator=(const SampleFile&) = delete;
  ~SampleFile();

  // Writes every sample and histogram of `request` and, with fsync on,
  // syncs the file: the lines are on disk when this returns OK. Returns
  // kInternal with errno's text when the write or the sync fails (disk
  // full, ...).
  absl::Status Append(const v1::WriteRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

  // Samples written so far.
  int64_t samples_written() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  SampleFile(std::FILE* file, std::string path, bool fsync,
             SyncFunction sync)
      : file_(file),
        path_(std::move(path)),
        fsync_(fsync),
        sync_(std::move(sync)) {}

  mutable Mutex mu_;
  std::FILE* const file_;
  const std::string path_;
  const bool fsync_;
  const SyncFunction sync_;
  std::string buffer_ ABSL_GUARDED_BY(mu_);
  int64_t samples_written_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_SAMPLE_FILE_H_
