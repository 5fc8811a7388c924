#include "plugin/remote/wal/format.h"

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "plugin/common/crc32c.h"
#include "zlib.h"

namespace promscrape::remote::wal {
namespace {

void Put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

void Put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t Get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// The frame checksum of a segment of `version` over the header's length
// and index (the checksum field itself skipped) and the payload's pieces.
uint32_t FrameChecksum(uint32_t version, const char* header,
                       absl::Span<const absl::string_view> payload) {
  // Length and index are contiguous but for the checksum between them;
  // copied together, they cost one call instead of two.
  char fields[12];
  std::memcpy(fields, header, 4);
  std::memcpy(fields + 4, header + 8, 8);
  const absl::string_view head(fields, sizeof fields);
  if (version == kSegmentVersionCrc32) {
    uint32_t crc = Crc32(0, head);
    for (absl::string_view piece : payload) crc = Crc32(crc, piece);
    return crc;
  }
  uint32_t crc = Crc32c(0, head);
  for (absl::string_view piece : payload) crc = Crc32c(crc, piece);
  return crc;
}

constexpr size_t kSegmentNameDigits = 20;
constexpr absl::string_view kSegmentSuffix = ".seg";

}  // namespace

uint32_t Crc32(uint32_t crc, absl::string_view data) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

void EncodeSegmentHeader(uint64_t first, char* out, uint32_t version) {
  Put32(out, kSegmentMagic);
  Put32(out + 4, version);
  Put64(out + 8, first);
  Put32(out + 16, Crc32(0, absl::string_view(out, 16)));
  Put32(out + 20, 0);
}

bool ParseSegmentHeader(absl::string_view data, uint64_t first,
                        const char** reason, uint32_t* version) {
  if (data.size() < kSegmentHeaderBytes) {
    *reason = "segment header truncated";
    return false;
  }
  const char* p = data.data();
  if (Get32(p) != kSegmentMagic) {
    *reason = "bad segment magic";
    return false;
  }
  if (Get32(p + 16) != Crc32(0, absl::string_view(p, 16))) {
    *reason = "segment header checksum mismatch";
    return false;
  }
  const uint32_t v = Get32(p + 4);
  if (v != kSegmentVersion && v != kSegmentVersionCrc32) {
    *reason = "unsupported segment version";
    return false;
  }
  if (Get64(p + 8) != first) {
    *reason = "segment header index does not match the file name";
    return false;
  }
  *version = v;
  return true;
}

void EncodeFrameHeader(uint64_t index, absl::string_view payload, char* out,
                       uint32_t version) {
  EncodeFrameHeader(index, absl::MakeConstSpan(&payload, 1), out, version);
}

void EncodeFrameHeader(uint64_t index,
                       absl::Span<const absl::string_view> payload, char* out,
                       uint32_t version) {
  size_t size = 0;
  for (absl::string_view piece : payload) size += piece.size();
  Put32(out, static_cast<uint32_t>(size));
  Put64(out + 8, index);
  Put32(out + 4, FrameChecksum(version, out, payload));
}

FrameStatus DecodeFrame(absl::string_view data, Frame* frame,
                        uint32_t version) {
  if (data.size() < kFrameHeaderBytes) return FrameStatus::kTruncated;
  const char* p = data.data();
  const uint32_t length = Get32(p);
  if (length > kMaxRecordBytes) return FrameStatus::kBadLength;
  if (data.size() - kFrameHeaderBytes < length) return FrameStatus::kTruncated;
  absl::string_view payload(p + kFrameHeaderBytes, length);
  if (Get32(p + 4) != FrameChecksum(version, p, absl::MakeConstSpan(&payload, 1))) {
    return FrameStatus::kBadChecksum;
  }
  frame->index = Get64(p + 8);
  frame->payload = payload;
  frame->size = kFrameHeaderBytes + length;
  return FrameStatus::kOk;
}

bool IsEndMarker(absl::string_view data) {
  if (data.size() < kEndMarkerBytes) return false;
  static constexpr char kZeros[kEndMarkerBytes] = {};
  return std::memcmp(data.data(), kZeros, kEndMarkerBytes) == 0;
}

SegmentScan ScanSegment(absl::string_view data, uint64_t first) {
  SegmentScan scan;
  const char* reason = nullptr;
  uint32_t version = kSegmentVersion;
  if (!ParseSegmentHeader(data, first, &reason, &version)) {
    scan.corrupt = true;
    scan.reason = reason;
  } else {
    scan.valid_bytes = kSegmentHeaderBytes;
    while (scan.valid_bytes < data.size()) {
      if (IsEndMarker(data.substr(scan.valid_bytes))) {
        // The records end here. The resync below still looks past the
        // marker for frames that could follow them (zeroed pages of a lost
        // write in the middle of the records); finding one is corruption.
        scan.end_marker = true;
        scan.reason = "end marker before later records";
        break;
      }
      Frame frame;
      switch (DecodeFrame(data.substr(scan.valid_bytes), &frame, version)) {
        case FrameStatus::kOk:
          break;
        case FrameStatus::kTruncated:
          scan.reason = "record truncated at end of file";
          break;
        case FrameStatus::kBadLength:
          scan.reason = "record length out of range";
          break;
        case FrameStatus::kBadChecksum:
          scan.reason = "record checksum mismatch";
          break;
      }
      if (scan.reason == nullptr && frame.index != first + scan.records) {
        scan.reason = "record index out of sequence";
      }
      if (scan.reason != nullptr) {
        scan.corrupt = true;
        break;
      }
      ++scan.records;
      scan.valid_bytes += frame.size;
    }
  }
  if (!scan.corrupt && !scan.end_marker) return scan;

  // Resynchronize: look for frames with a good checksum and an index that
  // can follow the last good one. NOTE: an index is plausible only within one
  // header size per record of what is left, which rejects nearly every
  // offset before the checksum is computed; the checksum budget bounds the
  // work on adversarial input.
  uint64_t expected = first + scan.records;
  size_t offset = scan.valid_bytes + 1;
  const size_t max_records = data.size() / kFrameHeaderBytes + 1;
  size_t crc_budget = 2 * data.size() + (1 << 20);
  while (offset < data.size() && data.size() - offset >= kFrameHeaderBytes) {
    const char* p = data.data() + offset;
    const uint32_t length = Get32(p);
    const uint64_t index = Get64(p + 8);
    if (length <= data.size() - offset - kFrameHeaderBytes &&
        index >= expected && index - expected <= max_records &&
        length + 12u <= crc_budget) {
      crc_budget -= length + 12;
      Frame frame;
      if (DecodeFrame(data.substr(offset), &frame, version) ==
          FrameStatus::kOk) {
        ++scan.frames_after;
        scan.max_index_after = index;
        expected = index + 1;
        offset += frame.size;
        continue;
      }
    }
    ++offset;
  }
  if (scan.end_marker) {
    if (scan.frames_after > 0) {
      scan.end_marker = false;
      scan.corrupt = true;
    } else {
      scan.reason = nullptr;
    }
  }
  return scan;
}

std::string SegmentFileName(uint64_t first) {
  return absl::StrFormat("%020u%s", first, kSegmentSuffix);
}

bool ParseSegmentFileName(absl::string_view name, uint64_t* first) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size() ||
      name.substr(kSegmentNameDigits) != kSegmentSuffix) {
    return false;
  }
  absl::string_view digits = name.substr(0, kSegmentNameDigits);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(digits, first);
}

void EncodeCheckpoint(const Checkpoint& checkpoint, char* out) {
  Put32(out, kCheckpointMagic);
  Put32(out + 4, kCheckpointVersion);
  Put64(out + 8, checkpoint.ack);
  Put64(out + 16, checkpoint.next_index);
  Put32(out + 24, Crc32(0, absl::string_view(out, 24)));
}

bool ParseCheckpoint(absl::string_view data, Checkpoint* checkpoint,
                     const char** reason) {
  if (data.size() != kCheckpointBytes) {
    *reason = "checkpoint has the wrong size";
    return false;
  }
  const char* p = data.data();
  if (Get32(p) != kCheckpointMagic) {
    *reason = "bad checkpoint magic";
    return false;
  }
  if (Get32(p + 24) != Crc32(0, absl::string_view(p, 24))) {
    *reason = "checkpoint checksum mismatch";
    return false;
  }
  if (Get32(p + 4) != kCheckpointVersion) {
    *reason = "unsupported checkpoint version";
    return false;
  }
  checkpoint->ack = Get64(p + 8);
  checkpoint->next_index = Get64(p + 16);
  return true;
}

}  // namespace promscrape::remote::wal
