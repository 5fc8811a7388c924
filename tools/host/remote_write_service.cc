#include "tools/host/remote_write_service.h"

#include <cstdio>
#include <string>

#include "tools/host/write_request_v2.h"

namespace promscrape::host {

bool IsRetryableAckCode(absl::StatusCode code) {
  // The plugin's list (proto/remote/v1/remote.proto, WriteAck.code).
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted;
}

template <typename StoreFunction>
v1::WriteAck RemoteWriteService::StoreOnce(uint64_t writer_id,
                                           uint64_t sequence,
                                           StoreFunction store) {
  MutexLock lock(&store_mu_);
  v1::WriteAck ack;
  ack.set_sequence(sequence);
  if (window_.Contains(writer_id, sequence)) {
    ++duplicates_;
    return ack;
  }
  absl::Status status = store();
  if (absl::IsInternal(status)) {
    // A disk error: not stored, and worth another try.
    status = absl::UnavailableError(status.message());
  }
  if (!status.ok()) {
    ack.set_error(std::string(status.message()));
    ack.set_code(static_cast<int32_t>(status.code()));
  }
  if (!IsRetryableAckCode(status.code())) {
    window_.Record(writer_id, sequence);
  }
  return ack;
}

v1::WriteAck RemoteWriteService::Store(const v1::WriteRequest& request) {
  return StoreOnce(request.writer_id(), request.sequence(),
                   [&]() -> absl::Status {
                     absl::Status status = forwarder_ != nullptr
                                               ? forwarder_->Send(request)
                                               : absl::OkStatus();
                     if (status.ok()) status = file_.Append(request);
                     return status;
                   });
}

v1::WriteAck RemoteWriteService::Store(const v1::WriteRequestV2& request) {
  return StoreOnce(
      request.writer_id(), request.sequence(),
      [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(store_mu_) -> absl::Status {
        absl::Status status = ValidateWriteRequestV2(request);
        if (!status.ok()) return status;
        if (forwarder_ != nullptr) status = forwarder_->Send(request);
        if (!status.ok()) return status;
        ToWriteRequest(request, &converted_);
        return file_.Append(converted_);
      });
}

int64_t RemoteWriteService::duplicates() const {
  MutexLock lock(&store_mu_);
  return duplicates_;
}

template <typename Request>
grpc::Status RemoteWriteService::Serve(
    grpc::ServerReaderWriter<v1::WriteAck, Request>* stream) {
  Request request;
  while (stream->Read(&request)) {
    const v1::WriteAck ack = Store(request);
    if (!stream->Write(ack)) break;
    if (!ack.error().empty() &&
        IsRetryableAckCode(static_cast<absl::StatusCode>(ack.code()))) {
      std::fprintf(stderr,
                   "scrape_host: error: storing request %llu: %s; asking the "
                   "sender to resend\n",
                   static_cast<unsigned long long>(request.sequence()),
                   ack.error().c_str());
      // The plugin resends from this request on a new stream; whatever
      // else it wrote on this one must not be stored out of order.
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, ack.error());
    }
  }
  return grpc::Status::OK;
}

grpc::Status RemoteWriteService::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream) {
  return Serve(stream);
}

grpc::Status RemoteWriteService::WriteV2(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequestV2>* stream) {
  return Serve(stream);
}

}  // namespace promscrape::host
