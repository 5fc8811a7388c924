// Classic histograms as native histograms with custom buckets (Prometheus
// 3.x' convert_classic_histograms_to_nhcb): the converter mirrors
// util/convertnhcb (TestNHCBConvert), the parser wrapper
// model/textparse/nhcbparse.go (tests named in each case).
#include "plugin/textparse/nhcb_parser.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/textparse/parser_test_util.h"

namespace promscrape::textparse {
namespace {

using ::promscrape::testing::StatusIs;
using ::promscrape::textparse::testing::ParseAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> ParseNhcb(Format format, const std::string& body,
                                   bool keep_classic) {
  ParserOptions o;
  o.utf8_names = true;
  o.prometheus3_grammar = true;
  o.convert_classic_histograms_to_nhcb = true;
  o.scrape_classic_histograms = keep_classic;
  std::unique_ptr<Parser> p = NewParser(format, body, o);
  return ParseAll(*p);
}

// util/convertnhcb TestNHCBConvert, case by case.
TEST(ClassicHistogramCollectorTest, ConvertsLikeConvertnhcb) {
  ClassicHistogramCollector c;
  model::Histogram h;

  // "empty" and "sum only": the +Inf bucket alone, empty, compacted away.
  c.SetSum(1000.25);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_EQ(h.schema, -53);
  EXPECT_FALSE(h.is_float);
  EXPECT_EQ(h.count, 0u);
  EXPECT_EQ(h.sum, 1000.25);
  EXPECT_TRUE(h.positive_spans.empty());
  EXPECT_TRUE(h.custom_values.empty());

  // "single integer bucket": the count comes from the highest bucket.
  c.Reset();
  c.SetSum(1000.25);
  c.SetBucketCount(0.5, 1000);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_EQ(h.count, 1000u);
  EXPECT_THAT(h.positive_spans, ElementsAre(model::BucketSpan{0, 1}));
  EXPECT_THAT(h.positive_deltas, ElementsAre(1000));
  EXPECT_THAT(h.custom_values, ElementsAre(0.5));

  // "single float bucket".
  c.Reset();
  c.SetSum(1000.25);
  c.SetBucketCount(0.5, 1337.42);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_TRUE(h.is_float);
  EXPECT_EQ(h.count_float, 1337.42);
  EXPECT_THAT(h.positive_counts, ElementsAre(1337.42));
  EXPECT_THAT(h.custom_values, ElementsAre(0.5));

  // "happy case integer bucket".
  c.Reset();
  c.SetCount(1000);
  c.SetSum(1000.25);
  c.SetBucketCount(0.5, 50);
  c.SetBucketCount(1.0, 950);
  c.SetBucketCount(kInf, 1000);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_THAT(h.positive_spans, ElementsAre(model::BucketSpan{0, 3}));
  EXPECT_THAT(h.positive_deltas, ElementsAre(50, 850, -850));
  EXPECT_THAT(h.custom_values, ElementsAre(0.5, 1.0));

  // "happy case float bucket".
  c.Reset();
  c.SetCount(1000);
  c.SetSum(1000.25);
  c.SetBucketCount(0.5, 50);
  c.SetBucketCount(1.0, 950.5);
  c.SetBucketCount(kInf, 1000);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_TRUE(h.is_float);
  EXPECT_THAT(h.positive_counts, ElementsAre(50, 900.5, 49.5));

  // "non cumulative bucket", "negative count", a count mismatch, NaN le.
  c.Reset();
  c.SetCount(1000);
  c.SetBucketCount(0.5, 50);
  c.SetBucketCount(1.0, 950);
  c.SetBucketCount(kInf, 900);
  EXPECT_THAT(c.Convert(&h), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("count is not cumulative")));
  c.Reset();
  c.SetCount(-1000);
  EXPECT_THAT(c.Convert(&h),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("count must be non-negative")));
  c.Reset();
  c.SetCount(7);
  c.SetBucketCount(1, 5);
  c.SetBucketCount(kInf, 6);
  EXPECT_THAT(c.Convert(&h),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("count mismatch: count=7 != le=+Inf count=6")));
  c.Reset();
  c.SetBucketCount(1, 1);
  c.SetBucketCount(std::numeric_limits<double>::quiet_NaN(), 2);
  EXPECT_THAT(c.Convert(&h),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bucket boundary must not be NaN")));
}

