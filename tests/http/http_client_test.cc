#include "plugin/http/http_client.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/request.h"
#include "plugin/http/scrape_headers.h"
#include "tests/http/http_client_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http {
namespace {

using ::promscrape::http::testing::Fetch;
using ::promscrape::http::testing::StartServer;
using ::promscrape::testing::IsOk;
using ::promscrape::testing::StatusIs;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kMetrics[] = "metric_a 1\nmetric_b 2\n";  // 22 bytes

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
               Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string TempPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

int ThreadCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/task");
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

std::unique_ptr<HttpClient> NewClientWith(HttpClientOptions options) {
  auto client = HttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(client).value();
}

void RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// Every behaviour test runs on both transports: the native HTTP/1.1 one
// (param true) and libcurl (false); both must look the same to callers.
class HttpClientTest : public ::testing::TestWithParam<bool> {
 protected:
  bool native() const { return GetParam(); }
  std::unique_ptr<HttpClient> NewClient(HttpClientOptions options = {}) {
    options.native_http1 = GetParam();
    return NewClientWith(std::move(options));
  }
};

INSTANTIATE_TEST_SUITE_P(Transports, HttpClientTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Native" : "Curl";
                         });

TestHttpResponse Text(std::string body,
                      std::string type = "text/plain; version=0.0.4") {
  TestHttpResponse response;
  response.headers = {{"Content-Type", std::move(type)}};
  response.body = std::move(body);
  return response;
}

Request Get(const std::string& url) {
  Request request;
  request.url = url;
  request.timeout = absl::Seconds(30);
  return request;
}

TEST_P(HttpClientTest, OkReturnsBodyContentTypeAndSendsScrapeHeaders) {
  Mutex mu;
  TestHttpRequest seen;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    seen = request;
    return Text(kMetrics);
  });
  auto client = NewClient();
  Request request = Get(server->Url("/metrics"));
  request.headers = ScrapeHeaders("text/plain;version=0.0.4;q=1,*/*;q=0.1",
                                  absl::Milliseconds(1500), true);

  Response response = Fetch(*client, std::move(request));

  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.status_code, 200);
  EXPECT_EQ(response.body, kMetrics);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4");
  EXPECT_GT(response.elapsed, absl::ZeroDuration());
  MutexLock lock(&mu);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/metrics");
  EXPECT_EQ(seen.Header("Accept"), "text/plain;version=0.0.4;q=1,*/*;q=0.1");
  EXPECT_EQ(seen.Header("Accept-Encoding"), "gzip");
  EXPECT_EQ(seen.Header("User-Agent"), "Prometheus/2.42.0");
  EXPECT_EQ(seen.Header("X-Prometheus-Scrape-Timeout-Seconds"), "1.5");
}

TEST_P(HttpClientTest, CompressionDisabledSendsIdentity) {
  Mutex mu;
  std::string encoding;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    encoding = request.Header("Accept-Encoding");
    return Text(kMetrics);
  });
  auto client = NewClient();
  Request request = Get(server->Url("/metrics"));
  request.headers = ScrapeHeaders("*/*", absl::Seconds(1), false);
  PROMSCRAPE_EXPECT_OK(Fetch(*client, std::move(request)).status);
  MutexLock lock(&mu);
  EXPECT_EQ(encoding, "identity");
}

TEST_P(HttpClientTest, GzipBodyIsDecompressed) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response = Text(Gzip(kMetrics));
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
}

TEST_P(HttpClientTest, MultiMemberGzipIsDecompressed) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response =
        Text(Gzip("metric_a 1\n") + Gzip("metric_b 2\n"));
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
}

TEST_P(HttpClientTest, OnlyExactlyGzipEncodingIsDecoded) {
  std::string compressed = Gzip(kMetrics);
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Text(compressed);
    response.headers.emplace_back("Content-Encoding", "GZIP");
    return response;
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, compressed);
}

TEST_P(HttpClientTest, CorruptGzipFails) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response = Text("this is not gzip at all");
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  auto client = NewClient();
  EXPECT_THAT(Fetch(*client, Get(server->Url("/metrics"))).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("gzip: invalid header")));
}

