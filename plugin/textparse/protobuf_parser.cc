#include "plugin/textparse/protobuf_parser.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "plugin/model/names.h"
#include "plugin/textparse/go_float.h"
#include "plugin/textparse/label_sort.h"
#include "plugin/textparse/protobuf_metric_wire.h"
#include "plugin/textparse/protobuf_wire.h"
#include "plugin/textparse/text_util.h"

namespace promscrape::textparse {
namespace {

using internal::DecodeLabelPair;
using internal::ExemplarHasTimestamp;
using internal::kFixed64;
using internal::kLen;
using internal::kVarint;
using internal::Wire;

constexpr char kSep = '\xff';

// internal::IsValidUtf8 for long strings such as HELP texts: 32 bytes per
// step in four independent accumulators.
bool IsValidUtf8Long(std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  uint64_t a[4] = {0, 0, 0, 0};
  while (end - p >= 32) {
    uint64_t w[4];
    std::memcpy(w, p, 32);
    a[0] |= w[0];
    a[1] |= w[1];
    a[2] |= w[2];
    a[3] |= w[3];
    p += 32;
  }
  for (; p < end; ++p) a[0] |= static_cast<unsigned char>(*p);
  return ((a[0] | a[1] | a[2] | a[3]) & 0x8080808080808080ULL) == 0 ||
         internal::IsValidUtf8Slow(s);
}

// string_view's `a < b` with the usual first-byte decision inline.
inline bool NameLess(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

}  // namespace

void ProtobufParser::Reset(std::string_view body) {
  body_ = body;
  pos_ = 0;
  status_ = absl::OkStatus();
  state_ = State::kFamily;
  series_.clear();
  series_view_ = std::string_view();
  name_len_ = 0;
  magic_name_ = std::string_view();
  magic_ready_ = false;
  entry_exemplars_.clear();
}

absl::Status ProtobufParser::Fail(size_t offset, std::string_view message) {
  status_ = absl::InvalidArgumentError(
      absl::StrCat("byte offset ", offset, ": ",
                   absl::string_view(message.data(), message.size())));
  return status_;
}

absl::Status ProtobufParser::DecodeFamily(std::string_view msg,
                                          size_t offset) {
  family_ = msg;
  family_offset_ = offset;
  // Separate stores: a chained assignment reloads the view 16 bytes wide
  // from two 8-byte stores, a store-forwarding stall per family.
  family_name_ = std::string_view();
  family_help_ = std::string_view();
  family_unit_ = std::string_view();
  metrics_.clear();
  next_metric_ = 0;
  uint64_t type = 0;
  Wire w(msg);
  bool& has_metrics = family_has_metrics_;
  has_metrics = false;
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.Tag(&f, &wt)) return Fail(offset, "invalid MetricFamily message");
    bool ok = true;
    if (f == 4 && wt == kLen) [[likely]] {  // most fields are metrics
      std::string_view m;
      if (!w.Bytes(&m)) return Fail(offset, "invalid MetricFamily message");
      metrics_.push_back(m);
      has_metrics = true;
      continue;
    }
    switch (f) {
      case 1:
        ok = w.LenField(wt, &family_name_);
        break;
      case 2:
        ok = w.LenField(wt, &family_help_);
        break;
      case 3:
        ok = w.VarintField(wt, &type);
        break;
      case 4: {
        std::string_view m;
        ok = w.LenField(wt, &m);
        metrics_.push_back(m);
        has_metrics = true;
        break;
      }
      case 5:
        ok = w.LenField(wt, &family_unit_);
        break;
      default:
        ok = w.Skip(wt);
    }
    if (!ok) return Fail(offset, "invalid MetricFamily message");
  }
  if (!has_metrics) return absl::OkStatus();
  // 2.42: model.IsValidMetricName, the legacy character set; 3.x: UTF-8.
  if (family_name_.empty() || !internal::IsValidUtf8(family_name_) ||
      (!options_.utf8_names && !model::IsValidMetricName(
                                    absl::string_view(family_name_.data(),
                                                      family_name_.size())))) {
    std::string q;
    internal::AppendQuoted(family_name_, &q);
    return Fail(offset, absl::StrCat("invalid metric name \"", q, "\""));
  }
  if (!IsValidUtf8Long(family_help_)) {
    return Fail(offset, absl::StrCat("invalid help for metric \"",
                                     internal::AV(family_name_), "\""));
  }
  switch (type) {
    case 0:
      family_type_ = MetricType::kCounter;
      break;
    case 1:
      family_type_ = MetricType::kGauge;
      break;
    case 2:
      family_type_ = MetricType::kSummary;
      break;
    case 3:
      family_type_ = MetricType::kUnknown;
      break;
    case 4:
      family_type_ = MetricType::kHistogram;
      break;
    case 5:
      family_type_ = MetricType::kGaugeHistogram;
      break;
    default:
      return Fail(offset, absl::StrCat("unknown metric type for metric \"",
                                       internal::AV(family_name_), "\": ", type));
  }
  return absl::OkStatus();
}

