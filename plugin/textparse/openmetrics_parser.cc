#include "plugin/textparse/openmetrics_parser.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/match.h"
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

bool ParseTypeName(std::string_view s, MetricType* type) {
  static constexpr std::pair<std::string_view, MetricType> kTypes[] = {
      {"counter", MetricType::kCounter},
      {"gauge", MetricType::kGauge},
      {"histogram", MetricType::kHistogram},
      {"gaugehistogram", MetricType::kGaugeHistogram},
      {"summary", MetricType::kSummary},
      {"info", MetricType::kInfo},
      {"stateset", MetricType::kStateset},
      {"unknown", MetricType::kUnknown},
  };
  for (const auto& [name, t] : kTypes) {
    if (s == name) {
      *type = t;
      return true;
    }
  }
  return false;
}

// A token as the OpenMetrics grammar cuts it: [^ \n]+.
inline const char* TokenEnd(const char* p, const char* end) {
  while (p < end && *p != ' ' && *p != '\n') ++p;
  return p;
}

}  // namespace

void OpenMetricsParser::Reset(std::string_view body) {
  body_ = body;
  pos_ = 0;
  eof_ = false;
  status_ = absl::OkStatus();
  series_ = name_ = {};
  labels_.clear();
  // A TYPE line's type holds until the next TYPE line (openmetricsparse.go
  // mtype), within one body.
  type_ = MetricType::kUnknown;
  family_name_len_ = 0;
  st_key_.clear();
  st_valid_until_ = 0;
  exemplar_labels_.clear();
  has_exemplar_ = false;
  if (body.size() > UINT32_MAX) {
    status_ = absl::InvalidArgumentError("body larger than 4 GiB");
  }
}

absl::Status OpenMetricsParser::Fail(const char* line_begin, const char* at,
                                     std::string_view expectation,
                                     bool show_token) {
  status_ = absl::InvalidArgumentError(
      internal::ParseErrorMessage(body_, line_begin, at, expectation, show_token));
  pos_ = body_.size();
  return status_;
}

absl::StatusOr<Entry> OpenMetricsParser::Next() {
  for (;;) {
    absl::StatusOr<Entry> e = NextEntry();
    if (parse_start_timestamps_ && e.ok() && *e == Entry::kSeries &&
        IsCreatedSeries()) {
      continue;  // Read by StartTimestamp() instead (skipSTSeries).
    }
    return e;
  }
}

namespace {

constexpr std::string_view kCreatedSuffix = "_created";

bool TypeHasStartTimestamp(MetricType t) {
  return t == MetricType::kCounter || t == MetricType::kSummary ||
         t == MetricType::kHistogram;
}

}  // namespace

bool OpenMetricsParser::IsCreatedSeries() const {
  return TypeHasStartTimestamp(type_) && name_.size() >= kCreatedSuffix.size() &&
         name_.substr(name_.size() - kCreatedSuffix.size()) == kCreatedSuffix;
}

void OpenMetricsParser::StartTimestampKey(std::string_view family,
                                          std::string* out) const {
  out->clear();
  out->append(family);
  const char* b = body_.data();
  for (const RawLabel& l : labels_) {
    std::string_view name(b + l.name_begin, l.name_len);
    if ((type_ == MetricType::kHistogram && name == "le") ||
        (type_ == MetricType::kSummary && name == "quantile")) {
      continue;
    }
    out->push_back('\xff');
    out->append(name);
    out->push_back('\xff');
    out->append(b + l.value_begin, l.value_len);
  }
}

