#ifndef TESTS_TESTUTIL_FAKE_REMOTE_WRITE_H_
#define TESTS_TESTUTIL_FAKE_REMOTE_WRITE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "plugin/common/mutex.h"
#include "proto/remote/v1/remote.grpc.pb.h"

namespace promscrape::testing {

// An in-process RemoteWrite server on 127.0.0.1:0 that records every
// request and acknowledges it (from a writer thread per stream, so acks can
// be held while requests keep arriving), with switches to misbehave: break
// the stream before acking, hold acks, answer with retryable error acks, or
// reject requests with an error ack.
//
// WriteV2 answers UNIMPLEMENTED (a host built before it) unless
// `serve_v2`; then it behaves as Write and records each request in its 1.0
// conversion (tools/host/write_request_v2.h), so tests read both alike.
//
// Thread-safe.
class FakeRemoteWrite final : public v1::RemoteWrite::Service {
 public:
  explicit FakeRemoteWrite(bool serve_v2 = false);
  ~FakeRemoteWrite() override;

  std::string address() const { return address_; }

  // The next `n` requests end their stream with UNAVAILABLE instead of an
  // ack (the request is not recorded).
  void BreakNextStreams(int n);
  // Acks carry this error (and status code; 0 as hosts that predate the
  // field) from now on (empty: store normally).
  void RejectWith(std::string error, int code = 0);
  // The next `n` requests are answered with an UNAVAILABLE error ack and
  // not recorded (the host could not store them now).
  void FailNextWithRetryableAck(int n);
  // While held, requests are recorded but their acks wait.
  void HoldAcks(bool hold);
  // Each ack goes out `delay` after its request arrived (a slow storage).
  void SetAckDelay(absl::Duration delay);
  // Requests received (recorded) and not yet acknowledged, now and at most.
  int unacked_now() const;
  int max_unacked() const;

  std::vector<v1::WriteRequest> requests() const;
  // Samples over all recorded requests.
  int64_t samples() const;
  // Waits until at least `n` samples were recorded; false on timeout.
  bool WaitForSamples(int64_t n, absl::Duration timeout) const;
  int streams_opened() const;
  // Requests recorded from WriteV2 streams.
  int v2_requests() const;

  grpc::Status Write(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream)
      override;
  grpc::Status WriteV2(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequestV2>* stream)
      override;

 private:
  template <typename Request>
  grpc::Status Serve(grpc::ServerReaderWriter<v1::WriteAck, Request>* stream);

  const bool serve_v2_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  mutable Mutex mu_;
  mutable CondVar cv_;
  std::vector<v1::WriteRequest> requests_ ABSL_GUARDED_BY(mu_);
  int64_t samples_ ABSL_GUARDED_BY(mu_) = 0;
  int break_next_ ABSL_GUARDED_BY(mu_) = 0;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  int v2_requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::string reject_ ABSL_GUARDED_BY(mu_);
  int reject_code_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_retryable_ ABSL_GUARDED_BY(mu_) = 0;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration ack_delay_ ABSL_GUARDED_BY(mu_);
  int unacked_ ABSL_GUARDED_BY(mu_) = 0;
  int max_unacked_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_FAKE_REMOTE_WRITE_H_
