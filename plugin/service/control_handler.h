#ifndef PLUGIN_SERVICE_CONTROL_HANDLER_H_
#define PLUGIN_SERVICE_CONTROL_HANDLER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/cluster/membership.h"
#include "plugin/cluster/ownership_filter.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/manager.h"
#include "plugin/service/control_backend.h"

namespace promscrape::service {

// The ScrapeControl RPCs over the running components: requests are
// translated from their protos into config, discovery and engine calls, and
// the engine's state back into protos. A new prometheus.yml goes to the
// scrape engine first (pools) and then to discovery (their targets).
//
// Thread-safe (the gRPC server calls it concurrently). The components must
// outlive the handler.
class ControlHandler final : public ControlBackend {
 public:
  // `compat` (the plugin config's prometheus_compat) is the semantics every
  // prometheus.yml applied through ApplyConfig is parsed with.
  ControlHandler(scrape::Manager& scrape, discovery::Manager& discovery,
                 metrics::Registry& registry, const Clock& clock,
                 config::PrometheusCompat compat =
                     config::kDefaultPrometheusCompat);

  // Called with each prometheus.yml once the engine took it (for the parts
  // that live outside the engine, e.g. external labels for remote write).
  // Set before the first InstallConfig.
  using InstallListener = std::function<void(const config::PrometheusConfig&)>;
  void SetInstallListener(InstallListener listener) { listener_ = std::move(listener); }

  // Installs a validated prometheus.yml; `source` says where it came from
  // (GetConfig shows it). On error the running config stays.
  absl::StatusOr<scrape::Manager::ApplyResult> InstallConfig(
      const config::PrometheusConfig& config, std::string source)
      ABSL_LOCKS_EXCLUDED(mu_);

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
  absl::Status GetCluster(const v1::GetClusterRequest& request,
                          v1::GetClusterResponse* response) override;

  // With `cluster:`: where GetCluster and ListTargets' owners come from.
  // Both must outlive the handler. May be set while serving.
  void SetCluster(std::string name, int64_t replication_factor,
                  const cluster::Membership* membership,
                  const cluster::OwnershipFilter* ownership)
      ABSL_LOCKS_EXCLUDED(cluster_mu_) {
    MutexLock lock(&cluster_mu_);
    cluster_name_ = std::move(name);
    replication_factor_ = replication_factor;
    membership_ = membership;
    ownership_ = ownership;
  }
  // Backed by the engine's TargetEventHub; at most kWatchQueueCapacity
  // events beyond the initial snapshot wait for a reader.
  absl::StatusOr<std::unique_ptr<Subscription>> WatchTargets(
      const v1::WatchTargetsRequest& request,
      std::function<void()> wake) override;
  static constexpr size_t kWatchQueueCapacity = 4096;

 private:
  // Fills the pool's host_sd_providers and waiting_for_host_targets from
  // discovery (and its error while it waits).
  void AddHostTargets(v1::Pool* pool) const;

  scrape::Manager& scrape_;
  discovery::Manager& discovery_;
  metrics::Registry& registry_;
  const Clock& clock_;
  const config::PrometheusCompat compat_;
  // Set once; never held while calling into the cluster room.
  mutable Mutex cluster_mu_;
  std::string cluster_name_ ABSL_GUARDED_BY(cluster_mu_);
  int64_t replication_factor_ ABSL_GUARDED_BY(cluster_mu_) = 1;
  const cluster::Membership* membership_ ABSL_GUARDED_BY(cluster_mu_) =
      nullptr;
  const cluster::OwnershipFilter* ownership_ ABSL_GUARDED_BY(cluster_mu_) =
      nullptr;

  // Serializes config installs (engine, then discovery) and guards what
  // GetConfig reports about the last one.
  Mutex mu_;
  InstallListener listener_;
  std::string config_source_ ABSL_GUARDED_BY(mu_);
  absl::Time config_applied_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONTROL_HANDLER_H_