int64_t OpenMetricsParser::StartTimestamp() {
  if (!parse_start_timestamps_ || series_.empty()) return 0;
  if (!TypeHasStartTimestamp(type_)) {
    st_valid_until_ = 0;  // As openmetricsparse.go: forgets its cache.
    return 0;
  }
  const std::string_view family =
      name_.substr(0, std::min(family_name_len_, name_.size()));
  StartTimestampKey(family, &st_probe_key_);
  // A found start timestamp holds for every later sample of the same key,
  // even past its `_created` line (openmetricsparse.go's stHashSet cache:
  // a summary's quantiles after `_created` get it); "none" holds only up to
  // where the look-ahead stopped (the same look-ahead from a later sample
  // would see a subset of the same lines).
  if (pos_ < st_valid_until_ && st_probe_key_ == st_key_) return st_value_;

  // Look ahead with the live state set aside (openmetricsparse.go peeks
  // with a copy of its lexer and restores it the same way).
  const size_t saved_pos = pos_;
  const std::string_view saved_series = series_, saved_name = name_;
  const MetricType saved_type = type_;
  const double saved_value = value_;
  const bool saved_has_ts = has_timestamp_;
  const int64_t saved_ts = timestamp_ms_;
  const bool saved_has_exemplar = has_exemplar_;
  const bool saved_ex_returned = exemplar_returned_;
  const double saved_ex_value = exemplar_value_;
  const bool saved_ex_has_ts = exemplar_has_ts_;
  const int64_t saved_ex_ts = exemplar_ts_;
  const size_t saved_line_len = line_len_;
  const std::string_view saved_meta = metadata_name_, saved_help = help_,
                         saved_unit = unit_, saved_comment = comment_;
  const size_t saved_family_len = family_name_len_;
  labels_.swap(peek_labels_);
  exemplar_labels_.swap(peek_exemplar_labels_);
  name_scratch_.swap(peek_name_scratch_);

  int64_t st = 0;
  for (;;) {
    absl::StatusOr<Entry> e = NextEntry();
    if (!e.ok() || *e != Entry::kSeries) break;  // another family: none
    if (name_.size() < kCreatedSuffix.size() ||
        name_.substr(name_.size() - kCreatedSuffix.size()) != kCreatedSuffix) {
      continue;
    }
    // The first `_created` line decides: ours, or another series' (none).
    StartTimestampKey(name_.substr(0, name_.size() - kCreatedSuffix.size()),
                      &st_key_);
    if (st_key_ == st_probe_key_) {
      // OpenMetrics timestamps are seconds; Go's int64(v * 1000.0).
      const double ms = value_ * 1000.0;
      st = std::isfinite(ms) && std::fabs(ms) < 9.2e18
               ? static_cast<int64_t>(ms)
               : 0;
    }
    break;
  }
  const size_t stopped_at = pos_;

  labels_.swap(peek_labels_);
  exemplar_labels_.swap(peek_exemplar_labels_);
  name_scratch_.swap(peek_name_scratch_);
  pos_ = saved_pos;
  series_ = saved_series;
  name_ = saved_name;
  type_ = saved_type;
  value_ = saved_value;
  has_timestamp_ = saved_has_ts;
  timestamp_ms_ = saved_ts;
  has_exemplar_ = saved_has_exemplar;
  exemplar_returned_ = saved_ex_returned;
  exemplar_value_ = saved_ex_value;
  exemplar_has_ts_ = saved_ex_has_ts;
  exemplar_ts_ = saved_ex_ts;
  line_len_ = saved_line_len;
  metadata_name_ = saved_meta;
  help_ = saved_help;
  unit_ = saved_unit;
  comment_ = saved_comment;
  family_name_len_ = saved_family_len;
  // A look-ahead error is found again by Next() in its turn.
  status_ = absl::OkStatus();
  eof_ = false;

  st_key_ = st_probe_key_;
  st_value_ = st;
  // Prometheus caches only a positive answer (its `p.st > 0` check).
  st_valid_until_ = st > 0 ? std::numeric_limits<size_t>::max()
                   : st == 0 ? stopped_at
                             : 0;
  return st;
}

