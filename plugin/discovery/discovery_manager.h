#ifndef PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_
#define PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_

#include <functional>
#include <map>
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
#include "plugin/discovery/target_group.h"

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
// with reload_on_startup. file_sd files are re-read every refresh_interval;
// a broken file keeps its last good targets, as in Prometheus.
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

  // Stops the reloader; no sync happens after it returns. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

 private:
  void RunReloader();
  void ReloaderPass() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);
  void SyncJobLocked(const std::string& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RefreshFileSdLocked(const std::string& job, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const SyncFn sync_;
  const Logger& logger_;
  // The reloader's first tick is reload_interval after this.
  const absl::Time created_;

  // Serializes every mutation and every sync.
  Mutex mu_;
  std::map<std::string, config::ScrapeConfig> jobs_ ABSL_GUARDED_BY(mu_);
  // job -> provider -> groups.
  std::map<std::string, std::map<std::string, std::vector<TargetGroup>>>
      target_sets_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> dirty_ ABSL_GUARDED_BY(mu_);
  // job + provider -> last read of that file_sd file.
  std::map<std::string, absl::Time> file_sd_read_ ABSL_GUARDED_BY(mu_);
  absl::Time last_reload_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  // The reloader's wake-ups; never held while taking mu_.
  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread reloader_;
};

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_DISCOVERY_MANAGER_H_
