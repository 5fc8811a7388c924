#ifndef TOOLS_HOST_REMOTE_WRITE_SERVICE_H_
#define TOOLS_HOST_REMOTE_WRITE_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "proto/remote/v1/remote.grpc.pb.h"
#include "tools/host/remote_write_forwarder.h"
#include "tools/host/sample_file.h"

namespace promscrape::host {

// The host's RemoteWrite service: stores each request (storage file, then
// the optional remote-write forward) and only then acknowledges it. A
// request the storage rejects as bad data is acknowledged with an error (the
// plugin does not resend it); a failure worth retrying (disk error, a
// receiver that is down) ends the stream with UNAVAILABLE and no ack, so
// the plugin reconnects and resends.
//
// Thread-safe; one synchronous handler per stream. `file` and `forwarder`
// (may be null) must outlive the service. Failures are logged to stderr.
class RemoteWriteService final : public v1::RemoteWrite::Service {
 public:
  RemoteWriteService(SampleFile& file, RemoteWriteForwarder* forwarder)
      : file_(file), forwarder_(forwarder) {}

  grpc::Status Write(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream)
      override;

 private:
  SampleFile& file_;
  RemoteWriteForwarder* const forwarder_;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_REMOTE_WRITE_SERVICE_H_