absl::StatusOr<Entry> OpenMetricsParser::NextEntry() {
  if (!status_.ok()) return status_;
  if (eof_) return Entry::kEof;
  const char* b = body_.data();
  const char* end = b + body_.size();
  const char* p = b + pos_;
  if (p >= end) {
    status_ = absl::InvalidArgumentError("data does not end with # EOF");
    return status_;
  }
  if (Is(kClassMetricStart, *p)) return ParseSample(p);
  if (*p == '#') return ParseMeta(p);
  // Prometheus 3.x: `{"name",...}`; 2.x has no such start token.
  if (*p == '{' && utf8_names_) return ParseBracedSample(p);
  return Fail(p, p, "expected a valid start token");
}

absl::StatusOr<Entry> OpenMetricsParser::ParseMeta(const char* line) {
  const char* end = body_.data() + body_.size();
  const void* nlp = std::memchr(line, '\n', end - line);
  const char* eol = nlp ? static_cast<const char*>(nlp) : end;
  std::string_view l(line, eol - line);
  if (l == "# EOF") {
    const char* after = eol < end ? eol + 1 : end;
    if (after != end) {
      return Fail(line, after, "unexpected data after # EOF", false);
    }
    eof_ = true;
    pos_ = body_.size();
    return Entry::kEof;
  }
  if (l.substr(0, 5) == "# EOF") {
    return Fail(line, line + 5, "unexpected data after # EOF", false);
  }
  Entry kind = Entry::kComment;
  const char* p = line + 7;
  if (l.size() >= 3 && l[1] == ' ' && l[2] != '\0' &&
      std::memchr(line, '\0', l.size()) != nullptr) [[unlikely]] {
    // openmetricslex (2.42 and 3.x): next() skips NULs in the comment
    // state, so `# HE\0LP \0name text` is a HELP line of `name`.
    auto next = [eol](const char* x) {
      ++x;
      while (x < eol && *x == '\0') ++x;
      return x;
    };
    const char* r = line + 2;
    const char* word = *r == 'H'   ? "HELP "
                       : *r == 'T' ? "TYPE "
                       : *r == 'U' ? "UNIT "
                                   : "EOF";
    const int n = word[0] == 'E' ? 3 : 5;
    int k = 0;
    while (k < n && r < eol && *r == word[k]) {
      ++k;
      r = next(r);
    }
    if (k == 3 && n == 3) {
      // `"EOF"\n?`, then nothing may follow.
      const char* after = r < eol ? r : (eol < end ? eol + 1 : end);
      if (after != end) {
        return Fail(line, after, "unexpected data after # EOF", false);
      }
      eof_ = true;
      pos_ = body_.size();
      return Entry::kEof;
    }
    if (k == 5) {
      kind = word[0] == 'H'   ? Entry::kHelp
             : word[0] == 'T' ? Entry::kType
                              : Entry::kUnit;
      p = r;
    }
  }
  if (kind != Entry::kComment) {
    // Found above.
  } else if (l.size() >= 7 && l.substr(0, 7) == "# HELP ") {
    kind = Entry::kHelp;
  } else if (l.size() >= 7 && l.substr(0, 7) == "# TYPE ") {
    kind = Entry::kType;
  } else if (l.size() >= 7 && l.substr(0, 7) == "# UNIT ") {
    kind = Entry::kUnit;
  } else {
    return Fail(line, line + std::min<size_t>(l.size(), 2),
                "expected a valid metadata line (HELP, TYPE, UNIT or EOF)");
  }
  const char* what = kind == Entry::kHelp   ? "HELP"
                     : kind == Entry::kType ? "TYPE"
                                            : "UNIT";
  const char* n0 = p;
  bool quoted_name = false;
  if (p < eol && Is(kClassMetricStart, *p)) {
    ++p;
    while (p < eol && Is(kClassMetric, *p)) ++p;
  } else if (utf8_names_ && p < eol && *p == '"') {
    // openmetricslex.l sMeta1: a quoted name, kept as written between the
    // quotes (openmetricsparse.go strips only the quotes).
    bool escaped = false;
    const char* after = ScanQuoted(p, eol, /*stop_newline=*/true, &escaped);
    if (after != nullptr) {
      quoted_name = true;
      p = after;
    }
  }
  if (p == n0) {
    return Fail(line, p, absl::StrCat("expected metric name after ", what));
  }
  metadata_name_ = quoted_name ? std::string_view(n0 + 1, p - n0 - 2)
                               : std::string_view(n0, p - n0);
  family_name_len_ = metadata_name_.size();
  if (p == eol) return Fail(line, p, absl::StrCat("expected text in ", what));
  if (*p != ' ') return Fail(line, p, absl::StrCat("expected text in ", what));
  std::string_view text(p + 1, eol - p - 1);
  pos_ = (eol < end ? eol + 1 : end) - body_.data();
  switch (kind) {
    case Entry::kHelp:
      if (!internal::IsAscii(text.data(), text.data() + text.size()) &&
          !internal::IsValidUtf8(text)) {
        return Fail(line, eol, "help text is not a valid utf8 string", false);
      }
      if (std::memchr(text.data(), '\\', text.size()) != nullptr) {
        help_scratch_.clear();
        internal::AppendUnescapedLabelValue(text, &help_scratch_);
        help_ = help_scratch_;
      } else {
        help_ = text;
      }
      break;
    case Entry::kType:
      if (!ParseTypeName(text, &type_)) {
        std::string t;
        internal::AppendQuoted(text, &t);
        return Fail(line, eol, absl::StrCat("invalid metric type \"", t, "\""),
                    false);
      }
      break;
    default: {
      unit_ = text;
      std::string_view m = metadata_name_;
      if (!unit_.empty() &&
          (m.size() < unit_.size() + 1 ||
           m.substr(m.size() - unit_.size()) != unit_ ||
           m[m.size() - unit_.size() - 1] != '_')) {
        return Fail(line, eol,
                    absl::StrCat("unit \"", internal::AV(unit_),
                                 "\" not a suffix of metric \"",
                                 internal::AV(m), "\""),
                    false);
      }
      break;
    }
  }
  return kind;
}

