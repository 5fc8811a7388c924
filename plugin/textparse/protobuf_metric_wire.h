#ifndef PLUGIN_TEXTPARSE_PROTOBUF_METRIC_WIRE_H_
#define PLUGIN_TEXTPARSE_PROTOBUF_METRIC_WIRE_H_

#include <cstdint>
#include <string_view>

// Readers of io.prometheus.client.Metric parts that ProtobufParser needs
// only off its hot path (validation of unused submessages, start
// timestamps). Stateless functions; safe from any thread.
namespace promscrape::textparse::internal {

// Whether a Summary message has the wire types metrics.proto gives its
// fields (Prometheus' generated unmarshalling fails it otherwise, even when
// the family is not a summary).
bool ValidSummaryWire(std::string_view msg);

// The created_timestamp (google.protobuf.Timestamp) at `field` of a
// Counter (3), Summary (4) or Histogram (15) message, in milliseconds as
// protobufparse.go computes it; 0 when absent or unreadable.
int64_t CreatedTimestampMs(std::string_view msg, uint32_t field);

}  // namespace promscrape::textparse::internal

#endif  // PLUGIN_TEXTPARSE_PROTOBUF_METRIC_WIRE_H_
