#include "tests/e2e/stored_series.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST(StoredSeriesTest, CanonicalValueMatchesAcrossRenderings) {
  EXPECT_EQ(CanonicalValue(std::nan("")), "NaN");
  EXPECT_EQ(CanonicalValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(CanonicalValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(CanonicalValue(-4.25e-3), CanonicalValue(-0.00425));
  EXPECT_EQ(CanonicalValue(1027), "1027");
}

TEST(StoredSeriesTest, FormatLabelsEscapesLikeTheTextFormat) {
  EXPECT_EQ(FormatLabels({{"__name__", "x"}, {"room", "a\"b\\c\nd"}}),
            "{__name__=\"x\", room=\"a\\\"b\\\\c\\nd\"}");
}

TEST(StoredSeriesTest, ReadsSampleFileAndCutsAtTime) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/samples.jsonl";
  std::ofstream(path)
      << R"({"labels":{"__name__":"up","job":"a"},"t":1000,"v":1})" "\n"
      << R"({"labels":{"__name__":"up","job":"a"},"t":2000,"v":"StaleNaN"})" "\n"
      << R"({"labels":{"__name__":"g","job":"a"},"t":2000,"v":"+Inf"})" "\n"
      << R"({"labels":{"__name__":"h","job":"a"},"t":2000,"h":{}})" "\n"
      << R"({"labels":{"__name__":"up","job":"a"},"t":3000,"v":0})" "\n";
  absl::StatusOr<SeriesMap> series = ReadSampleFile(path, 2000);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_THAT(*series, SizeIs(2));
  const auto& up = series->at({{"__name__", "up"}, {"job", "a"}});
  ASSERT_THAT(up, SizeIs(2));
  EXPECT_EQ(up[0].t_ms, 1000);
  EXPECT_EQ(up[0].value, "1");
  EXPECT_EQ(up[1].value, "StaleNaN");
  EXPECT_EQ(series->at({{"__name__", "g"}, {"job", "a"}})[0].value, "+Inf");
}

TEST(StoredSeriesTest, JsonStringEscapesDecode) {
  absl::StatusOr<SeriesMap> vector = ParsePrometheusVector(
      R"({"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"l":"q\"b\\n\n\u00e9\ud83d\ude00/\/"},
           "value":[1.5,"1e3"]}]}})");
  ASSERT_TRUE(vector.ok()) << vector.status();
  ASSERT_THAT(*vector, SizeIs(1));
  EXPECT_EQ(vector->begin()->first.at("l"),
            "q\"b\\n\n\xc3\xa9\xf0\x9f\x98\x80//");
  EXPECT_EQ(vector->begin()->second[0].t_ms, 1500);
  EXPECT_EQ(vector->begin()->second[0].value, "1000");
  EXPECT_FALSE(ParsePrometheusVector(R"({"status":"success",)").ok());
}

TEST(StoredSeriesTest, MalformedSampleLineNamesTheLine) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/bad.jsonl";
  std::ofstream(path) << R"({"labels":{"a":"b"},"t":1})" "\n";
  absl::StatusOr<SeriesMap> series = ReadSampleFile(path, 10);
  EXPECT_EQ(series.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(series.status().message(), HasSubstr(":1: missing labels, t or v"));
}

TEST(StoredSeriesTest, ParsesPrometheusMatrixAndVector) {
  absl::StatusOr<SeriesMap> matrix = ParsePrometheusMatrix(
      R"({"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"__name__":"x","job":"j"},
           "values":[[1795533362.531,"0.5"],[1795533363.531,"NaN"]]}]}})");
  ASSERT_TRUE(matrix.ok()) << matrix.status();
  const auto& x = matrix->at({{"__name__", "x"}, {"job", "j"}});
  ASSERT_THAT(x, SizeIs(2));
  EXPECT_EQ(x[0].t_ms, 1795533362531);
  EXPECT_EQ(x[0].value, CanonicalValue(0.5));
  EXPECT_EQ(x[1].value, "NaN");

  absl::StatusOr<SeriesMap> vector = ParsePrometheusVector(
      R"({"status":"success","data":{"resultType":"vector","result":[
          {"metric":{"__name__":"y"},"value":[1795533362.5,"-Inf"]}]}})");
  ASSERT_TRUE(vector.ok()) << vector.status();
  EXPECT_EQ(vector->at({{"__name__", "y"}})[0].value, "-Inf");

  EXPECT_EQ(ParsePrometheusVector(R"({"status":"error"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePrometheusMatrix(
                R"({"status":"success","data":{"resultType":"vector",
                    "result":[]}})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StoredSeriesTest, ParsesVictoriaMetricsExport) {
  absl::StatusOr<SeriesMap> got = ParseVictoriaMetricsExport(
      R"({"metric":{"__name__":"up","job":"a"},"values":[1,0],"timestamps":[1000,2000]}
{"metric":{"__name__":"g","q":"x \"y\""},"values":[-0.25],"timestamps":[3000]}
)");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(2));
  const std::vector<StoredSample>& up = got->at({{"__name__", "up"},
                                                 {"job", "a"}});
  ASSERT_THAT(up, SizeIs(2));
  EXPECT_EQ(up[1].t_ms, 2000);
  EXPECT_EQ(up[1].value, "0");
  EXPECT_EQ(got->at({{"__name__", "g"}, {"q", "x \"y\""}})[0].value,
            CanonicalValue(-0.25));
  EXPECT_THAT(ParseVictoriaMetricsExport(R"({"metric":{},"values":[1]})")
                  .status()
                  .message(),
              HasSubstr("export line 1"));
}

}  // namespace
}  // namespace promscrape::testing
