// Pool and manager scenarios (Prometheus' scrape/scrape_test.go and
// manager_test.go, named by their upstream test) on fake
// services (tests/testutil/fake_engine.h): FakeClock, manual scheduler,
// FakeScraper. Deterministic; no sockets, no sleeps.
//
// Where our design deliberately differs from Prometheus ("a reload or
// target update never makes an unchanged target miss a scrape or shift its
// phase"; DESIGN.md), the test pins our behaviour and says so.

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/scrape/job_settings.h"
#include "plugin/scrape/manager.h"
#include "tests/testutil/fake_engine.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::FakeEngine;
using ::promscrape::testing::FakeScraper;
using ::promscrape::testing::RecordedSample;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kInterval = absl::Seconds(10);
constexpr char kUrl[] = "http://a:80/metrics";

int CountStaleOf(const std::vector<RecordedSample>& samples) {
  int n = 0;
  for (const RecordedSample& s : samples) n += s.is_stale() ? 1 : 0;
  return n;
}

TargetGroup Group(const std::vector<std::string>& addresses,
                  const std::string& source = "sd") {
  TargetGroup g;
  for (const std::string& a : addresses) {
    g.targets.push_back(model::Labels::Of({{"__address__", a}}));
  }
  g.source = source;
  return g;
}

std::vector<std::string> Addresses(int n, int from = 0) {
  std::vector<std::string> out;
  for (int i = from; i < from + n; ++i) out.push_back(absl::StrCat("t", i, ":80"));
  return out;
}

std::string Job(const std::string& extra) {
  return absl::StrCat(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n"
      "    scrape_timeout: 5s\n",
      extra);
}

void Sync(FakeEngine& e, const std::vector<TargetGroup>& groups,
          const std::string& provider = "sd") {
  ASSERT_TRUE(e.discovery().UpdateTargets("j", provider, groups).ok());
  e.discovery().ReloadNow();
}

TEST(ScrapePool, TargetLimit) {
  // TestScrapePoolTargetLimit.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    target_limit: 30\n")));
  Sync(e, {Group(Addresses(50))});
  std::shared_ptr<ScrapePool> pool = e.manager().Pool("j");
  e.Advance(kInterval);
  const std::string error =
      "target_limit exceeded (number of targets: 50, limit: 30)";
  EXPECT_EQ(pool->Info().error, error);
  std::vector<TargetState> targets = pool->ActiveTargets();
  ASSERT_THAT(targets, SizeIs(50));
  // Every loop of the pool fails, not only the excess ones.
  for (const TargetState& t : targets) EXPECT_EQ(t.last_error, error);
  EXPECT_THAT(e.scraper.requests(), IsEmpty());

  // Reload with limit 50 clears the errors.
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    target_limit: 50\n")));
  EXPECT_EQ(pool->Info().error, "");
  e.Advance(kInterval);
  EXPECT_THAT(e.scraper.requests(), SizeIs(50));

  // Limit 40 with 41 targets fails; limit 0 never does.
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    target_limit: 40\n")));
  Sync(e, {Group(Addresses(41))});
  EXPECT_EQ(pool->Info().error,
            "target_limit exceeded (number of targets: 41, limit: 40)");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    target_limit: 0\n")));
  EXPECT_EQ(pool->Info().error, "");

  // Two groups holding the same address count once.
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    target_limit: 1\n")));
  Sync(e, {Group({"dup:80"}, "g1"), Group({"dup:80"}, "g2")});
  EXPECT_EQ(pool->Info().active_targets, 1);
  EXPECT_EQ(pool->Info().error, "");
}

// A cluster member's hand-over readiness: every target of the pool has had
// its first scrape (a failed one counts), and new targets count until theirs.
TEST(ScrapePool, UnscrapedTargetsCountsTargetsBeforeTheirFirstScrape) {
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("")));
  Sync(e, {Group(Addresses(5))});
  std::shared_ptr<ScrapePool> pool = e.manager().Pool("j");
  EXPECT_EQ(pool->UnscrapedTargets(), 5);
  EXPECT_EQ(pool->scrape_interval(), kInterval);
  e.Advance(kInterval);  // no body set: every scrape fails, still a scrape
  EXPECT_EQ(pool->UnscrapedTargets(), 0);
  Sync(e, {Group(Addresses(7))});
  EXPECT_EQ(pool->UnscrapedTargets(), 2);
  e.Advance(kInterval);
  EXPECT_EQ(pool->UnscrapedTargets(), 0);
}

