// The scrape failure log's line format: Prometheus 3.x' JSONFileLogger
// (util/logging/file.go with promslog's JSON format, log/slog's JSON
// handler escaping).

#include "plugin/scrape/failure_log.h"

#include "gtest/gtest.h"

namespace promscrape::scrape {
namespace {

TEST(ScrapeFailureLogTest, LineHasPrometheusFieldsInOrder) {
  const absl::Time t = absl::FromUnixMillis(1764998400123);
  EXPECT_EQ(ScrapeFailureLog::FormatLine(t, absl::UTCTimeZone(), "node",
                                         "http://h:9100/metrics",
                                         "Get \"http://h:9100/metrics\": EOF"),
            "{\"time\":\"2025-12-06T05:20:00.123Z\",\"level\":\"ERROR\","
            "\"source\":\"scrape_loop.cc\",\"msg\":\"Get "
            "\\\"http://h:9100/metrics\\\": EOF\",\"job_name\":\"node\","
            "\"target\":\"http://h:9100/metrics\"}\n");
  // Milliseconds are always three digits; other zones print their offset.
  EXPECT_EQ(ScrapeFailureLog::FormatLine(absl::FromUnixSeconds(0),
                                         absl::FixedTimeZone(3600), "j", "t",
                                         "m")
                .substr(0, 39),
            "{\"time\":\"1970-01-01T01:00:00.000+01:00\"");
}

TEST(ScrapeFailureLogTest, EscapesAsGoSlogDoes) {
  const std::string line = ScrapeFailureLog::FormatLine(
      absl::UnixEpoch(), absl::UTCTimeZone(), "j<&>",
      "a\\b\n\r\t\x01\x7f",
      "caf\xc3\xa9 \xe2\x80\xa8 bad\xff end");
  EXPECT_NE(line.find("\"job_name\":\"j<&>\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"target\":\"a\\\\b\\n\\r\\t\\u0001\x7f\""),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("\"msg\":\"caf\xc3\xa9 \\u2028 bad\\ufffd end\""),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace promscrape::scrape
