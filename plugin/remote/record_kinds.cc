#include "plugin/remote/record_kinds.h"

#include "plugin/common/varint.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
namespace {

// The kind of the one record at *p; advances *p past it.
RecordKind ReadOne(const char** p, const char* end) {
  const uint8_t tag = static_cast<uint8_t>(*(*p)++);
  uint64_t length = 0;
  if (!GetVarint(p, end, &length) ||
      length > static_cast<uint64_t>(end - *p)) {
    *p = end;
    return RecordKind::kSample;
  }
  const char* body = *p;
  const char* const body_end = *p + length;
  *p = body_end;
  if (tag == wire::Tag(wire::kWriteRequestMetadata, wire::kWireLengthDelimited)) {
    return RecordKind::kMetadata;
  }
  // A TimeSeries: labels first, then what the record carries.
  while (body < body_end) {
    uint64_t field_tag = 0;
    if (!GetVarint(&body, body_end, &field_tag)) break;
    const uint64_t field = field_tag >> 3;
    if (field == wire::kTimeSeriesSamples) return RecordKind::kSample;
    if (field == wire::kTimeSeriesHistograms) return RecordKind::kHistogram;
    if (field == wire::kTimeSeriesExemplars) {
      // The encoder writes the sample before exemplars: exemplar first
      // means the record has none.
      return RecordKind::kExemplar;
    }
    switch (field_tag & 7) {
      case wire::kWireVarint: {
        uint64_t ignored = 0;
        if (!GetVarint(&body, body_end, &ignored)) return RecordKind::kSample;
        break;
      }
      case wire::kWireFixed64:
        body += 8;
        break;
      case wire::kWireLengthDelimited: {
        uint64_t skip = 0;
        if (!GetVarint(&body, body_end, &skip) ||
            skip > static_cast<uint64_t>(body_end - body)) {
          return RecordKind::kSample;
        }
        body += skip;
        break;
      }
      case 5:  // fixed32
        body += 4;
        break;
      default:
        return RecordKind::kSample;
    }
  }
  return RecordKind::kSample;
}

}  // namespace

absl::string_view RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kSample:
      return "sample";
    case RecordKind::kHistogram:
      return "histogram";
    case RecordKind::kExemplar:
      return "exemplar";
    case RecordKind::kMetadata:
      return "metadata";
  }
  return "sample";
}

RecordCounts ClassifyRecords(absl::string_view records, int64_t n) {
  RecordCounts counts;
  const char* p = records.data();
  const char* const end = records.data() + records.size();
  for (int64_t i = 0; i < n && p < end; ++i) {
    ++counts.by_kind[static_cast<int>(ReadOne(&p, end))];
  }
  return counts;
}

RecordCounts CountRecordKinds(absl::string_view records, int64_t n,
                              const RecordCounts& all) {
  if (all.Homogeneous()) {
    for (int i = 0; i < kRecordKinds; ++i) {
      if (all.by_kind[i] != 0) {
        return RecordCounts::Of(static_cast<RecordKind>(i), n);
      }
    }
    return RecordCounts::Of(RecordKind::kSample, n);
  }
  if (n == all.total()) return all;
  return ClassifyRecords(records, n);
}

}  // namespace promscrape::remote
