#ifndef PLUGIN_REMOTE_WIRE_ENCODER_H_
#define PLUGIN_REMOTE_WIRE_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "plugin/common/byte_buffer.h"
#include "plugin/common/varint.h"
#include "plugin/model/metadata.h"
#include "proto/remote/v1/remote.pb.h"

// Writes promscrape.v1.WriteRequest (proto/remote/v1/remote.proto) in
// protobuf wire format by hand, one `timeseries` record at a time, so the
// write path never builds TimeSeries messages. Repeated fields concatenate
// and fields may come in any order, so a run of records followed by a
// `sequence` field is a complete WriteRequest.
//
// Every function appends to `out` and never clears it. Stateless; safe from
// any thread on distinct strings.
namespace promscrape::remote::wire {

// Field numbers from remote.proto; the encoder test checks them against the
// generated messages.
inline constexpr uint32_t kWriteRequestTimeseries = 1;
inline constexpr uint32_t kWriteRequestMetadata = 3;
inline constexpr uint32_t kMetadataType = 1;
inline constexpr uint32_t kMetadataFamilyName = 2;
inline constexpr uint32_t kMetadataHelp = 4;
inline constexpr uint32_t kMetadataUnit = 5;
inline constexpr uint32_t kWriteRequestSequence = 100;
inline constexpr uint32_t kWriteRequestWriterId = 101;
inline constexpr uint32_t kTimeSeriesLabels = 1;
inline constexpr uint32_t kTimeSeriesSamples = 2;
inline constexpr uint32_t kTimeSeriesExemplars = 3;
inline constexpr uint32_t kTimeSeriesHistograms = 4;
inline constexpr uint32_t kExemplarLabels = 1;
inline constexpr uint32_t kExemplarValue = 2;
inline constexpr uint32_t kExemplarTimestamp = 3;
inline constexpr uint32_t kLabelName = 1;
inline constexpr uint32_t kLabelValue = 2;
inline constexpr uint32_t kSampleValue = 1;
inline constexpr uint32_t kSampleTimestamp = 2;
// promscrape.v1.Sample.start_timestamp (remote write 2.0's field number).
inline constexpr uint32_t kSampleStartTimestamp = 3;

inline constexpr uint8_t kWireVarint = 0;
inline constexpr uint8_t kWireFixed64 = 1;
inline constexpr uint8_t kWireLengthDelimited = 2;

constexpr uint8_t Tag(uint32_t field, uint8_t wire_type) {
  return static_cast<uint8_t>((field << 3) | wire_type);
}

using ::promscrape::PutVarint;
using ::promscrape::VarintSize;

namespace internal {

// Growing and cutting the encoders' outputs: a std::string (zero-filled
// growth) or a ByteBuffer (uninitialized growth: the queue sink's, on the
// scraping thread).
inline char* Extend(std::string* out, size_t n) {
  const size_t old = out->size();
  out->resize(old + n);
  return out->data() + old;
}
inline char* Extend(ByteBuffer* out, size_t n) { return out->Extend(n); }
inline void Truncate(std::string* out, size_t n) { out->resize(n); }
inline void Truncate(ByteBuffer* out, size_t n) { out->Truncate(n); }

// Copies `n` bytes from `src` to `dst` (not overlapping). Label names and
// values are nearly all under 32 bytes: those are copied inline with two
// overlapping loads and stores of 4, 8 or 16 bytes, where a call to memcpy
// (through the PLT, then its size dispatch) costs more than the copy.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void CopyBytes(char* dst, const char* src,
                                                size_t n) {
  if (n <= 16) {
    if (n >= 8) {
      uint64_t head, tail;
      std::memcpy(&head, src, 8);
      std::memcpy(&tail, src + n - 8, 8);
      std::memcpy(dst, &head, 8);
      std::memcpy(dst + n - 8, &tail, 8);
    } else if (n >= 4) {
      uint32_t head, tail;
      std::memcpy(&head, src, 4);
      std::memcpy(&tail, src + n - 4, 4);
      std::memcpy(dst, &head, 4);
      std::memcpy(dst + n - 4, &tail, 4);
    } else if (n > 0) {
      // 1 to 3 bytes: first, middle, last (some the same byte).
      dst[0] = src[0];
      dst[n / 2] = src[n / 2];
      dst[n - 1] = src[n - 1];
    }
    return;
  }
  if (n <= 32) {
    uint64_t a, b, c, d;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + 8, 8);
    std::memcpy(&c, src + n - 16, 8);
    std::memcpy(&d, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + 8, &b, 8);
    std::memcpy(dst + n - 16, &c, 8);
    std::memcpy(dst + n - 8, &d, 8);
    return;
  }
  std::memcpy(dst, src, n);
}

}  // namespace internal

