#ifndef PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_
#define PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/dns_sd.h"
#include "plugin/discovery/target_group.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http_client.h"

namespace promscrape::discovery {

// Where every job's targets come from (Prometheus' discovery.Manager plus
// the scrape manager's reloader): per job, one target-group list per
// provider — the config's `static_configs`, each `file_sd_configs` file,
// and every provider the host pushes through UpdateTargets — and a
// debounced reloader that hands a job's complete target set (the union of
// its providers' groups) to the scrape engine through one callback.
//
// Targets of the config itself start at ApplyConfig; target updates are
// applied at most once per reload_interval, the first one reload_interval
// after the manager was created (Prometheus' reloader ticker), or at once
// with reload_on_startup. file_sd patterns are globbed and their files
// re-read every refresh_interval, and within a second of a change in their
// directories (inotify, read by the reloader pass); a broken file keeps its
// last good targets, a vanished one loses them, as in Prometheus.
//
// http_sd_configs are fetched every refresh_interval (the first at once)
// through one HttpClient (one event-loop thread for every http_sd of every
// job, created when a config first has one); the reloader pass starts the
// due requests, and the completions store the targets. A failed refresh
// (transport error, non-200, wrong Content-Type, bad JSON) keeps the last
// good targets, is logged and reported to `Options::on_http_sd_refresh`.
//
// dns_sd_configs are looked up through c-ares on the reloader thread
// (non-blocking: queries go out, answers are read at the next pass, within
// a second); a name whose lookup fails keeps its last good targets, a name
// that does not exist loses them, as in Prometheus.
//
// Jobs with discovery sections the plugin does not run itself (kubernetes,
// consul, ...; `ScrapeConfig::unsupported_sd_configs`) take their targets
// from the host through UpdateTargets; `HostTargetsOf` marks such a job waiting
// while the host has sent it no targets, and the first reload after which it
// still has none logs one warning.
//
// Thread-safe: mutations are serialized; `sync` is called with them
// serialized too (never concurrently with itself), from the caller's thread
// or the reloader thread.
class Manager {
 public:
  struct Options {
    // Prometheus' DiscoveryReloadInterval.
    absl::Duration reload_interval = absl::Seconds(5);
    // Prometheus' DiscoveryReloadOnStartup: the first target update is
    // applied at once instead of at the first reload tick.
    bool reload_on_startup = false;
    const Clock* clock = nullptr;  // default Clock::Real()
    // False: no reloader thread; tests call RunReloaderOnceForTest().
    bool reloader_thread = true;
    // Called after every http_sd refresh with its job and outcome (OK once
    // the targets are stored), on an event-loop thread; must not block or
    // call back into the manager.
    std::function<void(const std::string& job, const absl::Status& status)>
        on_http_sd_refresh;
    // The DNS servers of dns_sd_configs in c-ares' CSV form
    // ("127.0.0.1:5353"); "" uses /etc/resolv.conf. For tests.
    std::string dns_servers;
  };

  // Receives `job`'s complete target set. Must not call back into the
  // manager.
  using SyncFn = std::function<void(const std::string& job,
                                    const std::vector<TargetGroup>& groups)>;

  // `logger` must outlive the manager. Starts the reloader thread.
  Manager(Options options, SyncFn sync, const Logger& logger);
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  // Equivalent to Stop().
  ~Manager();

  // Installs the jobs of `config`: removed jobs lose every provider; new
  // jobs and jobs whose scrape config changed (field-wise comparison of the
  // parsed configs) get their static targets and a fresh read of their
  // file_sd files, and are synced at once. Unchanged jobs keep their targets,
  // host-pushed ones included. The scrape engine must already have the
  // config's pools.
  void ApplyConfig(const config::PrometheusConfig& config)
      ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

  // Replaces `provider`'s target groups of `job` (an empty list removes the
  // provider), applied at the next reload. kNotFound for a job not in the
  // config. Returns the number of targets the job's providers now hold.
  absl::StatusOr<int64_t> UpdateTargets(const std::string& job,
                                        const std::string& provider,
                                        std::vector<TargetGroup> groups)
      ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

  // Applies pending target updates now.
  void ReloadNow() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

  // One reloader pass: re-reads due file_sd files and, if reload_interval
  // has passed since the last reload (before the first one, since the
  // manager was created), syncs the jobs with pending updates.
  void RunReloaderOnceForTest() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_) {
    ReloaderPass();
  }

