#ifndef PLUGIN_TEXTPARSE_PARSER_H_
#define PLUGIN_TEXTPARSE_PARSER_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/model/exemplar.h"
#include "plugin/model/histogram.h"
#include "plugin/model/labels.h"
#include "plugin/model/metadata.h"

namespace promscrape::textparse {

// The parsers produce the model's types (plugin/model); these names keep the
// parser code short.
using model::BucketSpan;
using model::Histogram;
using model::MetricType;
using model::MetricTypeName;

// What `Parser::Next()` found. Values match Prometheus' textparse.Entry so
// logs and debugging output line up with Prometheus'.
enum class Entry : int8_t {
  kType = 0,
  kHelp = 1,
  kSeries = 2,
  kComment = 3,
  kUnit = 4,
  kHistogram = 5,
  kEof = 6,  // Prometheus signals this with io.EOF instead of an entry.
};

// The parsers' labels are the model's label views, pointing into the
// response body or into parser-owned scratch memory (see `Parser::Labels()`
// for the lifetime).
using Label = model::LabelView;

// Debian's abseil has its own string_view type; label views hold that one.
inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// The metric name label, added first by `Parser::Labels()`.
inline constexpr std::string_view kMetricNameLabel = "__name__";

// An exemplar attached to the current series or histogram; its label views
// live as long as those of `Labels()`.
using model::Exemplar;

// Per-scrape parser options.
struct ParserOptions {
  // Protobuf: when a histogram carries native (exponential) buckets, also
  // emit its classic `_count`/`_sum`/`_bucket` series after the histogram
  // entry if it has classic buckets (Prometheus' scrape_classic_histograms /
  // always_scrape_classic_histograms). With
  // convert_classic_histograms_to_nhcb (any format): keep the classic series
  // of a converted histogram.
  bool scrape_classic_histograms = false;
  // Protobuf only: when false, native buckets are ignored and every histogram
  // is exposed as classic series (at least `_count`, `_sum` and `+Inf`).
  bool scrape_native_histograms = true;
  // Prometheus 3.x' convert_classic_histograms_to_nhcb: each classic
  // histogram is returned as one native histogram with custom buckets
  // (schema -53), and its classic series too only with
  // scrape_classic_histograms. Text and OpenMetrics: NewParser wraps the
  // parser in an NhcbParser (nhcb_parser.h). Protobuf: a histogram read as
  // classic (see scrape_native_histograms) gets the converted one as its
  // last entry; one that does not convert fails the parse.
  bool convert_classic_histograms_to_nhcb = false;
  // Text and OpenMetrics: accept Prometheus 3.x' quoted names, a metric name
  // as a quoted string inside the braces (`{"my.metric","a.b"="x"} 1`) and
  // quoted label names (`m{"a.b"="x"} 1`), also in HELP/TYPE/UNIT lines.
  // False is Prometheus 2.x' grammar, where they are syntax errors.
  bool utf8_names = false;
  // Text and OpenMetrics: Prometheus 3.x' grammar where it differs from
  // 2.42's beyond names. False is 2.42 (tests/difffuzz found each): an
  // OpenMetrics label set may not end in a comma (`a{b="1",} 1`), an
  // exemplar may follow only a sample whose name ends in `_total` or
  // `_bucket`, and an indented text sample's metric name starts with the
  // indentation (so the scrape fails on the invalid name unless relabeling
  // drops it). True accepts the first two and skips the indentation, and
  // normalises `le` of histogram and `quantile` of summary families to
  // OpenMetrics floats (`le="1"` -> `le="1.0"`), as 3.x' text parsers do.
  // Protobuf: a histogram is native when it has spans (3.x) rather than
  // integer bucket deltas (2.42's isNativeHistogram); both also count
  // zero_count and zero_threshold.
  bool prometheus3_grammar = false;
  // Prometheus 3.x' start timestamps (its ParseST: the `st-storage` and
  // `created-timestamp-zero-ingestion` feature flags). OpenMetrics: a
  // `<family>_created` line of a counter, summary or histogram family is
  // not a series but the start timestamp of the family's series with the
  // same labels (StartTimestamp()). Protobuf: only StartTimestamp() reads
  // created_timestamp (the protobuf parser never emits `_created` series).
  // False: `_created` lines are ordinary series, as in 2.42 and in 3.x
  // without those flags.
  bool parse_start_timestamps = false;
};

// Parses one scrape response body, entry by entry, in the manner of
// Prometheus' textparse.Parser. Implementations: `PromParser` (text 0.0.4),
// `OpenMetricsParser` (OpenMetrics 1.0) and `ProtobufParser` (delimited
// io.prometheus.client.MetricFamily).
//
// The body must outlive the parser (or the next `Reset()`); every view the
// parser returns points into the body or into parser-owned scratch memory and
// is valid until the next call of `Next()` or `Reset()`.
//
// Hot-path contract (the scrape loop's append):
//   for (;;) {
//     ASSIGN_OR_RETURN(Entry e, p.Next());
//     if (e == Entry::kEof) break;
//     if (e != Entry::kSeries && e != Entry::kHistogram) { metadata...; continue; }
//     std::string_view key = p.Series();            // cache key, no copy
//     if (cache hit on key) { use p.Value() / p.timestamp_ms(); continue; }
//     p.Labels(&labels_buffer);                     // sorted, reused buffer
//     ...
//   }
// Neither path allocates once the parser's and caller's buffers have grown to
// the largest line seen.
//
// Thread-compatible: one parser per scrape (or per loop, reused with
// `Reset()`); do not share one between threads without external locking.
class Parser {
 public:
  virtual ~Parser() = default;

