#include "plugin/discovery/discovery_manager.h"

#include <glob.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/common/thread_name.h"
#include "plugin/discovery/file_sd.h"
#include "plugin/discovery/http_sd.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/http/client_config.h"
#include "plugin/http/scrape_headers.h"

namespace promscrape::discovery {
namespace {

constexpr char kStaticProvider[] = "static_configs";
constexpr absl::string_view kFileSdPrefix = "file_sd/";
constexpr absl::string_view kHttpSdPrefix = "http_sd/";
constexpr absl::string_view kDnsSdPrefix = "dns_sd/";

std::string FileSdProvider(size_t config_index, const std::string& path) {
  return absl::StrCat(kFileSdPrefix, config_index, "/", path);
}

std::string HttpSdProvider(size_t config_index, const std::string& url) {
  return absl::StrCat(kHttpSdPrefix, config_index, "/", url);
}

// Providers of the config itself; every other name was pushed by the host.
bool IsConfigProvider(absl::string_view provider) {
  return provider == kStaticProvider ||
         absl::StartsWith(provider, kFileSdPrefix) ||
         absl::StartsWith(provider, kHttpSdPrefix) ||
         absl::StartsWith(provider, kDnsSdPrefix);
}

}  // namespace

Manager::Manager(Options options, SyncFn sync, const Logger& logger)
    : options_([&] {
        if (options.clock == nullptr) options.clock = &Clock::Real();
        return options;
      }()),
      sync_(std::move(sync)),
      logger_(logger),
      created_(options_.clock->Now()),
      inotify_fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (options_.reloader_thread) {
    reloader_ = std::thread([this] {
      SetCurrentThreadName("ps-reload");
      RunReloader();
    });
  }
}


void Manager::ApplyConfig(const config::PrometheusConfig& cfg) {
  std::vector<PendingRequest> pending;
  {
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
    waiting_warned_.erase(it->first);
    it = target_sets_.erase(it);
  }
  for (auto it = http_sd_.begin(); it != http_sd_.end();) {
    if (jobs.contains(it->second.job)) {
      ++it;
    } else {
      it = http_sd_.erase(it);
    }
  }
  for (auto it = dns_sd_.begin(); it != dns_sd_.end();) {
    if (jobs.contains(it->second.job)) {
      ++it;
    } else {
      it = dns_sd_.erase(it);
    }
  }
  std::vector<std::string> changed;
  for (const auto& [job, sc] : jobs) {
    auto old = jobs_.find(job);
    if (old != jobs_.end() && old->second == sc) continue;
    changed.push_back(job);
    auto& providers = target_sets_[job];
    providers[kStaticProvider] = StaticTargetGroups(sc);
    // The file and URL lists may have changed: drop every file and http
    // provider and read them afresh.
    for (auto p = providers.begin(); p != providers.end();) {
      if (absl::StartsWith(p->first, kFileSdPrefix) ||
          absl::StartsWith(p->first, kHttpSdPrefix) ||
          absl::StartsWith(p->first, kDnsSdPrefix)) {
        p = providers.erase(p);
      } else {
        ++p;
      }
    }
  }
  jobs_ = std::move(jobs);
  WatchFileSdDirsLocked();
  for (const std::string& job : changed) {
    waiting_warned_.erase(job);
    ResetHttpSdLocked(job, jobs_.at(job));
    ResetDnsSdLocked(job, jobs_.at(job));
    RefreshFileSdLocked(job, /*force=*/true);
    SyncJobLocked(job);
  }
  pending = TakeDueHttpSdLocked();
  RunDnsSdLocked();
  }
  StartHttpSd(std::move(pending));
}

void Manager::ResetDnsSdLocked(const std::string& job,
                               const config::ScrapeConfig& sc) {
  for (auto it = dns_sd_.begin(); it != dns_sd_.end();) {
    if (it->second.job == job) {
      it = dns_sd_.erase(it);
    } else {
      ++it;
    }
  }
  if (sc.dns_sd_configs.empty()) return;
  if (dns_ == nullptr) {
    absl::StatusOr<std::unique_ptr<DnsResolver>> dns =
        DnsResolver::Create(options_.dns_servers);
    if (!dns.ok()) {
      logger_.Error("dns_sd: cannot start the resolver: ",
                    dns.status().message());
      return;
    }
    dns_ = std::move(dns).value();
  }
  for (size_t i = 0; i < sc.dns_sd_configs.size(); ++i) {
    DnsSdState state;
    state.job = job;
    state.provider = absl::StrCat(kDnsSdPrefix, i);
    state.config = sc.dns_sd_configs[i];
    state.generation = ++http_sd_generation_;
    state.next_due = options_.clock->Now();
    dns_sd_[absl::StrCat(job, "\n", state.provider)] = std::move(state);
  }
}