// convertnhcb SetBucketCount: buckets in any order are sorted in, a
// repeated le is ignored; Histogram.Compact(2) keeps runs of at most two
// empty buckets inside a span, FloatHistogram.Compact(0) none.
TEST(ClassicHistogramCollectorTest, OrderDuplicatesAndCompaction) {
  ClassicHistogramCollector c;
  model::Histogram h;
  c.SetBucketCount(2, 3);
  c.SetBucketCount(1, 1);
  c.SetBucketCount(2, 99);  // repeated: ignored
  c.SetBucketCount(kInf, 3);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_THAT(h.custom_values, ElementsAre(1, 2));
  // Absolute counts 1, 2, 0: the empty +Inf bucket is trimmed.
  EXPECT_THAT(h.positive_deltas, ElementsAre(1, 1));
  EXPECT_THAT(h.positive_spans, ElementsAre(model::BucketSpan{0, 2}));

  // Buckets 0..7: 1, 0, 0, 1, 0, 0, 0, 1 (cumulative 1,1,1,2,2,2,2,3).
  c.Reset();
  const double cumulative[] = {1, 1, 1, 2, 2, 2, 2, 3};
  for (int i = 0; i < 8; ++i) c.SetBucketCount(i, cumulative[i]);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_THAT(h.positive_spans,
              ElementsAre(model::BucketSpan{0, 4}, model::BucketSpan{3, 1}));
  EXPECT_THAT(h.positive_deltas, ElementsAre(1, -1, 0, 1, 0));
  EXPECT_EQ(h.custom_values.size(), 8u);  // the +Inf bucket is empty

  c.Reset();
  const double float_cumulative[] = {0, 0.5, 0.5, 1.5};
  for (int i = 0; i < 4; ++i) c.SetBucketCount(i, float_cumulative[i]);
  PROMSCRAPE_ASSERT_OK(c.Convert(&h));
  EXPECT_TRUE(h.is_float);
  EXPECT_THAT(h.positive_spans,
              ElementsAre(model::BucketSpan{1, 1}, model::BucketSpan{1, 1}));
  EXPECT_THAT(h.positive_counts, ElementsAre(0.5, 1));
}

// nhcbparse_test.go TestNHCBParserOMParser_MultipleHistograms: one native
// histogram per label set, exemplars of the classic series on it.
TEST(NhcbParserTest, MultipleHistogramsOnOpenMetrics) {
  const std::string body =
      "# HELP something Histogram with _created between buckets and summary\n"
      "# TYPE something histogram\n"
      "something_count 18\n"
      "something_sum 324789.4\n"
      "something_bucket{le=\"0.0\"} 1 # {id=\"something-test\"} -2.0\n"
      "something_bucket{le=\"1.0\"} 16 # {id=\"something-test\"} 0.5\n"
      "something_bucket{le=\"+Inf\"} 18 # {id=\"something-test\"} 8\n"
      "something_count{a=\"b\"} 9\n"
      "something_sum{a=\"b\"} 42123.0\n"
      "something_bucket{a=\"b\",le=\"0.0\"} 8 # {id=\"something-test\"} 0.0 "
      "123.321\n"
      "something_bucket{a=\"b\",le=\"1.0\"} 8\n"
      "something_bucket{a=\"b\",le=\"+Inf\"} 9 # {id=\"something-test\"} "
      "2e100 123.000\n"
      "# EOF\n";
  EXPECT_THAT(
      ParseNhcb(Format::kOpenMetrics, body, false),
      ElementsAre(
          "HELP something Histogram with _created between buckets and summary",
          "TYPE something histogram",
          "HISTOGRAM {__name__=\"something\"} schema=-53 zt=0 zc=0 count=18 "
          "sum=324789.4 pos=[0:3] 1,14,-13 cv=[0,1] # {id=\"something-test\"} "
          "-2 # {id=\"something-test\"} 0.5 # {id=\"something-test\"} 8",
          "HISTOGRAM {__name__=\"something\",a=\"b\"} schema=-53 zt=0 zc=0 "
          "count=9 sum=42123 pos=[0:3] 8,-8,1 cv=[0,1] "
          "# {id=\"something-test\"} 0 @123321 # {id=\"something-test\"} "
          "2e+100 @123000"));
}

