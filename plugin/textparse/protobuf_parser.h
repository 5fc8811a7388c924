#ifndef PLUGIN_TEXTPARSE_PROTOBUF_PARSER_H_
#define PLUGIN_TEXTPARSE_PROTOBUF_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/textparse/nhcb_parser.h"
#include "plugin/textparse/parser.h"

namespace promscrape::textparse {

// Parser for length-delimited io.prometheus.client.MetricFamily messages
// (Content-Type application/vnd.google.protobuf; proto=...; encoding=
// delimited) as Prometheus 2.42's ProtobufParser exposes them: per family
// HELP, UNIT (if set) and TYPE, then counters/gauges/untyped as one series
// named like the family (no `_total` added), summaries as `_count`, `_sum`
// and `{quantile="..."}`, classic histograms as `_count`, `_sum`,
// `_bucket{le="..."}` plus a synthetic `+Inf` bucket, native histograms as
// one kHistogram entry. `le`/`quantile` values are formatted like Prometheus'
// formatOpenMetricsFloat.
//
// The wire format is decoded by hand, straight from the body, without
// generated message classes: nothing is copied or allocated per sample except
// into reused buffers (series bytes, formatted `le`, histogram vectors).
//
// Thread-compatible: one per scrape (reusable with Reset()).
class ProtobufParser final : public Parser {
 public:
  explicit ProtobufParser(std::string_view body,
                          const ParserOptions& options = {})
      : options_(options) {
    Reset(body);
  }

  void Reset(std::string_view body) override;
  absl::StatusOr<Entry> Next() override;
  // Name (with suffix) then, per label in exposition order, 0xFF name 0xFF
  // value, then the `le`/`quantile` label if any.
  std::string_view Series() const override { return series_view_; }
  std::string_view MetricName() const override {
    return std::string_view(series_view_.data(), name_len_);
  }
  void Labels(std::vector<Label>* out) override;
  bool NextExemplar(Exemplar* out) override;
  // The created_timestamp of the current metric's Counter, Summary or
  // Histogram (by the family's type), whatever parse_start_timestamps says:
  // protobuf bodies never carry `_created` series, so there is nothing to
  // skip.
  int64_t StartTimestamp() override;

 private:
  enum class State : int8_t {
    kFamily,
    kUnit,
    kType,
    kMetric,
    kSteps,  // the current metric has steps left
  };

  absl::Status Fail(size_t offset, std::string_view message);
  absl::Status DecodeFamily(std::string_view msg, size_t offset);
  absl::Status DecodeMetric(std::string_view msg, size_t offset);
  absl::Status DecodeHistogram(std::string_view msg, size_t offset);
  // Emits step `step_` of the current metric; false when the metric is done.
  absl::StatusOr<bool> EmitStep();
  // EmitStep, then the state and entry kind that follow from it.
  absl::StatusOr<Entry> EmitNextStep();
  // The entry kind of the step EmitStep just produced.
  Entry StepEntry() const;
  // Fills histogram_ with the current classic histogram as custom buckets.
  absl::Status ConvertToNhcb();
  // Grows label_bytes_len_ by `n`; returns where those bytes go.
  char* LabelBytesRoom(size_t n) {
    size_t need = label_bytes_len_ + n;
    if (need > label_bytes_.size()) [[unlikely]] GrowLabelBytes(need);
    char* d = label_bytes_.data() + label_bytes_len_;
    label_bytes_len_ = need;
    return d;
  }
  void GrowLabelBytes(size_t need);
  void AppendLabelBytes(std::string_view name, std::string_view value);
  void SetSeries(std::string_view suffix, std::string_view magic_name,
                 double magic_value);

  ParserOptions options_;
  std::string_view body_;
  size_t pos_ = 0;
  absl::Status status_;
  State state_ = State::kFamily;

  // Current family.
  std::string_view family_;  // whole MetricFamily message
  size_t family_offset_ = 0;
  std::string_view family_name_;
  MetricType family_type_ = MetricType::kUnknown;
  std::string_view family_help_;
  std::string_view family_unit_;
  bool family_has_metrics_ = false;
  std::vector<std::string_view> metrics_;  // the family's Metric messages
  size_t next_metric_ = 0;

  // Current metric.
  std::vector<std::pair<std::string_view, std::string_view>> labels_;
  // The family name then 0xFF name 0xFF value per label, in
  // label_bytes_[0, label_bytes_len_): the series of entries without suffix
  // or `le`/`quantile`. Reused, only ever grown.
  std::string label_bytes_;
  size_t label_bytes_len_ = 0;
  // Labels() cache for the current metric: [__name__, labels_...] sorted,
  // __name__ at name_pos_ (its value filled per entry), and where the magic
  // label sorted_magic_name_ goes.
  static constexpr size_t kMaxCachedSortLabels = 24;
  std::vector<Label> sorted_labels_;
  size_t name_pos_ = 0;
  std::string_view sorted_magic_name_;
  size_t magic_pos_ = 0;
  bool sorted_ready_ = false;
  double simple_value_ = 0;  // gauge / counter / untyped per family type
  std::string_view counter_exemplar_;
  // The current metric's Counter (when the family is a counter) and
  // Summary messages, read by StartTimestamp().
  std::string_view counter_msg_;
  std::string_view summary_msg_;
  uint64_t count_ = 0;
  double count_float_ = 0;
  double sum_ = 0;
  std::vector<std::string_view> items_;  // quantiles or buckets
  std::vector<std::string_view> native_exemplars_;
  std::string_view histogram_msg_;
  bool is_native_ = false;
  // Under 2.42 rules, whether the family's first metric was native.
  bool family_native_ = false;
  bool emit_native_ = false;
  bool emit_classic_ = false;
  // convert_classic_histograms_to_nhcb: a classic histogram's last step is
  // its conversion to custom buckets.
  bool emit_nhcb_ = false;
  ClassicHistogramCollector nhcb_;
  int step_ = 0;
  int num_steps_ = 0;

  // Current entry.
  std::string series_;  // reused; entries with a suffix or magic label
  std::string_view series_view_;  // series_ or label_bytes_; see Series()
  size_t name_len_ = 0;
  std::string_view magic_name_;
  size_t magic_value_at_ = 0;  // offset of the magic label value in series_
  std::string_view series_suffix_;  // name suffix of series_
  // series_ up to magic_value_at_ is valid for the current metric.
  bool magic_ready_ = false;
  std::vector<std::string_view> entry_exemplars_;
  size_t next_exemplar_ = 0;
};

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_PROTOBUF_PARSER_H_
