#include "plugin/textparse/openmetrics_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/textparse/parser_test_util.h"

namespace promscrape::textparse {
namespace {

using ::promscrape::testing::StatusIs;
using ::promscrape::textparse::testing::ParseAll;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using namespace std::string_literals;

std::vector<std::string> Parse(const std::string& body) {
  OpenMetricsParser p(body);
  return ParseAll(p);
}

// Prometheus' TestOpenMetricsParse input (paraphrased), read with 3.x'
// grammar (exemplars on any sample; 2.42 fails at `hhh_count`, see
// Prometheus2And3GrammarDiffer) and `_created` lines as ordinary series.
TEST(OpenMetricsParserTest, PrometheusParseScenario) {
  const std::string body =
      "# HELP go_gc_duration_seconds A summary of the GC invocation "
      "durations.\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "# UNIT go_gc_duration_seconds seconds\n"
      "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
      "go_gc_duration_seconds{quantile=\"0.25\"} 7.424100000000001e-05\n"
      "go_gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
      "# HELP nohelp1 \n"
      "# HELP help2 escape \\ \\n \\\\ \\\" \\x chars\n"
      "# UNIT nounit \n"
      "go_gc_duration_seconds{quantile=\"1.0\",a=\"b\"} 8.3835e-05\n"
      "go_gc_duration_seconds_count 99\n"
      "some:aggregate:rate5m{a_b=\"c\"} 1\n"
      "# HELP go_goroutines Number of goroutines that currently exist.\n"
      "# TYPE go_goroutines gauge\n"
      "go_goroutines 33 123.123\n"
      "# TYPE hh histogram\n"
      "hh_bucket{le=\"+Inf\"} 1\n"
      "# TYPE gh gaugehistogram\n"
      "gh_bucket{le=\"+Inf\"} 1\n"
      "# TYPE hhh histogram\n"
      "hhh_bucket{le=\"+Inf\"} 1 # {id=\"histogram-bucket-test\"} 4\n"
      "hhh_count 1 # {id=\"histogram-count-test\"} 4\n"
      "# TYPE ggh gaugehistogram\n"
      "ggh_bucket{le=\"+Inf\"} 1 # {id=\"gaugehistogram-bucket-test\","
      "xx=\"yy\"} 4 123.123\n"
      "# TYPE smr_seconds summary\n"
      "smr_seconds_count 2.0 # {id=\"summary-count-test\"} 1 123.321\n"
      "smr_seconds_sum 42.0 # {id=\"summary-sum-test\"} 1 123.321\n"
      "# TYPE ii info\n"
      "ii{foo=\"bar\"} 1\n"
      "# TYPE ss stateset\n"
      "ss{ss=\"foo\"} 1\n"
      "ss{ss=\"bar\"} 0\n"
      "# TYPE un unknown\n"
      "_metric_starting_with_underscore 1\n"
      "testmetric{_label_starting_with_underscore=\"foo\"} 1\n"
      "testmetric{label=\"\\\"bar\\\"\"} 1\n"
      "# TYPE foo counter\n"
      "foo_total 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "foo_created 1520872607.123\n"
      "foo_total{a=\"b\"} 17.0 1520879607.789 # {id=\"counter-test\"} 5\n"
      "foo_created{a=\"b\"} 1520872607.123\n"
      "# TYPE fizz_created gauge\n"
      "fizz_created 17.0\n"
      "nan_lower nan\n"
      "nan_upper NaN\n"
      "# EOF\n";
  OpenMetricsParser p(body, /*utf8_names=*/false, /*prometheus3_grammar=*/true);
  EXPECT_THAT(
      ParseAll(p),
      ElementsAreArray(std::vector<std::string>{
          "HELP go_gc_duration_seconds A summary of the GC invocation "
          "durations.",
          "TYPE go_gc_duration_seconds summary",
          "UNIT go_gc_duration_seconds seconds",
          "SERIES {__name__=\"go_gc_duration_seconds\",quantile=\"0.0\"} "
          "4.9351e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",quantile=\"0.25\"} "
          "7.424100000000001e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile="
          "\"0.5\"} 8.3835e-05",
          "HELP nohelp1 ",
          "HELP help2 escape \\ \n \\ \" \\x chars",
          "UNIT nounit ",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile="
          "\"1.0\"} 8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds_count\"} 99",
          "SERIES {__name__=\"some:aggregate:rate5m\",a_b=\"c\"} 1",
          "HELP go_goroutines Number of goroutines that currently exist.",
          "TYPE go_goroutines gauge",
          "SERIES {__name__=\"go_goroutines\"} 33 @123123",
          "TYPE hh histogram",
          "SERIES {__name__=\"hh_bucket\",le=\"+Inf\"} 1",
          "TYPE gh gaugehistogram",
          "SERIES {__name__=\"gh_bucket\",le=\"+Inf\"} 1",
          "TYPE hhh histogram",
          "SERIES {__name__=\"hhh_bucket\",le=\"+Inf\"} 1 # "
          "{id=\"histogram-bucket-test\"} 4",
          "SERIES {__name__=\"hhh_count\"} 1 # {id=\"histogram-count-test\"} 4",
          "TYPE ggh gaugehistogram",
          "SERIES {__name__=\"ggh_bucket\",le=\"+Inf\"} 1 # "
          "{id=\"gaugehistogram-bucket-test\",xx=\"yy\"} 4 @123123",
          "TYPE smr_seconds summary",
          "SERIES {__name__=\"smr_seconds_count\"} 2 # "
          "{id=\"summary-count-test\"} 1 @123321",
          "SERIES {__name__=\"smr_seconds_sum\"} 42 # "
          "{id=\"summary-sum-test\"} 1 @123321",
          "TYPE ii info",
          "SERIES {__name__=\"ii\",foo=\"bar\"} 1",
          "TYPE ss stateset",
          "SERIES {__name__=\"ss\",ss=\"foo\"} 1",
          "SERIES {__name__=\"ss\",ss=\"bar\"} 0",
          "TYPE un unknown",
          "SERIES {__name__=\"_metric_starting_with_underscore\"} 1",
          "SERIES {__name__=\"testmetric\",_label_starting_with_underscore="
          "\"foo\"} 1",
          "SERIES {__name__=\"testmetric\",label=\"\\\"bar\\\"\"} 1",
          "TYPE foo counter",
          "SERIES {__name__=\"foo_total\"} 17 @1520879607789 # "
          "{id=\"counter-test\"} 5",
          "SERIES {__name__=\"foo_created\"} 1.520872607123e+09",
          "SERIES {__name__=\"foo_total\",a=\"b\"} 17 @1520879607789 # "
          "{id=\"counter-test\"} 5",
          "SERIES {__name__=\"foo_created\",a=\"b\"} 1.520872607123e+09",
          "TYPE fizz_created gauge",
          "SERIES {__name__=\"fizz_created\"} 17",
          "SERIES {__name__=\"nan_lower\"} NaN",
          "SERIES {__name__=\"nan_upper\"} NaN",
      }));
}

TEST(OpenMetricsParserTest, SeriesBytesAndTimestamps) {
  OpenMetricsParser p(
      "a{b=\"c\"} 1 10000\nb_total 2 1.5 # {x=\"y\"} 3 10000\n# EOF");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(Entry e, p.Next());
  ASSERT_EQ(e, Entry::kSeries);
  EXPECT_EQ(p.Series(), "a{b=\"c\"}");
  EXPECT_EQ(p.timestamp_ms(), 10000000);
  Exemplar ex;
  EXPECT_FALSE(p.NextExemplar(&ex));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(p.Series(), "b_total");
  EXPECT_EQ(p.timestamp_ms(), 1500);
  ASSERT_TRUE(p.NextExemplar(&ex));
  EXPECT_EQ(ex.value, 3);
  EXPECT_EQ(ex.timestamp_ms, 10000000);
  EXPECT_THAT(ex.labels, ElementsAre(Label{"x", "y"}));
  EXPECT_FALSE(p.NextExemplar(&ex));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(e, Entry::kEof);
}

TEST(OpenMetricsParserTest, Grammar) {
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"eof only", "# EOF\n", {}},
      {"eof without newline", "a 1\n# EOF", {"SERIES {__name__=\"a\"} 1"}},

