// The scrape engine end to end inside one process: Manager -> pools ->
// loops -> real HTTP against local servers -> a recording sink. Real clock,
// short intervals; waits poll with deadlines.

#include "plugin/scrape/manager.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::HasSubstr;

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;

struct Stored {
  std::string series;  // model::Labels::ToString()
  int64_t t;
  double v;
  bool stale() const {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b == kStaleNaNBits;
  }
};

// Keeps committed samples; rolled-back ones vanish.
class Recorder final : public model::SampleSink {
 public:
  class App final : public model::Appender {
   public:
    explicit App(Recorder* r) : r_(r) {}
    model::AppendStatus Append(const model::SeriesLabels& s, int64_t t,
                        double v) override {
      pending_.push_back({s.ToString(), t, v});
      return model::AppendStatus::kOk;
    }
    model::AppendStatus AppendHistogram(const model::SeriesLabels&, int64_t,
                                 const model::Histogram&) override {
      return model::AppendStatus::kOk;
    }
    absl::Status Commit() override {
      MutexLock lock(&r_->mu_);
      for (Stored& s : pending_) r_->stored_.push_back(std::move(s));
      pending_.clear();
      return absl::OkStatus();
    }
    void Rollback() override { pending_.clear(); }

   private:
    Recorder* r_;
    std::vector<Stored> pending_;
  };
  std::unique_ptr<model::Appender> NewAppender() override {
    return std::make_unique<App>(this);
  }
  std::vector<Stored> Find(absl::string_view needle) const {
    MutexLock lock(&mu_);
    std::vector<Stored> out;
    for (const Stored& s : stored_) {
      if (s.series.find(std::string(needle)) != std::string::npos) out.push_back(s);
    }
    return out;
  }
  // Polls until `pred` holds for the samples matching `needle`.
  bool WaitFor(absl::string_view needle,
               const std::function<bool(const std::vector<Stored>&)>& pred,
               absl::Duration timeout = absl::Seconds(20)) const {
    absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (pred(Find(needle))) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

 private:
  mutable Mutex mu_;
  std::vector<Stored> stored_ ABSL_GUARDED_BY(mu_);
};

bool AtLeast(const std::vector<Stored>& s, size_t n) { return s.size() >= n; }

// Consecutive samples are whole intervals apart, give or take the lateness
// of a loaded timer: never two scrapes in one interval, never off-phase.
void ExpectOnGrid(const std::vector<Stored>& samples, int64_t interval_ms) {
  for (size_t i = 1; i < samples.size(); ++i) {
    const int64_t delta = samples[i].t - samples[i - 1].t;
    EXPECT_GE(delta, interval_ms * 3 / 4) << i;
    const int64_t phase = (samples[i].t - samples[0].t) % interval_ms;
    EXPECT_TRUE(phase <= interval_ms / 4 || phase >= interval_ms * 3 / 4)
        << "sample " << i << " is " << phase << " ms off the grid";
  }
}

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestHttpServer::Start([this](const TestHttpRequest& req) {
      TestHttpResponse r;
      MutexLock lock(&mu_);
      ++hits_[req.target];
      if (req.target == "/fail") {
        r.status = 500;
        r.reason = "Internal Server Error";
        return r;
      }
      // An OAuth2 token endpoint, and a path that wants its token.
      if (req.target == "/token") {
        r.headers.push_back({"Content-Type", "application/json"});
        r.body = R"({"access_token":"tok","token_type":"Bearer"})";
        return r;
      }
      if (req.target == "/protected" &&
          req.Header("Authorization") != "Bearer tok") {
        r.status = 401;
        r.reason = "Unauthorized";
        return r;
      }
      r.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
      r.body = absl::StrCat(
          "# HELP requests_total Requests.\n# TYPE requests_total counter\n",
          "requests_total{path=\"", req.target, "\"} ", ++counter_, "\n",
          "temperature 21.5\n");
      if (extra_series_) r.body += "extra_gauge 1\n";
      return r;
    });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    Manager::Options options;
    options.workers = 2;
    auto manager = Manager::Create(options, recorder_, registry_, logger_);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(manager).value();
    discovery_ = std::make_unique<discovery::Manager>(
        discovery::Manager::Options{.reload_interval = absl::Milliseconds(50)},
        [m = manager_.get()](const std::string& job,
                             const std::vector<TargetGroup>& groups) {
          m->SyncTargets(job, groups);
        },
        logger_);
  }
  void TearDown() override {
    if (discovery_) discovery_->Stop();
    if (manager_) manager_->Stop();
  }

  absl::Status Apply(const std::string& yaml) {
    absl::StatusOr<config::PrometheusConfig> cfg =
        config::ParsePrometheusConfig(yaml);
    if (!cfg.ok()) return cfg.status();
    absl::Status status = manager_->ApplyConfig(*cfg).status();
    if (status.ok()) discovery_->ApplyConfig(*cfg);
    return status;
  }
  std::string Address() const { return absl::StrCat("127.0.0.1:", server_->port()); }

  Mutex mu_;
  std::map<std::string, int> hits_ ABSL_GUARDED_BY(mu_);
  int counter_ ABSL_GUARDED_BY(mu_) = 0;
  bool extra_series_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<TestHttpServer> server_;
  Recorder recorder_;
  metrics::Registry registry_;
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::unique_ptr<Manager> manager_;
  std::unique_ptr<discovery::Manager> discovery_;
};

