#ifndef PLUGIN_SCRAPE_MANAGER_H_
#define PLUGIN_SCRAPE_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/buffer_pool.h"
#include "plugin/common/clock.h"
#include "plugin/common/executor.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/common/scheduler.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/http/http_client.h"
#include "plugin/metrics/registry.h"
#include "plugin/model/sample_sink.h"
#include "plugin/scrape/scrape_metrics.h"
#include "plugin/scrape/scrape_pool.h"
#include "plugin/scrape/scraper.h"
#include "plugin/scrape/target_event_hub.h"

namespace promscrape::scrape {

// The scrape engine's root (Prometheus' scrape.Manager): one pool per job
// of the applied prometheus.yml. Targets arrive per job as complete sets
// (SyncTargets, called by plugin/discovery); the manager never knows where
// they came from. It owns the shared services: the HTTP event loops, the
// worker pool and the timer.
//
// Thread-safe. Mutations (ApplyConfig, SyncTargets, Stop) are serialized;
// queries never wait for them.
class Manager {
 public:
  struct Options {
    // Prometheus' ScrapeOnShutdown: every loop scrapes once more when it is
    // stopped (manager or pool stop, target gone), even while still waiting
    // for its first scrape. Stop() waits for these scrapes (each bounded by
    // its scrape timeout; all run concurrently). As in Prometheus, stopping
    // the manager writes no end-of-run stale markers.
    bool scrape_on_shutdown = false;
    // Prometheus' InitialScrapeOffset: a fixed delay added to every loop's
    // hashed offset before its first scrape.
    absl::Duration initial_scrape_offset;
    // The plugin config's start_timestamps (Prometheus 3.x' start timestamp
    // feature flags): every job's JobSettings carry it.
    config::StartTimestampMode start_timestamps =
        config::StartTimestampMode::kIgnore;
    // Worker threads for parsing and appending; 0 = the number of cores.
    int workers = 0;
    // HTTP event-loop threads; 0 = one per two cores. Every loop sleeps and
    // wakes on its own, and wake-ups dominate the engine's CPU at 10,000
    // targets (measured on 2 cores: 1 loop 1.15 us/sample, 2 loops 1.41);
    // more loops help when TLS or gzip decoding fill one core.
    int http_loops = 0;
    // Parse and append a response of at most inline_max_body bytes on the
    // event-loop thread that received it, while that loop is not busy: no
    // thread wake-up per scrape, which on a 10,000-target engine costs more
    // than the parse. Larger bodies, and every body on a loop busy over
    // half its time, go to the workers. False: always the workers.
    bool inline_completions = true;
    size_t inline_max_body = 256 << 10;
    const Clock* clock = nullptr;  // default Clock::Real()
    // Prometheus' offset seed (hostname + external labels), spreading HA
    // replicas; 0 is fine for a single instance.
    uint64_t offset_seed = 0;
    // When set, the seed is derived as Prometheus derives it at every
    // ApplyConfig: OffsetSeed(hostname, global.external_labels), replacing
    // `offset_seed`. A job's loops take the seed when its pool is created.
    std::optional<std::string> offset_seed_hostname;

    // Tests: services to use instead of the manager's own HTTP client,
    // timer and workers (a FakeScraper, Scheduler::CreateManualForTest, an
    // inline executor). They must outlive the manager; Stop() stops the
    // scheduler and the executor.
    Scraper* scraper = nullptr;
    Scheduler* scheduler = nullptr;
    Executor* executor = nullptr;
    // Loops start at exactly initial_scrape_offset, without the phase
    // hashed from the target (Prometheus' skipOffsetting).
    bool skip_offsetting_for_test = false;
  };

  struct ApplyResult {
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> reloaded;
  };

  // `sink`, `registry` and `logger` must outlive the manager.
  static absl::StatusOr<std::unique_ptr<Manager>> Create(
      Options options, model::SampleSink& sink, metrics::Registry& registry,
      const Logger& logger);
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  ~Manager();

  // Installs `config`: new jobs get pools (with no targets until the first
  // SyncTargets), removed jobs stop, changed jobs (field-wise comparison of
  // the parsed scrape configs) reload. Invalid job settings fail the whole
  // call and change nothing.
  absl::StatusOr<ApplyResult> ApplyConfig(const config::PrometheusConfig& config)
      ABSL_LOCKS_EXCLUDED(apply_mu_, mu_);

  // Makes `groups` the complete target set of `job` (Prometheus'
  // scrapePool.Sync): new targets start, vanished ones stop. Unknown jobs
  // are ignored (the job was removed since). `stale_vanished`: as
  // ScrapePool::Sync.
  void SyncTargets(const std::string& job,
                   const std::vector<TargetGroup>& groups,
                   bool stale_vanished = true)
      ABSL_LOCKS_EXCLUDED(apply_mu_, mu_);

  // Stops every pool, then the services. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(apply_mu_, mu_);

  std::vector<PoolInfo> Pools() const ABSL_LOCKS_EXCLUDED(mu_);
  // nullptr for an unknown job.
  std::shared_ptr<ScrapePool> Pool(const std::string& job) const
      ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::shared_ptr<ScrapePool>> AllPools() const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Subscribes to target events (TargetEventHub::Subscribe) of `job`
  // (empty: all jobs), starting with the current targets as ADDED.
  // kNotFound for a job that is not configured.
  absl::StatusOr<std::shared_ptr<TargetEventHub::Subscription>> WatchTargets(
      const std::string& job, size_t capacity, std::function<void()> wake)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends a WatchTargets subscription. Idempotent.
  void Unwatch(const std::shared_ptr<TargetEventHub::Subscription>& sub) {
    events_.Unsubscribe(sub);
  }

  // The applied config (empty before the first ApplyConfig).
  config::PrometheusConfig Config() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Manager(Options options, model::SampleSink& sink, metrics::Registry& registry,
          const Logger& logger);
  // Prometheus' metadata_cache_{entries,bytes}{scrape_job}, computed at
  // collection.
  void CollectMetadataMetrics(std::vector<metrics::MetricSample>* out) const
      ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  // Before the services: loops publish into it until they stop.
  TargetEventHub events_;
  model::SampleSink& sink_;
  metrics::Registry& registry_;
  const Logger& logger_;
  BufferPool buffers_;
  // The services in use: options_' test services or the owned ones.
  std::unique_ptr<Executor> own_executor_;
  std::unique_ptr<Scheduler> own_scheduler_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<HttpScraper> http_scraper_;
  Executor* executor_;
  Scheduler* scheduler_;
  Scraper* scraper_ = nullptr;
  ScrapeMetrics metrics_;
  uint64_t metadata_collector_ = 0;
  metrics::Metric& scrapes_total_;
  metrics::Metric& missed_total_;

  // Serializes mutations; taken before mu_.
  Mutex apply_mu_;

  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(apply_mu_);
  std::map<std::string, std::shared_ptr<ScrapePool>> pools_ ABSL_GUARDED_BY(mu_);
  config::PrometheusConfig config_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_MANAGER_H_
