// Scrape loop runtime and staleness (Prometheus' scrape/scrape_test.go
// scenarios, named by their upstream test) on fake
// services: the whole engine (Manager -> pool -> loop) runs on a FakeClock
// with a manual scheduler and a FakeScraper, so every scrape happens at its
// exact tick on the test's thread. No sockets, no sleeps.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/scrape/manager.h"
#include "proto/io/prometheus/client/metrics.pb.h"
#include "tests/testutil/fake_engine.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::FakeEngine;
using ::promscrape::testing::FakeScraper;
using ::promscrape::testing::RecordedSample;
using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr absl::Duration kInterval = absl::Seconds(10);
constexpr char kUrl[] = "http://a:80/metrics";
constexpr char kUp[] = "{__name__=\"up\"";

// One job, one static target `a:80` (or none: targets then come from the
// "sd" provider through UpdateTargets).
std::string Config(const std::string& extra = "", bool static_target = true) {
  return absl::StrCat(
      "scrape_configs:\n"
      "  - job_name: j\n"
      "    scrape_interval: 10s\n"
      "    scrape_timeout: 5s\n",
      extra,
      static_target ? "    static_configs: [{targets: [\"a:80\"]}]\n" : "");
}

TargetGroup Group(std::vector<std::string> addresses) {
  TargetGroup g;
  for (const std::string& a : addresses) {
    g.targets.push_back(model::Labels::Of({{"__address__", a}}));
  }
  g.source = "sd";
  return g;
}

// Runs the engine up to and including the first scrape; returns its time.
absl::Time FirstScrape(FakeEngine& e) {
  e.Advance(kInterval);
  EXPECT_THAT(e.scraper.requests(), SizeIs(1));
  return e.scraper.requests().empty() ? e.clock.Now()
                                      : e.scraper.requests()[0].at;
}

int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }

int CountStale(const std::vector<RecordedSample>& samples) {
  int n = 0;
  for (const RecordedSample& s : samples) n += s.is_stale() ? 1 : 0;
  return n;
}

TEST(ScrapeLoopRuntime, ScrapesOnAFixedGridAtTheTargetsOffset) {
  // the first scrape at the hashed offset within (0, interval], then
  // every interval exactly; samples carry the tick time.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  const absl::Time t0 = e.clock.Now();
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  const absl::Time first = FirstScrape(e);
  EXPECT_GT(first, t0);
  EXPECT_LE(first, t0 + kInterval);
  e.Advance(3 * kInterval);
  std::vector<RecordedSample> a = e.Find("metric_a");
  ASSERT_THAT(a, SizeIs(4));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].timestamp_ms, Ms(first + i * kInterval)) << i;
  }
  EXPECT_EQ(e.scraper.requests()[0].timeout, absl::Seconds(5));
}

// Runs every task `early` before its time, as the HTTP event loops may
// (EventLoop::kTimerEarlySlack) so that nearby ticks share a wake-up.
class EarlyTimers final : public TaskScheduler {
 public:
  EarlyTimers(TaskScheduler& inner, absl::Duration early)
      : inner_(inner), early_(early) {}
  uint64_t RunAt(absl::Time when, absl::AnyInvocable<void()> task) override {
    return inner_.RunAt(when - early_, std::move(task));
  }
  bool Cancel(uint64_t id) override { return inner_.Cancel(id); }

 private:
  TaskScheduler& inner_;
  const absl::Duration early_;
};

TEST(ScrapeLoopRuntime, EarlyTicksAreStampedWithTheirGridTime) {
  // A tick run up to 2 ms early scrapes for its own grid time: the samples
  // stay exactly one interval apart, on the same grid as on-time ticks.
  FakeEngine reference;
  reference.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(reference.Apply(Config()));
  reference.Advance(4 * kInterval);
  std::vector<RecordedSample> want = reference.Find("metric_a");
  ASSERT_THAT(want, SizeIs(4));

  FakeEngine e;
  EarlyTimers early(*e.scheduler, absl::Milliseconds(2));
  e.scraper.set_timers(&early);
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  e.Advance(4 * kInterval);
  std::vector<RecordedSample> got = e.Find("metric_a");
  ASSERT_THAT(got, SizeIs(4));
  ASSERT_THAT(e.scraper.requests(), SizeIs(4));
  for (size_t i = 0; i < got.size(); ++i) {
    // The request went out 2 ms before the stamp.
    EXPECT_EQ(Ms(e.scraper.requests()[i].at) + 2, got[i].timestamp_ms) << i;
    EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << i;
  }
  for (const RecordedSample& up : e.Find(kUp)) EXPECT_EQ(up.value, 1);
  e.manager().Stop();  // The loops cancel their ticks on `early`.
}

TEST(ScrapeLoopRuntime, StaleMarkerWhenSeriesVanishes) {
  // TestScrapeLoopAppendStaleness: `metric_a 1`, then an empty
  // scrape → StaleNaN at the second scrape's timestamp.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  const absl::Time first = FirstScrape(e);
  e.scraper.SetBody(kUrl, "");
  e.Advance(kInterval);
  std::vector<RecordedSample> a = e.Find("metric_a");
  ASSERT_THAT(a, SizeIs(2));
  EXPECT_EQ(a[0].value, 1);
  EXPECT_TRUE(a[1].is_stale());
  EXPECT_EQ(a[1].timestamp_ms, Ms(first + kInterval));
}