TEST_F(ManagerTest, ScrapesStaticTargetsWithTargetLabelsAndReportSeries) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: app
    scrape_interval: 200ms
    scrape_timeout: 100ms
    static_configs:
      - targets: ["%s"]
        labels: {env: test}
)", Address())));
  ASSERT_TRUE(recorder_.WaitFor("requests_total", [](const auto& s) {
    return AtLeast(s, 3);
  }));
  std::vector<Stored> samples = recorder_.Find("requests_total");
  EXPECT_EQ(samples[0].series,
            absl::StrFormat("{__name__=\"requests_total\", env=\"test\", "
                            "instance=\"%s\", job=\"app\", path=\"/metrics\"}",
                            Address()));
  // Timestamps follow the interval grid. A tick that fires more than
  // Prometheus' 2 ms tolerance late keeps its real time, and a starved
  // machine may skip a tick, so only rule out double and drifting scrapes.
  ExpectOnGrid(samples, 200);
  std::vector<Stored> up = recorder_.Find("{__name__=\"up\"");
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up[0].v, 1);
  EXPECT_EQ(up[0].t, samples[0].t);
  EXPECT_FALSE(recorder_.Find("scrape_duration_seconds").empty());
  EXPECT_EQ(recorder_.Find("scrape_samples_scraped")[0].v, 2);
  EXPECT_EQ(recorder_.Find("scrape_series_added")[0].v, 2);

  std::vector<PoolInfo> pools = manager_->Pools();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].job, "app");
  EXPECT_EQ(pools[0].active_targets, 1);
  std::vector<TargetState> targets = manager_->Pool("app")->ActiveTargets();
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].health, TargetHealth::kUp);
  EXPECT_EQ(targets[0].url, absl::StrCat("http://", Address(), "/metrics"));
}

TEST_F(ManagerTest, FailingTargetReportsDownWithPrometheusError) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: broken
    scrape_interval: 200ms
    scrape_timeout: 100ms
    metrics_path: /fail
    static_configs: [{targets: ["%s"]}]
)", Address())));
  ASSERT_TRUE(recorder_.WaitFor("{__name__=\"up\"", [](const auto& s) {
    return AtLeast(s, 1);
  }));
  EXPECT_EQ(recorder_.Find("{__name__=\"up\"")[0].v, 0);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::string error;
  while (absl::Now() < deadline) {
    auto t = manager_->Pool("broken")->ActiveTargets();
    if (!t.empty() && t[0].health == TargetHealth::kDown) {
      error = t[0].last_error;
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(error, "server returned HTTP status 500 Internal Server Error");
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Prometheus 3.x scrape_failure_log_file (scrape.Manager.ApplyConfig,
// scrapeLoop.scrapeAndReport): failed scrapes of the jobs that set it (or
// inherit it from global) append JSON lines; the file is reopened at every
// apply, so a rotated file is followed.
TEST_F(ManagerTest, FailedScrapesGoToTheScrapeFailureLogFile) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string log = dir + "/failures.log";
  const std::string config = absl::StrFormat(R"(
global:
  scrape_failure_log_file: %s
scrape_configs:
  - job_name: broken
    scrape_interval: 100ms
    scrape_timeout: 50ms
    metrics_path: /fail
    static_configs: [{targets: ["%s"]}]
  - job_name: fine
    scrape_interval: 100ms
    scrape_timeout: 50ms
    static_configs: [{targets: ["%s"]}]
  - job_name: unlogged
    scrape_interval: 100ms
    scrape_timeout: 50ms
    scrape_failure_log_file: %s
    metrics_path: /fail
    static_configs: [{targets: ["%s"]}]
)", log, Address(), Address(), dir + "/other.log", Address());
  PROMSCRAPE_ASSERT_OK(Apply(config));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ReadLines(log).size() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::vector<std::string> lines = ReadLines(log);
  ASSERT_GE(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_THAT(line, ::testing::MatchesRegex(
                          R"re(\{"time":"[0-9-]+T[0-9:]+\.[0-9]{3}(Z|[+-][0-9:]+)",)re"
                          R"re("level":"ERROR",.*)re"));
    EXPECT_THAT(line, HasSubstr(absl::StrCat(
                          R"("msg":"server returned HTTP status 500 Internal )"
                          R"(Server Error","job_name":"broken","target":"http://)",
                          Address(), R"(/fail"})")));
  }
  EXPECT_FALSE(ReadLines(dir + "/other.log").empty());

  // Rotated away: the next apply (unchanged config) opens a new file.
  ASSERT_EQ(std::rename(log.c_str(), (log + ".1").c_str()), 0);
  PROMSCRAPE_ASSERT_OK(Apply(config));
  deadline = absl::Now() + absl::Seconds(20);
  while (ReadLines(log).empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_FALSE(ReadLines(log).empty());

  // A file that cannot be opened fails the apply; the running config stays.
  EXPECT_THAT(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: broken
    scrape_failure_log_file: /nonexistent/dir/x.log
    static_configs: [{targets: ["%s"]}]
)", Address())),
              ::promscrape::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  HasSubstr("can't create json log file: open "
                            "/nonexistent/dir/x.log: No such file")));
  EXPECT_EQ(manager_->Pools().size(), 3u);
}

TEST_F(ManagerTest, OAuth2JobScrapesWithOneCachedToken) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: secured
    scrape_interval: 100ms
    scrape_timeout: 80ms
    metrics_path: /protected
    oauth2:
      client_id: scraper
      client_secret: s3cret
      token_url: http://%s/token
    static_configs: [{targets: ["%s"]}]
)", Address(), Address())));
  ASSERT_TRUE(recorder_.WaitFor("requests_total", [](const auto& s) {
    return AtLeast(s, 3);
  }));
  for (const Stored& up : recorder_.Find("{__name__=\"up\"")) {
    EXPECT_EQ(up.v, 1);
  }
  MutexLock lock(&mu_);
  EXPECT_EQ(hits_["/token"], 1);
}

