#ifndef TESTS_TESTUTIL_FAKE_ENGINE_H_
#define TESTS_TESTUTIL_FAKE_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/common/executor.h"
#include "plugin/common/logging.h"
#include "plugin/common/scheduler.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/manager.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/fake_scraper.h"
#include "tests/testutil/recording_sink.h"

namespace promscrape::testing {

// The scrape engine (Manager -> pools -> loops) fed by discovery
// (discovery::Manager, as the plugin wires them) on fake services: a
// FakeClock, a manual Scheduler, an inline executor, a FakeScraper and a
// RecordingSink, with no reloader thread. Nothing happens between calls:
// Advance() moves the clock timer by timer and runs each scrape, request
// deadline and end-of-run staleness task on the test's thread at its exact
// time. Deterministic; no sockets, no sleeps.
//
// Thread-compatible (one test thread).
class FakeEngine {
 public:
  // `options`' services and clock are overridden with the fakes.
  explicit FakeEngine(scrape::Manager::Options options = {},
                      discovery::Manager::Options discovery_options = {});
  ~FakeEngine();

  // Parses prometheus.yml text with `compat` (prometheus_compat) and applies
  // it to the engine, then to discovery (which syncs the jobs' static and
  // file targets).
  absl::StatusOr<scrape::Manager::ApplyResult> Apply(
      const std::string& yaml,
      config::PrometheusCompat compat = config::kDefaultPrometheusCompat);

  // Moves the clock forward by `d`, stopping at every timer and request
  // deadline on the way to run what is due then.
  void Advance(absl::Duration d);
  // Runs what is due now without moving the clock.
  void RunDue();
  // Moves the clock to the next timer or request deadline and runs what is
  // due then; false (clock unchanged) if nothing is pending.
  bool RunNext();

  // The value of self-metric `name{labels}` (labels in any order), or NaN
  // if the registry has no such series.
  double MetricValue(const std::string& name,
                     std::vector<metrics::LabelPair> labels = {}) const;

  scrape::Manager& manager() { return *manager_; }
  discovery::Manager& discovery() { return *discovery_; }
  // Samples of `sink` whose series string contains `needle`.
  std::vector<RecordedSample> Find(const std::string& needle) const;

  FakeClock clock;
  FakeScraper scraper{clock};
  RecordingSink sink;
  metrics::Registry registry;
  std::unique_ptr<Scheduler> scheduler;
  Executor executor{1};  // stopped: runs every task inline on the caller

 private:
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::unique_ptr<scrape::Manager> manager_;
  std::unique_ptr<discovery::Manager> discovery_;
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_FAKE_ENGINE_H_