void Manager::RunDnsSdLocked() {
  if (dns_ == nullptr) return;
  const absl::Time now = options_.clock->Now();
  for (auto& [key, state] : dns_sd_) {
    if (state.pending > 0 || now < state.next_due) continue;
    state.next_due = now + state.config.refresh_interval;
    state.pending = static_cast<int>(state.config.names.size());
    for (const std::string& name : state.config.names) {
      dns_->Lookup(
          name, state.config.type, state.config.port,
          [this, key = key, generation = state.generation,
           name](absl::StatusOr<TargetGroup> group) {
            // Runs inside dns_->Process() or Lookup(), both under mu_.
            mu_.AssertHeld();
            auto it = dns_sd_.find(key);
            if (it == dns_sd_.end() || it->second.generation != generation) {
              return;
            }
            DnsSdState& s = it->second;
            --s.pending;
            if (group.ok()) {
              s.groups[name] = *std::move(group);
            } else if (absl::IsNotFound(group.status())) {
              // As Prometheus: a name that does not exist has no targets.
              s.groups[name] = TargetGroup{.source = name};
            } else {
              // Keep the name's last good targets.
              logger_.Warning("job \"", s.job,
                              "\": dns_sd: error refreshing DNS targets: ",
                              group.status().message());
              return;
            }
            std::vector<TargetGroup> all;
            for (const auto& [n, g] : s.groups) all.push_back(g);
            std::vector<TargetGroup>& current =
                target_sets_[s.job][s.provider];
            if (current != all) {
              current = std::move(all);
              dirty_[s.job] = true;
            }
          });
    }
  }
  dns_->Process();
}

void Manager::ResetHttpSdLocked(const std::string& job,
                                const config::ScrapeConfig& sc) {
  for (auto it = http_sd_.begin(); it != http_sd_.end();) {
    if (it->second.job == job) {
      it = http_sd_.erase(it);
    } else {
      ++it;
    }
  }
  const absl::Time now = options_.clock->Now();
  for (size_t i = 0; i < sc.http_sd_configs.size(); ++i) {
    const config::HttpSdConfig& hc = sc.http_sd_configs[i];
    absl::StatusOr<http::ClientSettings> settings =
        http::ClientSettingsFromConfig(hc.http_client);
    if (!settings.ok()) {
      // The config checker refuses such a config; never reached from a
      // validated one.
      logger_.Error("job \"", job, "\": http_sd_configs[", i, "]: ",
                    settings.status().message());
      continue;
    }
    if (http_client_ == nullptr) {
      absl::StatusOr<std::unique_ptr<http::HttpClient>> client =
          http::HttpClient::Create();
      if (!client.ok()) {
        logger_.Error("http_sd: cannot start the HTTP client: ",
                      client.status().message());
        return;
      }
      http_client_ = std::move(client).value();
    }
    HttpSdState state;
    state.job = job;
    state.provider = HttpSdProvider(i, hc.url);
    state.url = hc.url;
    state.refresh_interval = hc.refresh_interval;
    state.settings =
        std::make_shared<const http::ClientSettings>(*std::move(settings));
    state.generation = ++http_sd_generation_;
    state.next_due = now;
    http_sd_[absl::StrCat(job, "\n", state.provider)] = std::move(state);
  }
}

std::vector<Manager::PendingRequest> Manager::TakeDueHttpSdLocked() {
  std::vector<PendingRequest> out;
  const absl::Time now = options_.clock->Now();
  for (auto& [key, state] : http_sd_) {
    if (state.in_flight || now < state.next_due) continue;
    state.in_flight = true;
    out.push_back(PendingRequest{key, state.generation, state.url,
                                 state.refresh_interval, state.settings});
  }
  return out;
}

