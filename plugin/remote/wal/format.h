#ifndef PLUGIN_REMOTE_WAL_FORMAT_H_
#define PLUGIN_REMOTE_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

// The on-disk format of the write-ahead log (wal.h), as pure functions over
// bytes: no I/O, so the segment scanner can be fuzzed on arbitrary input
// (tests/fuzz/wal_segment_fuzz.cc). All integers are little-endian.
//
// Segment file `<first index, 20 decimal digits>.seg`:
//
//   header (24 bytes):
//     u32 magic "PWAL"  u32 version (2; 1 is still read)  u64 first index
//     u32 crc32 of the 16 bytes before it  u32 zero
//   frames, one per record, indices first, first+1, ...:
//     u32 payload length  u32 checksum  u64 index  payload
//     The checksum covers the length, the index and the payload: CRC-32C
//     in version 2, zlib's crc32 in version 1 (segments of earlier
//     releases, replayed as they are; new segments are always version 2).
//   optionally an end marker: 16 zero bytes where the next frame header
//     would be. A reused (recycled) segment file keeps the bytes of its
//     previous life past the marker; those frames carry indices below the
//     segment's first, so they can never pass for records of this one.
//     (A valid frame header is never all zero: its index is at least 1.)
//
// Checkpoint file `checkpoint` (28 bytes):
//   u32 magic "PWCK"  u32 version (1)  u64 ack  u64 next index
//   u32 crc32 of the 24 bytes before it
//
// Frames of version 2 carry CRC-32C (common/crc32c.h), which the CPU
// computes several times faster than zlib's crc32 (IEEE polynomial); every
// scrape's bytes are checksummed on the scraping thread. Headers and the
// checkpoint, a few bytes each, keep zlib's crc32 in every version, so a
// header is verified before its version is trusted.
//
// Stateless; safe from any thread.
namespace promscrape::remote::wal {

// File names in the log's directory besides the segments. `lock` is empty;
// Open holds an flock on it.
inline constexpr absl::string_view kCheckpointFileName = "checkpoint";
inline constexpr absl::string_view kLockFileName = "lock";
// A segment file kept for reuse is named this prefix plus the segment file
// name it had (wal.h, Recycling).
inline constexpr absl::string_view kRecycledFilePrefix = "recycled-";

inline constexpr uint32_t kSegmentMagic = 0x4c415750;     // "PWAL"
inline constexpr uint32_t kCheckpointMagic = 0x4b435750;  // "PWCK"
// The version new segments are written in, and the one before it (still
// read: frames checksummed with zlib's crc32).
inline constexpr uint32_t kSegmentVersion = 2;
inline constexpr uint32_t kSegmentVersionCrc32 = 1;
inline constexpr uint32_t kCheckpointVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 24;
inline constexpr size_t kFrameHeaderBytes = 16;
inline constexpr size_t kCheckpointBytes = 28;
// Larger records are refused by Append; a frame claiming more is corrupt.
// Bounds what a corrupt length can make a reader allocate.
inline constexpr uint32_t kMaxRecordBytes = 128u << 20;

// zlib crc32 of `data` continuing `crc` (0 to start).
uint32_t Crc32(uint32_t crc, absl::string_view data);

// Writes the 24-byte header of the segment whose first record is `first`.
// `version` other than kSegmentVersion only makes segments of earlier
// releases for tests.
void EncodeSegmentHeader(uint64_t first, char* out,
                         uint32_t version = kSegmentVersion);

// Checks `data` (at least kSegmentHeaderBytes) is a segment header for
// `first` in a version this release reads, and sets `*version` to it. On
// failure returns false and sets `*reason` (static text).
bool ParseSegmentHeader(absl::string_view data, uint64_t first,
                        const char** reason, uint32_t* version);

// Writes the 16-byte frame header of record `index` with `payload`, for a
// segment of `version`.
void EncodeFrameHeader(uint64_t index, absl::string_view payload, char* out,
                       uint32_t version = kSegmentVersion);
// The same for a payload given in pieces (their concatenation).
void EncodeFrameHeader(uint64_t index,
                       absl::Span<const absl::string_view> payload, char* out,
                       uint32_t version = kSegmentVersion);

enum class FrameStatus {
  kOk,
  // `data` ends inside the frame (header or payload).
  kTruncated,
  // The length field exceeds kMaxRecordBytes.
  kBadLength,
  kBadChecksum,
};

struct Frame {
  uint64_t index = 0;
  // Points into the decoded bytes.
  absl::string_view payload;
  // Header plus payload.
  size_t size = 0;
};

// Decodes the frame at the start of `data`, in a segment of `version`.
// `frame` is set only on kOk.
FrameStatus DecodeFrame(absl::string_view data, Frame* frame,
                        uint32_t version = kSegmentVersion);

// 16 zero bytes: the end of the records when more bytes follow.
inline constexpr size_t kEndMarkerBytes = kFrameHeaderBytes;

// Whether `data` starts with an end marker.
bool IsEndMarker(absl::string_view data);

// What a scan of one segment file's bytes found.
struct SegmentScan {
  // Valid records: indices [first, first + records), in order, starting right
  // after a valid header.
  uint64_t records = 0;
  // Header plus the valid frames; where reading stops.
  uint64_t valid_bytes = 0;
  // True when bytes past `valid_bytes` are not valid frames (a bad header
  // counts as corruption at offset 0).
  bool corrupt = false;
  // True when an end marker follows the valid frames (and no frame that
  // could follow them comes after it): the bytes from `valid_bytes` on are
  // a reused file's old contents, not corruption.
  bool end_marker = false;
  // Why the scan stopped (static text), when `corrupt`.
  const char* reason = nullptr;
  // Frames with a good checksum and a plausible index found after the
  // corruption by resynchronizing byte by byte; they are skipped all the
  // same. Used to count what was lost and to keep indices monotonic.
  uint64_t frames_after = 0;
  uint64_t max_index_after = 0;
};

// Scans the bytes of the segment file named `first`. Never reads outside
// `data`; any input is safe.
SegmentScan ScanSegment(absl::string_view data, uint64_t first);

// The file name of the segment whose first record is `first`.
std::string SegmentFileName(uint64_t first);

// Parses a segment file name; false for any other name.
bool ParseSegmentFileName(absl::string_view name, uint64_t* first);

struct Checkpoint {
  // Every record below `ack` was delivered.
  uint64_t ack = 0;
  // The position the next appended record gets (at least).
  uint64_t next_index = 0;
};

// Writes the 28-byte checkpoint.
void EncodeCheckpoint(const Checkpoint& checkpoint, char* out);

// Parses a checkpoint file's bytes; false with `*reason` when invalid.
bool ParseCheckpoint(absl::string_view data, Checkpoint* checkpoint,
                     const char** reason);

}  // namespace promscrape::remote::wal

#endif  // PLUGIN_REMOTE_WAL_FORMAT_H_