TEST(ScrapePool, ReloadKeepsLoopsRunningOnTheirGrid) {
  // TestScrapePoolReload. Deliberate difference: Prometheus stops
  // every loop and starts a new one (a new phase, possibly a missed
  // scrape); we reconfigure the running loops, so across the reload every
  // target keeps its phase and misses nothing, and activeTargets are
  // unchanged. reloads_total counts the reload.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("    sample_limit: 100\n")));
  Sync(e, {Group(Addresses(20))});
  for (const std::string& a : Addresses(20)) {
    e.scraper.SetBody(absl::StrCat("http://", a, "/metrics"), "m 1\n");
  }
  e.Advance(kInterval);
  std::vector<TargetState> before = e.manager().Pool("j")->ActiveTargets();
  std::vector<testing::FakeScraper::Seen> first = e.scraper.requests();
  ASSERT_THAT(first, SizeIs(20));

  absl::StatusOr<Manager::ApplyResult> r =
      e.Apply(Job("    sample_limit: 200\n"));
  PROMSCRAPE_ASSERT_OK(r);
  EXPECT_THAT(r->reloaded, ElementsAre("j"));
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pool_reloads_total"), 1);
  e.Advance(3 * kInterval);

  std::vector<TargetState> after = e.manager().Pool("j")->ActiveTargets();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].url, before[i].url);
  }
  std::vector<testing::FakeScraper::Seen> all = e.scraper.requests();
  ASSERT_THAT(all, SizeIs(80));  // 4 scrapes each: none missed
  for (const testing::FakeScraper::Seen& s : all) {
    absl::Time t0;
    for (const testing::FakeScraper::Seen& f : first) {
      if (f.url == s.url) t0 = f.at;
    }
    EXPECT_EQ(absl::ToInt64Nanoseconds(s.at - t0) %
                  absl::ToInt64Nanoseconds(kInterval),
              0)
        << s.url;
  }
  for (const RecordedSample& s : e.sink.Samples()) EXPECT_FALSE(s.is_stale());
}

TEST(ScrapePool, ReloadPreservesRelabeledIntervalAndTimeout) {
  // TestScrapePoolReloadPreserveRelabeledIntervalTimeout: a
  // target labelled 5s/3s keeps 5s/3s across a reload to config 3s/2s.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 3s\n"
      "    scrape_timeout: 2s\n"));
  TargetGroup g;
  g.targets.push_back(model::Labels::Of({{"__address__", "a:80"},
                                          {"__scrape_interval__", "5s"},
                                          {"__scrape_timeout__", "3s"}}));
  Sync(e, {g});
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 3s\n"
      "    scrape_timeout: 2s\n    sample_limit: 7\n"));
  std::vector<TargetState> t = e.manager().Pool("j")->ActiveTargets();
  ASSERT_THAT(t, SizeIs(1));
  EXPECT_EQ(t[0].interval, absl::Seconds(5));
  EXPECT_EQ(t[0].timeout, absl::Seconds(3));
  e.Advance(absl::Seconds(20));
  std::vector<testing::FakeScraper::Seen> seen = e.scraper.requests();
  ASSERT_THAT(seen, SizeIs(4));
  EXPECT_EQ(seen[1].at - seen[0].at, absl::Seconds(5));
  EXPECT_EQ(seen[0].timeout, absl::Seconds(3));
}