void Manager::StartHttpSd(std::vector<PendingRequest> requests) {
  if (requests.empty()) return;
  std::shared_ptr<http::HttpClient> client;
  {
    MutexLock lock(&mu_);
    client = http_client_;
  }
  if (client == nullptr) return;
  for (PendingRequest& p : requests) {
    http::Request request;
    request.url = p.url;
    request.settings = p.settings;
    request.timeout = p.timeout;
    request.headers = {
        {"Accept", std::string(kHttpSdAccept)},
        {"User-Agent", std::string(http::kPrometheusUserAgent)},
        {std::string(kHttpSdRefreshHeader),
         absl::StrCat(absl::ToDoubleSeconds(p.timeout))}};
    client->Start(std::move(request),
                  [this, p](http::Response response) {
                    OnHttpSdDone(p, std::move(response));
                  });
  }
}

void Manager::OnHttpSdDone(const PendingRequest& request,
                           http::Response response) {
  std::string job;
  absl::Status status;
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    auto it = http_sd_.find(request.key);
    if (it == http_sd_.end() || it->second.generation != request.generation) {
      return;  // The job's config changed meanwhile.
    }
    HttpSdState& state = it->second;
    job = state.job;
    state.in_flight = false;
    state.next_due = options_.clock->Now() + state.refresh_interval;
    // A non-200 answer is reported by its status line (as Prometheus);
    // a 200 whose body failed (timeout, size limit) by the transport error.
    const bool http_error =
        response.status_code != 0 && response.status_code != 200;
    absl::StatusOr<std::vector<TargetGroup>> groups =
        response.status.ok() || http_error
            ? ParseHttpSdResponse(state.url, response.status_code,
                                  response.content_type, response.body)
            : absl::StatusOr<std::vector<TargetGroup>>(response.status);
    if (!groups.ok()) {
      // As Prometheus: keep the last good targets.
      logger_.Warning("job \"", state.job, "\": http_sd ", state.url,
                      ": unable to refresh target groups: ",
                      groups.status().message());
      status = groups.status();
    } else {
      target_sets_[state.job][state.provider] = std::move(groups).value();
      dirty_[state.job] = true;
    }
  }
  if (options_.on_http_sd_refresh) options_.on_http_sd_refresh(job, status);
}

Manager::HostTargets Manager::HostTargetsOf(const std::string& job) const {
  MutexLock lock(&mu_);
  HostTargets out;
  auto sc = jobs_.find(job);
  if (sc == jobs_.end() || sc->second.unsupported_sd_configs.empty()) {
    return out;
  }
  out.providers = sc->second.unsupported_sd_configs;
  out.waiting = true;
  auto providers = target_sets_.find(job);
  if (providers != target_sets_.end()) {
    for (const auto& [provider, groups] : providers->second) {
      if (!IsConfigProvider(provider)) out.waiting = false;
    }
  }
  return out;
}

void Manager::WarnWaitingForHostLocked() {
  for (const auto& [job, sc] : jobs_) {
    if (sc.unsupported_sd_configs.empty() || waiting_warned_[job]) continue;
    bool pushed = false;
    for (const auto& [provider, groups] : target_sets_[job]) {
      if (!IsConfigProvider(provider)) pushed = true;
    }
    waiting_warned_[job] = true;
    if (pushed) continue;
    logger_.Warning("job \"", job, "\": no targets from the host yet: ",
                    absl::StrJoin(sc.unsupported_sd_configs, ", "),
                    " are not run by the plugin; the host must send the "
                    "job's targets with UpdateTargets (provider \"",
                    sc.unsupported_sd_configs.front(), "\")");
  }
}

void Manager::RefreshFileSdLocked(const std::string& job, bool force) {
  auto sc = jobs_.find(job);
  if (sc == jobs_.end()) return;
  const absl::Time now = options_.clock->Now();
  auto& providers = target_sets_[job];
  for (size_t i = 0; i < sc->second.file_sd_configs.size(); ++i) {
    const config::FileSdConfig& fsd = sc->second.file_sd_configs[i];
    const std::string key = absl::StrCat(job, "\n", kFileSdPrefix, i);
    auto last = file_sd_read_.find(key);
    if (!force && last != file_sd_read_.end() &&
        now - last->second < fsd.refresh_interval) {
      continue;
    }
    file_sd_read_[key] = now;
    // As Prometheus' filepath.Glob: a pattern (or a plain path) names the
    // files that exist now; a file that went away takes its targets along.
    std::set<std::string> files;
    for (const std::string& pattern : fsd.files) {
      glob_t matches;
      if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
        for (size_t m = 0; m < matches.gl_pathc; ++m) {
          files.insert(matches.gl_pathv[m]);
        }
      }
      globfree(&matches);
    }
    const std::string prefix = FileSdProvider(i, "");
    for (auto p = providers.lower_bound(prefix);
         p != providers.end() && absl::StartsWith(p->first, prefix);) {
      if (files.contains(p->first.substr(prefix.size()))) {
        ++p;
      } else {
        p = providers.erase(p);
        dirty_[job] = true;
      }
    }
    for (const std::string& path : files) {
      absl::StatusOr<std::vector<TargetGroup>> groups = ReadFileSdFile(path);
      if (!groups.ok()) {
        // As Prometheus: keep the last good targets of a broken file.
        logger_.Warning("job \"", job, "\": file_sd: ",
                        groups.status().message());
        continue;
      }
      std::vector<TargetGroup>& current = providers[FileSdProvider(i, path)];
      if (current != *groups) {
        current = std::move(groups).value();
        dirty_[job] = true;
      }
    }
  }
}

