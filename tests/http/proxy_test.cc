#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"
#include "tests/http/http_client_test_util.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http {
namespace {

using ::promscrape::http::testing::Fetch;
using ::promscrape::http::testing::StartServer;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kMetrics[] = "metric_a 1\n";

TestHttpResponse Metrics() {
  TestHttpResponse response;
  response.headers = {{"Content-Type", "text/plain"}};
  response.body = kMetrics;
  return response;
}

// A forward proxy stand-in: answers absolute-form GETs itself (no upstream
// needed, so targets may have unresolvable names) and refuses CONNECT with
// 403, recording every request line and its headers.
class FakeProxy {
 public:
  FakeProxy() {
    server_ = StartServer([this](const TestHttpRequest& request) {
      MutexLock lock(&mu_);
      requests_.push_back(request);
      if (request.method == "CONNECT") {
        TestHttpResponse refused;
        refused.status = 403;
        refused.reason = "Forbidden";
        refused.close_after = true;
        return refused;
      }
      return Metrics();
    });
  }
  std::string url() const { return server_->Url(""); }
  std::vector<std::string> lines() {
    MutexLock lock(&mu_);
    std::vector<std::string> lines;
    for (const TestHttpRequest& r : requests_) {
      lines.push_back(absl::StrCat(r.method, " ", r.target));
    }
    return lines;
  }
  TestHttpRequest request(int i) {
    MutexLock lock(&mu_);
    return requests_.at(i);
  }

 private:
  std::unique_ptr<TestHttpServer> server_;
  Mutex mu_;
  std::vector<TestHttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) {
    for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                             "https_proxy", "NO_PROXY", "no_proxy"}) {
      if (const char* old = std::getenv(name)) saved_.emplace_back(name, old);
      unsetenv(name);
    }
    for (const auto& [name, value] : vars) {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnv() {
    for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                             "https_proxy", "NO_PROXY", "no_proxy"}) {
      unsetenv(name);
    }
    for (const auto& [name, value] : saved_) {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

std::unique_ptr<HttpClient> NewClient() {
  // The native transport stays on: proxied requests must leave it for curl.
  auto client = HttpClient::Create(HttpClientOptions{});
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(client).value();
}

Request Get(const std::string& url,
            std::shared_ptr<const ClientSettings> settings) {
  Request request;
  request.url = url;
  request.timeout = absl::Seconds(10);
  request.settings = std::move(settings);
  return request;
}

TEST(ProxyFromEnvironmentTest, UppercaseWinsAndEachSchemeHasItsOwn) {
  ScopedEnv env({{"HTTP_PROXY", "http://upper:1"},
                 {"http_proxy", "http://lower:1"},
                 {"https_proxy", "http://secure:2"},
                 {"no_proxy", "a.example"}});
  EnvironmentProxy proxy = ProxyFromEnvironment();
  EXPECT_EQ(proxy.http_proxy, "http://upper:1");
  EXPECT_EQ(proxy.https_proxy, "http://secure:2");
  EXPECT_EQ(proxy.no_proxy, "a.example");
}

TEST(ChooseProxyTest, FollowsGoRules) {
  ClientSettings settings;
  settings.proxy_url = "http://p:3128";
  // http.ProxyURL: everything, loopback included.
  EXPECT_EQ(ChooseProxy(settings, "http://127.0.0.1:9100/").no_proxy, "");
  settings.no_proxy = "a.example, .b.example";
  EXPECT_EQ(ChooseProxy(settings, "http://x/").no_proxy,
            "a.example,.b.example,localhost,127.0.0.0/8,::1");
  settings.no_proxy = "a.example,*";
  EXPECT_EQ(ChooseProxy(settings, "http://x/").no_proxy, "*");

  ClientSettings env;
  env.environment_proxy = EnvironmentProxy{"http://h:1", "", ""};
  EXPECT_EQ(ChooseProxy(env, "http://x/").proxy, "http://h:1");
  // No HTTPS_PROXY: https goes direct (Go does not fall back to
  // HTTP_PROXY).
  EXPECT_EQ(ChooseProxy(env, "https://x/").proxy, "");
}

TEST(ProxyTest, ProxyUrlCarriesLoopbackTargetsOffTheNativeTransport) {
  FakeProxy proxy;
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->proxy_url = proxy.url();

  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get("http://127.0.0.1:1/metrics", settings)).status);

  EXPECT_THAT(proxy.lines(), ElementsAre("GET http://127.0.0.1:1/metrics"));
}