  // What a job expects from the host.
  struct HostTargets {
    // The job's discovery sections the plugin does not run, by key (e.g.
    // "kubernetes_sd_configs"): the provider names the host should push
    // the job's targets under. Empty for other and unknown jobs.
    std::vector<std::string> providers;
    // `providers` is not empty and the host has pushed no targets for the
    // job (under any provider name).
    bool waiting = false;
  };
  HostTargets HostTargetsOf(const std::string& job) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the reloader and the http_sd client; no sync happens after it
  // returns. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

 private:
  // One http_sd_configs entry of one job.
  struct HttpSdState {
    std::string job;
    std::string provider;
    std::string url;
    absl::Duration refresh_interval;
    std::shared_ptr<const http::ClientSettings> settings;
    // Bumped when the job's config changes: older completions are dropped.
    uint64_t generation = 0;
    absl::Time next_due;
    bool in_flight = false;
  };
  // One dns_sd_configs entry of one job: its names are looked up together
  // every refresh_interval, answers handled by the reloader pass.
  struct DnsSdState {
    std::string job;
    std::string provider;
    config::DnsSdConfig config;
    uint64_t generation = 0;
    absl::Time next_due;
    int pending = 0;
    // The last good group of each name.
    std::map<std::string, TargetGroup> groups;
  };
  struct PendingRequest {
    std::string key;
    uint64_t generation;
    std::string url;
    absl::Duration timeout;
    std::shared_ptr<const http::ClientSettings> settings;
  };

  void RunReloader();
  void ReloaderPass() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);
  void SyncJobLocked(const std::string& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RefreshFileSdLocked(const std::string& job, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces `job`'s http_sd states with fresh ones, due now.
  void ResetHttpSdLocked(const std::string& job,
                         const config::ScrapeConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks due http_sd states in flight and returns their requests, to be
  // started by StartHttpSd once mu_ is released.
  std::vector<PendingRequest> TakeDueHttpSdLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartHttpSd(std::vector<PendingRequest> requests)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnHttpSdDone(const PendingRequest& request, http::Response response)
      ABSL_LOCKS_EXCLUDED(mu_);
  void WarnWaitingForHostLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResetDnsSdLocked(const std::string& job,
                        const config::ScrapeConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the due lookups and handles the answers that arrived.
  void RunDnsSdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Watches the directories of every file_sd pattern of jobs_.
  void WatchFileSdDirsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drains the inotify events and re-reads the file_sd configs of every
  // job with a pattern in a changed directory.
  void RefreshChangedFileSdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const SyncFn sync_;
  const Logger& logger_;
  // The reloader's first tick is reload_interval after this.
  const absl::Time created_;
  // Non-blocking; -1 if the kernel refused (then refresh_interval only).
  const int inotify_fd_;

  // Serializes every mutation and every sync.
  mutable Mutex mu_;
  std::map<std::string, config::ScrapeConfig> jobs_ ABSL_GUARDED_BY(mu_);
  // job -> provider -> groups.
  std::map<std::string, std::map<std::string, std::vector<TargetGroup>>>
      target_sets_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> dirty_ ABSL_GUARDED_BY(mu_);
  // directory -> inotify watch descriptor, and back.
  std::map<std::string, int> watched_dirs_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::string> watch_dirs_ ABSL_GUARDED_BY(mu_);
  // job + "\n" + "file_sd/<index>" -> last read of that file_sd config.
  std::map<std::string, absl::Time> file_sd_read_ ABSL_GUARDED_BY(mu_);
  absl::Time last_reload_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // job + "\n" + provider -> state.
  std::map<std::string, HttpSdState> http_sd_ ABSL_GUARDED_BY(mu_);
  uint64_t http_sd_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // job + "\n" + provider -> state.
  std::map<std::string, DnsSdState> dns_sd_ ABSL_GUARDED_BY(mu_);
  // Created with the first dns_sd config; used only under mu_, so its
  // callbacks (run inside Process) hold mu_ too.
  std::unique_ptr<DnsResolver> dns_ ABSL_GUARDED_BY(mu_);
  // Jobs already warned about waiting for host targets.
  std::map<std::string, bool> waiting_warned_ ABSL_GUARDED_BY(mu_);
  // Created with the first http_sd config; its callbacks take mu_, so it is
  // never stopped or started with mu_ held.
  std::shared_ptr<http::HttpClient> http_client_ ABSL_GUARDED_BY(mu_);

  // The reloader's wake-ups; never held while taking mu_.
  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread reloader_;
};

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_
