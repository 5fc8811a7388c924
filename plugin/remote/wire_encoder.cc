#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote::wire {

void AppendSequence(std::string* out, uint64_t sequence) {
  // Field 100 needs a two-byte tag varint.
  const uint64_t tag = (uint64_t{kWriteRequestSequence} << 3) | kWireVarint;
  const size_t old = out->size();
  out->resize(old + VarintSize(tag) + VarintSize(sequence));
  char* p = out->data() + old;
  p = PutVarint(p, tag);
  PutVarint(p, sequence);
}

void AppendWriterId(std::string* out, uint64_t writer_id) {
  if (writer_id == 0) return;
  const uint64_t tag = (uint64_t{kWriteRequestWriterId} << 3) | kWireVarint;
  const size_t old = out->size();
  out->resize(old + VarintSize(tag) + VarintSize(writer_id));
  char* p = out->data() + old;
  p = PutVarint(p, tag);
  PutVarint(p, writer_id);
}

namespace {

// Appends a length-delimited string field.
void PutString(std::string* out, uint32_t field, absl::string_view s) {
  if (s.empty()) return;
  char head[16];
  char* p = head;
  *p++ = static_cast<char>(Tag(field, kWireLengthDelimited));
  p = PutVarint(p, s.size());
  out->append(head, static_cast<size_t>(p - head));
  out->append(s.data(), s.size());
}

}  // namespace

void AppendMetadataRecord(std::string* out, const model::MetricMetadata& md) {
  std::string body;
  const uint64_t type = static_cast<uint64_t>(md.type);
  if (type != 0) {
    char head[16];
    char* p = head;
    *p++ = static_cast<char>(Tag(kMetadataType, kWireVarint));
    p = PutVarint(p, type);
    body.append(head, static_cast<size_t>(p - head));
  }
  PutString(&body, kMetadataFamilyName, md.metric);
  PutString(&body, kMetadataHelp, md.help);
  PutString(&body, kMetadataUnit, md.unit);
  PutString(out, kWriteRequestMetadata, body);
  if (body.empty()) {
    // An empty message still has to be a record.
    out->push_back(static_cast<char>(Tag(kWriteRequestMetadata,
                                         kWireLengthDelimited)));
    out->push_back('\0');
  }
}

int64_t RecordsPrefixSize(absl::string_view records, int64_t count) {
  const char* p = records.data();
  const char* const end = records.data() + records.size();
  for (int64_t i = 0; i < count; ++i) {
    if (p == end ||
        (static_cast<uint8_t>(*p) !=
             Tag(kWriteRequestTimeseries, kWireLengthDelimited) &&
         static_cast<uint8_t>(*p) !=
             Tag(kWriteRequestMetadata, kWireLengthDelimited))) {
      return -1;
    }
    ++p;
    uint64_t length = 0;
    if (!GetVarint(&p, end, &length)) return -1;
    if (length > static_cast<uint64_t>(end - p)) return -1;
    p += length;
  }
  return p - records.data();
}

}  // namespace promscrape::remote::wire
