// ConfigFileReloader: scrape_config_file re-applied when its content changes
// (Prometheus 3.x' config auto-reload, cmd/prometheus/main.go: a checksum of
// the file compared every --config.auto-reload-interval), keeping the last
// good config on errors.

#include "plugin/service/config_file_reloader.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/scheduler.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_files.h"

namespace promscrape::service {
namespace {

using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::promscrape::testing::WriteTmpFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Job(const std::string& name) {
  return "scrape_configs:\n  - job_name: " + name +
         "\n    static_configs: [{targets: ['localhost:1']}]\n";
}

class ConfigFileReloaderTest : public ::testing::Test {
 protected:
  ConfigFileReloaderTest()
      : path_(WriteTmpFile("reload-prometheus.yml", Job("a"))) {}

  std::unique_ptr<ConfigFileReloader> Make(TaskScheduler* scheduler = nullptr) {
    return std::make_unique<ConfigFileReloader>(
        ConfigFileReloader::Options{.path = path_,
                                    .interval = absl::Seconds(30),
                                    .scheduler = scheduler,
                                    .clock = &clock_},
        [this](const config::PrometheusConfig& c) -> absl::Status {
          if (!install_error_.ok()) return install_error_;
          installed_.push_back(c.scrape_configs.empty()
                                   ? std::string("-")
                                   : c.scrape_configs[0].job_name);
          return absl::OkStatus();
        },
        registry_, Logger([this](LogLevel level, absl::string_view m) {
          if (level == LogLevel::kError) errors_.emplace_back(m);
        }));
  }
  void Write(const std::string& text) { WriteTmpFile("reload-prometheus.yml", text); }
  double Successful() {
    return registry_
        .Gauge("prometheus_config_last_reload_successful", "")
        .Value();
  }

  FakeClock clock_;
  metrics::Registry registry_;
  const std::string path_;
  std::vector<std::string> installed_;
  std::vector<std::string> errors_;
  absl::Status install_error_;
};

// 3.x' reload checksum covers scrape_config_files: a change in an
// included file alone reloads.
TEST_F(ConfigFileReloaderTest, ReappliesWhenAnIncludedFileChanges) {
  WriteTmpFile("reload-included-a.yml",
               "scrape_configs: [{job_name: inc1, static_configs: "
               "[{targets: ['localhost:1']}]}]\n");
  Write("scrape_config_files: ['reload-included-*.yml']\n");
  auto r = Make();
  ASSERT_TRUE(r->LoadInitial().ok());
  EXPECT_THAT(installed_, ElementsAre("inc1"));
  EXPECT_FALSE(r->CheckNow());
  WriteTmpFile("reload-included-a.yml",
               "scrape_configs: [{job_name: inc2, static_configs: "
               "[{targets: ['localhost:1']}]}]\n");
  EXPECT_TRUE(r->CheckNow());
  EXPECT_THAT(installed_, ElementsAre("inc1", "inc2"));
  EXPECT_FALSE(r->CheckNow());
}

TEST_F(ConfigFileReloaderTest, ReappliesOnlyWhenTheContentChanges) {
  auto r = Make();
  ASSERT_TRUE(r->LoadInitial().ok());
  EXPECT_THAT(installed_, ElementsAre("a"));
  EXPECT_EQ(Successful(), 1);
  EXPECT_FALSE(r->CheckNow());  // Unchanged: nothing installed.
  Write(Job("b"));
  EXPECT_TRUE(r->CheckNow());
  EXPECT_FALSE(r->CheckNow());
  EXPECT_THAT(installed_, ElementsAre("a", "b"));
  EXPECT_THAT(errors_, SizeIs(0));
}

TEST_F(ConfigFileReloaderTest, KeepsTheLastGoodConfigAndSaysWhyOnce) {
  auto r = Make();
  ASSERT_TRUE(r->LoadInitial().ok());
  Write("scrape_configs:\n  - job_name: x\n    scrape_interval: banana\n");
  EXPECT_FALSE(r->CheckNow());
  EXPECT_FALSE(r->CheckNow());  // The same broken content: not retried.
  EXPECT_EQ(Successful(), 0);
  ASSERT_THAT(errors_, SizeIs(1));
  EXPECT_THAT(errors_[0], HasSubstr("keeping the running configuration"));
  EXPECT_THAT(errors_[0], HasSubstr(path_));
  EXPECT_THAT(errors_[0], HasSubstr("banana"));
  // A missing file (mid-rename) keeps the running config too.
  std::remove(path_.c_str());
  EXPECT_FALSE(r->CheckNow());
  EXPECT_THAT(errors_.back(), HasSubstr("cannot read config file"));
  Write(Job("c"));
  EXPECT_TRUE(r->CheckNow());
  EXPECT_EQ(Successful(), 1);
  EXPECT_THAT(installed_, ElementsAre("a", "c"));
}

TEST_F(ConfigFileReloaderTest, AnInstallErrorKeepsTheRunningConfig) {
  auto r = Make();
  ASSERT_TRUE(r->LoadInitial().ok());
  install_error_ = absl::FailedPreconditionError("engine says no");
  Write(Job("b"));
  EXPECT_FALSE(r->CheckNow());
  EXPECT_EQ(Successful(), 0);
  EXPECT_THAT(errors_.back(), HasSubstr("engine says no"));
  install_error_ = absl::OkStatus();
  EXPECT_FALSE(r->CheckNow());  // Unchanged since the failed attempt.
  Write(Job("c"));
  EXPECT_TRUE(r->CheckNow());
  EXPECT_THAT(installed_, ElementsAre("a", "c"));
}

TEST_F(ConfigFileReloaderTest, InitialErrorsFailTheStart) {
  Write("scrape_configs: [");
  EXPECT_THAT(Make()->LoadInitial(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scrape_config_file \"" + path_ + "\"")));
  std::remove(path_.c_str());
  EXPECT_THAT(Make()->LoadInitial(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read config file")));
}

TEST_F(ConfigFileReloaderTest, ChecksEveryIntervalOnTheScheduler) {
  auto scheduler = Scheduler::CreateManualForTest(clock_);
  auto r = Make(scheduler.get());
  ASSERT_TRUE(r->LoadInitial().ok());
  r->Start();
  Write(Job("b"));
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(scheduler->RunDueForTest(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(scheduler->RunDueForTest(), 1);
  EXPECT_THAT(installed_, ElementsAre("a", "b"));
  Write(Job("c"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(scheduler->RunDueForTest(), 1);
  EXPECT_THAT(installed_, ElementsAre("a", "b", "c"));
  r->Stop();
  Write(Job("d"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(scheduler->RunDueForTest(), 0);
  EXPECT_THAT(installed_, ElementsAre("a", "b", "c"));
}

}  // namespace
}  // namespace promscrape::service
