#include "plugin/textparse/prom_parser.h"

#include <cstdint>
#include <cstring>
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
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::string_literals;

std::vector<std::string> Parse(const std::string& body) {
  PromParser p(body);
  return ParseAll(p);
}

// Prometheus' TestPromParse input (paraphrased), with 2.42's expectations:
// `le`/`quantile` values stay as written.
TEST(PromParserTest, PrometheusParseScenario) {
  const std::string body =
      "# HELP go_gc_duration_seconds A summary of the GC invocation "
      "durations.\n"
      "# \tTYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
      "go_gc_duration_seconds{quantile=\"0.25\",} 7.424100000000001e-05\n"
      "go_gc_duration_seconds{quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
      "go_gc_duration_seconds{quantile=\"0.8\", a=\"b\"} 8.3835e-05\n"
      "go_gc_duration_seconds{ quantile=\"0.9\", a=\"b\"} 8.3835e-05\n"
      "# Hrandom comment starting with prefix of HELP\n"
      "#\n"
      "wind_speed{A=\"2\",c=\"3\"} 12345\n"
      "# comment with escaped \\n newline\n"
      "# HELP nohelp1\n"
      "# HELP nohelp2 \n"
      "go_gc_duration_seconds{ quantile=\"1.0\", a=\"b\" } 8.3835e-05\n"
      "go_gc_duration_seconds { quantile=\"1.0\", a=\"b\" } 8.3835e-05\n"
      "go_gc_duration_seconds { quantile= \"1.0\", a= \"b\", } 8.3835e-05\n"
      "go_gc_duration_seconds { quantile = \"2.0\" a = \"b\" } 8.3835e-05\n"
      "go_gc_duration_seconds_count 99\n"
      "some:aggregate:rate5m{a_b=\"c\"}\t1\n"
      "# HELP go_goroutines Number of goroutines that currently exist.\n"
      "# TYPE go_goroutines gauge\n"
      "go_goroutines 33  \t123123\n"
      "_metric_starting_with_underscore 1\n"
      "testmetric{_label_starting_with_underscore=\"foo\"} 1\n"
      "testmetric{label=\"\\\"bar\\\"\"} 1\n"
      "# TYPE foo histogram\n"
      "foo_bucket{le=\"1\"} 2\n"
      "foo_bucket{le=\"+Inf\"} 3\n"
      "null_byte_metric{a=\"abc\0\"} 1\n"s;
  EXPECT_THAT(
      Parse(body),
      ElementsAreArray(std::vector<std::string>{
          "HELP go_gc_duration_seconds A summary of the GC invocation "
          "durations.",
          "TYPE go_gc_duration_seconds summary",
          "SERIES {__name__=\"go_gc_duration_seconds\",quantile=\"0\"} "
          "4.9351e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",quantile=\"0.25\"} "
          "7.424100000000001e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"0.5\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"0.8\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"0.9\"} "
          "8.3835e-05",
          "COMMENT # Hrandom comment starting with prefix of HELP",
          "COMMENT #",
          "SERIES {A=\"2\",__name__=\"wind_speed\",c=\"3\"} 12345",
          "COMMENT # comment with escaped \\n newline",
          "HELP nohelp1 ",
          "HELP nohelp2 ",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"1.0\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"1.0\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"1.0\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds\",a=\"b\",quantile=\"2.0\"} "
          "8.3835e-05",
          "SERIES {__name__=\"go_gc_duration_seconds_count\"} 99",
          "SERIES {__name__=\"some:aggregate:rate5m\",a_b=\"c\"} 1",
          "HELP go_goroutines Number of goroutines that currently exist.",
          "TYPE go_goroutines gauge",
          "SERIES {__name__=\"go_goroutines\"} 33 @123123",
          "SERIES {__name__=\"_metric_starting_with_underscore\"} 1",
          "SERIES {__name__=\"testmetric\",_label_starting_with_underscore="
          "\"foo\"} 1",
          "SERIES {__name__=\"testmetric\",label=\"\\\"bar\\\"\"} 1",
          "TYPE foo histogram",
          "SERIES {__name__=\"foo_bucket\",le=\"1\"} 2",
          "SERIES {__name__=\"foo_bucket\",le=\"+Inf\"} 3",
          "SERIES {__name__=\"null_byte_metric\",a=\"abc\\0\"} 1",
      }));
}

