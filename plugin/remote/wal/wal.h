#ifndef PLUGIN_REMOTE_WAL_WAL_H_
#define PLUGIN_REMOTE_WAL_WAL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"

namespace promscrape::remote::wal {

class Reader;

// A write-ahead log of opaque byte records (chunks of encoded remote-write
// `timeseries` records; the log does not interpret them) in segment files in
// one directory, under which the remote-write queue keeps what it has not yet
// delivered. Each record gets a position: 1 for the first record ever, then
// increasing by one, also across restarts. A Reader (reader.h) reads records
// back from any position; `Ack(p)` says every record below p was delivered,
// and segments holding only delivered records are deleted.
//
// Durability. Appended records are framed into a user-space buffer
// (`write_buffer_bytes`) and written to the segment file with write(2) when
// the buffer fills, on `AppendBatch`, `Flush`, `MaybeSync` and `Sync`;
// records of 4 KiB and more are written at once, without the copy; only
// written records are visible to readers. Written records survive a crash of
// the process. They survive power loss once fsynced, which happens when a
// segment is closed (rolled), on `Sync`, and on `Flush`/`MaybeSync` once
// `fsync_interval` has passed since the last fsync (every `Flush` when it is
// zero). There is no timer thread: the owner calls `MaybeSync` periodically
// (every `fsync_interval` or more often) so an idle tail is synced too. With
// `background_sync` (and a non-zero interval) a roll fsyncs nothing itself:
// the closed segment, the directory entry of the new one and the checkpoint
// are left to the next `MaybeSync`, so an appender never waits for the disk
// at a roll either; the power-loss window stays `fsync_interval`.
//
// Recycling. Up to `recycled_segments` segment files deleted after their
// records were acknowledged are kept as `recycled-<first>` and renamed into
// place for the next new segment, whose records overwrite the old bytes:
// the kernel rewrites cached pages of an existing file for much less than it
// allocates, maps and later frees the pages of a new one. Every write to a
// reused file ends with an end marker (format.h), followed by zeros to the
// end of the page it ends in (within the old file's size): a write ending in
// the middle of a page makes the kernel read the rest of that page from the
// disk first when it is no longer cached, as the old pages of a file written
// a segment ago usually are, and that read would wait on the appending
// thread. A segment is cut to its records' size when it is closed, so the
// old bytes are never read as records; after a crash, Open truncates them
// away with no torn tail to report. Files of unacknowledged records deleted by `max_bytes` or
// `max_age` are never reused (a reader may still be on them), and recycled
// files count toward `max_bytes` and are the first to go.
//
// Acknowledgement and the at-least-once window. `Ack` only moves a position
// in memory. `MaybeSync` (at most once per `checkpoint_interval`), `Sync`, a
// segment roll and `Close` persist it in the `checkpoint` file (temporary
// file, fsync, rename) and then delete the segments below it. After a
// restart, reading starts at the persisted ack: records acked but not yet
// checkpointed are delivered again. The checkpoint also keeps the next
// position, so positions never go back even when every segment is gone.
//
// Bounds. With `max_bytes` or `max_age` set, the oldest closed segments are
// deleted when the total size of the segments would exceed `max_bytes` once
// the active segment is full, or when a segment's last write is older than
// `max_age`, acked or not. Unacked records deleted this way are counted in
// `Stats` by cause and logged, and readers positioned on them skip ahead and
// report the loss. Sizes are checked at every roll; ages on `MaybeSync` and
// `Sync`, which also close an idle active segment older than `max_age`. A
// segment's age is that of its last write by the injected clock (for
// segments found at Open, the file's mtime), not of the samples inside.
//
// Corruption never fails Open. On Open every segment is scanned: a bad or
// partial record in the newest segment with no valid record after it is a
// torn write from a crash and is truncated away; a bad record elsewhere (a
// valid one follows, or an older segment) or a bad segment
// header makes the rest of that segment unreadable (skipped, counted and
// logged with the file and offset); a gap between segments is logged; an
// unreadable checkpoint means reading starts at the oldest record present.
// Open always starts a new segment for appends.
//
// Thread-safety: thread-safe. The writer-side methods (Append, AppendBatch,
// Flush, Sync, Close) are serialized by one lock and do file I/O under it;
// one writer thread is the intended use. MaybeSync takes that lock only to
// write out the buffer: its fsync (of a duplicate of the segment's file
// descriptor) and its checkpoint run outside it, so with `background_sync`
// an appender never waits for the disk's flush. `Ack`, `stats()` and the accessors other than
// `next_position()` take only a short metadata lock never held across I/O,
// as do readers, so the sender thread reading and acking is not blocked by
// the writer's write or fsync.
// One directory is used by one log at a time (an flock on `lock`).
class WriteAheadLog {
 public:
  struct Options {
    // A segment is closed and a new one started when the next record would
    // take it past this size; a bigger record gets a segment to itself.
    uint64_t segment_bytes = 64u << 20;
    // Longest time a written record stays without fsync while the owner
    // calls Flush or MaybeSync; zero fsyncs on every Flush.
    absl::Duration fsync_interval = absl::Seconds(1);
    // Least time between checkpoint writes by MaybeSync.
    absl::Duration checkpoint_interval = absl::Seconds(1);
    // Upper bound on the total size of the segment files; zero is unbounded.
    // Must be zero or at least twice `segment_bytes`.
    uint64_t max_bytes = 0;
    // Segments whose last write is older are deleted; zero keeps them.
    absl::Duration max_age = absl::ZeroDuration();
    // Size of the user-space buffer between Append and write(2); records
    // larger than it are written directly.
    size_t write_buffer_bytes = 64u << 10;
    // The owner calls MaybeSync from a thread of its own at least every
    // `fsync_interval`: Append, AppendBatch and Flush then never fsync
    // (unless `fsync_interval` is zero), so appenders never wait for the
    // disk's flush, and MaybeSync fsyncs and checkpoints without holding
    // the writer lock.
    bool background_sync = false;
    // Acknowledged segment files kept for reuse (see Recycling); zero
    // deletes them.
    size_t recycled_segments = 1;
  };