const char* OpenMetricsParser::ScanQuoted(const char* s, const char* end,
                                          bool stop_newline, bool* escaped) {
  ++s;
  for (;;) {
    s = internal::FindQuoteEscapeOrHigh(s, end, stop_newline);
    if (s >= end || *s == '\n') return nullptr;
    if (*s == '"') return s + 1;
    if (*s == '\\') {
      *escaped = true;
      if (s + 1 >= end || (stop_newline && s[1] == '\n')) return nullptr;
      s += 2;
    } else {
      ++s;
    }
  }
}

absl::Status OpenMetricsParser::ParseLabelSet(const char* line, const char** pp,
                                              std::vector<RawLabel>* out,
                                              bool* name_set) {
  const char* end = body_.data() + body_.size();
  const char* s = *pp;
  if (s < end && *s == '}') {
    *pp = s + 1;
    return absl::OkStatus();
  }
  for (;;) {
    const char* n0;
    const char* n1;
    bool name_escaped = false;
    if (s < end && Is(kClassLabelStart, *s)) [[likely]] {
      n0 = s;
      s = internal::SkipNameChars(s + 1, end, /*colon=*/false);
      n1 = s;
    } else if (utf8_names_ && s < end && *s == '"') {
      // openmetricslex.l: series label names may span lines (sLabels),
      // exemplar ones may not (sExemplar).
      const char* after =
          ScanQuoted(s, end, /*stop_newline=*/name_set == nullptr,
                     &name_escaped);
      if (after == nullptr) return Fail(line, s, "expected label name");
      n0 = s + 1;
      n1 = after - 1;
      s = after;
      if (s < end && (*s == ',' || *s == '}')) {
        // openmetricsparse.go parseLVals: a quoted string followed by a comma
        // or brace is the metric name; exemplars have none.
        if (name_set == nullptr) return Fail(line, s, "expected label name");
        if (*name_set) {
          return Fail(line, s, "metric name already set", /*show_token=*/false);
        }
        *name_set = true;
        const std::string_view raw(n0, n1 - n0);
        if (name_escaped) {
          name_scratch_.clear();
          internal::AppendUnescapedLabelValue(raw, &name_scratch_);
          name_ = name_scratch_;
        } else {
          name_ = raw;
        }
        if (*s == '}') {
          *pp = s + 1;
          return absl::OkStatus();
        }
        ++s;
        if (s < end && *s == '}') {
          *pp = s + 1;
          return absl::OkStatus();
        }
        continue;
      }
    } else {
      return Fail(line, s, "expected label name");
    }
    if (s >= end || *s != '=') return Fail(line, s, "expected equal");
    ++s;
    if (s >= end || *s != '"') return Fail(line, s, "expected label value");
    const char* v0 = ++s;
    bool escaped = false, high = false;
    for (;;) {
      s = internal::FindQuoteEscapeOrHigh(s, end, /*stop_newline=*/true);
      if (s >= end || *s == '\n') {
        return Fail(line, s, "expected label value");
      }
      if (*s == '"') break;
      if (*s == '\\') {
        escaped = true;
        // NOTE: the OM lexer's escape (\\.) takes any byte but newline.
        if (s + 1 >= end || s[1] == '\n') {
          return Fail(line, s + 1, "expected label value");
        }
        s += 2;
      } else {
        high = true;
        ++s;
      }
    }
    const char* v1 = s++;
    // openmetricslex reads the byte after a series label value's closing
    // quote still in sLValue, where next() skips NULs into the token (not
    // so in an exemplar's sEValue), and the value is the token less its
    // first and last bytes: `{a="b"\0}` has a=`b"` (tests/difffuzz).
    if (out == &labels_) {
      while (s < end && *s == '\0') ++s;
      v1 = s - 1;
    } else if (std::memchr(v0, '\0', v1 - v0) != nullptr) [[unlikely]] {
      // next() skips NULs only in sLValue, sMeta2 and sComment: sEValue's
      // value rule excludes them, so a NUL in an exemplar's label value
      // fails the lexer (2.42 and 3.x; tests/difffuzz).
      return Fail(line, static_cast<const char*>(
                            std::memchr(v0, '\0', v1 - v0)),
                  "expected label value");
    }
    if (high && !internal::IsValidUtf8(std::string_view(v0, v1 - v0))) {
      return Fail(line, v1, "invalid UTF-8 label value", false);
    }
    out->push_back(RawLabel{static_cast<uint32_t>(n0 - body_.data()),
                            static_cast<uint32_t>(n1 - n0),
                            static_cast<uint32_t>(v0 - body_.data()),
                            static_cast<uint32_t>(v1 - v0), escaped,
                            name_escaped});
    if (s < end && *s == ',') {
      ++s;
      if (s < end && *s == '}') {
        // 3.x: "Free trailing commas are allowed"; 2.42 wants a name.
        if (!prometheus3_grammar_) return Fail(line, s, "expected label name");
        *pp = s + 1;
        return absl::OkStatus();
      }
      continue;
    }
    if (s < end && *s == '}') {
      *pp = s + 1;
      return absl::OkStatus();
    }
    return Fail(line, s, "expected comma or brace close");
  }
}

