#ifndef TOOLS_HOST_WRITE_REQUEST_V2_H_
#define TOOLS_HOST_WRITE_REQUEST_V2_H_

#include <string>

#include "absl/status/status.h"
#include "proto/remote/v1/remote.pb.h"

// What the host does with a WriteRequestV2 (the plugin's stream in remote
// write 2.0's shape, proto/remote/v1/remote.proto) besides storing it:
// check its symbol references, turn it into a 1.0 WriteRequest (for the
// sample file and for a 1.0 forwarder), or into an
// io.prometheus.write.v2.Request body (for a 2.0 forwarder).
//
// Stateless functions; safe from any thread.
namespace promscrape::host {

// OK when every labels_refs list has an even length and every reference
// (labels, exemplar labels, help, unit) indexes `symbols`; otherwise
// kInvalidArgument naming the series.
absl::Status ValidateWriteRequestV2(const v1::WriteRequestV2& request);

// Replaces `*out` with the 1.0 shape of `request` (which must be valid):
// labels and exemplar labels resolved, samples and histograms as they are
// (start timestamps kept), `sequence` and `writer_id` copied. A series with
// metadata and nothing else (the plugin's metadata records) becomes a
// WriteRequest.metadata entry for the family its __name__ names; metadata
// attached to series with data is not repeated.
void ToWriteRequest(const v1::WriteRequestV2& request, v1::WriteRequest* out);

// Replaces `*body` with the serialized io.prometheus.write.v2.Request of
// `request` (which must be valid): the same fields, since WriteRequestV2
// keeps 2.0's numbers, without `sequence`, `writer_id` and the series that
// carry neither samples nor histograms (2.0 wants one in every series): the
// metadata-only ones, whose metadata the plugin also attached to the
// family's series, and exemplars that did not follow their sample.
// Returns false when no series is left to send.
bool ToRemoteWrite2Body(const v1::WriteRequestV2& request, std::string* body);

}  // namespace promscrape::host

#endif  // TOOLS_HOST_WRITE_REQUEST_V2_H_
