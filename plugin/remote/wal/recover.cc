// WriteAheadLog::Open's recovery: the lock, the checkpoint, and the scan of
// every segment (torn tails, corruption, gaps). See wal.h.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/remote/wal/file_io.h"
#include "plugin/remote/wal/format.h"
#include "plugin/remote/wal/wal.h"

namespace promscrape::remote::wal {

// One segment file as Open found it.
struct WriteAheadLog::Scanned {
  uint64_t first = 0;
  SegmentScan scan;
  uint64_t file_bytes = 0;
  absl::Time mtime;
};

absl::StatusOr<WriteAheadLog::Scanned> WriteAheadLog::ScanFile(uint64_t first,
                                                               bool last) {
  const std::string path = SegmentPath(first);
  PROMSCRAPE_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  Scanned s;
  s.first = first;
  s.scan = ScanSegment(file.bytes(), first);
  s.file_bytes = file.bytes().size();
  s.mtime = absl::FromUnixNanos(file.mtime_ns());
  if (s.scan.end_marker && s.scan.valid_bytes < s.file_bytes) {
    // A reused file's old bytes after its records (a crash before the
    // segment was closed): not records, cut off like a closed segment's.
    file = MappedFile();  // Unmap before the file shrinks under it.
    if (::truncate(path.c_str(), s.scan.valid_bytes) != 0) {
      return ErrnoError(errno, "truncate", path);
    }
    s.file_bytes = s.scan.valid_bytes;
  }
  if (!s.scan.corrupt) return s;

  const uint64_t skipped = s.file_bytes - s.scan.valid_bytes;
  if (last && s.scan.frames_after == 0) {
    // Nothing valid follows the bad bytes in the newest segment: a write the
    // crash cut short. Cut it off so the file ends on a frame boundary.
    file = MappedFile();  // Unmap before the file shrinks under it.
    logger_.Warning("wal: torn tail in \"", path, "\" at offset ",
                    s.scan.valid_bytes, " (", s.scan.reason, "): truncating ",
                    skipped, " bytes");
    if (::truncate(path.c_str(), s.scan.valid_bytes) != 0) {
      return ErrnoError(errno, "truncate", path);
    }
    s.file_bytes = s.scan.valid_bytes;
    s.scan.corrupt = false;
    MutexLock lock(&mu_);
    ++stats_.torn_tails;
    stats_.torn_tail_bytes += skipped;
  }
  return s;
}

absl::Status WriteAheadLog::Recover() {
  MutexLock writer_lock(&writer_mu_);
  const std::string lock_path = absl::StrCat(dir_, "/", kLockFileName);
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoError(errno, "open", lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "wal directory \"", dir_, "\" is in use by another log"));
    }
    return ErrnoError(errno, "flock", lock_path);
  }

  // The checkpoint. Anything wrong with it only costs redelivery.
  const std::string checkpoint_path =
      absl::StrCat(dir_, "/", kCheckpointFileName);
  Checkpoint checkpoint;
  absl::StatusOr<std::string> data =
      ReadSmallFile(checkpoint_path, kCheckpointBytes);
  const char* reason = nullptr;
  bool checkpoint_error = false;
  if (!data.ok()) {
    if (!absl::IsNotFound(data.status())) {
      checkpoint_error = true;
      logger_.Warning("wal: ", data.status().ToString(),
                      "; reading from the oldest record");
    }
  } else if (!ParseCheckpoint(*data, &checkpoint, &reason)) {
    checkpoint_error = true;
    checkpoint = Checkpoint();
    logger_.Warning("wal: checkpoint \"", checkpoint_path, "\" is unreadable (",
                    reason, "); reading from the oldest record");
  }

  std::vector<uint64_t> firsts;
  std::vector<std::string> recycled;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return ErrnoError(errno, "opendir", dir_);
  while (struct dirent* e = ::readdir(d)) {
    uint64_t first = 0;
    const absl::string_view name(e->d_name);
    if (ParseSegmentFileName(name, &first)) {
      firsts.push_back(first);
    } else if (absl::StartsWith(name, kRecycledFilePrefix)) {
      recycled.emplace_back(name);
    }
  }
  ::closedir(d);
  std::sort(firsts.begin(), firsts.end());
  // Recycled files of an earlier run are reused as well: their old records
  // all precede every position this run gives out.
  std::sort(recycled.begin(), recycled.end());
  for (const std::string& name : recycled) {
    const std::string path = absl::StrCat(dir_, "/", name);
    struct stat st;
    bool keep = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                static_cast<uint64_t>(st.st_size) <= options_.segment_bytes;
    MutexLock lock(&mu_);
    keep = keep && recycled_.size() < options_.recycled_segments;
    if (keep) {
      recycled_.push_back(Recycled{path, static_cast<uint64_t>(st.st_size)});
    } else {
      ::unlink(path.c_str());
    }
  }

  std::vector<Scanned> scans;
  for (size_t i = 0; i < firsts.size(); ++i) {
    PROMSCRAPE_ASSIGN_OR_RETURN(Scanned s,
                                ScanFile(firsts[i], i + 1 == firsts.size()));
    scans.push_back(s);
  }

  const absl::Time now = clock_.Now();
  uint64_t next =
      std::max<uint64_t>({uint64_t{1}, checkpoint.next_index, checkpoint.ack});
  std::deque<Segment> segments;
  std::vector<uint64_t> empty;
  uint64_t corrupt_records = 0, corrupt_bytes = 0, missing = 0;
  for (size_t i = 0; i < scans.size(); ++i) {
    const Scanned& s = scans[i];
    const uint64_t end = s.first + s.scan.records;
    const bool has_next = i + 1 < scans.size();
    const uint64_t next_first = has_next ? scans[i + 1].first : 0;
    next = std::max({next, end, s.first});
    if (s.scan.frames_after > 0) {
      next = std::max(next, s.scan.max_index_after + 1);
    }
    const std::string path = SegmentPath(s.first);
    if (s.scan.corrupt) {
      // Exact when a later segment exists (positions are contiguous across
      // segments); otherwise what the resync still recognized.
      uint64_t lost = 1;
      if (has_next && next_first > end) {
        lost = next_first - end;
      } else if (s.scan.frames_after > 0 && s.scan.max_index_after >= end) {
        lost = s.scan.max_index_after + 1 - end;
      }
      corrupt_records += lost;
      corrupt_bytes += s.file_bytes - s.scan.valid_bytes;
      logger_.Warning(
          "wal: corrupt segment \"", path, "\" at offset ", s.scan.valid_bytes,
          " (", s.scan.reason, "): skipping the rest of the segment, ", lost,
          " records, ", s.file_bytes - s.scan.valid_bytes, " bytes");
    } else if (has_next && next_first > end) {
      missing += next_first - end;
      logger_.Warning("wal: records [", end, ", ", next_first,
                      ") are missing: no segment holds them after \"", path,
                      "\"");
    } else if (has_next && next_first < end) {
      logger_.Warning("wal: segment \"", path, "\" overlaps the next one at ",
                      next_first, "; reading continues in the next one");
    }
    if (s.scan.records == 0 && s.scan.frames_after == 0) {
      // Nothing readable; the name's position is already in `next`.
      empty.push_back(s.first);
      continue;
    }
    Segment seg;
    seg.first = s.first;
    seg.end = end;
    seg.readable_bytes = s.scan.valid_bytes;
    seg.file_bytes = s.file_bytes;
    seg.last_write = std::min(s.mtime, now);
    segments.push_back(seg);
  }
  RemoveFiles(empty);

  uint64_t replayed = 0;
  // Positions start at 1, so an ack of 0 and of 1 both mean nothing acked.
  const uint64_t ack = std::max<uint64_t>(1, std::min(checkpoint.ack, next));
  for (const Segment& seg : segments) {
    const uint64_t from = std::max(seg.first, ack);
    if (seg.end > from) replayed += seg.end - from;
  }
  next_index_ = next;
  written_end_ = next;
  const uint64_t checkpoint_next = checkpoint.next_index;
  {
    MutexLock lock(&mu_);
    segments_ = std::move(segments);
    ack_ = ack;
    checkpointed_ack_ = checkpoint_error ? 0 : checkpoint.ack;
    stats_.records_replayed = replayed;
    stats_.corrupt_records += corrupt_records;
    stats_.corrupt_bytes += corrupt_bytes;
    stats_.missing_records = missing;
    stats_.checkpoint_errors = checkpoint_error ? 1 : 0;
  }
  logger_.Info("wal \"", dir_, "\": ", scans.size(), " segments, ", replayed,
               " unacked records from position ", ack, ", next position ",
               next);
  last_sync_ = now;
  PROMSCRAPE_RETURN_IF_ERROR(StartSegmentLocked());
  MutexLock maintenance(&maintenance_mu_);
  checkpoint_next_ = checkpoint_next;
  last_checkpoint_ = now;
  return CheckpointLocked(/*force=*/true);
}

}  // namespace promscrape::remote::wal