absl::Status OpenMetricsParser::FailFloat(const char* line_begin,
                                          const char* token_begin,
                                          const char* token_end) {
  double unused;
  absl::Status s = ParseGoFloatStatus(
      std::string_view(token_begin, token_end - token_begin), &unused);
  return Fail(line_begin, token_end - 1, std::string(s.message()), false);
}

absl::StatusOr<Entry> OpenMetricsParser::ParseSample(const char* line) {
  const char* end = body_.data() + body_.size();
  const char* p = internal::SkipNameChars(line + 1, end, /*colon=*/true);
  name_ = std::string_view(line, p - line);
  labels_.clear();
  has_exemplar_ = false;
  exemplar_returned_ = false;
  if (p < end && *p == '{') {
    ++p;
    bool name_set = true;
    if (absl::Status s = ParseLabelSet(line, &p, &labels_, &name_set);
        !s.ok()) {
      return s;
    }
  }
  return ParseSampleRest(line, p);
}

absl::StatusOr<Entry> OpenMetricsParser::ParseBracedSample(const char* line) {
  name_ = {};
  labels_.clear();
  has_exemplar_ = false;
  exemplar_returned_ = false;
  bool name_set = false;
  const char* p = line + 1;
  if (absl::Status s = ParseLabelSet(line, &p, &labels_, &name_set); !s.ok()) {
    return s;
  }
  if (!name_set) {
    return Fail(line, p - 1, "metric name not set", /*show_token=*/false);
  }
  return ParseSampleRest(line, p);
}