TEST_P(HttpClientTest, TruncatedGzipFails) {
  std::string compressed = Gzip(kMetrics);
  compressed.resize(compressed.size() - 6);
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Text(compressed);
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  auto client = NewClient();
  EXPECT_THAT(Fetch(*client, Get(server->Url("/metrics"))).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unexpected EOF")));
}

TEST_P(HttpClientTest, LargeGzipBodySpanningManyReadsIsDecompressed) {
  std::string body;
  for (int i = 0; body.size() < (4 << 20); ++i) {
    absl::StrAppend(&body, "series_", i, "{label=\"value\"} ", i, "\n");
  }
  std::string compressed = Gzip(body);
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Text(compressed);
    response.headers.emplace_back("Content-Encoding", "gzip");
    return response;
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body.size(), body.size());
  EXPECT_TRUE(response.body == body);

  Request limited = Get(server->Url("/metrics"));
  limited.body_size_limit = 1 << 20;
  response = Fetch(*client, std::move(limited));
  EXPECT_THAT(response.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                        "body size limit exceeded"));
  EXPECT_EQ(response.body.size(), size_t{1} << 20);
  EXPECT_TRUE(response.body == body.substr(0, 1 << 20));
}

TEST_P(HttpClientTest, SlowResponseWithinTimeoutSucceeds) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response = Text(kMetrics);
    response.delay = absl::Milliseconds(300);
    return response;
  });
  auto client = NewClient();
  Request request = Get(server->Url("/metrics"));
  request.timeout = absl::Seconds(10);
  Response response = Fetch(*client, std::move(request));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
  EXPECT_GE(response.elapsed, absl::Milliseconds(290));
}

TEST_P(HttpClientTest, HangingServerFailsAtTheTimeout) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response;
    response.hang = true;
    return response;
  });
  auto client = NewClient();
  std::string url = server->Url("/metrics");
  Request request = Get(url);
  request.timeout = absl::Milliseconds(500);

  absl::Time start = absl::Now();
  Response response = Fetch(*client, std::move(request));
  absl::Duration took = absl::Now() - start;

  EXPECT_THAT(
      response.status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               absl::StrCat("Get \"", url, "\": context deadline exceeded")));
  EXPECT_GE(took, absl::Milliseconds(490));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_P(HttpClientTest, HangingTargetDoesNotDelayOthers) {
  auto hanging = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response;
    response.hang = true;
    return response;
  });
  auto fast =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  auto client = NewClient();
  Notification hung_done;
  Request slow = Get(hanging->Url("/metrics"));
  slow.timeout = absl::Seconds(30);
  uint64_t id =
      client->Start(std::move(slow), [&](Response) { hung_done.Notify(); });
  for (int i = 0; i < 20; ++i) {
    PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(fast->Url("/m"))).status);
  }
  EXPECT_FALSE(hung_done.HasBeenNotified());
  client->Cancel(id);
  EXPECT_TRUE(hung_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

struct BodyLimitCase {
  std::string name;
  bool gzip;
  int64_t limit;
  bool fails;
  size_t body_size;
};

TEST_P(HttpClientTest, BodySizeLimitCountsDecompressedBytes) {
  // TestTargetScraperBodySizeLimit: a body reaching the limit fails with
  // exactly `limit` bytes buffered, for plain and gzip bodies.
  std::vector<BodyLimitCase> cases = {
      {"plain over limit", false, 15, true, 15},
      {"gzip over limit", true, 15, true, 15},
      {"plain unlimited", false, 0, false, 22},
      {"gzip unlimited", true, 0, false, 22},
      {"plain exactly limit", false, 22, true, 22},
      {"gzip exactly limit", true, 22, true, 22},
      {"plain under limit", false, 23, false, 22},
      {"gzip under limit", true, 23, false, 22},
  };
  auto server = StartServer([](const TestHttpRequest& request) {
    if (request.target == "/gzip") {
      TestHttpResponse response = Text(Gzip(kMetrics));
      response.headers.emplace_back("Content-Encoding", "gzip");
      return response;
    }
    return Text(kMetrics);
  });
  auto client = NewClient();
  for (const BodyLimitCase& c : cases) {
    SCOPED_TRACE(c.name);
    Request request = Get(server->Url(c.gzip ? "/gzip" : "/plain"));
    request.body_size_limit = c.limit;
    Response response = Fetch(*client, std::move(request));
    if (c.fails) {
      EXPECT_THAT(response.status,
                  StatusIs(absl::StatusCode::kResourceExhausted,
                           "body size limit exceeded"));
      EXPECT_TRUE(response.body_size_limit_exceeded);
    } else {
      PROMSCRAPE_EXPECT_OK(response.status);
    }
    EXPECT_EQ(response.body.size(), c.body_size);
  }
}

TEST_P(HttpClientTest, LargeBodyOverLimitAbortsEarly) {
  auto server = StartServer(
      [](const TestHttpRequest&) { return Text(std::string(8 << 20, 'x')); });
  auto client = NewClient();
  Request request = Get(server->Url("/big"));
  request.body_size_limit = 1 << 20;
  Response response = Fetch(*client, std::move(request));
  EXPECT_THAT(response.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                        "body size limit exceeded"));
  EXPECT_EQ(response.body.size(), size_t{1} << 20);
}