// nhcbparse_test.go's requirement table, case 1 (only a classic histogram
// exposed): classic series without always_scrape_classic_histograms are
// gone; with it they come first, then the converted histogram. Other
// families pass through untouched, and the histogram is emitted before the
// next family's metadata.
TEST(NhcbParserTest, KeepClassicAndOtherFamiliesOnText) {
  const std::string body =
      "# TYPE h histogram\n"
      "h_bucket{le=\"1\"} 1\n"
      "h_bucket{le=\"+Inf\"} 2\n"
      "h_sum 3\n"
      "h_count 2\n"
      "# TYPE g gauge\n"
      "g 5\n";
  EXPECT_THAT(ParseNhcb(Format::kPromText, body, false),
              ElementsAre("TYPE h histogram",
                          "HISTOGRAM {__name__=\"h\"} schema=-53 zt=0 zc=0 "
                          "count=2 sum=3 pos=[0:2] 1,0 cv=[1]",
                          "TYPE g gauge", "SERIES {__name__=\"g\"} 5"));
  EXPECT_THAT(ParseNhcb(Format::kPromText, body, true),
              ElementsAre("TYPE h histogram",
                          "SERIES {__name__=\"h_bucket\",le=\"1.0\"} 1",
                          "SERIES {__name__=\"h_bucket\",le=\"+Inf\"} 2",
                          "SERIES {__name__=\"h_sum\"} 3",
                          "SERIES {__name__=\"h_count\"} 2",
                          "HISTOGRAM {__name__=\"h\"} schema=-53 zt=0 zc=0 "
                          "count=2 sum=3 pos=[0:2] 1,0 cv=[1]",
                          "TYPE g gauge", "SERIES {__name__=\"g\"} 5"));
}

// nhcbparse_test.go TestNHCBParserErrorHandling: a label set whose buckets
// are not cumulative gives no histogram (and, its classic series not kept,
// nothing); the next label set converts. A `_bucket` of an untyped family
// and series after the histogram (with their timestamp on it, as
// NHCBParser's cached timestamp) stay as they are.
TEST(NhcbParserTest, NonCumulativeIsDroppedAndUntypedPassesThrough) {
  const std::string body =
      "# TYPE something histogram\n"
      "something_count 18\n"
      "something_sum 324789.4\n"
      "something_bucket{le=\"0.0\"} 18\n"
      "something_bucket{le=\"+Inf\"} 1\n"
      "something_count{a=\"b\"} 9\n"
      "something_sum{a=\"b\"} 42123\n"
      "something_bucket{a=\"b\",le=\"0.0\"} 1\n"
      "something_bucket{a=\"b\",le=\"+Inf\"} 9 1000\n"
      "# TYPE other untyped\n"
      "other_bucket{le=\"1\"} 4\n";
  EXPECT_THAT(ParseNhcb(Format::kPromText, body, false),
              ElementsAre("TYPE something histogram",
                          "HISTOGRAM {__name__=\"something\",a=\"b\"} "
                          "schema=-53 zt=0 zc=0 count=9 sum=42123 pos=[0:2] "
                          "1,7 cv=[0] @1000",
                          "TYPE other unknown",
                          "SERIES {__name__=\"other_bucket\",le=\"1\"} 4"));
}

}  // namespace
}  // namespace promscrape::textparse