// Incrementally appends one `WriteRequest.timeseries` record to an `Out`
// (std::string or ByteBuffer): Begin, any number of AddLabel (in label
// order), then exactly one of FinishWithSample / FinishWithHistogram /
// FinishWithExemplar. Thread-compatible; reuse one encoder for many records.
template <typename Out>
class BasicRecordEncoder {
 public:
  // Starts a record at the end of `out`, which must outlive the record.
  void Begin(Out* out) {
    out_ = out;
    start_ = out->size();
    // Tag plus room for a two-byte length (records under 16 KiB); Finish
    // writes the tag and moves the body when the length needs another size.
    internal::Extend(out, 1 + kReservedLengthBytes);
  }

  void AddLabel(absl::string_view name, absl::string_view value) {
    const size_t label_size = LabelSize(name.size(), value.size());
    PutLabel(
        internal::Extend(out_, 1 + VarintSize(label_size) + label_size),
        kTimeSeriesLabels, name, value);
  }

  // Ends the record with one float sample; `value` is written bit for bit
  // (StaleNaN survives). A start timestamp of 0 is not written.
  void FinishWithSample(int64_t timestamp_ms, double value,
                        int64_t start_timestamp_ms = 0) {
    const uint64_t ts = static_cast<uint64_t>(timestamp_ms);
    const uint64_t st = static_cast<uint64_t>(start_timestamp_ms);
    // At most 31 bytes: the length is one byte.
    const size_t sample_size =
        1 + 8 + 1 + VarintSize(ts) + (st != 0 ? 1 + VarintSize(st) : 0);
    char* p = internal::Extend(out_, 2 + sample_size);
    *p++ = static_cast<char>(Tag(kTimeSeriesSamples, kWireLengthDelimited));
    *p++ = static_cast<char>(sample_size);
    *p++ = static_cast<char>(Tag(kSampleValue, kWireFixed64));
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 8; ++i) {
      *p++ = static_cast<char>(static_cast<uint8_t>(bits >> (8 * i)));
    }
    *p++ = static_cast<char>(Tag(kSampleTimestamp, kWireVarint));
    p = PutVarint(p, ts);
    if (st != 0) {
      *p++ = static_cast<char>(Tag(kSampleStartTimestamp, kWireVarint));
      PutVarint(p, st);
    }
    Finish();
  }

  // Ends the record with one exemplar: its labels (name, value pairs, in
  // order), value and timestamp. Prometheus sends exemplars in records of
  // their own, with the series' labels and no samples.
  template <typename LabelRange>
  void FinishWithExemplar(const LabelRange& labels, double value,
                          int64_t timestamp_ms) {
    size_t body = 0;
    for (const auto& l : labels) {
      const size_t label_size = LabelSize(l.name.size(), l.value.size());
      body += 1 + VarintSize(label_size) + label_size;
    }
    const uint64_t ts = static_cast<uint64_t>(timestamp_ms);
    body += 1 + 8 + 1 + VarintSize(ts);
    char* p = internal::Extend(out_, 1 + VarintSize(body) + body);
    *p++ = static_cast<char>(Tag(kTimeSeriesExemplars, kWireLengthDelimited));
    p = PutVarint(p, body);
    for (const auto& l : labels) {
      p = PutLabel(p, kExemplarLabels, l.name, l.value);
    }
    *p++ = static_cast<char>(Tag(kExemplarValue, kWireFixed64));
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 8; ++i) {
      *p++ = static_cast<char>(static_cast<uint8_t>(bits >> (8 * i)));
    }
    *p++ = static_cast<char>(Tag(kExemplarTimestamp, kWireVarint));
    PutVarint(p, ts);
    Finish();
  }

  // Ends the record with `histogram`, already serialized
  // (v1::Histogram::SerializeToString).
  void FinishWithHistogram(absl::string_view serialized_histogram) {
    char* p = internal::Extend(
        out_, 1 + VarintSize(serialized_histogram.size()) +
                  serialized_histogram.size());
    *p++ = static_cast<char>(Tag(kTimeSeriesHistograms, kWireLengthDelimited));
    p = PutVarint(p, serialized_histogram.size());
    if (!serialized_histogram.empty()) {
      std::memcpy(p, serialized_histogram.data(), serialized_histogram.size());
    }
    Finish();
  }

 private:
  static constexpr size_t kReservedLengthBytes = 2;

  // The size of a Label message body.
  static size_t LabelSize(size_t name, size_t value) {
    return 1 + VarintSize(name) + name + 1 + VarintSize(value) + value;
  }

  // Writes one Label message as field `field` at `p`; returns its end.
  static char* PutLabel(char* p, uint32_t field, absl::string_view name,
                        absl::string_view value) {
    *p++ = static_cast<char>(Tag(field, kWireLengthDelimited));
    p = PutVarint(p, LabelSize(name.size(), value.size()));
    *p++ = static_cast<char>(Tag(kLabelName, kWireLengthDelimited));
    p = PutVarint(p, name.size());
    internal::CopyBytes(p, name.data(), name.size());
    p += name.size();
    *p++ = static_cast<char>(Tag(kLabelValue, kWireLengthDelimited));
    p = PutVarint(p, value.size());
    internal::CopyBytes(p, value.data(), value.size());
    return p + value.size();
  }

  void Finish() {
    const size_t end = out_->size();
    const size_t body_start = start_ + 1 + kReservedLengthBytes;
    const size_t body_size = end - body_start;
    const size_t length_bytes = VarintSize(body_size);
    if (length_bytes > kReservedLengthBytes) {
      const size_t grow = length_bytes - kReservedLengthBytes;
      internal::Extend(out_, grow);
      std::memmove(out_->data() + body_start + grow, out_->data() + body_start,
                   body_size);
    } else if (length_bytes < kReservedLengthBytes) {
      const size_t shrink = kReservedLengthBytes - length_bytes;
      std::memmove(out_->data() + body_start - shrink,
                   out_->data() + body_start, body_size);
      internal::Truncate(out_, end - shrink);
    }
    char* p = out_->data() + start_;
    *p++ =
        static_cast<char>(Tag(kWriteRequestTimeseries, kWireLengthDelimited));
    PutVarint(p, body_size);
  }

  Out* out_ = nullptr;
  size_t start_ = 0;
};