TEST_P(HttpClientTest, NonOkStatusesUseGoStatusText) {
  auto server = StartServer([](const TestHttpRequest& request) {
    TestHttpResponse response = Text("oops");
    if (request.target == "/404") {
      response.status = 404;
      response.reason = "Not Found";
    } else if (request.target == "/500") {
      response.status = 500;
      response.reason = "Internal Server Error";
    } else if (request.target == "/204") {
      response.status = 204;
      response.reason = "No Content";
      response.body.clear();
    } else {
      response.status = 503;
      response.reason = "";  // No reason phrase: Go's table fills it in.
    }
    return response;
  });
  auto client = NewClient();
  EXPECT_THAT(Fetch(*client, Get(server->Url("/404"))).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       "server returned HTTP status 404 Not Found"));
  EXPECT_THAT(
      Fetch(*client, Get(server->Url("/500"))).status,
      StatusIs(absl::StatusCode::kUnavailable,
               "server returned HTTP status 500 Internal Server Error"));
  // Only 200 is success, not any 2xx.
  EXPECT_THAT(Fetch(*client, Get(server->Url("/204"))).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       "server returned HTTP status 204 No Content"));
  Response response = Fetch(*client, Get(server->Url("/503")));
  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       "server returned HTTP status 503 Service Unavailable"));
  EXPECT_EQ(response.status_code, 503);
}

TEST_P(HttpClientTest, UnexpectedContentTypeIsPassedThrough) {
  auto server = StartServer([](const TestHttpRequest&) {
    return Text(kMetrics, "application/x-weird; charset=latin1");
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.content_type, "application/x-weird; charset=latin1");
}

TEST_P(HttpClientTest, ConnectionRefused) {
  // Bind a port, then free it, so nothing listens there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  auto client = NewClient();
  std::string url = absl::StrCat("http://127.0.0.1:", port, "/metrics");
  EXPECT_THAT(Fetch(*client, Get(url)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("Get \"", url, "\": dial tcp 127.0.0.1:",
                                    port, ": connect: connection refused")));
}

TEST_P(HttpClientTest, UnsupportedSchemeFails) {
  auto client = NewClient();
  EXPECT_THAT(Fetch(*client, Get("ftp://127.0.0.1:1/metrics")).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported protocol scheme \"ftp\"")));
}

TEST_P(HttpClientTest, BasicAuthHeaderIsSent) {
  auto server = StartServer([](const TestHttpRequest& request) {
    if (request.Header("Authorization") != "Basic dXNlcjpwYXNz") {
      TestHttpResponse response;
      response.status = 401;
      response.reason = "Unauthorized";
      return response;
    }
    return Text(kMetrics);
  });
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  Request request = Get(server->Url("/metrics"));
  request.settings = settings;
  EXPECT_THAT(Fetch(*client, request).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       "server returned HTTP status 401 Unauthorized"));
  std::string password_file = TempPath("basic_password");
  std::ofstream(password_file) << "pass\n";
  settings->basic_auth =
      BasicAuth{.username = "user", .password_file = password_file};
  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);
}

TEST_P(HttpClientTest, BearerTokenFileIsReadForEveryRequest) {
  Mutex mu;
  std::vector<std::string> seen;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    seen.push_back(request.Header("Authorization"));
    return Text(kMetrics);
  });
  auto client = NewClient();
  std::string token_file = TempPath("token");
  std::ofstream(token_file) << "first-token\n";
  auto settings = std::make_shared<ClientSettings>();
  settings->authorization = Authorization{.credentials_file = token_file};
  Request request = Get(server->Url("/metrics"));
  request.settings = settings;

  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);
  std::ofstream(token_file, std::ios::trunc) << "second-token";
  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);

  MutexLock lock(&mu);
  EXPECT_THAT(seen, ::testing::ElementsAre("Bearer first-token",
                                           "Bearer second-token"));
}

