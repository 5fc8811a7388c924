#ifndef PLUGIN_REMOTE_WAL_READER_H_
#define PLUGIN_REMOTE_WAL_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/remote/wal/wal.h"

namespace promscrape::remote::wal {

// A cursor that reads a WriteAheadLog's records in position order, from any
// position, while the writer appends: it reads the active segment up to the
// last record written to the file (see WriteAheadLog::Flush). The remote-
// write sender uses one to read back what its in-memory queue could not
// hold.
//
// Records can vanish under the reader: segments deleted by the log's
// `max_bytes` / `max_age` bounds, or unreadable (corrupt) ones. The reader
// then skips to the next record that exists; `Record::position` shows the
// jump and `lost_records()` counts the unacked records skipped. Skipping
// records below the log's ack is not a loss.
//
// Reads use pread into a buffer the reader owns and reuses (it grows only
// for a record bigger than any before), so the warm path does not allocate.
//
// Thread-compatible: one thread uses a reader, concurrently with the
// writer and with other readers. The log must outlive the reader.
class Reader {
 public:
  struct Record {
    uint64_t position = 0;
    // Valid until the next Next() or Seek(), or the reader's destruction.
    absl::string_view bytes;
  };

  // A reader whose first record is the one at `position`, or the next one
  // present (pass `wal.acked_position()` to resume delivery).
  Reader(WriteAheadLog& wal, uint64_t position);

  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Reads the record at position(), or the next one present, and moves past
  // it. Returns false when no such record has been written yet (call again
  // later). Errors are I/O errors reading a segment, with its path; the
  // position is unchanged, so a later call retries. Corruption is not an
  // error: it is skipped, counted in the log's Stats and logged.
  absl::StatusOr<bool> Next(Record* record);

  // Moves to `position`. Going back rereads the segment from its start.
  void Seek(uint64_t position);

  // The position the next Next() reads (if it is still present).
  uint64_t position() const { return position_; }
  // Unacked records skipped because they were deleted or unreadable.
  uint64_t lost_records() const { return lost_; }

 private:
  // Opens segment `first`, checks its header, and positions at its first
  // frame. False when the file is corrupt (already counted and logged).
  absl::StatusOr<bool> OpenSegment(uint64_t first, uint64_t limit);
  void CloseSegment();
  // Makes the `n` bytes at `offset_` available in the buffer. False when
  // fewer than `n` bytes exist there below `limit`.
  absl::StatusOr<bool> Fill(size_t n, uint64_t limit);
  // Logs a corrupt segment and marks it to be skipped by this reader.
  void MarkCorrupt(const char* reason, uint64_t limit);

  WriteAheadLog& wal_;
  uint64_t position_;
  uint64_t lost_ = 0;

  int fd_ = -1;
  std::string path_;
  uint64_t file_first_ = 0;  // Segment of `fd_`.
  uint64_t file_next_ = 0;   // Position of the frame at `offset_`.
  // Format version of the segment of `fd_` (its frames' checksum); set
  // when its header is read.
  uint32_t file_version_ = 0;
  uint64_t offset_ = 0;      // File offset of the next frame.
  // A segment this reader found corrupt and skips; 0 for none (positions
  // start at 1).
  uint64_t bad_segment_ = 0;

  // Holds the file bytes [buffer_offset_, buffer_offset_ + buffered_).
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  uint64_t buffer_offset_ = 0;
  size_t buffered_ = 0;
};

}  // namespace promscrape::remote::wal

#endif  // PLUGIN_REMOTE_WAL_READER_H_
