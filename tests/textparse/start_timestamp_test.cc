// Start (created) timestamps as Prometheus 3.x' parsers read them with
// ParseST: model/textparse/openmetricsparse_test.go (TestOpenMetricsParse's
// `foo`, `bar`, `baz`, `something`, `yum`, `foobar` and `fizz_created`
// families, TestOpenMetricsParseSTEdgeCases' "_created line is a first
// one"), protobufparse_test.go (created timestamps of counters, summaries,
// histograms) and nhcbparse.go (the converted histogram takes the start
// timestamp of its first classic series).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/textparse/parser.h"
#include "proto/io/prometheus/client/metrics.pb.h"
#include "tests/testutil/delimited_families.h"

namespace promscrape::textparse {
namespace {

namespace pb = ::io::prometheus::client;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// "<series bytes> st=<start timestamp>" per series or histogram entry.
std::vector<std::string> SeriesWithStart(Format format, const std::string& body,
                                         ParserOptions options) {
  std::unique_ptr<Parser> p = NewParser(format, body, options);
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<Entry> e = p->Next();
    if (!e.ok()) {
      out.push_back(absl::StrCat("ERROR ", e.status().message()));
      break;
    }
    if (*e == Entry::kEof) break;
    if (*e != Entry::kSeries && *e != Entry::kHistogram) continue;
    std::vector<Label> labels;
    p->Labels(&labels);
    std::string series;
    for (const Label& l : labels) {
      absl::StrAppend(&series, series.empty() ? "" : ",", l.name, "=", l.value);
    }
    out.push_back(absl::StrCat(series, " st=", p->StartTimestamp()));
  }
  return out;
}

ParserOptions WithStart(bool on) {
  ParserOptions o;
  o.utf8_names = true;
  o.prometheus3_grammar = true;
  o.parse_start_timestamps = on;
  return o;
}

constexpr char kOpenMetricsBody[] = R"(# HELP foo Counter with and without labels
# TYPE foo counter
foo_total 17.0 1520879607.789 # {id="counter-test"} 5
foo_created 1520872607.123
foo_total{a="b"} 17.0 1520879607.789 # {id="counter-test"} 5
foo_created{a="b"} 1520872607.123
foo_total{le="c"} 21.0
foo_created{le="c"} 1520872621.123
foo_total{le="1"} 10.0
# HELP bar Summary with ST at the end
# TYPE bar summary
bar_count 17.0
bar_sum 324789.3
bar{quantile="0.95"} 123.7
bar{quantile="0.99"} 150.0
bar_created 1520872608.124
# HELP baz Histogram with the same objective as above's summary
# TYPE baz histogram
baz_bucket{le="0.0"} 0
baz_bucket{le="+Inf"} 17
baz_count 17
baz_sum 324789.3
baz_created 1520872609.125
# HELP fizz_created Gauge which shouldn't be parsed as ST
# TYPE fizz_created gauge
fizz_created 17.0
# HELP something Histogram with _created between buckets and summary
# TYPE something histogram
something_count 18
something_sum 324789.4
something_created 1520430001
something_bucket{le="0.0"} 1
something_bucket{le="1"} 2
something_bucket{le="+Inf"} 18
# HELP yum Summary with _created between sum and quantiles
# TYPE yum summary
yum_count 20
yum_sum 324789.5
yum_created 1520430003
yum{quantile="0.95"} 123.7
yum{quantile="0.99"} 150.0
# HELP foobar Summary with _created as the first line
# TYPE foobar summary
foobar_count 21
foobar_created 1520430004
foobar_sum 324789.6
foobar{quantile="0.95"} 123.8
foobar{quantile="0.99"} 150.1
# EOF
)";