TEST_F(ManagerTest, OAuth2TokenFailureReportsDownNamingOAuth2) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: secured
    scrape_interval: 200ms
    scrape_timeout: 100ms
    metrics_path: /protected
    oauth2:
      client_id: scraper
      client_secret: s3cret
      token_url: http://127.0.0.1:1/token
    static_configs: [{targets: ["%s"]}]
)", Address())));
  ASSERT_TRUE(recorder_.WaitFor("{__name__=\"up\"", [](const auto& s) {
    return AtLeast(s, 1);
  }));
  EXPECT_EQ(recorder_.Find("{__name__=\"up\"")[0].v, 0);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::string error;
  while (absl::Now() < deadline) {
    auto t = manager_->Pool("secured")->ActiveTargets();
    if (!t.empty() && t[0].health == TargetHealth::kDown) {
      error = t[0].last_error;
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(error, HasSubstr("oauth2: cannot fetch token: Post "
                               "\"http://127.0.0.1:1/token\""));
  MutexLock lock(&mu_);
  EXPECT_EQ(hits_["/protected"], 0);
}

TEST_F(ManagerTest, VanishedTargetGetsStaleMarkersAfterTwoTicks) {
  PROMSCRAPE_ASSERT_OK(Apply(R"(
scrape_configs:
  - job_name: sd
    scrape_interval: 200ms
    scrape_timeout: 100ms
)"));
  TargetGroup group;
  group.targets.push_back(model::Labels::Of({{"__address__", Address()}}));
  group.source = "test/0";
  ASSERT_TRUE(discovery_->UpdateTargets("sd", "test", {group}).ok());
  ASSERT_TRUE(recorder_.WaitFor("temperature", [](const auto& s) {
    return AtLeast(s, 2);
  }));
  ASSERT_TRUE(discovery_->UpdateTargets("sd", "test", {}).ok());
  ASSERT_TRUE(recorder_.WaitFor("temperature", [](const auto& s) {
    return !s.empty() && s.back().stale();
  }));
  std::vector<Stored> temps = recorder_.Find("temperature");
  // The marker is stamped on the grid, after the last real sample.
  EXPECT_GT(temps.back().t, temps[temps.size() - 2].t);
  const int64_t grid = (temps.back().t - temps.front().t) % 200;
  EXPECT_TRUE(grid <= 20 || grid >= 180) << grid;
  ASSERT_TRUE(recorder_.WaitFor("{__name__=\"up\"", [](const auto& s) {
    return !s.empty() && s.back().stale();
  }));
  EXPECT_TRUE(manager_->Pool("sd")->ActiveTargets().empty());
  EXPECT_THAT(discovery_->UpdateTargets("nope", "test", {}).status(),
              ::promscrape::testing::StatusIs(absl::StatusCode::kNotFound,
                                              HasSubstr("unknown job \"nope\"")));
}

TEST_F(ManagerTest, HandedOverTargetStopsWithoutStaleMarkers) {
  PROMSCRAPE_ASSERT_OK(Apply(R"(
scrape_configs:
  - job_name: sd
    scrape_interval: 200ms
    scrape_timeout: 100ms
)"));
  TargetGroup group;
  group.targets.push_back(model::Labels::Of({{"__address__", Address()}}));
  group.source = "test/0";
  manager_->SyncTargets("sd", {group});
  ASSERT_TRUE(recorder_.WaitFor("temperature", [](const auto& s) {
    return AtLeast(s, 2);
  }));
  // Another cluster member carries the series on (plugin/cluster).
  manager_->SyncTargets("sd", {}, /*stale_vanished=*/false);
  EXPECT_TRUE(manager_->Pool("sd")->ActiveTargets().empty());
  // Markers would be written two ticks (400ms) after the stop.
  EXPECT_FALSE(recorder_.WaitFor(
      "{__name__=\"up\"",
      [](const auto& s) { return !s.empty() && s.back().stale(); },
      absl::Milliseconds(800)));
}

TEST_F(ManagerTest, SeriesMissingFromTheNextScrapeGoStale) {
  {
    MutexLock lock(&mu_);
    extra_series_ = true;
  }
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: app
    scrape_interval: 200ms
    scrape_timeout: 100ms
    static_configs: [{targets: ["%s"]}]
)", Address())));
  ASSERT_TRUE(recorder_.WaitFor("extra_gauge", [](const auto& s) {
    return AtLeast(s, 1);
  }));
  {
    MutexLock lock(&mu_);
    extra_series_ = false;
  }
  ASSERT_TRUE(recorder_.WaitFor("extra_gauge", [](const auto& s) {
    return !s.empty() && s.back().stale();
  }));
}

TEST_F(ManagerTest, TargetLimitFailsTheWholePool) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: limited
    scrape_interval: 200ms
    scrape_timeout: 100ms
    target_limit: 1
    static_configs: [{targets: ["%s", "127.0.0.1:1"]}]
)", Address())));
  ASSERT_TRUE(recorder_.WaitFor("{__name__=\"up\"", [](const auto& s) {
    return AtLeast(s, 2);
  }));
  for (const Stored& s : recorder_.Find("{__name__=\"up\"")) EXPECT_EQ(s.v, 0);
  EXPECT_TRUE(recorder_.Find("requests_total").empty());
  PoolInfo info = manager_->Pool("limited")->Info();
  EXPECT_EQ(info.error, "target_limit exceeded (number of targets: 2, limit: 1)");
  MutexLock lock(&mu_);
  EXPECT_EQ(hits_["/metrics"], 0);
}

