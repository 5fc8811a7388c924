#include "plugin/remote/wal/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "plugin/common/status.h"
#include "plugin/remote/wal/file_io.h"
#include "plugin/remote/wal/format.h"

namespace promscrape::remote::wal {
namespace {

constexpr size_t kReadChunk = 64u << 10;
// Opening a segment the log deleted between lookup and open is retried this
// many times before the missing file counts as corruption.
constexpr int kMaxOpenRetries = 3;

}  // namespace

Reader::Reader(WriteAheadLog& wal, uint64_t position)
    : wal_(wal),
      position_(std::max<uint64_t>(position, 1)),
      buffer_(new char[kReadChunk]),
      capacity_(kReadChunk) {}

Reader::~Reader() { CloseSegment(); }

void Reader::CloseSegment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  file_first_ = 0;
  buffered_ = 0;
}

void Reader::Seek(uint64_t position) { position_ = position; }

absl::StatusOr<bool> Reader::OpenSegment(uint64_t first, uint64_t limit) {
  CloseSegment();
  path_ = wal_.SegmentPath(first);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return ErrnoError(errno, "open", path_);
  file_first_ = first;
  file_next_ = first;
  offset_ = 0;
  buffer_offset_ = 0;
  PROMSCRAPE_ASSIGN_OR_RETURN(bool have, Fill(kSegmentHeaderBytes, limit));
  const char* reason = "segment header truncated";
  if (!have ||
      !ParseSegmentHeader(absl::string_view(buffer_.get(), kSegmentHeaderBytes),
                          first, &reason, &file_version_)) {
    MarkCorrupt(reason, limit);
    return false;
  }
  offset_ = kSegmentHeaderBytes;
  return true;
}

absl::StatusOr<bool> Reader::Fill(size_t n, uint64_t limit) {
  if (offset_ + n > limit) return false;
  const uint64_t buffer_end = buffer_offset_ + buffered_;
  if (offset_ >= buffer_offset_ && offset_ + n <= buffer_end) return true;
  // Keep the bytes from offset_ on, at the start of the buffer.
  if (offset_ >= buffer_offset_ && offset_ < buffer_end) {
    const size_t keep = buffer_end - offset_;
    std::memmove(buffer_.get(), buffer_.get() + (offset_ - buffer_offset_),
                 keep);
    buffered_ = keep;
  } else {
    buffered_ = 0;
  }
  buffer_offset_ = offset_;
  if (n > capacity_) {
    // Only for a record bigger than any so far; `n` is below `limit`, which
    // the log wrote, so a corrupt length cannot ask for more.
    std::unique_ptr<char[]> bigger(new char[n]);
    std::memcpy(bigger.get(), buffer_.get(), buffered_);
    buffer_ = std::move(bigger);
    capacity_ = n;
  }
  const uint64_t file_pos = buffer_offset_ + buffered_;
  const size_t want = static_cast<size_t>(
      std::min<uint64_t>(capacity_ - buffered_, limit - file_pos));
  PROMSCRAPE_ASSIGN_OR_RETURN(
      size_t got,
      PReadUpTo(fd_, buffer_.get() + buffered_, want, file_pos, path_));
  buffered_ += got;
  return buffered_ >= n;
}

void Reader::MarkCorrupt(const char* reason, uint64_t limit) {
  wal_.logger_.Warning("wal: reader found \"", path_, "\" corrupt at offset ",
                       offset_, " (", reason,
                       "): skipping the rest of the segment");
  wal_.CountCorruption(0, limit > offset_ ? limit - offset_ : 0);
  bad_segment_ = file_first_;
  CloseSegment();
}

absl::StatusOr<bool> Reader::Next(Record* record) {
  int open_retries = 0;
  for (;;) {
    WriteAheadLog::Segment seg;
    bool last = false;
    uint64_t ack = 0;
    if (!wal_.FindSegment(position_, &seg, &last, &ack)) return false;
    if (seg.first > position_) {
      // Deleted by a bound, missing or corrupt; acked records are no loss.
      const uint64_t from = std::max(position_, ack);
      if (seg.first > from) lost_ += seg.first - from;
      position_ = seg.first;
    }
    if (seg.first == bad_segment_) {
      const uint64_t from = std::max(position_, ack);
      if (seg.end > from) {
        lost_ += seg.end - from;
        wal_.CountCorruption(seg.end - from, 0);
      }
      position_ = seg.end;
      if (last) return false;
      continue;
    }
    if (fd_ < 0 || file_first_ != seg.first || file_next_ > position_) {
      absl::StatusOr<bool> opened = OpenSegment(seg.first, seg.readable_bytes);
      if (!opened.ok()) {
        if (absl::IsNotFound(opened.status()) &&
            ++open_retries <= kMaxOpenRetries) {
          continue;  // Deleted since the lookup; look again.
        }
        if (!absl::IsNotFound(opened.status())) return opened.status();
        file_first_ = seg.first;
        offset_ = 0;
        MarkCorrupt("segment file missing", seg.readable_bytes);
        continue;
      }
      if (!*opened) continue;
    }
    // Frames before position_ (after a seek) are read and passed over.
    for (;;) {
      PROMSCRAPE_ASSIGN_OR_RETURN(bool have,
                                  Fill(kFrameHeaderBytes, seg.readable_bytes));
      Frame frame;
      FrameStatus status = FrameStatus::kTruncated;
      if (have) {
        uint32_t length = 0;
        for (int i = 3; i >= 0; --i) {
          length = (length << 8) |
                   static_cast<uint8_t>(buffer_[offset_ - buffer_offset_ + i]);
        }
        PROMSCRAPE_ASSIGN_OR_RETURN(
            have, Fill(kFrameHeaderBytes + std::min(length, kMaxRecordBytes),
                       seg.readable_bytes));
        if (have) {
          status = DecodeFrame(
              absl::string_view(buffer_.get() + (offset_ - buffer_offset_),
                                buffered_ - (offset_ - buffer_offset_)),
              &frame, file_version_);
        }
      }
      const char* reason = nullptr;
      if (status == FrameStatus::kTruncated) {
        reason = "record truncated";
      } else if (status != FrameStatus::kOk) {
        reason = "bad record";
      } else if (frame.index != file_next_) {
        reason = "record index out of sequence";
      }
      if (reason != nullptr) {
        if (!wal_.HasSegment(file_first_)) {
          // Acknowledged and recycled while this reader was on it: its
          // bytes are another segment's now, and none was a loss.
          CloseSegment();
          break;
        }
        MarkCorrupt(reason, seg.readable_bytes);
        break;
      }
      offset_ += frame.size;
      ++file_next_;
      if (frame.index == position_) {
        record->position = position_;
        record->bytes = frame.payload;
        ++position_;
        return true;
      }
    }
  }
}

}  // namespace promscrape::remote::wal
