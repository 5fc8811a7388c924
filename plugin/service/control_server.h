#ifndef PLUGIN_SERVICE_CONTROL_SERVER_H_
#define PLUGIN_SERVICE_CONTROL_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "plugin/common/logging.h"
#include "plugin/config/plugin_config.h"
#include "plugin/service/control_backend.h"
#include "plugin/service/control_service.h"

namespace promscrape::service {

// The plugin's gRPC server: ScrapeControl, server reflection (so grpcurl
// can list and describe it) and the standard grpc.health.v1 service.
//
// Thread-safe. `backend` must outlive the server.
class ControlServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one), over TLS
  // when `tls.enabled()` (mutual TLS with `tls.client_ca_file`). A non-empty
  // `auth_token` is required on every ScrapeControl call; health and
  // reflection stay open to probes. Returns kUnavailable naming the address
  // when it cannot bind, kInvalidArgument naming the control_tls key when a
  // certificate file cannot be read.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(
      absl::string_view listen, std::string auth_token,
      ControlBackend& backend, const Logger& logger,
      const config::ControlTlsConfig& tls = {});

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Equivalent to Stop().
  ~ControlServer();

  // "host:port" with the port actually bound.
  const std::string& address() const { return address_; }
  int port() const { return port_; }

  // Ends open calls (WatchTargets streams are cancelled after `grace`) and
  // waits for the server's threads. Idempotent.
  void Stop(absl::Duration grace = absl::Seconds(1));

 private:
  ControlServer(std::unique_ptr<ControlService> service,
                std::unique_ptr<grpc::Server> server, std::string address,
                int port);

  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_;
  bool stopped_ = false;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_CONTROL_SERVER_H_