// Prometheus 3.x `http_headers` (prometheus/common headersRoundTripper):
// values, secrets and files are all sent; a file is read at every request;
// a configured header replaces the request's own of the same name.
TEST_P(HttpClientTest, HttpHeadersAreSentAndReplaceRequestHeaders) {
  Mutex mu;
  std::vector<TestHttpRequest> seen;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    seen.push_back(request);
    return Text(kMetrics);
  });
  auto client = NewClient();
  std::string header_file = TempPath("tenant");
  std::ofstream(header_file) << "tenant-1\n";
  auto settings = std::make_shared<ClientSettings>();
  settings->headers = {{"X-Scope", "a"}, {"X-Scope", "b"},
                       {"Accept", "application/openmetrics-text"}};
  settings->header_files = {{"X-Tenant", header_file}};
  Request request = Get(server->Url("/metrics"));
  request.headers = ScrapeHeaders("text/plain;version=0.0.4", absl::Seconds(1),
                                  true);
  request.settings = settings;

  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);
  std::ofstream(header_file, std::ios::trunc) << "tenant-2";
  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);

  MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);
  std::vector<std::string> scopes, accepts;
  for (const auto& [name, value] : seen[0].headers) {
    if (absl::EqualsIgnoreCase(name, "X-Scope")) scopes.push_back(value);
    if (absl::EqualsIgnoreCase(name, "Accept")) accepts.push_back(value);
  }
  EXPECT_THAT(scopes, ::testing::ElementsAre("a", "b"));
  EXPECT_THAT(accepts, ::testing::ElementsAre("application/openmetrics-text"));
  EXPECT_EQ(seen[0].Header("X-Tenant"), "tenant-1");
  EXPECT_EQ(seen[1].Header("X-Tenant"), "tenant-2");
  EXPECT_EQ(seen[0].Header("User-Agent"), "Prometheus/2.42.0");
}

TEST_P(HttpClientTest, MissingHeaderFileFailsTheScrape) {
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->header_files = {{"X-Tenant", TempPath("no-such-header-file")}};
  Request request = Get("http://127.0.0.1:1/metrics");
  request.settings = settings;
  EXPECT_THAT(Fetch(*client, request).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("header X-Tenant file")));
}

TEST_P(HttpClientTest, MissingTokenFileFailsTheScrape) {
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->authorization =
      Authorization{.credentials_file = TempPath("no-such-token")};
  Request request = Get("http://127.0.0.1:1/metrics");
  request.settings = settings;
  EXPECT_THAT(Fetch(*client, request).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unable to read authorization credentials "
                                 "file")));
}

TEST_P(HttpClientTest, RedirectsFollowedUnlessDisabled) {
  auto server = StartServer([](const TestHttpRequest& request) {
    if (request.target == "/old") {
      TestHttpResponse response;
      response.status = 302;
      response.reason = "Found";
      response.headers = {{"Location", "/metrics"}};
      return response;
    }
    return Text(kMetrics);
  });
  auto client = NewClient();
  auto follow = std::make_shared<ClientSettings>();
  Request request = Get(server->Url("/old"));
  request.settings = follow;
  Response response = Fetch(*client, request);
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);

  auto no_follow = std::make_shared<ClientSettings>();
  no_follow->follow_redirects = false;
  request.settings = no_follow;
  response = Fetch(*client, request);
  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       "server returned HTTP status 302 Found"));
  EXPECT_EQ(response.status_code, 302);
}

TEST_P(HttpClientTest, ExtraHeadersFromSettingsAreSent) {
  Mutex mu;
  std::string value;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    value = request.Header("X-Tenant");
    return Text(kMetrics);
  });
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->headers = {{"X-Tenant", "team-a"}};
  Request request = Get(server->Url("/metrics"));
  request.settings = settings;
  PROMSCRAPE_EXPECT_OK(Fetch(*client, request).status);
  MutexLock lock(&mu);
  EXPECT_EQ(value, "team-a");
}

TEST_P(HttpClientTest, BufferIsReusedAcrossScrapes) {
  auto server =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  auto client = NewClient();
  std::string buffer;
  buffer.reserve(4096);
  const char* data = buffer.data();
  for (int i = 0; i < 3; ++i) {
    Request request = Get(server->Url("/metrics"));
    request.buffer = std::move(buffer);
    Response response = Fetch(*client, std::move(request));
    PROMSCRAPE_ASSERT_OK(response.status);
    EXPECT_EQ(response.body, kMetrics);
    EXPECT_EQ(response.body.data(), data) << "scrape " << i << " reallocated";
    buffer = std::move(response.body);
  }
}

TEST_P(HttpClientTest, KeepAliveConnectionIsReused) {
  auto server =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  auto client = NewClient();
  for (int i = 0; i < 5; ++i) {
    PROMSCRAPE_ASSERT_OK(Fetch(*client, Get(server->Url("/metrics"))).status);
  }
  EXPECT_EQ(server->connections(), 1);
}