TEST(ProxyTest, NoProxyHostsAndLoopbackBypassProxyUrl) {
  FakeProxy proxy;
  auto target = StartServer([](const TestHttpRequest&) { return Metrics(); });
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->proxy_url = proxy.url();
  settings->no_proxy = "bypassed.invalid";

  // Proxied: served by the proxy, though the name does not resolve.
  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get("http://proxied.invalid/metrics", settings)).status);
  // Bypassed: curl resolves the name itself, and fails.
  EXPECT_FALSE(
      Fetch(*client, Get("http://bypassed.invalid/metrics", settings))
          .status.ok());
  // Loopback bypasses the proxy whenever no_proxy is set (Go's httpproxy).
  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get(target->Url("/metrics"), settings)).status);

  EXPECT_THAT(proxy.lines(), ElementsAre("GET http://proxied.invalid/metrics"));
  EXPECT_EQ(target->requests(), 1);
}

TEST(ProxyTest, ProxyFromEnvironmentUsesHttpProxyAndNoProxy) {
  FakeProxy proxy;
  auto target = StartServer([](const TestHttpRequest&) { return Metrics(); });
  ScopedEnv env({{"HTTP_PROXY", proxy.url()}, {"NO_PROXY", "skip.invalid"}});
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->environment_proxy = ProxyFromEnvironment();

  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get("http://scrape-target.invalid:9100/metrics", settings))
          .status);
  EXPECT_FALSE(
      Fetch(*client, Get("http://skip.invalid/metrics", settings)).status.ok());
  // Go never proxies loopback targets from the environment.
  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get(target->Url("/metrics"), settings)).status);

  EXPECT_THAT(proxy.lines(),
              ElementsAre("GET http://scrape-target.invalid:9100/metrics"));
  EXPECT_EQ(target->requests(), 1);
}

TEST(ProxyTest, WithoutProxyFromEnvironmentTheEnvironmentIsIgnored) {
  FakeProxy proxy;
  ScopedEnv env({{"HTTP_PROXY", proxy.url()}, {"http_proxy", proxy.url()}});
  auto client = NewClient();

  EXPECT_FALSE(Fetch(*client, Get("http://scrape-target.invalid/metrics",
                                  std::make_shared<ClientSettings>()))
                   .status.ok());

  EXPECT_THAT(proxy.lines(), IsEmpty());
}

TEST(ProxyTest, ProxyConnectHeaderIsSentOnConnectOnly) {
  FakeProxy proxy;
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->proxy_url = proxy.url();
  settings->proxy_connect_headers = {{"X-Proxy-Token", "abc"},
                                     {"X-Proxy-Token", "def"}};
  settings->authorization = Authorization{"Bearer", "target-secret", ""};

  // The tunnel is refused; what matters is what the CONNECT carried.
  EXPECT_FALSE(
      Fetch(*client, Get("https://secure.invalid:8443/metrics", settings))
          .status.ok());
  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get("http://plain.invalid/metrics", settings)).status);

  ASSERT_THAT(proxy.lines(), ElementsAre("CONNECT secure.invalid:8443",
                                         "GET http://plain.invalid/metrics"));
  TestHttpRequest connect = proxy.request(0);
  std::vector<std::string> tokens;
  for (const auto& [name, value] : connect.headers) {
    if (name == "X-Proxy-Token") tokens.push_back(value);
  }
  EXPECT_THAT(tokens, ElementsAre("abc", "def"));
  EXPECT_EQ(connect.Header("Authorization"), "");
  TestHttpRequest plain = proxy.request(1);
  EXPECT_EQ(plain.Header("X-Proxy-Token"), "");
  EXPECT_EQ(plain.Header("Authorization"), "Bearer target-secret");
}

TEST(ProxyTest, HttpsProxyFromEnvironmentTunnelsHttpsTargets) {
  FakeProxy proxy;
  ScopedEnv env({{"HTTPS_PROXY", proxy.url()}});
  auto client = NewClient();
  auto settings = std::make_shared<ClientSettings>();
  settings->environment_proxy = ProxyFromEnvironment();

  EXPECT_FALSE(
      Fetch(*client, Get("https://secure.invalid/metrics", settings))
          .status.ok());

  EXPECT_THAT(proxy.lines(), ElementsAre("CONNECT secure.invalid:443"));
}

}  // namespace
}  // namespace promscrape::http
