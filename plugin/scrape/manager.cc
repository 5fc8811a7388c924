#include "plugin/scrape/manager.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "absl/time/clock.h"

namespace promscrape::scrape {

absl::StatusOr<std::unique_ptr<Manager>> Manager::Create(
    Options options, model::SampleSink& sink, metrics::Registry& registry,
    const Logger& logger) {
  if (options.clock == nullptr) options.clock = &Clock::Real();
  if (options.workers <= 0) {
    options.workers = std::max(1u, std::thread::hardware_concurrency());
  }
  auto manager = std::unique_ptr<Manager>(
      new Manager(options, sink, registry, logger));
  manager->metadata_collector_ = registry.AddCollector(
      {{"prometheus_target_metadata_cache_entries",
        "Total number of metric metadata entries in the cache",
        metrics::MetricType::kGauge},
       {"prometheus_target_metadata_cache_bytes",
        "The number of bytes that are currently used for storing metric "
        "metadata in the cache",
        metrics::MetricType::kGauge}},
      [m = manager.get()](std::vector<metrics::MetricSample>* out) {
        m->CollectMetadataMetrics(out);
      });
  if (options.scraper != nullptr) {
    manager->scraper_ = options.scraper;
    return manager;
  }
  http::HttpClientOptions http_options;
  // One loop carries thousands of connections (see Options::http_loops).
  http_options.num_loops =
      options.http_loops > 0
          ? options.http_loops
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  Executor* executor = manager->executor_;
  http_options.callback_executor =
      [executor](absl::AnyInvocable<void()> task) {
        executor->Submit(std::move(task));
      };
  http_options.inline_callback_max_body =
      options.inline_completions ? options.inline_max_body : 0;
  absl::StatusOr<std::unique_ptr<http::HttpClient>> http =
      http::HttpClient::Create(std::move(http_options));
  if (!http.ok()) return http.status();
  manager->http_ = std::move(http).value();
  manager->http_scraper_ = std::make_unique<HttpScraper>(*manager->http_);
  manager->scraper_ = manager->http_scraper_.get();
  return manager;
}

Manager::Manager(Options options, model::SampleSink& sink, metrics::Registry& registry,
                 const Logger& logger)
    : options_(options),
      sink_(sink),
      registry_(registry),
      logger_(logger),
      own_executor_(options.executor != nullptr
                        ? nullptr
                        : std::make_unique<Executor>(options.workers)),
      own_scheduler_(options.scheduler != nullptr
                         ? nullptr
                         : std::make_unique<Scheduler>(*options.clock)),
      executor_(options.executor != nullptr ? options.executor
                                            : own_executor_.get()),
      scheduler_(options.scheduler != nullptr ? options.scheduler
                                              : own_scheduler_.get()),
      metrics_(registry),
      scrapes_total_(registry.Counter("promscrape_scrapes_total",
                                      "Scrapes completed (any outcome).")),
      missed_total_(registry.Counter(
          "promscrape_scrapes_missed_total",
          "Scheduled scrapes skipped because the previous one was still "
          "running or the scheduler fell behind.")) {}

Manager::~Manager() { Stop(); }

absl::StatusOr<Manager::ApplyResult> Manager::ApplyConfig(
    const config::PrometheusConfig& cfg) {
  // Validate everything before touching anything.
  std::map<std::string, std::shared_ptr<const JobSettings>> settings;
  for (size_t i = 0; i < cfg.scrape_configs.size(); ++i) {
    const config::ScrapeConfig& sc = cfg.scrape_configs[i];
    absl::StatusOr<std::shared_ptr<const JobSettings>> s = MakeJobSettings(sc, options_.start_timestamps);
    if (!s.ok()) {
      // Prometheus counts the failed creation (new job) or reload (changed
      // job) of the pool whose HTTP client could not be built.
      if (Pool(sc.job_name) == nullptr) {
        metrics_.pools_total.Increment();
        metrics_.pools_failed_total.Increment();
      } else {
        metrics_.pool_reloads_total.Increment();
        metrics_.pool_reloads_failed_total.Increment();
      }
      return Annotate(s.status(), absl::StrCat("scrape_configs[", i, "] job \"",
                                               sc.job_name, "\""));
    }
    settings[sc.job_name] = *s;
  }
  // scrape_failure_log_file: one log per distinct file, opened anew at every
  // apply (so a rotated file is followed), as scrape.Manager.ApplyConfig.
  std::map<std::string, std::shared_ptr<const ScrapeFailureLog>> failure_logs;
  for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
    const std::string& path = sc.scrape_failure_log_file;
    if (path.empty() || failure_logs.contains(path)) continue;
    absl::StatusOr<std::shared_ptr<ScrapeFailureLog>> log =
        ScrapeFailureLog::Open(path);
    if (!log.ok()) {
      return Annotate(log.status(),
                      absl::StrCat("job \"", sc.job_name, "\""));
    }
    failure_logs[path] = *std::move(log);
  }

