#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http_client.h"
#include "plugin/http/oauth2_token_source.h"
#include "plugin/http/request.h"
#include "plugin/http/url_form.h"
#include "tests/http/http_client_test_util.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http {
namespace {

using ::promscrape::http::testing::Fetch;
using ::promscrape::http::testing::StartServer;
using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kMetrics[] = "metric_a 1\n";

// A client-credentials token endpoint: hands out "token-<n>" for the n-th
// request with `expires_in`, and records what it was sent.
class TokenEndpoint {
 public:
  explicit TokenEndpoint(int expires_in = 3600) : expires_in_(expires_in) {
    server_ = StartServer([this](const TestHttpRequest& request) {
      MutexLock lock(&mu_);
      requests_.push_back(request);
      got_request_.Notify();
      TestHttpResponse response;
      if (status_ != 200 ||
          (params_only_ && !request.Header("Authorization").empty())) {
        response.status = status_;
        response.reason = "Unauthorized";
        response.body = R"({"error":"invalid_client"})";
        return response;
      }
      response.headers = {{"Content-Type", "application/json"}};
      response.body = absl::StrCat(R"({"access_token":"token-)",
                                   requests_.size(),
                                   R"(","token_type":"bearer","expires_in":)",
                                   expires_in_, "}");
      response.hold = hold_;
      response.hang = hang_;
      return response;
    });
  }

  std::string url() const { return server_->Url("/oauth2/token"); }
  TestHttpServer& server() { return *server_; }
  int requests() {
    MutexLock lock(&mu_);
    return static_cast<int>(requests_.size());
  }
  TestHttpRequest request(int i) {
    MutexLock lock(&mu_);
    return requests_.at(i);
  }
  // Waits for the first token request to arrive.
  bool WaitForRequest() {
    return got_request_.WaitForNotificationWithTimeout(absl::Seconds(30));
  }
  void set_status(int status) {
    MutexLock lock(&mu_);
    status_ = status;
  }
  // Refuses credentials in an Authorization header (client_secret_post).
  void set_params_only(bool params_only) {
    MutexLock lock(&mu_);
    params_only_ = params_only;
  }
  void set_hang(bool hang) {
    MutexLock lock(&mu_);
    hang_ = hang;
  }
  void set_hold(bool hold) {
    MutexLock lock(&mu_);
    hold_ = hold;
  }

 private:
  const int expires_in_;
  std::unique_ptr<TestHttpServer> server_;
  Notification got_request_;
  Mutex mu_;
  std::vector<TestHttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 200;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool params_only_ ABSL_GUARDED_BY(mu_) = false;
  bool hang_ ABSL_GUARDED_BY(mu_) = false;
};

// A target that answers 200 only to the Authorization it was last told to
// expect, 401 otherwise, and records what it saw.
class ProtectedTarget {
 public:
  ProtectedTarget() {
    server_ = StartServer([this](const TestHttpRequest& request) {
      MutexLock lock(&mu_);
      seen_.push_back(request.Header("Authorization"));
      TestHttpResponse response;
      if (absl::StartsWith(request.Header("Authorization"), "Bearer token-")) {
        response.headers = {{"Content-Type", "text/plain"}};
        response.body = kMetrics;
      } else {
        response.status = 401;
        response.reason = "Unauthorized";
      }
      return response;
    });
  }
  std::string url() const { return server_->Url("/metrics"); }
  std::vector<std::string> seen() {
    MutexLock lock(&mu_);
    return seen_;
  }

 private:
  std::unique_ptr<TestHttpServer> server_;
  Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

OAuth2Settings BasicOAuth2(const std::string& token_url) {
  OAuth2Settings oauth2;
  oauth2.client_id = "client";
  oauth2.client_secret = "secret";
  oauth2.token_url = token_url;
  return oauth2;
}

std::shared_ptr<ClientSettings> WithOAuth2(OAuth2Settings oauth2) {
  auto settings = std::make_shared<ClientSettings>();
  settings->oauth2 = std::make_shared<OAuth2TokenSource>(std::move(oauth2));
  return settings;
}

Request Get(const std::string& url,
            std::shared_ptr<const ClientSettings> settings) {
  Request request;
  request.url = url;
  request.timeout = absl::Seconds(10);
  request.settings = std::move(settings);
  return request;
}

// Both transports must fetch and send the token alike.
class OAuth2Test : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<HttpClient> NewClient(int loops = 1) {
    HttpClientOptions options;
    options.native_http1 = GetParam();
    options.num_loops = loops;
    options.clock = &clock_;
    auto client = HttpClient::Create(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(client).value();
  }
  FakeClock clock_;
};

INSTANTIATE_TEST_SUITE_P(Transports, OAuth2Test, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Native" : "Curl";
                         });

