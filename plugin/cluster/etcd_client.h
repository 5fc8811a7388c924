#ifndef PLUGIN_CLUSTER_ETCD_CLIENT_H_
#define PLUGIN_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "plugin/common/mutex.h"
#include "proto/etcd/rpc.grpc.pb.h"

namespace promscrape::cluster {

// The few etcd v3 calls membership needs, over etcd's gRPC API (the
// trimmed protos in proto/etcd). Each call is unary with a deadline and
// blocks; on a transport error the next call goes to the next endpoint.
// With a username, the client authenticates first (Auth/Authenticate) and
// sends etcd's "token" metadata, authenticating again when etcd rejects it.
//
// Thread-compatible: one thread makes the calls, except CancelWatch(),
// which any thread may call. Membership uses two clients (Clone()): one for
// its own thread's unary calls, one for the watch thread's stream.
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
  struct KeyValue {
    std::string key;
    std::string value;
    // The revision of the put that created the key (etcd's create_revision).
    int64_t create_revision = 0;
  };
  // Every key starting with `prefix`, with its value, in key order. With
  // `revision`, stores the store's revision the answer reflects.
  absl::StatusOr<std::vector<KeyValue>> RangePrefix(
      const std::string& prefix, int64_t* revision = nullptr);

  struct WatchEvent {
    bool put = false;  // false: the key was deleted (or its lease expired)
    std::string key;
    std::string value;
    // The store revision of this change (etcd's mod_revision, which for a
    // delete is the revision of the deletion).
    int64_t revision = 0;
  };
  using WatchFn = std::function<void(const std::vector<WatchEvent>& events)>;

  // Watches the keys starting with `prefix` from `start_revision` (etcd's
  // Watch stream, no deadline) and calls `on_events` for every non-empty
  // batch, on the calling thread. Blocks until the stream ends: kCancelled
  // after CancelWatch(), kOutOfRange when `start_revision` was compacted
  // (list again, then watch from the new revision), kUnavailable or another
  // code when etcd cancelled the watch or the connection broke.
  absl::Status WatchPrefix(const std::string& prefix, int64_t start_revision,
                           const WatchFn& on_events)
      ABSL_LOCKS_EXCLUDED(watch_mu_);

  // Ends the running WatchPrefix, and makes every later one return
  // kCancelled at once. Thread-safe, idempotent.
  void CancelWatch() ABSL_LOCKS_EXCLUDED(watch_mu_);

  // A new client with the same options and its own connection.
  std::unique_ptr<EtcdClient> Clone() const;

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
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
  std::string token_;

  Mutex watch_mu_;
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(watch_mu_) = nullptr;
  bool watch_cancelled_ ABSL_GUARDED_BY(watch_mu_) = false;
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_ETCD_CLIENT_H_