absl::StatusOr<Entry> OpenMetricsParser::ParseSampleRest(const char* line,
                                                         const char* p) {
  const char* end = body_.data() + body_.size();
  series_ = std::string_view(line, p - line);
  if (p >= end || *p != ' ') return Fail(line, p, "expected value after metric");
  const char* v0 = ++p;
  // Token scan and parse in one pass; the same token and result as
  // ParseGoFloatStatus(TokenEnd()), which builds the message on failure.
  FloatParseResult fr =
      ParseGoFloatToken(v0, end, internal::kClassOmTokenStop, &p, &value_);
  if (p == v0) return Fail(line, p, "expected value after metric");
  if (fr != FloatParseResult::kOk) [[unlikely]] {
    return FailFloat(line, v0, p);
  }
  has_timestamp_ = false;
  // Optional timestamp, then optional exemplar " # {...} value [ts]".
  if (p < end && *p == ' ' && !(end - p >= 4 && std::memcmp(p, " # {", 4) == 0)) {
    const char* t0 = ++p;
    p = TokenEnd(p, end);
    if (p == t0) return Fail(line, p, "expected timestamp");
    double ts;
    if (absl::Status s = ParseGoFloatStatus(std::string_view(t0, p - t0), &ts);
        !s.ok()) {
      return Fail(line, p - 1, std::string(s.message()), false);
    }
    if (std::isnan(ts) || std::isinf(ts)) {
      return Fail(line, p - 1,
                  absl::StrCat("invalid timestamp ",
                               absl::string_view(t0, p - t0)),
                  false);
    }
    has_timestamp_ = true;
    timestamp_ms_ = SecondsToMillis(ts);
  }
  if (p < end && *p == ' ') {
    if (!(end - p >= 4 && std::memcmp(p, " # {", 4) == 0)) {
      return Fail(line, p, "expected next entry after timestamp");
    }
    if (!prometheus3_grammar_ && !absl::EndsWith(ToAbsl(name_), "_total") &&
        !absl::EndsWith(ToAbsl(name_), "_bucket")) {
      // 2.42's validateNameForExemplar, before the exemplar is read.
      return Fail(line, p,
                  absl::StrCat("metric name ", ToAbsl(name_),
                               " does not support exemplars"),
                  false);
    }
    p += 4;
    exemplar_labels_.clear();
    if (absl::Status s = ParseLabelSet(line, &p, &exemplar_labels_); !s.ok()) {
      return s;
    }
    if (p >= end || *p != ' ') {
      return Fail(line, p, "expected value after exemplar labels");
    }
    const char* e0 = ++p;
    p = TokenEnd(p, end);
    if (p == e0) return Fail(line, p, "expected value after exemplar labels");
    if (absl::Status s =
            ParseGoFloatStatus(std::string_view(e0, p - e0), &exemplar_value_);
        !s.ok()) {
      return Fail(line, p - 1, std::string(s.message()), false);
    }
    exemplar_has_ts_ = false;
    if (p < end && *p == ' ') {
      const char* t0 = ++p;
      p = TokenEnd(p, end);
      if (p == t0) return Fail(line, p, "expected exemplar timestamp");
      double ts;
      if (absl::Status s = ParseGoFloatStatus(std::string_view(t0, p - t0), &ts);
          !s.ok()) {
        return Fail(line, p - 1, std::string(s.message()), false);
      }
      if (std::isnan(ts) || std::isinf(ts)) {
        return Fail(line, p - 1,
                    absl::StrCat("invalid exemplar timestamp ",
                                 absl::string_view(t0, p - t0)),
                    false);
      }
      exemplar_has_ts_ = true;
      exemplar_ts_ = SecondsToMillis(ts);
    }
    if (p < end && *p != '\n') {
      return Fail(line, p, "expected next entry after exemplar");
    }
    has_exemplar_ = true;
  }
  if (p >= end) {
    // A sample cannot end the body: # EOF must follow.
    status_ = absl::InvalidArgumentError("data does not end with # EOF");
    pos_ = body_.size();
    return status_;
  }
  if (*p != '\n') return Fail(line, p, "expected next entry after timestamp");
  line_len_ = p - line;
  pos_ = p + 1 - body_.data();
  return Entry::kSeries;
}

