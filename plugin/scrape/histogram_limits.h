#ifndef PLUGIN_SCRAPE_HISTOGRAM_LIMITS_H_
#define PLUGIN_SCRAPE_HISTOGRAM_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "plugin/model/histogram.h"

// Native histogram resolution reduction for native_histogram_bucket_limit
// (Prometheus' bucketLimitAppender and Histogram.ReduceResolution).
// Stateless free functions; thread-safe.
namespace promscrape::scrape {

// Exponential schemas Prometheus can reduce: [-4, 8]. Anything else (custom
// buckets, -53) cannot be reduced.
inline constexpr int32_t kExponentialSchemaMin = -4;
inline constexpr int32_t kExponentialSchemaMax = 8;

bool IsExponentialSchema(int32_t schema);

// Merges the buckets of `*h` (an exponential schema >= `target_schema`) into
// `target_schema` in place, keeping delta encoding for integer histograms.
// Reuses the vectors' storage: never allocates.
void ReduceResolution(model::Histogram* h, int32_t target_schema);

// Lowers the resolution of `*h` one schema at a time until it has at most
// `limit` (> 0) positive plus negative buckets. kInvalidArgument
// "histogram bucket limit exceeded" when `*h` has a custom-bucket schema and
// too many buckets, or still too many at schema -4 (`*h` is then partially
// reduced).
absl::Status LimitBuckets(model::Histogram* h, uint64_t limit);

// Prometheus' pickSchema: the largest schema whose bucket growth factor
// (2^(2^-schema)) is at least `bucket_factor` (native_histogram_min_bucket_
// factor), clamped to [-4, 8]; a factor <= 1 means the finest schema, 8.
int32_t PickSchema(double bucket_factor);

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_HISTOGRAM_LIMITS_H_