TEST(ScrapeLoopRuntime, NoStaleMarkerForExplicitTimestamp) {
  // TestScrapeLoopAppendNoStalenessIfTimestamp: `metric_a 1 1000`
  // then empty → no StaleNaN; with track_timestamps_staleness → StaleNaN at
  // the scrape time.
  for (bool track : {false, true}) {
    SCOPED_TRACE(track);
    FakeEngine e;
    e.scraper.SetBody(kUrl, "metric_a 1 1000\n");
    PROMSCRAPE_ASSERT_OK(e.Apply(Config(
        track ? "    track_timestamps_staleness: true\n" : "")));
    const absl::Time first = FirstScrape(e);
    e.scraper.SetBody(kUrl, "");
    e.Advance(kInterval);
    std::vector<RecordedSample> a = e.Find("metric_a");
    ASSERT_THAT(a, SizeIs(track ? 2 : 1));
    EXPECT_EQ(a[0].timestamp_ms, 1000);
    if (track) {
      EXPECT_TRUE(a[1].is_stale());
      EXPECT_EQ(a[1].timestamp_ms, Ms(first + kInterval));
    }
  }
}

TEST(ScrapeLoopRuntime, StaleMarkersOnFailedScrape) {
  // TestScrapeLoopRunCreatesStaleMarkersOnFailedScrape: one
  // success then four failures → 27 samples: 1 value, 1 StaleNaN (index 6),
  // 5x5 report samples.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 42\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  FirstScrape(e);
  FakeScraper::Reply fail;
  fail.status = absl::UnavailableError("server returned HTTP status 500");
  e.scraper.SetReply(kUrl, fail);
  e.Advance(4 * kInterval);
  std::vector<RecordedSample> all = e.sink.Samples();
  ASSERT_THAT(all, SizeIs(27));
  EXPECT_EQ(all[0].SeriesString(), "{__name__=\"metric_a\", instance=\"a:80\", job=\"j\"}");
  EXPECT_EQ(all[0].value, 42);
  EXPECT_EQ(all[6].SeriesString(), all[0].SeriesString());
  EXPECT_TRUE(all[6].is_stale());
  EXPECT_EQ(CountStale(all), 1);
}

TEST(ScrapeLoopRuntime, StaleMarkersOnParseFailure) {
  // TestScrapeLoopRunCreatesStaleMarkersOnParseFailure: success,
  // then a body that fails to parse → StaleNaN for metric_a at the failing
  // scrape; then a transport failure: 17 samples in all.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 42\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  const absl::Time first = FirstScrape(e);
  e.scraper.SetBody(kUrl, "7&-\n");
  e.Advance(kInterval);
  FakeScraper::Reply fail;
  fail.status = absl::UnavailableError("scrape failed");
  e.scraper.SetReply(kUrl, fail);
  e.Advance(kInterval);
  std::vector<RecordedSample> a = e.Find("metric_a");
  ASSERT_THAT(a, SizeIs(2));
  EXPECT_TRUE(a[1].is_stale());
  EXPECT_EQ(a[1].timestamp_ms, Ms(first + kInterval));
  EXPECT_THAT(e.sink.Samples(), SizeIs(17));
}

TEST(ScrapeLoopRuntime, CacheAcrossFailures) {
  // TestScrapeLoopCache: a,b → fail → a → fail: 26 samples, 3
  // values, 3 StaleNaN (a and b at the first failure, a at the second), 4x5
  // report samples. (That b leaves the series cache after the successful
  // scrape without it is pinned in scrape_append_test.cc,
  // CacheEvictsSeriesAfterSuccessfulScrapeWithoutThem.)
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\nmetric_b 2\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  FirstScrape(e);
  FakeScraper::Reply fail;
  fail.status = absl::UnavailableError("scrape failed");
  e.scraper.SetReply(kUrl, fail);
  e.Advance(kInterval);
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  e.Advance(kInterval);
  e.scraper.SetReply(kUrl, fail);
  e.Advance(kInterval);
  std::vector<RecordedSample> all = e.sink.Samples();
  ASSERT_THAT(all, SizeIs(26));
  EXPECT_EQ(CountStale(all), 3);
  EXPECT_THAT(e.Find("metric_b"), SizeIs(2));
}

TEST(ScrapeLoopRuntime, EndOfRunStaleMarkersWhenTargetStops) {
  // TestScrapeLoopStop: the target leaves discovery after two
  // scrapes → every batch has 6 samples (1 metric + 5 report) with one
  // timestamp; the end-of-run batch is all StaleNaN, stamped with the next
  // tick and written one tick plus interval/10 later.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config("", /*static_target=*/false)));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  const absl::Time first = FirstScrape(e);
  e.Advance(kInterval);
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {}));
  e.discovery().ReloadNow();
  const absl::Time stale_time = first + 2 * kInterval;
  e.Advance(stale_time + kInterval + kInterval / 10 - e.clock.Now() -
            absl::Milliseconds(1));
  EXPECT_THAT(e.sink.Samples(), SizeIs(12));  // not yet
  e.Advance(absl::Milliseconds(1));
  std::vector<RecordedSample> all = e.sink.Samples();
  ASSERT_THAT(all, SizeIs(18));
  for (int batch = 0; batch < 3; ++batch) {
    for (int i = 0; i < 6; ++i) {
      const RecordedSample& s = all[batch * 6 + i];
      EXPECT_EQ(s.timestamp_ms, Ms(first + batch * kInterval)) << s;
      EXPECT_EQ(s.is_stale(), batch == 2) << s;
    }
  }
  EXPECT_EQ(e.scraper.requests().size(), 2u);
}