absl::Status ProtobufParser::DecodeHistogram(std::string_view msg,
                                             size_t offset) {
  Histogram& h = histogram_;
  h.Clear();
  items_.clear();
  native_exemplars_.clear();
  if (!internal::DecodeHistogramFields(msg, &h, &count_, &sum_, &count_float_,
                                       &items_, &native_exemplars_)) {
    return Fail(offset, "invalid Histogram message");
  }
  h.count = count_;
  h.count_float = count_float_;
  h.sum = sum_;
  h.is_gauge = family_type_ == MetricType::kGaugeHistogram;
  h.is_float = count_float_ > 0 || h.zero_count_float > 0;
  if (options_.prometheus3_grammar) {
    is_native_ = !h.positive_spans.empty() || !h.negative_spans.empty() ||
                 h.zero_threshold > 0 || h.zero_count > 0 ||
                 h.zero_count_float > 0;
  } else {
    // 2.42's isNativeHistogram: integer bucket deltas, zero_count or
    // zero_threshold; spans alone or float counts leave it classic.
    is_native_ = !h.positive_deltas.empty() || !h.negative_deltas.empty() ||
                 h.zero_count > 0 || h.zero_threshold > 0;
    // 2.42 decides once per family, from its first metric (Next's
    // EntryType state); 3.x decides per metric.
    if (next_metric_ == 1) {
      family_native_ = is_native_;
    } else {
      is_native_ = family_native_;
    }
  }
  return absl::OkStatus();
}

