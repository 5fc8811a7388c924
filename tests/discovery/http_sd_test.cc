#include "plugin/discovery/http_sd.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::discovery {
namespace {

using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kUrl[] = "http://127.0.0.1:1/sd";

TEST(ParseHttpSdResponseTest, ReadsGroupsAndAddsMetaUrl) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::vector<TargetGroup> groups,
      ParseHttpSdResponse(
          kUrl, 200, "application/json; charset=utf-8",
          R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}},
              {"targets": ["c:3"]}])"));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].source, absl::StrCat(kUrl, ":0"));
  EXPECT_EQ(groups[0].labels.Get("env"), "prod");
  EXPECT_EQ(groups[0].labels.Get("__meta_url"), kUrl);
  EXPECT_EQ(groups[1].labels.Get("__meta_url"), kUrl);
  ASSERT_EQ(groups[0].targets.size(), 2u);
  EXPECT_EQ(groups[0].targets[1].Get("__address__"), "b:2");
  EXPECT_EQ(groups[1].source, absl::StrCat(kUrl, ":1"));
}

TEST(ParseHttpSdResponseTest, EmptyListIsNoTargets) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::vector<TargetGroup> groups,
      ParseHttpSdResponse(kUrl, 200, "application/json", "[]"));
  EXPECT_THAT(groups, IsEmpty());
}

TEST(ParseHttpSdResponseTest, Errors) {
  struct Case {
    std::string name;
    int code;
    std::string content_type;
    std::string body;
    absl::StatusCode status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"non-200", 500, "application/json", "[]",
       absl::StatusCode::kUnavailable,
       "server returned HTTP status 500 Internal Server Error"},
      {"content type", 200, "text/plain", "[]",
       absl::StatusCode::kInvalidArgument,
       "unsupported content type \"text/plain\""},
      {"no content type", 200, "", "[]", absl::StatusCode::kInvalidArgument,
       "unsupported content type \"\""},
      {"other charset", 200, "application/json; charset=latin1", "[]",
       absl::StatusCode::kInvalidArgument, "unsupported content type"},
      {"broken json", 200, "application/json", R"([{"targets": )",
       absl::StatusCode::kInvalidArgument, ""},
      {"not a list", 200, "application/json", R"({"targets": []})",
       absl::StatusCode::kInvalidArgument, "cannot unmarshal"},
      {"null group", 200, "application/json", "[null]",
       absl::StatusCode::kInvalidArgument, "empty or null"},
      {"bad label", 200, "application/json", R"([{"labels": {"a-b": "c"}}])",
       absl::StatusCode::kInvalidArgument, "\"a-b\" is not a valid label name"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseHttpSdResponse(kUrl, c.code, c.content_type, c.body),
                StatusIs(c.status, HasSubstr(c.message)));
  }
}

config::PrometheusConfig Config(const std::string& yaml) {
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::ParsePrometheusConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

// The manager against a real HTTP SD endpoint on loopback; the reloader is
// driven by hand on a fake clock, the requests ride a real event loop.
class HttpSdManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestHttpServer>> server =
        TestHttpServer::Start([this](const TestHttpRequest& r) {
          MutexLock lock(&mu_);
          last_request_ = r;
          return response_;
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    Manager::Options options;
    options.clock = &clock_;
    options.reloader_thread = false;
    options.reload_interval = absl::Seconds(1);
    options.on_http_sd_refresh = [this](const std::string& job,
                                        const absl::Status& status) {
      MutexLock lock(&mu_);
      refreshes_.push_back(status);
      cv_.SignalAll();
    };
    manager_ = std::make_unique<Manager>(
        options,
        [this](const std::string& job, const std::vector<TargetGroup>& g) {
          MutexLock lock(&mu_);
          synced_ = g;
        },
        logger_);
  }

  void TearDown() override { manager_->Stop(); }

  void Respond(int status, std::string content_type, std::string body) {
    MutexLock lock(&mu_);
    response_ = TestHttpResponse{};
    response_.status = status;
    response_.reason = status == 200 ? "OK" : "Internal Server Error";
    response_.headers = {{"Content-Type", std::move(content_type)}};
    response_.body = std::move(body);
  }

  // Waits for the `n`th refresh and returns its outcome.
  absl::Status WaitRefresh(size_t n) {
    MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (refreshes_.size() < n) {
      if (absl::Now() >= deadline) break;
      cv_.WaitWithTimeout(&mu_, deadline - absl::Now());
    }
    if (refreshes_.size() < n) return absl::DeadlineExceededError("no refresh");
    return refreshes_[n - 1];
  }

  // Advances past the reload interval and the refresh interval and runs
  // a reloader pass (which syncs and starts the due refreshes).
  void Tick(absl::Duration d) {
    clock_.Advance(d);
    manager_->RunReloaderOnceForTest();
  }

  std::vector<std::string> SyncedAddresses() {
    MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const TargetGroup& g : synced_) {
      for (const model::Labels& t : g.targets) {
        out.emplace_back(t.Get(model::kAddressLabel));
      }
    }
    return out;
  }

  FakeClock clock_;
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::unique_ptr<TestHttpServer> server_;
  std::unique_ptr<Manager> manager_;

  Mutex mu_;
  CondVar cv_;
  TestHttpResponse response_ ABSL_GUARDED_BY(mu_);
  TestHttpRequest last_request_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> refreshes_ ABSL_GUARDED_BY(mu_);
  std::vector<TargetGroup> synced_ ABSL_GUARDED_BY(mu_);
};

