#ifndef TESTS_TESTUTIL_REFLECTION_CLIENT_H_
#define TESTS_TESTUTIL_REFLECTION_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/grpcpp.h"

namespace promscrape::testing {

// Talks to a gRPC server the way grpcurl does: lists services through
// server reflection, resolves their descriptors, and calls unary methods
// with JSON. Knows nothing of our protos at compile time, so tests using it
// see exactly what an operator's grpcurl sees.
//
// Thread-compatible.
class ReflectionClient {
 public:
  // `bearer_token`, when set, is sent as "authorization: Bearer <token>".
  explicit ReflectionClient(std::shared_ptr<grpc::Channel> channel,
                            std::string bearer_token = "");

  // `grpcurl list`.
  absl::StatusOr<std::vector<std::string>> ListServices();

  // `grpcurl describe <service>`: the method names of `service`.
  absl::StatusOr<std::vector<std::string>> ListMethods(
      const std::string& service);

  // `grpcurl -d '<json>' <service>/<method>`: calls a unary method and
  // returns the response as JSON. RPC errors come back as their status.
  absl::StatusOr<std::string> CallJson(const std::string& service,
                                       const std::string& method,
                                       const std::string& json_request);

 private:
  // Loads the file defining `symbol` (and its imports) into the pool.
  absl::Status LoadSymbol(const std::string& symbol);
  absl::Status Fetch(bool by_symbol, const std::string& name);

  std::shared_ptr<grpc::Channel> channel_;
  std::string bearer_token_;
  google::protobuf::SimpleDescriptorDatabase database_;
  google::protobuf::DescriptorPool pool_{&database_};
  google::protobuf::DynamicMessageFactory factory_{&pool_};
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_REFLECTION_CLIENT_H_
