#include "plugin/remote/queue_sink.h"

#include <cstdint>
#include <string>
#include <vector>

#include "plugin/remote/record_kinds.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {

v1::Histogram ToProtoHistogram(const model::Histogram& h) {
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
  for (const model::BucketSpan& s : h.positive_spans) {
    v1::BucketSpan* span = out.add_positive_spans();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  for (const model::BucketSpan& s : h.negative_spans) {
    v1::BucketSpan* span = out.add_negative_spans();
    span->set_offset(s.offset);
    span->set_length(s.length);
  }
  for (int64_t d : h.positive_deltas) out.add_positive_deltas(d);
  for (int64_t d : h.negative_deltas) out.add_negative_deltas(d);
  for (double c : h.positive_counts) out.add_positive_counts(c);
  for (double c : h.negative_counts) out.add_negative_counts(c);
  for (double v : h.custom_values) out.add_custom_values(v);
  if (h.is_gauge) out.set_reset_hint(v1::Histogram::GAUGE);
  return out;
}

namespace {

// Encodes each sample straight into WriteRequest wire records in one
// reused buffer, and hands the whole scrape to the queue under one lock on
// Commit: no per-sample allocation once the buffers have grown.
class QueueAppender final : public model::Appender {
 public:
  QueueAppender(QueueSink& sink, WriteQueue& queue,
                const Logger& logger, metrics::Metric& dropped_histograms,
                std::shared_ptr<const model::Labels> external)
      : external_(std::move(external)),
        sink_(sink),
        queue_(queue),
        logger_(logger),
        dropped_histograms_(dropped_histograms),
        records_(sink.TakeBuffer()) {}

  ~QueueAppender() override {
    records_.clear();
    sink_.ReturnBuffer(std::move(records_));
  }

  model::AppendStatus Append(const model::SeriesLabels& series,
                              int64_t timestamp_ms, double value) override {
    return AppendWithStart(series, timestamp_ms, 0, value);
  }

  model::AppendStatus AppendWithStart(const model::SeriesLabels& series,
                                      int64_t timestamp_ms,
                                      int64_t start_timestamp_ms,
                                      double value) override {
    encoder_.Begin(&records_);
    AddLabels(series);
    encoder_.FinishWithSample(timestamp_ms, value, start_timestamp_ms);
    ++samples_;
    ++kinds_.by_kind[static_cast<int>(RecordKind::kSample)];
    return model::AppendStatus::kOk;
  }

  model::AppendStatus AppendHistogram(
      const model::SeriesLabels& series, int64_t timestamp_ms,
      const model::Histogram& histogram) override {
    return AppendHistogramWithStart(series, timestamp_ms, 0, histogram);
  }

  model::AppendStatus AppendHistogramWithStart(
      const model::SeriesLabels& series, int64_t timestamp_ms,
      int64_t start_timestamp_ms, const model::Histogram& histogram) override {
    v1::Histogram h = ToProtoHistogram(histogram);
    h.set_timestamp(timestamp_ms);
    h.set_start_timestamp(start_timestamp_ms);
    h.SerializeToString(&histogram_bytes_);
    encoder_.Begin(&records_);
    AddLabels(series);
    encoder_.FinishWithHistogram(histogram_bytes_);
    histogram_indices_.push_back(samples_);
    ++samples_;
    ++kinds_.by_kind[static_cast<int>(RecordKind::kHistogram)];
    return model::AppendStatus::kOk;
  }

  void AppendExemplar(const model::SeriesLabels& series,
                      const model::Exemplar& exemplar) override {
    encoder_.Begin(&records_);
    AddLabels(series);
    encoder_.FinishWithExemplar(exemplar.labels, exemplar.value,
                                exemplar.timestamp_ms);
    // The queue counts records; an exemplar is one.
    ++samples_;
    ++kinds_.by_kind[static_cast<int>(RecordKind::kExemplar)];
  }

  absl::Status Commit() override {
    int64_t accepted = 0;
    absl::Status status =
        queue_.AppendRecords(records_.view(), kinds_, &accepted);
    const int64_t failed = samples_ - accepted;
    // The queue takes a prefix; histograms past it were dropped.
    for (int64_t i : histogram_indices_) {
      if (i >= accepted) dropped_histograms_.Increment();
    }
    Rollback();
    if (!status.ok()) {
      logger_.Warning("remote write queue refused ", failed,
                      " samples: ", status.message());
    }
    return status;
  }

  void Rollback() override {
    records_.clear();
    samples_ = 0;
    kinds_ = RecordCounts();
    histogram_indices_.clear();
  }

 private:
  // The series' labels merged with the external labels, in name order; on
  // a name both have, the series' value wins (Prometheus'
  // processExternalLabels).
  void AddLabels(const model::SeriesLabels& series) {
    if (external_->empty()) {
      series.ForEach(
          [this](model::LabelView l) { encoder_.AddLabel(l.name, l.value); });
      return;
    }
    auto ext = external_->begin();
    const auto ext_end = external_->end();
    for (const model::LabelView l : series) {
      while (ext != ext_end && absl::string_view(ext->name) < l.name) {
        encoder_.AddLabel(ext->name, ext->value);
        ++ext;
      }
      if (ext != ext_end && absl::string_view(ext->name) == l.name) ++ext;
      encoder_.AddLabel(l.name, l.value);
    }
    for (; ext != ext_end; ++ext) encoder_.AddLabel(ext->name, ext->value);
  }

  const std::shared_ptr<const model::Labels> external_;
  QueueSink& sink_;
  WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& dropped_histograms_;
  remote::wire::BasicRecordEncoder<ByteBuffer> encoder_;
  // WriteRequest.timeseries records, one per sample.
  ByteBuffer records_;
  int64_t samples_ = 0;
  RecordCounts kinds_;  // samples_ by kind.
  std::vector<int64_t> histogram_indices_;  // Sample indices of histograms.
  std::string histogram_bytes_;
};

}  // namespace

QueueSink::QueueSink(WriteQueue& queue, metrics::Registry& registry,
                     const Logger& logger)
    : queue_(queue),
      logger_(logger),
      dropped_histograms_(registry.Counter(
          "promscrape_native_histograms_dropped_total",
          "Native histogram samples the write queue refused.")) {}

std::unique_ptr<model::Appender> QueueSink::NewAppender() {
  std::shared_ptr<const model::Labels> external;
  {
    MutexLock lock(&mu_);
    external = external_labels_;
  }
  return std::make_unique<QueueAppender>(*this, queue_, logger_,
                                         dropped_histograms_,
                                         std::move(external));
}

void QueueSink::SetExternalLabels(model::Labels labels) {
  auto next = std::make_shared<const model::Labels>(std::move(labels));
  MutexLock lock(&mu_);
  external_labels_ = std::move(next);
}

namespace {

// Enough for every executor thread's appender; larger ones (a huge scrape)
// are given back to the allocator.
constexpr size_t kMaxFreeBuffers = 64;
constexpr size_t kMaxKeptBufferBytes = 4 << 20;

}  // namespace

ByteBuffer QueueSink::TakeBuffer() {
  MutexLock lock(&mu_);
  if (free_buffers_.empty()) return ByteBuffer();
  ByteBuffer buffer = std::move(free_buffers_.back());
  free_buffers_.pop_back();
  return buffer;
}

void QueueSink::ReturnBuffer(ByteBuffer buffer) {
  if (buffer.capacity() > kMaxKeptBufferBytes) return;
  MutexLock lock(&mu_);
  if (free_buffers_.size() < kMaxFreeBuffers) {
    free_buffers_.push_back(std::move(buffer));
  }
}

}  // namespace promscrape::remote