  // Counters since Open, except where a field says otherwise.
  struct Stats {
    // Now: segment files, their total size, and the positions.
    uint64_t segments = 0;
    uint64_t bytes_on_disk = 0;
    uint64_t first_position = 0;  // Oldest record present.
    uint64_t next_position = 0;   // Past the last written record.
    uint64_t acked_position = 0;
    uint64_t checkpointed_position = 0;

    uint64_t records_appended = 0;  // Written to the file.
    uint64_t bytes_appended = 0;    // Frames included.
    // Unacked records found by Open.
    uint64_t records_replayed = 0;
    // Records skipped as unreadable (bad frame, bad segment header), by Open
    // or by a reader, and the bytes skipped with them.
    uint64_t corrupt_records = 0;
    uint64_t corrupt_bytes = 0;
    // Torn tails truncated away by Open, and their bytes.
    uint64_t torn_tails = 0;
    uint64_t torn_tail_bytes = 0;
    // Records missing between consecutive segments at Open.
    uint64_t missing_records = 0;
    // Unreadable checkpoint at Open (reading starts at the oldest record).
    uint64_t checkpoint_errors = 0;
    // Unacked records and segment bytes deleted by `max_bytes` and `max_age`.
    uint64_t dropped_records_max_bytes = 0;
    uint64_t dropped_bytes_max_bytes = 0;
    uint64_t dropped_records_max_age = 0;
    uint64_t dropped_bytes_max_age = 0;
    // Acked segments deleted (recycled or not).
    uint64_t segments_truncated = 0;
    // Now: recycled files waiting for reuse and their size; since Open:
    // segments started in a recycled file.
    uint64_t recycled_files = 0;
    uint64_t recycled_bytes = 0;
    uint64_t segments_reused = 0;
    uint64_t checkpoints = 0;
    uint64_t fsyncs = 0;
    absl::Duration last_fsync_duration;
  };

  // Opens the log in `dir`, creating the directory when missing, recovers
  // what is there (see above) and starts a new segment. `clock` and `logger`
  // must outlive the log. kInvalidArgument for bad options or when `dir` is
  // not a directory; kFailedPrecondition when another log holds `dir`; an
  // errno-derived code (kPermissionDenied, kResourceExhausted, ...) with the
  // path for I/O errors.
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(
      std::string dir, Options options, Clock& clock, const Logger& logger);

  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Close(), logging an error. Readers must be destroyed first.
  ~WriteAheadLog();

  // Appends `record` to the buffer and returns its position. The record is
  // written to the file at the latest on the next Flush. On error nothing is
  // appended: kInvalidArgument when larger than kMaxRecordBytes,
  // kFailedPrecondition after Close, or the I/O error of a write or roll this
  // append needed. Allocation-free unless a segment rolls.
  absl::StatusOr<uint64_t> Append(absl::string_view record)
      ABSL_LOCKS_EXCLUDED(writer_mu_);
  // As Append, for a record given in pieces (at most 2; the record is their
  // concatenation), so a caller need not copy them together first.
  absl::StatusOr<uint64_t> AppendPieces(
      absl::Span<const absl::string_view> pieces)
      ABSL_LOCKS_EXCLUDED(writer_mu_);