TEST(ScrapePool, ReusableConfigKeepsOrRenewsTheCache) {
  // TestReusableConfig / TestReuseScrapeCache. Observable through
  // scrape_series_added after the reload: 0 when the cache was kept, 1 when
  // it was renewed.
  struct Case {
    std::string name;
    std::string extra;  // the changed setting
    bool reused;
  };
  for (const Case& c : std::vector<Case>{
           {"identical", "", true},
           // The interval and timeout are target labels, so the
           // Sync that follows the reload sees a new target identity: a
           // new loop and cache, in Prometheus too. The reload alone keeps
           // the cache (CacheReusable below).
           {"scrape_interval", "scrape_interval: 20s", false},
           {"scrape_timeout", "scrape_timeout: 4s", false},
           {"sample_limit", "    sample_limit: 10\n", true},
           {"http client", "    proxy_url: http://proxy:3128\n", true},
           {"honor_timestamps", "    honor_timestamps: false\n", false},
           {"honor_labels", "    honor_labels: true\n", false},
           {"label_limit", "    label_limit: 10\n", false},
           {"label_name_length_limit", "    label_name_length_limit: 10\n",
            false},
           {"label_value_length_limit", "    label_value_length_limit: 10\n",
            false},
       }) {
    SCOPED_TRACE(c.name);
    FakeEngine e;
    e.scraper.SetBody(kUrl, "m 1\n");
    const std::string base = "    static_configs: [{targets: [\"a:80\"]}]\n";
    PROMSCRAPE_ASSERT_OK(e.Apply(Job(base)));
    e.Advance(kInterval);
    std::string changed = Job(c.extra + base);
    if (absl::StartsWith(c.extra, "scrape_")) {  // replaces Job()'s line
      changed = absl::StrReplaceAll(
          Job(base), {{"scrape_interval: 10s", c.extra.find("interval") !=
                                                       std::string::npos
                                                   ? c.extra
                                                   : "scrape_interval: 10s"},
                      {"scrape_timeout: 5s", c.extra.find("timeout") !=
                                                     std::string::npos
                                                 ? c.extra
                                                 : "scrape_timeout: 5s"}});
    }
    PROMSCRAPE_ASSERT_OK(e.Apply(changed));
    e.Advance(absl::Seconds(20));
    std::vector<RecordedSample> added = e.Find("scrape_series_added");
    ASSERT_GE(added.size(), 2u);
    EXPECT_EQ(added[0].value, 1);
    EXPECT_EQ(added[1].value, c.reused ? 0 : 1);
  }
  // The job name and metrics_path are part of the target identity: a new
  // loop (and cache) follows from a changed target, see CacheReusable.
  config::ScrapeConfig a;
  config::ScrapeConfig b = a;
  b.scrape_interval = absl::Seconds(20);
  b.scrape_timeout = absl::Seconds(20);
  EXPECT_TRUE(CacheReusable(a, b));
  b = a;
  b.metrics_path = "/other";
  EXPECT_FALSE(CacheReusable(a, b));
  b = a;
  b.job_name = "other";
  EXPECT_FALSE(CacheReusable(a, b));
}

TEST(ScrapeManager, ApplyConfigReloadsOnlyChangedJobs) {
  // TestManagerApplyConfig. Our invalid case is a client setting
  // MakeJobSettings rejects (Prometheus: a missing TLS ca_file; we read
  // secret and CA files per request, so that is a scrape error instead):
  // the whole ApplyConfig fails and the pool keeps its old config.
  FakeEngine e;
  const std::string one = Job("    sample_limit: 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(one));
  absl::StatusOr<Manager::ApplyResult> r = e.Apply(one);
  PROMSCRAPE_ASSERT_OK(r);
  EXPECT_THAT(r->reloaded, IsEmpty());

  absl::StatusOr<config::PrometheusConfig> bad =
      config::ParsePrometheusConfig(Job("    sample_limit: 2\n"));
  PROMSCRAPE_ASSERT_OK(bad);
  bad->scrape_configs[0].http_client.tls_config.min_version = "TLS99";
  EXPECT_FALSE(e.manager().ApplyConfig(*bad).ok());
  EXPECT_EQ(e.manager().Config().scrape_configs[0].limits.sample_limit, 1u);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrape_pool_reloads_total"), 1);
  EXPECT_EQ(
      e.MetricValue("prometheus_target_scrape_pool_reloads_failed_total"), 1);

  const std::string two = Job("    sample_limit: 2\n");
  r = e.Apply(two);
  PROMSCRAPE_ASSERT_OK(r);
  EXPECT_THAT(r->reloaded, ElementsAre("j"));
  r = e.Apply(two);
  PROMSCRAPE_ASSERT_OK(r);
  EXPECT_THAT(r->reloaded, IsEmpty());
}

TEST(ScrapeManager, RemovedJobsAndProvidersDropOnlyTheirTargets) {
  // TestManagerScrapePools / TestTargetDisappearsAfterProviderRemoved
  // / TestOnlyStaleTargetsAreDropped.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n  - job_name: k\n"
      "    static_configs: [{targets: [\"k:80\"]}]\n"));
  Sync(e, {Group({"p1:80"})}, "provider1");
  Sync(e, {Group({"p2:80"})}, "provider2");
  EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 2);
  Sync(e, {}, "provider1");
  std::vector<TargetState> t = e.manager().Pool("j")->ActiveTargets();
  ASSERT_THAT(t, SizeIs(1));
  EXPECT_EQ(t[0].url, "http://p2:80/metrics");
  EXPECT_EQ(e.manager().Pool("k")->Info().active_targets, 1);

  absl::StatusOr<Manager::ApplyResult> r = e.Apply(
      "scrape_configs:\n  - job_name: k\n"
      "    static_configs: [{targets: [\"k:80\"]}]\n");
  PROMSCRAPE_ASSERT_OK(r);
  EXPECT_THAT(r->removed, ElementsAre("j"));
  EXPECT_EQ(e.manager().Pool("j"), nullptr);
  EXPECT_EQ(e.manager().Pool("k")->Info().active_targets, 1);
}

