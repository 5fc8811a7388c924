#ifndef PLUGIN_SERVICE_CONTROL_SERVICE_H_
#define PLUGIN_SERVICE_CONTROL_SERVICE_H_

#include <string>

#include "grpcpp/grpcpp.h"
#include "plugin/service/control_backend.h"
#include "proto/scrape/v1/scrape.grpc.pb.h"

namespace promscrape::service {

// The ScrapeControl gRPC service: checks the optional bearer token, hands
// each call to the backend and maps absl::Status to grpc::Status. Reactors
// never block: backend calls are quick, and WatchTargets writes events from
// a queue with one write in flight.
//
// Thread-safe. `backend` must outlive the service and every call in flight
// (the server is shut down before the backend goes).
class ControlService final : public v1::ScrapeControl::CallbackService {
 public:
  // An empty `auth_token` accepts every call.
  ControlService(ControlBackend& backend, std::string auth_token);

  grpc::ServerUnaryReactor* ApplyConfig(
      grpc::CallbackServerContext* context,
      const v1::ApplyConfigRequest* request,
      v1::ApplyConfigResponse* response) override;
  grpc::ServerUnaryReactor* GetConfig(grpc::CallbackServerContext* context,
                                      const v1::GetConfigRequest* request,
                                      v1::GetConfigResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTargets(
      grpc::CallbackServerContext* context,
      const v1::UpdateTargetsRequest* request,
      v1::UpdateTargetsResponse* response) override;
  grpc::ServerUnaryReactor* Reload(grpc::CallbackServerContext* context,
                                   const v1::ReloadRequest* request,
                                   v1::ReloadResponse* response) override;
  grpc::ServerUnaryReactor* ListPools(grpc::CallbackServerContext* context,
                                      const v1::ListPoolsRequest* request,
                                      v1::ListPoolsResponse* response) override;
  grpc::ServerUnaryReactor* GetPool(grpc::CallbackServerContext* context,
                                    const v1::GetPoolRequest* request,
                                    v1::Pool* response) override;
  grpc::ServerUnaryReactor* ListTargets(
      grpc::CallbackServerContext* context,
      const v1::ListTargetsRequest* request,
      v1::ListTargetsResponse* response) override;
  grpc::ServerUnaryReactor* GetTargetMetadata(
      grpc::CallbackServerContext* context,
      const v1::GetTargetMetadataRequest* request,
      v1::GetTargetMetadataResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::GetStatsResponse* response) override;
  grpc::ServerUnaryReactor* GetCluster(grpc::CallbackServerContext* context,
                                       const v1::GetClusterRequest* request,
                                       v1::GetClusterResponse* response) override;
  grpc::ServerWriteReactor<v1::TargetEvent>* WatchTargets(
      grpc::CallbackServerContext* context,
      const v1::WatchTargetsRequest* request) override;

 private:
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* Unary(
      grpc::CallbackServerContext* context, const Request* request,
      Response* response,
      absl::Status (ControlBackend::*method)(const Request&, Response*));

  // UNAUTHENTICATED unless the call carries the configured bearer token.
  grpc::Status Authorize(const grpc::CallbackServerContext& context) const;

  ControlBackend& backend_;
  const std::string auth_token_;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONTROL_SERVICE_H_
