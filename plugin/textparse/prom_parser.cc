#include "plugin/textparse/prom_parser.h"

#include <bit>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/textparse/go_float.h"
#include "plugin/textparse/label_sort.h"
#include "plugin/textparse/text_util.h"

namespace promscrape::textparse {
namespace {

using internal::Is;
using internal::kClassLabel;
using internal::kClassLabelStart;
using internal::kClassMetric;
using internal::kClassMetricStart;

inline const char* SkipBlanks(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  return p;
}

inline const char* LineEnd(const char* p, const char* end) {
  const void* nl = std::memchr(p, '\n', end - p);
  return nl ? static_cast<const char*>(nl) : end;
}

// 8 bytes as the word a memcpy from the body gives (any byte order), for
// one-compare prefix tests.
struct Bytes8 {
  char c[8];
};
// ScanLabelsFast reads up to 2 bytes past its 64-byte window.
constexpr ptrdiff_t kFastSlack = internal::kWindowBytes + 2;

constexpr uint64_t kFirst7Bytes = std::bit_cast<uint64_t>(
    Bytes8{{'\xff', '\xff', '\xff', '\xff', '\xff', '\xff', '\xff', 0}});
constexpr uint64_t kHelpHead =
    std::bit_cast<uint64_t>(Bytes8{{'#', ' ', 'H', 'E', 'L', 'P', ' ', 0}});
constexpr uint64_t kTypeHead =
    std::bit_cast<uint64_t>(Bytes8{{'#', ' ', 'T', 'Y', 'P', 'E', ' ', 0}});

bool ParseTypeName(std::string_view s, MetricType* type) {
  // Dispatch on length first: one fixed-size compare per TYPE line.
  switch (s.size()) {
    case 5:
      if (std::memcmp(s.data(), "gauge", 5) == 0) {
        *type = MetricType::kGauge;
        return true;
      }
      return false;
    case 7:
      if (std::memcmp(s.data(), "counter", 7) == 0) {
        *type = MetricType::kCounter;
        return true;
      }
      if (std::memcmp(s.data(), "summary", 7) == 0) {
        *type = MetricType::kSummary;
        return true;
      }
      if (std::memcmp(s.data(), "untyped", 7) == 0) {
        *type = MetricType::kUnknown;
        return true;
      }
      return false;
    case 9:
      if (std::memcmp(s.data(), "histogram", 9) == 0) {
        *type = MetricType::kHistogram;
        return true;
      }
      return false;
    default:
      return false;
  }
}

}  // namespace

void PromParser::Reset(std::string_view body) {
  body_ = body;
  pos_ = 0;
  status_ = absl::OkStatus();
  series_ = name_ = {};
  labels_.clear();
  // A TYPE line's type holds until the next TYPE line (promparse.go mtype),
  // within one body.
  type_ = MetricType::kUnknown;
  // Label positions are 32-bit offsets; scrape bodies are far smaller.
  if (body.size() > UINT32_MAX) {
    status_ = absl::InvalidArgumentError("body larger than 4 GiB");
  }
}

Entry PromParser::Fail(const char* line_begin, const char* at,
                       std::string_view expectation, bool show_token) {
  status_ = absl::InvalidArgumentError(
      internal::ParseErrorMessage(body_, line_begin, at, expectation, show_token));
  pos_ = body_.size();
  return kFailed;
}

const char* PromParser::ScanLabelsFast(const char* w, internal::LabelWindow win,
                                       size_t i, const char* end) {
  // Works on bitmaps of a 64-byte window (bit i: byte w[i]), so finding the
  // end of a name or value is a shift and a count of trailing zeros instead
  // of a load and a vector scan per token: the scan is a chain of dependent
  // steps, and this keeps each step short. Bytes up to w[65] are read, hence
  // the slack.
  constexpr size_t kWindow = internal::kWindowBytes;
  if (i >= kWindow) {
    w += i;
    i = 0;
    if (end - w < kFastSlack) return nullptr;
    win = internal::ClassifyLabelWindow(w);
  }
  if (w[i] == '}') return w + i + 1;
  const char* b = body_.data();
  for (;;) {
    uint64_t after_name = i < kWindow ? ~(win.label >> i) : 0;
    size_t n1 = i + (after_name != 0 ? __builtin_ctzll(after_name) : kWindow);
    size_t v0 = n1 + 2;
    uint64_t stops = v0 < kWindow ? win.stop >> v0 : 0;
    if (stops == 0) {
      // The label runs past the window: start a new window at the label. A
      // label longer than a window is left to ParseLabels().
      if (i == 0) return nullptr;
      w += i;
      i = 0;
      if (end - w < kFastSlack) return nullptr;
      win = internal::ClassifyLabelWindow(w);
      continue;
    }
    size_t v1 = v0 + __builtin_ctzll(stops);
    // A backslash or a byte >= 0x80 before the closing quote, blanks, or
    // anything malformed: ParseLabels() takes over.
    if (!Is(kClassLabelStart, w[i]) || w[n1] != '=' || w[n1 + 1] != '"' ||
        w[v1] != '"') {
      return nullptr;
    }
    labels_.push_back(RawLabel{static_cast<uint32_t>(w + i - b),
                               static_cast<uint32_t>(n1 - i),
                               static_cast<uint32_t>(w + v0 - b),
                               static_cast<uint32_t>(v1 - v0), false,
                               false});
    char c = w[v1 + 1];
    if (c == '}') return w + v1 + 2;
    if (c != ',') return nullptr;
    if (w[v1 + 2] == '}') return w + v1 + 3;
    i = v1 + 2;
  }
}

const char* PromParser::ParseLabels(const char* line, const char* s,
                                    const char* end) {
  for (;;) {
    s = SkipBlanks(s, end);
    if (s >= end) {
      Fail(line, s, "expected label name or brace close");
      return nullptr;
    }
    if (*s == '}') return s + 1;
    const char* n0;
    const char* n1;
    bool name_escaped = false;
    if (*s == '"' && utf8_names_) {
      const char* after = ScanQuoted(s, end, &name_escaped);
      if (after == nullptr) {
        Fail(line, end, "unterminated quoted name");
        return nullptr;
      }
      n0 = s + 1;
      n1 = after - 1;
      s = SkipBlanks(after, end);
      if (s < end && (*s == ',' || *s == '}')) {
        // promparse.go parseLVals: a quoted string followed by a comma or
        // brace is the metric name.
        if (name_set_) {
          Fail(line, s, "metric name already set", /*show_token=*/false);
          return nullptr;
        }
        SetQuotedName(n0, n1, name_escaped);
        if (*s == '}') return s + 1;
        ++s;
        continue;
      }
    } else if (!Is(kClassLabelStart, *s)) {
      Fail(line, s, "expected label name");
      return nullptr;
    } else {
      n0 = s;
      s = internal::SkipNameChars(s + 1, end, /*colon=*/false);
      n1 = s;
    }
    s = SkipBlanks(s, end);
    if (s >= end || *s != '=') {
      Fail(line, s, "expected equal");
      return nullptr;
    }
    s = SkipBlanks(s + 1, end);
    if (s >= end || *s != '"') {
      Fail(line, s, "expected label value");
      return nullptr;
    }
    const char* v0 = ++s;
    bool escaped = false, high = false;
    for (;;) {
      s = internal::FindQuoteEscapeOrHigh(s, end, /*stop_newline=*/false);
      if (s >= end) {
        Fail(line, end, "unterminated label value");
        return nullptr;
      }
      if (*s == '"') break;
      if (*s == '\\') {
        escaped = true;
        s += 2;
        if (s > end) {
          Fail(line, end, "unterminated label value");
          return nullptr;
        }
      } else {
        high = true;
        ++s;
      }
    }
    const char* v1 = s++;
    // promlex reads the byte after the closing quote still in its value
    // state, where next() skips NULs into the token, and the value is the
    // token less its first and last bytes: `{a="b"\0}` has a=`b"` (2.42
    // and 3.x; tests/difffuzz).
    while (s < end && *s == '\0') ++s;
    v1 = s - 1;
    if (high && !internal::IsValidUtf8(std::string_view(v0, v1 - v0))) {
      Fail(line, v1, "invalid UTF-8 label value", false);
      return nullptr;
    }
    labels_.push_back(RawLabel{static_cast<uint32_t>(n0 - body_.data()),
                               static_cast<uint32_t>(n1 - n0),
                               static_cast<uint32_t>(v0 - body_.data()),
                               static_cast<uint32_t>(v1 - v0), escaped,
                               name_escaped});
    s = SkipBlanks(s, end);
    if (s < end && *s == ',') ++s;
  }
}

const char* PromParser::ScanQuoted(const char* s, const char* end,
                                   bool* escaped) {
  // promlex.l: \"(\\.|[^\\"])*\" (which may span lines, as label values do).
  ++s;
  for (;;) {
    s = internal::FindQuoteEscapeOrHigh(s, end, /*stop_newline=*/false);
    if (s >= end) return nullptr;
    if (*s == '"') return s + 1;
    if (*s == '\\') {
      *escaped = true;
      s += 2;
      if (s > end) return nullptr;
    } else {
      ++s;
    }
  }
}

void PromParser::SetQuotedName(const char* n0, const char* n1, bool escaped) {
  name_set_ = true;
  const std::string_view raw(n0, n1 - n0);
  if (!escaped) {
    name_ = raw;
    return;
  }
  // promparse.go unreplace: \" \\ \n, as in label values.
  name_scratch_.clear();
  internal::AppendUnescapedLabelValue(raw, &name_scratch_);
  name_ = name_scratch_;
}

Entry PromParser::ParseBracedSample(const char* line) {
  const char* end = body_.data() + body_.size();
  name_ = {};
  name_set_ = false;
  labels_.clear();
  const char* s = ParseLabels(line, line + 1, end);
  if (s == nullptr) return kFailed;
  if (!name_set_) {
    // promparse.go parseMetricSuffix checks this after lexing the value, so
    // the message shows the line through the value token.
    const char* v = SkipBlanks(s, end);
    while (v < end && *v != '{' && *v != ' ' && *v != '\t' && *v != '\n') ++v;
    return Fail(line, v - 1, "metric name not set", /*show_token=*/false);
  }
  series_ = std::string_view(line, s - line);
  return ParseSampleSuffix(line, SkipBlanks(s, end), end);
}

Entry PromParser::FailNumber(const char* line_begin, const char* func,
                             const char* token_begin, const char* token_end,
                             const char* what) {
  return Fail(
      line_begin, token_end - 1,
      absl::StrCat(func, ": parsing \"",
                   absl::string_view(token_begin, token_end - token_begin),
                   "\": ", what),
      false);
}

Entry PromParser::FailType(const char* line_begin, const char* eol,
                           std::string_view type) {
  std::string t;
  internal::AppendQuoted(type, &t);
  return Fail(line_begin, eol, absl::StrCat("invalid metric type \"", t, "\""),
              false);
}

Entry PromParser::ParseSample(const char* line) {
  const char* end = body_.data() + body_.size();
  const char* p;
  // One window from the line start serves the name and, usually, the whole
  // label set.
  internal::LabelWindow win;
  const bool fast = fast_paths_ && end - line >= kFastSlack;
  if (fast) [[likely]] {
    win = internal::ClassifyLabelWindow(line);
    uint64_t after_name = ~win.label;
    p = line + (after_name != 0 ? __builtin_ctzll(after_name)
                                : internal::kWindowBytes);
    // A ':' (not in the window's class) or a name longer than the window.
    if (Is(kClassMetric, *p)) p = internal::SkipNameChars(p, end, true);
  } else {
    p = internal::SkipNameChars(line + 1, end, /*colon=*/true);
  }
  name_ = std::string_view(line, p - line);
  labels_.clear();
  const char* series_end = p;
  const char* q = SkipBlanks(p, end);
  if (q < end && *q == '{') {
    const char* s =
        fast ? ScanLabelsFast(line, win, q + 1 - line, end) : nullptr;
    if (s == nullptr) [[unlikely]] {
      labels_.clear();
      name_set_ = true;
      s = ParseLabels(line, q + 1, end);
      if (s == nullptr) return kFailed;
    }
    series_end = s;
    q = SkipBlanks(s, end);
  }
  series_ = std::string_view(line, series_end - line);
  return ParseSampleSuffix(line, q, end);
}

Entry PromParser::ParseSampleSuffix(const char* line, const char* q,
                                    const char* end) {
  // Value: [^{ \t\n]+ as the 2.42 lexer cuts it, scanned and parsed in one
  // pass.
  const char* v = q;
  FloatParseResult fr =
      ParseGoFloatToken(v, end, internal::kClassValueStop, &q, &value_);
  if (q == v) return Fail(line, q, "expected value after metric");
  switch (fr) {
    case FloatParseResult::kOk:
      break;
    case FloatParseResult::kUnsupported:
      return Fail(line, q - 1, "unsupported character in float", false);
    case FloatParseResult::kRange:
      return FailNumber(line, "strconv.ParseFloat", v, q, "value out of range");
    case FloatParseResult::kSyntax:
      return FailNumber(line, "strconv.ParseFloat", v, q, "invalid syntax");
  }
  has_timestamp_ = false;
  q = SkipBlanks(q, end);
  if (q < end && *q >= '0' && *q <= '9') {
    const char* t0 = q;
    uint64_t ts = 0;
    bool overflow = false;
    for (; q < end && *q >= '0' && *q <= '9'; ++q) {
      uint64_t d = *q - '0';
      if (ts > (static_cast<uint64_t>(INT64_MAX) - d) / 10) overflow = true;
      ts = ts * 10 + d;
    }
    if (overflow) {
      return FailNumber(line, "strconv.ParseInt", t0, q, "value out of range");
    }
    has_timestamp_ = true;
    timestamp_ms_ = static_cast<int64_t>(ts);
    q = SkipBlanks(q, end);
    if (q < end && *q != '\n') {
      return Fail(line, q, "expected next entry after timestamp");
    }
  } else if (q < end && *q != '\n') {
    return Fail(line, q, "expected timestamp or new record");
  }
  pos_ = (q < end ? q + 1 : end) - body_.data();
  return Entry::kSeries;
}

Entry PromParser::ParseComment(const char* line) {
  const char* end = body_.data() + body_.size();
  bool help = false, type = false;
  bool backslash = false, high = false;
  bool quoted_name = false;
  const char* n0;
  const char* p;
  const char* eol;
  uint64_t head = 0;
  if (end - line >= 8) {
    std::memcpy(&head, line, 8);
    head &= kFirst7Bytes;
  }
  if ((head == kHelpHead || head == kTypeHead) &&
      Is(kClassMetricStart, line[7]) && fast_paths_) [[likely]] {
    // `# HELP name text`, single spaces: the line end is searched from the
    // name on, in parallel with the name's end rather than after it. The
    // flags then also cover the name and the byte after it; a needless
    // unescape or UTF-8 check of the text gives the same result.
    help = head == kHelpHead;
    n0 = line + 7;
    eol = internal::ScanLine(n0, end, &backslash, &high);
    p = internal::SkipNameChars(n0 + 1, end, /*colon=*/true);
  } else {
    const char* line_end = LineEnd(line, end);
    const bool nul = std::memchr(line, '\0', line_end - line) != nullptr;
    p = SkipBlanks(line + 1, end);
    if (nul) [[unlikely]] {
      // promlex (2.42 and 3.x) around NUL bytes: after `#` and no blank it
      // consumes the comment in its initial state, where a NUL is the end
      // of input; after `# ` a NUL first is too; in its comment state
      // next() skips NULs, so `# HE\0LP \0name` is a HELP line.
      if (p == line + 1 || *p == '\0') {
        pos_ = body_.size();
        return Entry::kEof;
      }
      auto next = [end](const char* x) {
        ++x;
        while (x < end && *x == '\0') ++x;
        return x;
      };
      const char* want = *p == 'H' ? "HELP" : *p == 'T' ? "TYPE" : nullptr;
      if (want != nullptr) {
        const char* r = next(p);
        int k = 1;
        while (k < 4 && r < end && *r == want[k]) {
          ++k;
          r = next(r);
        }
        if (k == 4 && r < end && (*r == ' ' || *r == '\t')) {
          while (r < end && (*r == ' ' || *r == '\t')) r = next(r);
          help = want[0] == 'H';
          type = !help;
          p = r;
        }
      }
    } else if (p > line + 1 && end - p >= 5 && (p[4] == ' ' || p[4] == '\t')) {
      help = std::memcmp(p, "HELP", 4) == 0;
      type = !help && std::memcmp(p, "TYPE", 4) == 0;
      if (help || type) p = SkipBlanks(p + 5, end);
    }
    if (!help && !type) {
      eol = line_end;
      pos_ = (eol < end ? eol + 1 : end) - body_.data();
      comment_ = std::string_view(line, eol - line);
      return Entry::kComment;
    }
    n0 = p;
    if (p < end && Is(kClassMetricStart, *p)) {
      p = internal::SkipNameChars(p + 1, end, /*colon=*/true);
    } else if (utf8_names_ && p < end && *p == '"') {
      // promlex.l sMeta1: a quoted name; promparse.go strips the quotes and
      // keeps any escapes as written.
      bool escaped = false;
      const char* after = ScanQuoted(p, end, &escaped);
      if (after != nullptr) {
        quoted_name = true;
        p = after;
      }
    }
    if (p == n0) {
      return Fail(line, p,
                  help ? "expected metric name after HELP"
                       : "expected metric name after TYPE");
    }
    eol = p;
    if (p < end && *p != '\n') {
      eol = internal::ScanLine(p + 1, end, &backslash, &high);
    }
  }
  if (p < end && *p == '\0') [[unlikely]] {
    // sMeta2 cannot start with a NUL: empty text, then promlex's `\0`
    // (end of input) where a line break must follow.
    return Fail(line, p, "linebreak expected after metadata");
  }
  metadata_name_ = quoted_name ? std::string_view(n0 + 1, p - n0 - 2)
                               : std::string_view(n0, p - n0);
  // NOTE: promlex takes the rest of the line as the text and drops its
  // first byte, whatever it is: `# HELP foo{x` has help "x".
  std::string_view text;
  if (p < eol) text = std::string_view(p + 1, eol - p - 1);
  pos_ = (eol < end ? eol + 1 : end) - body_.data();
  if (help) {
    if (high && !internal::IsValidUtf8(text)) {
      return Fail(line, eol, "help text is not a valid utf8 string", false);
    }
    if (backslash) {
      help_scratch_.clear();
      internal::AppendUnescapedHelp(text, &help_scratch_);
      help_ = help_scratch_;
    } else {
      help_ = text;
    }
    return Entry::kHelp;
  }
  if (p == eol) return Fail(line, eol, "expected text in TYPE");
  if (!ParseTypeName(text, &type_)) return FailType(line, eol, text);
  return Entry::kType;
}

absl::StatusOr<Entry> PromParser::Next() {
  if (!status_.ok()) return status_;
  const char* b = body_.data();
  const char* end = b + body_.size();
  // Where the blanks before this entry on its line start (2.42 keeps them
  // in an indented sample's name).
  const char* indent = nullptr;
  for (;;) {
    const char* p = b + pos_;
    if (p >= end) return Entry::kEof;
    char c = *p;
    Entry e;
    if (Is(kClassMetricStart, c)) {
      e = ParseSample(p);
      if (indent != nullptr && e == Entry::kSeries && !prometheus3_grammar_)
          [[unlikely]] {
        name_ = std::string_view(indent, name_.data() + name_.size() - indent);
        series_ =
            std::string_view(indent, series_.data() + series_.size() - indent);
      }
    } else if (c == '#') {
      e = ParseComment(p);
    } else {
      switch (c) {
        case '\n':
          ++pos_;
          indent = nullptr;
          continue;
        case ' ':
        case '\t':
          // The 2.42 lexer skips whitespace tokens between entries.
          if (indent == nullptr) indent = p;
          ++pos_;
          continue;
        case '\0':
          // promlex treats a NUL where a line starts as the end of input.
          pos_ = body_.size();
          return Entry::kEof;
        case '{':
          // Prometheus 3.x: `{"name",...}`; 2.x has no such start token.
          if (utf8_names_) {
            e = ParseBracedSample(p);
            break;
          }
          [[fallthrough]];
        default:
          e = Fail(p, p, "expected a valid start token");
      }
    }
    if (e == kFailed) [[unlikely]] {
      return status_;
    }
    return e;
  }
}

void PromParser::Labels(std::vector<Label>* out) {
  out->clear();
  out->push_back(Label{kMetricNameLabel, name_});
  // Unescaped values are never longer than the series bytes; reserving that
  // up front keeps views into scratch_ stable while it fills.
  scratch_.clear();
  // 3.x' le/quantile normalisation may lengthen a value (`1` -> `1.0`): room
  // for it too, so the views stay stable.
  const bool histogram = prometheus3_grammar_ && type_ == MetricType::kHistogram;
  const bool summary = prometheus3_grammar_ && type_ == MetricType::kSummary;
  scratch_.reserve(series_.size() +
                   (histogram || summary ? 32 * labels_.size() : 0));
  const char* b = body_.data();
  for (const RawLabel& l : labels_) {
    std::string_view value(b + l.value_begin, l.value_len);
    if (l.escaped) {
      size_t at = scratch_.size();
      internal::AppendUnescapedLabelValue(value, &scratch_);
      value = std::string_view(scratch_.data() + at, scratch_.size() - at);
    }
    std::string_view name(b + l.name_begin, l.name_len);
    if (l.name_escaped) [[unlikely]] {
      size_t at = scratch_.size();
      internal::AppendUnescapedLabelValue(name, &scratch_);
      name = std::string_view(scratch_.data() + at, scratch_.size() - at);
    }
    if (histogram || summary) [[unlikely]] {
      value = NormalizeFloatLabelValue(histogram, summary, name, value,
                                       &scratch_);
    }
    out->push_back(Label{name, value});
  }
  internal::SortLabels(out);
}

}  // namespace promscrape::textparse
