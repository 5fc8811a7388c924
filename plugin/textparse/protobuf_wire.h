#ifndef PLUGIN_TEXTPARSE_PROTOBUF_WIRE_H_
#define PLUGIN_TEXTPARSE_PROTOBUF_WIRE_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "absl/base/attributes.h"
#include "plugin/model/histogram.h"

// Reading of the protobuf wire format and decoding of the small
// io.prometheus.client messages (BucketSpan, LabelPair, Exemplar, the
// fields of Histogram) for `ProtobufParser`, straight from the scraped
// bytes without generated classes. Everything here is inline: it runs per
// sample on the scrape hot path. Views returned point into the input.
// Thread-compatible.

namespace promscrape::textparse::internal {

using model::BucketSpan;
using model::Histogram;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kFixed32 = 5,
};

// A bounds-checked cursor over protobuf wire data. Every read fails rather
// than step past `end`.
struct Wire {
  const uint8_t* p;
  const uint8_t* end;

  explicit Wire(std::string_view s)
      : p(reinterpret_cast<const uint8_t*>(s.data())), end(p + s.size()) {}

  bool done() const { return p >= end; }

  // Tags, lengths and most values are single-byte varints: that case is
  // inline, the rest goes to VarintSlow.
  bool Varint(uint64_t* v) {
    if (p < end && *p < 0x80) [[likely]] {
      *v = *p++;
      return true;
    }
    return VarintSlow(v);
  }
  bool VarintSlow(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) return false;
      uint8_t b = *p++;
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Tag(uint32_t* field, uint32_t* wt) {
    if (p < end && *p < 0x80 && *p >= 8) [[likely]] {
      *field = *p >> 3;
      *wt = *p++ & 7;
      return true;
    }
    uint64_t t;
    if (!Varint(&t) || (t >> 3) == 0 || (t >> 3) > UINT32_MAX) return false;
    *field = static_cast<uint32_t>(t >> 3);
    *wt = static_cast<uint32_t>(t & 7);
    return true;
  }
  bool Double(double* d) {
    if (end - p < 8) return false;
    uint64_t bits;
    std::memcpy(&bits, p, 8);
    p += 8;
    *d = std::bit_cast<double>(bits);
    return true;
  }
  bool Bytes(std::string_view* s) {
    uint64_t n;
    if (!Varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *s = std::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }
  bool Skip(uint32_t wt) {
    uint64_t v = 0;
    std::string_view s;
    switch (wt) {
      case kVarint:
        return Varint(&v);
      case kFixed64:
        if (end - p < 8) return false;
        p += 8;
        return true;
      case kLen:
        return Bytes(&s);
      case kFixed32:
        if (end - p < 4) return false;
        p += 4;
        return true;
      default:
        return false;  // groups are not used by metrics.proto
    }
  }
  // Reads a double field that may be sent as fixed64 (the only encoding
  // protoc emits for double).
  bool DoubleField(uint32_t wt, double* d) {
    if (wt != kFixed64) return false;
    return Double(d);
  }
  bool VarintField(uint32_t wt, uint64_t* v) {
    if (wt != kVarint) return false;
    return Varint(v);
  }
  bool LenField(uint32_t wt, std::string_view* s) {
    if (wt != kLen) return false;
    return Bytes(s);
  }
};

inline int64_t ZigZag64(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Decodes a BucketSpan message.
inline bool DecodeSpan(std::string_view msg, BucketSpan* span) {
  Wire w(msg);
  *span = BucketSpan{};
  while (!w.done()) {
    uint32_t f, wt;
    uint64_t v = 0;
    if (!w.Tag(&f, &wt)) return false;
    if (f == 1 && wt == kVarint) {
      if (!w.Varint(&v)) return false;
      uint32_t u = static_cast<uint32_t>(v);
      span->offset = static_cast<int32_t>((u >> 1) ^ -(u & 1));
    } else if (f == 2 && wt == kVarint) {
      if (!w.Varint(&v)) return false;
      span->length = static_cast<uint32_t>(v);
    } else if (!w.Skip(wt)) {
      return false;
    }
  }
  return true;
}

// Appends a repeated sint64 field (packed or not) to `out`.
inline bool AppendSint64s(Wire& w, uint32_t wt, std::vector<int64_t>* out) {
  uint64_t v = 0;
  if (wt == kVarint) {
    if (!w.Varint(&v)) return false;
    out->push_back(ZigZag64(v));
    return true;
  }
  std::string_view packed;
  if (!w.LenField(wt, &packed)) return false;
  Wire pw(packed);
  while (!pw.done()) {
    if (!pw.Varint(&v)) return false;
    out->push_back(ZigZag64(v));
  }
  return true;
}

// Appends a repeated double field (packed or not) to `out`.
inline bool AppendDoubles(Wire& w, uint32_t wt, std::vector<double>* out) {
  double d = 0;
  if (wt == kFixed64) {
    if (!w.Double(&d)) return false;
    out->push_back(d);
    return true;
  }
  std::string_view packed;
  if (!w.LenField(wt, &packed) || packed.size() % 8 != 0) return false;
  Wire pw(packed);
  while (!pw.done()) {
    pw.Double(&d);
    out->push_back(d);
  }
  return true;
}

// Decodes a LabelPair message {1 name, 2 value}.
inline bool DecodeLabelPair(std::string_view s, std::string_view* name,
                            std::string_view* value) {
  const auto* q = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size() >= 2 ? q[1] : 0;
  if (s.size() >= 4 && q[0] == 0x0a && n < 0x80 && n + 4 <= s.size() &&
      q[n + 2] == 0x12 && q[n + 3] < 0x80 && q[n + 3] == s.size() - n - 4) {
    // The usual encoding: name then value, single-byte lengths.
    *name = std::string_view(s.data() + 2, n);
    *value = std::string_view(s.data() + n + 4, s.size() - n - 4);
    return true;
  }
  Wire w(s);
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.Tag(&f, &wt)) return false;
    bool ok;
    if (f == 1) {
      ok = w.LenField(wt, name);
    } else if (f == 2) {
      ok = w.LenField(wt, value);
    } else {
      ok = w.Skip(wt);
    }
    if (!ok) return false;
  }
  return true;
}