TEST_F(ManagerTest, ReloadKeepsUnchangedTargetsOnTheirGrid) {
  auto config = [this](int sample_limit) {
    return absl::StrCat(
        "scrape_configs:\n  - job_name: app\n    scrape_interval: 200ms\n"
        "    scrape_timeout: 100ms\n    sample_limit: ",
        sample_limit, "\n    static_configs: [{targets: [\"", Address(),
        "\"]}]\n");
  };
  PROMSCRAPE_ASSERT_OK(Apply(config(100)));
  ASSERT_TRUE(recorder_.WaitFor("temperature", [](const auto& s) {
    return AtLeast(s, 2);
  }));
  PROMSCRAPE_ASSERT_OK(Apply(config(200)));
  const size_t before = recorder_.Find("temperature").size();
  ASSERT_TRUE(recorder_.WaitFor("temperature", [before](const auto& s) {
    return s.size() >= before + 3;
  }));
  std::vector<Stored> temps = recorder_.Find("temperature");
  for (size_t i = 1; i < temps.size(); ++i) {
    EXPECT_FALSE(temps[i].stale());
  }
  // No restart across the reload: the grid (phase) is unchanged.
  ExpectOnGrid(temps, 200);
}

TEST_F(ManagerTest, InvalidJobSettingsChangeNothing) {
  PROMSCRAPE_ASSERT_OK(Apply(absl::StrFormat(R"(
scrape_configs:
  - job_name: app
    scrape_interval: 200ms
    scrape_timeout: 100ms
    static_configs: [{targets: ["%s"]}]
)", Address())));
  config::PrometheusConfig empty;
  auto result = manager_->ApplyConfig(empty);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->removed, std::vector<std::string>{"app"});
  EXPECT_TRUE(manager_->Pools().empty());
}

}  // namespace
}  // namespace promscrape::scrape
