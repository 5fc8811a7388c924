#ifndef PLUGIN_SCRAPE_SCRAPE_METRICS_H_
#define PLUGIN_SCRAPE_SCRAPE_METRICS_H_

#include <string>

#include "absl/time/time.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/scrape_append.h"

namespace promscrape::scrape {

// Prometheus' scrape self-metrics (`scrape/metrics.go`) with their exact names, help texts, types and labels, registered in
// one place. The engine updates them at most once per scrape, sync or
// reload, never per sample.
//
// Thread-safe. The registry must outlive it; per-label series are looked up
// only when a loop's interval or a pool changes (never per scrape).
class ScrapeMetrics {
 public:
  explicit ScrapeMetrics(metrics::Registry& registry);
  ScrapeMetrics(const ScrapeMetrics&) = delete;
  ScrapeMetrics& operator=(const ScrapeMetrics&) = delete;

  metrics::Registry& registry() const { return registry_; }

  // prometheus_target_interval_length_seconds{interval=<Go duration>}.
  metrics::Summary& IntervalLength(absl::Duration interval) const;

  // Counts what one scrape's append ran into (limits, duplicates, bounds,
  // forced cache flush).
  void RecordAppend(const AppendResult& result) const;

  // Per-job series (labels {scrape_job}).
  metrics::Metric& PoolTargets(const std::string& job) const;
  metrics::Metric& PoolSyncTotal(const std::string& job) const;
  metrics::Summary& SyncLength(const std::string& job) const;
  metrics::Metric& SyncFailed(const std::string& job) const;
  // Deletes the per-job series of a stopped pool (as Prometheus does).
  void RemoveJob(const std::string& job) const;

  metrics::Metric& pools_total;
  metrics::Metric& pools_failed_total;
  metrics::Metric& pool_reloads_total;
  metrics::Metric& pool_reloads_failed_total;
  metrics::Metric& pool_exceeded_target_limit_total;
  metrics::Metric& exceeded_body_size_limit_total;
  metrics::Metric& cache_flush_forced_total;
  metrics::Metric& exceeded_sample_limit_total;
  metrics::Metric& sample_duplicate_timestamp_total;
  metrics::Metric& sample_out_of_bounds_total;
  // Samples a SampleSink rejected as out of order (AppendStatus); the
  // remote-write queue never does.
  metrics::Metric& sample_out_of_order_total;
  metrics::Metric& exceeded_native_histogram_bucket_limit_total;
  metrics::Metric& pool_exceeded_label_limits_total;

 private:
  metrics::Registry& registry_;
};

// Go's time.Duration.String(): `15s`, `1m0s`, `1h0m0s`, `500ms`, `1.5s`
// (the `interval` label of prometheus_target_interval_length_seconds).
std::string GoDurationString(absl::Duration d);

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPE_METRICS_H_