  // Appends `records` in order, then Flush. Returns the position of the
  // first. On error, the records before the failing one stay appended.
  absl::StatusOr<uint64_t> AppendBatch(
      absl::Span<const absl::string_view> records)
      ABSL_LOCKS_EXCLUDED(writer_mu_);

  // Writes the buffered records to the file (visible to readers from then
  // on), and fsyncs when `fsync_interval` is zero or has passed. On a write
  // error the records stay buffered and the next Flush retries them.
  absl::Status Flush() ABSL_LOCKS_EXCLUDED(writer_mu_);

  // Flush, plus what is due by time: an fsync when `fsync_interval` has
  // passed, a checkpoint and deletion of acked segments when
  // `checkpoint_interval` has passed and the ack moved, and `max_age`. The
  // fsync and the checkpoint run without the writer lock: appends go on
  // meanwhile.
  absl::Status MaybeSync() ABSL_LOCKS_EXCLUDED(writer_mu_, maintenance_mu_);

  // Flush, fsync, checkpoint and delete acked segments, enforce bounds, now.
  absl::Status Sync() ABSL_LOCKS_EXCLUDED(writer_mu_);

  // Sync and release the directory. Later appends fail with
  // kFailedPrecondition; readers may still read. Idempotent.
  absl::Status Close() ABSL_LOCKS_EXCLUDED(writer_mu_);

  // Every record below `position` was delivered. Positions past the last
  // written record are clamped; an ack never moves back. Cheap; no I/O.
  void Ack(uint64_t position) ABSL_LOCKS_EXCLUDED(mu_);

  // The position the next Append gets. Waits for a writer-side call in
  // progress (it is the writer's state).
  uint64_t next_position() const ABSL_LOCKS_EXCLUDED(writer_mu_);
  // One past the last record written to the file (what readers can reach).
  uint64_t written_position() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t acked_position() const ABSL_LOCKS_EXCLUDED(mu_);
  // Oldest record present on disk.
  uint64_t first_position() const ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& dir() const { return dir_; }

 private:
  friend class Reader;
  struct Scanned;

  // One segment file. `end` and `readable_bytes` grow while it is active.
  struct Segment {
    uint64_t first = 0;           // First position; the file name.
    uint64_t end = 0;             // One past the last readable record.
    uint64_t readable_bytes = 0;  // Header plus the frames of [first, end).
    uint64_t file_bytes = 0;      // Size on disk.
    absl::Time last_write;
  };

  WriteAheadLog(std::string dir, Options options, Clock& clock,
                const Logger& logger);

  absl::Status Recover() ABSL_LOCKS_EXCLUDED(writer_mu_, mu_);
  absl::StatusOr<Scanned> ScanFile(uint64_t first, bool last);
  std::string SegmentPath(uint64_t first) const;

