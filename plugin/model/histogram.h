#ifndef PLUGIN_MODEL_HISTOGRAM_H_
#define PLUGIN_MODEL_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace promscrape::model {

// A run of `length` consecutive buckets starting `offset` buckets after the
// end of the previous span (the first span's offset is from bucket index 0).
struct BucketSpan {
  int32_t offset = 0;
  uint32_t length = 0;

  friend bool operator==(const BucketSpan& a, const BucketSpan& b) {
    return a.offset == b.offset && a.length == b.length;
  }
};

// Prometheus' schema of native histograms with custom buckets (NHCB): the
// bucket boundaries are `custom_values`, not powers of a base.
inline constexpr int32_t kCustomBucketsSchema = -53;

// A native (exponential) histogram sample, in Prometheus' layout: integer
// histograms carry delta-encoded bucket counts, float histograms absolute
// counts. Parsers own one and reuse it (its vectors keep their capacity); sinks read it during Append.
//
// Thread-compatible value type.
struct Histogram {
  // Float histograms (sample_count_float or zero_count_float set in the
  // exposition) use the *_float / *_counts fields; integer ones the others.
  bool is_float = false;
  // Prometheus' counter-reset hint: gauge histograms are marked so the TSDB
  // does not detect counter resets.
  bool is_gauge = false;
  int32_t schema = 0;
  double zero_threshold = 0;
  uint64_t zero_count = 0;
  double zero_count_float = 0;
  uint64_t count = 0;
  double count_float = 0;
  double sum = 0;
  std::vector<BucketSpan> positive_spans;
  std::vector<BucketSpan> negative_spans;
  std::vector<int64_t> positive_deltas;  // Integer histograms.
  std::vector<int64_t> negative_deltas;
  std::vector<double> positive_counts;  // Float histograms.
  std::vector<double> negative_counts;
  // Schema kCustomBucketsSchema only: the upper bounds of the buckets,
  // strictly increasing, without the implicit last +Inf bucket; positive
  // bucket index i counts the observations in (custom_values[i-1],
  // custom_values[i]].
  std::vector<double> custom_values;

  void Clear() {
    is_float = is_gauge = false;
    schema = 0;
    zero_threshold = zero_count_float = count_float = sum = 0;
    zero_count = count = 0;
    positive_spans.clear();
    negative_spans.clear();
    positive_deltas.clear();
    negative_deltas.clear();
    positive_counts.clear();
    negative_counts.clear();
    custom_values.clear();
  }
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_HISTOGRAM_H_