TEST(ScrapeLoopRuntime, NoEndOfRunMarkersWhenTargetReturns) {
  // TestScrapeLoopDisableStalenessMarkerInjection. We have no
  // DisableEndOfRunStalenessMarkers API; the markers are disabled when the
  // target comes back before they are due, and when the pool stops (job
  // removed), as on Prometheus' pool stop.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config("", /*static_target=*/false)));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  FirstScrape(e);
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {}));
  e.discovery().ReloadNow();
  e.Advance(kInterval);
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  e.Advance(5 * kInterval);
  EXPECT_EQ(CountStale(e.sink.Samples()), 0);

  // Job removed: the pool stops without end-of-run markers.
  PROMSCRAPE_ASSERT_OK(e.Apply("scrape_configs: []\n"));
  e.Advance(5 * kInterval);
  EXPECT_EQ(CountStale(e.sink.Samples()), 0);
}

TEST(ScrapeLoopRuntime, FlappingTargetWritesNoStaleMarkers) {
  // TestSetOptionsHandlingStaleness: loop A stops at its 2nd
  // scrape and loop B starts shortly after for the same series → 0 StaleNaN
  // reach storage.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config("", /*static_target=*/false)));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  FirstScrape(e);
  e.Advance(kInterval);
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {}));
  e.discovery().ReloadNow();
  e.Advance(absl::Milliseconds(100));
  PROMSCRAPE_ASSERT_OK(e.discovery().UpdateTargets("j", "sd", {Group({"a:80"})}));
  e.discovery().ReloadNow();
  e.Advance(6 * kInterval);
  EXPECT_GT(e.Find("metric_a").size(), 2u);
  EXPECT_EQ(CountStale(e.sink.Samples()), 0);
}

TEST(ScrapeLoopRuntime, StopDuringInitialOffsetNeverScrapes) {
  // TestScrapeLoopRun, first half: a loop stopped while waiting
  // for its initial offset (1h interval) exits without a scrape.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 1h\n"
      "    static_configs: [{targets: [\"a:80\"]}]\n"));
  e.Advance(absl::Seconds(1));
  PROMSCRAPE_ASSERT_OK(e.Apply("scrape_configs: []\n"));
  e.Advance(absl::Hours(2));
  EXPECT_TRUE(e.scraper.requests().empty());
  EXPECT_TRUE(e.sink.Samples().empty());
}

TEST(ScrapeLoopRuntime, HangingScrapeReportsDeadlineExceeded) {
  // TestScrapeLoopRun, second half: a scrape that hangs beyond
  // its timeout is reported as `context deadline exceeded`, up=0, at the
  // scrape's own timestamp, and the next tick scrapes again.
  FakeEngine e;
  FakeScraper::Reply hang;
  hang.hang = true;
  e.scraper.SetReply(kUrl, hang);
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  while (e.scraper.requests().empty()) ASSERT_TRUE(e.RunNext());
  const absl::Time first = e.clock.Now();
  EXPECT_EQ(e.scraper.pending(), 1);
  e.Advance(absl::Seconds(5));  // to the 5s deadline, before the next tick
  EXPECT_EQ(e.scraper.pending(), 0);
  std::vector<RecordedSample> up = e.Find(kUp);
  ASSERT_THAT(up, SizeIs(1));
  EXPECT_EQ(up[0].value, 0);
  EXPECT_EQ(up[0].timestamp_ms, Ms(first));
  std::vector<TargetState> targets = e.manager().Pool("j")->ActiveTargets();
  ASSERT_THAT(targets, SizeIs(1));
  EXPECT_EQ(targets[0].health, TargetHealth::kDown);
  EXPECT_THAT(targets[0].last_error, HasSubstr("context deadline exceeded"));
  e.Advance(kInterval);
  EXPECT_EQ(e.scraper.requests().size(), 2u);
}

TEST(ScrapeLoopRuntime, ForcedErrorNeverCallsTheScraper) {
  // TestScrapeLoopForcedErr: with a forced error (target_limit
  // exceeded) the scraper is never called and the error is reported.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n"
      "    target_limit: 1\n"
      "    static_configs: [{targets: [\"a:80\", \"b:80\"]}]\n"));
  e.Advance(2 * kInterval);
  EXPECT_TRUE(e.scraper.requests().empty());
  std::vector<RecordedSample> up = e.Find(kUp);
  ASSERT_THAT(up, SizeIs(4));
  for (const RecordedSample& s : up) EXPECT_EQ(s.value, 0);
  for (const TargetState& t : e.manager().Pool("j")->ActiveTargets()) {
    EXPECT_EQ(t.last_error,
              "target_limit exceeded (number of targets: 2, limit: 1)");
  }
}