TEST(PromParserTest, SeriesBytesAreTheLineUpToTheBrace) {
  PromParser p("a{b=\"c\"} 1 2\nfoo  3\nx {y=\"z\" } 4\n");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(Entry e, p.Next());
  ASSERT_EQ(e, Entry::kSeries);
  EXPECT_EQ(p.Series(), "a{b=\"c\"}");
  EXPECT_EQ(p.MetricName(), "a");
  EXPECT_TRUE(p.has_timestamp());
  EXPECT_EQ(p.timestamp_ms(), 2);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(p.Series(), "foo");
  EXPECT_FALSE(p.has_timestamp());
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(p.Series(), "x {y=\"z\" }");
  EXPECT_EQ(p.Value(), 4);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(e, Entry::kEof);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(e, p.Next());
  EXPECT_EQ(e, Entry::kEof);
}

TEST(PromParserTest, Grammar) {
  struct Case {
    const char* name;
    std::string body;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"no final newline", "a 1", {"SERIES {__name__=\"a\"} 1"}},
      {"blank lines", "\n\na 1\n\n", {"SERIES {__name__=\"a\"} 1"}},
      {"label value escapes",
       "a{b=\"x\\\\y\\\"z\\nw\\tq\"} 1\n",
       {"SERIES {__name__=\"a\",b=\"x\\\\y\\\"z\\nw\\\\tq\"} 1"}},
      {"raw newline inside label value",
       "a{b=\"x\ny\"} 1\n",
       {"SERIES {__name__=\"a\",b=\"x\\ny\"} 1"}},
      {"empty label set", "a{} 1\n", {"SERIES {__name__=\"a\"} 1"}},
      {"empty label value kept by the parser",
       "a{b=\"\"} 1\n",
       {"SERIES {__name__=\"a\",b=\"\"} 1"}},
      {"utf8 label value",
       "a{b=\"\xc3\xa9t\xc3\xa9\"} 1\n",
       {"SERIES {__name__=\"a\",b=\"\xc3\xa9t\xc3\xa9\"} 1"}},
      {"labels sorted", "a{z=\"1\",m=\"2\",b=\"3\"} 1\n",
       {"SERIES {__name__=\"a\",b=\"3\",m=\"2\",z=\"1\"} 1"}},
      {"special values", "a NaN\nb +Inf\nc -Inf\nd -1.5e3\n",
       {"SERIES {__name__=\"a\"} NaN", "SERIES {__name__=\"b\"} +Inf",
        "SERIES {__name__=\"c\"} -Inf", "SERIES {__name__=\"d\"} -1500"}},
      {"help escapes", "# HELP m a\\\\b\\nc \\x \\\"\n",
       {"HELP m a\\b\nc \\x \\\""}},
      {"help with tab separator", "# HELP m\ttext\n", {"HELP m text"}},
      {"type untyped", "# TYPE m untyped\n", {"TYPE m unknown"}},
      {"hash without space is a comment", "#HELP m x\n#EOF\n",
       {"COMMENT #HELP m x", "COMMENT #EOF"}},
      {"nul at line start ends the input", "a 1\n\0b 2\n"s,
       {"SERIES {__name__=\"a\"} 1"}},
      {"nul in help", "# HELP m foo\0bar\n"s, {"HELP m foo\0bar"s}},
      {"help text after a non-name byte drops that byte",
       "# HELP foo{bar baz\n", {"HELP foo bar baz"}},
      // 2.42 keeps the indentation in the name (the scrape then fails on
      // it); see Prometheus2And3GrammarDiffer.
      {"leading whitespace before a sample", "  a 1\n",
       {"SERIES {__name__=\"  a\"} 1"}},
      {"whitespace-only line", "a 1\n \t\nb 2\n",
       {"SERIES {__name__=\"a\"} 1", "SERIES {__name__=\"b\"} 2"}},
      {"indented comment", "  # HELP a x\na 1\n",
       {"HELP a x", "SERIES {__name__=\"a\"} 1"}},
      {"timestamp with trailing blanks", "a 1 5 \t\n",
       {"SERIES {__name__=\"a\"} 1 @5"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Parse(c.body), ElementsAreArray(c.want));
  }
}

