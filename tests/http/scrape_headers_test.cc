#include "plugin/http/scrape_headers.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/http/status_text.h"

namespace promscrape::http {
namespace {

using ::testing::ElementsAre;
using ::testing::FieldsAre;

TEST(FormatTimeoutSecondsTest, MatchesGoFormatFloatShortestFixed) {
  EXPECT_EQ(FormatTimeoutSeconds(absl::Seconds(10)), "10");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Milliseconds(1500)), "1.5");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Milliseconds(500)), "0.5");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Milliseconds(1)), "0.001");
  EXPECT_EQ(FormatTimeoutSeconds(absl::Minutes(2)), "120");
}

TEST(ScrapeHeadersTest, PrometheusHeadersInOrder) {
  EXPECT_THAT(
      ScrapeHeaders("text/plain;version=0.0.4;q=1", absl::Milliseconds(1500),
                    /*enable_compression=*/true),
      ElementsAre(FieldsAre("Accept", "text/plain;version=0.0.4;q=1"),
                  FieldsAre("Accept-Encoding", "gzip"),
                  FieldsAre("User-Agent", "Prometheus/2.42.0"),
                  FieldsAre("X-Prometheus-Scrape-Timeout-Seconds", "1.5")));
}

TEST(ScrapeHeadersTest, CompressionDisabledAsksForIdentity) {
  Headers headers = ScrapeHeaders("*/*", absl::Seconds(10),
                                  /*enable_compression=*/false, "Custom/1");
  EXPECT_THAT(headers[1], FieldsAre("Accept-Encoding", "identity"));
  EXPECT_THAT(headers[2], FieldsAre("User-Agent", "Custom/1"));
}

TEST(StatusTextTest, GoReasonPhrases) {
  EXPECT_EQ(StatusText(200), "OK");
  EXPECT_EQ(StatusText(404), "Not Found");
  EXPECT_EQ(StatusText(500), "Internal Server Error");
  EXPECT_EQ(StatusText(418), "I'm a teapot");
  EXPECT_EQ(StatusText(299), "");
}

}  // namespace
}  // namespace promscrape::http
