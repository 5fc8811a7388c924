#include "plugin/remote/wal/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/remote/wal/file_io.h"
#include "plugin/remote/wal/format.h"

namespace promscrape::remote::wal {
namespace {

// Records at least this big (frame included) bypass the write buffer.
constexpr size_t kDirectWriteBytes = 4096;

size_t PageBytes() {
  const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<size_t>(page) : 4096;
}

absl::Status ValidateOptions(const WriteAheadLog::Options& o) {
  if (o.segment_bytes < 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment_bytes ", o.segment_bytes, " is below 1024"));
  }
  if (o.write_buffer_bytes < 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        "write_buffer_bytes ", o.write_buffer_bytes, " is below 256"));
  }
  if (o.max_bytes != 0 && o.max_bytes / 2 < o.segment_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_bytes ", o.max_bytes,
                     " is below twice segment_bytes ", o.segment_bytes));
  }
  if (o.fsync_interval < absl::ZeroDuration() ||
      o.checkpoint_interval < absl::ZeroDuration() ||
      o.max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("negative wal interval or max_age");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(
    std::string dir, Options options, Clock& clock, const Logger& logger) {
  PROMSCRAPE_RETURN_IF_ERROR(ValidateOptions(options));
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  PROMSCRAPE_RETURN_IF_ERROR(EnsureDirectory(dir));
  auto wal = std::unique_ptr<WriteAheadLog>(
      new WriteAheadLog(std::move(dir), options, clock, logger));
  PROMSCRAPE_RETURN_IF_ERROR(wal->Recover());
  return wal;
}

WriteAheadLog::WriteAheadLog(std::string dir, Options options, Clock& clock,
                             const Logger& logger)
    : dir_(std::move(dir)),
      options_(options),
      clock_(clock),
      logger_(logger),
      buffer_(new char[options.write_buffer_bytes]),
      page_bytes_(PageBytes()),
      zeros_(new char[page_bytes_ + kEndMarkerBytes]()) {}

size_t WriteAheadLog::ReusedTailLocked(uint64_t end) const {
  const uint64_t marker_end = end + kEndMarkerBytes;
  uint64_t to = (marker_end + page_bytes_ - 1) / page_bytes_ * page_bytes_;
  if (to > reused_file_bytes_) to = std::max(marker_end, reused_file_bytes_);
  return static_cast<size_t>(to - end);
}

WriteAheadLog::~WriteAheadLog() {
  absl::Status status = Close();
  if (!status.ok()) {
    logger_.Error("wal \"", dir_, "\": close: ", status.ToString());
  }
}

std::string WriteAheadLog::SegmentPath(uint64_t first) const {
  return absl::StrCat(dir_, "/", SegmentFileName(first));
}

int WriteAheadLog::TakeRecycledFile(const std::string& path) {
  Recycled file;
  {
    MutexLock lock(&mu_);
    if (recycled_.empty()) return -1;
    file = std::move(recycled_.back());
    recycled_.pop_back();
  }
  // RENAME_NOREPLACE: a segment's name is never taken over. Filesystems
  // without it get a plain rename; nothing else creates names here (the
  // directory's flock).
  int renamed = ::renameat2(AT_FDCWD, file.path.c_str(), AT_FDCWD,
                            path.c_str(), RENAME_NOREPLACE);
  if (renamed != 0 && (errno == EINVAL || errno == ENOSYS)) {
    renamed = ::access(path.c_str(), F_OK) == 0
                  ? -1
                  : ::rename(file.path.c_str(), path.c_str());
  }
  if (renamed != 0) {
    logger_.Warning("wal: ", ErrnoError(errno, "rename", file.path).ToString(),
                    "; starting a new file");
    ::unlink(file.path.c_str());
    return -1;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    logger_.Warning("wal: ", ErrnoError(errno, "open", path).ToString(),
                    "; starting a new file");
    ::unlink(path.c_str());
  }
  return fd;
}

absl::Status WriteAheadLog::StartSegmentLocked(bool defer_sync) {
  const std::string path = SegmentPath(next_index_);
  int fd = TakeRecycledFile(path);
  const bool reused = fd >= 0;
  if (!reused) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError(errno, "create", path);
  }
  // The header, and in a reused file the end marker and zeros over the old
  // bytes to the end of the first page.
  char header[kSegmentHeaderBytes];
  EncodeSegmentHeader(next_index_, header);
  size_t tail = 0;
  if (reused) {
    struct stat st;
    reused_file_bytes_ =
        ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    tail = ReusedTailLocked(kSegmentHeaderBytes);
  }
  absl::Status status =
      PWriteAll(fd, absl::string_view(header, kSegmentHeaderBytes),
                absl::string_view(zeros_.get(), tail), 0, path);
  // The new name must survive a crash before records rely on it (deferred:
  // before MaybeSync calls them synced).
  if (status.ok() && !defer_sync) status = FsyncDirectory(dir_);
  if (!status.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return status;
  }
  if (defer_sync) {
    dir_unsynced_ = true;
    if (fd_ >= 0) closing_.push_back(Closing{fd_, active_path_});
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
  active_path_ = path;
  active_first_ = next_index_;
  active_reused_ = reused;
  written_bytes_ = kSegmentHeaderBytes;
  unsynced_ = true;
  Segment seg;
  seg.first = next_index_;
  seg.end = next_index_;
  seg.readable_bytes = kSegmentHeaderBytes;
  seg.file_bytes = kSegmentHeaderBytes;
  seg.last_write = clock_.Now();
  MutexLock lock(&mu_);
  if (reused) ++stats_.segments_reused;
  segments_.push_back(seg);
  return absl::OkStatus();
}

absl::Status WriteAheadLog::TrimActiveLocked() {
  if (!active_reused_ || fd_ < 0) return absl::OkStatus();
  if (::ftruncate(fd_, static_cast<off_t>(written_bytes_)) != 0) {
    return ErrnoError(errno, "truncate", active_path_);
  }
  active_reused_ = false;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> WriteAheadLog::Append(absl::string_view record) {
  return AppendPieces(absl::MakeConstSpan(&record, 1));
}

absl::StatusOr<uint64_t> WriteAheadLog::AppendPieces(
    absl::Span<const absl::string_view> pieces) {
  MutexLock lock(&writer_mu_);
  if (closed_) return absl::FailedPreconditionError("wal is closed");
  if (pieces.size() > 2) {
    return absl::InvalidArgumentError("wal record in more than 2 pieces");
  }
  size_t size = 0;
  for (absl::string_view piece : pieces) size += piece.size();
  if (size > kMaxRecordBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wal record of ", size, " bytes exceeds ", kMaxRecordBytes));
  }
  const size_t frame = kFrameHeaderBytes + size;
  if (next_index_ > active_first_ &&
      written_bytes_ + buffered_bytes_ + frame > options_.segment_bytes) {
    PROMSCRAPE_RETURN_IF_ERROR(RollLocked());
  }
  const size_t capacity = options_.write_buffer_bytes;
  // Records of a few KiB and up (a scrape's) go to the file straight from
  // the caller's memory: copying them into the buffer first would save no
  // write(2).
  const bool direct = frame > capacity || frame >= kDirectWriteBytes;
  if (buffered_bytes_ + frame > capacity || (direct && buffered_bytes_ > 0)) {
    PROMSCRAPE_RETURN_IF_ERROR(FlushBufferLocked());
  }
  const uint64_t index = next_index_;
  if (direct) {
    // Header, payload and (in a reused file) the end marker and the rest of
    // its page in one pwritev, no copy.
    char header[kFrameHeaderBytes];
    EncodeFrameHeader(index, pieces, header);
    absl::string_view iov[4] = {absl::string_view(header, sizeof header)};
    size_t n = 1;
    for (absl::string_view piece : pieces) iov[n++] = piece;
    if (active_reused_) {
      iov[n++] = absl::string_view(zeros_.get(),
                                   ReusedTailLocked(written_bytes_ + frame));
    }
    absl::Status status = PWriteAll(fd_, absl::MakeConstSpan(iov, n),
                                    written_bytes_, active_path_);
    if (!status.ok()) {
      if (::ftruncate(fd_, written_bytes_) != 0) {
        // Best effort; the torn frame is found by the next Open.
      }
      return status;
    }
    written_bytes_ += frame;
    next_index_ = index + 1;
    written_end_ = next_index_;
    unsynced_ = true;
    PublishLocked();
    return index;
  }
  char* p = buffer_.get() + buffered_bytes_;
  EncodeFrameHeader(index, pieces, p);
  p += kFrameHeaderBytes;
  for (absl::string_view piece : pieces) {
    if (!piece.empty()) std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
  buffered_bytes_ += frame;
  next_index_ = index + 1;
  return index;
}

absl::StatusOr<uint64_t> WriteAheadLog::AppendBatch(
    absl::Span<const absl::string_view> records) {
  uint64_t first = next_position();
  for (size_t i = 0; i < records.size(); ++i) {
    absl::StatusOr<uint64_t> index = Append(records[i]);
    if (!index.ok()) return index.status();
    if (i == 0) first = *index;
  }
  PROMSCRAPE_RETURN_IF_ERROR(Flush());
  return first;
}

absl::Status WriteAheadLog::FlushBufferLocked() {
  if (buffered_bytes_ == 0) return absl::OkStatus();
  // In a reused file the frames end with a marker and zeros to the end of
  // the page, in the same write: the next write starts over them. A write
  // cut short leaves a torn frame before old bytes, which Open truncates
  // like any torn tail.
  const size_t tail =
      active_reused_ ? ReusedTailLocked(written_bytes_ + buffered_bytes_) : 0;
  absl::Status status = PWriteAll(
      fd_, absl::string_view(buffer_.get(), buffered_bytes_),
      absl::string_view(zeros_.get(), tail), written_bytes_, active_path_);
  if (!status.ok()) {
    // Keep the buffer for the next try, and the file on a frame boundary.
    if (::ftruncate(fd_, written_bytes_) != 0) {
      // Best effort; the torn frame is found by the next Open.
    }
    return status;
  }
  written_bytes_ += buffered_bytes_;
  buffered_bytes_ = 0;
  written_end_ = next_index_;
  unsynced_ = true;
  PublishLocked();
  return absl::OkStatus();
}

void WriteAheadLog::PublishLocked() {
  const absl::Time now = clock_.Now();
  MutexLock lock(&mu_);
  Segment& active = segments_.back();
  stats_.records_appended += written_end_ - active.end;
  stats_.bytes_appended += written_bytes_ - active.file_bytes;
  active.end = written_end_;
  active.readable_bytes = written_bytes_;
  active.file_bytes = written_bytes_;
  active.last_write = now;
}

absl::Status WriteAheadLog::FsyncLocked(bool force) {
  if (!unsynced_ && !force) return absl::OkStatus();
  const absl::Time start = clock_.Now();
  PROMSCRAPE_RETURN_IF_ERROR(Fsync(fd_, active_path_));
  last_sync_ = clock_.Now();
  unsynced_ = false;
  MutexLock lock(&mu_);
  ++stats_.fsyncs;
  stats_.last_fsync_duration = last_sync_ - start;
  return absl::OkStatus();
}

absl::Status WriteAheadLog::RollLocked() {
  PROMSCRAPE_RETURN_IF_ERROR(FlushBufferLocked());
  // A closed segment's file holds its records and nothing else.
  const bool trimmed = active_reused_;
  PROMSCRAPE_RETURN_IF_ERROR(TrimActiveLocked());
  const bool defer = DeferRollSync();
  if (!defer) PROMSCRAPE_RETURN_IF_ERROR(FsyncLocked(/*force=*/trimmed));
  // On failure the old segment stays active and the append that asked for
  // the roll fails; the next one tries again.
  PROMSCRAPE_RETURN_IF_ERROR(StartSegmentLocked(defer));
  if (defer) {
    // The checkpoint (two fsyncs) waits for the sync thread; the bounds are
    // only unlinks, done now unless that thread is at its upkeep (it
    // enforces them itself right after).
    if (maintenance_mu_.TryLock()) {
      EnforceBoundsLocked(clock_.Now());
      maintenance_mu_.Unlock();
    }
    return absl::OkStatus();
  }
  MutexLock maintenance(&maintenance_mu_);
  PROMSCRAPE_RETURN_IF_ERROR(CheckpointLocked(/*force=*/false));
  EnforceBoundsLocked(clock_.Now());
  return absl::OkStatus();
}

absl::Status WriteAheadLog::Flush() {
  MutexLock lock(&writer_mu_);
  if (closed_) return absl::FailedPreconditionError("wal is closed");
  PROMSCRAPE_RETURN_IF_ERROR(FlushBufferLocked());
  if (!unsynced_) return absl::OkStatus();
  const bool due = options_.fsync_interval <= absl::ZeroDuration() ||
                   (!options_.background_sync &&
                    clock_.Now() - last_sync_ >= options_.fsync_interval);
  return due ? FsyncLocked() : absl::OkStatus();
}

absl::Status WriteAheadLog::MaybeSync() {
  const absl::Time now = clock_.Now();
  int sync_fd = -1;
  std::string sync_path;
  std::vector<Closing> closing;
  bool sync_dir = false;
  {
    MutexLock lock(&writer_mu_);
    if (closed_) return absl::FailedPreconditionError("wal is closed");
    PROMSCRAPE_RETURN_IF_ERROR(FlushBufferLocked());
    if (unsynced_ && now - last_sync_ >= options_.fsync_interval) {
      // fsync a duplicate descriptor after letting go of the lock: a roll
      // may close the segment's own meanwhile.
      sync_fd = ::dup(fd_);
      if (sync_fd < 0) {
        PROMSCRAPE_RETURN_IF_ERROR(FsyncLocked());
      } else {
        sync_path = active_path_;
        // Records written from here on make it unsynced again; a failed
        // fsync below restores it.
        unsynced_ = false;
        last_sync_ = now;
      }
    }
    if (options_.max_age > absl::ZeroDuration() &&
        next_index_ > active_first_) {
      absl::Time last_write;
      {
        MutexLock meta(&mu_);
        last_write = segments_.back().last_write;
      }
      // An idle active segment cannot age out; close it so it can.
      if (now - last_write > options_.max_age) {
        absl::Status rolled = RollLocked();
        if (!rolled.ok()) {
          if (sync_fd >= 0) ::close(sync_fd);
          return rolled;
        }
      }
    }
    // What deferred rolls left, that roll included.
    closing.swap(closing_);
    sync_dir = dir_unsynced_;
    dir_unsynced_ = false;
  }
  // Closed segments, then the directory (a new segment's name), then the
  // active segment: records count as synced only with their file's name.
  for (size_t i = 0; i < closing.size(); ++i) {
    absl::Status synced = Fsync(closing[i].fd, closing[i].path);
    if (!synced.ok()) {
      if (sync_fd >= 0) ::close(sync_fd);
      MutexLock lock(&writer_mu_);
      closing_.insert(closing_.begin(), closing.begin() + i, closing.end());
      dir_unsynced_ = dir_unsynced_ || sync_dir;
      if (sync_fd >= 0) unsynced_ = true;
      return synced;
    }
    ::close(closing[i].fd);
    MutexLock meta(&mu_);
    ++stats_.fsyncs;
  }
  if (sync_dir) {
    absl::Status synced = FsyncDirectory(dir_);
    if (!synced.ok()) {
      if (sync_fd >= 0) ::close(sync_fd);
      MutexLock lock(&writer_mu_);
      dir_unsynced_ = true;
      if (sync_fd >= 0) unsynced_ = true;
      return synced;
    }
  }
  if (sync_fd >= 0) {
    absl::Status synced = Fsync(sync_fd, sync_path);
    ::close(sync_fd);
    if (!synced.ok()) {
      MutexLock lock(&writer_mu_);
      unsynced_ = true;
      return synced;
    }
    const absl::Time done = clock_.Now();
    MutexLock meta(&mu_);
    ++stats_.fsyncs;
    stats_.last_fsync_duration = done - now;
  }
  MutexLock maintenance(&maintenance_mu_);
  return MaintainLocked(now, /*force=*/false);
}

absl::Status WriteAheadLog::MaintainLocked(absl::Time now, bool force) {
  if (force || now - last_checkpoint_ >= options_.checkpoint_interval) {
    PROMSCRAPE_RETURN_IF_ERROR(CheckpointLocked(/*force=*/false));
  }
  EnforceBoundsLocked(now);
  return absl::OkStatus();
}

absl::Status WriteAheadLog::SyncClosingLocked() {
  while (!closing_.empty()) {
    PROMSCRAPE_RETURN_IF_ERROR(Fsync(closing_.front().fd, closing_.front().path));
    ::close(closing_.front().fd);
    closing_.erase(closing_.begin());
    MutexLock meta(&mu_);
    ++stats_.fsyncs;
  }
  if (dir_unsynced_) {
    PROMSCRAPE_RETURN_IF_ERROR(FsyncDirectory(dir_));
    dir_unsynced_ = false;
  }
  return absl::OkStatus();
}

absl::Status WriteAheadLog::SyncLocked() {
  PROMSCRAPE_RETURN_IF_ERROR(FlushBufferLocked());
  PROMSCRAPE_RETURN_IF_ERROR(SyncClosingLocked());
  // Forced: a background fsync in flight may not have finished yet.
  PROMSCRAPE_RETURN_IF_ERROR(FsyncLocked(/*force=*/true));
  MutexLock maintenance(&maintenance_mu_);
  return MaintainLocked(clock_.Now(), /*force=*/true);
}

absl::Status WriteAheadLog::Sync() {
  MutexLock lock(&writer_mu_);
  if (closed_) return absl::FailedPreconditionError("wal is closed");
  return SyncLocked();
}

absl::Status WriteAheadLog::Close() {
  MutexLock lock(&writer_mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  absl::Status status;
  if (fd_ >= 0) {
    status = TrimActiveLocked();
    if (status.ok()) status = SyncLocked();
    if (status.ok()) {
      MutexLock maintenance(&maintenance_mu_);
      status = CheckpointLocked(/*force=*/true);
    }
    ::close(fd_);
    fd_ = -1;
  }
  // After a failed sync: the descriptors still go.
  for (const Closing& c : closing_) ::close(c.fd);
  closing_.clear();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // Releases the flock.
    lock_fd_ = -1;
  }
  return status;
}

absl::Status WriteAheadLog::CheckpointLocked(bool force) {
  uint64_t ack;
  // What is written (not what is buffered): a crash loses the buffer, and
  // this needs no writer state.
  uint64_t next;
  {
    MutexLock lock(&mu_);
    ack = ack_;
    next = segments_.back().end;
    if (ack == checkpointed_ack_ && (!force || checkpoint_next_ == next)) {
      return absl::OkStatus();
    }
  }
  char bytes[kCheckpointBytes];
  EncodeCheckpoint(Checkpoint{ack, next}, bytes);
  PROMSCRAPE_RETURN_IF_ERROR(
      WriteFileAtomically(dir_, absl::StrCat(dir_, "/", kCheckpointFileName),
                          absl::string_view(bytes, sizeof bytes)));
  checkpoint_next_ = next;
  last_checkpoint_ = clock_.Now();
  // Only now may acked segments go: a crash before this point replays them.
  std::vector<uint64_t> removed, sizes;
  {
    MutexLock lock(&mu_);
    checkpointed_ack_ = ack;
    ++stats_.checkpoints;
    while (segments_.size() > 1 && segments_.front().end <= ack) {
      removed.push_back(segments_.front().first);
      sizes.push_back(segments_.front().file_bytes);
      segments_.pop_front();
      ++stats_.segments_truncated;
    }
  }
  RemoveFiles(removed, /*recycle=*/true, sizes);
  return absl::OkStatus();
}

void WriteAheadLog::EnforceBoundsLocked(absl::Time now) {
  if (options_.max_bytes == 0 && options_.max_age <= absl::ZeroDuration()) {
    return;
  }
  std::vector<uint64_t> removed;
  std::vector<Recycled> dropped;
  std::vector<std::string> messages;
  {
    MutexLock lock(&mu_);
    uint64_t closed_bytes = 0;
    for (size_t i = 0; i + 1 < segments_.size(); ++i) {
      closed_bytes += segments_[i].file_bytes;
    }
    if (options_.max_bytes > 0) {
      // Recycled files are disk the log holds: they go first, the newest
      // ones that fit staying.
      uint64_t recycled_bytes = 0;
      size_t keep = 0;
      for (size_t i = recycled_.size(); i > 0; --i) {
        recycled_bytes += recycled_[i - 1].bytes;
        if (closed_bytes + recycled_bytes + options_.segment_bytes >
            options_.max_bytes) {
          break;
        }
        ++keep;
      }
      const size_t drop = recycled_.size() - keep;
      dropped.assign(std::make_move_iterator(recycled_.begin()),
                     std::make_move_iterator(recycled_.begin() + drop));
      recycled_.erase(recycled_.begin(), recycled_.begin() + drop);
    }
    while (segments_.size() > 1) {
      const Segment& s = segments_.front();
      const bool by_age = options_.max_age > absl::ZeroDuration() &&
                          now - s.last_write > options_.max_age;
      // The active segment may still grow to segment_bytes.
      const bool by_bytes =
          options_.max_bytes > 0 &&
          closed_bytes + options_.segment_bytes > options_.max_bytes;
      if (!by_age && !by_bytes) break;
      const uint64_t from = std::max(s.first, ack_);
      const uint64_t unacked = s.end > from ? s.end - from : 0;
      if (unacked > 0) {
        if (by_age) {
          stats_.dropped_records_max_age += unacked;
          stats_.dropped_bytes_max_age += s.file_bytes;
        } else {
          stats_.dropped_records_max_bytes += unacked;
          stats_.dropped_bytes_max_bytes += s.file_bytes;
        }
        messages.push_back(
            absl::StrCat("wal: ", by_age ? "max_age" : "max_bytes",
                         " exceeded: deleting \"", SegmentPath(s.first),
                         "\" with ", unacked, " unacked records (positions [",
                         from, ", ", s.end, ")), ", s.file_bytes, " bytes"));
      } else {
        ++stats_.segments_truncated;
      }
      closed_bytes -= s.file_bytes;
      removed.push_back(s.first);
      segments_.pop_front();
    }
  }
  for (const Recycled& r : dropped) {
    if (::unlink(r.path.c_str()) != 0 && errno != ENOENT) {
      logger_.Warning("wal: ", ErrnoError(errno, "unlink", r.path).ToString());
    }
  }
  RemoveFiles(removed);
  for (const std::string& m : messages) logger_.Warning(m);
}

void WriteAheadLog::RemoveFiles(const std::vector<uint64_t>& firsts,
                                bool recycle,
                                const std::vector<uint64_t>& bytes) {
  for (size_t i = 0; i < firsts.size(); ++i) {
    const std::string path = SegmentPath(firsts[i]);
    // Only the callers holding maintenance_mu_ (or Open) add files, so the
    // count checked here can only shrink before the push below.
    bool keep = false;
    if (recycle && i < bytes.size() && bytes[i] <= options_.segment_bytes) {
      MutexLock lock(&mu_);
      keep = recycled_.size() < options_.recycled_segments;
    }
    if (keep) {
      std::string spare = absl::StrCat(dir_, "/", kRecycledFilePrefix,
                                       SegmentFileName(firsts[i]));
      if (::rename(path.c_str(), spare.c_str()) == 0) {
        MutexLock lock(&mu_);
        recycled_.push_back(Recycled{std::move(spare), bytes[i]});
        continue;
      }
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      logger_.Warning("wal: ", ErrnoError(errno, "unlink", path).ToString());
    }
  }
}

bool WriteAheadLog::HasSegment(uint64_t first) const {
  MutexLock lock(&mu_);
  for (const Segment& s : segments_) {
    if (s.first == first) return true;
  }
  return false;
}

void WriteAheadLog::Ack(uint64_t position) {
  MutexLock lock(&mu_);
  const uint64_t written = segments_.empty() ? 0 : segments_.back().end;
  position = std::min(position, written);
  if (position > ack_) ack_ = position;
}

uint64_t WriteAheadLog::next_position() const {
  MutexLock lock(&writer_mu_);
  return next_index_;
}

uint64_t WriteAheadLog::written_position() const {
  MutexLock lock(&mu_);
  return segments_.empty() ? 0 : segments_.back().end;
}

uint64_t WriteAheadLog::acked_position() const {
  MutexLock lock(&mu_);
  return ack_;
}

uint64_t WriteAheadLog::first_position() const {
  MutexLock lock(&mu_);
  return segments_.empty() ? 0 : segments_.front().first;
}

WriteAheadLog::Stats WriteAheadLog::stats() const {
  MutexLock lock(&mu_);
  Stats s = stats_;
  s.segments = segments_.size();
  s.bytes_on_disk = 0;
  for (const Segment& seg : segments_) s.bytes_on_disk += seg.file_bytes;
  s.recycled_files = recycled_.size();
  s.recycled_bytes = 0;
  for (const Recycled& r : recycled_) s.recycled_bytes += r.bytes;
  s.first_position = segments_.empty() ? 0 : segments_.front().first;
  s.next_position = segments_.empty() ? 0 : segments_.back().end;
  s.acked_position = ack_;
  s.checkpointed_position = checkpointed_ack_;
  return s;
}

bool WriteAheadLog::FindSegment(uint64_t position, Segment* segment, bool* last,
                                uint64_t* ack) const {
  MutexLock lock(&mu_);
  *ack = ack_;
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), position,
      [](uint64_t p, const Segment& s) { return p < s.first; });
  if (it != segments_.begin()) --it;
  while (it != segments_.end() && it->end <= std::max(position, it->first)) {
    ++it;
  }
  if (it == segments_.end()) return false;
  *segment = *it;
  *last = it + 1 == segments_.end();
  return true;
}

void WriteAheadLog::CountCorruption(uint64_t records, uint64_t bytes) {
  MutexLock lock(&mu_);
  stats_.corrupt_records += records;
  stats_.corrupt_bytes += bytes;
}

}  // namespace promscrape::remote::wal
