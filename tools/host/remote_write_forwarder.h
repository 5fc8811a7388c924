#ifndef TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_
#define TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/remote/v1/remote.pb.h"
#include "tools/host/forwarder_options.h"
#include "tools/host/host_mutex.h"
#include "tools/host/remote_write_encoder.h"

namespace promscrape::host {

// Forwards the plugin's WriteRequests to a remote-write receiver
// (Prometheus with --web.enable-remote-write-receiver, VictoriaMetrics,
// Mimir, Thanos) in protocol 1.0 or 2.0: snappy-compressed protobuf over
// HTTP POST with the protocol's headers, optional basic auth or bearer
// token, TLS settings and extra headers (ForwarderOptions).
//
// A 5xx, a 429 or a transport error is retried up to `max_retries` times
// with jittered exponential backoff, waiting a Retry-After (seconds) when
// the receiver sends one. Other 4xx answers mean the receiver will never
// take the data: the request is dropped, counted and logged (one line).
//
// Thread-safe: sends are serialized over one reused connection. `Stop()`
// may be called from any thread.
class RemoteWriteForwarder {
 public:
  // Waits `delay` between attempts; returns false to give up the retries
  // (the default returns false once Stop() was called).
  using WaitFunction = std::function<bool(absl::Duration delay)>;

  // Checks `options` (readable credential files, ...). Errors are
  // kInvalidArgument naming the storage.remote_write_* key. `wait` replaces
  // the real wait (tests record the delays instead of sleeping).
  static absl::StatusOr<std::unique_ptr<RemoteWriteForwarder>> Create(
      ForwarderOptions options, WaitFunction wait = nullptr);

  RemoteWriteForwarder(const RemoteWriteForwarder&) = delete;
  RemoteWriteForwarder& operator=(const RemoteWriteForwarder&) = delete;
  ~RemoteWriteForwarder();

  // Sends `request` and returns once the receiver accepted it (OK), or:
  // kInvalidArgument with the receiver's message when it rejected the data
  // (a 4xx other than 429; counted in dropped_requests()); kUnavailable when
  // the receiver is still failing after the retries, or Stop() was called.
  // A request with nothing to send in the protocol is OK at once.
  absl::Status Send(const v1::WriteRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  // The same for the plugin's 2.0-shaped stream; `request` must pass
  // ValidateWriteRequestV2 (write_request_v2.h).
  absl::Status Send(const v1::WriteRequestV2& request)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends the current and all later retry waits: Send gives up with
  // kUnavailable at its next wait. Idempotent.
  void Stop();

  // Requests the receiver rejected for good, and their samples.
  int64_t dropped_requests() const { return dropped_requests_.load(); }
  int64_t dropped_samples() const { return dropped_samples_.load(); }
  // HTTP attempts after a first one failed.
  int64_t retries() const { return retries_.load(); }

 private:
  // The outcome of one POST.
  struct Attempt {
    bool transport_ok = false;
    std::string transport_error;
    long http_status = 0;
    std::string body;  // the start of the answer, for messages
    // Retry-After in seconds; negative when absent or not a number.
    double retry_after_seconds = -1;
  };

  RemoteWriteForwarder(ForwarderOptions options, WaitFunction wait,
                       void* curl);

  Attempt PostLocked(const std::string& body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Compresses body_ and posts it with the retries; `sequence` and
  // `samples` name the request in the log line of a rejection.
  absl::Status SendBodyLocked(uint64_t sequence, int64_t samples)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RealWait(absl::Duration delay);

  const ForwarderOptions options_;
  const WaitFunction wait_;
  std::atomic<int64_t> dropped_requests_{0};
  std::atomic<int64_t> dropped_samples_{0};
  std::atomic<int64_t> retries_{0};

  // Guards `stopped_` only; never held across a send.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopped_ = false;

  Mutex mu_;
  void* const curl_ ABSL_GUARDED_BY(mu_);  // CURL*
  RemoteWriteEncoder encoder_ ABSL_GUARDED_BY(mu_);
  std::string body_ ABSL_GUARDED_BY(mu_);
  std::string compressed_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

// The answer's Retry-After in seconds from `now`: either form of RFC 9110,
// delay-seconds or an HTTP-date (a date already past means 0). A negative
// value when `value` is neither.
double ParseRetryAfterSeconds(absl::string_view value,
                              absl::Time now = absl::Now());

}  // namespace promscrape::host

#endif  // TOOLS_HOST_REMOTE_WRITE_FORWARDER_H_
