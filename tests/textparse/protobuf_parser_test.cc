#include "plugin/textparse/protobuf_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/io/prometheus/client/metrics.pb.h"
#include "tests/testutil/delimited_families.h"
#include "tests/testutil/status_matchers.h"
#include "tests/textparse/parser_test_util.h"

namespace promscrape::textparse {
namespace {

namespace pb = ::io::prometheus::client;
using ::promscrape::testing::StatusIs;
using ::promscrape::textparse::testing::ParseAll;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

std::string Delimited(const std::vector<pb::MetricFamily>& families) {
  return ::promscrape::testing::DelimitedFamilies(families);
}

void AddLabel(pb::Metric* m, const std::string& n, const std::string& v) {
  pb::LabelPair* l = m->add_label();
  l->set_name(n);
  l->set_value(v);
}

std::vector<std::string> Parse(const std::string& body,
                               const ParserOptions& options = {}) {
  ProtobufParser p(body, options);
  return ParseAll(p);
}

TEST(ProtobufParserTest, GaugeCounterUntypedWithMetadata) {
  pb::MetricFamily g;
  g.set_name("go_goroutines");
  g.set_help("Number of goroutines.");
  g.set_type(pb::GAUGE);
  pb::Metric* m = g.add_metric();
  m->mutable_gauge()->set_value(33);
  m->set_timestamp_ms(1234567);

  pb::MetricFamily c;
  c.set_name("requests");
  c.set_type(pb::COUNTER);
  c.set_unit("requests");
  m = c.add_metric();
  AddLabel(m, "z", "1");
  AddLabel(m, "checksum", "");
  m->mutable_counter()->set_value(42);
  pb::Exemplar* ex = m->mutable_counter()->mutable_exemplar();
  pb::LabelPair* el = ex->add_label();
  el->set_name("trace_id");
  el->set_value("abc");
  ex->set_value(1.5);
  ex->mutable_timestamp()->set_seconds(1625851151);
  ex->mutable_timestamp()->set_nanos(233181499);

  pb::MetricFamily empty;
  empty.set_name("no_metrics");
  empty.set_type(pb::GAUGE);

  pb::MetricFamily u;
  u.set_name("untyped_thing");
  u.set_type(pb::UNTYPED);
  u.add_metric()->mutable_untyped()->set_value(-1);

  EXPECT_THAT(
      Parse(Delimited({g, c, empty, u})),
      ElementsAre(
          "HELP go_goroutines Number of goroutines.",
          "TYPE go_goroutines gauge",
          "SERIES {__name__=\"go_goroutines\"} 33 @1234567",
          "HELP requests ", "UNIT requests requests", "TYPE requests counter",
          "SERIES {__name__=\"requests\",checksum=\"\",z=\"1\"} 42 # "
          "{trace_id=\"abc\"} 1.5 @1625851151233",
          "HELP untyped_thing ", "TYPE untyped_thing unknown",
          "SERIES {__name__=\"untyped_thing\"} -1"));
}

TEST(ProtobufParserTest, SeriesBytesJoinNameAndLabelsWithSeparator) {
  pb::MetricFamily s;
  s.set_name("rpc");
  s.set_type(pb::SUMMARY);
  pb::Metric* m = s.add_metric();
  AddLabel(m, "b", "x");
  m->mutable_summary()->set_sample_count(3);
  pb::Quantile* q = m->mutable_summary()->add_quantile();
  q->set_quantile(0.5);
  q->set_value(1);
  std::string body = Delimited({s});
  ProtobufParser p(body);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(p.Next().ok());  // HELP, TYPE
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(Entry e, p.Next());
  ASSERT_EQ(e, Entry::kSeries);
  EXPECT_EQ(p.Series(), "rpc_count\xff" "b\xff" "x");
  EXPECT_EQ(p.MetricName(), "rpc_count");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(p.Series(), "rpc\xff" "b\xff" "x\xffquantile\xff" "0.5");
}

TEST(ProtobufParserTest, SummaryQuantilesFormattedLikePrometheus) {
  pb::MetricFamily s;
  s.set_name("gc");
  s.set_type(pb::SUMMARY);
  pb::Summary* sum = s.add_metric()->mutable_summary();
  sum->set_sample_count(10);
  sum->set_sample_sum(2.5);
  for (double qv : {0.0, 0.25, 1.0}) {
    pb::Quantile* q = sum->add_quantile();
    q->set_quantile(qv);
    q->set_value(qv * 10);
  }
  pb::MetricFamily none;
  none.set_name("noq");
  none.set_type(pb::SUMMARY);
  none.add_metric()->mutable_summary()->set_sample_count(1);
  EXPECT_THAT(Parse(Delimited({s, none})),
              ElementsAre("HELP gc ", "TYPE gc summary",
                          "SERIES {__name__=\"gc_count\"} 10",
                          "SERIES {__name__=\"gc_sum\"} 2.5",
                          "SERIES {__name__=\"gc\",quantile=\"0.0\"} 0",
                          "SERIES {__name__=\"gc\",quantile=\"0.25\"} 2.5",
                          "SERIES {__name__=\"gc\",quantile=\"1.0\"} 10",
                          "HELP noq ", "TYPE noq summary",
                          "SERIES {__name__=\"noq_count\"} 1",
                          "SERIES {__name__=\"noq_sum\"} 0"));
}

pb::MetricFamily ClassicHistogram(bool with_inf) {
  pb::MetricFamily h;
  h.set_name("lat");
  h.set_type(pb::HISTOGRAM);
  pb::Metric* m = h.add_metric();
  AddLabel(m, "a", "b");
  pb::Histogram* hist = m->mutable_histogram();
  hist->set_sample_count(7);
  hist->set_sample_sum(12.5);
  double bounds[] = {0.1, 1, 100000, 1e6};
  uint64_t cum = 1;
  for (double b : bounds) {
    pb::Bucket* bk = hist->add_bucket();
    bk->set_upper_bound(b);
    bk->set_cumulative_count(cum++);
  }
  hist->mutable_bucket(1)->mutable_exemplar()->set_value(0.7);
  hist->mutable_bucket(1)->mutable_exemplar()->mutable_timestamp()->set_seconds(
      10);
  if (with_inf) {
    pb::Bucket* bk = hist->add_bucket();
    bk->set_upper_bound(std::numeric_limits<double>::infinity());
    bk->set_cumulative_count(7);
  }
  return h;
}

TEST(ProtobufParserTest, ClassicHistogramGetsSyntheticInfBucket) {
  EXPECT_THAT(
      Parse(Delimited({ClassicHistogram(false)})),
      ElementsAre("HELP lat ", "TYPE lat histogram",
                  "SERIES {__name__=\"lat_count\",a=\"b\"} 7",
                  "SERIES {__name__=\"lat_sum\",a=\"b\"} 12.5",
                  "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"0.1\"} 1",
                  "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"1.0\"} 2 # {} "
                  "0.7 @10000",
                  "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"100000.0\"} 3",
                  "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"1e+06\"} 4",
                  "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"+Inf\"} 7"));
  std::vector<std::string> with_inf = Parse(Delimited({ClassicHistogram(true)}));
  EXPECT_EQ(with_inf.size(), 9u);
  EXPECT_EQ(with_inf.back(), "SERIES {__name__=\"lat_bucket\",a=\"b\",le=\"+Inf\"} 7");
}

pb::MetricFamily NativeHistogram(bool with_classic, bool is_float,
                                 bool gauge) {
  pb::MetricFamily h;
  h.set_name("nh");
  h.set_type(gauge ? pb::GAUGE_HISTOGRAM : pb::HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  hist->set_sample_sum(10.5);
  hist->set_schema(3);
  hist->set_zero_threshold(1e-128);
  if (is_float) {
    hist->set_sample_count_float(6.5);
    hist->set_zero_count_float(0.5);
  } else {
    hist->set_sample_count(6);
    hist->set_zero_count(1);
  }
  pb::BucketSpan* sp = hist->add_positive_span();
  sp->set_offset(-2);
  sp->set_length(2);
  sp = hist->add_positive_span();
  sp->set_offset(1);
  sp->set_length(1);
  if (is_float) {
    for (double c : {1.0, 2.0, 3.0}) hist->add_positive_count(c);
  } else {
    for (int64_t d : {1, 1, -1}) hist->add_positive_delta(d);
  }
  sp = hist->add_negative_span();
  sp->set_offset(0);
  sp->set_length(1);
  if (is_float) {
    hist->add_negative_count(1);
  } else {
    hist->add_negative_delta(1);
  }
  pb::Exemplar* ex = hist->add_exemplars();
  ex->set_value(3);
  ex->mutable_timestamp()->set_seconds(5);
  hist->add_exemplars()->set_value(4);  // no timestamp: dropped
  if (with_classic) {
    pb::Bucket* b = hist->add_bucket();
    b->set_upper_bound(1);
    b->set_cumulative_count(2);
  }
  return h;
}

TEST(ProtobufParserTest, NativeHistogramIsOneEntry) {
  EXPECT_THAT(Parse(Delimited({NativeHistogram(false, false, false)})),
              ElementsAre("HELP nh ", "TYPE nh histogram",
                          "HISTOGRAM {__name__=\"nh\"} schema=3 zt=1e-128 zc=1 "
                          "count=6 sum=10.5 pos=[-2:2,1:1] 1,1,-1 neg=[0:1] 1 "
                          "# {} 3 @5000"));
  EXPECT_THAT(Parse(Delimited({NativeHistogram(false, true, true)})),
              ElementsAre("HELP nh ", "TYPE nh gaugehistogram",
                          "HISTOGRAM {__name__=\"nh\"} float gauge schema=3 "
                          "zt=1e-128 zc=0.5 count=6.5 sum=10.5 "
                          "pos=[-2:2,1:1] 1,2,3 neg=[0:1] 1 # {} 3 @5000"));
}

TEST(ProtobufParserTest, ClassicBucketsOfNativeHistogramOnRequest) {
  ParserOptions opts;
  opts.scrape_classic_histograms = true;
  std::vector<std::string> got =
      Parse(Delimited({NativeHistogram(true, false, false)}), opts);
  ASSERT_EQ(got.size(), 7u);
  EXPECT_THAT(got[2], HasSubstr("HISTOGRAM"));
  EXPECT_EQ(got[3], "SERIES {__name__=\"nh_count\"} 6");
  EXPECT_EQ(got[4], "SERIES {__name__=\"nh_sum\"} 10.5");
  EXPECT_EQ(got[5], "SERIES {__name__=\"nh_bucket\",le=\"1.0\"} 2");
  EXPECT_EQ(got[6], "SERIES {__name__=\"nh_bucket\",le=\"+Inf\"} 6");
  // Without the option only the native histogram.
  EXPECT_EQ(Parse(Delimited({NativeHistogram(true, false, false)})).size(), 3u);
  // Native histograms disabled: classic series only.
  ParserOptions no_native;
  no_native.scrape_native_histograms = false;
  got = Parse(Delimited({NativeHistogram(false, false, false)}), no_native);
  EXPECT_THAT(got, ElementsAre("HELP nh ", "TYPE nh histogram",
                               "SERIES {__name__=\"nh_count\"} 6",
                               "SERIES {__name__=\"nh_sum\"} 10.5",
                               "SERIES {__name__=\"nh_bucket\",le=\"+Inf\"} 6"));
}

// Prometheus 3.x protobufparse.go with ConvertClassicHistogramsToNHCB
// (nhcbparse_test.go TestNHCBParser_NoNHCBWhenExponential's requirement
// table for protobuf): a classic-only histogram becomes one histogram with
// custom buckets, after its classic series when those are kept; one with
// native buckets stays native unless native histograms are not scraped,
// when its classic buckets convert.
TEST(ProtobufParserTest, ConvertClassicHistogramsToNhcb) {
  pb::MetricFamily ch;
  ch.set_name("ch");
  ch.set_type(pb::HISTOGRAM);
  pb::Histogram* h = ch.add_metric()->mutable_histogram();
  h->set_sample_count(3);
  h->set_sample_sum(4);
  for (auto [ub, cum] : {std::pair<double, uint64_t>{1, 1}, {2, 3}}) {
    pb::Bucket* b = h->add_bucket();
    b->set_upper_bound(ub);
    b->set_cumulative_count(cum);
  }
  const std::string nhcb =
      "HISTOGRAM {__name__=\"ch\"} schema=-53 zt=0 zc=0 count=3 sum=4 "
      "pos=[0:2] 1,1 cv=[1,2]";
  ParserOptions convert;
  convert.convert_classic_histograms_to_nhcb = true;
  EXPECT_THAT(Parse(Delimited({ch}), convert),
              ElementsAre("HELP ch ", "TYPE ch histogram", nhcb));
  ParserOptions keep = convert;
  keep.scrape_classic_histograms = true;
  EXPECT_THAT(Parse(Delimited({ch}), keep),
              ElementsAre("HELP ch ", "TYPE ch histogram",
                          "SERIES {__name__=\"ch_count\"} 3",
                          "SERIES {__name__=\"ch_sum\"} 4",
                          "SERIES {__name__=\"ch_bucket\",le=\"1.0\"} 1",
                          "SERIES {__name__=\"ch_bucket\",le=\"2.0\"} 3",
                          "SERIES {__name__=\"ch_bucket\",le=\"+Inf\"} 3",
                          nhcb));

  // Native and classic buckets: the native histogram alone...
  std::vector<std::string> got =
      Parse(Delimited({NativeHistogram(true, false, false)}), convert);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_THAT(got[2], HasSubstr("schema=3"));
  // ...unless native histograms are not scraped.
  ParserOptions classic_only = convert;
  classic_only.scrape_native_histograms = false;
  EXPECT_THAT(Parse(Delimited({NativeHistogram(true, false, false)}),
                    classic_only),
              ElementsAre("HELP nh ", "TYPE nh histogram",
                          "HISTOGRAM {__name__=\"nh\"} schema=-53 zt=0 zc=0 "
                          "count=6 sum=10.5 pos=[0:2] 2,2 cv=[1] # {} 3 "
                          "@5000"));

  // A histogram that does not convert fails the parse (convertToNHCB's
  // error is returned from Next).
  h->mutable_bucket(1)->set_cumulative_count(0);
  got = Parse(Delimited({ch}), convert);
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.back(), HasSubstr("count is not cumulative"));
}

TEST(ProtobufParserTest, SpanBucketMismatchIsAnError) {
  pb::MetricFamily h = NativeHistogram(false, false, false);
  h.mutable_metric(0)->mutable_histogram()->add_positive_delta(5);
  std::vector<std::string> got = Parse(Delimited({h}));
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.back(),
              HasSubstr("histogram \"nh\": positive side: spans require 3 "
                        "buckets, have 4"));
}

// Found by tests/difffuzz against 2.42: updateMetricBytes checks label
// names against the legacy character set before empty labels are dropped;
// 3.x (utf8_names) accepts any UTF-8 name.
TEST(ProtobufParserTest, LegacyLabelNameCheckedUnder2) {
  pb::MetricFamily g;
  g.set_name("g");
  g.set_type(pb::GAUGE);
  pb::Metric* m = g.add_metric();
  AddLabel(m, "1x", "");
  m->mutable_gauge()->set_value(1);
  EXPECT_THAT(Parse(Delimited({g})).back(), HasSubstr("invalid label name"));
  ParserOptions v3;
  v3.utf8_names = true;
  EXPECT_THAT(Parse(Delimited({g}), v3).back(), HasSubstr("SERIES"));
}

// Found by tests/difffuzz against 2.42: the generated unmarshalling fails a
// known field with the wrong wire type also inside a value of another type
// (here an Untyped whose value is a varint, in a gauge family).
TEST(ProtobufParserTest, WrongWireTypeInUnusedValueFails) {
  pb::MetricFamily g;
  g.set_name("g");
  g.set_type(pb::GAUGE);
  pb::Metric* m = g.add_metric();
  m->mutable_gauge()->set_value(1);
  std::string metric = m->SerializeAsString();
  metric += std::string("\x2a\x02\x08\x14", 4);  // untyped {1: varint 20}
  std::string family = std::string("\x0a\x01g\x18\x01\x22", 6);
  AppendVarint(metric.size(), &family);
  family += metric;
  std::string body;
  AppendVarint(family.size(), &body);
  body += family;
  EXPECT_THAT(Parse(body).back(), HasSubstr("invalid Metric message"));
}

// Found by tests/difffuzz against 2.42 (the same in 3.x): getMagicLabel
// ends a classic histogram at its first +Inf bucket; later buckets are not
// series, and no synthetic +Inf bucket follows.
TEST(ProtobufParserTest, ClassicBucketsEndAtFirstInfBucket) {
  pb::MetricFamily h;
  h.set_name("h");
  h.set_type(pb::HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  hist->set_sample_count(2);
  hist->set_sample_sum(3);
  pb::Bucket* inf = hist->add_bucket();
  inf->set_upper_bound(std::numeric_limits<double>::infinity());
  inf->set_cumulative_count(2);
  pb::Bucket* ten = hist->add_bucket();
  ten->set_upper_bound(10);
  ten->set_cumulative_count(2);
  for (bool v3 : {false, true}) {
    ParserOptions options;
    options.prometheus3_grammar = v3;
    EXPECT_THAT(Parse(Delimited({h}), options),
                ElementsAre("HELP h ", "TYPE h histogram",
                            "SERIES {__name__=\"h_count\"} 2",
                            "SERIES {__name__=\"h_sum\"} 3",
                            "SERIES {__name__=\"h_bucket\",le=\"+Inf\"} 2"))
        << v3;
  }
}

// Found by tests/difffuzz against 2.42: its getMagicName adds _count, _sum
// and _bucket to HISTOGRAM families only, so a classic GAUGE_HISTOGRAM's
// series keep the bare family name (fixed upstream in 9e500345f3, 2.45;
// 3.x adds the suffixes).
TEST(ProtobufParserTest, ClassicGaugeHistogramNamesUnder2And3) {
  pb::MetricFamily h;
  h.set_name("gh");
  h.set_type(pb::GAUGE_HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  hist->set_sample_count(4);
  hist->set_sample_sum(1.5);
  pb::Bucket* b = hist->add_bucket();
  b->set_upper_bound(1);
  b->set_cumulative_count(3);
  EXPECT_THAT(Parse(Delimited({h})),
              ElementsAre("HELP gh ", "TYPE gh gaugehistogram",
                          "SERIES {__name__=\"gh\"} 4",
                          "SERIES {__name__=\"gh\"} 1.5",
                          "SERIES {__name__=\"gh\",le=\"1.0\"} 3",
                          "SERIES {__name__=\"gh\",le=\"+Inf\"} 4"));
  ParserOptions v3;
  v3.prometheus3_grammar = true;
  EXPECT_THAT(Parse(Delimited({h}), v3),
              ElementsAre("HELP gh ", "TYPE gh gaugehistogram",
                          "SERIES {__name__=\"gh_count\"} 4",
                          "SERIES {__name__=\"gh_sum\"} 1.5",
                          "SERIES {__name__=\"gh_bucket\",le=\"1.0\"} 3",
                          "SERIES {__name__=\"gh_bucket\",le=\"+Inf\"} 4"));
}

// Found by tests/difffuzz against 2.42: it decides native or classic once
// per family from the first metric (Next's EntryType state); 3.x decides
// per metric.
TEST(ProtobufParserTest, NativeOrClassicDecidedByFirstMetricUnder2) {
  pb::MetricFamily h;
  h.set_name("h");
  h.set_type(pb::HISTOGRAM);
  pb::Histogram* classic = h.add_metric()->mutable_histogram();
  classic->set_sample_count(1);
  pb::Metric* m = h.add_metric();
  AddLabel(m, "n", "2");
  pb::Histogram* native = m->mutable_histogram();
  native->set_sample_count(1);
  native->set_zero_threshold(0.5);
  native->set_zero_count(1);
  std::vector<std::string> got2 = Parse(Delimited({h}));
  EXPECT_THAT(got2, Contains("SERIES {__name__=\"h_count\",n=\"2\"} 1"));
  EXPECT_THAT(got2, Not(Contains(HasSubstr("HISTOGRAM"))));
  ParserOptions v3;
  v3.prometheus3_grammar = true;
  std::vector<std::string> got3 = Parse(Delimited({h}), v3);
  EXPECT_THAT(got3, Not(Contains("SERIES {__name__=\"h_count\",n=\"2\"} 1")));
  EXPECT_THAT(got3, Contains(HasSubstr("HISTOGRAM {__name__=\"h\",n=\"2\"}")));
}

TEST(ProtobufParserTest, FramingErrors) {
  EXPECT_THAT(Parse(std::string("\xff\xff\xff\xff\xff\xff", 6)).back(),
              HasSubstr("byte offset 0: clientpb: invalid varint encountered"));
  EXPECT_THAT(Parse(std::string("\x05\x0a\x01", 3)).back(),
              HasSubstr("clientpb: insufficient length of buffer, expected at "
                        "least 5 bytes, got 2 bytes"));
  pb::MetricFamily bad;
  bad.set_name("x");
  bad.set_type(static_cast<pb::MetricType>(9));
  bad.add_metric()->mutable_gauge()->set_value(1);
  EXPECT_THAT(Parse(Delimited({bad})).back(),
              HasSubstr("unknown metric type for metric \"x\""));
  pb::MetricFamily noname;
  noname.add_metric();
  EXPECT_THAT(Parse(Delimited({noname})).back(),
              HasSubstr("invalid metric name"));
}

TEST(ProtobufParserTest, EveryTruncationFailsCleanly) {
  std::string body = Delimited({ClassicHistogram(false),
                                NativeHistogram(true, false, false)});
  for (size_t n = 0; n < body.size(); ++n) {
    std::string cut = body.substr(0, n);  // own buffer: ASAN sees overreads
    ProtobufParser p(cut);
    std::vector<std::string> got = ParseAll(p);
    if (n > 0 && n < body.size()) {
      // Either an error or a clean end at a frame boundary.
      SUCCEED();
    }
  }
}

}  // namespace
}  // namespace promscrape::textparse