TEST(ScrapeLoopRuntime, TargetDownOnScrapeErrorOrInvalidUtf8) {
  // TestScrapeLoopRunReportsTargetDownOnScrapeError /
  // …OnInvalidUTF8: the first stored sample is up=0.
  FakeScraper::Reply error;
  error.status = absl::UnavailableError("scrape failed");
  FakeScraper::Reply utf8;
  utf8.body = "a{l=\"\xff\"} 1\n";
  for (const FakeScraper::Reply& reply : {error, utf8}) {
    FakeEngine e;
    e.scraper.SetReply(kUrl, reply);
    PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
    FirstScrape(e);
    std::vector<RecordedSample> all = e.sink.Samples();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all[0].SeriesString(), "{__name__=\"up\", instance=\"a:80\", job=\"j\"}");
    EXPECT_EQ(all[0].value, 0);
  }
}

TEST(ScrapeLoopRuntime, ScrapeAndReportCommitTogether) {
  // TestScrapeReportSingleAppender / TestScrapeReportLimit: the
  // samples of a scrape and its report series are one commit (4 + 5), and a
  // sample_limit of 5 with 4 samples is up=1. (Report-series metadata,
  // TestScrapeReportMetadata, has no path through our SampleSink.)
  FakeEngine e;
  e.scraper.SetBody(kUrl, "m1 1\nm2 2\nm3 3\nm4 4\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config("    sample_limit: 5\n")));
  e.Advance(5 * kInterval);
  EXPECT_EQ(e.sink.commits(), 5);
  EXPECT_THAT(e.sink.Samples(), SizeIs(45));
  for (const RecordedSample& s : e.Find(kUp)) EXPECT_EQ(s.value, 1);
}

TEST(ScrapeLoopRuntime, SlowScrapeSkipsTicksInsteadOfOverlapping) {
  // Our loops are tasks: a tick that finds the previous scrape still in
  // flight is skipped (never two scrapes of one target at once), and the
  // grid is kept.
  FakeEngine e;
  FakeScraper::Reply hang;
  hang.hang = true;
  e.scraper.SetReply(kUrl, hang);
  PROMSCRAPE_ASSERT_OK(e.Apply(
      "scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n"
      "    scrape_timeout: 10s\n    static_configs: [{targets: [\"a:80\"]}]\n"));
  const absl::Time first = FirstScrape(e);
  e.Advance(3 * kInterval);
  std::vector<FakeScraper::Seen> seen = e.scraper.requests();
  ASSERT_GE(seen.size(), 2u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(absl::ToInt64Nanoseconds(seen[i].at - first) %
                  absl::ToInt64Nanoseconds(kInterval),
              0);
  }
  EXPECT_LE(e.scraper.pending(), 1);
}

TEST(ScrapeLoopRuntime, StorageRejectionsCountedAndTargetStaysUp) {
  // through the loop: rejected samples leave the target up, the
  // report series say 4 scraped / 4 post-relabeling / 1 added, and each
  // reason has its Prometheus counter.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "out_of_order 1\namend 1\nnormal 1\nout_of_bounds 1\n");
  using Rejection = testing::RecordingSink::Rejection;
  e.sink.Reject(Rejection{"out_of_order", model::AppendStatus::kOutOfOrder});
  e.sink.Reject(Rejection{"amend", model::AppendStatus::kDuplicateSample});
  e.sink.Reject(Rejection{"out_of_bounds", model::AppendStatus::kOutOfBounds});
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  FirstScrape(e);
  std::vector<RecordedSample> up = e.Find(kUp);
  ASSERT_THAT(up, SizeIs(1));
  EXPECT_EQ(up[0].value, 1);
  EXPECT_EQ(e.Find("scrape_samples_scraped")[0].value, 4);
  EXPECT_EQ(e.Find("scrape_samples_post_metric_relabeling")[0].value, 4);
  EXPECT_EQ(e.Find("scrape_series_added")[0].value, 1);
  EXPECT_THAT(e.Find("normal"), SizeIs(1));
  EXPECT_EQ(e.MetricValue("prometheus_target_scrapes_sample_out_of_order_total"),
            1);
  EXPECT_EQ(
      e.MetricValue("prometheus_target_scrapes_sample_duplicate_timestamp_total"),
      1);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrapes_sample_out_of_bounds_total"),
            1);
  EXPECT_EQ(e.manager().Pool("j")->ActiveTargets()[0].health, TargetHealth::kUp);
}

TEST(ScrapeLoopRuntime, OutOfOrderAppendCreatesStaleMarker) {
  // TestScrapeLoopCreatesStaleMarkersOnOOOAppend through the loop.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "metric_a 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  const absl::Time first = FirstScrape(e);
  e.sink.Reject(testing::RecordingSink::Rejection{
      "metric_a", model::AppendStatus::kOutOfOrder, 1});
  e.Advance(kInterval);
  std::vector<RecordedSample> a = e.Find("metric_a");
  ASSERT_THAT(a, SizeIs(2));
  EXPECT_FALSE(a[0].is_stale());
  EXPECT_TRUE(a[1].is_stale());
  EXPECT_EQ(a[1].timestamp_ms, Ms(first + kInterval));
  EXPECT_EQ(e.Find(kUp).back().value, 1);
  EXPECT_EQ(e.MetricValue("prometheus_target_scrapes_sample_out_of_order_total"),
            1);
}

