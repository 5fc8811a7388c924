#ifndef PLUGIN_TEXTPARSE_PROM_PARSER_H_
#define PLUGIN_TEXTPARSE_PROM_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/textparse/parser.h"
#include "plugin/textparse/text_util.h"

namespace promscrape::textparse {

// Parser for the Prometheus text exposition format 0.0.4 as Prometheus 2.42
// reads it (promlex.l / promparse.go): flexible whitespace, optional commas
// between labels, integer-millisecond timestamps, `le`/`quantile` values kept
// as written. Validates each line fully in Next(); Labels() only copies the
// label positions recorded then, unescaping into a reused scratch buffer.
//
// An indented sample keeps the indentation in its metric name, as 2.42's
// promparse.go cuts the name from where the entry's tokens start (so the
// name is invalid); 3.x' grammar (`prometheus3_grammar`) skips it.
//
// With `utf8_names` it also reads Prometheus 3.x' quoted names (promlex.l's
// tQString rules): `{"my.metric","a.b"="x"} 1`, `m{"a.b"="x"} 1` and
// `# HELP "my.metric" text`. Quoted names take the byte-by-byte path; lines
// without them run exactly the code they ran before.
//
// Thread-compatible: one per scrape (reusable with Reset()).
class PromParser final : public Parser {
 public:
  // `prometheus3_grammar`: see ParserOptions.
  explicit PromParser(std::string_view body, bool utf8_names = false,
                      bool prometheus3_grammar = false)
      : utf8_names_(utf8_names), prometheus3_grammar_(prometheus3_grammar) {
    Reset(body);
  }

  void Reset(std::string_view body) override;
  absl::StatusOr<Entry> Next() override;
  std::string_view Series() const override { return series_; }
  std::string_view MetricName() const override { return name_; }
  void Labels(std::vector<Label>* out) override;

  // Makes every label set and HELP/TYPE line go through the general
  // (byte-by-byte) code, so tests can check the fast paths against it.
  void DisableFastPathsForTest() { fast_paths_ = false; }

 private:
  // Label positions relative to the body, recorded by Next().
  struct RawLabel {
    uint32_t name_begin;
    uint32_t name_len;
    uint32_t value_begin;
    uint32_t value_len;
    bool escaped;
    bool name_escaped;  // A quoted name with backslash escapes.
  };

  // Internal result meaning "failed, see status_": keeps absl::StatusOr off
  // the per-line path.
  static constexpr Entry kFailed = static_cast<Entry>(-1);

  // Inlined into Next(): one call per line instead of two.
  [[gnu::always_inline]] inline Entry ParseSample(const char* p);
  [[gnu::always_inline]] inline Entry ParseComment(const char* p);
  // Label sets in the usual layout (`{a="b",c="d"}`, plain values, no
  // blanks) that start at w[i], just past '{'; `win` classifies the 64 bytes
  // at `w`, and at least 66 bytes from `w` are readable. Records labels_ and
  // returns the position past '}', or nullptr to let ParseLabels() redo the
  // set from the start. Never fails.
  [[gnu::always_inline]] inline const char* ScanLabelsFast(
      const char* w, internal::LabelWindow win, size_t i, const char* end);
  // Any label set, byte by byte, with the 2.42 lexer's error messages: `s`
  // is just past '{'. Returns the position past '}', or nullptr after Fail().
  [[gnu::noinline]] const char* ParseLabels(const char* line, const char* s,
                                            const char* end);
  // A sample line starting with '{' (utf8_names only): the metric name is a
  // quoted string inside the braces.
  [[gnu::noinline]] Entry ParseBracedSample(const char* line);
  // The value, timestamp and line end after a series' name and labels;
  // `q` is past the series (blanks skipped).
  [[gnu::always_inline]] inline Entry ParseSampleSuffix(const char* line,
                                                        const char* q,
                                                        const char* end);
  // A quoted string starting at `s` ('"'); returns the position past the
  // closing quote (nullptr when there is none) and whether it had escapes.
  static const char* ScanQuoted(const char* s, const char* end,
                                bool* escaped);
  // Makes name_ the unescaped quoted name [n0, n1).
  void SetQuotedName(const char* n0, const char* n1, bool escaped);
  // Records the failure in status_ (sticky) and returns kFailed.
  // `line_begin` starts the offending line, `at` is where the problem is.
  [[gnu::cold, gnu::noinline]] Entry Fail(const char* line_begin,
                                          const char* at,
                                          std::string_view expectation,
                                          bool show_token = true);
  // Fail() with Go's number error: `<func>: parsing "<token>": <what>`.
  // Out of line so no message is built in Next()'s frame.
  [[gnu::cold, gnu::noinline]] Entry FailNumber(const char* line_begin,
                                                const char* func,
                                                const char* token_begin,
                                                const char* token_end,
                                                const char* what);
  [[gnu::cold, gnu::noinline]] Entry FailType(const char* line_begin,
                                              const char* eol,
                                              std::string_view type);

  std::string_view body_;
  size_t pos_ = 0;
  bool fast_paths_ = true;
  const bool utf8_names_;
  const bool prometheus3_grammar_;
  // Whether the current series has its metric name (before the braces or as
  // a quoted string inside them).
  bool name_set_ = false;
  absl::Status status_;
  std::string_view series_;
  std::string_view name_;
  std::vector<RawLabel> labels_;
  std::string scratch_;       // Unescaped label values (Labels()).
  std::string help_scratch_;  // Unescaped HELP text.
  std::string name_scratch_;  // An unescaped quoted metric name.
};

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_PROM_PARSER_H_