      {"empty braces", "a{} 1\n# EOF\n", {"SERIES {__name__=\"a\"} 1"}},
      {"escapes", "a{b=\"x\\\\y\\\"z\\n\"} 1\n# EOF\n",
       {"SERIES {__name__=\"a\",b=\"x\\\\y\\\"z\\n\"} 1"}},
      {"exemplar without timestamp on a plain value",
       "a_total 1 # {t=\"x\"} 2\n# EOF\n",
       {"SERIES {__name__=\"a_total\"} 1 # {t=\"x\"} 2"}},
      {"exemplar with empty labels", "a_bucket 1 # {} 2\n# EOF\n",
       {"SERIES {__name__=\"a_bucket\"} 1 # {} 2"}},
      {"all types",
       "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n"
       "# TYPE d gaugehistogram\n# TYPE e summary\n# TYPE f info\n"
       "# TYPE g stateset\n# TYPE h unknown\n# EOF\n",
       {"TYPE a counter", "TYPE b gauge", "TYPE c histogram",
        "TYPE d gaugehistogram", "TYPE e summary", "TYPE f info",
        "TYPE g stateset", "TYPE h unknown"}},
      {"unit suffix", "# UNIT a_seconds seconds\n# EOF\n",
       {"UNIT a_seconds seconds"}},
      {"negative timestamp", "a 1 -1.5\n# EOF\n",
       {"SERIES {__name__=\"a\"} 1 @-1500"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Parse(c.body), ElementsAreArray(c.want));
  }
}

TEST(OpenMetricsParserTest, Errors) {
  struct Case {
    std::string body;
    const char* want;
  };
  const Case cases[] = {
      {"", "data does not end with # EOF"},
      {"\n", "expected a valid start token"},
      {"metric", "expected value after metric"},
      {"metric 1", "data does not end with # EOF"},
      {"metric 1\n", "data does not end with # EOF"},
      {"metric_total 1 # {aa=\"bb\"} 4", "data does not end with # EOF"},
      {"a\n#EOF\n", "expected value after metric"},
      {"\n\n#EOF\n", "expected a valid start token"},
      {" a 1\n#EOF\n", "expected a valid start token"},
      {"9\n#EOF\n", "expected a valid start token"},
      {"# TYPE u untyped\n#EOF\n", "invalid metric type \"untyped\""},
      {"# TYPE c counter \n#EOF\n", "invalid metric type \"counter \""},
      {"# TYPE c  counter\n#EOF\n", "invalid metric type \" counter\""},
      {"#  TYPE c counter\n#EOF\n", "expected a valid metadata line"},
      {"#\tTYPE c counter\n#EOF\n", "expected a valid metadata line"},
      {"# comment\n# EOF\n", "expected a valid metadata line"},
      {"# UNIT metric suffix\n#EOF\n",
       "unit \"suffix\" not a suffix of metric \"metric\""},
      {"# UNIT metricsuffix suffix\n#EOF\n",
       "unit \"suffix\" not a suffix of metric \"metricsuffix\""},
      {"# UNIT m suffix\n#EOF\n", "not a suffix of metric \"m\""},
      {"# UNIT \n#EOF\n", "expected metric name after UNIT"},
      {"# UNIT m\n#EOF\n", "expected text in UNIT"},
      {"# HELP \n#EOF\n", "expected metric name after HELP"},
      {"# HELP m\n#EOF\n", "expected text in HELP"},
      {"# TYPE m\n#EOF\n", "expected text in TYPE"},
      {"a\t1\n#EOF\n", "expected value after metric"},
      {"a 1\t2\n#EOF\n",
       "strconv.ParseFloat: parsing \"1\t2\": invalid syntax"},
      {"a 1 2 \n#EOF\n", "expected next entry after timestamp"},
      {"a 1 2 #\n#EOF\n", "expected next entry after timestamp"},
      {"a 1 1z\n#EOF\n", "strconv.ParseFloat: parsing \"1z\": invalid syntax"},
      {"a 1e 5\n# EOF\n",
       "strconv.ParseFloat: parsing \"1e\": invalid syntax while parsing: "
       "\"a 1e\""},
      {"a 1e400\n# EOF\n",
       "strconv.ParseFloat: parsing \"1e400\": value out of range"},
      {"a 1{\n# EOF\n", "strconv.ParseFloat: parsing \"1{\": invalid syntax"},
      {" # EOF\n", "expected a valid start token"},
      {"# EOF\na 1", "unexpected data after # EOF"},
      {"# EOF\n\n", "unexpected data after # EOF"},
      {"# EOFa 1", "unexpected data after # EOF"},
      {"a 1 1 1\n# EOF\n", "expected next entry after timestamp"},
      {"a{b='c'} 1\n# EOF\n", "expected label value"},
      {"a{,b=\"c\"} 1\n# EOF\n", "expected label name, got \",\""},
      {"a{b=\"c\"d=\"e\"} 1\n# EOF\n", "expected comma or brace close"},
      {"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", "expected label name"},
      {"a{b=\n# EOF\n", "expected label value"},
      {"a{b=\"x\ny\"} 1\n# EOF\n", "expected label value"},
      {"a{\xff=\"foo\"} 1\n# EOF\n", "expected label name"},
      {"a{b=\"\xff\"} 1\n# EOF\n", "invalid UTF-8 label value"},
      {"a true\n", "strconv.ParseFloat: parsing \"true\": invalid syntax"},
      {"something_weird{problem=\"\n# EOF\n", "expected label value"},
      {"empty_label_name{=\"\"} 0\n# EOF\n", "expected label name"},
      {"foo 1_2\n\n# EOF\n", "unsupported character in float"},
      {"foo 0x1p-3\n\n# EOF\n", "unsupported character in float"},
      {"foo 0 1_2\n\n# EOF\n", "unsupported character in float"},
      {"custom_metric_total 1 # {aa=bb}\n# EOF\n", "expected label value"},
      {"custom_metric_total 1 # {aa=\"bb\"}\n# EOF\n",
       "expected value after exemplar labels"},
      {"custom_metric_total 1 # {aa=\"bb\"}",
       "expected value after exemplar labels"},
      {"custom_metric_total 1 # {bb}\n# EOF\n", "expected equal"},
      {"custom_metric_total 1 # {aa=\"bb\"} 1 -Inf\n# EOF\n",
       "invalid exemplar timestamp -Inf"},
      {"custom_metric_total 1 # {aa=\"bb\"} 1 1 1\n# EOF\n",
       "expected next entry after exemplar"},
      {"a 1 NaN\n# EOF\n", "invalid timestamp NaN"},
      {"a 1 -Inf\n# EOF\n", "invalid timestamp -Inf"},
      {"a 1 Inf\n# EOF\n", "invalid timestamp Inf"},
      {"{b=\"c\"} 1\n# EOF\n", "expected a valid start token"},
      {"a 1\nb 2\nc 3 x\n# EOF\n", "line 3:"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    OpenMetricsParser p(c.body);
    absl::Status status;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<Entry> e = p.Next();
      if (!e.ok()) {
        status = e.status();
        break;
      }
      if (*e == Entry::kEof) break;
    }
    EXPECT_THAT(status,
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)));
  }
}