void Manager::WatchFileSdDirsLocked() {
  if (inotify_fd_ < 0) return;
  std::set<std::string> dirs;
  for (const auto& [job, sc] : jobs_) {
    for (const config::FileSdConfig& fsd : sc.file_sd_configs) {
      for (const std::string& pattern : fsd.files) {
        const size_t slash = pattern.rfind('/');
        dirs.insert(slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : pattern.substr(0, slash));
      }
    }
  }
  for (auto it = watched_dirs_.begin(); it != watched_dirs_.end();) {
    if (dirs.contains(it->first)) {
      ++it;
      continue;
    }
    inotify_rm_watch(inotify_fd_, it->second);
    watch_dirs_.erase(it->second);
    it = watched_dirs_.erase(it);
  }
  for (const std::string& dir : dirs) {
    if (watched_dirs_.contains(dir)) continue;
    const int wd = inotify_add_watch(
        inotify_fd_, dir.c_str(),
        IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_TO |
            IN_MOVED_FROM);
    // A directory that does not exist (yet) is still read every
    // refresh_interval.
    if (wd < 0) continue;
    watched_dirs_[dir] = wd;
    watch_dirs_[wd] = dir;
  }
}

void Manager::RefreshChangedFileSdLocked() {
  if (inotify_fd_ < 0) return;
  std::set<std::string> changed;
  alignas(inotify_event) char buffer[16384];
  while (true) {
    const ssize_t n = read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + off);
      auto dir = watch_dirs_.find(event->wd);
      if (dir != watch_dirs_.end()) changed.insert(dir->second);
      off += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  if (changed.empty()) return;
  for (const auto& [job, sc] : jobs_) {
    bool affected = false;
    for (const config::FileSdConfig& fsd : sc.file_sd_configs) {
      for (const std::string& pattern : fsd.files) {
        const size_t slash = pattern.rfind('/');
        const std::string dir = slash == std::string::npos ? "."
                                : slash == 0               ? "/"
                                                   : pattern.substr(0, slash);
        affected = affected || changed.contains(dir);
      }
    }
    if (affected) RefreshFileSdLocked(job, /*force=*/true);
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
  std::vector<PendingRequest> pending;
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    RefreshChangedFileSdLocked();
    for (const auto& [job, sc] : jobs_) RefreshFileSdLocked(job, false);
    RunDnsSdLocked();
    pending = TakeDueHttpSdLocked();
    // Before the first reload, Prometheus' reloader waits for its ticker's
    // first tick.
    const absl::Time since =
        last_reload_ == absl::InfinitePast() ? created_ : last_reload_;
    if (now - since >= options_.reload_interval) {
      bool synced = false;
      for (auto& [job, dirty] : dirty_) {
        if (!dirty) continue;
        SyncJobLocked(job);
        synced = true;
      }
      if (synced) last_reload_ = now;
      WarnWaitingForHostLocked();
    }
  }
  StartHttpSd(std::move(pending));
}

void Manager::Stop() {
  {
    MutexLock lock(&stop_mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  if (reloader_.joinable()) reloader_.join();
  std::shared_ptr<http::HttpClient> client;
  {
    MutexLock lock(&mu_);
    stopped_ = true;
    client = std::move(http_client_);
  }
  // Its completions take mu_ (and see stopped_).
  if (client != nullptr) client->Stop();
}

Manager::~Manager() {
  Stop();
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

}  // namespace promscrape::discovery
