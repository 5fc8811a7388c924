#include "plugin/discovery/discovery_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/thread_name.h"
#include "plugin/discovery/file_sd.h"
#include "plugin/discovery/static_sd.h"

namespace promscrape::discovery {
namespace {

constexpr char kStaticProvider[] = "static_configs";
constexpr absl::string_view kFileSdPrefix = "file_sd/";

std::string FileSdProvider(size_t config_index, const std::string& path) {
  return absl::StrCat(kFileSdPrefix, config_index, "/", path);
}

}  // namespace

Manager::Manager(Options options, SyncFn sync, const Logger& logger)
    : options_([&] {
        if (options.clock == nullptr) options.clock = &Clock::Real();
        return options;
      }()),
      sync_(std::move(sync)),
      logger_(logger),
      created_(options_.clock->Now()) {
  if (options_.reloader_thread) {
    reloader_ = std::thread([this] {
      SetCurrentThreadName("ps-reload");
      RunReloader();
    });
  }
}

Manager::~Manager() { Stop(); }

void Manager::ApplyConfig(const config::PrometheusConfig& cfg) {
  MutexLock lock(&mu_);
  if (stopped_) return;
  std::map<std::string, config::ScrapeConfig> jobs;
  for (const config::ScrapeConfig& sc : cfg.scrape_configs) {
    jobs.emplace(sc.job_name, sc);
  }
  for (auto it = target_sets_.begin(); it != target_sets_.end();) {
    if (jobs.contains(it->first)) {
      ++it;
      continue;
    }
    dirty_.erase(it->first);
    it = target_sets_.erase(it);
  }
  std::vector<std::string> changed;
  for (const auto& [job, sc] : jobs) {
    auto old = jobs_.find(job);
    if (old != jobs_.end() && old->second == sc) continue;
    changed.push_back(job);
    auto& providers = target_sets_[job];
    providers[kStaticProvider] = StaticTargetGroups(sc);
    // The file list may have changed: drop every file provider and read the
    // files afresh below.
    for (auto p = providers.begin(); p != providers.end();) {
      if (absl::StartsWith(p->first, kFileSdPrefix)) {
        p = providers.erase(p);
      } else {
        ++p;
      }
    }
  }
  jobs_ = std::move(jobs);
  for (const std::string& job : changed) {
    RefreshFileSdLocked(job, /*force=*/true);
    SyncJobLocked(job);
  }
}

void Manager::RefreshFileSdLocked(const std::string& job, bool force) {
  auto sc = jobs_.find(job);
  if (sc == jobs_.end()) return;
  const absl::Time now = options_.clock->Now();
  for (size_t i = 0; i < sc->second.file_sd_configs.size(); ++i) {
    const config::FileSdConfig& fsd = sc->second.file_sd_configs[i];
    for (const std::string& path : fsd.files) {
      const std::string provider = FileSdProvider(i, path);
      const std::string key = absl::StrCat(job, "\n", provider);
      auto last = file_sd_read_.find(key);
      if (!force && last != file_sd_read_.end() &&
          now - last->second < fsd.refresh_interval) {
        continue;
      }
      file_sd_read_[key] = now;
      absl::StatusOr<std::vector<TargetGroup>> groups = ReadFileSdFile(path);
      if (!groups.ok()) {
        // As Prometheus: keep the last good targets of a broken file.
        logger_.Warning("job \"", job, "\": file_sd: ",
                        groups.status().message());
        continue;
      }
      target_sets_[job][provider] = std::move(groups).value();
      dirty_[job] = true;
    }
  }
}

void Manager::SyncJobLocked(const std::string& job) {
  std::vector<TargetGroup> groups;
  for (const auto& [provider, gs] : target_sets_[job]) {
    groups.insert(groups.end(), gs.begin(), gs.end());
  }
  dirty_[job] = false;
  sync_(job, groups);
}

absl::StatusOr<int64_t> Manager::UpdateTargets(const std::string& job,
                                               const std::string& provider,
                                               std::vector<TargetGroup> groups) {
  MutexLock lock(&mu_);
  if (stopped_) return absl::CancelledError("discovery stopped");
  if (!jobs_.contains(job)) {
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
    for (const TargetGroup& g : gs) {
      targets += static_cast<int64_t>(g.targets.size());
    }
  }
  return targets;
}

void Manager::ReloadNow() {
  MutexLock lock(&mu_);
  if (stopped_) return;
  for (auto& [job, dirty] : dirty_) {
    if (dirty) SyncJobLocked(job);
  }
}

void Manager::RunReloader() {
  while (true) {
    {
      MutexLock lock(&stop_mu_);
      if (stopping_) return;
      // Wake at least every second for file_sd refresh and pending updates.
      stop_cv_.WaitWithTimeout(
          &stop_mu_, std::min(options_.reload_interval, absl::Seconds(1)));
      if (stopping_) return;
    }
    ReloaderPass();
  }
}

void Manager::ReloaderPass() {
  const absl::Time now = options_.clock->Now();
  MutexLock lock(&mu_);
  if (stopped_) return;
  for (const auto& [job, sc] : jobs_) RefreshFileSdLocked(job, false);
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
    MutexLock lock(&stop_mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  if (reloader_.joinable()) reloader_.join();
  MutexLock lock(&mu_);
  stopped_ = true;
}

}  // namespace promscrape::discovery