  MutexLock apply(&apply_mu_);
  ApplyResult result;
  std::map<std::string, std::shared_ptr<ScrapePool>> old_pools;
  config::PrometheusConfig old_config;
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("scrape manager stopped");
    old_pools = pools_;
    old_config = config_;
  }
  std::map<std::string, std::shared_ptr<ScrapePool>> pools;
  std::vector<std::shared_ptr<ScrapePool>> to_stop;
  for (auto& [job, pool] : old_pools) {
    if (!settings.contains(job)) {
      to_stop.push_back(pool);
      result.removed.push_back(job);
    }
  }
  LoopServices services;
  services.scraper = scraper_;
  services.executor = executor_;
  services.scheduler = scheduler_;
  services.sink = &sink_;
  services.buffers = &buffers_;
  services.clock = options_.clock;
  services.offset_seed =
      options_.offset_seed_hostname.has_value()
          ? OffsetSeed(*options_.offset_seed_hostname,
                       cfg.global.external_labels)
          : options_.offset_seed;
  services.initial_scrape_offset = options_.initial_scrape_offset;
  services.skip_offsetting_for_test = options_.skip_offsetting_for_test;
  services.scrape_on_shutdown = options_.scrape_on_shutdown;
  services.scrapes = &scrapes_total_;
  services.missed_scrapes = &missed_total_;
  services.metrics = &metrics_;
  services.events = &events_;
  for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
    const std::string& job = sc.job_name;
    auto old = old_pools.find(job);
    if (old == old_pools.end()) {
      pools[job] = std::make_shared<ScrapePool>(settings[job], services);
      metrics_.pools_total.Increment();
      result.added.push_back(job);
    } else {
      pools[job] = old->second;
      const config::ScrapeConfig* before = old_config.FindJob(job);
      if (before == nullptr || !(*before == sc)) {
        old->second->Reload(settings[job]);
        metrics_.pool_reloads_total.Increment();
        result.reloaded.push_back(job);
      } else {
        continue;
      }
    }
  }
  {
    MutexLock lock(&mu_);
    pools_ = pools;
    config_ = cfg;
  }
  for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
    auto log = failure_logs.find(sc.scrape_failure_log_file);
    pools[sc.job_name]->SetFailureLog(
        log == failure_logs.end() ? nullptr : log->second);
  }
  for (auto& pool : to_stop) pool->RequestStop();
  for (auto& pool : to_stop) pool->Stop();
  for (const std::string& job : result.removed) metrics_.RemoveJob(job);
  return result;
}

void Manager::SyncTargets(const std::string& job,
                          const std::vector<TargetGroup>& groups,
                          bool stale_vanished) {
  MutexLock apply(&apply_mu_);
  std::shared_ptr<ScrapePool> pool = Pool(job);
  if (pool == nullptr) return;
  const absl::Time start = options_.clock->Now();
  std::vector<absl::Status> failures = pool->Sync(groups, stale_vanished);
  metrics_.SyncLength(job).Observe(
      absl::ToDoubleSeconds(options_.clock->Now() - start));
  for (const absl::Status& failure : failures) {
    logger_.Warning("job \"", job, "\": ", failure.message());
  }
  metrics_.SyncFailed(job).Add(static_cast<double>(failures.size()));
  PoolInfo info = pool->Info();
  metrics_.PoolTargets(job).Set(static_cast<double>(info.active_targets));
  metrics_.PoolSyncTotal(job).Increment();
  if (!info.error.empty()) metrics_.pool_exceeded_target_limit_total.Increment();
}

void Manager::CollectMetadataMetrics(
    std::vector<metrics::MetricSample>* out) const {
  std::map<std::string, std::shared_ptr<ScrapePool>> pools;
  {
    MutexLock lock(&mu_);
    pools = pools_;
  }
  for (const auto& [job, pool] : pools) {
    double entries = 0;
    double bytes = 0;
    pool->ForEachMetadata([&](const std::string&, const MetaEntry& m) {
      ++entries;
      bytes += static_cast<double>(m.help.size() + m.unit.size() +
                                   model::MetricTypeName(m.type).size());
    });
    std::vector<metrics::LabelPair> labels = {{"scrape_job", job}};
    out->push_back({"prometheus_target_metadata_cache_bytes", labels, bytes});
    out->push_back(
        {"prometheus_target_metadata_cache_entries", labels, entries});
  }
}

absl::StatusOr<std::shared_ptr<TargetEventHub::Subscription>>
Manager::WatchTargets(const std::string& job, size_t capacity,
                      std::function<void()> wake) {
  if (!job.empty() && Pool(job) == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown job \"", job, "\""));
  }
  return events_.Subscribe(job, capacity, std::move(wake), [&] {
    std::vector<TargetState> targets;
    for (const auto& pool : AllPools()) {
      for (TargetState& t : pool->ActiveTargets()) {
        if (job.empty() || t.job == job) targets.push_back(std::move(t));
      }
    }
    return targets;
  });
}

void Manager::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  std::map<std::string, std::shared_ptr<ScrapePool>> pools;
  {
    MutexLock apply(&apply_mu_);
    MutexLock lock(&mu_);
    pools.swap(pools_);
  }
  // All pools at once: with scrape_on_shutdown every loop's final scrape
  // runs concurrently, and Stop() takes one scrape timeout, not one per
  // pool.
  for (auto& [job, pool] : pools) pool->RequestStop();
  for (auto& [job, pool] : pools) pool->Stop();
  if (metadata_collector_ != 0) {
    registry_.RemoveCollector(metadata_collector_);
    metadata_collector_ = 0;
  }
  // Pending end-of-run markers are dropped, as on Prometheus' shutdown.
  scheduler_->Stop();
  if (http_ != nullptr) http_->Stop();
  executor_->Stop();
}

std::vector<PoolInfo> Manager::Pools() const {
  std::vector<PoolInfo> out;
  for (const auto& pool : AllPools()) out.push_back(pool->Info());
  return out;
}

std::shared_ptr<ScrapePool> Manager::Pool(const std::string& job) const {
  MutexLock lock(&mu_);
  auto it = pools_.find(job);
  return it == pools_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ScrapePool>> Manager::AllPools() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<ScrapePool>> out;
  for (const auto& [job, pool] : pools_) out.push_back(pool);
  return out;
}

config::PrometheusConfig Manager::Config() const {
  MutexLock lock(&mu_);
  return config_;
}

}  // namespace promscrape::scrape