std::vector<std::string> ParseUtf8(const std::string& body) {
  OpenMetricsParser p(body, /*utf8_names=*/true, /*prometheus3_grammar=*/true);
  return ParseAll(p);
}

// Prometheus 3.x' normalizeFloatsInLabelValues in openmetricsparse.go: `le`
// of a histogram and `quantile` of a summary become OpenMetrics floats; a
// gaugehistogram's `le` and exemplar labels stay as written.
TEST(OpenMetricsParserTest, LeAndQuantileNormalisedUnder3) {
  const std::string body =
      "# TYPE h histogram\n"
      "h_bucket{le=\"1\"} 1 # {le=\"1\"} 2\n"
      "h_bucket{le=\"+Inf\"} 3\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.90\"} 4\n"
      "# TYPE gh gaugehistogram\n"
      "gh_bucket{le=\"1\"} 5\n"
      "# EOF\n";
  OpenMetricsParser v3(body, /*utf8_names=*/false,
                       /*prometheus3_grammar=*/true);
  EXPECT_THAT(ParseAll(v3),
              ElementsAre("TYPE h histogram",
                          "SERIES {__name__=\"h_bucket\",le=\"1.0\"} 1 # "
                          "{le=\"1\"} 2",
                          "SERIES {__name__=\"h_bucket\",le=\"+Inf\"} 3",
                          "TYPE s summary",
                          "SERIES {__name__=\"s\",quantile=\"0.9\"} 4",
                          "TYPE gh gaugehistogram",
                          "SERIES {__name__=\"gh_bucket\",le=\"1\"} 5"));
  OpenMetricsParser v2(body);
  EXPECT_THAT(ParseAll(v2),
              ::testing::Contains("SERIES {__name__=\"s\",quantile=\"0.90\"} 4"));
}

