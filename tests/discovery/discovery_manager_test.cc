#include "plugin/discovery/discovery_manager.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/config/prometheus_config.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::discovery {
namespace {

using ::promscrape::testing::FakeClock;
using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TargetGroup Group(std::vector<std::string> addresses) {
  TargetGroup g;
  for (const std::string& a : addresses) {
    g.targets.push_back(model::Labels::Of({{model::kAddressLabel, a}}));
  }
  g.source = "test";
  return g;
}

// The addresses of every group of one sync, in order.
std::vector<std::string> Addresses(const std::vector<TargetGroup>& groups) {
  std::vector<std::string> out;
  for (const TargetGroup& g : groups) {
    for (const model::Labels& t : g.targets) {
      out.emplace_back(t.Get(model::kAddressLabel));
    }
  }
  return out;
}

config::PrometheusConfig Config(const std::string& yaml) {
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::ParsePrometheusConfig(yaml);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

class DiscoveryManagerTest : public ::testing::Test {
 protected:
  void Start(Manager::Options options = {}) {
    options.clock = &clock_;
    options.reloader_thread = false;
    manager_ = std::make_unique<Manager>(
        options,
        [this](const std::string& job, const std::vector<TargetGroup>& g) {
          syncs_.push_back({job, Addresses(g)});
        },
        logger_);
  }
  // The syncs since the last call.
  std::vector<std::pair<std::string, std::vector<std::string>>> TakeSyncs() {
    return std::exchange(syncs_, {});
  }

  FakeClock clock_;
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::vector<std::pair<std::string, std::vector<std::string>>> syncs_;
  std::unique_ptr<Manager> manager_;
};

using Sync = std::pair<std::string, std::vector<std::string>>;

TEST_F(DiscoveryManagerTest, StaticTargetsSyncAtApplyConfig) {
  Start();
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: a
  static_configs: [{targets: ['x:1', 'y:2']}]
- job_name: b
)"));
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"x:1", "y:2"}},
                                       Sync{"b", {}}));
}

TEST_F(DiscoveryManagerTest, UnknownJobIsNotFound) {
  Start();
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: a}]"));
  EXPECT_THAT(manager_->UpdateTargets("nope", "host", {Group({"x:1"})}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("unknown job \"nope\"")));
}

// Prometheus' reloader: the first update waits for the first tick
// (reload_interval after start), later ones at most one per interval.
TEST_F(DiscoveryManagerTest, UpdatesAreThrottledByReloadInterval) {
  Start({.reload_interval = absl::Seconds(5)});
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: a}]"));
  TakeSyncs();
  absl::StatusOr<int64_t> held =
      manager_->UpdateTargets("a", "host", {Group({"x:1", "y:1"})});
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, 2);
  clock_.Advance(absl::Seconds(4));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), IsEmpty());
  clock_.Advance(absl::Seconds(1));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"x:1", "y:1"}}));

  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "host", {Group({"z:1"})}).status());
  clock_.Advance(absl::Seconds(2));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), IsEmpty());
  clock_.Advance(absl::Seconds(3));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"z:1"}}));
}

TEST_F(DiscoveryManagerTest, ReloadOnStartupAppliesTheFirstUpdateAtOnce) {
  Start({.reload_on_startup = true});
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: a}]"));
  TakeSyncs();
  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "host", {Group({"x:1"})}).status());
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"x:1"}}));
  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "host", {Group({"y:1"})}).status());
  EXPECT_THAT(TakeSyncs(), IsEmpty());
  manager_->ReloadNow();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"y:1"}}));
}

TEST_F(DiscoveryManagerTest, ProvidersOfOneJobAreUnited) {
  Start();
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: a
  static_configs: [{targets: ['s:1']}]
)"));
  TakeSyncs();
  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "host", {Group({"h:1"})}).status());
  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "other", {Group({"o:1"})}).status());
  manager_->ReloadNow();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"h:1", "o:1", "s:1"}}));
  // An empty list removes the provider.
  PROMSCRAPE_ASSERT_OK(manager_->UpdateTargets("a", "other", {}).status());
  manager_->ReloadNow();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"h:1", "s:1"}}));
}

TEST_F(DiscoveryManagerTest, ReapplyKeepsUnchangedJobsAndResyncsChangedOnes) {
  Start();
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: a
- job_name: b
)"));
  PROMSCRAPE_ASSERT_OK(
      manager_->UpdateTargets("a", "host", {Group({"h:1"})}).status());
  manager_->ReloadNow();
  TakeSyncs();
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: a
- job_name: b
  scrape_interval: 7s
