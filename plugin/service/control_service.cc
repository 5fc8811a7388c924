#include "plugin/service/control_service.h"

#include <atomic>
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

// Streams target events with gRPC's own writes and no thread: the
// subscription's queue is drained one write at a time from OnWriteDone, and
// when it runs empty the engine's next event wakes the reactor (on the
// publishing engine thread) to start the next write.
//
// Lifetime: wakes may run concurrently with OnDone, so they reach the
// reactor through a shared Link that counts them; whichever of OnDone and
// the last running wake comes last deletes the reactor.
class WatchReactor final : public grpc::ServerWriteReactor<v1::TargetEvent> {
 public:
  WatchReactor(ControlBackend& backend, const v1::WatchTargetsRequest& request,
               grpc::Status auth)
      : link_(std::make_shared<Link>()) {
    if (!auth.ok()) {
      FinishOnce(auth);
      return;
    }
    link_->reactor = this;
    std::shared_ptr<Link> link = link_;
    absl::StatusOr<std::unique_ptr<ControlBackend::Subscription>> sub =
        backend.WatchTargets(request, [link] { Wake(link); });
    if (!sub.ok()) {
      FinishOnce(ToGrpcStatus(sub.status()));
      return;
    }
    // Nothing is armed before the first TakeOrArm: no wake runs yet.
    subscription_ = *std::move(sub);
    Drain();
  }

  void OnWriteDone(bool ok) override {
    // !ok: the client went away; OnCancel or OnDone follows.
    if (ok) Drain();
  }

  void OnCancel() override {
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    bool last;
    {
      MutexLock lock(&link_->mu);
      link_->reactor = nullptr;
      last = link_->running == 0;
    }
    if (last) delete this;
  }

 private:
  struct Link {
    Mutex mu;
    WatchReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
    // Wakes inside the reactor; the last one after OnDone deletes it.
    int running ABSL_GUARDED_BY(mu) = 0;
  };

  static void Wake(const std::shared_ptr<Link>& link) {
    WatchReactor* reactor;
    {
      MutexLock lock(&link->mu);
      reactor = link->reactor;
      if (reactor == nullptr) return;
      ++link->running;
    }
    reactor->Drain();
    bool delete_reactor;
    {
      MutexLock lock(&link->mu);
      --link->running;
      delete_reactor = link->reactor == nullptr && link->running == 0;
    }
    if (delete_reactor) delete reactor;
  }

  // Starts the next write, or arms the subscription. Never concurrent with
  // itself: it runs from the constructor, from OnWriteDone (a write was in
  // flight) or from the one wake an armed subscription gets.
  void Drain() {
    if (finished_.load(std::memory_order_acquire)) return;
    switch (subscription_->TakeOrArm(&event_)) {
      case ControlBackend::Subscription::Next::kEvent:
        StartWrite(&event_);
        return;
      case ControlBackend::Subscription::Next::kIdle:
        return;
      case ControlBackend::Subscription::Next::kOverflowed:
        FinishOnce(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            "watcher too slow: its event queue overflowed; watch again"));
        return;
    }
  }

  void FinishOnce(grpc::Status status) {
    if (finished_.exchange(true, std::memory_order_acq_rel)) return;
    Finish(std::move(status));
  }

  const std::shared_ptr<Link> link_;
  std::atomic<bool> finished_{false};
  // The event being written (one write in flight).
  v1::TargetEvent event_;
  // Destroyed with the reactor: unsubscribes.
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