void OpenMetricsParser::AppendLabels(const std::vector<RawLabel>& raw,
                                     std::string* scratch,
                                     std::vector<Label>* out) {
  const char* b = body_.data();
  for (const RawLabel& l : raw) {
    std::string_view value(b + l.value_begin, l.value_len);
    if (l.escaped) {
      size_t at = scratch->size();
      internal::AppendUnescapedLabelValue(value, scratch);
      value = std::string_view(scratch->data() + at, scratch->size() - at);
    }
    std::string_view name(b + l.name_begin, l.name_len);
    if (l.name_escaped) [[unlikely]] {
      size_t at = scratch->size();
      internal::AppendUnescapedLabelValue(name, scratch);
      name = std::string_view(scratch->data() + at, scratch->size() - at);
    }
    out->push_back(Label{name, value});
  }
}

void OpenMetricsParser::Labels(std::vector<Label>* out) {
  out->clear();
  out->push_back(Label{kMetricNameLabel, name_});
  scratch_.clear();
  // 3.x' le/quantile normalisation (openmetricsparse.go) may lengthen a
  // value: room for it too, so the views stay stable.
  const bool histogram = prometheus3_grammar_ && type_ == MetricType::kHistogram;
  const bool summary = prometheus3_grammar_ && type_ == MetricType::kSummary;
  scratch_.reserve(series_.size() +
                   (histogram || summary ? 32 * labels_.size() : 0));
  AppendLabels(labels_, &scratch_, out);
  if (histogram || summary) [[unlikely]] {
    for (size_t i = 1; i < out->size(); ++i) {
      Label& l = (*out)[i];
      const std::string_view v = NormalizeFloatLabelValue(
          histogram, summary, std::string_view(l.name.data(), l.name.size()),
          std::string_view(l.value.data(), l.value.size()), &scratch_);
      l.value = absl::string_view(v.data(), v.size());
    }
  }
  internal::SortLabels(out);
}

bool OpenMetricsParser::NextExemplar(Exemplar* out) {
  if (!has_exemplar_ || exemplar_returned_) return false;
  exemplar_returned_ = true;
  out->labels.clear();
  exemplar_scratch_.clear();
  exemplar_scratch_.reserve(line_len_);
  AppendLabels(exemplar_labels_, &exemplar_scratch_, &out->labels);
  internal::SortLabels(&out->labels);
  out->value = exemplar_value_;
  out->has_timestamp = exemplar_has_ts_;
  out->timestamp_ms = exemplar_ts_;
  return true;
}

}  // namespace promscrape::textparse
