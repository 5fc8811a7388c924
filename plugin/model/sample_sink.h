#ifndef PLUGIN_MODEL_SAMPLE_SINK_H_
#define PLUGIN_MODEL_SAMPLE_SINK_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/exemplar.h"
#include "plugin/model/histogram.h"

namespace promscrape::model {

// What the storage did with one sample (Prometheus' storage.Appender errors
// that a scrape survives: ErrOutOfOrderSample, ErrDuplicateSampleForTimestamp,
// ErrOutOfBounds). A rejected sample is skipped and counted; the scrape goes
// on, and the series is not tracked for staleness in that scrape.
enum class AppendStatus : uint8_t {
  kOk = 0,
  kOutOfOrder,
  kDuplicateSample,
  kOutOfBounds,
};

// Receives the samples of one scrape (Prometheus' storage.Appender). Nothing
// is visible downstream before Commit; Rollback discards everything.
//
// Thread-compatible: one scrape uses one appender on one thread.
class Appender {
 public:
  virtual ~Appender() = default;

  // `series` is the final label set (sorted, with __name__), a view of the
  // compact form the engine keeps per series (no copy on the warm path).
  // The view is valid only for the call. Returns kOk when the sample is
  // taken, or why the storage rejects it; a sink that takes everything (the
  // remote-write queue) always returns kOk. The engine ignores rejections of
  // stale markers and report series, as Prometheus does.
  virtual AppendStatus Append(const SeriesLabels& series,
                              int64_t timestamp_ms, double value) = 0;
  virtual AppendStatus AppendHistogram(
      const SeriesLabels& series, int64_t timestamp_ms,
      const Histogram& histogram) = 0;
  // A sample or histogram with its start (created) timestamp, Prometheus
  // 3.x' start timestamps (the engine's start_timestamps setting; never 0
  // here). A sink that keeps none stores the sample alone: the defaults.
  virtual AppendStatus AppendWithStart(const SeriesLabels& series,
                                       int64_t timestamp_ms,
                                       int64_t start_timestamp_ms,
                                       double value) {
    return Append(series, timestamp_ms, value);
  }
  virtual AppendStatus AppendHistogramWithStart(
      const SeriesLabels& series, int64_t timestamp_ms,
      int64_t start_timestamp_ms, const Histogram& histogram) {
    return AppendHistogram(series, timestamp_ms, histogram);
  }
  // An exemplar of the sample just appended to `series` (with its
  // timestamp filled in: the sample's when the exposition gave none). The
  // exemplar's label views are valid only for the call. Sinks that keep no
  // exemplars ignore it.
  virtual void AppendExemplar(const SeriesLabels& series,
                              const Exemplar& exemplar) {}
  // Hands the samples downstream. An error is logged by the caller; the
  // samples are lost (the downstream queue counts them).
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;
};

// Where the engine's samples go (the remote-write queue in the plugin, a
// recorder in tests). The engine never knows what is behind it.
//
// Thread-safe: appenders are opened from many threads at once.
class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual std::unique_ptr<Appender> NewAppender() = 0;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_SAMPLE_SINK_H_