absl::Status ProtobufParser::DecodeMetric(std::string_view msg, size_t offset) {
  labels_.clear();
  // The previous entry's views may point into label_bytes_, which is about
  // to be rewritten: forget them.
  series_view_ = std::string_view();
  name_len_ = 0;
  magic_name_ = std::string_view();
  label_bytes_len_ = 0;
  std::memcpy(LabelBytesRoom(family_name_.size()), family_name_.data(),
              family_name_.size());
  magic_ready_ = false;
  sorted_ready_ = false;
  simple_value_ = 0;
  counter_exemplar_ = {};
  counter_msg_ = {};
  summary_msg_ = {};
  has_timestamp_ = false;
  count_ = 0;
  count_float_ = 0;
  sum_ = 0;
  items_.clear();
  native_exemplars_.clear();
  histogram_msg_ = {};
  is_native_ = false;
  std::string_view summary_msg;
  Wire w(msg);
  while (!w.done()) {
    uint32_t f, wt;
    if (!w.Tag(&f, &wt)) return Fail(offset, "invalid Metric message");
    std::string_view s;
    uint64_t v = 0;
    bool ok = true;
    if (f == 1) [[likely]] {  // LabelPair; most fields are labels
      std::string_view name, value;
      if (!w.LenField(wt, &s) || !DecodeLabelPair(s, &name, &value)) {
        return Fail(offset, "invalid Metric message");
      }
      // 2.42's updateMetricBytes checks model.LabelName.IsValid, the legacy
      // character set, before any empty label is dropped; 3.x: UTF-8.
      if (options_.utf8_names ? !internal::IsValidUtf8(name)
                              : !model::IsValidLabelName(
                                    absl::string_view(name.data(), name.size()))) {
        return Fail(offset, "invalid label name");
      }
      if (!internal::IsValidUtf8(value)) {
        return Fail(offset, "invalid label value");
      }
      labels_.emplace_back(name, value);
      AppendLabelBytes(name, value);
      continue;
    }
    switch (f) {
      case 2:    // Gauge
      case 3:    // Counter
      case 5: {  // Untyped
        ok = w.LenField(wt, &s);
        if (!ok) break;
        bool wanted = (f == 2 && family_type_ == MetricType::kGauge) ||
                      (f == 3 && family_type_ == MetricType::kCounter) ||
                      (f == 5 && family_type_ == MetricType::kUnknown);
        if (wanted && s.size() == 9 && s[0] == 0x09) {  // just the value
          std::memcpy(&simple_value_, s.data() + 1, 8);
          break;
        }
        if (wanted && f == 3) counter_msg_ = s;  // for StartTimestamp()
        // A value of another type is decoded too, into scratch: Prometheus'
        // generated (gogo) unmarshalling fails a known field sent with the
        // wrong wire type wherever it is (tests/difffuzz).
        double unused_value;
        std::string_view unused_exemplar;
        Wire vw(s);
        while (ok && !vw.done()) {
          uint32_t vf, vwt;
          ok = vw.Tag(&vf, &vwt);
          if (!ok) break;
          if (vf == 1) {
            ok = vw.DoubleField(vwt, wanted ? &simple_value_ : &unused_value);
          } else if (vf == 2 && f == 3) {
            ok = vw.LenField(vwt,
                             wanted ? &counter_exemplar_ : &unused_exemplar);
          } else {
            ok = vw.Skip(vwt);
          }
        }
        break;
      }
      case 4:
        ok = w.LenField(wt, &summary_msg);
        break;
      case 6:
        ok = w.VarintField(wt, &v);
        timestamp_ms_ = static_cast<int64_t>(v);
        // Prometheus treats timestamp_ms 0 as "no timestamp".
        has_timestamp_ = timestamp_ms_ != 0;
        break;
      case 7:
        ok = w.LenField(wt, &histogram_msg_);
        break;
      default:
        ok = w.Skip(wt);
    }
    if (!ok) return Fail(offset, "invalid Metric message");
  }
  if (family_type_ != MetricType::kSummary && !summary_msg.empty() &&
      !internal::ValidSummaryWire(summary_msg)) {
    return Fail(offset, "invalid Summary message");
  }
  if (family_type_ != MetricType::kHistogram &&
      family_type_ != MetricType::kGaugeHistogram &&
      !histogram_msg_.empty()) {
    Histogram unused;
    uint64_t count = 0;
    double sum = 0, count_float = 0;
    std::vector<std::string_view> buckets;
    std::vector<std::string_view> exemplars;
    if (!internal::DecodeHistogramFields(histogram_msg_, &unused, &count,
                                         &sum, &count_float, &buckets,
                                         &exemplars)) {
      return Fail(offset, "invalid Histogram message");
    }
  }
  if (family_type_ == MetricType::kSummary) {
    summary_msg_ = summary_msg;
    Wire sw(summary_msg);
    while (!sw.done()) {
      uint32_t f, wt;
      uint64_t v = 0;
      std::string_view s;
      bool ok = sw.Tag(&f, &wt);
      if (ok) {
        if (f == 1) {
          ok = sw.VarintField(wt, &v);
          count_ = v;
        } else if (f == 2) {
          ok = sw.DoubleField(wt, &sum_);
        } else if (f == 3) {
          ok = sw.LenField(wt, &s);
          items_.push_back(s);
        } else {
          ok = sw.Skip(wt);
        }
      }
      if (!ok) return Fail(offset, "invalid Summary message");
    }
    num_steps_ = 2 + static_cast<int>(items_.size());
  } else if (family_type_ == MetricType::kHistogram ||
             family_type_ == MetricType::kGaugeHistogram) {
    if (absl::Status s = DecodeHistogram(histogram_msg_, offset); !s.ok()) {
      return s;
    }
    emit_native_ = is_native_ && options_.scrape_native_histograms;
    emit_classic_ = !emit_native_ ||
                    (options_.scrape_classic_histograms && !items_.empty());
    // 3.x protobufparse.go: a histogram read as classic (no native buckets,
    // or native histograms not scraped) becomes an NHCB too, its classic
    // series kept only with scrape_classic_histograms.
    emit_nhcb_ = !emit_native_ && options_.convert_classic_histograms_to_nhcb;
    if (emit_nhcb_ && !options_.scrape_classic_histograms) {
      emit_classic_ = false;
    }
    if (emit_native_) {
      Histogram& h = histogram_;
      auto check = [&](const std::vector<BucketSpan>& spans, size_t have,
                       const char* side) -> absl::Status {
        uint64_t want = 0;
        for (const BucketSpan& sp : spans) want += sp.length;
        if (want != have) {
          return Fail(offset, absl::StrCat("histogram \"", internal::AV(family_name_),
                                           "\": ", side,
                                           " side: spans require ", want,
                                           " buckets, have ", have));
        }
        return absl::OkStatus();
      };
      absl::Status s = check(h.positive_spans,
                             h.is_float ? h.positive_counts.size()
                                        : h.positive_deltas.size(),
                             "positive");
      if (s.ok()) {
        s = check(h.negative_spans,
                  h.is_float ? h.negative_counts.size()
                             : h.negative_deltas.size(),
                  "negative");
      }
      if (!s.ok()) return s;
    }
    // _count, _sum, the buckets and a synthetic +Inf bucket. The classic
    // buckets end at the first +Inf bucket (EmitStep ends the metric there,
    // as getMagicLabel's fieldsDone does in 2.42 and 3.x), so the synthetic
    // one is reached only when no bucket is +Inf.
    num_steps_ = (emit_native_ ? 1 : 0) +
                 (emit_classic_ ? 3 + static_cast<int>(items_.size()) : 0) +
                 (emit_nhcb_ ? 1 : 0);
  } else {
    emit_nhcb_ = false;
    num_steps_ = 1;
  }
  step_ = 0;
  return absl::OkStatus();
}