  // Starts over on a new body; keeps scratch buffers so a loop can reuse its
  // parser across scrapes without allocating.
  virtual void Reset(std::string_view body) = 0;

  // Advances to the next entry. Returns `Entry::kEof` once the body is done
  // (and on every later call), or kInvalidArgument naming the line (text) or
  // byte offset (protobuf) and the problem. After an error the parser stays
  // failed and returns the same error.
  virtual absl::StatusOr<Entry> Next() = 0;

  // kSeries and kHistogram: the series identity bytes, usable as a cache key
  // within one target (text: the line from its start through the closing `}`
  // or the end of the name, verbatim; protobuf: name and labels joined by
  // 0xFF).
  virtual std::string_view Series() const = 0;

  // kSeries: the sample value (NaN canonicalised to Prometheus' NormalNaN).
  double Value() const { return value_; }
  // kSeries and kHistogram: whether the sample carries its own timestamp,
  // and that timestamp in milliseconds.
  bool has_timestamp() const { return has_timestamp_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }

  // kHistogram: the native histogram. Valid until the next Next().
  const Histogram& histogram() const { return histogram_; }

  // kSeries and kHistogram: the metric name (unescaped).
  virtual std::string_view MetricName() const = 0;

  // kSeries and kHistogram: replaces `*out` with `__name__` plus the series'
  // labels, sorted by name, values unescaped. Views are valid until the next
  // Next(), Reset() or Labels() call. `*out`'s capacity is reused: no
  // allocation once grown. Empty label values are returned (Prometheus drops
  // them later, in its labels builder).
  virtual void Labels(std::vector<Label>* out) = 0;

  // kSeries and kHistogram: the start (created) timestamp of the current
  // series in milliseconds, or 0 when it has none (Prometheus'
  // Parser.StartTimestamp). Only OpenMetrics (with parse_start_timestamps)
  // and protobuf carry them, only for counters, summaries and histograms.
  // May look ahead in the body (OpenMetrics): call it only when wanted.
  virtual int64_t StartTimestamp() { return 0; }

  // kSeries and kHistogram: fills `*out` with the next exemplar of the current
  // entry and returns true, or returns false when there are no more. Views as
  // for Labels().
  virtual bool NextExemplar(Exemplar* out) { return false; }

  // kHelp, kType, kUnit: the family the metadata is about.
  std::string_view metadata_name() const { return metadata_name_; }
  // kHelp: the help text, unescaped.
  std::string_view help() const { return help_; }
  // kType: the declared type.
  MetricType type() const { return type_; }
  // kUnit: the unit.
  std::string_view unit() const { return unit_; }
  // kComment: the whole comment line including '#'.
  std::string_view comment() const { return comment_; }

 protected:
  double value_ = 0;
  bool has_timestamp_ = false;
  int64_t timestamp_ms_ = 0;
  Histogram histogram_;
  std::string_view metadata_name_;
  std::string_view help_;
  MetricType type_ = MetricType::kUnknown;
  std::string_view unit_;
  std::string_view comment_;
};

// The exposition formats Prometheus 2.x can parse.
enum class Format : int8_t { kPromText, kOpenMetrics, kProtobuf };

// Returns a parser for `format` over `body` (which must outlive it).
std::unique_ptr<Parser> NewParser(Format format, std::string_view body,
                                  const ParserOptions& options = {});

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_PARSER_H_