TEST(ScrapeLoopRuntime, LeQuantileRelabel) {
  // TestLeQuantileReLabel: metric_relabel_configs see the le and
  // quantile values and `(\d+)\.0+` -> `$1` strips the trailing zeros.
  // Prometheus 3.x first normalises text-format le/quantile values (`1` ->
  // `1.0`); 2.42, which we follow, keeps them as written. The body mixes
  // both spellings (`5` and `1.0`) so the expected sets are those of either
  // version.
  FakeEngine e;
  e.scraper.SetBody(kUrl, R"(# HELP test_histogram This is a histogram with default buckets
# TYPE test_histogram histogram
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.005"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.01"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.025"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.05"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.1"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.25"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="0.5"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="1.0"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="2.5"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="5"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="10.0"} 0
test_histogram_bucket{address="0.0.0.0",port="5001",le="+Inf"} 0
test_histogram_sum{address="0.0.0.0",port="5001"} 0
test_histogram_count{address="0.0.0.0",port="5001"} 0
# HELP test_summary Number of inflight requests sampled at a regular interval. Quantile buckets keep track of inflight requests over the last 60s.
# TYPE test_summary summary
test_summary{quantile="0.5"} 0
test_summary{quantile="0.9"} 0
test_summary{quantile="0.95"} 0
test_summary{quantile="0.99"} 0
test_summary{quantile="1.0"} 1
test_summary_sum 1
test_summary_count 199
)");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config(
      "    metric_relabel_configs:\n"
      "      - source_labels: [le]\n"
      "        regex: '(\\d+)\\.0+'\n"
      "        target_label: le\n"
      "        replacement: '$1'\n"
      "      - source_labels: [quantile]\n"
      "        regex: '(\\d+)\\.0+'\n"
      "        target_label: quantile\n"
      "        replacement: '$1'\n")));
  FirstScrape(e);
  std::vector<std::string> le;
  for (const RecordedSample& s : e.Find("test_histogram_bucket")) {
    le.push_back(std::string(s.series.Get("le")));
  }
  EXPECT_THAT(le, ::testing::UnorderedElementsAre("0.005", "0.01", "0.025",
                                                  "0.05", "0.1", "0.25", "0.5",
                                                  "1", "2.5", "5", "10", "+Inf"));
  std::vector<std::string> quantiles;
  for (const RecordedSample& s : e.Find("{__name__=\"test_summary\"")) {
    quantiles.push_back(std::string(s.series.Get("quantile")));
  }
  EXPECT_THAT(quantiles, ::testing::UnorderedElementsAre("0.5", "0.9", "0.95",
                                                         "0.99", "1"));
  EXPECT_EQ(e.Find(kUp)[0].value, 1);
}

TEST(ScrapeLoopRuntime, QuotedUtf8NameIsTargetDownUnderTwo) {
  // prometheus_compat "2", through the loop (details in
  // scrape_append_test.cc): the scrape fails (up=0, the parse error as last
  // error), nothing is stored. Name validation is always the legacy scheme,
  // as in 2.42, whose config has no metric_name_validation_scheme field: the
  // key is rejected like any unknown field.
  FakeEngine e;
  e.scraper.SetBody(kUrl, "{\"test.metric\"} 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config(), config::PrometheusCompat::kV2));
  FirstScrape(e);
  EXPECT_TRUE(e.Find("test").empty());
  ASSERT_THAT(e.Find(kUp), SizeIs(1));
  EXPECT_EQ(e.Find(kUp)[0].value, 0);
  EXPECT_THAT(e.manager().Pool("j")->ActiveTargets()[0].last_error,
              HasSubstr("valid start token"));

  FakeEngine f;
  EXPECT_THAT(f.Apply(Config("    metric_name_validation_scheme: legacy\n"),
                      config::PrometheusCompat::kV2),
              testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  HasSubstr("field metric_name_validation_scheme not found")));
}

// Prometheus 3.x (scrape_test.go TestScrapeLoopAppendUTF8 /
// TestUTF8TargetScrape): a quoted dotted name is stored as written.
TEST(ScrapeLoopRuntime, QuotedUtf8NameIsStoredUnderThree) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, "{\"test.metric\",\"a.b\"=\"x\"} 1\n");
  PROMSCRAPE_ASSERT_OK(e.Apply(Config()));
  FirstScrape(e);
  ASSERT_THAT(e.Find("test.metric"), SizeIs(1));
  EXPECT_EQ(e.Find("test.metric")[0].value, 1);
  EXPECT_EQ(e.Find(kUp)[0].value, 1);
}

// Prometheus 3.x scrapeLoop.append: lset.IsValid(legacy) fails the scrape.
TEST(ScrapeLoopRuntime, Utf8NameFailsScrapeUnderLegacyValidation) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, "{\"test.metric\"} 1\n");
  PROMSCRAPE_ASSERT_OK(
      e.Apply(Config("    metric_name_validation_scheme: legacy\n")));
  FirstScrape(e);
  EXPECT_TRUE(e.Find("test.metric").empty());
  EXPECT_EQ(e.Find(kUp)[0].value, 0);
  EXPECT_THAT(e.manager().Pool("j")->ActiveTargets()[0].last_error,
              HasSubstr("invalid metric name or label names"));
}

std::string AcceptOf(const FakeScraper::Seen& seen) {
  for (const auto& h : seen.headers) {
    if (h.name == "Accept") return h.value;
  }
  return "";
}

