#include "plugin/remote/wal_payload.h"

#include <cstdint>

#include "plugin/common/varint.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
namespace {

bool ReadVarint(absl::string_view* in, uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = 0; i < in->size() && i < 10; ++i) {
    const uint8_t b = static_cast<uint8_t>((*in)[i]);
    v |= uint64_t{b & 0x7fu} << (7 * i);
    if (b < 0x80) {
      in->remove_prefix(i + 1);
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace

void AppendWalPayloadHeader(const RecordCounts& kinds, std::string* out) {
  char head[40];
  char* p = head;
  p = PutVarint(p, static_cast<uint64_t>(kinds.total()));
  p = PutVarint(p, static_cast<uint64_t>(kinds[RecordKind::kHistogram]));
  p = PutVarint(p, static_cast<uint64_t>(kinds[RecordKind::kExemplar]));
  p = PutVarint(p, static_cast<uint64_t>(kinds[RecordKind::kMetadata]));
  out->append(head, static_cast<size_t>(p - head));
}

bool ParseWalPayload(absl::string_view payload, RecordCounts* kinds,
                     absl::string_view* records) {
  uint64_t total = 0, histograms = 0, exemplars = 0, metadata = 0;
  if (!ReadVarint(&payload, &total) || !ReadVarint(&payload, &histograms) ||
      !ReadVarint(&payload, &exemplars) || !ReadVarint(&payload, &metadata)) {
    return false;
  }
  // Bounded by the payload's size (every record takes two bytes or more),
  // so the sums below cannot overflow.
  if (total > payload.size() || histograms > total || exemplars > total ||
      metadata > total || histograms + exemplars + metadata > total) {
    return false;
  }
  if (wire::RecordsPrefixSize(payload, static_cast<int64_t>(total)) !=
      static_cast<int64_t>(payload.size())) {
    return false;
  }
  RecordCounts c;
  c.by_kind[static_cast<int>(RecordKind::kSample)] =
      static_cast<int64_t>(total - histograms - exemplars - metadata);
  c.by_kind[static_cast<int>(RecordKind::kHistogram)] =
      static_cast<int64_t>(histograms);
  c.by_kind[static_cast<int>(RecordKind::kExemplar)] =
      static_cast<int64_t>(exemplars);
  c.by_kind[static_cast<int>(RecordKind::kMetadata)] =
      static_cast<int64_t>(metadata);
  *kinds = c;
  *records = payload;
  return true;
}

}  // namespace promscrape::remote
