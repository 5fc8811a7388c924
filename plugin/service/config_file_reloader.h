#ifndef PLUGIN_SERVICE_CONFIG_FILE_RELOADER_H_
#define PLUGIN_SERVICE_CONFIG_FILE_RELOADER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/config/compat.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/metrics/registry.h"

namespace promscrape::service {

// Re-applies the plugin's `scrape_config_file` when its content changes:
// Prometheus 3.x' config auto-reload (`--enable-feature=auto-reload-config`,
// cmd/prometheus/main.go), which compares a checksum of the file every
// `--config.auto-reload-interval` and reloads on a change. Here the file is
// read every `interval` and compared byte for byte with the content last
// seen (configs are small), together with the files its
// `scrape_config_files` patterns match (names and contents, re-globbed at
// every check). A change in either is parsed and handed to
// `install`; a read, parse or install error is logged once per content and
// the running config stays (keep last good); the same broken content is not
// retried until the file changes again.
//
// Metrics (Prometheus' names for its own reloads):
// `prometheus_config_last_reload_successful` (1/0) and
// `prometheus_config_last_reload_success_timestamp_seconds`.
//
// Thread-safe. Checks run on `scheduler`; Stop waits for a running check.
class ConfigFileReloader {
 public:
  using InstallFn =
      std::function<absl::Status(const config::PrometheusConfig& config)>;

  struct Options {
    std::string path;
    config::PrometheusCompat compat = config::kDefaultPrometheusCompat;
    absl::Duration interval = absl::Seconds(30);
    TaskScheduler* scheduler = nullptr;  // Required for Start.
    const Clock* clock = &Clock::Real();
  };

  ConfigFileReloader(Options options, InstallFn install,
                     metrics::Registry& registry, Logger logger);
  ConfigFileReloader(const ConfigFileReloader&) = delete;
  ConfigFileReloader& operator=(const ConfigFileReloader&) = delete;
  ~ConfigFileReloader();

  // Reads, parses and installs the file on the caller's thread: the
  // plugin's start, which fails with this error (naming the file) instead
  // of keeping anything.
  absl::Status LoadInitial() ABSL_LOCKS_EXCLUDED(check_mu_);
  // Schedules the periodic check (nothing when `interval` is zero).
  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One check on the caller's thread. Returns true when a changed file was
  // installed.
  bool CheckNow() ABSL_LOCKS_EXCLUDED(check_mu_);

 private:
  // Reads the file (error names it) into `*content`.
  absl::Status Read(std::string* content) const;
  // Parses and installs `content`; the error names the file.
  absl::Status Apply(const std::string& content)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(check_mu_);
  void ScheduleNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const InstallFn install_;
  metrics::Metric& last_successful_;
  metrics::Metric& last_success_time_;
  const Logger logger_;

  Mutex check_mu_;  // One check at a time; held across install.
  // The file's content, then ScrapeConfigFilesFingerprint of the patterns
  // of the last config parsed from it.
  std::string last_content_ ABSL_GUARDED_BY(check_mu_);
  std::vector<std::string> last_patterns_ ABSL_GUARDED_BY(check_mu_);
  std::string last_error_ ABSL_GUARDED_BY(check_mu_);

  Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t task_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONFIG_FILE_RELOADER_H_
