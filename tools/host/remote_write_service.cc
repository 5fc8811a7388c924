#include "tools/host/remote_write_service.h"

#include <cstdio>
#include <string>

namespace promscrape::host {

bool IsRetryableAckCode(absl::StatusCode code) {
  // The plugin's list (proto/remote/v1/remote.proto, WriteAck.code).
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kAborted;
}

v1::WriteAck RemoteWriteService::Store(const v1::WriteRequest& request) {
  MutexLock lock(&store_mu_);
  v1::WriteAck ack;
  ack.set_sequence(request.sequence());
  if (window_.Contains(request.writer_id(), request.sequence())) {
    ++duplicates_;
    return ack;
  }
  absl::Status status =
      forwarder_ != nullptr ? forwarder_->Send(request) : absl::OkStatus();
  if (status.ok()) status = file_.Append(request);
  if (absl::IsInternal(status)) {
    // A disk error: not stored, and worth another try.
    status = absl::UnavailableError(status.message());
  }
  if (!status.ok()) {
    ack.set_error(std::string(status.message()));
    ack.set_code(static_cast<int32_t>(status.code()));
  }
  if (!IsRetryableAckCode(status.code())) {
    window_.Record(request.writer_id(), request.sequence());
  }
  return ack;
}

int64_t RemoteWriteService::duplicates() const {
  MutexLock lock(&store_mu_);
  return duplicates_;
}

grpc::Status RemoteWriteService::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream) {
  v1::WriteRequest request;
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

}  // namespace promscrape::host
