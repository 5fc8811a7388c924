#include "tools/host/remote_write_service.h"

#include <cstdio>
#include <string>

namespace promscrape::host {

grpc::Status RemoteWriteService::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream) {
  v1::WriteRequest request;
  v1::WriteAck ack;
  while (stream->Read(&request)) {
    ack.Clear();
    ack.set_sequence(request.sequence());
    absl::Status status = file_.Append(request);
    if (status.ok() && forwarder_ != nullptr) {
      status = forwarder_->Send(request);
    }
    if (absl::IsUnavailable(status) || absl::IsInternal(status)) {
      std::fprintf(stderr,
                   "error: storing request %llu: %s; asking the sender to "
                   "retry\n",
                   static_cast<unsigned long long>(request.sequence()),
                   status.ToString().c_str());
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          std::string(status.message()));
    }
    if (!status.ok()) ack.set_error(std::string(status.message()));
    if (!stream->Write(ack)) break;
  }
  return grpc::Status::OK;
}

}  // namespace promscrape::host
