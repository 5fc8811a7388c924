#include "plugin/service/control_server.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "plugin/common/status.h"

namespace promscrape::service {
namespace {

absl::StatusOr<std::string> ReadPem(absl::string_view key,
                                    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("control_tls.", key, ": cannot read \"", path,
                     "\": ", std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (out.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "control_tls.", key, ": \"", path, "\" holds no PEM block"));
  }
  return out.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const config::ControlTlsConfig& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  PROMSCRAPE_ASSIGN_OR_RETURN(pair.cert_chain,
                              ReadPem("cert_file", tls.cert_file));
  PROMSCRAPE_ASSIGN_OR_RETURN(pair.private_key,
                              ReadPem("key_file", tls.key_file));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(options.pem_root_certs,
                                ReadPem("client_ca_file", tls.client_ca_file));
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(
    absl::string_view listen, std::string auth_token, ControlBackend& backend,
    const Logger& logger, const config::ControlTlsConfig& tls) {
  PROMSCRAPE_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                              MakeCredentials(tls));
  // Both are process-wide switches read by the next ServerBuilder.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto service = std::make_unique<ControlService>(backend, std::move(auth_token));
  grpc::ServerBuilder builder;
  // NOTE: gRPC sets SO_REUSEPORT by default, so a second plugin on the same
  // address would silently share the port with the first. Fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int port = 0;
  builder.AddListeningPort(std::string(listen), creds, &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("control_listen: cannot listen on \"", listen,
                     "\" (address in use or not local?)"));
  }
  std::string host(listen.substr(0, listen.rfind(':')));
  std::string address = absl::StrCat(host, ":", port);
  logger.Info("control service listening on ", address,
              tls.enabled()
                  ? (tls.client_ca_file.empty() ? " (TLS)" : " (mutual TLS)")
                  : "");
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
