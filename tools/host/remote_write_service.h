#ifndef TOOLS_HOST_REMOTE_WRITE_SERVICE_H_
#define TOOLS_HOST_REMOTE_WRITE_SERVICE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "proto/remote/v1/remote.grpc.pb.h"
#include "tools/host/duplicate_window.h"
#include "tools/host/host_mutex.h"
#include "tools/host/remote_write_forwarder.h"
#include "tools/host/sample_file.h"

namespace promscrape::host {

// The host's RemoteWrite service: stores each request (first the optional
// remote-write forward, then the storage file) and only then acknowledges
// it.
//
// - Stored: acked with no error, and recorded in the duplicate window under
//   (writer_id, sequence), which outlives streams: a resend of it, on this
//   stream or a later one, is acked again without storing.
// - Rejected for good (the receiver refused the data): acked with the error
//   and its code (INVALID_ARGUMENT); the plugin drops it. Not written to
//   the file either, so the file holds what was acknowledged as stored.
// - Not stored, worth retrying (receiver still failing after its retries,
//   a disk error): acked with the error and code UNAVAILABLE, then the
//   stream ends, storing nothing after it; the plugin reconnects and
//   resends from that request.
//
// The forward goes first so a receiver outage never leaves a request in
// the file that a resend would append again. A file error after a
// successful forward makes the receiver see that request twice (receivers
// drop identical samples).
//
// Write (1.0-shaped WriteRequest) and WriteV2 (2.0-shaped WriteRequestV2)
// behave the same and share the duplicate window. A WriteV2 request is
// checked first (a bad symbol reference is rejected for good with
// INVALID_ARGUMENT), forwarded as it is to a 2.0 forwarder or as its 1.0
// conversion to a 1.0 one, and written to the file through its 1.0
// conversion, so both rpcs write the same lines (write_request_v2.h).
//
// Thread-safe; one synchronous handler per stream, requests of all streams
// stored one at a time. `file` and `forwarder` (may be null) must outlive
// the service. Failures are logged to stderr.
class RemoteWriteService final : public v1::RemoteWrite::Service {
 public:
  RemoteWriteService(SampleFile& file, RemoteWriteForwarder* forwarder)
      : file_(file), forwarder_(forwarder) {}

  grpc::Status Write(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream)
      override;

  grpc::Status WriteV2(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequestV2>* stream)
      override;

  // Stores `request` unless its (writer_id, sequence) was answered before,
  // and returns the ack to send. Exposed for tests.
  v1::WriteAck Store(const v1::WriteRequest& request)
      ABSL_LOCKS_EXCLUDED(store_mu_);
  v1::WriteAck Store(const v1::WriteRequestV2& request)
      ABSL_LOCKS_EXCLUDED(store_mu_);

  // Requests acknowledged as resends without storing them again.
  int64_t duplicates() const ABSL_LOCKS_EXCLUDED(store_mu_);

 private:
  // Store's common part: `store` forwards and writes the request.
  template <typename StoreFunction>
  v1::WriteAck StoreOnce(uint64_t writer_id, uint64_t sequence,
                         StoreFunction store) ABSL_LOCKS_EXCLUDED(store_mu_);
  // Either rpc: reads, stores and acks until the stream ends or a
  // retryable error ends it.
  template <typename Request>
  grpc::Status Serve(
      grpc::ServerReaderWriter<v1::WriteAck, Request>* stream);

  SampleFile& file_;
  RemoteWriteForwarder* const forwarder_;

  // Held across a whole store: the old stream of a reconnecting writer may
  // still be storing a request the new stream has just received again.
  mutable Mutex store_mu_;
  DuplicateWindow window_ ABSL_GUARDED_BY(store_mu_);
  int64_t duplicates_ ABSL_GUARDED_BY(store_mu_) = 0;
  v1::WriteRequest converted_ ABSL_GUARDED_BY(store_mu_);  // WriteV2's file
};

// Whether an ack with this code tells the plugin "not stored, resend".
bool IsRetryableAckCode(absl::StatusCode code);

}  // namespace promscrape::host

#endif  // TOOLS_HOST_REMOTE_WRITE_SERVICE_H_
