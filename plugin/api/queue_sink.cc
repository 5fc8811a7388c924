#include "plugin/api/queue_sink.h"

#include <cstdint>
#include <string>
#include <vector>

namespace promscrape::api {

v1::Histogram ToProtoHistogram(const textparse::Histogram& h) {
  v1::Histogram out;
  out.set_schema(h.schema);
  out.set_zero_threshold(h.zero_threshold);
  out.set_sum(h.sum);
  if (h.is_float) {
    out.set_count_float(h.count_float);
    out.set_zero_count_float(h.zero_count_float);
  } else {
    out.set_count_int(h.count);
    out.set_zero_count_int(h.zero_count);
  }
  for (const textparse::BucketSpan& s : h.positive_spans) {
    v1::BucketSpan* span = out.add_positive_spans();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  for (const textparse::BucketSpan& s : h.negative_spans) {
    v1::BucketSpan* span = out.add_negative_spans();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  for (int64_t d : h.positive_deltas) out.add_positive_deltas(d);
  for (int64_t d : h.negative_deltas) out.add_negative_deltas(d);
  for (double c : h.positive_counts) out.add_positive_counts(c);
  for (double c : h.negative_counts) out.add_negative_counts(c);
  if (h.is_gauge) out.set_reset_hint(v1::Histogram::GAUGE);
  return out;
}

namespace {

// Buffers samples in one flat arena (label bytes) plus an index, so a
// scrape costs a few growing buffers rather than an allocation per sample.
class QueueAppender final : public scrape::Appender {
 public:
  QueueAppender(remote::WriteQueue& queue, const Logger& logger,
                metrics::Metric& dropped_histograms)
      : queue_(queue), logger_(logger), dropped_histograms_(dropped_histograms) {}

  scrape::AppendStatus Append(const labels::SeriesLabels& series,
                              int64_t timestamp_ms, double value) override {
    Entry e{static_cast<uint32_t>(spans_.size()), 0, timestamp_ms, value};
    for (const labels::LabelView l : series) {
      ++e.label_count;
      spans_.push_back({static_cast<uint32_t>(arena_.size()),
                        static_cast<uint32_t>(l.name.size())});
      arena_.append(l.name.data(), l.name.size());
      spans_.push_back({static_cast<uint32_t>(arena_.size()),
                        static_cast<uint32_t>(l.value.size())});
      arena_.append(l.value.data(), l.value.size());
    }
    entries_.push_back(e);
    return scrape::AppendStatus::kOk;
  }

  scrape::AppendStatus AppendHistogram(
      const labels::SeriesLabels& series, int64_t timestamp_ms,
      const textparse::Histogram& histogram) override {
    Append(series, timestamp_ms, 0);
    entries_.back().histogram = static_cast<int32_t>(histograms_.size());
    histograms_.push_back(ToProtoHistogram(histogram));
    return scrape::AppendStatus::kOk;
  }

  absl::Status Commit() override {
    std::vector<remote::LabelView> labels;
    absl::Status first_error;
    int64_t failed = 0;
    for (const Entry& e : entries_) {
      labels.clear();
      for (uint32_t i = 0; i < e.label_count; ++i) {
        const Span& n = spans_[e.first_span + 2 * i];
        const Span& v = spans_[e.first_span + 2 * i + 1];
        labels.push_back({absl::string_view(arena_.data() + n.offset, n.size),
                          absl::string_view(arena_.data() + v.offset, v.size)});
      }
      absl::Status s =
          e.histogram < 0
              ? queue_.Append(labels, e.timestamp_ms, e.value)
              : queue_.AppendHistogram(labels, e.timestamp_ms,
                                       histograms_[e.histogram]);
      if (!s.ok()) {
        if (e.histogram >= 0) dropped_histograms_.Increment();
        ++failed;
        if (first_error.ok()) first_error = s;
      }
    }
    Rollback();
    if (!first_error.ok()) {
      logger_.Warning("remote write queue refused ", failed,
                      " samples: ", first_error.message());
    }
    return first_error;
  }

  void Rollback() override {
    arena_.clear();
    spans_.clear();
    entries_.clear();
    histograms_.clear();
  }

 private:
  struct Span {
    uint32_t offset;
    uint32_t size;
  };
  struct Entry {
    uint32_t first_span;
    uint32_t label_count;
    int64_t timestamp_ms;
    double value;
    int32_t histogram = -1;  // index into histograms_, or -1 for a float
  };

  remote::WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& dropped_histograms_;
  std::string arena_;
  std::vector<Span> spans_;
  std::vector<Entry> entries_;
  std::vector<v1::Histogram> histograms_;
};

}  // namespace

QueueSink::QueueSink(remote::WriteQueue& queue, metrics::Registry& registry,
                     const Logger& logger)
    : queue_(queue),
      logger_(logger),
      dropped_histograms_(registry.Counter(
          "promscrape_native_histograms_dropped_total",
          "Native histogram samples the write queue refused.")) {}

std::unique_ptr<scrape::Appender> QueueSink::NewAppender() {
  return std::make_unique<QueueAppender>(queue_, logger_, dropped_histograms_);
}

}  // namespace promscrape::api
