#include "plugin/service/control_server.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace promscrape::service {

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    absl::string_view listen, std::string auth_token, ControlBackend& backend,
    const Logger& logger) {
  // Both are process-wide switches read by the next ServerBuilder.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto service = std::make_unique<ControlService>(backend, std::move(auth_token));
  grpc::ServerBuilder builder;
  // NOTE: gRPC sets SO_REUSEPORT by default, so a second plugin on the same
  // address would silently share the port with the first. Fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(std::string(listen),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("control_listen: cannot listen on \"", listen,
                     "\" (address in use or not local?)"));
  }
  std::string host(listen.substr(0, listen.rfind(':')));
  std::string address = absl::StrCat(host, ":", port);
  logger.Info("control service listening on ", address);
  return std::unique_ptr<ControlServer>(new ControlServer(
      std::move(service), std::move(server), std::move(address), port));
}

ControlServer::ControlServer(std::unique_ptr<ControlService> service,
                             std::unique_ptr<grpc::Server> server,
                             std::string address, int port)
    : service_(std::move(service)),
      server_(std::move(server)),
      address_(std::move(address)),
      port_(port) {}

ControlServer::~ControlServer() { Stop(); }

void ControlServer::Stop(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  server_->Wait();
}

}  // namespace promscrape::service
