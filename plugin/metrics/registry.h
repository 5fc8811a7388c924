#ifndef PLUGIN_METRICS_REGISTRY_H_
#define PLUGIN_METRICS_REGISTRY_H_

#include <atomic>
#include <cstdint>
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

enum class MetricType { kCounter, kGauge };

// One sample of a self-metric at collection time.
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

  // A snapshot of every metric, ordered by name then labels.
  std::vector<MetricSample> Collect() const;
  // Family metadata, ordered by name.
  std::vector<FamilyInfo> Families() const;

 private:
  Metric& GetOrCreate(absl::string_view name, absl::string_view help,
                      MetricType type, std::vector<LabelPair> labels);

  struct Entry {
    std::string name;
    std::vector<LabelPair> labels;
    std::unique_ptr<Metric> metric;
  };

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, FamilyInfo> families_ ABSL_GUARDED_BY(mu_);
  // Keyed by name + serialized labels.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::metrics

#endif  // PLUGIN_METRICS_REGISTRY_H_
