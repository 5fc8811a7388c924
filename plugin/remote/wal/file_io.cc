#include "plugin/remote/wal/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace promscrape::remote::wal {
namespace {

// Closes an fd on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

absl::Status ErrnoError(int error_number, absl::string_view op,
                        absl::string_view path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(op, " \"", path, "\""));
}

absl::Status EnsureDirectory(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("wal directory is empty");
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("wal directory \"", dir, "\" is not a directory"));
    }
    return absl::OkStatus();
  }
  if (errno != ENOENT) return ErrnoError(errno, "stat", dir);
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = EnsureDirectory(dir.substr(0, slash));
    if (!parent.ok()) return parent;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "mkdir", dir);
  }
  return absl::OkStatus();
}

absl::Status PWriteAll(int fd, absl::string_view a, absl::string_view b,
                       uint64_t offset, const std::string& path) {
  const absl::string_view pieces[2] = {a, b};
  return PWriteAll(fd, pieces, offset, path);
}

absl::Status PWriteAll(int fd, absl::Span<const absl::string_view> pieces,
                       uint64_t offset, const std::string& path) {
  constexpr int kMaxPieces = 4;
  if (pieces.size() > kMaxPieces) {
    return absl::InvalidArgumentError("PWriteAll: more than 4 pieces");
  }
  struct iovec iov[kMaxPieces];
  const int count = static_cast<int>(pieces.size());
  for (int i = 0; i < count; ++i) {
    iov[i] = {const_cast<char*>(pieces[i].data()), pieces[i].size()};
  }
  int first = 0;
  while (first < count) {
    if (iov[first].iov_len == 0) {
      ++first;
      continue;
    }
    ssize_t n = ::pwritev(fd, iov + first, count - first, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", path);
    }
    offset += n;
    size_t left = static_cast<size_t>(n);
    while (first < count && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      iov[first].iov_len = 0;
      ++first;
    }
    if (first < count) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> PReadUpTo(int fd, char* out, size_t size,
                                 uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out + done, size - done, offset + done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status Fsync(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "fsync", path);
  }
  return absl::OkStatus();
}

absl::Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", dir);
  FdCloser closer(fd);
  return Fsync(fd, dir);
}

absl::Status WriteFileAtomically(const std::string& dir,
                                 const std::string& path,
                                 absl::string_view data) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "open", tmp);
  absl::Status status = PWriteAll(fd, data, {}, 0, tmp);
  if (status.ok()) status = Fsync(fd, tmp);
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError(errno, "rename", tmp);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return FsyncDirectory(dir);
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", path);
  FdCloser closer(fd);
  std::string out(max_bytes + 1, '\0');
  absl::StatusOr<size_t> n = PReadUpTo(fd, out.data(), out.size(), 0, path);
  if (!n.ok()) return n.status();
  out.resize(*n);
  return out;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mtime_ns_(other.mtime_ns_) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mtime_ns_ = other.mtime_ns_;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

absl::StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "stat", path);
  MappedFile file;
  file.mtime_ns_ =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (st.st_size == 0) return file;
  void* data = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ,
                      MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) return ErrnoError(errno, "mmap", path);
  ::madvise(data, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
  file.data_ = data;
  file.size_ = static_cast<size_t>(st.st_size);
  return file;
}

}  // namespace promscrape::remote::wal