void ProtobufParser::GrowLabelBytes(size_t need) {
  label_bytes_.resize(std::max(need, 2 * label_bytes_.size()));
}

void ProtobufParser::AppendLabelBytes(std::string_view name,
                                      std::string_view value) {
  char* d = LabelBytesRoom(2 + name.size() + value.size());
  *d++ = kSep;
  if (!name.empty()) std::memcpy(d, name.data(), name.size());
  d += name.size();
  *d++ = kSep;
  if (!value.empty()) std::memcpy(d, value.data(), value.size());
}

void ProtobufParser::SetSeries(std::string_view suffix,
                               std::string_view magic_name,
                               double magic_value) {
  // Consecutive quantile or bucket steps of one metric differ only in the
  // magic label's value: keep everything before it.
  if (magic_ready_ && !magic_name.empty() && magic_name == magic_name_ &&
      suffix == series_suffix_) {
    series_.resize(magic_value_at_);
    AppendOpenMetricsFloat(magic_value, &series_);
    series_view_ = series_;
    return;
  }
  if (suffix.empty() && magic_name.empty()) {
    // label_bytes_ is exactly this series.
    name_len_ = family_name_.size();
    series_view_ = std::string_view(label_bytes_.data(), label_bytes_len_);
    magic_name_ = std::string_view();
    magic_ready_ = false;
    return;
  }
  name_len_ = family_name_.size() + suffix.size();
  size_t labels_len = label_bytes_len_ - family_name_.size();
  size_t total = name_len_ + labels_len;
  if (!magic_name.empty()) total += 2 + magic_name.size();
  series_.resize(total);
  char* d = series_.data();
  std::memcpy(d, family_name_.data(), family_name_.size());
  d += family_name_.size();
  if (!suffix.empty()) {
    std::memcpy(d, suffix.data(), suffix.size());
    d += suffix.size();
  }
  if (labels_len > 0) {
    std::memcpy(d, label_bytes_.data() + family_name_.size(), labels_len);
    d += labels_len;
  }
  magic_name_ = magic_name;
  series_suffix_ = suffix;
  magic_ready_ = !magic_name.empty();
  if (magic_ready_) {
    *d++ = kSep;
    std::memcpy(d, magic_name.data(), magic_name.size());
    d += magic_name.size();
    *d++ = kSep;
    magic_value_at_ = series_.size();
    AppendOpenMetricsFloat(magic_value, &series_);
  }
  series_view_ = series_;
}

