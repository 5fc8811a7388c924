#include "plugin/scrape/histogram_limits.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::IsOk;
using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using model::BucketSpan;
using model::Histogram;

constexpr int32_t kCustomBucketsSchema = -53;

Histogram Example() {
  Histogram h;
  h.schema = 0;
  h.count = 21;
  h.sum = 33;
  h.zero_threshold = 0.001;
  h.zero_count = 3;
  h.positive_spans = {{0, 3}};
  h.positive_deltas = {3, 0, 0};
  h.negative_spans = {{0, 3}};
  h.negative_deltas = {3, 0, 0};
  return h;
}

Histogram BigGap() {
  Histogram h;
  h.schema = 0;
  h.count = 21;
  h.sum = 33;
  h.zero_threshold = 0.001;
  h.zero_count = 3;
  h.positive_spans = {{1, 1}, {2, 1}};  // (1, 2] and (8, 16].
  h.positive_deltas = {1, 0};
  return h;
}

Histogram CustomBuckets() {
  Histogram h;
  h.schema = kCustomBucketsSchema;
  h.count = 9;
  h.sum = 33;
  h.positive_spans = {{0, 3}};
  h.positive_deltas = {3, 0, 0};
  return h;
}

size_t Buckets(const Histogram& h) {
  return h.positive_deltas.size() + h.negative_deltas.size() +
         h.positive_counts.size() + h.negative_counts.size();
}

TEST(HistogramLimitsTest, BucketLimitTable) {
  struct Case {
    std::string name;
    Histogram h;
    uint64_t limit;
    bool error;
    size_t buckets;
    int32_t schema;
  };
  const std::vector<Case> cases = {
      {"boundary at 1 never merges", Example(), 3, true, 0, 0},
      {"reduced once", Example(), 4, false, 4, -1},
      {"within limit", Example(), 10, false, 6, 0},
      {"big gap", BigGap(), 1, false, 1, -2},
      {"custom buckets over limit", CustomBuckets(), 2, true, 0, 0},
      {"custom buckets within limit", CustomBuckets(), 3, false, 3,
       kCustomBucketsSchema},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Histogram h = c.h;
    absl::Status s = LimitBuckets(&h, c.limit);
    if (c.error) {
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("histogram bucket limit exceeded")));
      continue;
    }
    EXPECT_THAT(s, IsOk());
    EXPECT_EQ(Buckets(h), c.buckets);
    EXPECT_EQ(h.schema, c.schema);
  }
}

TEST(HistogramLimitsTest, ReduceResolutionKeepsDeltaEncoding) {
  Histogram h = Example();  // Positive counts 3,3,3 at indexes 0,1,2.
  ReduceResolution(&h, -1);
  // Index 0 -> 0; indexes 1,2 -> 1: counts 3 and 6.
  EXPECT_THAT(h.positive_spans, ElementsAre(BucketSpan{0, 2}));
  EXPECT_THAT(h.positive_deltas, ElementsAre(3, 3));
  EXPECT_EQ(h.schema, -1);
}

TEST(HistogramLimitsTest, ReduceResolutionFloatAndGaps) {
  Histogram h;
  h.is_float = true;
  h.schema = 2;
  // Indexes -3,-2 | 5 | 9,10 with counts 1,2,3,4,5.
  h.positive_spans = {{-3, 2}, {7, 1}, {3, 2}};
  h.positive_counts = {1, 2, 3, 4, 5};
  ReduceResolution(&h, 0);
  // Target index = floor((i - 1) / 4) + 1: -3->0, -2->0, 5->2, 9->3, 10->3.
  EXPECT_THAT(h.positive_spans, ElementsAre(BucketSpan{0, 1}, BucketSpan{1, 2}));
  EXPECT_THAT(h.positive_counts, ElementsAre(3, 3, 9));
  EXPECT_EQ(h.schema, 0);
}

TEST(HistogramLimitsTest, PickSchemaTable) {
  const std::vector<std::pair<double, int32_t>> cases = {
      {65536, -4}, {256, -3}, {16, -2},    {4, -1},     {2, 0},
      {1.4, 1},    {1.1, 2},  {1.09, 3},   {1.04, 4},   {1.02, 5},
      {1.01, 6},   {1.005, 7}, {1.002, 8}, {0, 8}};
  for (const auto& [factor, schema] : cases) {
    SCOPED_TRACE(factor);
    EXPECT_EQ(PickSchema(factor), schema);
  }
}

}  // namespace
}  // namespace promscrape::scrape
