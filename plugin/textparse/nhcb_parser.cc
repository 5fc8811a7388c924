#include "plugin/textparse/nhcb_parser.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/textparse/go_float.h"

namespace promscrape::textparse {
namespace {

constexpr std::string_view kBucketLabel = "le";

std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

// Go's %g for the error texts.
std::string G(double v) { return FormatGoFloatG(v); }

// An integral value an int64 holds exactly (Go converts without checks;
// C++ must not convert NaN, infinities or out-of-range values).
bool IsIntegral(double v) {
  return std::isfinite(v) && std::fabs(v) < 9.2e18 && v == std::round(v);
}

// Prometheus' Histogram.Compact(max_empty) on a single span covering every
// bucket: leading and trailing empty buckets go, and a run of more than
// `max_empty` empty buckets inside splits the span. Appends the kept
// buckets' values to `kept`.
void CompactSpans(const std::vector<double>& counts, size_t max_empty,
                  std::vector<model::BucketSpan>* spans,
                  std::vector<double>* kept) {
  spans->clear();
  kept->clear();
  size_t span_end = 0;  // One past the current span's last bucket.
  size_t last_kept = 0;
  bool open = false;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (open && i - (last_kept + 1) <= max_empty) {
      for (size_t j = last_kept + 1; j < i; ++j) kept->push_back(0);
      spans->back().length += static_cast<uint32_t>(i - last_kept);
    } else {
      spans->push_back(model::BucketSpan{
          static_cast<int32_t>(i - span_end), 1});
      open = true;
    }
    kept->push_back(counts[i]);
    last_kept = i;
    span_end = i + 1;
  }
}

std::string_view CutHistogramSuffix(std::string_view name, int* suffix) {
  for (int s = 0; s < 3; ++s) {
    static constexpr std::string_view kSuffixes[] = {"_bucket", "_sum",
                                                     "_count"};
    const std::string_view x = kSuffixes[s];
    if (name.size() >= x.size() &&
        name.substr(name.size() - x.size()) == x) {
      *suffix = s + 1;
      return name.substr(0, name.size() - x.size());
    }
  }
  *suffix = 0;
  return name;
}

}  // namespace

void ClassicHistogramCollector::Reset() {
  buckets_.clear();
  count_ = sum_ = 0;
  has_count_ = false;
  error_ = absl::OkStatus();
}

void ClassicHistogramCollector::SetBucketCount(double le, double count) {
  if (!error_.ok()) return;
  if (std::isnan(le)) {
    error_ = Invalid("bucket boundary must not be NaN");
    return;
  }
  if (count < 0) {
    error_ = Invalid(absl::StrCat("bucket count must be non-negative: le=",
                                  G(le), ", count=", G(count)));
    return;
  }
  if (buckets_.empty() || buckets_.back().le < le) {
    if (!buckets_.empty() && count < buckets_.back().count) {
      error_ = Invalid(absl::StrCat("count is not cumulative: ", G(count),
                                    " < ", G(buckets_.back().count)));
      return;
    }
    buckets_.push_back({le, count});
    return;
  }
  if (buckets_.back().le == le) return;  // A repeated sample.
  // Out of order: insert in place.
  auto it = std::lower_bound(
      buckets_.begin(), buckets_.end(), le,
      [](const Bucket& b, double v) { return b.le < v; });
  if (it->le == le) return;
  if (it != buckets_.begin() && count < std::prev(it)->count) {
    error_ = Invalid(absl::StrCat("count is not cumulative: ", G(count), " < ",
                                  G(std::prev(it)->count)));
    return;
  }
  if (count > it->count) {
    error_ = Invalid(absl::StrCat("count is not cumulative: ", G(count), " > ",
                                  G(it->count)));
    return;
  }
  buckets_.insert(it, Bucket{le, count});
}

void ClassicHistogramCollector::SetCount(double count) {
  if (!error_.ok()) return;
  if (count < 0) {
    error_ = Invalid(
        absl::StrCat("count must be non-negative: count=", G(count)));
    return;
  }
  count_ = count;
  has_count_ = true;
}

void ClassicHistogramCollector::SetSum(double sum) {
  if (!error_.ok()) return;
  sum_ = sum;
}