TEST(ScrapeManager, RapidTargetUpdatesNeverBlockAndLastWins) {
  // TestManagerTargetsUpdates: ten quick updates return at once;
  // the next reload applies the last one.
  FakeEngine e;
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("")));
  for (int i = 0; i < 10; ++i) {
    PROMSCRAPE_ASSERT_OK(
        e.discovery().UpdateTargets("j", "sd", {Group(Addresses(1, i))}));
  }
  EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 0);  // pending
  e.Advance(absl::Seconds(5));  // the reloader's first tick
  e.discovery().RunReloaderOnceForTest();
  std::vector<TargetState> t = e.manager().Pool("j")->ActiveTargets();
  ASSERT_THAT(t, SizeIs(1));
  EXPECT_EQ(t[0].url, "http://t9:80/metrics");
}

TEST(ScrapeManager, OffsetSeedSeparatesReplicas) {
  // TestSetOffsetSeed.
  model::Labels ha1 = model::Labels::Of({{"prometheus", "ha1"}});
  model::Labels ha2 = model::Labels::Of({{"prometheus", "ha2"}});
  EXPECT_NE(OffsetSeed("host", ha1), OffsetSeed("host", ha2));
  EXPECT_EQ(OffsetSeed("host", ha1), OffsetSeed("host", ha1));
  EXPECT_NE(OffsetSeed("host-a", ha1), OffsetSeed("host-b", ha1));
}

// Runs `e` for `d` with the reloader passing every second, as the
// reloader thread does.
void RunWithReloader(FakeEngine& e, absl::Duration d) {
  const absl::Time end = e.clock.Now() + d;
  while (e.clock.Now() < end) {
    e.discovery().RunReloaderOnceForTest();
    e.Advance(std::min(absl::Seconds(1), end - e.clock.Now()));
  }
  e.discovery().RunReloaderOnceForTest();
}

// Non-stale samples of series `m`.
std::vector<RecordedSample> Samples(FakeEngine& e) {
  std::vector<RecordedSample> out;
  for (RecordedSample& s : e.Find("{__name__=\"m\"")) {
    if (!s.is_stale()) out.push_back(std::move(s));
  }
  return out;
}

// The manager derives the seed from the host name and the config's
// external labels (Prometheus' setOffsetSeed at ApplyConfig): replicas that
// differ only in external labels scrape the same target at different
// phases; the same labels on the same host give the same phase.
TEST(ScrapeManager, ReplicasWithDistinctExternalLabelsScrapeAtDistinctPhases) {
  auto first_scrape = [](const std::string& replica) {
    Manager::Options o;
    o.offset_seed_hostname = "node-1";
    FakeEngine e(o);
    const absl::Time t0 = e.clock.Now();
    e.scraper.SetBody(kUrl, "m 1\n");
    EXPECT_TRUE(e.Apply(absl::StrCat(
                            "global: {external_labels: {replica: ", replica,
                            "}}\n",
                            Job("    static_configs: [{targets: [\"a:80\"]}]\n")))
                    .ok());
    e.Advance(kInterval + absl::Seconds(1));
    e.manager().Stop();
    std::vector<RecordedSample> s = Samples(e);
    return s.empty() ? absl::InfiniteDuration()
                     : absl::FromUnixMillis(s[0].timestamp_ms) - t0;
  };
  const absl::Duration a = first_scrape("a");
  const absl::Duration b = first_scrape("b");
  EXPECT_LE(a, kInterval);
  EXPECT_LE(b, kInterval);
  EXPECT_NE(a, b);
  EXPECT_EQ(first_scrape("a"), a);
}

Manager::Options NoJitter() {
  Manager::Options o;
  o.skip_offsetting_for_test = true;
  return o;
}

