#include "tests/testutil/fake_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "plugin/config/prometheus_config.h"

namespace promscrape::testing {

FakeEngine::FakeEngine(scrape::Manager::Options options,
                       discovery::Manager::Options discovery_options)
    : scheduler(Scheduler::CreateManualForTest(clock)) {
  // NOTE: a stopped Executor runs each submitted task inline on the caller
  // (executor.h), which is exactly the deterministic executor tests want.
  executor.Stop();
  options.clock = &clock;
  options.scraper = &scraper;
  options.scheduler = scheduler.get();
  options.executor = &executor;
  absl::StatusOr<std::unique_ptr<scrape::Manager>> manager =
      scrape::Manager::Create(options, sink, registry, logger_);
  // Create fails only when the HTTP client cannot start; with a scraper
  // given there is none.
  manager_ = std::move(manager).value();
  discovery_options.clock = &clock;
  discovery_options.reloader_thread = false;
  discovery_ = std::make_unique<discovery::Manager>(
      discovery_options,
      [m = manager_.get()](const std::string& job,
                           const std::vector<discovery::TargetGroup>& groups) {
        m->SyncTargets(job, groups);
      },
      logger_);
}

FakeEngine::~FakeEngine() {
  discovery_->Stop();
  manager_->Stop();
}

absl::StatusOr<scrape::Manager::ApplyResult> FakeEngine::Apply(
    const std::string& yaml, config::PrometheusCompat compat) {
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::ParsePrometheusConfig(yaml, "", compat);
  if (!cfg.ok()) return cfg.status();
  absl::StatusOr<scrape::Manager::ApplyResult> result =
      manager_->ApplyConfig(*cfg);
  if (result.ok()) discovery_->ApplyConfig(*cfg);
  return result;
}

void FakeEngine::RunDue() {
  // A completion may schedule more due work, and a due task may start a
  // request that is already past its deadline: run until quiet.
  while (scheduler->RunDueForTest() + scraper.ExpireDeadlines() > 0) {
  }
}

void FakeEngine::Advance(absl::Duration d) {
  const absl::Time end = clock.Now() + d;
  RunDue();
  while (true) {
    absl::Time next =
        std::min(scheduler->NextDueForTest(), scraper.NextDeadline());
    if (next > end) break;
    if (next > clock.Now()) clock.Set(next);
    RunDue();
  }
  clock.Set(end);
  RunDue();
}

bool FakeEngine::RunNext() {
  absl::Time next =
      std::min(scheduler->NextDueForTest(), scraper.NextDeadline());
  if (next == absl::InfiniteFuture()) return false;
  if (next > clock.Now()) clock.Set(next);
  RunDue();
  return true;
}

double FakeEngine::MetricValue(const std::string& name,
                               std::vector<metrics::LabelPair> labels) const {
  std::sort(labels.begin(), labels.end());
  for (const metrics::MetricSample& s : registry.Collect()) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::vector<RecordedSample> FakeEngine::Find(const std::string& needle) const {
  std::vector<RecordedSample> out;
  for (RecordedSample& s : sink.Samples()) {
    if (s.SeriesString().find(needle) != std::string::npos) {
      out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace promscrape::testing
