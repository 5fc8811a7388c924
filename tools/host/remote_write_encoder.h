#ifndef TOOLS_HOST_REMOTE_WRITE_ENCODER_H_
#define TOOLS_HOST_REMOTE_WRITE_ENCODER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "proto/remote/v1/remote.pb.h"
#include "tools/host/forwarder_options.h"

namespace promscrape::host {

// Turns the plugin's WriteRequests into the (uncompressed) protobuf body of
// a remote-write request for the configured protocol:
//   1.0: prometheus.WriteRequest, i.e. the request without its `sequence`
//        and `writer_id` fields (the other field numbers are prompb's);
//   2.0: io.prometheus.write.v2.Request, with one symbols table ("" first)
//        and label, exemplar and metadata strings as references into it.
// 2.0 carries metadata per series, 1.0 per request: the plugin sends
// metadata in requests of its own, so the 2.0 encoder remembers the latest
// metadata of each metric family and attaches it to that family's series
// (found by name, or by name without a _total, _bucket, _count, _sum,
// _created or _info suffix). A request holding only metadata has nothing
// to send in 2.0.
//
// Thread-compatible.
class RemoteWriteEncoder {
 public:
  explicit RemoteWriteEncoder(RemoteWriteProtocol protocol)
      : protocol_(protocol) {}

  // Replaces `*body` with the encoding of `request`. Returns false when
  // there is nothing to send (an empty request, or 2.0 metadata only).
  bool Encode(const v1::WriteRequest& request, std::string* body);

  // The same for the plugin's 2.0-shaped stream (`request` must pass
  // ValidateWriteRequestV2): for 2.0 the request's own series and symbols
  // (write_request_v2.h, no detour through 1.0; the plugin attached the
  // metadata), for 1.0 its WriteRequest conversion.
  bool Encode(const v1::WriteRequestV2& request, std::string* body);

  // The Content-Type and X-Prometheus-Remote-Write-Version header values.
  absl::string_view content_type() const;
  absl::string_view version() const;

 private:
  struct FamilyMetadata {
    v1::MetricMetadata::MetricType type = v1::MetricMetadata::UNKNOWN;
    std::string help;
    std::string unit;
  };

  bool EncodeV2(const v1::WriteRequest& request, std::string* body);
  const FamilyMetadata* FindMetadata(absl::string_view metric_name) const;

  const RemoteWriteProtocol protocol_;
  v1::WriteRequest v1_scratch_;  // 1.0 conversions of 2.0-shaped requests
  // 2.0 only; one entry per family the plugin reported (bounded by what
  // the targets expose).
  absl::flat_hash_map<std::string, FamilyMetadata> metadata_;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_REMOTE_WRITE_ENCODER_H_
