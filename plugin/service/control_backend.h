#ifndef PLUGIN_SERVICE_CONTROL_BACKEND_H_
#define PLUGIN_SERVICE_CONTROL_BACKEND_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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
  // A WatchTargets subscription: a bounded queue of events filled by the
  // engine. Destroying it ends the subscription.
  //
  // Thread-safe.
  class Subscription {
   public:
    enum class Next {
      kEvent,       // `*event` holds the next event
      kIdle,        // empty; `wake` runs when the next event is queued
      kOverflowed,  // the reader fell too far behind; end the watch
    };
    virtual ~Subscription() = default;
    // Pops the next event, or arms the subscription's `wake`.
    virtual Next TakeOrArm(v1::TargetEvent* event) = 0;
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

  // Subscribes to target changes: the queue starts with the current
  // targets (ADDED, filtered by `request.job()`), then every ADDED,
  // HEALTH_CHANGED and REMOVED in order. `wake` runs on an engine thread,
  // never blocks, after TakeOrArm returned kIdle and an event arrived; it
  // may still run while the subscription is destroyed, so it must keep
  // alive what it uses. kNotFound for an unknown job.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> WatchTargets(
      const v1::WatchTargetsRequest& request, std::function<void()> wake) = 0;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONTROL_BACKEND_H_