absl::StatusOr<bool> ProtobufParser::EmitStep() {
  if (step_ >= num_steps_) return false;
  int step = step_++;
  entry_exemplars_.clear();
  next_exemplar_ = 0;
  switch (family_type_) {
    case MetricType::kCounter:
    case MetricType::kGauge:
    case MetricType::kUnknown:
      SetSeries("", "", 0);
      value_ = simple_value_;
      if (!counter_exemplar_.empty()) {
        entry_exemplars_.push_back(counter_exemplar_);
      }
      return true;
    case MetricType::kSummary:
      if (step == 0) {
        SetSeries("_count", "", 0);
        value_ = static_cast<double>(count_);
      } else if (step == 1) {
        SetSeries("_sum", "", 0);
        value_ = sum_;
      } else {
        double q = 0, v = 0;
        Wire w(items_[step - 2]);
        while (!w.done()) {
          uint32_t f, wt;
          bool ok = w.Tag(&f, &wt);
          if (ok) {
            if (f == 1) {
              ok = w.DoubleField(wt, &q);
            } else if (f == 2) {
              ok = w.DoubleField(wt, &v);
            } else {
              ok = w.Skip(wt);
            }
          }
          if (!ok) return Fail(family_offset_, "invalid Quantile message");
        }
        SetSeries("", "quantile", q);
        value_ = v;
      }
      return true;
    default:
      break;
  }
  // Histograms.
  const bool nhcb_step = emit_nhcb_ && step == num_steps_ - 1;
  if (nhcb_step) {
    if (absl::Status s = ConvertToNhcb(); !s.ok()) return s;
  }
  if ((emit_native_ && step == 0) || nhcb_step) {
    SetSeries("", "", 0);
    // Exemplars with timestamps only: from the histogram's own list, else
    // from the classic buckets.
    for (std::string_view e : native_exemplars_) {
      if (ExemplarHasTimestamp(e)) entry_exemplars_.push_back(e);
    }
    if (native_exemplars_.empty()) {
      for (std::string_view b : items_) {
        Wire w(b);
        while (!w.done()) {
          uint32_t f, wt;
          std::string_view e;
          if (!w.Tag(&f, &wt)) break;
          if (f == 3 && wt == kLen) {
            if (w.Bytes(&e) && ExemplarHasTimestamp(e)) {
              entry_exemplars_.push_back(e);
            }
          } else if (!w.Skip(wt)) {
            break;
          }
        }
      }
    }
    return true;
  }
  int classic = step - (emit_native_ ? 1 : 0);
  double count = count_float_ > 0 ? count_float_ : static_cast<double>(count_);
  // 2.42's getMagicName adds the suffixes to HISTOGRAM families only: a
  // classic GAUGE_HISTOGRAM's _count, _sum and buckets keep the bare family
  // name there (so _sum repeats _count's series). Fixed in 2.45.
  const bool bare = family_type_ == MetricType::kGaugeHistogram &&
                    !options_.prometheus3_grammar;
  if (classic == 0) {
    SetSeries(bare ? "" : "_count", "", 0);
    value_ = count;
  } else if (classic == 1) {
    SetSeries(bare ? "" : "_sum", "", 0);
    value_ = sum_;
  } else if (classic - 2 < static_cast<int>(items_.size())) {
    uint64_t cum = 0;
    double cum_float = 0, upper = 0;
    std::string_view exemplar;
    Wire w(items_[classic - 2]);
    while (!w.done()) {
      uint32_t f, wt;
      bool ok = w.Tag(&f, &wt);
      if (ok) {
        switch (f) {
          case 1:
            ok = w.VarintField(wt, &cum);
            break;
          case 2:
            ok = w.DoubleField(wt, &upper);
            break;
          case 3:
            ok = w.LenField(wt, &exemplar);
            break;
          case 4:
            ok = w.DoubleField(wt, &cum_float);
            break;
          default:
            ok = w.Skip(wt);
        }
      }
      if (!ok) return Fail(family_offset_, "invalid Bucket message");
    }
    SetSeries(bare ? "" : "_bucket", "le", upper);
    value_ = cum_float > 0 ? cum_float : static_cast<double>(cum);
    // Buckets after the first +Inf one are not series (a conversion to
    // custom buckets, when on, is still the last step).
    if (std::isinf(upper) && upper > 0) {
      num_steps_ = step_ + (emit_nhcb_ ? 1 : 0);
    }
    if (!exemplar.empty()) entry_exemplars_.push_back(exemplar);
  } else {
    SetSeries(bare ? "" : "_bucket", "le",
              std::numeric_limits<double>::infinity());
    value_ = count;
  }
  return true;
}