// Found by tests/difffuzz against Prometheus 2.42 (which fails these
// scrapes); 3.x read from its openmetricsparse.go (parseLVals: "Free
// trailing commas are allowed"; parseComment without 2.42's
// validateNameForExemplar).
// Found by tests/difffuzz against Prometheus 2.42 (openmetricslex.l is the
// same in 3.x): next() skips NULs in the comment state, so they may split
// HELP/TYPE/UNIT/EOF and precede the name; a NUL right after `# ` fails.
TEST(OpenMetricsParserTest, NulBytesInCommentsAsOpenmetricslex) {
  using namespace std::string_literals;
  EXPECT_THAT(Parse("# HELP\0 c_total Help text.\nc_total 1\n# EOF\n"s),
              ElementsAre("HELP c_total Help text.",
                          "SERIES {__name__=\"c_total\"} 1"));
  EXPECT_THAT(Parse("# TY\0PE \0c counter\nc_total 1\n# EOF\n"s),
              ElementsAre("TYPE c counter", "SERIES {__name__=\"c_total\"} 1"));
  EXPECT_THAT(Parse("# E\0OF\n"s), ElementsAre());
  EXPECT_THAT(Parse("m{a=\"v\"\0} 1\n# EOF\n"s),
              ElementsAre("SERIES {__name__=\"m\",a=\"v\\\"\"} 1"));
  std::vector<std::string> got = Parse("# \0HELP c 1\n# EOF\n"s);
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.back(), HasSubstr("ERROR"));
}

