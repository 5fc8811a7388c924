#ifndef TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_
#define TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/remote/v1/remote.pb.h"
#include "tools/host/host_mutex.h"

namespace promscrape::host {

// Forwards WriteRequests to a Prometheus remote-write 1.0 receiver
// (Prometheus with --web.enable-remote-write-receiver, VictoriaMetrics,
// Mimir, Thanos): the request without its sequence field is a
// prompb.WriteRequest, sent snappy-compressed over HTTP POST.
//
// Thread-safe: sends are serialized over one reused connection.
class RemoteWriteForwarder {
 public:
  static absl::StatusOr<std::unique_ptr<RemoteWriteForwarder>> Create(
      std::string url, double timeout_seconds);

  RemoteWriteForwarder(const RemoteWriteForwarder&) = delete;
  RemoteWriteForwarder& operator=(const RemoteWriteForwarder&) = delete;
  ~RemoteWriteForwarder();

  // Sends `request`. Returns kUnavailable for failures worth retrying
  // (connection errors, timeouts, 5xx, 429) and kInvalidArgument when the
  // receiver rejected the data (other 4xx), with the receiver's message.
  absl::Status Send(const v1::WriteRequest& request) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  RemoteWriteForwarder(std::string url, double timeout_seconds, void* curl);

  const std::string url_;
  const double timeout_seconds_;
  Mutex mu_;
  void* const curl_ ABSL_GUARDED_BY(mu_);  // CURL*
  std::string body_ ABSL_GUARDED_BY(mu_);
  std::string compressed_ ABSL_GUARDED_BY(mu_);
  std::string response_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_