absl::StatusOr<Entry> ProtobufParser::Next() {
  if (!status_.ok()) return status_;
  // Most calls emit the next step of the current metric or start the next
  // metric of the family.
  if (state_ == State::kSteps) [[likely]] return EmitNextStep();
  if (state_ == State::kMetric && next_metric_ < metrics_.size()) [[likely]] {
    std::string_view metric = metrics_[next_metric_++];
    if (absl::Status s = DecodeMetric(metric, family_offset_); !s.ok()) {
      return s;
    }
    return EmitNextStep();
  }
  for (;;) {
    switch (state_) {
      case State::kFamily: {
        if (pos_ >= body_.size()) return Entry::kEof;
        Wire w(body_.substr(pos_));
        uint64_t len;
        // Go's client_golang framing reads a uvarint of at most 5 bytes here
        // (binary.MaxVarintLen32).
        const uint8_t* start = w.p;
        if (!w.Varint(&len) || w.p - start > 5) {
          return Fail(pos_, "clientpb: invalid varint encountered");
        }
        size_t header = w.p - start;
        size_t have = body_.size() - pos_ - header;
        if (len > have) {
          return Fail(pos_,
                      absl::StrCat("clientpb: insufficient length of buffer, "
                                   "expected at least ",
                                   len, " bytes, got ", have, " bytes"));
        }
        size_t offset = pos_;
        std::string_view msg = body_.substr(pos_ + header, len);
        pos_ += header + len;
        if (absl::Status s = DecodeFamily(msg, offset); !s.ok()) return s;
        // Families without metrics are skipped, as Prometheus does.
        if (!family_has_metrics_) continue;
        metadata_name_ = family_name_;
        help_ = family_help_;
        state_ = State::kUnit;
        return Entry::kHelp;
      }
      case State::kUnit:
        state_ = State::kType;
        if (!family_unit_.empty()) {
          metadata_name_ = family_name_;
          unit_ = family_unit_;
          return Entry::kUnit;
        }
        continue;
      case State::kType:
        metadata_name_ = family_name_;
        type_ = family_type_;
        state_ = State::kMetric;
        return Entry::kType;
      case State::kMetric: {
        if (next_metric_ >= metrics_.size()) {
          state_ = State::kFamily;
          continue;
        }
        std::string_view metric = metrics_[next_metric_++];
        if (absl::Status s = DecodeMetric(metric, family_offset_); !s.ok()) {
          return s;
        }
        return EmitNextStep();
      }
      case State::kSteps:
        return EmitNextStep();
    }
  }
}