TEST_P(HttpClientTest, CancelAbortsInFlightRequest) {
  Notification arrived;
  auto server = StartServer([&](const TestHttpRequest&) {
    arrived.Notify();
    TestHttpResponse response;
    response.hang = true;
    return response;
  });
  auto client = NewClient();
  std::string url = server->Url("/metrics");
  Notification done;
  Response result;
  uint64_t id = client->Start(Get(url), [&](Response response) {
    result = std::move(response);
    done.Notify();
  });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  client->Cancel(id);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(result.status,
              StatusIs(absl::StatusCode::kCancelled,
                       absl::StrCat("Get \"", url, "\": context canceled")));
  EXPECT_EQ(result.id, id);
}

TEST_P(HttpClientTest, StopCancelsInFlightAndLaterRequests) {
  Notification arrived;
  auto server = StartServer([&](const TestHttpRequest&) {
    arrived.Notify();
    TestHttpResponse response;
    response.hang = true;
    return response;
  });
  auto client = NewClient();
  Notification done;
  absl::Status status;
  client->Start(Get(server->Url("/metrics")), [&](Response response) {
    status = response.status;
    done.Notify();
  });
  ASSERT_TRUE(arrived.WaitForNotificationWithTimeout(absl::Seconds(10)));
  client->Stop();
  EXPECT_TRUE(done.HasBeenNotified());  // Stop returns after callbacks.
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kCancelled,
                               HasSubstr("context canceled")));
  client->Stop();  // Idempotent.

  bool called = false;
  client->Start(Get(server->Url("/metrics")), [&](Response response) {
    called = true;
    EXPECT_EQ(response.status.code(), absl::StatusCode::kCancelled);
  });
  EXPECT_TRUE(called);
}

TEST_P(HttpClientTest, CallbacksCanRunOnAnExecutor) {
  auto server =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  std::atomic<int> executed{0};
  HttpClientOptions options;
  options.callback_executor = [&](absl::AnyInvocable<void()> task) {
    executed.fetch_add(1);
    task();
  };
  auto client = NewClient(std::move(options));
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(server->Url("/metrics"))).status);
  EXPECT_EQ(executed.load(), 1);
}

TEST_P(HttpClientTest, SmallBodiesCompleteOnTheLoopLargeOnesOnTheExecutor) {
  // inline_callback_max_body: a body up to the limit is handed to its
  // callback on the loop thread (no wake-up of another thread); a larger
  // one goes to the executor.
  const std::string large(4096, 'x');
  auto server = StartServer([&](const TestHttpRequest& request) {
    return Text(request.target == "/large" ? large : std::string(kMetrics));
  });
  std::atomic<int> executed{0};
  HttpClientOptions options;
  options.inline_callback_max_body = 1024;
  options.callback_executor = [&](absl::AnyInvocable<void()> task) {
    executed.fetch_add(1);
    task();
  };
  auto client = NewClient(std::move(options));
  Response small = Fetch(*client, Get(server->Url("/small")));
  PROMSCRAPE_EXPECT_OK(small.status);
  EXPECT_EQ(small.body, kMetrics);
  EXPECT_EQ(executed.load(), 0);
  Response big = Fetch(*client, Get(server->Url("/large")));
  PROMSCRAPE_EXPECT_OK(big.status);
  EXPECT_EQ(big.body.size(), large.size());
  EXPECT_EQ(executed.load(), 1);
}

TEST_P(HttpClientTest, ProxyUrlSendsAbsoluteFormRequestsToTheProxy) {
  Mutex mu;
  std::string target;
  auto proxy = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    target = request.target;
    return Text(kMetrics);
  });
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->proxy_url = proxy->Url("");
  Request request = Get("http://scrape-target.invalid:9100/metrics");
  request.settings = settings;
  Response response = Fetch(*client, std::move(request));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
  MutexLock lock(&mu);
  EXPECT_EQ(target, "http://scrape-target.invalid:9100/metrics");
}

TEST_P(HttpClientTest, SeveralLoopsServeAndCancelRequests) {
  auto fast =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  auto hanging = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response;
    response.hang = true;
    return response;
  });
  HttpClientOptions options;
  options.num_loops = 3;
  auto client = NewClient(std::move(options));
  for (int i = 0; i < 10; ++i) {
    PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(fast->Url("/metrics"))).status);
  }
  Notification done;
  absl::Status status;
  uint64_t id =
      client->Start(Get(hanging->Url("/metrics")), [&](Response response) {
        status = response.status;
        done.Notify();
      });
  client->Cancel(id);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
}

