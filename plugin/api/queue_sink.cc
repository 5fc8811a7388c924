#include "plugin/api/queue_sink.h"

#include <cstdint>
#include <string>
#include <vector>

namespace promscrape::api {
namespace {

// Buffers samples in one flat arena (label bytes) plus an index, so a
// scrape costs a few growing buffers rather than an allocation per sample.
class QueueAppender final : public scrape::Appender {
 public:
  QueueAppender(remote::WriteQueue& queue, const Logger& logger,
                metrics::Metric& dropped_histograms)
      : queue_(queue), logger_(logger), dropped_histograms_(dropped_histograms) {}

  void Append(const labels::Labels& series, int64_t timestamp_ms,
              double value) override {
    Entry e{static_cast<uint32_t>(spans_.size()),
            static_cast<uint32_t>(series.size()), timestamp_ms, value};
    for (const labels::Label& l : series) {
      spans_.push_back({static_cast<uint32_t>(arena_.size()),
                        static_cast<uint32_t>(l.name.size())});
      arena_ += l.name;
      spans_.push_back({static_cast<uint32_t>(arena_.size()),
                        static_cast<uint32_t>(l.value.size())});
      arena_ += l.value;
    }
    entries_.push_back(e);
  }

  void AppendHistogram(const labels::Labels& series, int64_t timestamp_ms,
                       const textparse::Histogram& histogram) override {
    // TODO(promscrape): native histograms through the write queue.
    dropped_histograms_.Increment();
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
      absl::Status s = queue_.Append(labels, e.timestamp_ms, e.value);
      if (!s.ok()) {
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
  };

  remote::WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& dropped_histograms_;
  std::string arena_;
  std::vector<Span> spans_;
  std::vector<Entry> entries_;
};

}  // namespace

QueueSink::QueueSink(remote::WriteQueue& queue, metrics::Registry& registry,
                     const Logger& logger)
    : queue_(queue),
      logger_(logger),
      dropped_histograms_(registry.Counter(
          "promscrape_native_histograms_dropped_total",
          "Native histogram samples not forwarded (not yet supported by the "
          "write queue).")) {}

std::unique_ptr<scrape::Appender> QueueSink::NewAppender() {
  return std::make_unique<QueueAppender>(queue_, logger_, dropped_histograms_);
}

}  // namespace promscrape::api
