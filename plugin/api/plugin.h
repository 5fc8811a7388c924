#ifndef PLUGIN_API_PLUGIN_H_
#define PLUGIN_API_PLUGIN_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/plugin_config.h"
#include "plugin/metrics/registry.h"
#include "plugin/api/queue_sink.h"
#include "plugin/remote/write_queue.h"
#include "plugin/scrape/manager.h"
#include "plugin/service/control_backend.h"
#include "plugin/service/control_server.h"

namespace promscrape::api {

// One running plugin: what promscrape_start returns a handle to. It wires
// the components together (the only place that knows them all): the
// remote-write queue to the host, the control service, the self-metrics
// producer and, through ControlBackend, the operator's view of them.
//
// Thread-safe. Backend methods are called from gRPC threads; Stop from the
// host's thread.
class Plugin final : public service::ControlBackend {
 public:
  // Parses `config_yaml`, reads the scrape config file if one is named,
  // and starts every component. On error nothing is left running.
  static absl::StatusOr<std::unique_ptr<Plugin>> Start(
      absl::string_view config_yaml, Logger logger);

  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // Equivalent to Stop().
  ~Plugin() override;

  // Stops producing samples, stops the control service, flushes the queue
  // (up to remote_write.flush_timeout) and joins every thread. Returns the
  // flush result. Idempotent.
  absl::Status Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // The control service's bound address ("127.0.0.1:9901").
  const std::string& control_address() const;

  // ControlBackend.
  absl::Status ApplyConfig(const v1::ApplyConfigRequest& request,
                           v1::ApplyConfigResponse* response) override;
  absl::Status GetConfig(const v1::GetConfigRequest& request,
                         v1::GetConfigResponse* response) override;
  absl::Status UpdateTargets(const v1::UpdateTargetsRequest& request,
                             v1::UpdateTargetsResponse* response) override;
  absl::Status Reload(const v1::ReloadRequest& request,
                      v1::ReloadResponse* response) override;
  absl::Status ListPools(const v1::ListPoolsRequest& request,
                         v1::ListPoolsResponse* response) override;
  absl::Status GetPool(const v1::GetPoolRequest& request,
                       v1::Pool* response) override;
  absl::Status ListTargets(const v1::ListTargetsRequest& request,
                           v1::ListTargetsResponse* response) override;
  absl::Status GetTargetMetadata(
      const v1::GetTargetMetadataRequest& request,
      v1::GetTargetMetadataResponse* response) override;
  absl::Status GetStats(const v1::GetStatsRequest& request,
                        v1::GetStatsResponse* response) override;
  std::unique_ptr<Subscription> WatchTargets(
      const v1::WatchTargetsRequest& request,
      std::function<void(const v1::TargetEvent&)> on_event) override;

 private:
  Plugin(config::PluginConfig config, Logger logger);

  absl::Status StartComponents();
  // Installs a validated prometheus.yml; `source` says where it came from.
  // On error the running config stays.
  absl::StatusOr<scrape::Manager::ApplyResult> InstallScrapeConfig(
      const config::PrometheusConfig& config, std::string source)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Appends the plugin's own metrics as one scrape of job
  // self_metrics.job, every self_metrics.interval until Stop.
  void RunSelfMetrics();
  void AppendSelfMetrics(absl::Time now);

  const config::PluginConfig config_;
  const Logger logger_;
  Clock& clock_ = Clock::Real();
  metrics::Registry registry_;
  metrics::Metric& self_scrapes_;
  std::unique_ptr<remote::WriteQueue> queue_;
  std::unique_ptr<QueueSink> sink_;
  std::unique_ptr<scrape::Manager> manager_;
  std::unique_ptr<service::ControlServer> server_;
  std::thread self_metrics_thread_;

  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stop_status_ ABSL_GUARDED_BY(mu_);
  std::string scrape_config_source_ ABSL_GUARDED_BY(mu_);
  absl::Time scrape_config_applied_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::api

#endif  // PLUGIN_API_PLUGIN_H_
