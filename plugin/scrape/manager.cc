#include "plugin/scrape/manager.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "absl/time/clock.h"
#include "plugin/scrape/file_sd.h"
#include "plugin/common/thread_name.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::scrape {
namespace {

constexpr char kStaticProvider[] = "static_configs";

bool SameConfig(const config::ScrapeConfig& a, const config::ScrapeConfig& b) {
  YAML::Emitter ea, eb;
  config::EmitScrapeConfig(a, ea);
  config::EmitScrapeConfig(b, eb);
  // The rendering hides secrets; compare the client config itself too.
  return std::string(ea.c_str()) == eb.c_str() && a.http_client == b.http_client;
}

std::string FileSdProvider(size_t config_index, const std::string& path) {
  return absl::StrCat("file_sd/", config_index, "/", path);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Manager>> Manager::Create(
    Options options, SampleSink& sink, metrics::Registry& registry,
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
    if (options.reloader_thread) {
      manager->reloader_ =
          std::thread([m = manager.get()] {
      SetCurrentThreadName("ps-reload");
      m->RunReloader();
    });
    }
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
  if (options.reloader_thread) {
    manager->reloader_ = std::thread([m = manager.get()] {
      SetCurrentThreadName("ps-reload");
      m->RunReloader();
    });
  }
  return manager;
}

Manager::Manager(Options options, SampleSink& sink, metrics::Registry& registry,
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
          "running or the scheduler fell behind.")),
      created_(options.clock->Now()) {}

Manager::~Manager() { Stop(); }

absl::StatusOr<Manager::ApplyResult> Manager::ApplyConfig(
    const config::PrometheusConfig& cfg) {
  // Validate everything before touching anything.
  std::map<std::string, std::shared_ptr<const JobSettings>> settings;
  for (size_t i = 0; i < cfg.scrape_configs.size(); ++i) {
    const config::ScrapeConfig& sc = cfg.scrape_configs[i];
    absl::StatusOr<std::shared_ptr<const JobSettings>> s = MakeJobSettings(sc);
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
      target_sets_.erase(job);
      dirty_.erase(job);
    }
  }
  LoopServices services;
  services.scraper = scraper_;
  services.executor = executor_;
  services.scheduler = scheduler_;
  services.sink = &sink_;
  services.buffers = &buffers_;
  services.clock = options_.clock;
  services.offset_seed = options_.offset_seed;
  services.initial_scrape_offset = options_.initial_scrape_offset;
  services.skip_offsetting_for_test = options_.skip_offsetting_for_test;
  services.scrape_on_shutdown = options_.scrape_on_shutdown;
  services.scrapes = &scrapes_total_;
  services.missed_scrapes = &missed_total_;
  services.metrics = &metrics_;
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
      if (before == nullptr || !SameConfig(*before, sc)) {
        old->second->Reload(settings[job]);
        metrics_.pool_reloads_total.Increment();
        result.reloaded.push_back(job);
      } else {
        continue;
      }
    }
    target_sets_[job][kStaticProvider] = StaticTargetGroups(sc);
    // Drop file_sd providers; RefreshFileSdLocked re-reads the files.
    auto& providers = target_sets_[job];
    for (auto it = providers.begin(); it != providers.end();) {
      if (absl::StartsWith(it->first, "file_sd/")) {
        it = providers.erase(it);
      } else {
        ++it;
      }
    }
    dirty_[job] = true;
  }
  {
    MutexLock lock(&mu_);
    pools_ = pools;
    config_ = cfg;
  }
  for (auto& pool : to_stop) pool->RequestStop();
  for (auto& pool : to_stop) pool->Stop();
  for (const std::string& job : result.removed) metrics_.RemoveJob(job);
  for (const std::string& job : result.added) {
    RefreshFileSdLocked(job, /*force=*/true);
    SyncJobLocked(job);
  }
  for (const std::string& job : result.reloaded) {
    RefreshFileSdLocked(job, /*force=*/true);
    SyncJobLocked(job);
  }
  return result;
}