TEST(ScrapeManager, ReloaderFirstTickThenThrottle) {
  // TestManagerReloader: target interval 10s, no jitter, targets
  // from discovery (UpdateTargets) at t=0, default 5s reload interval.
  struct Case {
    std::string name;
    bool reload_on_startup;
    bool scrape_on_shutdown;
    absl::Duration run;
    size_t want;
    absl::Duration first_at;  // of the first sample
  };
  const std::vector<Case> cases = {
      // The first update waits for the first tick: one scrape, at 5s.
      {"6s run", false, false, absl::Seconds(6), 1, absl::Seconds(5)},
      {"12s run", false, false, absl::Seconds(12), 1, absl::Seconds(5)},
      // Stopped before the first reload: no loop, so nothing even with
      // scrape-on-shutdown.
      {"stop at 2s", false, false, absl::Seconds(2), 0, absl::ZeroDuration()},
      {"stop at 2s, scrape on shutdown", false, true, absl::Seconds(2), 0,
       absl::ZeroDuration()},
      // Reload on startup: the first update applies at once.
      {"reload on startup", true, false, absl::Seconds(6), 1,
       absl::ZeroDuration()},
      // Scrape on shutdown: one more.
      {"6s run, scrape on shutdown", false, true, absl::Seconds(6), 2,
       absl::Seconds(5)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Manager::Options o = NoJitter();
    o.scrape_on_shutdown = c.scrape_on_shutdown;
    FakeEngine e(o, {.reload_on_startup = c.reload_on_startup});
    const absl::Time t0 = e.clock.Now();
    e.scraper.SetBody(kUrl, "m 1\n");
    PROMSCRAPE_ASSERT_OK(e.Apply(Job("")));
    PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
    RunWithReloader(e, c.run);
    e.manager().Stop();
    std::vector<RecordedSample> s = Samples(e);
    ASSERT_THAT(s, SizeIs(c.want));
    if (!s.empty()) {
      EXPECT_EQ(s[0].timestamp_ms, absl::ToUnixMillis(t0 + c.first_at));
    }
  }
}

TEST(ScrapeManager, LaterTargetUpdatesAtMostOncePerInterval) {
  // After the first reload, updates are applied at most once per
  // reload_interval.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("")));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  for (int s = 0; s < 5; ++s) {
    e.discovery().RunReloaderOnceForTest();
    EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 0) << s;
    e.Advance(absl::Seconds(1));
  }
  e.discovery().RunReloaderOnceForTest();
  EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 1);

  PROMSCRAPE_ASSERT_OK(
      e.discovery().UpdateTargets("j", "sd", {Group({"a:80", "b:80"})}));
  for (int s = 1; s < 5; ++s) {
    e.Advance(absl::Seconds(1));
    e.discovery().RunReloaderOnceForTest();
    EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 1) << s;
  }
  e.Advance(absl::Seconds(1));
  e.discovery().RunReloaderOnceForTest();
  EXPECT_EQ(e.manager().Pool("j")->Info().active_targets, 2);
}