TEST(StartTimestampTest, OpenMetricsCreatedLinesBecomeStartTimestamps) {
  EXPECT_THAT(
      SeriesWithStart(Format::kOpenMetrics, kOpenMetricsBody, WithStart(true)),
      ElementsAreArray({
          "__name__=foo_total st=1520872607123",
          "__name__=foo_total,a=b st=1520872607123",
          "__name__=foo_total,le=c st=1520872621123",
          // The next line is metadata: no start timestamp.
          "__name__=foo_total,le=1 st=0",
          "__name__=bar_count st=1520872608124",
          "__name__=bar_sum st=1520872608124",
          "__name__=bar,quantile=0.95 st=1520872608124",
          "__name__=bar,quantile=0.99 st=1520872608124",
          "__name__=baz_bucket,le=0.0 st=1520872609125",
          "__name__=baz_bucket,le=+Inf st=1520872609125",
          "__name__=baz_count st=1520872609125",
          "__name__=baz_sum st=1520872609125",
          // A gauge's `_created` is its own series.
          "__name__=fizz_created st=0",
          "__name__=something_count st=1520430001000",
          "__name__=something_sum st=1520430001000",
          // Past the `_created` line: Prometheus' cache of the last hit.
          "__name__=something_bucket,le=0.0 st=1520430001000",
          "__name__=something_bucket,le=1.0 st=1520430001000",
          "__name__=something_bucket,le=+Inf st=1520430001000",
          "__name__=yum_count st=1520430003000",
          "__name__=yum_sum st=1520430003000",
          "__name__=yum,quantile=0.95 st=1520430003000",
          "__name__=yum,quantile=0.99 st=1520430003000",
          "__name__=foobar_count st=1520430004000",
          "__name__=foobar_sum st=1520430004000",
          "__name__=foobar,quantile=0.95 st=1520430004000",
          "__name__=foobar,quantile=0.99 st=1520430004000",
      }));
}

TEST(StartTimestampTest, OpenMetricsWithoutParseStKeepsCreatedSeries) {
  const std::vector<std::string> got =
      SeriesWithStart(Format::kOpenMetrics, kOpenMetricsBody, WithStart(false));
  EXPECT_THAT(got, ::testing::Contains("__name__=foo_created st=0"));
  EXPECT_THAT(got, ::testing::Contains("__name__=yum_created st=0"));
  EXPECT_EQ(got.size(), 26u + 8u);  // and the eight `_created` lines
}

TEST(StartTimestampTest, OpenMetricsCreatedFirstIsNotFound) {
  // TestOpenMetricsParseSTEdgeCases: "Should be 1520872607123" upstream,
  // but the look-ahead only searches forward.
  EXPECT_THAT(SeriesWithStart(Format::kOpenMetrics, R"(# TYPE thing histogram
thing_created 1520872607.123
thing_count 17
thing_sum 324789.3
thing_bucket{le="0.0"} 0
thing_bucket{le="+Inf"} 17
# TYPE thing_c counter
thing_c_created 1520872607.123
thing_c_total 14123.232
# EOF
)",
                              WithStart(true)),
              ElementsAre("__name__=thing_count st=0", "__name__=thing_sum st=0",
                          "__name__=thing_bucket,le=0.0 st=0",
                          "__name__=thing_bucket,le=+Inf st=0",
                          "__name__=thing_c_total st=0"));
}

TEST(StartTimestampTest, OpenMetricsOtherSeriesCreatedLineMeansNone) {
  // The first `_created` line decides; it belongs to {a="2"}.
  EXPECT_THAT(SeriesWithStart(Format::kOpenMetrics, R"(# TYPE c counter
c_total{a="1"} 1
c_total{a="2"} 2
c_created{a="2"} 100
c_created{a="1"} 50
# EOF
)",
                              WithStart(true)),
              ElementsAre("__name__=c_total,a=1 st=0",
                          "__name__=c_total,a=2 st=100000"));
}