// Exemplar message: {1 labels, 2 value, 3 google.protobuf.Timestamp}.
inline bool ExemplarHasTimestamp(std::string_view msg) {
  Wire w(msg);
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.Tag(&f, &wt)) return false;
    if (f == 3 && wt == kLen) return true;
    if (!w.Skip(wt)) return false;
  }
  return false;
}

// The fields of a Histogram message: `count` (field 1), `sum`, `count_float`,
// the classic buckets' messages (`buckets`, field 3), the native layout into
// `h` (schema, zero bucket, spans, deltas and counts) and the native
// exemplars' messages. `h`, `buckets` and `exemplars` must be empty; `h`'s
// totals are left to the caller. Returns false on malformed wire data.
// NOTE: always inlined, so ProtobufParser::DecodeHistogram compiles as it
// did when this loop was written inside it.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool DecodeHistogramFields(
    std::string_view msg, Histogram* h, uint64_t* count, double* sum,
    double* count_float, std::vector<std::string_view>* buckets,
    std::vector<std::string_view>* exemplars) {
  Wire w(msg);
  while (!w.done()) {
    uint32_t f, wt;
    uint64_t v = 0;
    std::string_view s;
    bool ok = w.Tag(&f, &wt);
    if (!ok) return false;
    switch (f) {
      case 1:
        ok = w.VarintField(wt, &v);
        *count = v;
        break;
      case 2:
        ok = w.DoubleField(wt, sum);
        break;
      case 3:
        ok = w.LenField(wt, &s);
        buckets->push_back(s);
        break;
      case 4:
        ok = w.DoubleField(wt, count_float);
        break;
      case 5:
        ok = w.VarintField(wt, &v);
        h->schema = static_cast<int32_t>((static_cast<uint32_t>(v) >> 1) ^
                                         -(static_cast<uint32_t>(v) & 1));
        break;
      case 6:
        ok = w.DoubleField(wt, &h->zero_threshold);
        break;
      case 7:
        ok = w.VarintField(wt, &v);
        h->zero_count = v;
        break;
      case 8:
        ok = w.DoubleField(wt, &h->zero_count_float);
        break;
      case 9:
      case 12: {
        BucketSpan span;
        ok = w.LenField(wt, &s) && DecodeSpan(s, &span);
        (f == 9 ? h->negative_spans : h->positive_spans).push_back(span);
        break;
      }
      case 10:
        ok = AppendSint64s(w, wt, &h->negative_deltas);
        break;
      case 13:
        ok = AppendSint64s(w, wt, &h->positive_deltas);
        break;
      case 11:
        ok = AppendDoubles(w, wt, &h->negative_counts);
        break;
      case 14:
        ok = AppendDoubles(w, wt, &h->positive_counts);
        break;
      case 16:
        ok = w.LenField(wt, &s);
        exemplars->push_back(s);
        break;
      default:
        ok = w.Skip(wt);
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace promscrape::textparse::internal

#endif  // PLUGIN_TEXTPARSE_PROTOBUF_WIRE_H_
