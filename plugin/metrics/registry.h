#ifndef PLUGIN_METRICS_REGISTRY_H_
#define PLUGIN_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "plugin/common/mutex.h"

namespace promscrape::metrics {

// A label pair of a self-metric.
using LabelPair = std::pair<std::string, std::string>;

// A value that only goes up (or a gauge, which may also be set). Updates are
// lock-free. Thread-safe.
class Metric {
 public:
  void Add(double delta) {
    uint64_t old_bits = bits_.load(std::memory_order_relaxed);
    while (!bits_.compare_exchange_weak(
        old_bits, ToBits(FromBits(old_bits) + delta),
        std::memory_order_relaxed)) {
    }
  }
  void Increment() { Add(1); }
  void Set(double value) {
    bits_.store(ToBits(value), std::memory_order_relaxed);
  }
  double Value() const {
    return FromBits(bits_.load(std::memory_order_relaxed));
  }

 private:
  static uint64_t ToBits(double v) {
    uint64_t b;
    __builtin_memcpy(&b, &v, sizeof b);
    return b;
  }
  static double FromBits(uint64_t b) {
    double v;
    __builtin_memcpy(&v, &b, sizeof v);
    return v;
  }
  std::atomic<uint64_t> bits_{0};
};

// A Prometheus summary with the objectives Prometheus' scrape metrics use
// (quantiles 0.01, 0.05, 0.5, 0.9, 0.99) plus _sum and _count.
//
// Estimator: exact quantiles over the most recent `kWindow` observations (a
// ring buffer; memory is fixed at 8 KiB per summary). Prometheus keeps a
// 10-minute age window instead; ours is a count window, so with many
// targets sharing one label the quantiles describe the last 1024 scrapes
// rather than the last ten minutes. Within that window the reported
// quantile is the observation of rank ceil(q * n) (nearest rank), i.e. no
// rank error at all, tighter than Prometheus' CKMS targets (e.g. 0.5±0.05).
// _sum and _count cover every observation since creation.
//
// Thread-safe. Observe takes a short uncontended-in-practice lock (one
// store); quantiles are computed only at collection.
class Summary {
 public:
  static constexpr size_t kWindow = 1024;
  static constexpr double kQuantiles[] = {0.01, 0.05, 0.5, 0.9, 0.99};

  void Observe(double value) ABSL_LOCKS_EXCLUDED(mu_);

  struct Snapshot {
    uint64_t count = 0;
    double sum = 0;
    // One per kQuantiles entry; NaN when nothing was observed.
    std::vector<double> quantiles;
  };
  Snapshot Snap() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  std::vector<double> window_ ABSL_GUARDED_BY(mu_);  // grows to kWindow
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

enum class MetricType { kCounter, kGauge, kSummary };

// One sample of a self-metric at collection time. A summary yields one
// sample per quantile (label `quantile`), then `<name>_sum` and
// `<name>_count`.
struct MetricSample {
  std::string name;
  std::vector<LabelPair> labels;  // Sorted by name.
  double value;
};

// Metadata of a metric family, for TYPE/HELP.
struct FamilyInfo {
  std::string name;
  std::string help;
  MetricType type;
};

// The plugin's own metrics (prometheus_target_* and promscrape_*). Metrics
// are created once and updated lock-free; `Collect` snapshots them for the
// self-metrics scrape and GetStats.
//
// Thread-safe. References returned by Counter/Gauge stay valid for the
// registry's lifetime.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the counter `name{labels}`, creating it (value 0) on first use.
  Metric& Counter(absl::string_view name, absl::string_view help,
                  std::vector<LabelPair> labels = {});
  // Returns the gauge `name{labels}`, creating it (value 0) on first use.
  Metric& Gauge(absl::string_view name, absl::string_view help,
                std::vector<LabelPair> labels = {});

  // Returns the summary `name{labels}`, creating it on first use.
  metrics::Summary& Summary(absl::string_view name, absl::string_view help,
                            std::vector<LabelPair> labels = {});

  // Deletes the series `name{labels}` (e.g. the per-job series of a stopped
  // scrape pool). References to it become invalid. No-op if absent.
  void Remove(absl::string_view name, std::vector<LabelPair> labels)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Adds samples computed at collection time (Prometheus' custom
  // collectors) of the metric `families`. `collect` runs inside Collect(),
  // on its thread, must not call back into the registry, and appends its
  // samples. Returns an id for RemoveCollector.
  using CollectFn = std::function<void(std::vector<MetricSample>*)>;
  uint64_t AddCollector(std::vector<FamilyInfo> families, CollectFn collect)
      ABSL_LOCKS_EXCLUDED(mu_, collectors_mu_);
  // Removes a collector; once this returns it is not running and never
  // runs again.
  void RemoveCollector(uint64_t id) ABSL_LOCKS_EXCLUDED(collectors_mu_);

  // A snapshot of every metric, ordered by name then labels.
  std::vector<MetricSample> Collect() const ABSL_LOCKS_EXCLUDED(mu_, collectors_mu_);
  // Family metadata, ordered by name.
  std::vector<FamilyInfo> Families() const;

 private:
  struct Entry {
    std::string name;
    std::vector<LabelPair> labels;
    std::unique_ptr<Metric> metric;            // counters and gauges
    std::unique_ptr<metrics::Summary> summary;  // summaries
  };

  Entry& GetOrCreate(absl::string_view name, absl::string_view help,
                     MetricType type, std::vector<LabelPair> labels);

  // Held across collector calls; never taken with mu_ held.
  mutable Mutex collectors_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::flat_hash_map<uint64_t, CollectFn> collectors_
      ABSL_GUARDED_BY(collectors_mu_);
  uint64_t next_collector_ ABSL_GUARDED_BY(collectors_mu_) = 1;

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, FamilyInfo> families_ ABSL_GUARDED_BY(mu_);
  // Keyed by name + serialized labels.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::metrics

#endif  // PLUGIN_METRICS_REGISTRY_H_
