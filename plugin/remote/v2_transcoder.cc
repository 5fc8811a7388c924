#include "plugin/remote/v2_transcoder.h"

#include <cstring>

#include "absl/strings/match.h"
#include "plugin/common/varint.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
namespace {

namespace wire = ::promscrape::remote::wire;

// promscrape.v1.WriteRequestV2 / TimeSeriesV2 / ExemplarV2 / MetadataV2
// field numbers (remote.proto; the transcoder test checks them against the
// generated messages).
constexpr uint32_t kV2Symbols = 4;
constexpr uint32_t kV2Timeseries = 5;
constexpr uint32_t kV2SeriesLabelsRefs = 1;
constexpr uint32_t kV2SeriesSamples = 2;
constexpr uint32_t kV2SeriesHistograms = 3;
constexpr uint32_t kV2SeriesExemplars = 4;
constexpr uint32_t kV2SeriesMetadata = 5;
constexpr uint32_t kV2ExemplarLabelsRefs = 1;
constexpr uint32_t kV2MetadataType = 1;
constexpr uint32_t kV2MetadataHelpRef = 3;
constexpr uint32_t kV2MetadataUnitRef = 4;

// One field as read off the wire: its number and type, its varint or
// fixed64 value, or a length-delimited field's payload; `raw` spans the
// whole field, tag included.
struct Field {
  uint32_t number = 0;
  uint8_t wire_type = 0;
  uint64_t varint = 0;
  absl::string_view payload;
  absl::string_view raw;
};

// Reads the field at *p; false when malformed (or a group).
bool NextField(const char** p, const char* end, Field* f) {
  const char* const start = *p;
  uint64_t tag = 0;
  if (!GetVarint(p, end, &tag)) return false;
  f->number = static_cast<uint32_t>(tag >> 3);
  f->wire_type = static_cast<uint8_t>(tag & 7);
  switch (f->wire_type) {
    case wire::kWireVarint:
      if (!GetVarint(p, end, &f->varint)) return false;
      break;
    case wire::kWireFixed64:
      if (end - *p < 8) return false;
      f->payload = absl::string_view(*p, 8);
      *p += 8;
      break;
    case wire::kWireLengthDelimited: {
      uint64_t length = 0;
      if (!GetVarint(p, end, &length) ||
          length > static_cast<uint64_t>(end - *p)) {
        return false;
      }
      f->payload = absl::string_view(*p, static_cast<size_t>(length));
      *p += length;
      break;
    }
    case 5:  // fixed32
      if (end - *p < 4) return false;
      f->payload = absl::string_view(*p, 4);
      *p += 4;
      break;
    default:
      return false;
  }
  f->raw = absl::string_view(start, static_cast<size_t>(*p - start));
  return true;
}

// Reads the field at *p when it is a length-delimited field with a one-byte
// tag and a length of one or two bytes: every field the queue's records are
// made of (wire_encoder.h). False (nothing consumed) for anything else,
// which NextField then reads.
inline bool NextShortField(const char** p, const char* end, Field* f) {
  const char* q = *p;
  if (end - q < 2) return false;
  const auto tag = static_cast<uint8_t>(q[0]);
  if (tag >= 0x80 || (tag & 7) != wire::kWireLengthDelimited) return false;
  size_t length = static_cast<uint8_t>(q[1]);
  const char* body = q + 2;
  if (length >= 0x80) {
    if (end - q < 3 || static_cast<uint8_t>(q[2]) >= 0x80) return false;
    length = (length & 0x7f) | (size_t{static_cast<uint8_t>(q[2])} << 7);
    body = q + 3;
  }
  if (length > static_cast<size_t>(end - body)) return false;
  f->number = tag >> 3;
  f->wire_type = wire::kWireLengthDelimited;
  f->payload = absl::string_view(body, length);
  f->raw = absl::string_view(q, static_cast<size_t>(body + length - q));
  *p = body + length;
  return true;
}

// NextShortField, else NextField.
inline bool ReadField(const char** p, const char* end, Field* f) {
  return NextShortField(p, end, f) || NextField(p, end, f);
}

// Whether `a` and `b` hold the same bytes: the check the transcoder makes
// for nearly every label (a Label message of 10 to 60 bytes, nearly always
// equal), inline with 8-byte loads instead of a call to memcmp.
inline bool SameBytes(absl::string_view a, absl::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  if (n >= 8) {
    uint64_t u, v;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::memcpy(&u, x + i, 8);
      std::memcpy(&v, y + i, 8);
      if (u != v) return false;
    }
    if (i == n) return true;
    // The last 8 bytes, overlapping what was compared.
    std::memcpy(&u, x + n - 8, 8);
    std::memcpy(&v, y + n - 8, 8);
    return u == v;
  }
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

void PutTag(std::string* out, uint32_t field, uint8_t wire_type) {
  char buf[8];
  char* e = PutVarint(buf, (uint64_t{field} << 3) | wire_type);
  out->append(buf, static_cast<size_t>(e - buf));
}

void PutVarintTo(std::string* out, uint64_t v) {
  char buf[10];
  char* e = PutVarint(buf, v);
  out->append(buf, static_cast<size_t>(e - buf));
}

void PutBytes(std::string* out, uint32_t field, absl::string_view bytes) {
  PutTag(out, field, wire::kWireLengthDelimited);
  PutVarintTo(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

// A packed repeated uint32 field (labels_refs); nothing when empty.
void PutPackedRefs(std::string* out, uint32_t field,
                   const std::vector<uint32_t>& refs) {
  if (refs.empty()) return;
  size_t size = 0;
  for (uint32_t r : refs) size += VarintSize(r);
  PutTag(out, field, wire::kWireLengthDelimited);
  PutVarintTo(out, size);
  const size_t old = out->size();
  out->resize(old + size);
  char* p = out->data() + old;
  for (uint32_t r : refs) p = PutVarint(p, r);
}

// A Label message's name and value; false when malformed.
bool ReadLabel(absl::string_view body, absl::string_view* name,
               absl::string_view* value) {
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  // Fast path: the layout wire_encoder.h writes (name, then value, each
  // with a one-byte length).
  if (end - p >= 4 && static_cast<uint8_t>(p[0]) ==
                          wire::Tag(wire::kLabelName,
                                    wire::kWireLengthDelimited)) {
    const uint8_t n = static_cast<uint8_t>(p[1]);
    if (n < 0x80 && end - (p + 2) >= n + 2 &&
        static_cast<uint8_t>(p[2 + n]) ==
            wire::Tag(wire::kLabelValue, wire::kWireLengthDelimited)) {
      const uint8_t v = static_cast<uint8_t>(p[3 + n]);
      if (v < 0x80 && end - (p + 4 + n) == v) {
        *name = absl::string_view(p + 2, n);
        *value = absl::string_view(p + 4 + n, v);
        return true;
      }
    }
  }
  *name = {};
  *value = {};
  Field f;
  while (p < end) {
    if (!NextField(&p, end, &f)) return false;
    if (f.wire_type != wire::kWireLengthDelimited) continue;
    if (f.number == wire::kLabelName) *name = f.payload;
    if (f.number == wire::kLabelValue) *value = f.payload;
  }
  return true;
}

}  // namespace

uint32_t V2Transcoder::Ref(absl::string_view s) {
  auto [it, inserted] =
      refs_.try_emplace(s, static_cast<uint32_t>(symbols_.size()));
  if (inserted) symbols_.push_back(s);
  return it->second;
}

const V2Transcoder::Family* V2Transcoder::FindFamily(
    absl::string_view name) const {
  if (families_.empty() || name.empty()) return nullptr;
  auto it = families_.find(name);
  if (it != families_.end()) return &it->second;
  // Text format 0.0.4 names a counter's family with its _total; OpenMetrics
  // and the classic histogram and summary series without their suffixes.
  for (absl::string_view suffix :
       {"_total", "_bucket", "_count", "_sum", "_created", "_info"}) {
    if (absl::EndsWith(name, suffix)) {
      it = families_.find(name.substr(0, name.size() - suffix.size()));
      if (it != families_.end()) return &it->second;
    }
  }
  return nullptr;
}

bool V2Transcoder::AddLabelRefs(size_t index, absl::string_view payload,
                                std::vector<uint32_t>* refs,
                                absl::string_view* metric_name,
                                uint32_t* metric_name_ref) {
  if (index >= last_labels_.size()) last_labels_.resize(index + 1);
  LastLabel& last = last_labels_[index];
  if (!SameBytes(last.payload, payload)) {
    absl::string_view n, v;
    if (!ReadLabel(payload, &n, &v)) return false;
    if (!SameBytes(last.name, n)) {
      last.name = n;
      last.name_ref = Ref(n);
      last.is_name = n == "__name__";
    }
    if (!SameBytes(last.value, v)) {
      last.value = v;
      last.value_ref = Ref(v);
    }
    last.payload = payload;
  }
  if (last.is_name) {
    *metric_name = last.value;
    *metric_name_ref = last.value_ref;
  }
  refs->push_back(last.name_ref);
  refs->push_back(last.value_ref);
  return true;
}

void V2Transcoder::FlushSeries(std::string* out) {
  if (!open_) return;
  open_ = false;
  // Consecutive series mostly belong to one family: its lookup (a hash of
  // the name, perhaps of the name without a suffix, and of the help text)
  // is done once per run of them.
  if (!family_cached_ || open_name_ref_ != cached_name_ref_) {
    family_cached_ = true;
    cached_name_ref_ = open_name_ref_;
    cached_md_size_ = 0;
    if (const Family* family = FindFamily(open_name_)) {
      char* p = cached_md_;
      if (family->type != 0) {
        *p++ =
            static_cast<char>(wire::Tag(kV2MetadataType, wire::kWireVarint));
        p = PutVarint(p, family->type);
      }
      const uint32_t help = Ref(family->help);
      const uint32_t unit = Ref(family->unit);
      if (help != 0) {
        *p++ = static_cast<char>(
            wire::Tag(kV2MetadataHelpRef, wire::kWireVarint));
        p = PutVarint(p, help);
      }
      if (unit != 0) {
        *p++ = static_cast<char>(
            wire::Tag(kV2MetadataUnitRef, wire::kWireVarint));
        p = PutVarint(p, unit);
      }
      cached_md_size_ = static_cast<size_t>(p - cached_md_);
      has_cached_md_ = true;
    } else {
      has_cached_md_ = false;
    }
  }
  // The series straight into `out`, sized once: its tag and size, the
  // packed refs, the body, the metadata. Field numbers are under 16, so
  // every tag is one byte.
  size_t refs_size = 0;
  for (uint32_t r : open_refs_) refs_size += VarintSize(r);
  size_t size = open_body_.size();
  if (!open_refs_.empty()) size += 1 + VarintSize(refs_size) + refs_size;
  if (has_cached_md_) size += 1 + VarintSize(cached_md_size_) + cached_md_size_;
  const size_t old = out->size();
  out->resize(old + 1 + VarintSize(size) + size);
  char* p = out->data() + old;
  *p++ = static_cast<char>(
      wire::Tag(kV2Timeseries, wire::kWireLengthDelimited));
  p = PutVarint(p, size);
  if (!open_refs_.empty()) {
    *p++ = static_cast<char>(
        wire::Tag(kV2SeriesLabelsRefs, wire::kWireLengthDelimited));
    p = PutVarint(p, refs_size);
    for (uint32_t r : open_refs_) p = PutVarint(p, r);
  }
  // Nearly always one sample (13 to 22 bytes): copied inline.
  wire::internal::CopyBytes(p, open_body_.data(), open_body_.size());
  p += open_body_.size();
  if (has_cached_md_) {
    *p++ = static_cast<char>(
        wire::Tag(kV2SeriesMetadata, wire::kWireLengthDelimited));
    p = PutVarint(p, cached_md_size_);
    std::memcpy(p, cached_md_, cached_md_size_);
  }
}

absl::Status V2Transcoder::AddExemplar(absl::string_view body,
                                       std::string* dst) {
  // Reuses scratch_refs_ only after the record's series labels were
  // compared, so the caller's refs are not needed any more.
  std::vector<uint32_t>& refs = scratch_refs_;
  refs.clear();
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  Field f;
  char rest[32];
  char* r = rest;
  while (p < end) {
    if (!NextField(&p, end, &f)) {
      return absl::InvalidArgumentError("malformed exemplar");
    }
    if (f.number == wire::kExemplarLabels &&
        f.wire_type == wire::kWireLengthDelimited) {
      absl::string_view n, v;
      if (!ReadLabel(f.payload, &n, &v)) {
        return absl::InvalidArgumentError("malformed exemplar label");
      }
      refs.push_back(Ref(n));
      refs.push_back(Ref(v));
    } else if ((f.number == wire::kExemplarValue ||
                f.number == wire::kExemplarTimestamp) &&
               f.raw.size() <= sizeof rest - static_cast<size_t>(r - rest)) {
      // value = 2 and timestamp = 3 in both shapes: copied as they are.
      std::memcpy(r, f.raw.data(), f.raw.size());
      r += f.raw.size();
    }
  }
  size_t size = static_cast<size_t>(r - rest);
  if (!refs.empty()) {
    size_t packed = 0;
    for (uint32_t ref : refs) packed += VarintSize(ref);
    size += 1 + VarintSize(packed) + packed;
  }
  PutTag(dst, kV2SeriesExemplars, wire::kWireLengthDelimited);
  PutVarintTo(dst, size);
  PutPackedRefs(dst, kV2ExemplarLabelsRefs, refs);
  dst->append(rest, static_cast<size_t>(r - rest));
  return absl::OkStatus();
}

absl::Status V2Transcoder::AddTimeSeries(absl::string_view body,
                                         std::string* out) {
  // One pass: labels are interned as they come, the other fields kept for
  // after the series is chosen.
  std::vector<uint32_t>& refs = scratch_refs_;
  refs.clear();
  data_fields_.clear();
  absl::string_view name;
  uint32_t name_ref = 0;  // "" (ref 0) for a series without a name.
  bool exemplar_only = true;
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  Field f;
  while (p < end) {
    if (!ReadField(&p, end, &f)) {
      return absl::InvalidArgumentError("malformed timeseries");
    }
    if (f.wire_type != wire::kWireLengthDelimited) continue;
    if (f.number == wire::kTimeSeriesLabels) {
      if (!AddLabelRefs(refs.size() / 2, f.payload, &refs, &name,
                        &name_ref)) {
        return absl::InvalidArgumentError("malformed timeseries label");
      }
      continue;
    }
    if (f.number == wire::kTimeSeriesSamples ||
        f.number == wire::kTimeSeriesHistograms) {
      exemplar_only = false;
    }
    data_fields_.push_back({f.number, f.payload, f.raw});
  }
  // Exemplar-only records follow their series' sample record (the queue
  // sink writes them so): attach them to it, as 2.0 carries them.
  if (!(exemplar_only && open_ && refs == open_refs_)) {
    FlushSeries(out);
    open_ = true;
    open_refs_.swap(refs);
    open_name_ = name;
    open_name_ref_ = name_ref;
    open_body_.clear();
  }
  for (const DataField& d : data_fields_) {
    switch (d.number) {
      case wire::kTimeSeriesSamples:
        // Sample keeps its field number (2) and its body is v2's.
        static_assert(wire::kTimeSeriesSamples == kV2SeriesSamples);
        open_body_.append(d.raw.data(), d.raw.size());
        break;
      case wire::kTimeSeriesHistograms:
        // Same Histogram message, under v2's field number 3.
        PutBytes(&open_body_, kV2SeriesHistograms, d.payload);
        break;
      case wire::kTimeSeriesExemplars: {
        absl::Status s = AddExemplar(d.payload, &open_body_);
        if (!s.ok()) return s;
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

void V2Transcoder::AddMetadataSeries(const MetadataFields& md,
                                     std::string* out) {
  FlushSeries(out);
  scratch_.clear();
  const std::vector<uint32_t> refs = {Ref("__name__"), Ref(md.name)};
  PutPackedRefs(&scratch_, kV2SeriesLabelsRefs, refs);
  char buf[32];
  char* p = buf;
  if (md.type != 0) {
    *p++ = static_cast<char>(wire::Tag(kV2MetadataType, wire::kWireVarint));
    p = PutVarint(p, md.type);
  }
  const uint32_t help = Ref(md.help);
  const uint32_t unit = Ref(md.unit);
  if (help != 0) {
    *p++ = static_cast<char>(wire::Tag(kV2MetadataHelpRef, wire::kWireVarint));
    p = PutVarint(p, help);
  }
  if (unit != 0) {
    *p++ = static_cast<char>(wire::Tag(kV2MetadataUnitRef, wire::kWireVarint));
    p = PutVarint(p, unit);
  }
  PutBytes(&scratch_, kV2SeriesMetadata,
           absl::string_view(buf, static_cast<size_t>(p - buf)));
  PutBytes(out, kV2Timeseries, scratch_);
}

namespace {

bool ParseMetadata(absl::string_view body, uint64_t* type,
                   absl::string_view* name, absl::string_view* help,
                   absl::string_view* unit) {
  *type = 0;
  *name = *help = *unit = {};
  const char* p = body.data();
  const char* const end = body.data() + body.size();
  Field f;
  while (p < end) {
    if (!NextField(&p, end, &f)) return false;
    if (f.number == wire::kMetadataType && f.wire_type == wire::kWireVarint) {
      *type = f.varint;
    } else if (f.wire_type == wire::kWireLengthDelimited) {
      if (f.number == wire::kMetadataFamilyName) *name = f.payload;
      if (f.number == wire::kMetadataHelp) *help = f.payload;
      if (f.number == wire::kMetadataUnit) *unit = f.payload;
    }
  }
  return true;
}

}  // namespace

bool V2Transcoder::SymbolEq::operator()(absl::string_view a,
                                        absl::string_view b) const {
  return SameBytes(a, b);
}

absl::Status V2Transcoder::RememberFamilies(absl::string_view request) {
  const char* const end = request.data() + request.size();
  Field f;
  // Families first: string views into `families_` taken later must not be
  // invalidated by a later record of the same request.
  for (const char* p = request.data(); p < end;) {
    if (!ReadField(&p, end, &f)) {
      return absl::InvalidArgumentError("malformed write request");
    }
    if (f.number != wire::kWriteRequestMetadata ||
        f.wire_type != wire::kWireLengthDelimited) {
      continue;
    }
    MetadataFields md;
    if (!ParseMetadata(f.payload, &md.type, &md.name, &md.help, &md.unit)) {
      return absl::InvalidArgumentError("malformed metadata record");
    }
    if (md.name.empty()) continue;
    Family& family = families_[md.name];
    family.type = md.type;
    family.help.assign(md.help.data(), md.help.size());
    family.unit.assign(md.unit.data(), md.unit.size());
  }
  return absl::OkStatus();
}

absl::Status V2Transcoder::Encode(absl::string_view request, std::string* out,
                                  bool families_read, bool* met_metadata) {
  out->clear();
  // NOTE: abseil's clear() frees a large table; sizing it for the last
  // request's symbols at once avoids growing (and rehashing) it again.
  const size_t last_symbols = symbols_.size();
  refs_.clear();
  refs_.reserve(last_symbols);
  symbols_.clear();
  last_labels_.clear();
  open_ = false;
  family_cached_ = false;
  const char* const end = request.data() + request.size();
  Field f;
  Ref("");  // The specification wants "" at index 0.
  uint64_t sequence = 0, writer_id = 0;
  for (const char* p = request.data(); p < end;) {
    if (!ReadField(&p, end, &f)) {
      return absl::InvalidArgumentError("malformed write request");
    }
    if (f.number == wire::kWriteRequestTimeseries &&
        f.wire_type == wire::kWireLengthDelimited) {
      absl::Status s = AddTimeSeries(f.payload, out);
      if (!s.ok()) return s;
    } else if (f.number == wire::kWriteRequestMetadata &&
               f.wire_type == wire::kWireLengthDelimited) {
      if (!families_read) {
        *met_metadata = true;
        return absl::OkStatus();
      }
      MetadataFields md;
      // Read (and checked) by RememberFamilies.
      ParseMetadata(f.payload, &md.type, &md.name, &md.help, &md.unit);
      AddMetadataSeries(md, out);
    } else if (f.number == wire::kWriteRequestSequence &&
               f.wire_type == wire::kWireVarint) {
      sequence = f.varint;
    } else if (f.number == wire::kWriteRequestWriterId &&
               f.wire_type == wire::kWireVarint) {
      writer_id = f.varint;
    }
  }
  FlushSeries(out);
  for (absl::string_view s : symbols_) PutBytes(out, kV2Symbols, s);
  // Same field numbers as WriteRequest's.
  wire::AppendSequence(out, sequence);
  wire::AppendWriterId(out, writer_id);
  return absl::OkStatus();
}

absl::Status V2Transcoder::Transcode(absl::string_view request,
                                     std::string* out,
                                     bool may_hold_metadata) {
  bool met_metadata = false;
  if (!may_hold_metadata) {
    absl::Status s = Encode(request, out, /*families_read=*/false,
                            &met_metadata);
    if (!s.ok() || !met_metadata) return s;
  }
  absl::Status read = RememberFamilies(request);
  if (!read.ok()) return read;
  return Encode(request, out, /*families_read=*/true, &met_metadata);
}

}  // namespace promscrape::remote