TEST(PromParserTest, Errors) {
  struct Case {
    std::string body;
    const char* want;
  };
  const Case cases[] = {
      {"a", "line 1: expected value after metric, got \"EOF\""},
      {"a\n", "expected value after metric, got \"\\n\" while parsing: \"a\\n\""},
      {"a{b='c'} 1\n", "expected label value, got \"'\""},
      {"a{b=\n", "expected label value"},
      {"a{\xff=\"foo\"} 1\n", "expected label name"},
      {"a{b=\"\xff\"} 1\n", "invalid UTF-8 label value"},
      {"a true\n",
       "strconv.ParseFloat: parsing \"true\": invalid syntax while parsing: "
       "\"a true\""},
      {"something_weird{problem=\"", "unterminated label value"},
      {"empty_label_name{=\"\"} 0", "expected label name, got \"=\""},
      {"foo 1_2\n", "unsupported character in float while parsing: \"foo 1_2\""},
      {"foo 0x1p-3\n", "unsupported character in float"},
      {"foo 0x1P-3\n", "unsupported character in float"},
      {"foo 0 1_2\n", "expected next entry after timestamp, got \"_\""},
      {"foo 1 -1\n", "expected timestamp or new record"},
      {"foo 1 99999999999999999999\n", "value out of range"},
      {"{a=\"ok\"} 1\n", "expected a valid start token"},
      {"# TYPE #\n#EOF\n", "expected metric name after TYPE, got \"#\""},
      {"# HELP #\n#EOF\n", "expected metric name after HELP"},
      {"# TYPE m\n", "expected text in TYPE"},
      {"# TYPE m gauge \n", "invalid metric type \"gauge \""},
      {"# TYPE m info\n", "invalid metric type \"info\""},
      {"# HELP m \xff\n", "help text is not a valid utf8 string"},
      {"a{b=\0\"ssss\"} 1\n"s, "expected label value"},
      {"a{b=\"\0"s, "unterminated label value"},
      {"a{b\0=\"hiih\"}\t1"s, "expected equal"},
      {"a\0{b=\"ddd\"} 1"s, "invalid syntax"},
      {"a 0 1\0"s, "expected next entry after timestamp"},
      {"a 1\nb 2\nc{ 3\n", "line 3: expected label name"},
      {"a{b=\"c\\", "unterminated label value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    PromParser p(c.body);
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
    // Errors are sticky.
    EXPECT_FALSE(p.Next().ok());
  }
}

TEST(PromParserTest, NullBytesInsideValuesAreAccepted) {
  for (const std::string& body :
       {"null_byte_metric{a=\"abc\0\"} 1"s, "a{b=\"\0ss\"} 1\n"s,
        "a{b=\"\0\"} 1\n"s}) {
    std::vector<std::string> got = Parse(body);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_THAT(got[0], HasSubstr("SERIES"));
  }
}

// Found by tests/difffuzz against Prometheus 2.42 (promlex.l is the same in
// 3.x): next() skips NULs in the comment state, so they may split HELP/TYPE
// and precede the name; after `#` with no blank, or right after `# `, a NUL
// ends the input; a NUL right after a metadata name fails.
TEST(PromParserTest, NulBytesInCommentsAsPromlex) {
  EXPECT_THAT(Parse("# HELP \0b Help text.\nb 1\n"s),
              ElementsAre("HELP b Help text.", "SERIES {__name__=\"b\"} 1"));
  EXPECT_THAT(Parse("# HE\0LP\0 x help\nx 1\n"s),
              ElementsAre("HELP x help", "SERIES {__name__=\"x\"} 1"));
  EXPECT_THAT(Parse("# \0HELP x help\nx 1\n"s), ElementsAre());
  EXPECT_THAT(Parse("#foo\0bar\nx 1\n"s), ElementsAre());
  EXPECT_THAT(Parse("# foo\0bar\nx 1\n"s),
              ElementsAre("COMMENT # foo\0bar"s, "SERIES {__name__=\"x\"} 1"));
  // After a label value's closing quote NULs join the token, and the value
  // is the token less its first and last bytes.
  EXPECT_THAT(Parse("m{a=\"v\"\0} 1\n"s),
              ElementsAre("SERIES {__name__=\"m\",a=\"v\\\"\"} 1"));
  std::vector<std::string> got = Parse("# HELP late\0ncy Help.\nlatency 1\n"s);
  ASSERT_FALSE(got.empty());
  EXPECT_THAT(got.back(), HasSubstr("linebreak expected after metadata"));
}

std::vector<std::string> ParseUtf8(const std::string& body) {
  PromParser p(body, /*utf8_names=*/true, /*prometheus3_grammar=*/true);
  return ParseAll(p);
}

// Found by tests/difffuzz against Prometheus 2.42; 3.x read from its
// promparse.go (the name starts at the name token, not the entry).
TEST(PromParserTest, Prometheus2And3GrammarDiffer) {
  const std::string body = "  a{b=\"c\"} 1\n\tb 2\n";
  PromParser v2(body);
  EXPECT_THAT(ParseAll(v2), ElementsAre("SERIES {__name__=\"  a\",b=\"c\"} 1",
                                        "SERIES {__name__=\"\tb\"} 2"));
  PromParser v3(body, /*utf8_names=*/false, /*prometheus3_grammar=*/true);
  EXPECT_THAT(ParseAll(v3), ElementsAre("SERIES {__name__=\"a\",b=\"c\"} 1",
                                        "SERIES {__name__=\"b\"} 2"));
}

// Prometheus 3.x' normalizeFloatsInLabelValues (model/textparse): `le` in a
// histogram family and `quantile` in a summary family become OpenMetrics
// floats; other labels, other types and unparsable values stay as written.
// The type is the last TYPE line's, whichever family follows it.
TEST(PromParserTest, LeAndQuantileNormalisedUnder3) {
  const std::string body =
      "# TYPE h histogram\n"
      "h_bucket{le=\"1\"} 1\n"
      "h_bucket{le=\"1e3\",quantile=\"1\"} 2\n"
      "h_bucket{le=\"+inf\"} 3\n"
      "h_bucket{le=\"0x1p-2\"} 4\n"
      "h_bucket{le=\"abc\"} 5\n"
      "other{le=\"2\"} 6\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.50\",le=\"1\"} 7\n"
      "# TYPE g gauge\n"
      "g{le=\"1\",quantile=\"1\"} 8\n";
  PromParser v3(body, /*utf8_names=*/false, /*prometheus3_grammar=*/true);
  EXPECT_THAT(
      ParseAll(v3),
      ElementsAre("TYPE h histogram",
                  "SERIES {__name__=\"h_bucket\",le=\"1.0\"} 1",
                  "SERIES {__name__=\"h_bucket\",le=\"1000.0\",quantile=\"1\"} 2",
                  "SERIES {__name__=\"h_bucket\",le=\"+Inf\"} 3",
                  "SERIES {__name__=\"h_bucket\",le=\"0.25\"} 4",
                  "SERIES {__name__=\"h_bucket\",le=\"abc\"} 5",
                  "SERIES {__name__=\"other\",le=\"2.0\"} 6",
                  "TYPE s summary",
                  "SERIES {__name__=\"s\",le=\"1\",quantile=\"0.5\"} 7",
                  "TYPE g gauge",
                  "SERIES {__name__=\"g\",le=\"1\",quantile=\"1\"} 8"));
  // 2.42 keeps every value as written.
  PromParser v2(body);
  EXPECT_THAT(ParseAll(v2),
              ::testing::Contains("SERIES {__name__=\"h_bucket\",le=\"1\"} 1"));
  // The type does not carry over to the next body.
  v3.Reset("h_bucket{le=\"1\"} 1\n");
  EXPECT_THAT(ParseAll(v3),
              ElementsAre("SERIES {__name__=\"h_bucket\",le=\"1\"} 1"));
}

// Prometheus 3.x TestUTF8PromParse (model/textparse/promparse_test.go),
// with 3.x' quantile/le float normalisation ("0" becomes "0.0").
TEST(PromParserTest, QuotedUtf8Names) {
  const std::string body =
      "# HELP \"go.gc_duration_seconds\" A summary of the GC invocation "
      "durations.\n"
      "# \tTYPE \"go.gc_duration_seconds\" summary\n"
      "{\"go.gc_duration_seconds\",quantile=\"0\"} 4.9351e-05\n"
      "{\"go.gc_duration_seconds\",quantile=\"0.25\",} 7.4241e-05\n"
      "{\"go.gc_duration_seconds\",quantile=\"0.5\",a=\"b\"} 8.3835e-05\n"
      "{\"go.gc_duration_seconds\", quantile=\"0.9\", a=\"b\"} 8.3835e-05\n"
      "{ \"go.gc_duration_seconds\", quantile= \"1.0\", a= \"b\", } 1\n"
      "{ \"go.gc_duration_seconds\", quantile = \"1.0\", a = \"b\" } 2\n"
      "{\"go.gc_duration_seconds_count\"} 99\n"
      "my_metric{\"label.with.dots\"=\"x\"} 7 1000\n"
      "{\"my.dotted.metric\",\"http.route\"=\"/a\"} 7\n"
      "{\"Heiz\xc3\xb6l 10\xe2\x82\xac with \\\"q\\\" {c\\nd}\","
      "\"strange \\\"name\\\"\"=\"6\"} 10.0\n";
  EXPECT_THAT(
      ParseUtf8(body),
      ElementsAre(
          "HELP go.gc_duration_seconds A summary of the GC invocation "
          "durations.",
          "TYPE go.gc_duration_seconds summary",
          "SERIES {__name__=\"go.gc_duration_seconds\",quantile=\"0.0\"} "
          "4.9351e-05",
          "SERIES {__name__=\"go.gc_duration_seconds\",quantile=\"0.25\"} "
          "7.4241e-05",
          "SERIES {__name__=\"go.gc_duration_seconds\",a=\"b\",quantile="
          "\"0.5\"} 8.3835e-05",
          "SERIES {__name__=\"go.gc_duration_seconds\",a=\"b\",quantile="
          "\"0.9\"} 8.3835e-05",
          "SERIES {__name__=\"go.gc_duration_seconds\",a=\"b\",quantile="
          "\"1.0\"} 1",
          "SERIES {__name__=\"go.gc_duration_seconds\",a=\"b\",quantile="
          "\"1.0\"} 2",
          "SERIES {__name__=\"go.gc_duration_seconds_count\"} 99",
          "SERIES {__name__=\"my_metric\",label.with.dots=\"x\"} 7 @1000",
          "SERIES {__name__=\"my.dotted.metric\",http.route=\"/a\"} 7",
          "SERIES {__name__=\"Heiz\xc3\xb6l 10\xe2\x82\xac with \\\"q\\\" "
          "{c\\nd}\",strange \"name\"=\"6\"} 10"));
}

TEST(PromParserTest, QuotedNameSeriesBytesAndMetricName) {
  PromParser p("{\"a.b\",\"c.d\"=\"e\"} 1\nx{\"y\\\"z\"=\"1\"} 2\n",
               /*utf8_names=*/true);
  ASSERT_EQ(p.Next().value_or(Entry::kEof), Entry::kSeries);
  EXPECT_EQ(p.Series(), "{\"a.b\",\"c.d\"=\"e\"}");
  EXPECT_EQ(p.MetricName(), "a.b");
  ASSERT_EQ(p.Next().value_or(Entry::kEof), Entry::kSeries);
  EXPECT_EQ(p.Series(), "x{\"y\\\"z\"=\"1\"}");
  std::vector<Label> labels;
  p.Labels(&labels);
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[1].name, "y\"z");  // Unescaped as label values are.
}