absl::Status ClassicHistogramCollector::Convert(model::Histogram* out) {
  if (!error_.ok()) return error_;
  const double inf = std::numeric_limits<double>::infinity();
  if (!has_count_ && !buckets_.empty()) {
    count_ = buckets_.back().count;
    has_count_ = true;
  }
  if (buckets_.empty() || buckets_.back().le != inf) {
    buckets_.push_back({inf, count_});
  }
  bool integral = IsIntegral(count_) && count_ >= 0;
  for (const Bucket& b : buckets_) integral = integral && IsIntegral(b.count);

  out->Clear();
  out->schema = model::kCustomBucketsSchema;
  out->sum = sum_;
  for (size_t i = 0; i + 1 < buckets_.size(); ++i) {
    out->custom_values.push_back(buckets_[i].le);
  }
  const Bucket& last = buckets_.back();
  std::vector<double>& absolute = scratch_;
  absolute.clear();
  double prev = 0;
  for (const Bucket& b : buckets_) {
    absolute.push_back(b.count - prev);
    prev = b.count;
  }
  std::vector<double> kept;
  if (integral) {
    const uint64_t count = static_cast<uint64_t>(count_);
    if (count != static_cast<uint64_t>(last.count)) {
      return Invalid(absl::StrCat("count mismatch: count=", count,
                                  " != le=", G(last.le),
                                  " count=", G(last.count)));
    }
    out->count = count;
    CompactSpans(absolute, 2, &out->positive_spans, &kept);
    int64_t prev_abs = 0;
    for (double v : kept) {
      const int64_t abs = static_cast<int64_t>(v);
      out->positive_deltas.push_back(abs - prev_abs);
      prev_abs = abs;
    }
  } else {
    if (count_ != last.count) {
      return Invalid(absl::StrCat("count mismatch: count=", G(count_),
                                  " != le=", G(last.le),
                                  " count=", G(last.count)));
    }
    out->is_float = true;
    out->count_float = count_;
    CompactSpans(absolute, 0, &out->positive_spans, &out->positive_counts);
  }
  return absl::OkStatus();
}

NhcbParser::NhcbParser(std::unique_ptr<Parser> inner, bool keep_classic,
                       bool parse_start_timestamps)
    : inner_(std::move(inner)),
      keep_classic_(keep_classic),
      parse_start_timestamps_(parse_start_timestamps) {}

int64_t NhcbParser::StartTimestamp() {
  switch (state_) {
    case State::kEmitting:
      return emit_st_;
    case State::kCollecting:
      return collected_st_;
    default:
      return inner_->StartTimestamp();
  }
}

void NhcbParser::Reset(std::string_view body) {
  inner_->Reset(body);
  state_ = State::kStart;
  deferred_ = Entry::kEof;
  family_name_.clear();
  family_type_ = MetricType::kUnknown;
  collector_.Reset();
  collected_exemplar_count_ = 0;
  last_has_timestamp_ = false;
  last_timestamp_ms_ = 0;
}

void NhcbParser::CopyInnerFields() {
  value_ = inner_->Value();
  has_timestamp_ = inner_->has_timestamp();
  timestamp_ms_ = inner_->timestamp_ms();
  metadata_name_ = inner_->metadata_name();
  help_ = inner_->help();
  type_ = inner_->type();
  unit_ = inner_->unit();
  comment_ = inner_->comment();
}

bool NhcbParser::DifferentMetric() const {
  if (family_type_ != MetricType::kHistogram) return true;
  int suffix = 0;
  if (CutHistogramSuffix(inner_->MetricName(), &suffix) != collected_name_) {
    return true;
  }
  // Compare the labels but `__name__` and `le`, in the inner parser's order.
  size_t j = 0;
  for (const Label& l : inner_labels_) {
    if (Std(l.name) == kMetricNameLabel || Std(l.name) == kBucketLabel) {
      continue;
    }
    while (j < collected_labels_.size() &&
           collected_labels_[j].first == kMetricNameLabel) {
      ++j;
    }
    if (j == collected_labels_.size() ||
        collected_labels_[j].first != Std(l.name) ||
        collected_labels_[j].second != Std(l.value)) {
      return true;
    }
    ++j;
  }
  while (j < collected_labels_.size() &&
         collected_labels_[j].first == kMetricNameLabel) {
    ++j;
  }
  return j != collected_labels_.size();
}

bool NhcbParser::HandleClassicSeries() {
  if (family_type_ != MetricType::kHistogram) return false;
  int suffix = 0;
  const std::string_view base =
      CutHistogramSuffix(inner_->MetricName(), &suffix);
  if (suffix == 0 || base != family_name_) return false;
  double le = 0;
  if (suffix == 1) {
    const Label* le_label = nullptr;
    for (const Label& l : inner_labels_) {
      if (Std(l.name) == kBucketLabel) le_label = &l;
    }
    if (le_label == nullptr) return false;
    if (ParseStrconvFloat(Std(le_label->value), &le) !=
            FloatParseResult::kOk ||
        std::isnan(le)) {
      return false;
    }
  }
  if (state_ != State::kCollecting) {
    collected_name_.assign(base);
    collected_labels_.clear();
    for (const Label& l : inner_labels_) {
      if (Std(l.name) == kBucketLabel) continue;
      if (Std(l.name) == kMetricNameLabel) {
        collected_labels_.emplace_back(std::string(kMetricNameLabel),
                                       collected_name_);
      } else {
        collected_labels_.emplace_back(std::string(l.name),
                                       std::string(l.value));
      }
    }
    collected_st_ = parse_start_timestamps_ ? inner_->StartTimestamp() : 0;
    state_ = State::kCollecting;
  }
  Exemplar& ex = exemplar_scratch_;
  while (inner_->NextExemplar(&ex)) {
    if (collected_exemplar_count_ == collected_exemplars_.size()) {
      collected_exemplars_.emplace_back();
    }
    OwnedExemplar& o = collected_exemplars_[collected_exemplar_count_++];
    o.labels.clear();
    for (const Label& l : ex.labels) {
      o.labels.emplace_back(std::string(l.name), std::string(l.value));
    }
    o.value = ex.value;
    o.has_timestamp = ex.has_timestamp;
    o.timestamp_ms = ex.timestamp_ms;
  }
  const double v = inner_->Value();
  switch (suffix) {
    case 1:
      collector_.SetBucketCount(le, v);
      break;
    case 2:
      collector_.SetSum(v);
      break;
    default:
      collector_.SetCount(v);
      break;
  }
  return true;
}

