#ifndef PLUGIN_TEXTPARSE_NHCB_PARSER_H_
#define PLUGIN_TEXTPARSE_NHCB_PARSER_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/model/histogram.h"
#include "plugin/textparse/parser.h"

namespace promscrape::textparse {

// Collects the samples of one classic histogram (cumulative `_bucket`
// counts by `le`, `_count`, `_sum`) and turns them into one native
// histogram with custom buckets (schema -53), as Prometheus 3.x'
// util/convertnhcb.TempHistogram does: buckets may arrive in any order (a
// repeated `le` is ignored), counts must be cumulative and non-negative, a
// missing `_count` is the highest bucket's count, a missing +Inf bucket gets
// the count. Integer counts give an integer histogram (empty-bucket runs of
// at most 2 kept inside spans), anything else a float one (no empty buckets
// in spans).
//
// Thread-compatible; reusable after Reset() (keeps its capacity).
class ClassicHistogramCollector {
 public:
  void Reset();
  // The first error sticks: later calls do nothing and Convert returns it.
  void SetBucketCount(double le, double count);
  void SetCount(double count);
  void SetSum(double sum);
  // Fills `*out` (cleared first). kInvalidArgument: `bucket count must be
  // non-negative: ...`, `bucket boundary must not be NaN`, `count must be
  // non-negative: ...`, `count is not cumulative: ...`, `count mismatch:
  // ...`.
  absl::Status Convert(model::Histogram* out);

 private:
  struct Bucket {
    double le;
    double count;
  };
  std::vector<Bucket> buckets_;
  std::vector<double> scratch_;
  double count_ = 0;
  double sum_ = 0;
  bool has_count_ = false;
  absl::Status error_;
};

// Prometheus 3.x' textparse.NHCBParser: wraps a text or OpenMetrics parser
// and, for every family whose last `# TYPE` is histogram, returns its
// classic series (`<family>_bucket` with a parsable, non-NaN `le`,
// `<family>_count`, `<family>_sum`) with the same labels apart from `le` as
// one kHistogram entry named `<family>` (schema -53, ClassicHistogramCollector)
// once the next entry belongs to something else (another label set, another
// name, metadata, or the end of the body). The classic series are returned
// too only with `keep_classic` (always_scrape_classic_histograms); their
// exemplars go to the converted histogram. Histograms whose classic series
// do not convert (not cumulative, count mismatch) are dropped, as in
// Prometheus. The converted histogram carries the timestamp of the last
// series read before it was emitted.
//
// Thread-compatible, like every parser. Views are valid as the Parser
// interface says.
class NhcbParser final : public Parser {
 public:
  // `parse_start_timestamps`: the converted histogram's start timestamp is
  // the inner parser's for its first classic series (nhcbparse.go tempST).
  NhcbParser(std::unique_ptr<Parser> inner, bool keep_classic,
             bool parse_start_timestamps = false);

  void Reset(std::string_view body) override;
  absl::StatusOr<Entry> Next() override;
  std::string_view Series() const override;
  std::string_view MetricName() const override;
  void Labels(std::vector<Label>* out) override;
  bool NextExemplar(Exemplar* out) override;
  int64_t StartTimestamp() override;

 private:
  enum class State { kStart, kCollecting, kEmitting };
  struct OwnedExemplar {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
    bool has_timestamp = false;
    int64_t timestamp_ms = 0;
  };

  // Copies the inner parser's current entry fields into this one.
  void CopyInnerFields();
  // The current inner series belongs to the histogram being collected and
  // was added to it (Prometheus' handleClassicHistogramSeries).
  bool HandleClassicSeries();
  // The current inner series is not part of the collected histogram.
  bool DifferentMetric() const;
  // Converts what was collected; true when there is a histogram to emit.
  bool ProcessCollected();

  std::unique_ptr<Parser> inner_;
  const bool keep_classic_;
  const bool parse_start_timestamps_;
  // Start timestamps of the histogram being collected and emitted.
  int64_t collected_st_ = 0;
  int64_t emit_st_ = 0;
  State state_ = State::kStart;
  // The inner entry held back while the converted histogram is returned.
  Entry deferred_ = Entry::kEof;

  // The family of the last `# TYPE` line.
  std::string family_name_;
  MetricType family_type_ = MetricType::kUnknown;

  // The current inner series' labels and timestamp.
  std::vector<Label> inner_labels_;
  bool last_has_timestamp_ = false;
  int64_t last_timestamp_ms_ = 0;

  // The histogram being collected: base name, labels (inner order, `le`
  // dropped, `__name__` the base name), exemplars.
  std::vector<std::pair<std::string, std::string>> collected_labels_;
  std::string collected_name_;
  ClassicHistogramCollector collector_;
  std::vector<OwnedExemplar> collected_exemplars_;
  size_t collected_exemplar_count_ = 0;

  // The histogram being emitted.
  std::vector<std::pair<std::string, std::string>> emit_labels_;
  std::string emit_name_;
  std::string emit_key_;
  std::vector<OwnedExemplar> emit_exemplars_;
  size_t emit_exemplar_count_ = 0;
  size_t next_exemplar_ = 0;
  Exemplar exemplar_scratch_;
};

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_NHCB_PARSER_H_