// Prometheus 3.x TestPromParseErrors cases for quoted names; under 2.x'
// grammar (utf8_names false) the same lines are the 2.42 syntax errors.
TEST(PromParserTest, QuotedNameErrors) {
  struct Case {
    std::string body;
    const char* want3;
    const char* want2;
  };
  const Case cases[] = {
      {"{a=\"ok\"} 1",
       "line 1: metric name not set while parsing: \"{a=\\\"ok\\\"} 1\"",
       "expected a valid start token"},
      {"{\"a\", \"b = \"c\"}", "expected equal", "expected a valid start token"},
      {"{\"a\",b\\nc=\"d\"} 1", "expected equal",
       "expected a valid start token"},
      {"a{\"b\",c=\"d\"} 1", "metric name already set",
       "expected label name"},
      {"{\"a\",\"b\"} 1", "metric name already set",
       "expected a valid start token"},
      {"{\"a} 1", "unterminated quoted name", "expected a valid start token"},
      {"m{\"a.b\"=\"c\"} 1", "", "expected label name"},
      {"# HELP \"a.b\" text", "", "expected metric name after HELP"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    std::vector<std::string> v3 = ParseUtf8(c.body);
    ASSERT_FALSE(v3.empty());
    if (*c.want3 == '\0') {
      EXPECT_THAT(v3.back(), Not(HasSubstr("ERROR")));
    } else {
      EXPECT_THAT(v3.back(), HasSubstr(c.want3));
    }
    std::vector<std::string> v2 = Parse(c.body);
    ASSERT_FALSE(v2.empty());
    EXPECT_THAT(v2.back(), HasSubstr(c.want2));
  }
}

TEST(PromParserTest, ResetReusesTheParser) {
  PromParser p("a 1\n");
  EXPECT_THAT(ParseAll(p), ElementsAre("SERIES {__name__=\"a\"} 1"));
  p.Reset("b{c=\"d\"} 2\n");
  EXPECT_THAT(ParseAll(p), ElementsAre("SERIES {__name__=\"b\",c=\"d\"} 2"));
}

// A small deterministic generator of text-format bodies that are mostly
// well formed, with the irregularities the grammar allows (blanks, trailing
// commas, escapes, raw newlines, UTF-8) and some it does not. Lines are long
// enough to cross the fast label scanner's 64-byte windows, and bodies are
// cut at random points to exercise the end-of-buffer guards.
class BodyGenerator {
 public:
  explicit BodyGenerator(uint64_t seed) : x_(seed | 1) {}

  std::string Body() {
    std::string out;
    int lines = 1 + Below(12);
    for (int i = 0; i < lines; ++i) AppendLine(&out);
    if (Below(3) == 0) out.resize(Below(static_cast<int>(out.size()) + 1));
    return out;
  }

 private:
  uint64_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }
  int Below(int n) { return static_cast<int>(Next() % n); }
  bool OneIn(int n) { return Below(n) == 0; }

  std::string Name(bool label) {
    static const char* const kNames[] = {
        "a",
        "le",
        "quantile",
        "go_gc_duration_seconds",
        "code",
        "_x",
        "node_network_receive_compressed_total_with_a_long_suffix_abcdef",
        "handler",
        "x9",
        "cpu"};
    std::string n = kNames[Below(10)];
    if (OneIn(20)) n += label ? ":c" : "-c";
    if (OneIn(30)) n = "9" + n;
    if (OneIn(8)) n += std::string(Below(70), 'n');
    return n;
  }

  std::string Blanks() {
    if (!OneIn(12)) return "";
    return OneIn(2) ? " " : " \t ";
  }

  std::string Value() {
    static const char* const kPieces[] = {"abc",  "/api/v1/query",
                                          "0.25", "+Inf",
                                          "\\",   "\\\"",
                                          "\\n",  "\xc3\xa9",
                                          "\xff", "\n",
                                          "x y",  ",",
                                          "}",    "{",
                                          "=",    "\t",
                                          "\0"};
    std::string v;
    int n = OneIn(3) ? 0 : Below(6);
    for (int i = 0; i < n; ++i) {
      int k = Below(OneIn(4) ? 17 : 4);
      v += std::string(kPieces[k], k == 16 ? 1 : std::strlen(kPieces[k]));
    }
    if (OneIn(6)) v += std::string(Below(90), 'v');
    return v;
  }

  void AppendLine(std::string* out) {
    if (OneIn(6)) {
      static const char* const kMeta[] = {"# HELP m some help\n",
                                          "# TYPE m counter\n",
                                          "# x\n",
                                          "\n",
                                          "  \n",
                                          "# HELP m a\\\\b\\n\n",
                                          "# HELP m \xc3\xa9\xff\n",
                                          "# HELP m{x\n",
                                          "# HELP m\xff\n",
                                          "# TYPE m bogus\n",
                                          "# TYPE m\n",
                                          "# HELP m\n",
                                          "# HELP  m x\n",
                                          "# HELP 9m x\n",
                                          "# TYPE m gauge \n",
                                          "# HELP m",
                                          "# TYPE a:b summary",
                                          "# HELP m\\\\x\n"};
      *out += kMeta[Below(18)];
      if (OneIn(4)) *out += std::string(Below(100), 'h') + "\n";
      return;
    }
    *out += Name(false);
    *out += Blanks();
    if (!OneIn(4)) {
      *out += "{";
      int labels = Below(7);
      for (int i = 0; i < labels; ++i) {
        *out += Blanks() + Name(true) + Blanks() + "=" + Blanks() + "\"" +
                Value() + "\"" + Blanks();
        if (i + 1 < labels || OneIn(5)) *out += ",";
      }
      *out += Blanks() + "}";
      if (OneIn(40)) *out += "}";
    }
    static const char* const kValues[] = {" 0",   " 1", " 1.5e+06", "\t-2",
                                          " NaN", " x", ""};
    *out += kValues[Below(7)];
    if (OneIn(5)) *out += " 1700000000000";
    *out += OneIn(30) ? " \n" : "\n";
  }

  uint64_t x_;
};

