#ifndef PLUGIN_API_PLUGIN_H_
#define PLUGIN_API_PLUGIN_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/cluster/membership.h"
#include "plugin/cluster/ownership_filter.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/common/scheduler.h"
#include "plugin/config/plugin_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "plugin/metrics/self_metrics.h"
#include "plugin/remote/metadata_sender.h"
#include "plugin/remote/queue_sink.h"
#include "plugin/remote/write_queue.h"
#include "plugin/scrape/manager.h"
#include "plugin/service/config_file_reloader.h"
#include "plugin/service/control_handler.h"
#include "plugin/service/control_server.h"

namespace promscrape::api {

// One running plugin: what promscrape_start returns a handle to. It builds
// the components from the plugin config and wires them together (the only
// place that knows them all): scrape engine -> queue sink -> remote-write
// queue to the host; discovery -> scrape engine; the control service over
// both; self-metrics into the same sink as the scrapes. It does nothing
// else.
//
// Thread-safe: Stop may be called from any thread, more than once.
class Plugin {
 public:
  // Parses `config_yaml`, reads the scrape config file if one is named,
  // and starts every component. On error nothing is left running.
  static absl::StatusOr<std::unique_ptr<Plugin>> Start(
      absl::string_view config_yaml, Logger logger);

  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // Equivalent to Stop().
  ~Plugin();

  // Stops producing samples (self-metrics, control service, discovery,
  // scraping), flushes the queue (up to remote_write.flush_timeout) and
  // joins every thread. Returns the flush result. Idempotent.
  absl::Status Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // The control service's bound address ("127.0.0.1:9901").
  const std::string& control_address() const;

 private:
  Plugin(config::PluginConfig config, Logger logger);

  absl::Status StartComponents();
  // With `cluster:`, registers in etcd and starts feeding the filter.
  absl::Status StartCluster();

  const config::PluginConfig config_;
  const Logger logger_;
  const Clock& clock_ = Clock::Real();
  metrics::Registry registry_;
  std::unique_ptr<remote::WriteQueue> queue_;
  std::unique_ptr<remote::QueueSink> sink_;
  std::unique_ptr<scrape::Manager> scrape_;
  // Only with `cluster:`: between discovery and the engine.
  // Runs the filter's hand-over timers (they sync the engine, so not on the
  // engine's scheduler thread).
  std::unique_ptr<Scheduler> cluster_scheduler_;
  std::unique_ptr<cluster::OwnershipFilter> ownership_;
  std::unique_ptr<cluster::Membership> membership_;
  std::unique_ptr<discovery::Manager> discovery_;
  std::unique_ptr<service::ControlHandler> control_;
  std::unique_ptr<service::ControlServer> server_;
  // scrape_config_file's auto-reload: one timer thread, only when the file
  // is set and its reload interval is not zero.
  std::unique_ptr<Scheduler> reload_scheduler_;
  std::unique_ptr<service::ConfigFileReloader> config_reloader_;
  std::unique_ptr<metrics::SelfMetrics> self_metrics_;
  std::unique_ptr<remote::MetadataSender> metadata_sender_;

  Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stop_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::api

#endif  // PLUGIN_API_PLUGIN_H_