TEST_P(HttpClientTest, InvalidOptionsAreRejected) {
  HttpClientOptions options;
  options.num_loops = 0;
  EXPECT_THAT(
      HttpClient::Create(std::move(options)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_loops")));
}

TEST_P(HttpClientTest, ThousandsConcurrentRequestsOnOneLoopThread) {
  constexpr int kRequests = 1500;
  std::atomic<int> threads_at_peak{0};
  std::atomic<int> seen{0};
  TestHttpServer* server_ptr = nullptr;
  Notification server_ready;
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Text(kMetrics);
    // Answer nothing until every request is in flight at once, which proves
    // the client keeps them all open concurrently.
    response.hold = true;
    if (seen.fetch_add(1) + 1 == kRequests) {
      threads_at_peak = ThreadCount();
      server_ready.WaitForNotification();
      server_ptr->ReleaseHeld(/*keep_releasing=*/true);
    }
    return response;
  });
  server_ptr = server.get();
  server_ready.Notify();
  auto client = NewClient();
  int threads_before = ThreadCount();

  Mutex mu;
  CondVar cv;
  int completed = 0;
  int failures = 0;
  std::set<std::thread::id> callback_threads;
  for (int i = 0; i < kRequests; ++i) {
    Request request = Get(server->Url("/metrics"));
    request.timeout = absl::Seconds(120);
    client->Start(std::move(request), [&](Response response) {
      MutexLock lock(&mu);
      callback_threads.insert(std::this_thread::get_id());
      if (!response.status.ok() || response.body != kMetrics) {
        if (failures++ == 0) ADD_FAILURE() << response.status;
      }
      ++completed;
      cv.Signal();
    });
  }
  {
    absl::Time deadline = absl::Now() + absl::Seconds(120);
    MutexLock lock(&mu);
    while (completed < kRequests && absl::Now() < deadline) {
      cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
    EXPECT_EQ(completed, kRequests);
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(callback_threads.size(), 1u);
    EXPECT_EQ(callback_threads.count(std::this_thread::get_id()), 0u);
  }
  EXPECT_EQ(server->connections(), kRequests);
  // No thread per request: the peak equals the idle count.
  EXPECT_EQ(threads_at_peak.load(), threads_before);
}

TestHttpResponse Raw(std::string bytes, bool close_after = true) {
  TestHttpResponse response;
  response.raw = std::move(bytes);
  response.close_after = close_after;
  return response;
}

TEST_P(HttpClientTest, ChunkedBodySplitAcrossReadsIsDecoded) {
  std::string chunked =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      "Transfer-Encoding: chunked\r\n\r\n"
      "b\r\nmetric_a 1\n\r\n"
      "B;name=value\r\nmetric_b 2\n\r\n"
      "0\r\nX-Trailer: ignored\r\n\r\n";
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Raw(chunked, /*close_after=*/false);
    response.piece_bytes = 7;
    return response;
  });
  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    Response response = Fetch(*client, Get(server->Url("/metrics")));
    PROMSCRAPE_ASSERT_OK(response.status);
    EXPECT_EQ(response.body, kMetrics);
    EXPECT_EQ(response.content_type, "text/plain");
  }
  EXPECT_EQ(server->connections(), 1);
}

TEST_P(HttpClientTest, ContentLengthBodySplitAcrossManyReads) {
  std::string body;
  for (int i = 0; body.size() < 5000; ++i) {
    absl::StrAppend(&body, "series_", i, " ", i, "\n");
  }
  auto server = StartServer([&](const TestHttpRequest&) {
    TestHttpResponse response = Text(body);
    response.piece_bytes = 97;
    return response;
  });
  auto client = NewClient();
  for (int i = 0; i < 2; ++i) {
    Response response = Fetch(*client, Get(server->Url("/metrics")));
    PROMSCRAPE_ASSERT_OK(response.status);
    EXPECT_TRUE(response.body == body);
  }
  EXPECT_EQ(server->connections(), 1);
}

TEST_P(HttpClientTest, Http10BodyDelimitedByCloseIsComplete) {
  auto server = StartServer([](const TestHttpRequest&) {
    return Raw(absl::StrCat("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n",
                            kMetrics));
  });
  auto client = NewClient();
  for (int i = 0; i < 2; ++i) {
    Response response = Fetch(*client, Get(server->Url("/metrics")));
    PROMSCRAPE_ASSERT_OK(response.status);
    EXPECT_EQ(response.body, kMetrics);
  }
  EXPECT_EQ(server->connections(), 2);
}