TEST_P(OAuth2Test, FetchesTokenAndSendsItAsBearer) {
  TokenEndpoint endpoint;
  ProtectedTarget target;
  auto client = NewClient();
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));

  Response response = Fetch(*client, Get(target.url(), settings));

  PROMSCRAPE_EXPECT_OK(response.status);
  EXPECT_EQ(response.body, kMetrics);
  EXPECT_THAT(target.seen(), ::testing::ElementsAre("Bearer token-1"));
  ASSERT_EQ(endpoint.requests(), 1);
  TestHttpRequest token_request = endpoint.request(0);
  EXPECT_EQ(token_request.method, "POST");
  EXPECT_EQ(token_request.target, "/oauth2/token");
  EXPECT_EQ(token_request.Header("Content-Type"),
            "application/x-www-form-urlencoded");
  EXPECT_EQ(token_request.Header("Authorization"),
            absl::StrCat("Basic ", absl::Base64Escape("client:secret")));
  EXPECT_EQ(token_request.body, "grant_type=client_credentials");
}

TEST_P(OAuth2Test, TokenRequestCarriesScopesParamsAndEscapedCredentials) {
  TokenEndpoint endpoint;
  ProtectedTarget target;
  auto client = NewClient();
  OAuth2Settings oauth2 = BasicOAuth2(endpoint.url());
  oauth2.client_id = "my client";
  oauth2.client_secret = "s&cret:1";
  oauth2.scopes = {"metrics.read", "openid"};
  oauth2.endpoint_params = {{"audience", "https://api.example/"},
                            {"resource", "x y"}};

  PROMSCRAPE_EXPECT_OK(
      Fetch(*client, Get(target.url(), WithOAuth2(std::move(oauth2)))).status);

  ASSERT_EQ(endpoint.requests(), 1);
  TestHttpRequest token_request = endpoint.request(0);
  // Go's clientcredentials: url.QueryEscape on both halves, then basic auth.
  EXPECT_EQ(token_request.Header("Authorization"),
            absl::StrCat("Basic ",
                         absl::Base64Escape("my+client:s%26cret%3A1")));
  std::map<std::string, std::string> form = ParseForm(token_request.body);
  EXPECT_EQ(form["grant_type"], "client_credentials");
  EXPECT_EQ(form["scope"], "metrics.read openid");
  EXPECT_EQ(form["audience"], "https://api.example/");
  EXPECT_EQ(form["resource"], "x y");
}

TEST_P(OAuth2Test, TokenIsReusedUntilShortlyBeforeExpiryThenRefreshed) {
  TokenEndpoint endpoint(/*expires_in=*/60);
  ProtectedTarget target;
  auto client = NewClient();
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));

  for (int i = 0; i < 3; ++i) {
    PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
    clock_.Advance(absl::Seconds(10));
  }
  EXPECT_EQ(endpoint.requests(), 1);
  // 51 s after the fetch: within Go's 10 s expiry delta, so a new token.
  clock_.Advance(absl::Seconds(21));
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);

  EXPECT_EQ(endpoint.requests(), 2);
  EXPECT_THAT(target.seen(),
              ::testing::ElementsAre("Bearer token-1", "Bearer token-1",
                                     "Bearer token-1", "Bearer token-2",
                                     "Bearer token-2"));
}

TEST_P(OAuth2Test, ConcurrentRequestsOnSeveralLoopsShareOneFetch) {
  TokenEndpoint endpoint;
  endpoint.set_hold(true);
  ProtectedTarget target;
  std::vector<std::unique_ptr<TestHttpServer>> targets;
  auto client = NewClient(/*loops=*/3);
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));
  struct State {
    Mutex mu;
    int done ABSL_GUARDED_BY(mu) = 0;
    int ok ABSL_GUARDED_BY(mu) = 0;
    Notification all;
  };
  auto state = std::make_shared<State>();
  constexpr int kRequests = 12;
  for (int i = 0; i < kRequests; ++i) {
    // Distinct URLs spread over the loops.
    client->Start(Get(absl::StrCat(target.url(), "?i=", i), settings),
                  [state](Response response) {
                    MutexLock lock(&state->mu);
                    state->ok += response.status.ok() ? 1 : 0;
                    if (++state->done == kRequests) state->all.Notify();
                  });
  }
  ASSERT_TRUE(endpoint.WaitForRequest());
  endpoint.server().ReleaseHeld(/*keep_releasing=*/true);

  ASSERT_TRUE(state->all.WaitForNotificationWithTimeout(absl::Seconds(30)));
  MutexLock lock(&state->mu);
  EXPECT_EQ(state->ok, kRequests);
  EXPECT_EQ(endpoint.requests(), 1);
}

TEST_P(OAuth2Test, UnreachableTokenEndpointFailsTheRequestNamingOAuth2) {
  // A port that refuses: a server that has been stopped.
  std::string token_url;
  {
    TokenEndpoint gone;
    token_url = gone.url();
  }
  ProtectedTarget target;
  auto client = NewClient();

  Response response =
      Fetch(*client, Get(target.url(), WithOAuth2(BasicOAuth2(token_url))));

  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat("Get \"", target.url(),
                                                    "\": oauth2: cannot fetch "
                                                    "token: Post \"",
                                                    token_url, "\"")),
                             HasSubstr("connection refused"))));
  EXPECT_TRUE(target.seen().empty());
}