absl::StatusOr<Entry> ProtobufParser::EmitNextStep() {
  absl::StatusOr<bool> more = EmitStep();
  if (!more.ok()) return more.status();
  if (!*more) [[unlikely]] {  // a metric has at least one step
    state_ = State::kMetric;
    return Next();
  }
  // kSteps while the metric has steps left, so the last one moves on.
  state_ = step_ < num_steps_ ? State::kSteps : State::kMetric;
  return StepEntry();
}

Entry ProtobufParser::StepEntry() const {
  const bool histogram_family = family_type_ == MetricType::kHistogram ||
                                family_type_ == MetricType::kGaugeHistogram;
  bool native = histogram_family &&
                ((emit_native_ && step_ == 1) ||
                 (emit_nhcb_ && step_ == num_steps_));
  return native ? Entry::kHistogram : Entry::kSeries;
}

absl::Status ProtobufParser::ConvertToNhcb() {
  // protobufparse.go convertToNHCB: the float counts when set, else the
  // integer ones; a conversion error fails the scrape.
  nhcb_.Reset();
  nhcb_.SetCount(count_float_ > 0 ? count_float_
                                  : static_cast<double>(count_));
  nhcb_.SetSum(sum_);
  for (std::string_view item : items_) {
    uint64_t cum = 0;
    double cum_float = 0, upper = 0;
    Wire w(item);
    while (!w.done()) {
      uint32_t f, wt;
      bool ok = w.Tag(&f, &wt);
      if (ok) {
        if (f == 1) {
          ok = w.VarintField(wt, &cum);
        } else if (f == 2) {
          ok = w.DoubleField(wt, &upper);
        } else if (f == 4) {
          ok = w.DoubleField(wt, &cum_float);
        } else {
          ok = w.Skip(wt);
        }
      }
      if (!ok) return Fail(family_offset_, "invalid Bucket message");
    }
    nhcb_.SetBucketCount(upper,
                         cum_float != 0 ? cum_float : static_cast<double>(cum));
  }
  if (absl::Status s = nhcb_.Convert(&histogram_); !s.ok()) {
    return Fail(family_offset_,
                std::string_view(s.message().data(), s.message().size()));
  }
  histogram_.is_gauge = family_type_ == MetricType::kGaugeHistogram;
  return absl::OkStatus();
}

void ProtobufParser::Labels(std::vector<Label>* out) {
  out->clear();
  size_t total = 1 + labels_.size() + (magic_name_.empty() ? 0 : 1);
  if (num_steps_ <= 1 || total > kMaxCachedSortLabels) {
    // One entry per metric (nothing to cache), or a large label set: sort
    // the whole set as the other parsers do.
    out->resize(total);
    Label* o = out->data();
    *o++ = Label{kMetricNameLabel, MetricName()};
    std::string_view prev = kMetricNameLabel;
    bool sorted = true;  // whether SortLabels' insertion sort is a no-op
    for (const auto& [n, v] : labels_) {
      sorted &= !NameLess(n, prev);
      prev = n;
      *o++ = Label{n, v};
    }
    if (!magic_name_.empty()) {
      sorted &= !NameLess(magic_name_, prev);
      *o = Label{magic_name_,
                 std::string_view(series_.data() + magic_value_at_,
                                  series_.size() - magic_value_at_)};
    }
    if (!sorted || total > kMaxCachedSortLabels) internal::SortLabels(out);
    return;
  }
  // SortLabels is a stable insertion sort at this size, so sorting
  // [__name__, labels..., magic] equals sorting [__name__, labels...] once
  // per metric and inserting the magic label after every name <= its own.
  if (!sorted_ready_) {
    sorted_labels_.clear();
    sorted_labels_.push_back(Label{kMetricNameLabel, {}});
    for (const auto& [n, v] : labels_) sorted_labels_.push_back(Label{n, v});
    internal::SortLabels(&sorted_labels_);
    name_pos_ = 0;
    for (const auto& [n, v] : labels_) {
      if (n < kMetricNameLabel) ++name_pos_;
    }
    sorted_magic_name_ = {};
    sorted_ready_ = true;
  }
  size_t magic_pos = sorted_labels_.size();
  if (!magic_name_.empty()) {
    if (sorted_magic_name_.data() != magic_name_.data() ||
        sorted_magic_name_.size() != magic_name_.size()) {
      magic_pos_ = 0;
      for (const Label& l : sorted_labels_) {
        if (l.name <= ToAbsl(magic_name_)) ++magic_pos_;
      }
      sorted_magic_name_ = magic_name_;
    }
    magic_pos = magic_pos_;
  }
  out->resize(total);
  Label* o = out->data();
  const Label* in = sorted_labels_.data();
  size_t n = sorted_labels_.size();
  for (size_t i = 0; i < n; ++i) {
    if (i == magic_pos) {
      *o++ = Label{magic_name_,
                   std::string_view(series_.data() + magic_value_at_,
                                    series_.size() - magic_value_at_)};
    }
    *o = in[i];
    if (i == name_pos_) o->value = ToAbsl(MetricName());
    ++o;
  }
  if (magic_pos == n && !magic_name_.empty()) {
    *o = Label{magic_name_,
               std::string_view(series_.data() + magic_value_at_,
                                series_.size() - magic_value_at_)};
  }
}