// Found by tests/difffuzz against 2.42: openmetricslex's next() skips NULs
// in sLValue but not in an exemplar's sEValue, whose value rule excludes
// them, so a NUL in an exemplar label value fails the scrape (3.x too).
TEST(OpenMetricsParserTest, NulInExemplarLabelValueFails) {
  using namespace std::string_literals;
  for (bool v3 : {false, true}) {
    for (const std::string& body :
         {"m_total 0 # {d=\"\0\"} 1\n# EOF\n"s,
          "m_total 0 # {d=\"a\0b\"} 1\n# EOF\n"s}) {
      OpenMetricsParser p(body, /*utf8_names=*/false, v3);
      std::vector<std::string> got = ParseAll(p);
      ASSERT_FALSE(got.empty());
      EXPECT_THAT(got.back(), HasSubstr("expected label value")) << v3;
    }
    // In a series label value it is part of the value.
    const std::string series_nul =
        "m_total{d=\"a\0b\"} 0 # {d=\"x\"} 1\n# EOF\n"s;
    OpenMetricsParser ok(series_nul, /*utf8_names=*/false, v3);
    EXPECT_THAT(ParseAll(ok).back(), HasSubstr("SERIES")) << v3;
  }
}

TEST(OpenMetricsParserTest, Prometheus2And3GrammarDiffer) {
  struct Case {
    std::string body;
    std::string want2;  // error substring
    std::string want3;  // last entry
  };
  const Case cases[] = {
      {"a{a=\"1\",b=\"2\",} 1\n# EOF\n", "expected label name",
       "SERIES {__name__=\"a\",a=\"1\",b=\"2\"} 1"},
      {"a_total 1 # {t=\"1\",} 2\n# EOF\n", "expected label name",
       "SERIES {__name__=\"a_total\"} 1 # {t=\"1\"} 2"},
      {"# TYPE g gauge\ng 1 # {t=\"1\"} 2\n# EOF\n",
       "metric name g does not support exemplars",
       "SERIES {__name__=\"g\"} 1 # {t=\"1\"} 2"},
      {"h_sum 1 5 # {t=\"1\"} 2\n# EOF\n",
       "metric name h_sum does not support exemplars",
       "SERIES {__name__=\"h_sum\"} 1 @5000 # {t=\"1\"} 2"},
      {"c_created 1 # {t=\"1\"} 2\n# EOF\n",
       "metric name c_created does not support exemplars",
       "SERIES {__name__=\"c_created\"} 1 # {t=\"1\"} 2"},
      {"i_info{a=\"b\"} 1 # {t=\"1\"} 2\n# EOF\n",
       "metric name i_info does not support exemplars",
       "SERIES {__name__=\"i_info\",a=\"b\"} 1 # {t=\"1\"} 2"},
      {"s{s=\"a\"} 1 # {t=\"1\"} 2\n# EOF\n",
       "metric name s does not support exemplars",
       "SERIES {__name__=\"s\",s=\"a\"} 1 # {t=\"1\"} 2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    OpenMetricsParser v2(c.body);
    std::vector<std::string> got2 = ParseAll(v2);
    ASSERT_FALSE(got2.empty());
    EXPECT_THAT(got2.back(), HasSubstr(c.want2));
    OpenMetricsParser v3(c.body, /*utf8_names=*/false,
                         /*prometheus3_grammar=*/true);
    std::vector<std::string> got3 = ParseAll(v3);
    ASSERT_FALSE(got3.empty());
    EXPECT_EQ(got3.back(), c.want3);
  }
}

// Prometheus 3.x TestOpenMetricsParse_UTF8 (openmetricsparse_test.go),
// without 3.x' quantile float normalisation and _created handling.
TEST(OpenMetricsParserTest, QuotedUtf8Names) {
  const std::string body =
      "# HELP \"go.gc_duration_seconds\" A summary of the GC invocation "
      "durations.\n"
      "# TYPE \"go.gc_duration_seconds\" summary\n"
      "# UNIT \"go.gc_duration_seconds\" seconds\n"
      "{\"go.gc_duration_seconds\",quantile=\"0\"} 4.9351e-05\n"
      "{\"go.gc_duration_seconds\",quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
      "{q=\"0.9\",\"http.status\",a=\"b\"} 8.3835e-05\n"
      "{\"go.gc_duration_seconds_sum\"} 0.004304266\n"
      "my_metric{\"label.with.dots\"=\"x\"} 7\n"
      "{\"a \\\"b\\\"\",\"c\\nd\"=\"6\"} 10.0\n"
      "quotedexemplar_count 1 # {\"id.thing\"=\"histogram-count-test\","
      "other=\"hello\"} 4\n"
      "# EOF\n";
  EXPECT_THAT(
      ParseUtf8(body),
      ElementsAre(
          "HELP go.gc_duration_seconds A summary of the GC invocation "
          "durations.",
          "TYPE go.gc_duration_seconds summary",
          "UNIT go.gc_duration_seconds seconds",
          "SERIES {__name__=\"go.gc_duration_seconds\",quantile=\"0.0\"} "
          "4.9351e-05",
          "SERIES {__name__=\"go.gc_duration_seconds\",a=\"b\",quantile="
          "\"0.5\"} 8.3835e-05",
          "SERIES {__name__=\"http.status\",a=\"b\",q=\"0.9\"} 8.3835e-05",
          "SERIES {__name__=\"go.gc_duration_seconds_sum\"} 0.004304266",
          "SERIES {__name__=\"my_metric\",label.with.dots=\"x\"} 7",
          "SERIES {__name__=\"a \\\"b\\\"\",c\nd=\"6\"} 10",
          "SERIES {__name__=\"quotedexemplar_count\"} 1 # "
          "{id.thing=\"histogram-count-test\",other=\"hello\"} 4"));
}

// TestOpenMetricsParseErrors' quoted-name cases; under 2.x' grammar
// (utf8_names false) the same lines are 2.42's syntax errors.
TEST(OpenMetricsParserTest, QuotedNameErrors) {
  struct Case {
    std::string body;
    const char* want3;
    const char* want2;
  };
  const Case cases[] = {
      {"{a=\"ok\"} 1\n# EOF\n", "metric name not set",
       "expected a valid start token"},
      {"a{\"b\",c=\"d\"} 1\n# EOF\n", "metric name already set",
       "expected label name"},
      {"{\"a\",\"b\"} 1\n# EOF\n", "metric name already set",
       "expected a valid start token"},
      {"m_total 1 # {\"id\"} 4\n# EOF\n", "expected label name",
       "expected label name"},
      {"m{\"a.b\"=\"c\"} 1\n# EOF\n", "", "expected label name"},
      {"# UNIT \"m.x\" seconds\n# EOF\n", "not a suffix of metric",
       "expected metric name after UNIT"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    std::vector<std::string> v3 = ParseUtf8(c.body);
    ASSERT_FALSE(v3.empty());
    if (*c.want3 == '\0') {
      EXPECT_THAT(absl::StrJoin(v3, "|"), ::testing::Not(HasSubstr("ERROR")));
    } else {
      EXPECT_THAT(v3.back(), HasSubstr(c.want3));
    }
    std::vector<std::string> v2 = Parse(c.body);
    ASSERT_FALSE(v2.empty());
    EXPECT_THAT(v2.back(), HasSubstr(c.want2));
  }
}

}  // namespace
}  // namespace promscrape::textparse