  // Starts the segment at next_index_. With `defer_sync` the directory is
  // not fsynced and the old segment's descriptor goes to `closing_` instead
  // of being closed: MaybeSync does both.
  absl::Status StartSegmentLocked(bool defer_sync = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Whether rolls leave their fsyncs to MaybeSync.
  bool DeferRollSync() const {
    return options_.background_sync &&
           options_.fsync_interval > absl::ZeroDuration();
  }
  // Fsyncs and closes the closed segments waiting in `closing_`, then the
  // directory when a new segment's entry waits; under the writer lock (Sync,
  // Close).
  absl::Status SyncClosingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status RollLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status FlushBufferLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Publishes the records and bytes written since the last call to readers.
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // fsyncs the active segment when written records are not yet synced, or
  // always when `force`.
  absl::Status FsyncLocked(bool force = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Persists the ack when it moved (or `force`), then deletes the segments
  // below the persisted ack.
  absl::Status CheckpointLocked(bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_);
  // Deletes the oldest closed segments beyond `max_bytes` / `max_age`.
  void EnforceBoundsLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_);
  // A recycled file taken for the segment at `path` (renamed and opened for
  // writing), or -1 when there is none or the rename or open failed.
  int TakeRecycledFile(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Cuts a reused active segment's file to its records.
  absl::Status TrimActiveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Bytes of zeros to write after the records ending at `end` in a reused
  // file: an end marker, then up to the end of its page where the old file
  // reaches that far. A write that ends inside a page whose old contents are
  // no longer cached makes the kernel read that page from the disk first (to
  // complete it), synchronously, on the appending thread; the log's pages are
  // long evicted when a recycled file comes back into use.
  size_t ReusedTailLocked(uint64_t end) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  absl::Status SyncLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Checkpoint (when due by time, or `force`) and bounds.
  absl::Status MaintainLocked(absl::Time now, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maintenance_mu_);
  // Deletes the segment files `firsts`; with `recycle`, keeps files (of
  // acknowledged records; `bytes` their sizes) for reuse up to the limit.
  void RemoveFiles(const std::vector<uint64_t>& firsts, bool recycle = false,
                   const std::vector<uint64_t>& bytes = {});
  // Whether segment `first` is still part of the log (for readers that find
  // bad bytes: a segment recycled under them is no corruption).
  bool HasSegment(uint64_t first) const ABSL_LOCKS_EXCLUDED(mu_);

  // For readers: the segment holding `position`, or the first one after it
  // with records, and the current ack. False when no written record is at or
  // after `position`.
  bool FindSegment(uint64_t position, Segment* segment, bool* last,
                   uint64_t* ack) const ABSL_LOCKS_EXCLUDED(mu_);
  void CountCorruption(uint64_t records, uint64_t bytes)
      ABSL_LOCKS_EXCLUDED(mu_);

  const std::string dir_;
  const Options options_;
  Clock& clock_;
  const Logger& logger_;

  // Serializes the writer side and all file changes. Held across I/O.
  mutable Mutex writer_mu_;
  int lock_fd_ ABSL_GUARDED_BY(writer_mu_) = -1;
  int fd_ ABSL_GUARDED_BY(writer_mu_) = -1;  // The active segment.
  std::string active_path_ ABSL_GUARDED_BY(writer_mu_);
  uint64_t active_first_ ABSL_GUARDED_BY(writer_mu_) = 0;
  // Bytes of the active segment written to the file (frame boundary).
  uint64_t written_bytes_ ABSL_GUARDED_BY(writer_mu_) = 0;
  std::unique_ptr<char[]> buffer_ ABSL_GUARDED_BY(writer_mu_);
  // The memory page size, and a page of zeros plus an end marker's worth:
  // the tail written after the records in a reused file.
  const size_t page_bytes_;
  const std::unique_ptr<char[]> zeros_;
  size_t buffered_bytes_ ABSL_GUARDED_BY(writer_mu_) = 0;
  uint64_t next_index_ ABSL_GUARDED_BY(writer_mu_) = 1;
  // Records and bytes written but not yet published to readers.
  uint64_t written_end_ ABSL_GUARDED_BY(writer_mu_) = 1;
  uint64_t unpublished_bytes_ ABSL_GUARDED_BY(writer_mu_) = 0;
  bool unsynced_ ABSL_GUARDED_BY(writer_mu_) = false;
  // The active segment is a reused file: bytes past the records are old.
  bool active_reused_ ABSL_GUARDED_BY(writer_mu_) = false;
  // Size of the reused file when it was taken (its old bytes end there).
  uint64_t reused_file_bytes_ ABSL_GUARDED_BY(writer_mu_) = 0;
  // Segments closed by a deferred roll, still to be fsynced (descriptor and
  // path), and whether the directory needs an fsync for a new segment.
  struct Closing {
    int fd = -1;
    std::string path;
  };
  std::vector<Closing> closing_ ABSL_GUARDED_BY(writer_mu_);
  bool dir_unsynced_ ABSL_GUARDED_BY(writer_mu_) = false;
  absl::Time last_sync_ ABSL_GUARDED_BY(writer_mu_);
  bool closed_ ABSL_GUARDED_BY(writer_mu_) = false;

  // Serializes checkpoints and segment deletion (the log's upkeep), which
  // need no writer state: MaybeSync does them without blocking appends.
  // Taken after `writer_mu_` when both are held (a roll).
  mutable Mutex maintenance_mu_ ABSL_ACQUIRED_AFTER(writer_mu_);
  absl::Time last_checkpoint_ ABSL_GUARDED_BY(maintenance_mu_);
  uint64_t checkpoint_next_ ABSL_GUARDED_BY(maintenance_mu_) = 0;

  // Metadata shared with readers and Ack. Never held across I/O; taken
  // after `writer_mu_` and `maintenance_mu_` when held together.
  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(writer_mu_, maintenance_mu_);
  // Oldest first; back() is the active segment.
  std::deque<Segment> segments_ ABSL_GUARDED_BY(mu_);
  uint64_t ack_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t checkpointed_ack_ ABSL_GUARDED_BY(mu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Recycled files (path, size), oldest first.
  struct Recycled {
    std::string path;
    uint64_t bytes = 0;
  };
  std::vector<Recycled> recycled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::remote::wal

#endif  // PLUGIN_REMOTE_WAL_WAL_H_