using RecordEncoder = BasicRecordEncoder<std::string>;

// Appends one record: the series `labels` (a range of elements with
// `name` and `value` string views, sorted by name) with one float sample.
template <typename LabelRange>
void AppendSampleRecord(std::string* out, const LabelRange& labels,
                        int64_t timestamp_ms, double value) {
  RecordEncoder e;
  e.Begin(out);
  for (const auto& l : labels) e.AddLabel(l.name, l.value);
  e.FinishWithSample(timestamp_ms, value);
}

// Appends one record: the series `labels` with `histogram`, whose timestamp
// is replaced by `timestamp_ms`.
template <typename LabelRange>
void AppendHistogramRecord(std::string* out, const LabelRange& labels,
                           int64_t timestamp_ms,
                           const v1::Histogram& histogram) {
  v1::Histogram h = histogram;
  h.set_timestamp(timestamp_ms);
  std::string serialized;
  h.SerializeToString(&serialized);
  RecordEncoder e;
  e.Begin(out);
  for (const auto& l : labels) e.AddLabel(l.name, l.value);
  e.FinishWithHistogram(serialized);
}

// Appends one `WriteRequest.metadata` record: a family's type (model and
// proto enums share their numbering), name, help and unit.
void AppendMetadataRecord(std::string* out, const model::MetricMetadata& md);

// Appends the WriteRequest `sequence` field.
void AppendSequence(std::string* out, uint64_t sequence);

// Appends the WriteRequest `writer_id` field (nothing for 0, proto3's
// default).
void AppendWriterId(std::string* out, uint64_t writer_id);

// Returns the byte length of the first `count` records (timeseries or
// metadata) of `records`, or -1 when `records` holds fewer than `count`
// well-formed record headers.
int64_t RecordsPrefixSize(absl::string_view records, int64_t count);

}  // namespace promscrape::remote::wire

#endif  // PLUGIN_REMOTE_WIRE_ENCODER_H_
