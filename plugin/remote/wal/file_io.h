#ifndef PLUGIN_REMOTE_WAL_FILE_IO_H_
#define PLUGIN_REMOTE_WAL_FILE_IO_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

// The POSIX file calls the write-ahead log makes, returning absl::Status.
// Every error names the operation, the path and the errno text, for example
// `write "/var/lib/ps/wal/00000000000000000001.seg": No space left on device`
// with the code absl::ErrnoToStatusCode gives (ENOSPC -> kResourceExhausted,
// EACCES -> kPermissionDenied). EINTR is retried. Stateless; safe from any
// thread.
namespace promscrape::remote::wal {

// A status for the failed `op` on `path` with `error_number` (an errno).
absl::Status ErrnoError(int error_number, absl::string_view op,
                        absl::string_view path);

// Creates `dir` and its missing parents. kInvalidArgument when `dir` or a
// parent exists and is not a directory.
absl::Status EnsureDirectory(const std::string& dir);

// Writes all of `a` followed by `b` at `offset` (one pwritev when it can).
absl::Status PWriteAll(int fd, absl::string_view a, absl::string_view b,
                       uint64_t offset, const std::string& path);
// Writes the concatenation of `pieces` (at most 4) at `offset`, with one
// pwritev when it can.
absl::Status PWriteAll(int fd, absl::Span<const absl::string_view> pieces,
                       uint64_t offset, const std::string& path);

// Reads up to `size` bytes at `offset` into `out`; returns the count read,
// short only at end of file.
absl::StatusOr<size_t> PReadUpTo(int fd, char* out, size_t size,
                                 uint64_t offset, const std::string& path);

absl::Status Fsync(int fd, const std::string& path);

// Makes entries created, renamed or removed in `dir` durable.
absl::Status FsyncDirectory(const std::string& dir);

// Writes `data` to `path` atomically: a temporary file beside it, fsync,
// rename over `path`, fsync of the directory.
absl::Status WriteFileAtomically(const std::string& dir,
                                 const std::string& path,
                                 absl::string_view data);

// Reads a small file whole. kNotFound when it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes);

// A read-only mapping of a whole file. Move-only; thread-compatible.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();

  // Maps `path`; an empty file gives empty bytes. The file must not be
  // truncated while mapped (SIGBUS).
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  // Valid until the MappedFile is destroyed or moved from.
  absl::string_view bytes() const {
    return absl::string_view(static_cast<const char*>(data_), size_);
  }
  // The file's modification time (seconds since the epoch, with nanos).
  int64_t mtime_ns() const { return mtime_ns_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  int64_t mtime_ns_ = 0;
};

}  // namespace promscrape::remote::wal

#endif  // PLUGIN_REMOTE_WAL_FILE_IO_H_