TEST(ScrapeManager, InitialScrapeOffsetAndScrapeOnShutdown) {
  // TestManager_InitialScrapeOffset / TestManager_ScrapeOnShutdown:
  // a static target (interval 10s, no jitter) started at t=0.
  struct Case {
    std::string name;
    absl::Duration offset;
    bool scrape_on_shutdown;
    absl::Duration run;
    std::vector<absl::Duration> want;  // sample times
  };
  const std::vector<Case> cases = {
      {"offset 0", absl::ZeroDuration(), false, absl::Seconds(10),
       {absl::ZeroDuration(), absl::Seconds(10)}},
      {"offset 1h, 59m run", absl::Hours(1), false, absl::Minutes(59), {}},
      // Scrape on shutdown: exactly one more, even while still waiting for
      // the initial offset. The shutdown scrape is stamped with its own
      // time.
      {"offset 10s, 5s run", absl::Seconds(10), true, absl::Seconds(5),
       {absl::Seconds(5)}},
      {"offset 5s, 8s run", absl::Seconds(5), true, absl::Seconds(8),
       {absl::Seconds(5), absl::Seconds(8)}},
      {"no offset, 10s run", absl::ZeroDuration(), true, absl::Seconds(10),
       {absl::ZeroDuration(), absl::Seconds(10), absl::Seconds(10)}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Manager::Options o = NoJitter();
    o.initial_scrape_offset = c.offset;
    o.scrape_on_shutdown = c.scrape_on_shutdown;
    FakeEngine e(o);
    const absl::Time t0 = e.clock.Now();
    e.scraper.SetBody(kUrl, "m 1\n");
    PROMSCRAPE_ASSERT_OK(
        e.Apply(Job("    static_configs: [{targets: [\"a:80\"]}]\n")));
    e.Advance(c.run);
    e.manager().Stop();
    std::vector<int64_t> got;
    for (const RecordedSample& s : Samples(e)) got.push_back(s.timestamp_ms);
    std::vector<int64_t> want;
    for (absl::Duration d : c.want) want.push_back(absl::ToUnixMillis(t0 + d));
    EXPECT_EQ(got, want);
    // No end-of-run stale markers on shutdown.
    for (const RecordedSample& s : e.sink.Samples()) EXPECT_FALSE(s.is_stale());
  }
}

TEST(ScrapeManager, ShutdownScrapeOfARemovedJobAndAVanishedTarget) {
  // Any stopped loop scrapes once more: a job removed from the config (no
  // end-of-run markers, as on pool stop) and a target gone from discovery
  // (final scrape, then the end-of-run markers as usual).
  Manager::Options o = NoJitter();
  o.scrape_on_shutdown = true;
  FakeEngine e(o, {.reload_on_startup = true});
  const absl::Time t0 = e.clock.Now();
  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Job("")));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.Advance(absl::Seconds(3));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {}));
  e.discovery().ReloadNow();
  std::vector<RecordedSample> s = Samples(e);
  ASSERT_THAT(s, SizeIs(2));
  EXPECT_EQ(s[1].timestamp_ms, absl::ToUnixMillis(t0 + absl::Seconds(3)));
  e.Advance(3 * kInterval);
  EXPECT_FALSE(e.Find("{__name__=\"m\"").empty());
  EXPECT_TRUE(e.Find("{__name__=\"m\"").back().is_stale());

  e.sink.Clear();
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  e.Advance(absl::Seconds(1));
  PROMSCRAPE_ASSERT_OK(e.Apply("scrape_configs: []\n"));
  e.Advance(3 * kInterval);
  EXPECT_THAT(Samples(e), SizeIs(2));
  EXPECT_EQ(CountStaleOf(e.sink.Samples()), 0);
}

TEST(ScrapeManager, StopRunsThousandsOfShutdownScrapesConcurrently) {
  // Stop() begins every loop's final scrape before waiting for any: with
  // 2000 targets whose final scrapes all hang, all 2000 are pending at once
  // (a serial stop would have one), and their timeouts end them together.
  Manager::Options o = NoJitter();
  o.scrape_on_shutdown = true;
  o.initial_scrape_offset = absl::Hours(1);  // no regular scrape first
  FakeEngine e(o);
  constexpr int kTargets = 2000;
  FakeScraper::Reply hang;
  hang.hang = true;
  std::vector<std::string> addresses = Addresses(kTargets);
  for (const std::string& a : addresses) {
    e.scraper.SetReply(absl::StrCat("http://", a, "/metrics"), hang);
  }
  // Two jobs: pools are stopped concurrently too.
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n"
      "  - job_name: j\n    scrape_interval: 10s\n    scrape_timeout: 5s\n"
      "  - job_name: k\n    scrape_interval: 10s\n    scrape_timeout: 5s\n"));
  std::vector<std::string> first(addresses.begin(),
                                 addresses.begin() + kTargets / 2);
  std::vector<std::string> second(addresses.begin() + kTargets / 2,
                                  addresses.end());
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group(first)}));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("k", "sd", {Group(second)}));
  e.discovery().ReloadNow();
  e.Advance(absl::Minutes(1));
  ASSERT_EQ(e.scraper.pending(), 0);

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    e.manager().Stop();
    stopped = true;
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (e.scraper.pending() < kTargets && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(e.scraper.pending(), kTargets);
  // One timeout ends them all. (Should a regression run them one by one,
  // keep expiring so the test fails instead of hanging.)
  while (!stopped) {
    e.clock.Advance(absl::Seconds(5));
    e.scraper.ExpireDeadlines();
    absl::SleepFor(absl::Milliseconds(1));
  }
  stopper.join();
  std::vector<RecordedSample> up = e.Find("{__name__=\"up\"");
  EXPECT_THAT(up, SizeIs(kTargets));
  for (const RecordedSample& s : up) EXPECT_EQ(s.value, 0);
}

}  // namespace
}  // namespace promscrape::scrape
