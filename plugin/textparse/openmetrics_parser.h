#ifndef PLUGIN_TEXTPARSE_OPENMETRICS_PARSER_H_
#define PLUGIN_TEXTPARSE_OPENMETRICS_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/textparse/parser.h"

namespace promscrape::textparse {

// Parser for OpenMetrics 1.0 text as Prometheus 2.42 reads it
// (openmetricslex.l / openmetricsparse.go): single-space separators, HELP /
// TYPE / UNIT metadata, mandatory and final `# EOF`, float-second timestamps
// (converted to ms by truncation), one exemplar per line. `_created` samples
// are ordinary series (2.42 stores them as such). The UNIT must be a suffix
// of the family name.
//
// Under 2.42's grammar a label set may not end in a comma and exemplars may
// follow only samples named `*_total` or `*_bucket`; 3.x' grammar
// (`prometheus3_grammar`) accepts both.
//
// With `utf8_names` it also reads Prometheus 3.x' quoted names
// (openmetricslex.l's tQString rules): `{"my.metric","a.b"="x"} 1`,
// `m{"a.b"="x"} 1`, quoted label names in exemplars and `# HELP "m.x" text`.
//
// With `parse_start_timestamps` (3.x' ParseST) the `_created` lines of
// counter, summary and histogram families are skipped and read as start
// timestamps instead (StartTimestamp(), openmetricsparse.go's
// StartTimestamp): the first `_created` line after the current sample, in
// the same run of samples, whose labels (without `le` / `quantile`) and
// family name match; any other `_created` line, a metadata line, a comment
// or the end first means none.
//
// Thread-compatible: one per scrape (reusable with Reset()).
class OpenMetricsParser final : public Parser {
 public:
  // `prometheus3_grammar`, `parse_start_timestamps`: see ParserOptions.
  explicit OpenMetricsParser(std::string_view body, bool utf8_names = false,
                             bool prometheus3_grammar = false,
                             bool parse_start_timestamps = false)
      : utf8_names_(utf8_names),
        prometheus3_grammar_(prometheus3_grammar),
        parse_start_timestamps_(parse_start_timestamps) {
    Reset(body);
  }

  void Reset(std::string_view body) override;
  absl::StatusOr<Entry> Next() override;
  std::string_view Series() const override { return series_; }
  std::string_view MetricName() const override { return name_; }
  void Labels(std::vector<Label>* out) override;
  bool NextExemplar(Exemplar* out) override;
  int64_t StartTimestamp() override;

 private:
  // One entry, `_created` lines included.
  absl::StatusOr<Entry> NextEntry();
  // Whether the current sample is a `_created` line of a family type that
  // has start timestamps (counter, summary, histogram).
  bool IsCreatedSeries() const;
  // Family name (or, for a `_created` line, its name without the suffix)
  // and the labels of the current sample without `le` of histograms and
  // `quantile` of summaries, raw as written: what StartTimestamp() matches.
  void StartTimestampKey(std::string_view family, std::string* out) const;

  struct RawLabel {
    uint32_t name_begin;
    uint32_t name_len;
    uint32_t value_begin;
    uint32_t value_len;
    bool escaped;
    bool name_escaped;  // A quoted name with backslash escapes.
  };

  absl::StatusOr<Entry> ParseSample(const char* line);
  // A sample line starting with '{' (utf8_names only): the metric name is a
  // quoted string inside the braces.
  [[gnu::noinline]] absl::StatusOr<Entry> ParseBracedSample(const char* line);
  // The value, timestamp and exemplar after the series, `p` just past it.
  [[gnu::always_inline]] inline absl::StatusOr<Entry> ParseSampleRest(
      const char* line, const char* p);
  absl::StatusOr<Entry> ParseMeta(const char* line);
  // Parses `{...}` starting after '{' at `*p`; appends to `out`. With
  // `name_set` (series only, utf8_names) a quoted string followed by ',' or
  // '}' is the metric name: it becomes name_ and sets *name_set.
  absl::Status ParseLabelSet(const char* line, const char** p,
                             std::vector<RawLabel>* out,
                             bool* name_set = nullptr);
  // A quoted string starting at `s` ('"'); returns the position past the
  // closing quote, or nullptr when there is none (a newline ends the search
  // when `stop_newline`), and whether it had escapes.
  static const char* ScanQuoted(const char* s, const char* end,
                                bool stop_newline, bool* escaped);
  // Fail() with ParseGoFloatStatus()'s message for the token.
  [[gnu::cold, gnu::noinline]] absl::Status FailFloat(const char* line_begin,
                                                      const char* token_begin,
                                                      const char* token_end);
  absl::Status Fail(const char* line_begin, const char* at,
                    std::string_view expectation, bool show_token = true);
  void AppendLabels(const std::vector<RawLabel>& raw, std::string* scratch,
                    std::vector<Label>* out);

  std::string_view body_;
  size_t pos_ = 0;
  const bool utf8_names_;
  const bool prometheus3_grammar_;
  const bool parse_start_timestamps_;
  // Length of the name of the last HELP/TYPE/UNIT line (the family).
  size_t family_name_len_ = 0;
  // StartTimestamp()'s last answer, for the key it was computed for; good
  // while the parser has not passed `st_valid_until_` (where its look-ahead
  // stopped).
  std::string st_key_;
  std::string st_probe_key_;
  int64_t st_value_ = 0;
  size_t st_valid_until_ = 0;
  // Look-ahead scratch, swapped with the live state while peeking.
  std::vector<RawLabel> peek_labels_;
  std::vector<RawLabel> peek_exemplar_labels_;
  std::string peek_name_scratch_;
  std::string name_scratch_;  // An unescaped quoted metric name.
  absl::Status status_;
  bool eof_ = false;
  std::string_view series_;
  std::string_view name_;
  std::vector<RawLabel> labels_;
  std::vector<RawLabel> exemplar_labels_;
  bool has_exemplar_ = false;
  bool exemplar_returned_ = false;
  double exemplar_value_ = 0;
  bool exemplar_has_ts_ = false;
  int64_t exemplar_ts_ = 0;
  size_t line_len_ = 0;
  std::string scratch_;
  std::string exemplar_scratch_;
  std::string help_scratch_;
};

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_OPENMETRICS_PARSER_H_