TEST(PromParserTest, FastPathsMatchGeneralCode) {
  BodyGenerator gen(0x9E3779B97F4A7C15ULL);
  int fast_lines = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string body = gen.Body();
    SCOPED_TRACE(body);
    PromParser fast(body);
    PromParser slow(body);
    slow.DisableFastPathsForTest();
    ASSERT_EQ(testing::FirstDifference(fast, slow), "");
    if (body.size() > 80) ++fast_lines;
  }
  EXPECT_GT(fast_lines, 10000);  // The generator makes long bodies.
}

TEST(PromParserTest, FastPathsMatchGeneralCodeOnErrors) {
  // Error cases like those above, each followed by a long line so the fast
  // label scanner has a full window.
  const std::string tail = "\n# " + std::string(100, 'x') + "\n";
  for (std::string body :
       {"a{b='c'} 1"s, "a{b=\n"s, "a{\xff=\"foo\"} 1"s, "a{b=\"\xff\"} 1"s,
        "empty_label_name{=\"\"} 0"s, "a{b=\0\"ssss\"} 1"s,
        "a{b\0=\"hiih\"}\t1"s, "c{ 3"s, "a{b=\"c\\"s, "a{b=\"c\"d=\"e\"} 1"s,
        "a{b=\"c\",,d=\"e\"} 1"s, "a{b:c=\"d\"} 1"s, "a{b=\"c\"} 1"s,
        "# TYPE m info"s, "# HELP m \xff"s, "# TYPE m"s, "# HELP #"s}) {
    body += tail;
    SCOPED_TRACE(body);
    PromParser fast(body);
    PromParser slow(body);
    slow.DisableFastPathsForTest();
    EXPECT_EQ(testing::FirstDifference(fast, slow), "");
  }
}

}  // namespace
}  // namespace promscrape::textparse