// scrape.go acceptHeader: 3.x asks for the 1.0.0 text formats with
// `escaping=<metric_name_escaping_scheme>`, in 3.x' default order.
TEST(ScrapeLoopRuntime, AcceptHeaderFollowsCompat) {
  struct Case {
    const char* name;
    const char* extra;
    config::PrometheusCompat compat;
    const char* accept;
  } const cases[] = {
      {"2", "", config::PrometheusCompat::kV2,
       "application/openmetrics-text;version=1.0.0;q=0.6,"
       "application/openmetrics-text;version=0.0.1;q=0.5,"
       "text/plain;version=0.0.4;q=0.4,*/*;q=0.3"},
      {"3 utf8", "", config::PrometheusCompat::kV3,
       "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
       "application/openmetrics-text;version=0.0.1;q=0.5,"
       "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
       "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
      {"3 legacy", "    metric_name_validation_scheme: legacy\n",
       config::PrometheusCompat::kV3,
       "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,"
       "application/openmetrics-text;version=0.0.1;q=0.5,"
       "text/plain;version=1.0.0;escaping=underscores;q=0.4,"
       "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
      {"3 dots", "    metric_name_escaping_scheme: dots\n",
       config::PrometheusCompat::kV3,
       "application/openmetrics-text;version=1.0.0;escaping=dots;q=0.6,"
       "application/openmetrics-text;version=0.0.1;q=0.5,"
       "text/plain;version=1.0.0;escaping=dots;q=0.4,"
       "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeEngine e;
    e.scraper.SetBody(kUrl, "m 1\n");
    PROMSCRAPE_ASSERT_OK(e.Apply(Config(c.extra), c.compat));
    FirstScrape(e);
    std::vector<FakeScraper::Seen> seen = e.scraper.requests();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(AcceptOf(seen[0]), c.accept);
  }
}

// Prometheus 3.x textparse.New / extractMediaType: without
// fallback_scrape_protocol a blank or unknown Content-Type fails the scrape;
// with it, the fallback's parser is used. Under "2" the text parser is used.
TEST(ScrapeLoopRuntime, ContentTypeStrictUnderThreeOnly) {
  struct Case {
    const char* name;
    const char* content_type;
    const char* extra;
    config::PrometheusCompat compat;
    double up;
    const char* error;
  } const cases[] = {
      {"blank, 3", "", "", config::PrometheusCompat::kV3, 0,
       "non-compliant scrape target sending blank Content-Type and no "
       "fallback_scrape_protocol specified for target"},
      {"unknown, 3", "application/json", "", config::PrometheusCompat::kV3, 0,
       "received unsupported Content-Type \"application/json\" and no "
       "fallback_scrape_protocol specified for target"},
      {"unparsable, 3", "text/", "", config::PrometheusCompat::kV3, 0,
       "cannot parse Content-Type \"text/\" and no fallback_scrape_protocol"},
      {"blank with fallback, 3", "",
       "    fallback_scrape_protocol: PrometheusText0.0.4\n",
       config::PrometheusCompat::kV3, 1, ""},
      {"unknown with fallback, 3", "application/json",
       "    fallback_scrape_protocol: PrometheusText1.0.0\n",
       config::PrometheusCompat::kV3, 1, ""},
      {"blank, 2", "", "", config::PrometheusCompat::kV2, 1, ""},
      {"unknown, 2", "application/json", "", config::PrometheusCompat::kV2, 1,
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeEngine e;
    FakeScraper::Reply reply;
    reply.body = "ct_probe 1\n";
    reply.content_type = c.content_type;
    e.scraper.SetReply(kUrl, reply);
    PROMSCRAPE_ASSERT_OK(e.Apply(Config(c.extra), c.compat));
    FirstScrape(e);
    ASSERT_THAT(e.Find(kUp), SizeIs(1));
    EXPECT_EQ(e.Find(kUp)[0].value, c.up);
    EXPECT_EQ(e.Find("ct_probe").size(), c.up == 1 ? 1u : 0u);
    if (*c.error != '\0') {
      EXPECT_THAT(e.manager().Pool("j")->ActiveTargets()[0].last_error,
                  HasSubstr(c.error));
    }
  }
}

constexpr char kProtoContentType[] =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    "encoding=delimited";

// One length-delimited MetricFamily "nh": a histogram with native buckets
// (schema 0, one positive bucket) and one classic bucket (le=1).
std::string NativeAndClassicHistogramBody() {
  namespace pb = ::io::prometheus::client;
  pb::MetricFamily mf;
  mf.set_name("nh");
  mf.set_type(pb::HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_sample_count(3);
  h->set_sample_sum(4.5);
  h->set_schema(0);
  h->set_zero_threshold(1e-128);
  pb::BucketSpan* span = h->add_positive_span();
  span->set_offset(1);
  span->set_length(1);
  h->add_positive_delta(3);
  pb::Bucket* b = h->add_bucket();
  b->set_upper_bound(1);
  b->set_cumulative_count(1);
  const std::string msg = mf.SerializeAsString();
  std::string out;
  for (uint64_t v = msg.size(); ; v >>= 7) {
    if (v < 0x80) {
      out.push_back(static_cast<char>(v));
      break;
    }
    out.push_back(static_cast<char>(v | 0x80));
  }
  return out + msg;
}

// Prometheus 3.x scrapeLoop.append passes IgnoreNativeHistograms =
// !scrape_native_histograms and KeepClassicOnClassicAndNativeHistograms =
// always_scrape_classic_histograms to textparse.New; the protobuf parser
// then reads a native histogram's classic fields instead
// (model/textparse/protobufparse.go, TestProtobufParse's "ignore native"
// cases), and keeps them beside the native one when asked. Under "2" native
// histograms are scraped when sent, as before.
TEST(ScrapeLoopRuntime, NativeHistogramSwitches) {
  struct Case {
    const char* name;
    const char* extra;
    config::PrometheusCompat compat;
    bool native;
    bool classic;
  } const cases[] = {
      {"3 default: classic only", "", config::PrometheusCompat::kV3, false,
       true},
      {"3 scrape_native_histograms", "    scrape_native_histograms: true\n",
       config::PrometheusCompat::kV3, true, false},
      {"3 native and always classic",
       "    scrape_native_histograms: true\n"
       "    always_scrape_classic_histograms: true\n",
       config::PrometheusCompat::kV3, true, true},
      {"3 always classic alone changes nothing",
       "    always_scrape_classic_histograms: true\n",
       config::PrometheusCompat::kV3, false, true},
      {"2 as before", "", config::PrometheusCompat::kV2, true, false},
      {"2 scrape_classic_histograms", "    scrape_classic_histograms: true\n",
       config::PrometheusCompat::kV2, true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeEngine e;
    FakeScraper::Reply reply;
    reply.body = NativeAndClassicHistogramBody();
    reply.content_type = kProtoContentType;
    e.scraper.SetReply(kUrl, reply);
    PROMSCRAPE_ASSERT_OK(e.Apply(Config(c.extra), c.compat));
    FirstScrape(e);
    EXPECT_EQ(e.Find(kUp)[0].value, 1);
    std::vector<RecordedSample> native = e.Find("{__name__=\"nh\"");
    ASSERT_THAT(native, SizeIs(c.native ? 1 : 0));
    if (c.native) {
      ASSERT_TRUE(native[0].histogram.has_value());
      EXPECT_EQ(native[0].histogram->count, 3u);
    }
    EXPECT_THAT(e.Find("nh_count"), SizeIs(c.classic ? 1 : 0));
    EXPECT_THAT(e.Find("nh_sum"), SizeIs(c.classic ? 1 : 0));
    // le="1.0" and the +Inf bucket the protobuf parser adds.
    EXPECT_THAT(e.Find("nh_bucket"), SizeIs(c.classic ? 2 : 0));
  }
}

// Prometheus 3.x newScrapeLoop: Target.boolLabel(__scrape_native_histograms__
// / __always_scrape_classic_histograms__, job value) decides per target, so
// relabeling can switch one target (TestTargetScrapeConvertClassicHistograms
// ToNHCBRelabel does it for the NHCB label).
TEST(ScrapeLoopRuntime, NativeHistogramSwitchesPerTargetLabel) {
  FakeEngine e;
  FakeScraper::Reply reply;
  reply.body = NativeAndClassicHistogramBody();
  reply.content_type = kProtoContentType;
  e.scraper.SetReply(kUrl, reply);
  PROMSCRAPE_ASSERT_OK(e.Apply(Config(
      "    relabel_configs:\n"
      "      - {target_label: __scrape_native_histograms__, replacement: "
      "\"true\"}\n"
      "      - {target_label: __always_scrape_classic_histograms__, "
      "replacement: \"1\"}\n")));
  FirstScrape(e);
  EXPECT_THAT(e.Find("{__name__=\"nh\""), SizeIs(1));
  EXPECT_THAT(e.Find("nh_bucket"), SizeIs(2));
  // The override labels are `__` labels: not on the stored series.
  for (const RecordedSample& s : e.Find("nh_count")) {
    EXPECT_THAT(s.SeriesString(), ::testing::Not(HasSubstr("histograms")));
  }
}

// config.ScrapeConfig.Validate + scrape.go acceptHeader: a 3.x job that
// scrapes native histograms asks for protobuf first
// (DefaultProtoFirstScrapeProtocols); escaping only on the 1.0.0 text
// formats.
TEST(ScrapeLoopRuntime, AcceptHeaderProtoFirstWithNativeHistograms) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, "m 1\n");
  PROMSCRAPE_ASSERT_OK(
      e.Apply(Config("    scrape_native_histograms: true\n")));
  FirstScrape(e);
  std::vector<FakeScraper::Seen> seen = e.scraper.requests();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(AcceptOf(seen[0]),
            "application/vnd.google.protobuf;"
            "proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,"
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;"
            "q=0.5,"
            "application/openmetrics-text;version=0.0.1;q=0.4,"
            "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,"
            "text/plain;version=0.0.4;q=0.2,*/*;q=0.1");
}

constexpr char kClassicHistogram[] =
    "# TYPE h histogram\n"
    "h_bucket{le=\"0.5\"} 1\n"
    "h_bucket{le=\"1\"} 3\n"
    "h_bucket{le=\"+Inf\"} 4\n"
    "h_sum 2.5\n"
    "h_count 4\n";

// Prometheus 3.x scrapeLoop.append with ConvertClassicHistogramsToNHCB
// (textparse.NHCBParser; scrape_test.go TestConvertClassicHistogramsToNHCB):
// the classic histogram is stored as one native histogram with custom
// buckets, and its classic series only with
// always_scrape_classic_histograms. The job's key or the target's
// `__convert_classic_histograms_to_nhcb__` label
// (TestTargetScrapeConvertClassicHistogramsToNHCBRelabel) switches it on;
// under "2" the key is unknown and nothing is converted.
TEST(ScrapeLoopRuntime, ConvertClassicHistogramsToNhcb) {
  struct Case {
    const char* name;
    const char* extra;
    bool nhcb;
    bool classic;
  } const cases[] = {
      {"off", "", false, true},
      {"on", "    convert_classic_histograms_to_nhcb: true\n", true, false},
      {"on, keep classic",
       "    convert_classic_histograms_to_nhcb: true\n"
       "    always_scrape_classic_histograms: true\n",
       true, true},
      {"target label",
       "    relabel_configs:\n"
       "      - {target_label: __convert_classic_histograms_to_nhcb__, "
       "replacement: \"true\"}\n",
       true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeEngine e;
    e.scraper.SetBody(kUrl, kClassicHistogram);
    PROMSCRAPE_ASSERT_OK(e.Apply(Config(c.extra)));
    FirstScrape(e);
    EXPECT_EQ(e.Find(kUp)[0].value, 1);
    std::vector<RecordedSample> nhcb = e.Find("{__name__=\"h\"");
    ASSERT_THAT(nhcb, SizeIs(c.nhcb ? 1 : 0));
    if (c.nhcb) {
      ASSERT_TRUE(nhcb[0].histogram.has_value());
      const model::Histogram& h = *nhcb[0].histogram;
      EXPECT_EQ(h.schema, model::kCustomBucketsSchema);
      EXPECT_EQ(h.count, 4u);
      EXPECT_EQ(h.sum, 2.5);
      EXPECT_EQ(h.custom_values, (std::vector<double>{0.5, 1}));
      EXPECT_EQ(h.positive_deltas, (std::vector<int64_t>{1, 1, -1}));
      EXPECT_THAT(nhcb[0].SeriesString(), HasSubstr("job=\"j\""));
    }
    EXPECT_THAT(e.Find("h_bucket"), SizeIs(c.classic ? 3 : 0));
    EXPECT_THAT(e.Find("h_count"), SizeIs(c.classic ? 1 : 0));
    // The next scrape finds the converted series in the series cache; the
    // one after a body without it writes its stale marker.
    e.Advance(kInterval);
    nhcb = e.Find("{__name__=\"h\"");
    ASSERT_THAT(nhcb, SizeIs(c.nhcb ? 2 : 0));
    if (c.nhcb) {
      ASSERT_TRUE(nhcb[1].histogram.has_value());
      EXPECT_EQ(nhcb[1].histogram->custom_values, (std::vector<double>{0.5, 1}));
      EXPECT_EQ(nhcb[1].SeriesString(), nhcb[0].SeriesString());
      e.scraper.SetBody(kUrl, "other 1\n");
      e.Advance(kInterval);
      nhcb = e.Find("{__name__=\"h\"");
      ASSERT_THAT(nhcb, SizeIs(3));
      EXPECT_TRUE(nhcb[2].is_stale());
    }
  }
  FakeEngine two;
  EXPECT_THAT(two.Apply(Config("    convert_classic_histograms_to_nhcb: true\n"),
                        config::PrometheusCompat::kV2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not found in type")));
}

// Prometheus 3.x protobufparse.go: with native histograms not scraped, a
// protobuf histogram's classic buckets convert like the text formats'.
TEST(ScrapeLoopRuntime, ProtobufClassicBucketsConvertToNhcb) {
  FakeEngine e;
  FakeScraper::Reply reply;
  reply.body = NativeAndClassicHistogramBody();
  reply.content_type = kProtoContentType;
  e.scraper.SetReply(kUrl, reply);
  PROMSCRAPE_ASSERT_OK(
      e.Apply(Config("    convert_classic_histograms_to_nhcb: true\n")));
  FirstScrape(e);
  std::vector<RecordedSample> nh = e.Find("{__name__=\"nh\"");
  ASSERT_THAT(nh, SizeIs(1));
  ASSERT_TRUE(nh[0].histogram.has_value());
  EXPECT_EQ(nh[0].histogram->schema, model::kCustomBucketsSchema);
  EXPECT_EQ(nh[0].histogram->custom_values, (std::vector<double>{1}));
  EXPECT_TRUE(e.Find("nh_bucket").empty());
}

// Prometheus 3.x bucketLimitAppender: a histogram with custom buckets
// cannot be reduced, so more buckets than native_histogram_bucket_limit
// fail the scrape.
TEST(ScrapeLoopRuntime, NhcbOverBucketLimitFailsTheScrape) {
  FakeEngine e;
  e.scraper.SetBody(kUrl, kClassicHistogram);
  PROMSCRAPE_ASSERT_OK(
      e.Apply(Config("    convert_classic_histograms_to_nhcb: true\n"
                     "    native_histogram_bucket_limit: 2\n")));
  FirstScrape(e);
  EXPECT_EQ(e.Find(kUp)[0].value, 0);
  EXPECT_TRUE(e.Find("{__name__=\"h\"").empty());
  EXPECT_THAT(e.manager().Pool("j")->ActiveTargets()[0].last_error,
              HasSubstr("histogram bucket limit exceeded"));
}

}  // namespace
}  // namespace promscrape::scrape