bool ProtobufParser::NextExemplar(Exemplar* out) {
  while (next_exemplar_ < entry_exemplars_.size()) {
    Wire w(entry_exemplars_[next_exemplar_++]);
    out->labels.clear();
    out->value = 0;
    out->has_timestamp = false;
    out->timestamp_ms = 0;
    bool ok = true;
    while (ok && !w.done()) {
      uint32_t f, wt;
      std::string_view s;
      ok = w.Tag(&f, &wt);
      if (!ok) break;
      if (f == 1 && wt == kLen) {
        ok = w.Bytes(&s);
        std::string_view name, value;
        Wire lw(s);
        while (ok && !lw.done()) {
          uint32_t lf, lwt;
          ok = lw.Tag(&lf, &lwt);
          if (!ok) break;
          if (lf == 1) {
            ok = lw.LenField(lwt, &name);
          } else if (lf == 2) {
            ok = lw.LenField(lwt, &value);
          } else {
            ok = lw.Skip(lwt);
          }
        }
        out->labels.push_back(Label{name, value});
      } else if (f == 2) {
        ok = w.DoubleField(wt, &out->value);
      } else if (f == 3 && wt == kLen) {
        ok = w.Bytes(&s);
        int64_t secs = 0;
        int64_t nanos = 0;
        Wire tw(s);
        while (ok && !tw.done()) {
          uint32_t tf, twt;
          uint64_t v = 0;
          ok = tw.Tag(&tf, &twt);
          if (!ok) break;
          if ((tf == 1 || tf == 2) && twt == kVarint) {
            ok = tw.Varint(&v);
            if (tf == 1) {
              secs = static_cast<int64_t>(v);
            } else {
              nanos = static_cast<int32_t>(v);
            }
          } else {
            ok = tw.Skip(twt);
          }
        }
        out->has_timestamp = true;
        // Unsigned arithmetic: garbage input must not overflow signed ints.
        out->timestamp_ms = static_cast<int64_t>(
            static_cast<uint64_t>(secs) * 1000u +
            static_cast<uint64_t>(nanos / 1000000));
      } else {
        ok = w.Skip(wt);
      }
    }
    if (!ok) continue;  // A malformed exemplar is dropped, not fatal.
    internal::SortLabels(&out->labels);
    return true;
  }
  return false;
}

int64_t ProtobufParser::StartTimestamp() {
  switch (family_type_) {
    case MetricType::kCounter:
      return internal::CreatedTimestampMs(counter_msg_, 3);
    case MetricType::kSummary:
      return internal::CreatedTimestampMs(summary_msg_, 4);
    case MetricType::kHistogram:
    case MetricType::kGaugeHistogram:
      return internal::CreatedTimestampMs(histogram_msg_, 15);
    default:
      return 0;
  }
}

}  // namespace promscrape::textparse
