#ifndef PLUGIN_REMOTE_V2_TRANSCODER_H_
#define PLUGIN_REMOTE_V2_TRANSCODER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace promscrape::remote {

// Turns one sealed request as the queue keeps it (promscrape.v1.WriteRequest
// wire bytes: wire_encoder.h records, `sequence`, `writer_id`) into a
// promscrape.v1.WriteRequestV2 (remote write 2.0's shape) for a host that
// speaks WriteV2. The queue and the write-ahead log keep 1.0 records; only
// the bytes on the stream change, so either protocol can resend anything.
//
// Per request: every string goes once into the symbols table ("" first) and
// labels become references. Each timeseries record becomes one v2 series;
// an exemplar record right after a record of the same series is attached to
// that series instead of becoming its own. Sample and histogram bodies are
// copied byte for byte (their field numbers are v2's), so values, stale
// markers and start timestamps are bit-exact. Each metadata record becomes
// a series of its own ({__name__ = family}, metadata, nothing else), and
// the transcoder remembers the latest metadata of each family (across
// requests: the plugin sends metadata in requests of its own) and attaches
// it to every series of that family, found by name or by name without a
// _total, _bucket, _count, _sum, _created or _info suffix.
//
// NOTE: the symbols field is written after the series (protobuf parsers
// accept fields in any order), so nothing is moved once written.
//
// Thread-compatible: one per stream sender; buffers are reused between
// calls. Memory: the family metadata seen so far (bounded by what the
// targets expose) and the largest request's scratch.
class V2Transcoder {
 public:
  // Replaces `*out` with the WriteRequestV2 encoding of `request`.
  // kInvalidArgument when `request` is not well-formed wire format (never
  // for requests built from records AppendRecords accepted); `*out` is then
  // unspecified.
  //
  // `may_hold_metadata` false (the queue knows its batches' record kinds)
  // skips the read of the whole request that looks for metadata records
  // before any series is written (a request's metadata applies to its own
  // earlier series too); should one appear anyway, the request is simply
  // transcoded again with that read.
  absl::Status Transcode(absl::string_view request, std::string* out,
                         bool may_hold_metadata = true);

  // Families whose metadata is remembered.
  size_t families() const { return families_.size(); }

 private:
  struct Family {
    uint64_t type = 0;
    std::string help;
    std::string unit;
  };

  // The fields of one metadata record.
  struct MetadataFields {
    uint64_t type = 0;
    absl::string_view name, help, unit;
  };

  // Symbol equality, inline with 8-byte loads: the refs map compares every
  // label name and value it finds with the symbol already there.
  struct SymbolEq {
    bool operator()(absl::string_view a, absl::string_view b) const;
  };

  // Remembers every metadata record's family (the read before the series).
  absl::Status RememberFamilies(absl::string_view request);
  // Writes the request's series and symbols to `*out`. Without
  // `families_read`, stops at the first metadata record and sets
  // `*met_metadata` (the caller then reads families and starts again).
  absl::Status Encode(absl::string_view request, std::string* out,
                      bool families_read, bool* met_metadata);
  uint32_t Ref(absl::string_view s);
  const Family* FindFamily(absl::string_view metric_name) const;
  // Appends the refs of the `index`th Label message (`payload`) of a record
  // to `refs`, through last_labels_; sets `*metric_name` and
  // `*metric_name_ref` to its value and the value's ref when
  // it is __name__. False when malformed.
  bool AddLabelRefs(size_t index, absl::string_view payload,
                    std::vector<uint32_t>* refs, absl::string_view* metric_name,
                    uint32_t* metric_name_ref);
  // Appends the open series (labels_refs_, its body, metadata) to `out`.
  void FlushSeries(std::string* out);
  absl::Status AddTimeSeries(absl::string_view body, std::string* out);
  absl::Status AddExemplar(absl::string_view body, std::string* dst);
  void AddMetadataSeries(const MetadataFields& md, std::string* out);

  absl::node_hash_map<std::string, Family> families_;

  // Per request.
  absl::flat_hash_map<absl::string_view, uint32_t,
                      absl::Hash<absl::string_view>, SymbolEq>
      refs_;
  std::vector<absl::string_view> symbols_;
  // The previous record's labels by position, with their refs: consecutive
  // records of a scrape mostly repeat them (names, job, instance), and
  // comparing a Label message's bytes is cheaper than parsing and hashing
  // its strings; on a mismatch the name and value are compared one by one.
  // Views into the request being transcoded.
  struct LastLabel {
    absl::string_view payload, name, value;
    uint32_t name_ref = 0, value_ref = 0;
    bool is_name = false;  // name is __name__ (checked once per name).
  };
  std::vector<LastLabel> last_labels_;
  // The series being built: its label refs, name, and fields after
  // labels_refs (samples, histograms, exemplars).
  bool open_ = false;
  std::vector<uint32_t> open_refs_;
  absl::string_view open_name_;
  uint32_t open_name_ref_ = 0;
  std::string open_body_;
  std::vector<uint32_t> scratch_refs_;
  // A record's fields after its labels (samples, histograms, exemplars).
  struct DataField {
    uint32_t number;
    absl::string_view payload;
    absl::string_view raw;
  };
  std::vector<DataField> data_fields_;
  std::string scratch_;
  // The metadata field of the last family FlushSeries looked up, by the ref
  // of its metric name (per request: it holds refs of this request's
  // symbols; equal names have equal refs within a request).
  bool family_cached_ = false;
  uint32_t cached_name_ref_ = 0;
  bool has_cached_md_ = false;
  char cached_md_[32];
  size_t cached_md_size_ = 0;
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_V2_TRANSCODER_H_
