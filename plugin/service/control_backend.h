#ifndef PLUGIN_SERVICE_CONTROL_BACKEND_H_
#define PLUGIN_SERVICE_CONTROL_BACKEND_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "proto/scrape/v1/scrape.pb.h"

namespace promscrape::service {

// What the ScrapeControl service asks of the plugin. The service translates
// gRPC to these calls and back; the plugin (plugin/api) implements them over
// the scrape manager, so the service never knows the engine.
//
// Implementations must be thread-safe: the gRPC server calls them
// concurrently. They must not block for long (no network I/O).
class ControlBackend {
 public:
  // Ends a WatchTargets subscription when destroyed; after the destructor
  // returns, its callback is never called again.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };

  virtual ~ControlBackend() = default;

  virtual absl::Status ApplyConfig(const v1::ApplyConfigRequest& request,
                                   v1::ApplyConfigResponse* response) = 0;
  virtual absl::Status GetConfig(const v1::GetConfigRequest& request,
                                 v1::GetConfigResponse* response) = 0;
  virtual absl::Status UpdateTargets(const v1::UpdateTargetsRequest& request,
                                     v1::UpdateTargetsResponse* response) = 0;
  virtual absl::Status Reload(const v1::ReloadRequest& request,
                              v1::ReloadResponse* response) = 0;
  virtual absl::Status ListPools(const v1::ListPoolsRequest& request,
                                 v1::ListPoolsResponse* response) = 0;
  virtual absl::Status GetPool(const v1::GetPoolRequest& request,
                               v1::Pool* response) = 0;
  virtual absl::Status ListTargets(const v1::ListTargetsRequest& request,
                                   v1::ListTargetsResponse* response) = 0;
  virtual absl::Status GetTargetMetadata(
      const v1::GetTargetMetadataRequest& request,
      v1::GetTargetMetadataResponse* response) = 0;
  virtual absl::Status GetStats(const v1::GetStatsRequest& request,
                                v1::GetStatsResponse* response) = 0;
  // kFailedPrecondition unless the plugin runs with `cluster:`.
  virtual absl::Status GetCluster(const v1::GetClusterRequest& request,
                                  v1::GetClusterResponse* response) {
    return absl::FailedPreconditionError(
        "not clustered (no cluster: in the plugin config)");
  }

  // Calls `on_event` with the current targets (ADDED) and then with every
  // change until the subscription is destroyed. `on_event` may run on any
  // thread but never concurrently with itself.
  virtual std::unique_ptr<Subscription> WatchTargets(
      const v1::WatchTargetsRequest& request,
      std::function<void(const v1::TargetEvent&)> on_event) = 0;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONTROL_BACKEND_H_
