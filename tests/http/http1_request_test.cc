#include "plugin/http/http1_request.h"

#include <optional>

#include "gtest/gtest.h"

namespace promscrape::http::internal {
namespace {

TEST(ParseHttp1TargetTest, IpLiteralsAreNative) {
  std::optional<Http1Target> t =
      ParseHttp1Target("http://127.0.0.1:9100/metrics?x=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->address_text, "127.0.0.1:9100");
  EXPECT_EQ(t->host, "127.0.0.1:9100");
  EXPECT_EQ(t->path, "/metrics?x=1");

  t = ParseHttp1Target("http://[::1]:9100/metrics");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->address_text, "[::1]:9100");
  EXPECT_EQ(t->host, "[::1]:9100");

  // Port 80 is left out of Host, as curl sends it; no path means "/".
  t = ParseHttp1Target("http://10.0.0.1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "10.0.0.1");
  EXPECT_EQ(t->path, "/");
}

TEST(ParseHttp1TargetTest, EverythingElseGoesToCurl) {
  // Names need a resolver that tries every address (IPv4 and IPv6), as Go
  // does: "localhost" may listen on ::1 only.
  EXPECT_FALSE(ParseHttp1Target("http://localhost:9100/metrics").has_value());
  EXPECT_FALSE(ParseHttp1Target("http://node1:9100/metrics").has_value());
  EXPECT_FALSE(
      ParseHttp1Target("https://127.0.0.1:9100/metrics").has_value());
  EXPECT_FALSE(
      ParseHttp1Target("http://user:pw@127.0.0.1:9100/metrics").has_value());
  EXPECT_FALSE(ParseHttp1Target("http://127.0.0.1:9100/a/../b").has_value());
}

}  // namespace
}  // namespace promscrape::http::internal
