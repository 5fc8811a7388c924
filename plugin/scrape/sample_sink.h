#ifndef PLUGIN_SCRAPE_SAMPLE_SINK_H_
#define PLUGIN_SCRAPE_SAMPLE_SINK_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "plugin/labels/compact_labels.h"
#include "plugin/textparse/histogram.h"

namespace promscrape::scrape {

// Receives the samples of one scrape (Prometheus' storage.Appender). Nothing
// is visible downstream before Commit; Rollback discards everything.
//
// Thread-compatible: one scrape uses one appender on one thread.
class Appender {
 public:
  virtual ~Appender() = default;

  // `series` is the final label set (sorted, with __name__), a view of the
  // compact form the engine keeps per series (no copy on the warm path).
  // The view is valid only for the call.
  virtual void Append(const labels::SeriesLabels& series,
                      int64_t timestamp_ms, double value) = 0;
  virtual void AppendHistogram(const labels::SeriesLabels& series,
                               int64_t timestamp_ms,
                               const textparse::Histogram& histogram) = 0;
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

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SAMPLE_SINK_H_