bool NhcbParser::ProcessCollected() {
  if (state_ != State::kCollecting) return false;
  const bool ok = collector_.Convert(&histogram_).ok();
  if (ok) {
    emit_labels_.swap(collected_labels_);
    emit_name_ = collected_name_;
    // Never equal to a text series' bytes (those start with the name).
    // clear + push_back, not assign("\xff"): GCC 12 at -O3 reports a
    // bogus -Wrestrict for the one-byte assign (GCC bug 105329).
    emit_key_.clear();
    emit_key_.push_back('\xff');
    for (const auto& [name, value] : emit_labels_) {
      absl::StrAppend(&emit_key_, name, "\xfe", value, "\xff");
    }
    emit_st_ = collected_st_;
    emit_exemplars_.swap(collected_exemplars_);
    emit_exemplar_count_ = collected_exemplar_count_;
    next_exemplar_ = 0;
    value_ = 0;
    has_timestamp_ = last_has_timestamp_;
    timestamp_ms_ = last_timestamp_ms_;
    state_ = State::kEmitting;
  } else {
    state_ = State::kStart;
  }
  collector_.Reset();
  collected_exemplar_count_ = 0;
  return ok;
}

absl::StatusOr<Entry> NhcbParser::Next() {
  for (;;) {
    if (state_ == State::kEmitting) {
      state_ = State::kStart;
      const Entry e = deferred_;
      if (e == Entry::kEof) return e;
      CopyInnerFields();
      if (e == Entry::kSeries && HandleClassicSeries() && !keep_classic_) {
        continue;
      }
      return e;
    }
    absl::StatusOr<Entry> next = inner_->Next();
    if (!next.ok()) return next;
    deferred_ = *next;
    switch (*next) {
      case Entry::kEof:
        if (ProcessCollected()) return Entry::kHistogram;
        return Entry::kEof;
      case Entry::kSeries: {
        inner_->Labels(&inner_labels_);
        last_has_timestamp_ = inner_->has_timestamp();
        last_timestamp_ms_ = inner_->timestamp_ms();
        if (state_ == State::kCollecting && DifferentMetric() &&
            ProcessCollected()) {
          return Entry::kHistogram;
        }
        if (HandleClassicSeries() && !keep_classic_) continue;
        CopyInnerFields();
        return Entry::kSeries;
      }
      case Entry::kType:
        family_name_.assign(inner_->metadata_name());
        family_type_ = inner_->type();
        break;
      default:
        break;
    }
    if (ProcessCollected()) return Entry::kHistogram;
    CopyInnerFields();
    if (*next == Entry::kHistogram) histogram_ = inner_->histogram();
    return *next;
  }
}

std::string_view NhcbParser::Series() const {
  return state_ == State::kEmitting ? std::string_view(emit_key_)
                                    : inner_->Series();
}

std::string_view NhcbParser::MetricName() const {
  return state_ == State::kEmitting ? std::string_view(emit_name_)
                                    : inner_->MetricName();
}

void NhcbParser::Labels(std::vector<Label>* out) {
  if (state_ != State::kEmitting) {
    inner_->Labels(out);
    return;
  }
  out->clear();
  for (const auto& [name, value] : emit_labels_) out->emplace_back(name, value);
}

bool NhcbParser::NextExemplar(Exemplar* out) {
  if (state_ != State::kEmitting) return inner_->NextExemplar(out);
  if (next_exemplar_ >= emit_exemplar_count_) return false;
  const OwnedExemplar& o = emit_exemplars_[next_exemplar_++];
  out->labels.clear();
  for (const auto& [name, value] : o.labels) out->labels.emplace_back(name, value);
  out->value = o.value;
  out->has_timestamp = o.has_timestamp;
  out->timestamp_ms = o.timestamp_ms;
  return true;
}

}  // namespace promscrape::textparse
