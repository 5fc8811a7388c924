#include "plugin/textparse/protobuf_wire.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/histogram.h"
#include "proto/io/prometheus/client/metrics.pb.h"

namespace promscrape::textparse {
namespace {

using ::testing::ElementsAre;

namespace client = ::io::prometheus::client;

TEST(WireTest, ReadsVarintsOfEveryLengthAndStopsAtTheEnd) {
  for (uint64_t v : {uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300},
                     uint64_t{1} << 35, ~uint64_t{0}}) {
    SCOPED_TRACE(v);
    client::Histogram h;  // field 1: uint64 varint
    h.set_sample_count(v);
    const std::string bytes = h.SerializeAsString();
    internal::Wire w(bytes);
    uint32_t field = 0, wt = 0;
    uint64_t got = 0;
    ASSERT_TRUE(w.Tag(&field, &wt));
    EXPECT_EQ(field, 1u);
    EXPECT_EQ(wt, internal::kVarint);
    ASSERT_TRUE(w.VarintField(wt, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(w.done());
  }
}

TEST(WireTest, TruncatedInputFailsInsteadOfReadingPastTheEnd) {
  const std::string varint = "\x08\xff\xff";  // field 1, unfinished varint
  internal::Wire w1(varint);
  uint32_t field = 0, wt = 0;
  uint64_t v = 0;
  ASSERT_TRUE(w1.Tag(&field, &wt));
  EXPECT_FALSE(w1.Varint(&v));

  const std::string bytes =
      "\x0a\x05"
      "abc";  // length 5, 3 bytes left
  internal::Wire w2(bytes);
  std::string_view s;
  ASSERT_TRUE(w2.Tag(&field, &wt));
  EXPECT_FALSE(w2.LenField(wt, &s));

  const std::string fixed = "\x11\x01\x02";  // fixed64 with 2 bytes
  internal::Wire w3(fixed);
  double d = 0;
  ASSERT_TRUE(w3.Tag(&field, &wt));
  EXPECT_FALSE(w3.DoubleField(wt, &d));
}

TEST(WireTest, DecodesLabelPairsInEitherFieldOrder) {
  client::LabelPair pair;
  pair.set_name("job");
  pair.set_value("node");
  std::string_view name, value;
  const std::string usual = pair.SerializeAsString();
  ASSERT_TRUE(internal::DecodeLabelPair(usual, &name, &value));
  EXPECT_EQ(name, "job");
  EXPECT_EQ(value, "node");

  // Value first, and a long value: the general path.
  const std::string long_value(200, 'v');
  const std::string reordered = "\x12\xc8\x01" + long_value + "\x0a\x03job";
  ASSERT_TRUE(internal::DecodeLabelPair(reordered, &name, &value));
  EXPECT_EQ(name, "job");
  EXPECT_EQ(value, long_value);
}

TEST(WireTest, DecodesHistogramFieldsPackedAndUnpacked) {
  client::Histogram proto;
  proto.set_sample_count(7);
  proto.set_sample_sum(1.5);
  proto.set_schema(-2);
  proto.set_zero_threshold(0.001);
  proto.set_zero_count(1);
  client::BucketSpan* span = proto.add_positive_span();
  span->set_offset(-3);
  span->set_length(2);
  proto.add_positive_delta(4);
  proto.add_positive_delta(-1);
  proto.add_negative_count(2.5);
  proto.add_bucket()->set_cumulative_count(3);
  proto.add_exemplars()->set_value(1);
  const std::string bytes = proto.SerializeAsString();

  model::Histogram h;
  uint64_t count = 0;
  double sum = 0, count_float = 0;
  std::vector<std::string_view> buckets, exemplars;
  ASSERT_TRUE(internal::DecodeHistogramFields(
      bytes, &h, &count, &sum, &count_float, &buckets, &exemplars));
  EXPECT_EQ(count, 7u);
  EXPECT_EQ(sum, 1.5);
  EXPECT_EQ(count_float, 0);
  EXPECT_EQ(h.schema, -2);
  EXPECT_EQ(h.zero_threshold, 0.001);
  EXPECT_EQ(h.zero_count, 1u);
  EXPECT_THAT(h.positive_spans, ElementsAre(model::BucketSpan{-3, 2}));
  EXPECT_THAT(h.positive_deltas, ElementsAre(4, -1));
  EXPECT_THAT(h.negative_counts, ElementsAre(2.5));
  EXPECT_EQ(buckets.size(), 1u);
  EXPECT_EQ(exemplars.size(), 1u);
  EXPECT_FALSE(internal::ExemplarHasTimestamp(exemplars[0]));

  EXPECT_FALSE(internal::DecodeHistogramFields(
      bytes.substr(0, bytes.size() - 1), &h, &count, &sum, &count_float,
      &buckets, &exemplars));
}

TEST(WireTest, SeesAnExemplarTimestamp) {
  client::Exemplar exemplar;
  exemplar.set_value(1);
  exemplar.mutable_timestamp()->set_seconds(1700000000);
  EXPECT_TRUE(internal::ExemplarHasTimestamp(exemplar.SerializeAsString()));
}

}  // namespace
}  // namespace promscrape::textparse
