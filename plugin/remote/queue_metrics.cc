#include "plugin/remote/queue_metrics.h"

#include <string>
#include <vector>

namespace promscrape::remote {
namespace {

absl::string_view DropReasonName(int reason) {
  switch (static_cast<DropReason>(reason)) {
    case DropReason::kQueueFull:
      return "queue_full";
    case DropReason::kRejected:
      return "rejected";
    case DropReason::kStopped:
      return "stopped";
  }
  return "queue_full";
}

}  // namespace

QueueMetrics::QueueMetrics(metrics::Registry& registry)
    : failed_streams(registry.Counter(
          "promscrape_remote_stream_failures_total",
          "RemoteWrite streams that broke and were retried.")),
      sent_bytes(registry.Counter(
          "promscrape_remote_sent_bytes_total",
          "Bytes of requests written to the RemoteWrite stream (resends "
          "included; WriteRequest or WriteRequestV2 protobuf, before gRPC's "
          "framing).")),
      pending(registry.Gauge(
          "promscrape_remote_samples_pending",
          "Records (of every kind) queued and not yet acknowledged by the "
          "host.")),
      in_flight(registry.Gauge(
          "promscrape_remote_requests_in_flight",
          "Requests written to the RemoteWrite stream and not yet "
          "acknowledged.")),
      ack_timeouts(registry.Counter(
          "promscrape_remote_ack_timeouts_total",
          "Streams ended because an acknowledgement did not come within "
          "ack_timeout.")),
      registry_(registry),
      acked_records_(registry.Counter(
          "promscrape_remote_samples_sent_total",
          "Records (of every kind) acknowledged by the host's RemoteWrite "
          "service.")),
      dropped_records_(registry.Counter(
          "promscrape_remote_samples_dropped_total",
          "Records (of every kind) dropped because the remote-write queue "
          "was full or the host rejected them.")),
      retried_requests_(registry.Counter(
          "promscrape_remote_requests_retried_total",
          "Requests sent again on a new stream after the previous one "
          "broke before acknowledging them.")),
      protocol_v1_(registry.Gauge(
          "promscrape_remote_write_protocol",
          "1 for the RemoteWrite rpc the stream uses: v1 (Write, remote "
          "write 1.0's shape) or v2 (WriteV2, remote write 2.0's shape).",
          {{"protocol", "v1"}})),
      protocol_v2_(registry.Gauge(
          "promscrape_remote_write_protocol",
          "1 for the RemoteWrite rpc the stream uses: v1 (Write, remote "
          "write 1.0's shape) or v2 (WriteV2, remote write 2.0's shape).",
          {{"protocol", "v2"}})) {
  for (int k = 0; k < kRecordKinds; ++k) {
    const std::vector<metrics::LabelPair> kind = {
        {"kind", std::string(RecordKindName(static_cast<RecordKind>(k)))}};
    queued_[k] = &registry.Counter(
        "promscrape_remote_records_queued_total",
        "Records handed to the remote-write queue, by kind.", kind);
    sent_[k] = &registry.Counter(
        "promscrape_remote_records_sent_total",
        "Records written to the RemoteWrite stream for the first time, by "
        "kind.",
        kind);
    retried_[k] = &registry.Counter(
        "promscrape_remote_records_retried_total",
        "Records written again on a new stream because the previous one broke "
        "before acknowledging them, by kind.",
        kind);
    acked_[k] = &registry.Counter(
        "promscrape_remote_records_acked_total",
        "Records the host acknowledged as stored, by kind.", kind);
    for (int r = 0; r < kDropReasons; ++r) {
      std::vector<metrics::LabelPair> labels = kind;
      labels.push_back({"reason", std::string(DropReasonName(r))});
      dropped_[r][k] = &registry.Counter(
          "promscrape_remote_records_dropped_total",
          "Records that will never reach the host, by kind and reason "
          "(queue_full: no write-ahead log and the memory queue was full; "
          "rejected: the host refused them for good; stopped: no log and "
          "the shutdown flush timed out).",
          labels);
    }
  }
}

void QueueMetrics::Add(const PerKind& metric, const RecordCounts& c) {
  for (int k = 0; k < kRecordKinds; ++k) {
    if (c.by_kind[k] != 0) metric[k]->Add(static_cast<double>(c.by_kind[k]));
  }
}

void QueueMetrics::SetProtocol(bool v2) {
  protocol_v1_.Set(v2 ? 0 : 1);
  protocol_v2_.Set(v2 ? 1 : 0);
}

void QueueMetrics::Retried(const RecordCounts& c) {
  retried_requests_.Increment();
  Add(retried_, c);
}

void QueueMetrics::Acked(const RecordCounts& c) {
  acked_records_.Add(static_cast<double>(c.total()));
  Add(acked_, c);
}

void QueueMetrics::Dropped(const RecordCounts& c, DropReason reason) {
  dropped_records_.Add(static_cast<double>(c.total()));
  Add(dropped_[static_cast<int>(reason)], c);
}

void QueueMetrics::Rejected(const RecordCounts& c, absl::StatusCode code) {
  Dropped(c, DropReason::kRejected);
  registry_
      .Counter("promscrape_remote_samples_rejected_total",
               "Records (of every kind) in requests the host rejected for "
               "good, by the ack's status code.",
               {{"code", absl::StatusCodeToString(code)}})
      .Add(static_cast<double>(c.total()));
}

}  // namespace promscrape::remote