TEST_F(HttpSdManagerTest, RefreshesKeepsLastGoodListOnErrorsAndSyncs) {
  Respond(200, "application/json",
          R"([{"targets": ["10.0.0.1:9100"], "labels": {"env": "a"}}])");
  const std::string url = server_->Url("/sd");
  manager_->ApplyConfig(Config(absl::StrCat(R"(
scrape_configs:
- job_name: j
  http_sd_configs:
  - url: )", url, R"(
    refresh_interval: 30s
    authorization: {credentials: s3cret}
)")));
  PROMSCRAPE_ASSERT_OK(WaitRefresh(1));
  {
    MutexLock lock(&mu_);
    EXPECT_EQ(last_request_.target, "/sd");
    EXPECT_EQ(last_request_.Header("Authorization"), "Bearer s3cret");
    EXPECT_EQ(last_request_.Header("Accept"), "application/json");
    EXPECT_EQ(last_request_.Header("X-Prometheus-Refresh-Interval-Seconds"),
              "30");
  }
  Tick(absl::Seconds(1));
  EXPECT_THAT(SyncedAddresses(), ElementsAre("10.0.0.1:9100"));
  {
    MutexLock lock(&mu_);
    ASSERT_EQ(synced_.size(), 1u);
    EXPECT_EQ(synced_[0].labels.Get("__meta_url"), url);
    EXPECT_EQ(synced_[0].labels.Get("env"), "a");
  }

  // Not due before refresh_interval.
  Tick(absl::Seconds(10));
  EXPECT_EQ(server_->requests(), 1);

  // Non-200, wrong Content-Type and bad JSON keep the last good list.
  Respond(500, "application/json", "[]");
  Tick(absl::Seconds(30));
  EXPECT_THAT(WaitRefresh(2),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("server returned HTTP status 500")));
  Respond(200, "text/plain", "[]");
  Tick(absl::Seconds(30));
  EXPECT_THAT(WaitRefresh(3), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("unsupported content type")));
  Respond(200, "application/json", "[{");
  Tick(absl::Seconds(30));
  EXPECT_THAT(WaitRefresh(4), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yaml")));
  Tick(absl::Seconds(1));
  EXPECT_THAT(SyncedAddresses(), ElementsAre("10.0.0.1:9100"));

  // A good answer replaces the list.
  Respond(200, "application/json",
          R"([{"targets": ["10.0.0.2:9100", "10.0.0.3:9100"]}])");
  Tick(absl::Seconds(30));
  PROMSCRAPE_ASSERT_OK(WaitRefresh(5));
  Tick(absl::Seconds(1));
  EXPECT_THAT(SyncedAddresses(),
              ElementsAre("10.0.0.2:9100", "10.0.0.3:9100"));
}

TEST_F(HttpSdManagerTest, UnreachableEndpointIsAFailedRefresh) {
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: j
  http_sd_configs:
  - url: http://127.0.0.1:1/sd
)"));
  EXPECT_THAT(WaitRefresh(1), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("127.0.0.1:1")));
}

TEST_F(HttpSdManagerTest, RemovedJobDropsItsProvider) {
  Respond(200, "application/json", R"([{"targets": ["10.0.0.1:9100"]}])");
  manager_->ApplyConfig(Config(absl::StrCat(
      "scrape_configs:\n- job_name: j\n  http_sd_configs:\n  - url: ",
      server_->Url("/sd"), "\n")));
  PROMSCRAPE_ASSERT_OK(WaitRefresh(1));
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: j}]"));
  EXPECT_THAT(SyncedAddresses(), IsEmpty());
  Tick(absl::Minutes(5));
  EXPECT_EQ(server_->requests(), 1);
}

}  // namespace
}  // namespace promscrape::discovery
