#include "plugin/scrape/histogram_limits.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace promscrape::scrape {
namespace {

int32_t TargetIndex(int32_t index, int32_t from, int32_t to) {
  // Bucket i of schema s covers (base^(i-1), base^i]; halving the resolution
  // maps it to ceil(i / 2). NOTE: >> on negative ints is an arithmetic shift
  // in C++20, which is the floor division this needs.
  return ((index - 1) >> (from - to)) + 1;
}

// Rewrites spans/buckets in place. Output positions never overtake input
// positions (a merged bucket or span consumes at least one input), so one
// pass suffices.
template <typename T>
void ReduceSide(std::vector<model::BucketSpan>& spans,
                std::vector<T>& buckets, int32_t from, int32_t to,
                bool delta) {
  size_t out_span = 0;
  size_t out_bucket = 0;
  size_t in_bucket = 0;
  int32_t index = 0;
  int32_t last_target = 0;
  T running = 0;
  const size_t num_spans = spans.size();
  for (size_t s = 0; s < num_spans && in_bucket < buckets.size(); ++s) {
    const int32_t offset = spans[s].offset;
    const uint32_t length = spans[s].length;
    index += offset;
    for (uint32_t j = 0; j < length && in_bucket < buckets.size();
         ++j, ++index, ++in_bucket) {
      T v = buckets[in_bucket];
      if (delta) {
        running += v;
        v = running;
      }
      const int32_t target = TargetIndex(index, from, to);
      if (out_bucket == 0) {
        spans[0] = {target, 1};
        out_span = 1;
        buckets[0] = v;
        out_bucket = 1;
      } else if (target == last_target) {
        buckets[out_bucket - 1] += v;
      } else if (target == last_target + 1) {
        ++spans[out_span - 1].length;
        buckets[out_bucket++] = v;
      } else {
        spans[out_span++] = {target - last_target - 1, 1};
        buckets[out_bucket++] = v;
      }
      last_target = target;
    }
  }
  spans.resize(out_span);
  buckets.resize(out_bucket);
  if (delta) {
    T prev = 0;
    for (T& b : buckets) {
      const T absolute = b;
      b = absolute - prev;
      prev = absolute;
    }
  }
}

size_t BucketCount(const model::Histogram& h) {
  return h.is_float ? h.positive_counts.size() + h.negative_counts.size()
                    : h.positive_deltas.size() + h.negative_deltas.size();
}

}  // namespace

bool IsExponentialSchema(int32_t schema) {
  return schema >= kExponentialSchemaMin && schema <= kExponentialSchemaMax;
}

void ReduceResolution(model::Histogram* h, int32_t target_schema) {
  if (target_schema >= h->schema) return;
  if (h->is_float) {
    ReduceSide(h->positive_spans, h->positive_counts, h->schema, target_schema,
               /*delta=*/false);
    ReduceSide(h->negative_spans, h->negative_counts, h->schema, target_schema,
               /*delta=*/false);
  } else {
    ReduceSide(h->positive_spans, h->positive_deltas, h->schema, target_schema,
               /*delta=*/true);
    ReduceSide(h->negative_spans, h->negative_deltas, h->schema, target_schema,
               /*delta=*/true);
  }
  h->schema = target_schema;
}

absl::Status LimitBuckets(model::Histogram* h, uint64_t limit) {
  if (BucketCount(*h) > limit && !IsExponentialSchema(h->schema)) {
    return absl::InvalidArgumentError("histogram bucket limit exceeded");
  }
  while (BucketCount(*h) > limit) {
    if (h->schema <= kExponentialSchemaMin) {
      return absl::InvalidArgumentError("histogram bucket limit exceeded");
    }
    ReduceResolution(h, h->schema - 1);
  }
  return absl::OkStatus();
}

int32_t PickSchema(double bucket_factor) {
  if (bucket_factor <= 1) bucket_factor = 1.00271;
  const double floor = std::floor(-std::log2(std::log2(bucket_factor)));
  if (floor >= kExponentialSchemaMax) return kExponentialSchemaMax;
  if (floor <= kExponentialSchemaMin) return kExponentialSchemaMin;
  return static_cast<int32_t>(floor);
}

}  // namespace promscrape::scrape
