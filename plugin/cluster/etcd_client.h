#ifndef PLUGIN_CLUSTER_ETCD_CLIENT_H_
#define PLUGIN_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace promscrape::cluster {

// The few etcd v3 calls membership needs, over etcd's gRPC API (the
// trimmed protos in proto/etcd). Each call is unary with a deadline and
// blocks; on a transport error the next call goes to the next endpoint.
// With a username, the client authenticates first (Auth/Authenticate) and
// sends etcd's "token" metadata, authenticating again when etcd rejects it.
//
// Thread-compatible: one thread (membership's) makes the calls.
class EtcdClient {
 public:
  struct Options {
    std::vector<std::string> endpoints;  // host:port
    bool tls = false;
    std::string ca_file;    // PEM; empty: the system roots
    std::string cert_file;  // PEM client certificate, with key_file
    std::string key_file;
    std::string username;
    std::string password;
    absl::Duration call_timeout = absl::Seconds(2);
  };

  // kInvalidArgument without endpoints or when a TLS file cannot be read.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(Options options);

  // Returns the new lease's id.
  absl::StatusOr<int64_t> LeaseGrant(absl::Duration ttl);
  // Refreshes lease `id`; returns its TTL in seconds, or kNotFound when the
  // lease has expired.
  absl::StatusOr<int64_t> LeaseKeepAlive(int64_t id);
  absl::Status LeaseRevoke(int64_t id);
  absl::Status Put(const std::string& key, const std::string& value,
                   int64_t lease);
  // Every key starting with `prefix`, with its value, in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> RangePrefix(
      const std::string& prefix);

  // The endpoint the next call goes to.
  const std::string& endpoint() const { return options_.endpoints[current_]; }

 private:
  EtcdClient(Options options, std::shared_ptr<grpc::ChannelCredentials> creds);

  // Runs `call(context)` with the deadline and token; rotates endpoints on
  // transport errors and re-authenticates once on an auth error.
  template <typename Call>
  absl::Status Invoke(Call call);
  absl::Status Authenticate();
  void Connect();

  const Options options_;
  const std::shared_ptr<grpc::ChannelCredentials> creds_;
  size_t current_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth_;
  std::string token_;
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_ETCD_CLIENT_H_