TEST_P(HttpClientTest, ManyRequestsShareOneKeepAliveConnection) {
  auto server =
      StartServer([](const TestHttpRequest&) { return Text(kMetrics); });
  auto client = NewClient();
  std::string buffer;
  for (int i = 0; i < 50; ++i) {
    Request request = Get(server->Url("/metrics"));
    request.buffer = std::move(buffer);
    Response response = Fetch(*client, std::move(request));
    PROMSCRAPE_ASSERT_OK(response.status);
    buffer = std::move(response.body);
  }
  EXPECT_EQ(server->requests(), 50);
  EXPECT_EQ(server->connections(), 1);
}

TEST_P(HttpClientTest, PooledConnectionDroppedAtRequestIsRetriedOnce) {
  // The server drops every kept-alive connection when its second request
  // arrives, without answering: a fresh connection must serve it.
  auto server = StartServer([](const TestHttpRequest& request) {
    if (request.request_on_connection == 1) {
      TestHttpResponse response;
      response.close_without_response = true;
      return response;
    }
    return Text(kMetrics);
  });
  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    Response response = Fetch(*client, Get(server->Url("/metrics")));
    PROMSCRAPE_EXPECT_OK(response.status) << "request " << i;
    EXPECT_EQ(response.body, kMetrics);
  }
  EXPECT_EQ(server->connections(), 3);
}

TEST_P(HttpClientTest, IdleConnectionClosedByServerIsReplaced) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response = Text(kMetrics);
    response.close_after = true;  // Not announced: looks reusable.
    return response;
  });
  auto client = NewClient();
  for (int i = 0; i < 3; ++i) {
    PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(server->Url("/metrics"))).status);
  }
  EXPECT_EQ(server->connections(), 3);
}

TEST_P(HttpClientTest, ServerClosingMidBodyFails) {
  auto server = StartServer([](const TestHttpRequest&) {
    return Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
  });
  auto client = NewClient();
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kUnavailable, "unexpected EOF"));
  EXPECT_TRUE(response.body.empty());
}

TEST_P(HttpClientTest, ServerClosingBeforeAnyByteFails) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response;
    response.close_without_response = true;
    return response;
  });
  auto client = NewClient();
  std::string url = server->Url("/metrics");
  EXPECT_THAT(Fetch(*client, Get(url)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("Get \"", url, "\": EOF")));
}

struct MalformedCase {
  std::string name;
  std::string raw;
  // The native transport's whole message, after `Get "<url>": ` unless
  // `no_prefix`.
  std::string error;
  bool no_prefix = false;
};

TEST_P(HttpClientTest, MalformedResponsesFailClearly) {
  std::vector<MalformedCase> cases = {
      {"no status code", "garbage\r\n\r\n",
       "net/http: HTTP/1.x transport connection broken: malformed HTTP "
       "response \"garbage\""},
      {"bad version", "HTTP/9.9 200 OK\r\n\r\n",
       "net/http: HTTP/1.x transport connection broken: malformed HTTP "
       "version \"HTTP/9.9\""},
      {"bad status code", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
       "net/http: HTTP/1.x transport connection broken: malformed HTTP "
       "status code \"2x0\""},
      {"header without colon",
       "HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
       "net/http: HTTP/1.x transport connection broken: malformed MIME "
       "header line: no colon here"},
      {"bad content length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
       "net/http: HTTP/1.x transport connection broken: bad Content-Length "
       "\"1x\""},
      {"bad chunk size",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n",
       "malformed chunked encoding", true},
      {"cut head", "HTTP/1.1 200 OK\r\nContent-Ty", "unexpected EOF"},
  };
  auto client = NewClient();
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto server =
        StartServer([&](const TestHttpRequest&) { return Raw(c.raw); });
    std::string url = server->Url("/metrics");
    Response response = Fetch(*client, Get(url));
    // curl is laxer (it takes a cut head as a complete response); only
    // the native transport's errors are pinned.
    if (native()) {
      EXPECT_THAT(response.status,
                  StatusIs(absl::StatusCode::kUnavailable,
                           c.no_prefix ? c.error
                                       : absl::StrCat("Get \"", url, "\": ",
                                                      c.error)));
    }
  }
}

TEST_P(HttpClientTest, TimeoutWhileConnecting) {
  // A listener whose accept queue is full and never drained: SYNs are
  // dropped, so the connect hangs (and if the kernel accepts it anyway,
  // nothing ever answers).
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(listen(listener, 0), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(fd);
  }
  auto client = NewClient();
  std::string url =
      absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/metrics");
  Request request = Get(url);
  request.timeout = absl::Milliseconds(300);
  EXPECT_THAT(
      Fetch(*client, std::move(request)).status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               absl::StrCat("Get \"", url, "\": context deadline exceeded")));
  client->Stop();
  for (int fd : fillers) close(fd);
  close(listener);
}