TEST(StartTimestampTest, OpenMetricsLookAheadLeavesParserWhereItWas) {
  // Exemplars, timestamps and a parse error further on: StartTimestamp()
  // must not disturb the current entry nor report the later error early.
  const std::string body = R"(# TYPE c counter
c_total{a="1"} 1 123.5 # {id="x"} 7 5
c_created{a="1"} 50
c_total{a="2"} 2
bad line here
# EOF
)";
  std::unique_ptr<Parser> p =
      NewParser(Format::kOpenMetrics, body, WithStart(true));
  ASSERT_EQ(*p->Next(), Entry::kType);
  ASSERT_EQ(*p->Next(), Entry::kSeries);
  Exemplar ex;
  ASSERT_TRUE(p->NextExemplar(&ex));
  EXPECT_EQ(ex.value, 7);
  EXPECT_EQ(p->StartTimestamp(), 50000);
  // An exemplar already taken stays taken across the look-ahead.
  EXPECT_FALSE(p->NextExemplar(&ex));
  EXPECT_EQ(p->Value(), 1);
  EXPECT_TRUE(p->has_timestamp());
  EXPECT_EQ(p->timestamp_ms(), 123500);
  ASSERT_EQ(*p->Next(), Entry::kSeries);
  EXPECT_EQ(p->StartTimestamp(), 0);  // the look-ahead meets the bad line
  EXPECT_EQ(p->Value(), 2);
  EXPECT_FALSE(p->Next().ok());
}

std::string ProtoBody() {
  std::vector<pb::MetricFamily> families;
  auto add = [&families](const pb::MetricFamily& mf) { families.push_back(mf); };
  pb::MetricFamily c;
  c.set_name("requests_total");
  c.set_type(pb::COUNTER);
  pb::Metric* m = c.add_metric();
  m->mutable_counter()->set_value(42);
  m->mutable_counter()->mutable_created_timestamp()->set_seconds(1625851153);
  m->mutable_counter()->mutable_created_timestamp()->set_nanos(146848499);
  c.add_metric()->mutable_counter()->set_value(1);  // no created timestamp
  add(c);
  pb::MetricFamily s;
  s.set_name("rpc_seconds");
  s.set_type(pb::SUMMARY);
  pb::Summary* sum = s.add_metric()->mutable_summary();
  sum->set_sample_count(3);
  sum->set_sample_sum(1.5);
  pb::Quantile* q = sum->add_quantile();
  q->set_quantile(0.5);
  q->set_value(0.4);
  sum->mutable_created_timestamp()->set_seconds(1625851153);
  sum->mutable_created_timestamp()->set_nanos(999999999);
  add(s);
  pb::MetricFamily h;
  h.set_name("latency_seconds");
  h.set_type(pb::HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  hist->set_sample_count(2);
  hist->set_sample_sum(0.3);
  pb::Bucket* b = hist->add_bucket();
  b->set_upper_bound(0.5);
  b->set_cumulative_count(2);
  hist->mutable_created_timestamp()->set_seconds(1000);
  add(h);
  pb::MetricFamily g;
  g.set_name("temperature");
  g.set_type(pb::GAUGE);
  g.add_metric()->mutable_gauge()->set_value(20);
  add(g);
  return ::promscrape::testing::DelimitedFamilies(families);
}

TEST(StartTimestampTest, ProtobufCreatedTimestamps) {
  EXPECT_THAT(
      SeriesWithStart(Format::kProtobuf, ProtoBody(), WithStart(true)),
      ElementsAreArray({
          "__name__=requests_total st=1625851153146",
          "__name__=requests_total st=0",
          "__name__=rpc_seconds_count st=1625851153999",
          "__name__=rpc_seconds_sum st=1625851153999",
          "__name__=rpc_seconds,quantile=0.5 st=1625851153999",
          "__name__=latency_seconds_count st=1000000",
          "__name__=latency_seconds_sum st=1000000",
          "__name__=latency_seconds_bucket,le=0.5 st=1000000",
          "__name__=latency_seconds_bucket,le=+Inf st=1000000",
          "__name__=temperature st=0",
      }));
}

TEST(StartTimestampTest, NhcbHistogramTakesItsClassicSeriesStart) {
  ParserOptions o = WithStart(true);
  o.convert_classic_histograms_to_nhcb = true;
  EXPECT_THAT(SeriesWithStart(Format::kOpenMetrics, R"(# TYPE baz histogram
baz_bucket{le="0.5"} 1
baz_bucket{le="+Inf"} 2
baz_count 2
baz_sum 0.7
baz_created 1520872609.125
# TYPE c counter
c_total 3
c_created 10
# EOF
)",
                              o),
              ElementsAre("__name__=baz st=1520872609125",
                          "__name__=c_total st=10000"));
}

}  // namespace
}  // namespace promscrape::textparse
