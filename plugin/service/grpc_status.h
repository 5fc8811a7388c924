#ifndef PLUGIN_SERVICE_GRPC_STATUS_H_
#define PLUGIN_SERVICE_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace promscrape::service {

// absl::Status and grpc::Status share their code numbering.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_GRPC_STATUS_H_