TEST_P(HttpClientTest, TimeoutWhileReadingTheBody) {
  auto server = StartServer([](const TestHttpRequest&) {
    TestHttpResponse response = Text(std::string(4000, 'x'));
    response.piece_bytes = 1000;
    response.piece_delay = absl::Seconds(30);
    return response;
  });
  auto client = NewClient();
  std::string url = server->Url("/metrics");
  Request request = Get(url);
  request.timeout = absl::Milliseconds(300);
  EXPECT_THAT(
      Fetch(*client, std::move(request)).status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               absl::StrCat("Get \"", url, "\": context deadline exceeded")));
}

TEST_P(HttpClientTest, ThousandTargetsConcurrentlyThenReused) {
  RaiseFileLimit();
  constexpr int kTargets = 1000;
  auto server = TestHttpServer::StartOnPorts(
      [](const TestHttpRequest& request) {
        return Text(absl::StrCat("target ", request.port_index, "\n"));
      },
      kTargets);
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewClient();
  for (int round = 0; round < 2; ++round) {
    Mutex mu;
    CondVar cv;
    int completed = 0;
    int failures = 0;
    for (int i = 0; i < kTargets; ++i) {
      Request request = Get((*server)->Url("/metrics", i));
      request.timeout = absl::Seconds(120);
      client->Start(std::move(request), [&, i](Response response) {
        MutexLock lock(&mu);
        if (!response.status.ok() ||
            response.body != absl::StrCat("target ", i, "\n")) {
          if (failures++ == 0) ADD_FAILURE() << response.status;
        }
        ++completed;
        cv.Signal();
      });
    }
    absl::Time deadline = absl::Now() + absl::Seconds(120);
    MutexLock lock(&mu);
    while (completed < kTargets && absl::Now() < deadline) {
      cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
    EXPECT_EQ(completed, kTargets);
    EXPECT_EQ(failures, 0);
  }
  // The second round reused every connection.
  EXPECT_EQ((*server)->connections(), kTargets);
  client->Stop();
}

TEST(HttpClientTransportsTest, BothSendTheSameRequestHeaders) {
  Mutex mu;
  std::vector<std::vector<std::pair<std::string, std::string>>> seen;
  auto server = StartServer([&](const TestHttpRequest& request) {
    MutexLock lock(&mu);
    seen.push_back(request.headers);
    return Text(kMetrics);
  });
  auto settings = std::make_shared<ClientSettings>();
  settings->basic_auth = BasicAuth{.username = "user", .password = "pass"};
  settings->headers = {{"X-Tenant", "team-a"}, {"X-Empty", ""}};
  for (bool native : {true, false}) {
    HttpClientOptions options;
    options.native_http1 = native;
    auto client = NewClientWith(std::move(options));
    Request request = Get(server->Url("/metrics?a=b"));
    request.headers = ScrapeHeaders("text/plain;version=0.0.4",
                                    absl::Seconds(10), true);
    request.settings = settings;
    PROMSCRAPE_ASSERT_OK(Fetch(*client, std::move(request)).status);
  }
  MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_THAT(seen[0], ::testing::Contains(std::make_pair(
                           std::string("Host"),
                           absl::StrCat("127.0.0.1:", server->port()))));
}

TEST(NativeHttp1Test, OversizedResponseHeadersFail) {
  auto server = StartServer([](const TestHttpRequest& request) {
    TestHttpResponse response = Text(kMetrics);
    size_t size = request.target == "/big" ? 8000 : 1000;
    response.headers.emplace_back("X-Padding", std::string(size, 'p'));
    return response;
  });
  HttpClientOptions options;
  options.max_response_header_bytes = 4096;
  auto client = NewClientWith(std::move(options));
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(server->Url("/small"))).status);
  std::string url = server->Url("/big");
  EXPECT_THAT(Fetch(*client, Get(url)).status,
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("Get \"", url,
                                    "\": net/http: server response headers "
                                    "exceeded 4096 bytes; aborted")));
}

TEST(NativeHttp1Test, InterimResponsesAreSkipped) {
  auto server = StartServer([](const TestHttpRequest&) {
    return Raw(absl::StrCat(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\n",
        kMetrics));
  });
  auto client = NewClientWith({});
  Response response = Fetch(*client, Get(server->Url("/metrics")));
  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
}

}  // namespace
}  // namespace promscrape::http