TEST_P(OAuth2Test, RejectedTokenRequestFailsWithItsStatus) {
  TokenEndpoint endpoint;
  endpoint.set_status(401);
  ProtectedTarget target;
  auto client = NewClient();
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));

  Response response = Fetch(*client, Get(target.url(), settings));
  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("oauth2: cannot fetch token: 401 "
                                 "Unauthorized")));

  // Go's auth style probe tried the form too.
  EXPECT_EQ(endpoint.requests(), 2);

  // The next request tries again, and recovers.
  endpoint.set_status(200);
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
  EXPECT_EQ(endpoint.requests(), 3);
}

TEST_P(OAuth2Test, HangingTokenEndpointFailsWithinTheScrapeTimeout) {
  TokenEndpoint endpoint;
  endpoint.set_hang(true);
  ProtectedTarget target;
  auto client = NewClient();
  Request request =
      Get(target.url(), WithOAuth2(BasicOAuth2(endpoint.url())));
  request.timeout = absl::Milliseconds(300);

  Response response = Fetch(*client, std::move(request));

  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr("oauth2: cannot fetch token"),
                             HasSubstr("context deadline exceeded"))));
  // No second, form-style attempt: the deadline is spent.
  EXPECT_EQ(endpoint.requests(), 1);
  EXPECT_TRUE(target.seen().empty());
}

TEST_P(OAuth2Test, FallsBackToCredentialsInTheFormAndKeepsThatStyle) {
  TokenEndpoint endpoint(/*expires_in=*/60);
  endpoint.set_params_only(true);
  ProtectedTarget target;
  auto client = NewClient();
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));

  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
  clock_.Advance(absl::Seconds(51));
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);

  ASSERT_EQ(endpoint.requests(), 3);
  EXPECT_NE(endpoint.request(0).Header("Authorization"), "");
  for (int i : {1, 2}) {
    SCOPED_TRACE(i);
    TestHttpRequest request = endpoint.request(i);
    EXPECT_EQ(request.Header("Authorization"), "");
    std::map<std::string, std::string> form = ParseForm(request.body);
    EXPECT_EQ(form["client_id"], "client");
    EXPECT_EQ(form["client_secret"], "secret");
    EXPECT_EQ(form["grant_type"], "client_credentials");
  }
  EXPECT_THAT(target.seen(),
              ::testing::ElementsAre("Bearer token-2", "Bearer token-3"));
}

TEST_P(OAuth2Test, ChangedClientSecretFileFetchesANewToken) {
  TokenEndpoint endpoint;
  ProtectedTarget target;
  auto client = NewClient();
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/client_secret");
  std::ofstream(path) << "first\n";
  OAuth2Settings oauth2 = BasicOAuth2(endpoint.url());
  oauth2.client_secret.clear();
  oauth2.client_secret_file = path;
  auto settings = WithOAuth2(std::move(oauth2));

  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);
  std::ofstream(path) << "second\n";
  PROMSCRAPE_EXPECT_OK(Fetch(*client, Get(target.url(), settings)).status);

  ASSERT_EQ(endpoint.requests(), 2);
  EXPECT_EQ(endpoint.request(0).Header("Authorization"),
            absl::StrCat("Basic ", absl::Base64Escape("client:first")));
  EXPECT_EQ(endpoint.request(1).Header("Authorization"),
            absl::StrCat("Basic ", absl::Base64Escape("client:second")));
}

TEST_P(OAuth2Test, UnreadableClientSecretFileFailsNamingIt) {
  TokenEndpoint endpoint;
  ProtectedTarget target;
  auto client = NewClient();
  OAuth2Settings oauth2 = BasicOAuth2(endpoint.url());
  oauth2.client_secret.clear();
  oauth2.client_secret_file = "/nonexistent/secret";

  Response response =
      Fetch(*client, Get(target.url(), WithOAuth2(std::move(oauth2))));

  EXPECT_THAT(response.status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("oauth2: cannot fetch token: unable to read "
                                 "oauth2 client secret file "
                                 "/nonexistent/secret")));
  EXPECT_EQ(endpoint.requests(), 0);
}

TEST_P(OAuth2Test, CancelWhileWaitingForTheTokenCancels) {
  TokenEndpoint endpoint;
  endpoint.set_hold(true);
  ProtectedTarget target;
  auto client = NewClient();
  auto settings = WithOAuth2(BasicOAuth2(endpoint.url()));
  Notification done;
  absl::Status status;
  uint64_t id = client->Start(Get(target.url(), settings),
                              [&](Response response) {
                                status = response.status;
                                done.Notify();
                              });
  ASSERT_TRUE(endpoint.WaitForRequest());

  client->Cancel(id);

  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kCancelled, HasSubstr("context canceled")));
  endpoint.server().ReleaseHeld(/*keep_releasing=*/true);
  client->Stop();
}

}  // namespace
}  // namespace promscrape::http