- job_name: c
)"));
  // a is unchanged: not synced, and it keeps the host's targets.
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"b", {}}, Sync{"c", {}}));
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: a
  scrape_interval: 3s
)"));
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"h:1"}}));
  EXPECT_THAT(manager_->UpdateTargets("b", "host", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unknown job")));
}

TEST_F(DiscoveryManagerTest, FileSdIsReadAtApplyAndRefreshedKeepingLastGood) {
  const std::string path = ::testing::TempDir() + "/dm_targets.json";
  std::ofstream(path) << R"([{"targets": ["f:1"]}])";
  Start();
  manager_->ApplyConfig(Config(absl::StrCat(R"(
scrape_configs:
- job_name: a
  file_sd_configs: [{files: [')", path, R"('], refresh_interval: 30s}]
)")));
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"f:1"}}));
  std::ofstream(path) << "[{broken";
  clock_.Advance(absl::Seconds(31));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), IsEmpty());  // Broken file: last good targets.
  std::ofstream(path) << R"([{"targets": ["f:2"]}])";
  clock_.Advance(absl::Seconds(31));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"f:2"}}));
}

// Patterns are globbed, and a change in their directory is picked up at
// the next reloader pass (inotify), long before refresh_interval.
TEST_F(DiscoveryManagerTest, FileSdGlobsAndFollowsDirectoryChanges) {
  const std::string dir = ::testing::TempDir() + "/dm_glob";
  ASSERT_EQ(system(absl::StrCat("rm -rf '", dir, "' && mkdir -p '", dir,
                                "'").c_str()),
            0);
  std::ofstream(dir + "/a.json") << R"([{"targets": ["a:1"]}])";
  Start();
  manager_->ApplyConfig(Config(absl::StrCat(R"(
scrape_configs:
- job_name: a
  file_sd_configs: [{files: [')", dir, R"(/*.json'], refresh_interval: 1h}]
)")));
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"a:1"}}));

  std::ofstream(dir + "/b.json") << R"([{"targets": ["b:1"]}])";
  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"a:1", "b:1"}}));

  ASSERT_EQ(unlink((dir + "/a.json").c_str()), 0);
  std::ofstream(dir + "/b.json") << R"([{"targets": ["b:2"]}])";
  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"a", {"b:2"}}));

  // Nothing changed: no sync.
  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), IsEmpty());
}

// A job whose targets come from the host (kubernetes_sd_configs, not run
// by the plugin) says so until the host sends targets, and warns once.
TEST_F(DiscoveryManagerTest, HostProvidedJobWaitsForHostTargets) {
  std::vector<std::string> warnings;
  logger_ = Logger([&](LogLevel level, absl::string_view message) {
    if (level == LogLevel::kWarning) warnings.emplace_back(message);
  });
  Start();
  manager_->ApplyConfig(Config(R"(
scrape_configs:
- job_name: k
  kubernetes_sd_configs: [{role: pod}]
- job_name: s
  static_configs: [{targets: ['x:1']}]
)"));
  TakeSyncs();
  Manager::HostTargets k = manager_->HostTargetsOf("k");
  EXPECT_THAT(k.providers, ElementsAre("kubernetes_sd_configs"));
  EXPECT_TRUE(k.waiting);
  EXPECT_THAT(manager_->HostTargetsOf("s").providers, IsEmpty());
  EXPECT_FALSE(manager_->HostTargetsOf("s").waiting);

  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("job \"k\": no targets from the host"));
  EXPECT_THAT(warnings[0], HasSubstr("kubernetes_sd_configs"));

  PROMSCRAPE_ASSERT_OK(manager_
                           ->UpdateTargets("k", "kubernetes_sd_configs",
                                           {Group({"pod:1"})})
                           .status());
  EXPECT_FALSE(manager_->HostTargetsOf("k").waiting);
  clock_.Advance(absl::Seconds(5));
  manager_->RunReloaderOnceForTest();
  EXPECT_THAT(TakeSyncs(), ElementsAre(Sync{"k", {"pod:1"}}));
}

TEST_F(DiscoveryManagerTest, NothingIsSyncedAfterStop) {
  Start();
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: a}]"));
  TakeSyncs();
  manager_->Stop();
  EXPECT_THAT(manager_->UpdateTargets("a", "host", {Group({"x:1"})}),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("stopped")));
  manager_->ReloadNow();
  manager_->ApplyConfig(Config("scrape_configs: [{job_name: b}]"));
  EXPECT_THAT(TakeSyncs(), IsEmpty());
}

}  // namespace
}  // namespace promscrape::discovery
