#ifndef PLUGIN_REMOTE_RECORD_KINDS_H_
#define PLUGIN_REMOTE_RECORD_KINDS_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

// What a WriteRequest record (wire_encoder.h) carries, so the queue can count
// floats, native histograms, exemplars and metadata apart on their way to the
// host. Plain values and stateless functions; safe from any thread.
namespace promscrape::remote {

enum class RecordKind : int {
  kSample = 0,     // A timeseries record with one float sample.
  kHistogram = 1,  // A timeseries record with one native histogram.
  kExemplar = 2,   // A timeseries record with exemplars only.
  kMetadata = 3,   // A WriteRequest.metadata record.
};
inline constexpr int kRecordKinds = 4;

// The label value a metric uses for `kind`: "sample", "histogram",
// "exemplar", "metadata".
absl::string_view RecordKindName(RecordKind kind);

// Records counted by kind.
struct RecordCounts {
  std::array<int64_t, kRecordKinds> by_kind{};

  static RecordCounts Of(RecordKind kind, int64_t n) {
    RecordCounts c;
    c.by_kind[static_cast<int>(kind)] = n;
    return c;
  }
  int64_t operator[](RecordKind kind) const {
    return by_kind[static_cast<int>(kind)];
  }
  int64_t total() const {
    int64_t t = 0;
    for (int64_t n : by_kind) t += n;
    return t;
  }
  // Whether every record is of one kind (or there are none): then any run of
  // n of them is n of that kind, and nothing needs to be looked at.
  bool Homogeneous() const {
    int kinds = 0;
    for (int64_t n : by_kind) kinds += n != 0 ? 1 : 0;
    return kinds <= 1;
  }
  RecordCounts& operator+=(const RecordCounts& o) {
    for (int i = 0; i < kRecordKinds; ++i) by_kind[i] += o.by_kind[i];
    return *this;
  }
  RecordCounts& operator-=(const RecordCounts& o) {
    for (int i = 0; i < kRecordKinds; ++i) by_kind[i] -= o.by_kind[i];
    return *this;
  }
  bool operator==(const RecordCounts&) const = default;
};

// Counts the kinds of the first `n` records of `records`, a run of
// well-formed records (as checked by wire::RecordsPrefixSize). When `all`
// (the counts of the whole run) is homogeneous, answers from it without
// reading; otherwise reads each record's field tags up to its first
// non-label field. A record that is none of the kinds counts as kSample.
RecordCounts CountRecordKinds(absl::string_view records, int64_t n,
                              const RecordCounts& all);

// Reads every record of `records` (`n` of them): for callers that do not
// know what they hold.
RecordCounts ClassifyRecords(absl::string_view records, int64_t n);

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_RECORD_KINDS_H_
