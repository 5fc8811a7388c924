#include "plugin/remote/wal_payload.h"

#include <cstdint>

#include "plugin/common/varint.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
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
  const char* p = payload.data();
  const char* const end = payload.data() + payload.size();
  if (!GetVarint(&p, end, &total) || !GetVarint(&p, end, &histograms) ||
      !GetVarint(&p, end, &exemplars) || !GetVarint(&p, end, &metadata)) {
    return false;
  }
  payload.remove_prefix(static_cast<size_t>(p - payload.data()));
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