void Manager::RefreshFileSdLocked(const std::string& job, bool force) {
  config::PrometheusConfig cfg = Config();
  const config::ScrapeConfig* sc = cfg.FindJob(job);
  if (sc == nullptr) return;
  const absl::Time now = options_.clock->Now();
  for (size_t i = 0; i < sc->file_sd_configs.size(); ++i) {
    const config::FileSdConfig& fsd = sc->file_sd_configs[i];
    for (const std::string& path : fsd.files) {
      const std::string provider = FileSdProvider(i, path);
      const std::string key = job + "\n" + provider;
      auto last = file_sd_read_.find(key);
      if (!force && last != file_sd_read_.end() &&
          now - last->second < fsd.refresh_interval) {
        continue;
      }
      file_sd_read_[key] = now;
      absl::StatusOr<std::vector<TargetGroup>> groups = ReadFileSdFile(path);
      if (!groups.ok()) {
        // As Prometheus: keep the last good targets of a broken file.
        logger_.Warning("job \"", job, "\": file_sd: ", groups.status().message());
        continue;
      }
      target_sets_[job][provider] = std::move(groups).value();
      dirty_[job] = true;
    }
  }
}

void Manager::SyncJobLocked(const std::string& job) {
  std::shared_ptr<ScrapePool> pool = Pool(job);
  if (pool == nullptr) return;
  std::vector<TargetGroup> groups;
  for (const auto& [provider, gs] : target_sets_[job]) {
    groups.insert(groups.end(), gs.begin(), gs.end());
  }
  dirty_[job] = false;
  const absl::Time start = options_.clock->Now();
  std::vector<absl::Status> failures = pool->Sync(groups);
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
    for (const auto& [target, metadata] : pool->Metadata()) {
      for (const MetricMetadata& m : metadata) {
        ++entries;
        bytes += static_cast<double>(
            m.help.size() + m.unit.size() +
            textparse::MetricTypeName(m.type).size());
      }
    }
    std::vector<metrics::LabelPair> labels = {{"scrape_job", job}};
    out->push_back({"prometheus_target_metadata_cache_bytes", labels, bytes});
    out->push_back(
        {"prometheus_target_metadata_cache_entries", labels, entries});
  }
}

absl::StatusOr<int64_t> Manager::UpdateTargets(const std::string& job,
                                               const std::string& provider,
                                               std::vector<TargetGroup> groups) {
  MutexLock apply(&apply_mu_);
  if (Pool(job) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown job \"", job, "\" (not in scrape_configs)"));
  }
  auto& providers = target_sets_[job];
  if (groups.empty()) {
    providers.erase(provider);
  } else {
    providers[provider] = std::move(groups);
  }
  dirty_[job] = true;
  if (options_.reload_on_startup && last_reload_ == absl::InfinitePast()) {
    // Prometheus' DiscoveryReloadOnStartup; later updates are throttled
    // from here on.
    last_reload_ = options_.clock->Now();
    SyncJobLocked(job);
  }
  int64_t targets = 0;
  for (const auto& [p, gs] : providers) {
    for (const TargetGroup& g : gs) targets += static_cast<int64_t>(g.targets.size());
  }
  return targets;
}

void Manager::ReloadNow() {
  {
    MutexLock lock(&mu_);
    reload_requested_ = true;
    cv_.SignalAll();
  }
  MutexLock apply(&apply_mu_);
  for (auto& [job, dirty] : dirty_) {
    if (dirty) SyncJobLocked(job);
  }
}

void Manager::RunReloader() {
  while (true) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      // Wake at least every second for file_sd refresh and pending updates.
      cv_.WaitWithTimeout(&mu_, std::min(options_.reload_interval, absl::Seconds(1)));
      if (stopping_) return;
    }
    ReloaderPass();
  }
}

void Manager::ReloaderPass() {
  const absl::Time now = options_.clock->Now();
  MutexLock apply(&apply_mu_);
  std::vector<std::string> jobs;
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    for (const auto& [job, pool] : pools_) jobs.push_back(job);
  }
  for (const std::string& job : jobs) RefreshFileSdLocked(job, false);
  // Before the first reload, Prometheus' reloader waits for its ticker's
  // first tick.
  const absl::Time since =
      last_reload_ == absl::InfinitePast() ? created_ : last_reload_;
  if (now - since < options_.reload_interval) return;
  bool synced = false;
  for (auto& [job, dirty] : dirty_) {
    if (!dirty) continue;
    SyncJobLocked(job);
    synced = true;
  }
  if (synced) last_reload_ = now;
}

void Manager::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_ && !reloader_.joinable()) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (reloader_.joinable()) reloader_.join();
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
