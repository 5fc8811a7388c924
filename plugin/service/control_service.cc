#include "plugin/service/control_service.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/common/mutex.h"
#include "plugin/service/grpc_status.h"

namespace promscrape::service {
namespace {

// Compares without an early exit so the token's prefix cannot be timed.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// Streams target events: the backend pushes from its threads into a queue;
// one write is in flight at a time. Deletes itself in OnDone.
class WatchReactor final : public grpc::ServerWriteReactor<v1::TargetEvent> {
 public:
  WatchReactor(ControlBackend& backend, const v1::WatchTargetsRequest& request,
               grpc::Status auth) {
    if (!auth.ok()) {
      finished_ = true;
      Finish(auth);
      return;
    }
    subscription_ = backend.WatchTargets(
        request, [this](const v1::TargetEvent& event) { Push(event); });
  }

  void OnWriteDone(bool ok) override {
    const v1::TargetEvent* next = nullptr;
    {
      MutexLock lock(&mu_);
      queue_.pop_front();
      if (!ok || queue_.empty() || finished_) {
        // !ok: the client went away; OnCancel or OnDone follows.
        writing_ = false;
        return;
      }
      next = &queue_.front();
    }
    StartWrite(next);
  }

  void OnCancel() override {
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    // Never under mu_: gRPC may run OnDone (which deletes this) inline.
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    // Destroying the subscription waits for a callback in progress, which
    // takes mu_: do it without holding mu_.
    subscription_.reset();
    delete this;
  }

 private:
  void Push(const v1::TargetEvent& event) {
    const v1::TargetEvent* first = nullptr;
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      queue_.push_back(event);
      if (writing_) return;
      writing_ = true;
      // push_back on a deque keeps references to existing elements valid,
      // so the event being written stays put while others queue up.
      first = &queue_.front();
    }
    StartWrite(first);
  }

  Mutex mu_;
  std::deque<v1::TargetEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<ControlBackend::Subscription> subscription_;
};

}  // namespace

ControlService::ControlService(ControlBackend& backend, std::string auth_token)
    : backend_(backend), auth_token_(std::move(auth_token)) {}

grpc::Status ControlService::Authorize(
    const grpc::CallbackServerContext& context) const {
  if (auth_token_.empty()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    absl::string_view value(it->second.data(), it->second.size());
    if (ConstantTimeEquals(value, absl::StrCat("Bearer ", auth_token_))) {
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong \"authorization: Bearer <token>\" "
                      "metadata (control_auth_token is set)");
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* ControlService::Unary(
    grpc::CallbackServerContext* context, const Request* request,
    Response* response,
    absl::Status (ControlBackend::*method)(const Request&, Response*)) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status auth = Authorize(*context);
  if (!auth.ok()) {
    reactor->Finish(auth);
    return reactor;
  }
  reactor->Finish(ToGrpcStatus((backend_.*method)(*request, response)));
  return reactor;
}

grpc::ServerUnaryReactor* ControlService::ApplyConfig(
    grpc::CallbackServerContext* context, const v1::ApplyConfigRequest* request,
    v1::ApplyConfigResponse* response) {
  return Unary(context, request, response, &ControlBackend::ApplyConfig);
}

grpc::ServerUnaryReactor* ControlService::GetConfig(
    grpc::CallbackServerContext* context, const v1::GetConfigRequest* request,
    v1::GetConfigResponse* response) {
  return Unary(context, request, response, &ControlBackend::GetConfig);
}

grpc::ServerUnaryReactor* ControlService::UpdateTargets(
    grpc::CallbackServerContext* context,
    const v1::UpdateTargetsRequest* request,
    v1::UpdateTargetsResponse* response) {
  return Unary(context, request, response, &ControlBackend::UpdateTargets);
}

grpc::ServerUnaryReactor* ControlService::Reload(
    grpc::CallbackServerContext* context, const v1::ReloadRequest* request,
    v1::ReloadResponse* response) {
  return Unary(context, request, response, &ControlBackend::Reload);
}

grpc::ServerUnaryReactor* ControlService::ListPools(
    grpc::CallbackServerContext* context, const v1::ListPoolsRequest* request,
    v1::ListPoolsResponse* response) {
  return Unary(context, request, response, &ControlBackend::ListPools);
}

grpc::ServerUnaryReactor* ControlService::GetPool(
    grpc::CallbackServerContext* context, const v1::GetPoolRequest* request,
    v1::Pool* response) {
  return Unary(context, request, response, &ControlBackend::GetPool);
}

grpc::ServerUnaryReactor* ControlService::ListTargets(
    grpc::CallbackServerContext* context, const v1::ListTargetsRequest* request,
    v1::ListTargetsResponse* response) {
  return Unary(context, request, response, &ControlBackend::ListTargets);
}

grpc::ServerUnaryReactor* ControlService::GetTargetMetadata(
    grpc::CallbackServerContext* context,
    const v1::GetTargetMetadataRequest* request,
    v1::GetTargetMetadataResponse* response) {
  return Unary(context, request, response, &ControlBackend::GetTargetMetadata);
}

grpc::ServerUnaryReactor* ControlService::GetStats(
    grpc::CallbackServerContext* context, const v1::GetStatsRequest* request,
    v1::GetStatsResponse* response) {
  return Unary(context, request, response, &ControlBackend::GetStats);
}

grpc::ServerUnaryReactor* ControlService::GetCluster(
    grpc::CallbackServerContext* context, const v1::GetClusterRequest* request,
    v1::GetClusterResponse* response) {
  return Unary(context, request, response, &ControlBackend::GetCluster);
}

grpc::ServerWriteReactor<v1::TargetEvent>* ControlService::WatchTargets(
    grpc::CallbackServerContext* context,
    const v1::WatchTargetsRequest* request) {
  return new WatchReactor(backend_, *request, Authorize(*context));
}

}  // namespace promscrape::service
